//! The command line: `serve` (the default), `migrate`, `openapi`, and admin commands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::audit::Actor;
use crate::auth::policy::Role;
use crate::config::Config;
use crate::db;
use crate::directory::model::{NewUser, UserKind};
use crate::directory::{queries, service};
use crate::server::{self, Database};

#[derive(Parser)]
#[command(name = "jianyi", version, about = "Handling of deputies' suggestions and CPPCC proposals")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default). Without DATABASE_URL, runs a private
    /// PostgreSQL cluster under JIANYI_DATA_DIR (./var).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Ask the running service at JIANYI_BIND whether it is ready (for container health
    /// checks); exits 0 when /readyz answers 200.
    Healthcheck,
    /// Accounts.
    #[command(subcommand)]
    Admin(Admin),
    /// Load the bureau's year 2023 (units, accounts for every role, deputies and the 13
    /// suggestions of the seed report) into the database; running it again changes nothing.
    Demo,
}

#[derive(Subcommand)]
enum Admin {
    /// Create a person's account; prints a generated password unless one is given.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// A role (repeat for several): admin, office, leader, section_head, handler,
        /// co_handler, deputy.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// The unit, by name or id.
        #[arg(long)]
        unit: Option<String>,
        /// The password (at least 10 characters); read from the environment to keep it
        /// out of the shell history.
        #[arg(long, env = "JIANYI_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create a service account with the sync role (the municipal system's jobs); prints
    /// its client secret once.
    CreateServiceAccount {
        /// The client id.
        #[arg(long)]
        name: String,
        #[arg(long)]
        display_name: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("jianyi: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = actix_web::rt::System::new().block_on(run(cli.command.unwrap_or(Command::Serve), config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jianyi: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => server::serve(config).await,
        Command::Openapi => {
            print!("{}", crate::openapi::spec_json());
            Ok(())
        }
        Command::Healthcheck => healthcheck(&config),
        Command::Migrate => {
            let database = Database::open_migrated(&config).await?;
            database.close();
            println!("migrations are up to date");
            Ok(())
        }
        Command::Demo => {
            let database = Database::open_migrated(&config).await?;
            let result = run_demo(&config, &database).await;
            database.close();
            result
        }
        Command::Admin(admin) => {
            let database = Database::open_migrated(&config).await?;
            let result = run_admin(admin, &config, &database).await;
            database.close();
            result
        }
    }
}

async fn run_demo(config: &Config, database: &Database) -> Result<(), String> {
    use crate::demo;
    let pool = database.pool(config);
    let mut conn = db::conn(&pool).await.map_err(|e| format!("{e:?}"))?;
    if let Some(password) =
        service::bootstrap_admin(&mut conn, config.admin_password.clone()).await.map_err(|e| format!("{e:?}"))?
    {
        println!("created the `admin` account; its password, shown this once: {password}");
    }
    drop(conn);
    let loaded = demo::load(&pool).await?;
    // The year's work goes through the API, in-process; the tokens never leave it.
    let secret: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| *u.as_bytes()).collect();
    let state =
        actix_web::web::Data::new(crate::app::AppState::new(config.clone(), pool.clone(), &database.url, &secret));
    let finished = demo::year::finish(state).await?;
    println!(
        "demo year 2023 loaded: {} new units, {} new accounts, {} suggestions written, {} already there, {} assigned",
        loaded.units,
        loaded.accounts,
        loaded.suggestions_created,
        loaded.suggestions_unchanged,
        loaded.suggestions_assigned
    );
    println!(
        "2023 carried through the API: {} completed now, {} completed before{}; the 2024 item {}",
        finished.completed,
        finished.already,
        if finished.left.is_empty() {
            String::new()
        } else {
            format!(", {} left as found ({})", finished.left.len(), finished.left.join(", "))
        },
        if finished.started_2024 { "started" } else { "was there" }
    );
    println!("\naccounts (password `{}`):", demo::DEMO_PASSWORD);
    for (username, name, role, unit) in demo::ACCOUNTS {
        println!(
            "  {username:<12} {:<13} {name}{}",
            role.as_str(),
            unit.map(|u| format!(" — {u}")).unwrap_or_default()
        );
    }
    println!("  municipal-sync (client_credentials, secret `{}`) — sync", demo::DEMO_SYNC_SECRET);
    Ok(())
}

fn healthcheck(config: &Config) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let timeout = std::time::Duration::from_secs(3);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    write!(stream, "GET /readyz HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    match answer.lines().next() {
        Some(status) if status.split_whitespace().nth(1) == Some("200") => Ok(()),
        other => Err(format!("not ready: {}", other.unwrap_or("no answer"))),
    }
}

async fn run_admin(admin: Admin, config: &Config, database: &Database) -> Result<(), String> {
    let pool = database.pool(config);
    let mut conn = db::conn(&pool).await.map_err(|e| format!("{e:?}"))?;
    let new = match admin {
        Admin::CreateUser { username, display_name, roles, unit, password } => {
            let unit_id = match unit {
                None => None,
                Some(u) => {
                    let found = match Uuid::parse_str(&u) {
                        Ok(id) => queries::unit(&mut conn, id).await,
                        Err(_) => queries::unit_by_name(&mut conn, &u).await,
                    }
                    .map_err(|e| e.to_string())?;
                    Some(found.ok_or_else(|| format!("no unit {u:?}"))?.id)
                }
            };
            NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                kind: UserKind::Person,
                roles,
                unit_id,
                is_head: false,
                password,
            }
        }
        Admin::CreateServiceAccount { name, display_name } => NewUser {
            display_name: display_name.unwrap_or_else(|| name.clone()),
            username: name,
            kind: UserKind::Service,
            roles: vec![Role::Sync],
            unit_id: None,
            is_head: false,
            password: None,
        },
    };
    let explain = |e: crate::error::AppError| {
        let fields: Vec<String> = e.field_errors().iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
        if fields.is_empty() { e.detail().to_string() } else { fields.join("; ") }
    };
    let prepared = service::prepare_user(&mut conn, &new).await.map_err(explain)?;
    let created =
        db::transaction(&mut conn, async |conn| service::create_user(conn, &Actor::system("cli"), prepared).await)
            .await
            .map_err(explain)?;
    println!("created {} ({})", created.user.username, created.user.id);
    if let Some(p) = created.initial_password {
        println!("password (shown once): {p}");
    }
    if let Some(s) = created.client_secret {
        println!("client_id: {}\nclient_secret (shown once): {s}", created.user.username);
    }
    Ok(())
}
