//! The audit log: written with each change, filtered and paged, append-only.

use diesel_async::RunQueryDsl;
use serde_json::json;

use jianyi::auth::policy::Role;

use crate::support::TestApp;

#[actix_web::test]
async fn changes_are_audited_in_order_and_the_log_pages() {
    let app = TestApp::new().await;
    for name in ["市教育局", "市卫健委", "市民政局"] {
        app.post("/api/v1/units")
            .as_(Role::Admin)
            .header("x-request-id", &format!("req-{}", name.chars().count()))
            .json(&json!({"name": name, "kind": "external"}))
            .send()
            .await
            .expect(201);
    }
    let page = app.get("/api/v1/audit?entity_type=unit&limit=2").as_(Role::Admin).send().await.expect(200).json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["after"]["name"], "市民政局", "newest first");
    assert_eq!(items[0]["actor_name"], "admin");
    assert!(items[0]["before"].is_null());
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!("/api/v1/audit?entity_type=unit&limit=2&cursor={cursor}"))
        .as_(Role::Admin)
        .send()
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["after"]["name"], "市教育局");
    assert!(rest["next_cursor"].is_null());

    let by_actor = app
        .get(&format!("/api/v1/audit?actor_id={}&action=unit.create", app.user(Role::Admin).id))
        .as_(Role::Admin)
        .send()
        .await
        .json();
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 3);
    let future = app.get("/api/v1/audit?since=2100-01-01T00:00:00Z").as_(Role::Admin).send().await.json();
    assert!(future["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/audit?since=yesterday").as_(Role::Admin).send().await.problem(400, "invalid_query");
    app.get("/api/v1/audit?colour=red").as_(Role::Admin).send().await.problem(400, "invalid_query");
}

#[actix_web::test]
async fn a_failed_change_writes_no_audit_row() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/units/{}", app.units.forestry);
    app.patch(&path)
        .as_(Role::Admin)
        .if_match(99)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .problem(412, "stale_version");
    app.patch(&path)
        .as_(Role::Admin)
        .if_match(1)
        .json(&json!({"name": ""}))
        .send()
        .await
        .problem(422, "validation_failed");
    assert!(app.audit_actions("unit", &app.units.forestry.to_string()).await.is_empty());
}

#[actix_web::test]
async fn the_audit_log_cannot_be_rewritten() {
    let app = TestApp::new().await;
    app.post("/api/v1/units")
        .as_(Role::Admin)
        .json(&json!({"name": "市统计局", "kind": "external"}))
        .send()
        .await
        .expect(201);
    let mut conn = app.conn().await;
    let update = diesel::sql_query("UPDATE audit_log SET action = 'forged'").execute(&mut conn).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM audit_log").execute(&mut conn).await;
    assert!(delete.is_err());
}
