//! Starting the service: which database, the signing secret, the first admin, background
//! upkeep, and the HTTP server with graceful shutdown.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{HttpServer, web};

use crate::app::{AppState, build_app};
use crate::auth::password;
use crate::config::Config;
use crate::db::local::{Lifetime, LocalCluster};
use crate::db::{self, DbPool};
use crate::directory;
use crate::documents;
use crate::documents::store::Files;

/// The database the service uses: `DATABASE_URL`, or a private cluster under the data
/// folder, stopped when this is dropped.
pub struct Database {
    pub url: String,
    cluster: Option<LocalCluster>,
}

impl Database {
    pub async fn open(config: &Config) -> Result<Self, String> {
        if let Some(url) = &config.database_url {
            return Ok(Self { url: url.clone(), cluster: None });
        }
        let root = config.data_dir.join("pg");
        let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&root, Lifetime::Persistent))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        db::ensure_database(&cluster.url("postgres"), "jianyi").await?;
        log::info!("using the local PostgreSQL cluster in {}", cluster.data_dir.display());
        Ok(Self { url: cluster.url("jianyi"), cluster: Some(cluster) })
    }

    /// Opens the database and applies pending migrations.
    pub async fn open_migrated(config: &Config) -> Result<Self, String> {
        let database = Self::open(config).await?;
        let applied = db::migrate(&database.url).await?;
        if !applied.is_empty() {
            log::info!("applied migrations: {}", applied.join(", "));
        }
        Ok(database)
    }

    pub fn pool(&self, config: &Config) -> DbPool {
        db::pool(&self.url, config.db_pool_size, config.db_timeout)
    }

    /// One pool per HTTP worker, sharing JIANYI_DB_POOL_SIZE between them.
    pub fn worker_pools(&self, config: &Config) -> Vec<DbPool> {
        let each = (config.db_pool_size / config.workers).max(2);
        (0..config.workers).map(|_| db::pool(&self.url, each, config.db_timeout)).collect()
    }

    /// How the local cluster's server is doing, when we run one.
    pub fn supervision(&self) -> Option<Arc<crate::db::local::Supervision>> {
        self.cluster.as_ref().map(|c| c.supervision.clone())
    }

    /// Stops the local cluster, if we started one.
    pub fn close(mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop();
        }
    }
}

/// The secret that signs tokens and cursors: `JIANYI_JWT_SECRET`, or one generated once
/// and kept (mode 0600) in the data folder.
pub fn signing_secret(config: &Config) -> Result<Vec<u8>, String> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = config.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
        return Err(format!("{} holds fewer than 32 bytes; delete it or set JIANYI_JWT_SECRET", path.display()));
    }
    let secret = password::random_token(48);
    write_private(&path, &secret).map_err(|e| format!("writing {}: {e}", path.display()))?;
    if config.database_url.is_some() {
        log::warn!(
            "generated a signing secret in {}; instances sharing a database must share JIANYI_JWT_SECRET",
            path.display()
        );
    }
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

/// Deletes what has expired, every ten minutes (any number of instances may do it).
async fn upkeep(pool: DbPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let Ok(mut conn) = db::conn(&pool).await else { continue };
        let keys = crate::http::idempotency::purge_expired(&mut conn).await;
        let sessions = crate::auth::queries::purge_expired(&mut conn).await;
        if let (Err(e), _) | (_, Err(e)) = (&keys, &sessions) {
            log::warn!("upkeep failed: {e}");
        }
    }
}

/// The sweep of document blobs no row points at (an upload cut off by a crash, a deleted
/// document whose blob could not go at once), every ten minutes.
async fn sweep_job(pool: DbPool, files: Files) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match documents::service::sweep(&pool, &files).await {
            Ok(0) => {}
            Ok(n) => log::info!("sweep: {n} blobs without a document deleted"),
            Err(e) => log::warn!("sweep failed: {e:?}"),
        }
    }
}

/// The due-state job, every `interval`: open assignments and open commitments that became
/// due soon or overdue get a reminder (once per change; instances share the work).
async fn due_state_job(pool: DbPool, warn_days: u32, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let Ok(mut conn) = db::conn(&pool).await else { continue };
        let result = async {
            let calendar = std::sync::Arc::new(crate::calendar::queries::calendar(&mut conn).await?);
            let clock = crate::calendar::Clock::new(calendar, crate::calendar::Today::default().date(), warn_days);
            let assignments = crate::assignments::service::due_states::run_due_states(&mut conn, &clock).await?;
            Ok::<_, crate::error::AppError>(
                assignments + crate::commitments::service::run_due_states(&mut conn, &clock).await?,
            )
        }
        .await;
        match result {
            Ok(0) => {}
            Ok(n) => log::info!("due-state job: {n} reminders"),
            Err(e) => log::warn!("due-state job failed: {e:?}"),
        }
    }
}

/// `jianyi serve`: runs until SIGINT or SIGTERM, then drains requests and stops the
/// local cluster.
pub async fn serve(config: Config) -> Result<(), String> {
    let database = Database::open_migrated(&config).await?;
    let result = serve_on(&config, &database).await;
    database.close();
    result
}

async fn serve_on(config: &Config, database: &Database) -> Result<(), String> {
    let secret = signing_secret(config)?;
    let files = Files::from_config(config)?;
    log::info!("documents: {files:?}");
    let pool = database.pool(config);
    let mut conn = db::conn(&pool).await.map_err(|e| format!("connecting to the database: {e}"))?;
    let generated = directory::service::bootstrap_admin(&mut conn, config.admin_password.clone())
        .await
        .map_err(|e| format!("creating the admin account: {e:?}"))?;
    drop(conn);
    if let Some(password) = generated {
        // Printed once, to the terminal, and never stored in clear.
        eprintln!(
            "\n  Created the `admin` account. Its password, shown this once: {password}\n  \
             (set JIANYI_ADMIN_PASSWORD before the first start to choose it; change it with PUT /api/v1/me/password)\n"
        );
    }
    let mut state = AppState::with_pools(config.clone(), database.worker_pools(config), &database.url, &secret);
    state.postgres = database.supervision();
    let state = Arc::new(state);
    let upkeep_task = actix_web::rt::spawn(upkeep(pool.clone()));
    let auth = state.auth.clone();
    let url = database.url.clone();
    let revocations_task = actix_web::rt::spawn(async move { auth.listen_for_ended_sessions(url).await });
    let job_task = actix_web::rt::spawn(due_state_job(pool.clone(), config.due_soon_days, config.job_interval));
    let (stop_webhooks, stopping) = tokio::sync::watch::channel(false);
    let webhooks = crate::jobs::webhooks::Worker::new(pool.clone(), &config.webhooks);
    let webhook_task = actix_web::rt::spawn(webhooks.run(state.events.clone(), stopping));
    let sweep_task = actix_web::rt::spawn(sweep_job(pool, files));
    let next_worker = Arc::new(AtomicUsize::new(0));
    let server = HttpServer::new(move || {
        let worker = next_worker.fetch_add(1, Ordering::Relaxed);
        build_app(web::Data::new(state.for_worker(worker)))
    })
    .workers(config.workers)
    .shutdown_timeout(30)
    .bind(config.bind)
    .map_err(|e| format!("cannot listen on {} (JIANYI_BIND): {e}", config.bind))?
    .run();
    log::info!("serving on http://{}/ — API docs at http://{}/docs", config.bind, config.bind);
    let result = server.await.map_err(|e| e.to_string());
    // The worker gives back the deliveries it has in flight: whichever instance runs next
    // sends them (a worker killed instead leaves them to be taken after their lease).
    let _ = stop_webhooks.send(true);
    if tokio::time::timeout(Duration::from_secs(5), webhook_task).await.is_err() {
        log::warn!("the webhook worker did not stop in time; its deliveries are tried again after their lease");
    }
    upkeep_task.abort();
    job_task.abort();
    sweep_task.abort();
    revocations_task.abort();
    log::info!("stopped serving");
    result
}
