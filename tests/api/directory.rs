//! Units and users: administration, validation, audit rows, and who may do what.

use actix_web::http::Method;
use serde_json::{Value, json};

use jianyi::auth::policy::Role;

use crate::support::{PASSWORD, TestApp};

#[actix_web::test]
async fn admins_build_the_unit_tree() {
    let app = TestApp::new().await;
    let section = json!({"name": "国土空间规划科", "kind": "section", "parent_id": app.units.bureau});
    let res = app.post("/api/v1/units").as_(Role::Admin).json(&section).send().await.expect(201);
    let unit = res.json();
    assert_eq!(unit["name"], "国土空间规划科");
    assert_eq!(unit["version"], 1);
    let id = unit["id"].as_str().unwrap();
    assert_eq!(app.audit_actions("unit", id).await, vec![("unit.create".to_string(), Some(app.user(Role::Admin).id))]);

    let orphan = json!({"name": "无主科", "kind": "section"});
    let res = app.post("/api/v1/units").as_(Role::Admin).json(&orphan).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "parent_id");
    let under_external = json!({"name": "某科", "kind": "section", "parent_id": app.units.transport});
    app.post("/api/v1/units").as_(Role::Admin).json(&under_external).send().await.problem(422, "validation_failed");
    let unknown_parent = json!({"name": "某科", "kind": "section", "parent_id": uuid::Uuid::now_v7()});
    let res = app.post("/api/v1/units").as_(Role::Admin).json(&unknown_parent).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "unknown_reference");
    let blank = json!({"name": "   ", "kind": "external"});
    app.post("/api/v1/units").as_(Role::Admin).json(&blank).send().await.problem(422, "validation_failed");

    let sections =
        app.get(&format!("/api/v1/units?kind=section&parent_id={}", app.units.bureau)).as_(Role::Office).send().await;
    let names: Vec<Value> = sections.json()["items"].as_array().unwrap().iter().map(|u| u["name"].clone()).collect();
    assert_eq!(names.len(), 4);
    let found =
        app.get(&format!("/api/v1/units?q={}", crate::support::enc("交通"))).as_(Role::Handler).send().await.json();
    assert_eq!(found["items"][0]["name"], "市交通运输局");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_unit_in_use_cannot_be_deleted() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/units/{}", app.units.construction);
    let version = app.get(&path).as_(Role::Admin).send().await.version();
    let res = app.delete(&path).as_(Role::Admin).if_match(version).send().await;
    res.problem(409, "in_use");
    app.delete(&path).as_(Role::Admin).send().await.problem(428, "if_match_required");

    let created = app
        .post("/api/v1/units")
        .as_(Role::Admin)
        .json(&json!({"name": "临时单位", "kind": "external"}))
        .send()
        .await
        .expect(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    app.delete(&format!("/api/v1/units/{id}")).as_(Role::Admin).if_match(1).send().await.expect(204);
    app.get(&format!("/api/v1/units/{id}")).as_(Role::Admin).send().await.problem(404, "not_found");
    let actions: Vec<String> = app.audit_actions("unit", &id).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions, vec!["unit.create", "unit.delete"]);
}

#[actix_web::test]
async fn admins_create_people_and_service_accounts() {
    let app = TestApp::new().await;
    let new = json!({
        "username": "杨科长", "display_name": "杨科长", "roles": ["section_head"],
        "unit_id": app.units.farmland,
    });
    let res = app.post("/api/v1/users").as_(Role::Admin).header("idempotency-key", "u-1").json(&new).send().await;
    let created = res.expect(201).json();
    let password = created["initial_password"].as_str().unwrap().to_string();
    assert!(created.get("secret_hash").is_none());
    let tokens = app
        .post("/api/v1/auth/token")
        .json(&json!({"grant_type": "password", "username": "杨科长", "password": password}))
        .send()
        .await
        .expect(200)
        .json();
    let me = app.get("/api/v1/me").bearer(tokens["access_token"].as_str().unwrap()).send().await.expect(200).json();
    assert_eq!(me["unit"]["name"], "耕地保护科");

    // A replay answers without the one-time secret, which is stored nowhere.
    let replay = app.post("/api/v1/users").as_(Role::Admin).header("idempotency-key", "u-1").json(&new).send().await;
    let replay = replay.expect(201).json();
    assert_eq!(replay["id"], created["id"]);
    assert!(replay.get("initial_password").is_none());

    let service =
        json!({"username": "municipal-sync", "display_name": "市人大建议系统", "kind": "service", "roles": ["sync"]});
    let created = app.post("/api/v1/users").as_(Role::Admin).json(&service).send().await.expect(201).json();
    let secret = created["client_secret"].as_str().unwrap();
    app.post("/api/v1/auth/token")
        .json(&json!({"grant_type": "client_credentials", "client_id": "municipal-sync", "client_secret": secret}))
        .send()
        .await
        .expect(200);

    // Rotating the secret ends the old one.
    let id = created["id"].as_str().unwrap();
    let rotated = app
        .patch(&format!("/api/v1/users/{id}"))
        .as_(Role::Admin)
        .if_match(1)
        .json(&json!({"rotate_secret": true}))
        .send()
        .await
        .expect(200)
        .json();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let grant =
        |s: &str| json!({"grant_type": "client_credentials", "client_id": "municipal-sync", "client_secret": s});
    app.post("/api/v1/auth/token").json(&grant(secret)).send().await.problem(401, "invalid_client");
    app.post("/api/v1/auth/token").json(&grant(new_secret)).send().await.expect(200);
}

#[actix_web::test]
async fn bad_users_are_refused_with_field_errors() {
    let app = TestApp::new().await;
    let post = async |body: Value| app.post("/api/v1/users").as_(Role::Admin).json(&body).send().await;
    let fields = |res: crate::support::Reply| -> Vec<(String, String)> {
        res.problem(422, "validation_failed")["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
            .collect()
    };
    let res = post(json!({"username": "x", "display_name": "x", "roles": ["handler"]})).await;
    assert_eq!(fields(res), vec![("roles".to_string(), "unit_required".to_string())]);
    let res =
        post(json!({"username": "x", "display_name": "x", "roles": ["co_handler"], "unit_id": app.units.construction}))
            .await;
    assert_eq!(fields(res), vec![("roles".to_string(), "unit_required".to_string())]);
    let res = post(json!({"username": "a b", "display_name": "", "roles": [], "password": "short"})).await;
    let f = fields(res);
    for field in ["username", "display_name", "roles", "password"] {
        assert!(f.iter().any(|(name, _)| name == field), "{field} in {f:?}");
    }
    let res = post(json!({"username": "x", "display_name": "x", "roles": ["sync"]})).await;
    assert_eq!(fields(res)[0].0, "roles");
    let res = post(json!({"username": "x", "display_name": "x", "roles": ["wizard"]})).await;
    assert_eq!(fields(res)[0].0, "roles[0]");
    let res =
        post(json!({"username": "x", "display_name": "x", "roles": ["handler"], "unit_id": uuid::Uuid::now_v7()}))
            .await;
    assert_eq!(fields(res)[0], ("unit_id".to_string(), "unknown_reference".to_string()));

    // Usernames are unique without regard to case.
    let res =
        post(json!({"username": "OFFICE", "display_name": "x", "roles": ["office"], "unit_id": app.units.office}))
            .await;
    assert_eq!(res.problem(409, "already_exists")["errors"][0]["field"], "username");
}

#[actix_web::test]
async fn changing_roles_ends_sessions_and_is_audited() {
    let app = TestApp::new().await;
    let handler = app.user(Role::Handler).clone();
    let path = format!("/api/v1/users/{}", handler.id);
    let res = app
        .patch(&path)
        .as_(Role::Admin)
        .if_match(1)
        .json(&json!({"roles": ["section_head"], "display_name": "李明"}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.json()["roles"], json!(["section_head"]));
    assert_eq!(res.version(), 2);
    app.get("/api/v1/me").bearer(&handler.token).send().await.problem(401, "session_revoked");
    let tokens = app
        .post("/api/v1/auth/token")
        .json(&json!({"grant_type": "password", "username": "handler", "password": PASSWORD}))
        .send()
        .await
        .expect(200)
        .json();
    let me = app.get("/api/v1/me").bearer(tokens["access_token"].as_str().unwrap()).send().await.json();
    assert_eq!(me["roles"], json!(["section_head"]));

    let audit =
        app.get(&format!("/api/v1/audit?entity_type=user&entity_id={}", handler.id)).as_(Role::Admin).send().await;
    let entry = &audit.expect(200).json()["items"][0];
    assert_eq!(entry["action"], "user.update");
    assert_eq!(entry["before"]["roles"], json!(["handler"]));
    assert_eq!(entry["after"]["roles"], json!(["section_head"]));
    assert_eq!(entry["after"]["display_name"], "李明");
    assert!(entry["request_id"].is_string());

    // A display name alone does not end sessions.
    let office = app.user(Role::Office).clone();
    app.patch(&format!("/api/v1/users/{}", office.id))
        .as_(Role::Admin)
        .if_match(1)
        .json(&json!({"display_name": "办公室王主任"}))
        .send()
        .await
        .expect(200);
    app.get("/api/v1/me").bearer(&office.token).send().await.expect(200);
}

#[actix_web::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).id;
    let path = format!("/api/v1/users/{admin}");
    let res = app.patch(&path).as_(Role::Admin).if_match(1).json(&json!({"active": false})).send().await;
    res.problem(409, "would_lock_out");
    let res = app
        .patch(&path)
        .as_(Role::Admin)
        .if_match(1)
        .json(&json!({"roles": ["office"], "unit_id": app.units.office}))
        .send()
        .await;
    res.problem(409, "would_lock_out");
    app.delete(&path).as_(Role::Admin).if_match(1).send().await.problem(409, "would_lock_out");
    // Deleting someone else works, and their token stops.
    let deputy = app.user(Role::Deputy).clone();
    app.delete(&format!("/api/v1/users/{}", deputy.id)).as_(Role::Admin).if_match(1).send().await.expect(204);
    app.get("/api/v1/me").bearer(&deputy.token).send().await.problem(401, "session_revoked");
}

/// Every directory operation, for every role: the policy's answer.
#[actix_web::test]
async fn directory_authorization_cell_by_cell() {
    let app = TestApp::new().await;
    let readers = [Role::Admin, Role::Office, Role::Leader, Role::SectionHead, Role::Handler];
    let unit = format!("/api/v1/units/{}", app.units.forestry);
    let user = format!("/api/v1/users/{}", app.other_handler.id);
    for role in jianyi::auth::policy::Role::ALL {
        let read_status = if readers.contains(&role) { 200 } else { 403 };
        for path in ["/api/v1/units", "/api/v1/users", unit.as_str(), user.as_str()] {
            let res = app.get(path).as_(role).send().await;
            assert_eq!(res.status.as_u16(), read_status, "{role:?} GET {path}");
        }
        let write_ok = role == Role::Admin;
        let cases: Vec<(Method, String, Value)> = vec![
            (
                Method::POST,
                "/api/v1/units".into(),
                json!({"name": format!("新单位{}", role.as_str()), "kind": "external"}),
            ),
            (Method::PATCH, unit.clone(), json!({"name": "市林业局"})),
            (
                Method::POST,
                "/api/v1/users".into(),
                json!({"username": format!("new_{}", role.as_str()), "display_name": "x", "roles": ["deputy"]}),
            ),
            (Method::PATCH, user.clone(), json!({"display_name": "x"})),
        ];
        for (method, path, body) in cases {
            let res = app.req(method.clone(), &path).as_(role).header("if-match", "*").json(&body).send().await;
            if write_ok {
                assert!(res.status.is_success(), "{role:?} {method} {path}: {:?}", res.status);
            } else {
                res.problem(403, "forbidden");
            }
        }
        if role != Role::Admin {
            for path in [unit.as_str(), user.as_str()] {
                app.delete(path).as_(role).if_match(1).send().await.problem(403, "forbidden");
            }
        }
        let res = app.get("/api/v1/audit").as_(role).send().await;
        assert_eq!(res.status.as_u16(), if role == Role::Admin { 200 } else { 403 }, "{role:?} audit");
        app.get("/api/v1/me").as_(role).send().await.expect(200);
    }
    // Anonymous callers get 401 everywhere.
    for path in ["/api/v1/units", "/api/v1/users", "/api/v1/audit", "/api/v1/me"] {
        app.get(path).send().await.problem(401, "missing_token");
    }
}

#[actix_web::test]
async fn user_lists_filter_and_page() {
    let app = TestApp::new().await;
    let page = app.get("/api/v1/users?role=handler").as_(Role::Office).send().await.expect(200).json();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["handler", "other_handler"]);
    let page =
        app.get(&format!("/api/v1/users?unit_id={}", app.units.construction)).as_(Role::Office).send().await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let page = app.get("/api/v1/users?kind=service").as_(Role::Office).send().await.json();
    assert_eq!(page["items"][0]["username"], "sync");
    let mut names = Vec::new();
    let mut path = "/api/v1/users?q=HANDLER&limit=1".to_string();
    loop {
        let page = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        names.push(page["items"][0]["username"].as_str().unwrap().to_string());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?q=HANDLER&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(names, vec!["co_handler", "handler", "other_co_handler", "other_handler"]);
}
