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
    assert_eq!(first.suggestions_assigned, 13);
    assert_eq!(
        (
            again.units,
            again.accounts,
            again.suggestions_created,
            again.suggestions_unchanged,
            again.suggestions_assigned
        ),
        (0, 0, 0, 13, 0)
    );

    // Assigned as the report says: from the bureau's side, 3 lead, 2 split, 8 co.
    let bureau = app
        .get(&format!("/api/v1/units?q={}", enc("市自然资源和规划局")))
        .as_(Role::Office)
        .send()
        .await
        .json()["items"][0]["id"]
        .clone();
    let mine = app
        .get(&format!("/api/v1/assignments?unit_id={}&limit=200", bureau.as_str().unwrap()))
        .as_(Role::Office)
        .send()
        .await
        .expect(200)
        .json();
    let mut roles: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|a| a["role"].as_str().unwrap()).collect();
    roles.sort();
    let count = |r: &str| roles.iter().filter(|x| **x == r).count();
    assert_eq!((count("lead"), count("split"), count("co")), (3, 2, 8), "{roles:?}");
    let bus = mine["items"].as_array().unwrap().iter().find(|a| a["external_no"] == "183050").unwrap();
    assert_eq!((bus["role"].as_str(), bus["section_name"].as_str()), (Some("lead"), Some("建设工程管理科")));
    assert_eq!(bus["due_on"], "2023-06-06");
    let key = app
        .get(&format!("/api/v1/suggestions/{}", bus["suggestion_id"].as_str().unwrap()))
        .as_(Role::Office)
        .send()
        .await
        .json();
    assert!(key["supervisor_id"].is_string(), "a key suggestion names its supervising leader");

    // The ledger puts key suggestions first, and pages through it in the same order.
    let ledger = app.get("/api/v1/suggestions?year=2023&sort=ledger&limit=200").as_(Role::Office).send().await.json();
    let whole: Vec<(bool, String)> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["is_key"].as_bool().unwrap(), s["external_no"].as_str().unwrap().to_string()))
        .collect();
    let keys = jianyi::demo::SUGGESTIONS.iter().filter(|s| s.is_key).count();
    assert!(keys > 0 && whole[..keys].iter().all(|s| s.0) && whole[keys..].iter().all(|s| !s.0), "{whole:?}");
    assert!(whole[keys..].windows(2).all(|w| w[0].1 < w[1].1), "then by number: {whole:?}");
    let mut paged = Vec::new();
    let mut path = "/api/v1/suggestions?year=2023&sort=ledger&limit=4".to_string();
    loop {
        let page = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        paged.extend(page["items"].as_array().unwrap().iter().map(|s| s["external_no"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/suggestions?year=2023&sort=ledger&limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, whole.iter().map(|s| s.1.clone()).collect::<Vec<_>>());

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
