//! `jianyi demo`: the bureau's 2023, loadable twice, searchable in Chinese.

use serde_json::json;

use jianyi::auth::policy::Role;

use crate::support::{TestApp, enc};

#[actix_web::test]
async fn the_demo_year_loads_once_and_is_searchable() {
    let app = TestApp::new().await;
    let first = jianyi::demo::load(&app.state.pool).await.unwrap();
    assert_eq!(first.suggestions_created, 13);
    let again = jianyi::demo::load(&app.state.pool).await.unwrap();
    assert_eq!((again.units, again.accounts, again.suggestions_created, again.suggestions_unchanged), (0, 0, 0, 13));

    let all = app.get("/api/v1/suggestions?year=2023&limit=200").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(all["items"].as_array().unwrap().len(), 13);
    let found = app.get(&format!("/api/v1/suggestions?q={}", enc("公交站点"))).as_(Role::Office).send().await.json();
    assert_eq!(found["items"][0]["external_no"], "183050");
    assert_eq!(found["items"][0]["proposer"]["name"], "杨国哲");
    let found = app.get(&format!("/api/v1/suggestions?q={}", enc("黄河 生态"))).as_(Role::Office).send().await.json();
    assert_eq!(found["items"][0]["external_no"], "183175");

    // The demo accounts sign in; the deputy sees the suggestions they proposed or co-signed.
    let tokens = app
        .post("/api/v1/auth/token")
        .json(&json!({"grant_type": "password", "username": "yangguozhe", "password": jianyi::demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect(200)
        .json();
    let own = app.get("/api/v1/suggestions").bearer(tokens["access_token"].as_str().unwrap()).send().await.json();
    let mut numbers: Vec<&str> =
        own["items"].as_array().unwrap().iter().map(|s| s["external_no"].as_str().unwrap()).collect();
    numbers.sort();
    assert_eq!(numbers, vec!["183050", "183061"]);
    app.post("/api/v1/auth/token")
        .json(&json!({"grant_type": "client_credentials", "client_id": "municipal-sync", "client_secret": jianyi::demo::DEMO_SYNC_SECRET}))
        .send()
        .await
        .expect(200);
}
