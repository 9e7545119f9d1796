//! `TestApp`: the real application against a database of its own, cloned from a migrated
//! template in a private PostgreSQL cluster (one per test process), with a user and a
//! token for every role.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use actix_http::Request;
use actix_service::ServiceExt;
use actix_service::boxed::{self, BoxService};
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use jianyi::app::{AppState, build_app};
use jianyi::auth::password;
use jianyi::auth::policy::Role;
use jianyi::auth::queries as sessions;
use jianyi::auth::token::Subject;
use jianyi::calendar::Today;
use jianyi::config::Config;
use jianyi::db::enums::{Grant, UnitKind, UserKind};
use jianyi::db::local::{self, Lifetime, LocalCluster};
use jianyi::db::{self, DbConn};
use jianyi::directory::queries::{self as directory, UserInsert};

pub const SECRET: &str = "a test signing secret of at least 32 bytes";
/// Every fixture user's password.
pub const PASSWORD: &str = "测试密码-correct-horse";

static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| password::hash(PASSWORD));

struct Shared {
    cluster: LocalCluster,
}

/// The process's cluster, with a migrated `jianyi_template` database.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let _ = env_logger::builder().is_test(true).try_init();
        local::remove_stale_test_clusters("jianyi-test-");
        let root = std::env::temp_dir().join(format!("jianyi-test-{}", std::process::id()));
        let cluster =
            LocalCluster::start(&root, Lifetime::Ephemeral).expect("a local PostgreSQL cluster for the tests");
        let admin_url = cluster.url("postgres");
        let template_url = cluster.url("jianyi_template");
        // Its own runtime: the test that gets here first may be on any runtime.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async {
                db::ensure_database(&admin_url, "jianyi_template").await.expect("template database");
                db::migrate(&template_url).await.expect("migrations");
            });
        })
        .join()
        .expect("preparing the template");
        Shared { cluster }
    })
}

/// A database of its own for one test.
async fn fresh_database() -> String {
    let shared = shared();
    let name = format!("t_{}", Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&shared.cluster.url("postgres")).await.expect("maintenance connection");
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE jianyi_template"))
        .execute(&mut conn)
        .await
        .expect("a test database");
    shared.cluster.url(&name)
}

pub fn test_config(url: &str) -> Config {
    Config {
        database_url: Some(url.to_string()),
        jwt_secret: Some(SECRET.into()),
        db_pool_size: 4,
        db_timeout: Duration::from_secs(5),
        workers: 1,
        // Tests that care set their own; the others must never hit these.
        login_max_failures: 1000,
        login_ip_max_failures: 1000,
        cors_origins: vec!["https://portal.example.gov.cn".into()],
        files_dir: Some(std::env::temp_dir().join("jianyi-tests").join(format!("files-{}", Uuid::new_v4().simple()))),
        ..Config::default()
    }
}

/// A fixture account.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub token: String,
}

/// The fixture units.
#[derive(Debug, Clone)]
pub struct Units {
    /// 市自然资源和规划局
    pub bureau: Uuid,
    /// 办公室
    pub office: Uuid,
    /// 建设工程管理科
    pub construction: Uuid,
    /// 耕地保护科
    pub farmland: Uuid,
    /// 市交通运输局 (external)
    pub transport: Uuid,
    /// 市林业局 (external)
    pub forestry: Uuid,
}

type Svc = BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

pub struct TestApp {
    pub state: web::Data<AppState>,
    pub units: Units,
    users: HashMap<Role, TestUser>,
    /// A handler of 耕地保护科 (another unit than `Role::Handler`'s 建设工程管理科).
    pub other_handler: TestUser,
    /// A section head of 耕地保护科.
    pub other_section_head: TestUser,
    /// The head of the bureau: a leader responsible for everything.
    pub head: TestUser,
    /// A co-handler of 市林业局.
    pub other_co_handler: TestUser,
    svc: Svc,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::build(adjust, Today::default()).await
    }

    /// An app whose today is `day`: due states and default dates as on that day.
    pub async fn on(day: &str) -> TestApp {
        Self::build(|_| {}, Today::Fixed(day.parse().expect("a date"))).await
    }

    async fn build(adjust: impl FnOnce(&mut Config), today: Today) -> TestApp {
        let url = fresh_database().await;
        let mut config = test_config(&url);
        adjust(&mut config);
        let pool = db::pool(&url, config.db_pool_size, config.db_timeout);
        let mut state = AppState::new(config, pool, &url, SECRET.as_bytes());
        state.today = today;
        let state = web::Data::new(state);
        let svc = Self::service(state.clone()).await;
        let mut conn = state.conn().await.expect("a connection");
        let units = seed_units(&mut conn).await;
        let mut users = HashMap::new();
        let accounts = [
            (Role::Admin, "admin", None),
            (Role::Office, "office", Some(units.office)),
            (Role::Leader, "leader", Some(units.bureau)),
            (Role::SectionHead, "section_head", Some(units.construction)),
            (Role::Handler, "handler", Some(units.construction)),
            (Role::CoHandler, "co_handler", Some(units.transport)),
            (Role::Deputy, "deputy", None),
        ];
        let mut app_users = Vec::new();
        for (role, name, unit) in accounts {
            app_users.push((role, create_user(&state, &mut conn, name, UserKind::Person, &[role], unit).await));
        }
        app_users
            .push((Role::Sync, create_user(&state, &mut conn, "sync", UserKind::Service, &[Role::Sync], None).await));
        users.extend(app_users);
        let other_handler =
            create_user(&state, &mut conn, "other_handler", UserKind::Person, &[Role::Handler], Some(units.farmland))
                .await;
        let other_section_head = create_user(
            &state,
            &mut conn,
            "other_section_head",
            UserKind::Person,
            &[Role::SectionHead],
            Some(units.farmland),
        )
        .await;
        let head = create_user(&state, &mut conn, "head", UserKind::Person, &[Role::Leader], Some(units.bureau)).await;
        let other_co_handler = create_user(
            &state,
            &mut conn,
            "other_co_handler",
            UserKind::Person,
            &[Role::CoHandler],
            Some(units.forestry),
        )
        .await;
        drop(conn);
        TestApp { state, units, users, other_handler, other_section_head, head, other_co_handler, svc }
    }

    pub async fn service(state: web::Data<AppState>) -> Svc {
        let svc = test::init_service(build_app(state)).await;
        boxed::service(svc.map(|res: ServiceResponse<_>| res.map_into_boxed_body()))
    }

    pub fn user(&self, role: Role) -> &TestUser {
        &self.users[&role]
    }

    pub fn token(&self, role: Role) -> &str {
        &self.users[&role].token
    }

    pub async fn conn(&self) -> DbConn {
        self.state.conn().await.expect("a connection")
    }

    /// A request to build and send.
    pub fn req(&self, method: Method, path: &str) -> Call<'_> {
        Call { app: self, req: TestRequest::default().method(method).uri(path) }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.req(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call<'_> {
        self.req(Method::PATCH, path)
    }

    pub fn put(&self, path: &str) -> Call<'_> {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Call<'_> {
        self.req(Method::DELETE, path)
    }

    pub async fn send(&self, req: Request) -> Reply {
        let res = test::call_service(&self.svc, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        // Streamed bodies (downloads) are read to the end.
        let body = test::read_body(res).await;
        Reply { status, headers, body: body.to_vec() }
    }

    /// The outbox rows of an entity, oldest first: `(type, version)`.
    pub async fn events(&self, entity_id: &str) -> Vec<(String, Option<i32>)> {
        use diesel::{ExpressionMethods, QueryDsl};
        use jianyi::db::schema::events::dsl as e;
        let id: Uuid = entity_id.parse().expect("a uuid");
        let mut conn = self.conn().await;
        e::events
            .filter(e::entity_id.eq(id))
            .order(e::seq)
            .select((e::type_, e::version))
            .load(&mut conn)
            .await
            .expect("events")
    }

    /// Rows of `audit_log` for an entity, oldest first: `(action, actor_id)`.
    pub async fn audit_actions(&self, entity_type: &str, entity_id: &str) -> Vec<(String, Option<Uuid>)> {
        use diesel::{ExpressionMethods, QueryDsl};
        use jianyi::db::schema::audit_log::dsl as a;
        let mut conn = self.conn().await;
        a::audit_log
            .filter(a::entity_type.eq(entity_type))
            .filter(a::entity_id.eq(entity_id))
            .order(a::id)
            .select((a::action, a::actor_id))
            .load(&mut conn)
            .await
            .expect("audit rows")
    }
}

async fn seed_units(conn: &mut AsyncPgConnection) -> Units {
    let bureau = directory::insert_unit(conn, "市自然资源和规划局", UnitKind::Bureau, None).await.expect("unit").id;
    let section = async |conn: &mut AsyncPgConnection, name: &str| {
        directory::insert_unit(conn, name, UnitKind::Section, Some(bureau)).await.expect("unit").id
    };
    let office = section(conn, "办公室").await;
    let construction = section(conn, "建设工程管理科").await;
    let farmland = section(conn, "耕地保护科").await;
    let transport = directory::insert_unit(conn, "市交通运输局", UnitKind::External, None).await.expect("unit").id;
    let forestry = directory::insert_unit(conn, "市林业局", UnitKind::External, None).await.expect("unit").id;
    Units { bureau, office, construction, farmland, transport, forestry }
}

/// Inserts a user with the fixture password and signs a token for a fresh session.
pub async fn create_user(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    username: &str,
    kind: UserKind,
    roles: &[Role],
    unit_id: Option<Uuid>,
) -> TestUser {
    let row = directory::insert_user(
        conn,
        UserInsert {
            username,
            display_name: username,
            kind,
            roles: roles.to_vec(),
            unit_id,
            is_head: username == "head",
            secret_hash: PASSWORD_HASH.clone(),
        },
    )
    .await
    .expect("a fixture user");
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    let session_id = sessions::create_session(conn, row.id, Grant::Password, expires).await.expect("a session");
    let subject = Subject {
        user_id: row.id,
        username: username.to_string(),
        roles: roles.to_vec(),
        unit_id,
        head: username == "head",
    };
    let (token, _) = state.auth.keys.issue(&subject, session_id);
    TestUser { id: row.id, token }
}

/// Percent-encodes a query value (Chinese text, spaces).
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A request being built.
pub struct Call<'a> {
    app: &'a TestApp,
    req: TestRequest,
}

impl Call<'_> {
    pub fn as_(self, role: Role) -> Self {
        let token = self.app.token(role).to_string();
        self.bearer(&token)
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.req = self.req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.req = self.req.insert_header((name.to_string(), value.to_string()));
        self
    }

    pub fn if_match(self, version: i64) -> Self {
        self.header("if-match", &format!("\"{version}\""))
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.req = self
            .req
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(serde_json::to_vec(body).expect("json"));
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.req = self.req.insert_header((header::CONTENT_TYPE, content_type.to_string())).set_payload(body.into());
        self
    }

    pub fn peer(mut self, addr: &str) -> Self {
        self.req = self.req.peer_addr(addr.parse().expect("a socket address"));
        self
    }

    pub async fn send(self) -> Reply {
        self.app.send(self.req.to_request()).await
    }
}

/// A received answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, with the body in the message when it differs.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        self
    }

    /// Asserts a problem+json answer with this status and code; returns the body.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{self:?}");
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert!(body["request_id"].is_string(), "{body}");
        assert!(self.header("x-request-id").is_some());
        body
    }

    /// The version part of the ETag (`"7-…"`).
    pub fn version(&self) -> i64 {
        self.header("etag")
            .and_then(|e| e.trim_matches('"').split('-').next().and_then(|v| v.parse().ok()))
            .expect("an ETag")
    }
}

/// A `multipart/form-data` body with one part named `file`: its content type and bytes.
pub fn multipart(file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "jianyi-test-boundary-7c1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Says on the terminal that a test did not run and why (the test harness shows only
/// what the print macros write of a failing test).
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The app on a real port (for clients that are not the test's: a browser, a raw
/// socket), on the test's runtime; its address and a handle to stop it.
pub fn serve(app: &TestApp) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || jianyi::app::build_app(state.clone()))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}
