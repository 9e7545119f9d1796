//! Health, readiness, metrics, the docs, and the schema's own rules.

use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

use jianyi::auth::policy::Role;

use crate::support::TestApp;

#[actix_web::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz").send().await.expect(200).json()["status"], "ok");
    assert_eq!(app.get("/readyz").send().await.expect(200).json()["status"], "ready");
    app.get("/api/v1/units").as_(Role::Office).send().await.expect(200);
    app.get("/api/v1/units/not-a-uuid").as_(Role::Office).send().await.expect(400);
    let text = String::from_utf8(app.get("/metrics").send().await.expect(200).body).unwrap();
    assert!(
        text.contains(r#"jianyi_http_requests_total{method="GET",route="/api/v1/units",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/units/{id}",status="400""#), "{text}");
    assert!(text.contains("jianyi_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"jianyi_db_pool_connections{state="in_use"}"#));
    assert!(text.contains(r#"jianyi_db_pool_connections{state="waiting"} 0"#));
}

#[actix_web::test]
async fn the_docs_are_served() {
    let app = TestApp::new().await;
    let res = app.get("/docs").send().await;
    assert_eq!(res.status.as_u16(), 307);
    assert_eq!(res.header("location"), Some("/docs/"));
    let page = String::from_utf8(app.get("/docs/").send().await.expect(200).body).unwrap();
    assert!(page.contains("swagger"), "Swagger UI");
    let spec = app.get("/openapi.json").send().await.expect(200).json();
    assert_eq!(spec["info"]["title"], "jianyi");
    assert!(spec["paths"]["/api/v1/auth/token"]["post"].is_object());
}

#[derive(diesel::QueryableByName)]
struct Unindexed {
    #[diesel(sql_type = Text)]
    constraint_name: String,
}

/// Every foreign key has an index that starts with its columns (deletes and joins stay fast).
#[actix_web::test]
async fn every_foreign_key_is_indexed() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let missing: Vec<Unindexed> = diesel::sql_query(
        "SELECT c.conname::text AS constraint_name FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND NOT EXISTS ( \
           SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid \
             AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<&str> = missing.iter().map(|m| m.constraint_name.as_str()).collect();
    assert!(names.is_empty(), "foreign keys without an index: {names:?}");
}

/// The service's own PostgreSQL is supervised: killed, it is restarted (and `/metrics`
/// says so), and a query works again without anything done by hand.
#[actix_web::test]
async fn a_killed_local_postgres_is_restarted() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use diesel_async::{AsyncConnection, AsyncPgConnection};
    use jianyi::db::local::{Lifetime, LocalCluster};

    let root = std::env::temp_dir().join(format!("jianyi-supervised-{}", uuid::Uuid::new_v4().simple()));
    let root2 = root.clone();
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&root2, Lifetime::Ephemeral))
        .await
        .unwrap()
        .expect("a local cluster");
    let url = cluster.url("postgres");
    let first = cluster.supervision.pid().expect("a running postmaster");
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child.
    unsafe { libc::kill(first as libc::pid_t, libc::SIGKILL) };

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut answered = false;
    while std::time::Instant::now() < deadline && !answered {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if let Ok(mut conn) = AsyncPgConnection::establish(&url).await {
            answered = diesel::sql_query("SELECT 1").execute(&mut conn).await.is_ok();
        }
    }
    assert!(answered, "PostgreSQL answers again after it was killed");
    // (Atomics read by path: diesel's `load` is in scope.)
    assert_eq!(AtomicU64::load(&cluster.supervision.restarts, Ordering::SeqCst), 1);
    assert!(AtomicBool::load(&cluster.supervision.up, Ordering::SeqCst));
    assert_ne!(cluster.supervision.pid(), Some(first));

    let metrics = jianyi::http::metrics::Metrics::new();
    let text = metrics.render([], Some(&cluster.supervision));
    assert!(text.contains(r#"jianyi_local_postgres{state="restarts"} 1"#), "{text}");
    assert!(text.contains(r#"jianyi_local_postgres{state="up"} 1"#), "{text}");
    drop(cluster);
    let _ = std::fs::remove_dir_all(root);
}
