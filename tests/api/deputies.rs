//! Deputies and members: managed by the office, contact details as personal data,
//! confidential identities, linked accounts.

use serde_json::{Value, json};

use jianyi::auth::policy::Role;

use crate::support::TestApp;

pub async fn deputy(app: &TestApp, body: Value) -> Value {
    app.post("/api/v1/deputies").as_(Role::Office).json(&body).send().await.expect(201).json()
}

#[actix_web::test]
async fn the_office_registers_deputies_and_sees_their_contacts() {
    let app = TestApp::new().await;
    let yang = deputy(
        &app,
        json!({"body": "npc", "name": "杨国哲", "delegation": "城区代表团", "phone": "0371-6655 8899", "email": "yang@example.cn"}),
    )
    .await;
    assert_eq!(yang["contact"]["phone"], "0371-6655 8899");
    let id = yang["id"].as_str().unwrap();
    assert_eq!(app.audit_actions("deputy", id).await.len(), 1);
    assert_eq!(app.events(id).await, vec![("deputy.created".to_string(), Some(1))]);
    // The event carries no personal data.
    let mut conn = app.conn().await;
    let payload: Value = {
        use diesel::{ExpressionMethods, QueryDsl};
        use diesel_async::RunQueryDsl;
        use jianyi::db::schema::events::dsl as e;
        e::events.filter(e::entity_type.eq("deputy")).select(e::payload).first(&mut conn).await.unwrap()
    };
    assert!(!payload.to_string().contains("8899"), "{payload}");

    let page = app.get(&format!("/api/v1/deputies?q={}", crate::support::enc("杨"))).as_(Role::Admin).send().await;
    assert_eq!(page.expect(200).json()["items"][0]["name"], "杨国哲");

    // The same person twice in the same delegation is a conflict.
    let res = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "杨国哲", "delegation": "城区代表团"}))
        .send()
        .await;
    res.problem(409, "already_exists");
    let res = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "", "phone": "call me", "email": "nobody@", "user_id": app.user(Role::Handler).id}))
        .send()
        .await;
    let fields: Vec<String> = res.problem(422, "validation_failed")["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["name", "phone", "email", "user_id"]);
    let res = app.post("/api/v1/deputies").as_(Role::Office).json(&json!({"body": "senate", "name": "x"})).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "body");

    let path = format!("/api/v1/deputies/{id}");
    app.patch(&path).as_(Role::Office).json(&json!({"phone": null})).send().await.problem(428, "if_match_required");
    let changed =
        app.patch(&path).as_(Role::Office).if_match(1).json(&json!({"phone": null, "confidential": true})).send().await;
    let changed = changed.expect(200).json();
    assert!(changed["contact"]["phone"].is_null());
    assert_eq!(changed["confidential"], true);
    assert_eq!(changed["version"], 2);
    app.patch(&path)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .problem(412, "stale_version");
}

#[actix_web::test]
async fn a_deputy_sees_only_their_own_record() {
    let app = TestApp::new().await;
    let own = deputy(
        &app,
        json!({"body": "npc", "name": "曹孟", "phone": "13800000000", "user_id": app.user(Role::Deputy).id}),
    )
    .await;
    let other = deputy(&app, json!({"body": "npc", "name": "陈少军", "phone": "13900000000"})).await;
    let mine = app.get(&format!("/api/v1/deputies/{}", own["id"].as_str().unwrap())).as_(Role::Deputy).send().await;
    assert_eq!(mine.expect(200).json()["contact"]["phone"], "13800000000");
    let theirs = app.get(&format!("/api/v1/deputies/{}", other["id"].as_str().unwrap())).as_(Role::Deputy).send().await;
    theirs.problem(404, "not_found");
    let list = app.get("/api/v1/deputies").as_(Role::Deputy).send().await.expect(200).json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Linking an account twice is a conflict.
    let res = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "又一位", "user_id": app.user(Role::Deputy).id}))
        .send()
        .await;
    res.problem(409, "already_exists");
}

#[actix_web::test]
async fn deputies_are_for_the_office_and_admins() {
    let app = TestApp::new().await;
    let d = deputy(&app, json!({"body": "cppcc", "name": "李委员", "delegation": "经济界"})).await;
    let path = format!("/api/v1/deputies/{}", d["id"].as_str().unwrap());
    for role in Role::ALL {
        let list = app.get("/api/v1/deputies").as_(role).send().await;
        let read = app.get(&path).as_(role).send().await;
        let create = app
            .post("/api/v1/deputies")
            .as_(role)
            .json(&json!({"body": "npc", "name": format!("代表{}", role.as_str())}))
            .send()
            .await;
        let update =
            app.patch(&path).as_(role).header("if-match", "*").json(&json!({"delegation": "经济界"})).send().await;
        match role {
            Role::Admin | Role::Office => {
                list.expect(200);
                read.expect(200);
                create.expect(201);
                update.expect(200);
            }
            Role::Deputy => {
                list.expect(200);
                read.problem(404, "not_found");
                create.problem(403, "forbidden");
                update.problem(403, "forbidden");
            }
            _ => {
                list.problem(403, "forbidden");
                read.problem(403, "forbidden");
                create.problem(403, "forbidden");
                update.problem(403, "forbidden");
            }
        }
    }
}
