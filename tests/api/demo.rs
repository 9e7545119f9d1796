//! `jianyi demo`: the bureau's 2023, loadable twice, searchable in Chinese.

use serde_json::{Value, json};

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

/// `jianyi demo` carries the loaded year to its end through the API: the report's year,
/// 13 suggestions (3 lead, 2 split, 8 co), every one answered on time, submitted and
/// acknowledged, the bureau's replies published, the B-class promises done, every proposer
/// satisfied, every suggestion completed; then one 2024 item in progress. Again: nothing.
#[actix_web::test]
async fn the_demo_carries_the_seed_year_to_completion_by_api_calls() {
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    let done = jianyi::demo::year::finish(app.state.clone()).await.unwrap();
    assert_eq!((done.completed, done.already, done.left.len(), done.started_2024), (13, 0, 0, true));

    let all = app.get("/api/v1/suggestions?year=2023&limit=200").as_(Role::Office).send().await.json();
    let all = all["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 13);
    for s in &all {
        assert_eq!(s["status"], "completed", "{}", s["external_no"]);
        let id = s["id"].as_str().unwrap();
        let c = app.get(&format!("/api/v1/completions/{id}")).as_(Role::Office).send().await.expect(200).json();
        assert_eq!(c["basis"], "evaluated");
        let e = app.get(&format!("/api/v1/evaluations?suggestion_id={id}")).as_(Role::Office).send().await.json();
        let e = e["items"].as_array().unwrap();
        let proposers = 1 + s["co_signers"].as_array().map_or(0, |c| c.len());
        assert_eq!(e.len(), proposers, "every proposer evaluated {}", s["external_no"]);
        assert!(e.iter().all(|e| e["work"] == "satisfied" && e["result"] == "satisfied"));
    }
    // Answered on time: the bureau's letters and the lead units' replies by their due dates.
    let assignments = app.get("/api/v1/assignments?year=2023&limit=200").as_(Role::Office).send().await.json();
    let assignments = assignments["items"].as_array().unwrap().clone();
    let replies = app.get("/api/v1/replies?limit=200").as_(Role::Office).send().await.expect(200).json();
    let mut replies = replies["items"].as_array().unwrap().clone();
    replies.retain(|r| assignments.iter().any(|a| a["id"] == r["assignment_id"]));
    assert_eq!(replies.len(), 5, "the bureau answered 3 lead and 2 split");
    for r in &replies {
        let a = assignments.iter().find(|a| a["id"] == r["assignment_id"]).unwrap();
        assert!(r["signed_on"].as_str().unwrap() <= a["due_on"].as_str().unwrap(), "{r}");
    }
    let mut remote = 0;
    for s in &all {
        let path = format!("/api/v1/remote-replies?suggestion_id={}", s["id"].as_str().unwrap());
        for r in app.get(&path).as_(Role::Office).send().await.expect(200).json()["items"].as_array().unwrap() {
            let a = assignments.iter().find(|a| a["id"] == r["assignment_id"]).unwrap();
            assert!(r["replied_on"].as_str().unwrap() <= a["due_on"].as_str().unwrap(), "{r}");
            remote += 1;
        }
    }
    assert_eq!(remote, 8, "the lead units' replies to the 8 the bureau co-handled");
    // Submitted and acknowledged; published; B-class promises done.
    let subs = app.get("/api/v1/submissions?limit=200").as_(Role::Office).send().await.json();
    let subs = subs["items"].as_array().unwrap().clone();
    assert_eq!(subs.iter().filter(|s| s["state"] == "acknowledged").count(), 5);
    let public = app.get("/public/replies?year=2023").send().await.expect(200).json();
    assert_eq!(public["items"].as_array().unwrap().len(), 5);
    let b: Vec<&Value> = replies.iter().filter(|r| r["current"]["class"] == "B").collect();
    assert!(!b.is_empty());
    for r in b {
        let path = format!("/api/v1/commitments?reply_id={}", r["id"].as_str().unwrap());
        let c = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        let c = c["items"].as_array().unwrap();
        assert!(!c.is_empty() && c.iter().all(|c| c["state"] == "done"), "{c:?}");
    }
    // The 2024 item is in progress: its reply with the section head.
    let open = app.get("/api/v1/suggestions?year=2024").as_(Role::Office).send().await.json();
    let open = open["items"].as_array().unwrap().iter().find(|s| s["external_no"] == "241036").unwrap().clone();
    assert_eq!(open["status"], "handling");
    let path = format!("/api/v1/replies?suggestion_id={}", open["id"].as_str().unwrap());
    let r = app.get(&path).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(r["items"][0]["state"], "section_review");

    // Again: nothing changes.
    let again = jianyi::demo::year::finish(app.state.clone()).await.unwrap();
    assert_eq!((again.completed, again.already, again.left.len(), again.started_2024), (0, 13, 0, false));
}
