//! The database: connection pool, embedded migrations, schema, the enum column types, and
//! the local cluster.

pub mod enums;
pub mod local;
pub mod schema;
pub mod sql;

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// A pool whose checkouts give up after `timeout` (then the caller answers 503).
pub fn pool(url: &str, max_size: usize, timeout: Duration) -> DbPool {
    let mut config = ManagerConfig::default();
    // `Verified` would cost a round trip per checkout; a broken connection is still
    // detected and dropped.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .expect("a pool with a runtime and timeouts always builds")
}

/// One connection from the pool, or 503 when the database cannot be reached in time.
pub async fn conn(pool: &DbPool) -> Result<DbConn, AppError> {
    pool.get().await.map_err(|e| AppError::unavailable(format!("database pool: {e}")))
}

/// Applies the pending embedded migrations; returns the versions applied.
pub async fn migrate(url: &str) -> Result<Vec<String>, String> {
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    let url = url.to_string();
    // A thread outside any runtime: the wrapper brings its own current-thread runtime.
    let worker = std::thread::spawn(move || -> Result<Vec<String>, String> {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
            .map_err(|e| format!("connecting to run migrations: {e}"))?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map_err(|e| format!("migrating: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    });
    tokio::task::spawn_blocking(move || worker.join())
        .await
        .map_err(|e| format!("migration task: {e}"))?
        .map_err(|_| "the migration thread panicked".to_string())?
}

/// Creates `name` through the maintenance database at `admin_url` unless it exists.
pub async fn ensure_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut conn =
        AsyncPgConnection::establish(admin_url).await.map_err(|e| format!("connecting to {admin_url}: {e}"))?;
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{}')",
        name.replace('\'', "''")
    )))
    .get_result(&mut conn)
    .await
    .map_err(|e| format!("looking for database {name}: {e}"))?;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("creating database {name}: {e}"))?;
    }
    Ok(())
}

/// Runs `f` in a transaction (a savepoint when nested): committed when it returns `Ok`,
/// rolled back otherwise. A connection dropped mid-transaction is discarded by the pool.
pub async fn transaction<R>(
    conn: &mut AsyncPgConnection,
    f: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R, AppError>,
) -> Result<R, AppError> {
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction(conn).await?;
    match f(conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(conn).await {
                log::warn!("rollback failed: {rollback}");
            }
            Err(e)
        }
    }
}
