//! The conventions every endpoint shares: problem+json for every rejection, ETag and
//! If-Match, Idempotency-Key, cursor pagination, request ids, CORS, 503.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use jianyi::auth::policy::Role;

use crate::support::{TestApp, test_config};

#[actix_web::test]
async fn framework_rejections_are_problem_json() {
    let app = TestApp::with_config(|c| c.body_limit = 2048).await;
    let units = "/api/v1/units";
    let res = app.post(units).as_(Role::Admin).body("application/json", "{\"name\": ").send().await;
    res.problem(400, "malformed_json");

    let res = app.post(units).as_(Role::Admin).json(&json!({"kind": "section"})).send().await;
    let body = res.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "name");
    assert_eq!(body["errors"][0]["code"], "required");

    let res = app.post(units).as_(Role::Admin).json(&json!({"name": "某科", "kind": "castle"})).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "kind");

    let res =
        app.post(units).as_(Role::Admin).json(&json!({"name": "某科", "kind": "external", "colour": 1})).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "unknown_field");

    app.get("/api/v1/units?limit=many").as_(Role::Admin).send().await.problem(400, "invalid_query");
    app.get("/api/v1/units?kind=castle").as_(Role::Admin).send().await.problem(400, "invalid_query");
    app.get("/api/v1/units/not-a-uuid").as_(Role::Admin).send().await.problem(400, "invalid_path");
    app.get("/api/v1/nothing-here").send().await.problem(404, "not_found");

    let res = app.put(units).as_(Role::Admin).send().await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, POST"));

    let big = json!({"name": "大".repeat(2000), "kind": "external"});
    app.post(units).as_(Role::Admin).json(&big).send().await.problem(413, "payload_too_large");

    let res = app.post(units).as_(Role::Admin).body("text/plain", "name=x").send().await;
    res.problem(415, "unsupported_media_type");
    let res = app.post(units).as_(Role::Admin).body("application/xml", "<unit/>").send().await;
    res.problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn updates_need_the_current_etag() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/units/{}", app.units.farmland);
    let read = app.get(&path).as_(Role::Admin).send().await.expect(200);
    let version = read.version();
    assert_eq!(read.json()["version"], version);

    let rename = json!({"name": "耕地保护监督科"});
    app.patch(&path).as_(Role::Admin).json(&rename).send().await.problem(428, "if_match_required");
    let res = app.patch(&path).as_(Role::Admin).if_match(version + 7).json(&rename).send().await;
    assert_eq!(res.problem(412, "stale_version")["current_version"], version);
    // Nothing changed.
    assert_eq!(app.get(&path).as_(Role::Admin).send().await.json()["name"], "耕地保护科");

    let res = app.patch(&path).as_(Role::Admin).if_match(version).json(&rename).send().await.expect(200);
    assert_eq!(res.version(), version + 1);
    assert_eq!(res.json()["name"], "耕地保护监督科");
    // The old ETag is now stale; `*` matches any.
    app.patch(&path).as_(Role::Admin).if_match(version).json(&rename).send().await.problem(412, "stale_version");
    app.patch(&path).as_(Role::Admin).header("if-match", "*").json(&json!({"active": false})).send().await.expect(200);
    // A weak tag never matches.
    let res = app
        .patch(&path)
        .as_(Role::Admin)
        .header("if-match", &format!("W/\"{}\"", version + 2))
        .json(&rename)
        .send()
        .await;
    res.problem(412, "stale_version");
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let app = TestApp::new().await;
    let body = json!({"name": "市水利局", "kind": "external"});
    let first = app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-1").json(&body).send().await;
    let first = first.expect(201);
    let id = first.json()["id"].as_str().unwrap().to_string();
    assert_eq!(first.header("location"), Some(format!("/api/v1/units/{id}").as_str()));

    let again = app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-1").json(&body).send().await;
    let again = again.expect(201);
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.audit_actions("unit", &id).await.len(), 1, "created once");

    let other = json!({"name": "市住建局", "kind": "external"});
    let res = app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-1").json(&other).send().await;
    res.problem(422, "idempotency_key_reused");

    // Without a key the same body is a new request (and here a duplicate name).
    let res = app.post("/api/v1/units").as_(Role::Admin).json(&body).send().await;
    let problem = res.problem(409, "already_exists");
    assert_eq!(problem["errors"][0]["field"], "name");

    let res = app
        .post("/api/v1/units")
        .as_(Role::Admin)
        .header("idempotency-key", &"k".repeat(256))
        .json(&other)
        .send()
        .await;
    res.problem(400, "invalid_idempotency_key");
}

#[actix_web::test]
async fn an_idempotency_key_in_flight_is_a_409_and_keys_expire() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).id;
    let body = json!({"name": "市应急管理局", "kind": "external"});
    let url = app.state.config.database_url.clone().unwrap();
    let mut holder = AsyncPgConnection::establish(&url).await.unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).await.unwrap();
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", jianyi::http::idempotency::lock_id(admin, "k-2")))
        .execute(&mut holder)
        .await
        .unwrap();
    let res = app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-2").json(&body).send().await;
    res.problem(409, "idempotency_in_flight");
    diesel::sql_query("COMMIT").execute(&mut holder).await.unwrap();
    app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-2").json(&body).send().await.expect(201);

    // After 24 hours the key is free again.
    diesel::sql_query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&mut holder)
        .await
        .unwrap();
    let other = json!({"name": "市审计局", "kind": "external"});
    app.post("/api/v1/units").as_(Role::Admin).header("idempotency-key", "k-2").json(&other).send().await.expect(201);
}

#[actix_web::test]
async fn lists_page_with_signed_cursors() {
    let app = TestApp::new().await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/units?limit=2".to_string();
    loop {
        let page = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["name"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/units?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "a stable order, each once");

    app.get("/api/v1/units?limit=201").as_(Role::Office).send().await.problem(400, "invalid_query");
    app.get("/api/v1/units?limit=0").as_(Role::Office).send().await.problem(400, "invalid_query");
    let page = app.get("/api/v1/units?limit=1").as_(Role::Office).send().await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let (payload, sig) = cursor.split_once('.').unwrap();
    let tampered = format!("{}x.{sig}", &payload[..payload.len() - 1]);
    let res = app.get(&format!("/api/v1/units?cursor={tampered}")).as_(Role::Office).send().await;
    res.problem(400, "invalid_cursor");
    app.get("/api/v1/units?cursor=garbage").as_(Role::Office).send().await.problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn request_ids_are_kept_or_made() {
    let app = TestApp::new().await;
    let res = app.get("/healthz").header("x-request-id", "client-abc.123").send().await.expect(200);
    assert_eq!(res.header("x-request-id"), Some("client-abc.123"));
    let res = app.get("/healthz").header("x-request-id", "no spaces allowed").send().await.expect(200);
    assert_ne!(res.header("x-request-id"), Some("no spaces allowed"));
    assert_eq!(res.header("x-request-id").unwrap().len(), 32);
    // An error body names the same id.
    let res = app.get("/api/v1/me").header("x-request-id", "trace-me").send().await;
    assert_eq!(res.problem(401, "missing_token")["request_id"], "trace-me");
}

#[actix_web::test]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        app.req(actix_web::http::Method::OPTIONS, "/api/v1/units")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, if-match, idempotency-key")
    };
    let res = preflight("https://portal.example.gov.cn").send().await.expect(200);
    assert_eq!(res.header("access-control-allow-origin"), Some("https://portal.example.gov.cn"));
    let res = preflight("https://evil.example").send().await;
    assert!(res.header("access-control-allow-origin").is_none());
    assert!(res.status.is_client_error());
}

#[actix_web::test]
async fn the_database_down_is_a_503_with_retry_after() {
    // A pool that can never connect.
    let url = "postgresql://jianyi@localhost/nowhere?host=/nonexistent-socket-dir&port=5432";
    let mut config = test_config(url);
    config.db_timeout = std::time::Duration::from_millis(500);
    let pool = jianyi::db::pool(url, 2, config.db_timeout);
    let state =
        actix_web::web::Data::new(jianyi::app::AppState::new(config, pool, url, crate::support::SECRET.as_bytes()));
    let svc = TestApp::service(state.clone()).await;
    let call = async |req: actix_web::test::TestRequest| {
        let res = actix_web::test::call_service(&svc, req.to_request()).await;
        let status = res.status().as_u16();
        let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        let body: serde_json::Value = actix_web::test::read_body_json(res).await;
        (status, retry, body)
    };
    let (status, retry, body) = call(actix_web::test::TestRequest::get().uri("/readyz")).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")));
    assert_eq!(body["code"], "database_unavailable");
    assert!(!body["detail"].as_str().unwrap().contains("nonexistent"), "no internals: {body}");
    // The liveness probe does not need the database.
    let (status, _, _) = call(actix_web::test::TestRequest::get().uri("/healthz")).await;
    assert_eq!(status, 200);
    // Checking a token's session needs it too: 503, not 401.
    let subject = jianyi::auth::token::Subject {
        user_id: uuid::Uuid::now_v7(),
        username: "office".into(),
        roles: vec![Role::Office],
        unit_id: None,
        head: false,
    };
    let (token, _) = state.auth.keys.issue(&subject, uuid::Uuid::now_v7());
    let req = actix_web::test::TestRequest::get()
        .uri("/api/v1/units")
        .insert_header(("authorization", format!("Bearer {token}")));
    let (status, retry, _) = call(req).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")));
}

/// What a fuzzing and bad-input pass from outside found: NUL bytes reaching PostgreSQL
/// (500, twice without a login), dates PostgreSQL cannot hold (500) or years the service
/// should not take, invalid UTF-8 in a path segment stored as U+FFFD, and a 422 the token
/// endpoint did not declare. Each is now refused at the edge, with nothing written.
#[actix_web::test]
async fn control_characters_bad_dates_and_broken_paths_are_refused_at_the_edge() {
    let app = TestApp::new().await;
    let token = "/api/v1/auth/token";
    let nul_user = json!({"grant_type": "password", "username": "a\u{0}b", "password": "0123456789"});
    app.post(token).json(&nul_user).send().await.problem(422, "validation_failed");
    let form = "grant_type=password&username=a%00b&password=0123456789";
    let res = app.post(token).body("application/x-www-form-urlencoded", form).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "username");
    let nul_client = json!({"grant_type": "client_credentials", "client_id": "sy\u{0}nc", "client_secret": "x"});
    app.post(token).json(&nul_client).send().await.problem(422, "validation_failed");
    let basic = format!("Basic {}", base64_encode("sy\u{0}nc:secret"));
    let res =
        app.post(token).header("authorization", &basic).json(&json!({"grant_type": "client_credentials"})).send().await;
    res.problem(401, "invalid_client");
    app.post(token)
        .json(&json!({"grant_type": "password", "username": 5}))
        .send()
        .await
        .problem(422, "validation_failed");

    for query in [
        "/api/v1/suggestions?category=a%00b",
        "/api/v1/deputies?q=%00",
        "/api/v1/units?q=a%00",
        "/api/v1/users?q=%00x",
        "/api/v1/audit?action=%00",
        "/api/v1/suggestions?q=%E5%85",
    ] {
        let res = app.get(query).as_(Role::Admin).send().await;
        assert_eq!(res.status.as_u16(), 400, "{query}: {}", String::from_utf8_lossy(&res.body));
    }
    let body = json!({"title": "关于\u{0}的建议"});
    let res = app.put("/api/v1/suggestions/by-external/npc/2024/240001").as_(Role::Sync).json(&body).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "control_character");
    let res = app
        .put("/api/v1/suggestions/by-external/npc/2024/%FF%FE")
        .as_(Role::Sync)
        .json(&json!({"title": "关于某事的建议"}))
        .send()
        .await;
    res.problem(400, "invalid_path");

    // One date rule everywhere: 1949 to 2200.
    let new = |received_on: &str, year: i64| json!({"source": "npc", "year": year, "external_no": "240002", "title": "关于某事的建议", "received_on": received_on});
    for (received_on, year) in [
        ("-5000-01-01", 2024),
        ("1948-12-31", 2024),
        ("2201-01-01", 2024),
        ("2024-01-10", 0),
        ("2024-01-10", -1),
        ("2024-01-10", 200000),
    ] {
        let res = app.post("/api/v1/suggestions").as_(Role::Office).json(&new(received_on, year)).send().await;
        res.problem(422, "validation_failed");
    }
    for query in [
        "/api/v1/suggestions?received_from=-4714-01-01",
        "/api/v1/suggestions?year=-10736",
        "/api/v1/calendar/holidays?year=-10736",
        "/api/v1/calendar/holidays?year=200000",
        "/api/v1/audit?since=-5000-01-01T00:00:00Z",
        "/api/v1/assignments/table?year=0",
    ] {
        let res = app.get(query).as_(Role::Admin).send().await;
        assert!(matches!(res.status.as_u16(), 400), "{query}: {}", String::from_utf8_lossy(&res.body));
    }
    let holiday = json!({"kind": "holiday", "name": "测试"});
    app.put("/api/v1/calendar/holidays/-5000-01-01")
        .as_(Role::Admin)
        .json(&holiday)
        .send()
        .await
        .problem(400, "invalid_path");
    let rule = json!({"kind": "reply", "start_point": "fixed", "start_date": "-5000-01-01", "amount": 3, "period": "calendar_months"});
    app.post("/api/v1/deadline-rules").as_(Role::Admin).json(&rule).send().await.problem(422, "validation_failed");
    let listed = app.get("/api/v1/suggestions").as_(Role::Office).send().await.expect(200).json();
    assert!(listed["items"].as_array().unwrap().is_empty(), "nothing was written");
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// What the fuzzer (tests/fuzz) found, each kept as a regression: a 20,000-digit word broke
/// the search index (500); a path written out as another operation's answered 400 instead
/// of 405; a JSON array passed for an object (revoking the caller's own session); a whole
/// number written `1.0` refused though JSON Schema counts it an integer.
#[actix_web::test]
async fn what_the_fuzzer_found_stays_fixed() {
    let app = TestApp::new().await;
    let digits = json!({"title": "关于某事的建议", "body": "0".repeat(20_000)});
    app.put("/api/v1/suggestions/by-external/npc/2023/183050").as_(Role::Sync).json(&digits).send().await.expect(201);

    let res = app.get("/api/v1/assignments/import").as_(Role::Office).send().await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
    let res = app.patch("/api/v1/suggestions/import").as_(Role::Office).json(&json!({})).send().await;
    res.problem(405, "method_not_allowed");
    app.get("/api/v1/assignments/not-an-id").as_(Role::Office).send().await.problem(400, "invalid_path");

    let res = app.post("/api/v1/auth/revoke").as_(Role::Office).json(&json!([null, null])).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "invalid_type");
    app.get("/api/v1/me").as_(Role::Office).send().await.expect(200);
    let unit = json!(["某科", "external", null]);
    app.post("/api/v1/units").as_(Role::Admin).json(&unit).send().await.problem(422, "validation_failed");

    let s = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2023.0, "external_no": "183051", "title": "关于某事的建议"}))
        .send()
        .await
        .expect(201)
        .json();
    let assign = json!({"suggestion_id": s["id"], "round": 1.0, "assigned_on": "2023-03-06",
        "units": [{"unit_id": app.units.bureau, "role": "lead"}]});
    app.post("/api/v1/assignments").as_(Role::Office).json(&assign).send().await.expect(201);
    let res = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2023.5, "external_no": "183052", "title": "关于某事的建议"}))
        .send()
        .await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "year");
}
