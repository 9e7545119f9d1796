//! Tokens: the three grants, rotation and reuse, every bad token, revocation, disabled
//! users, throttling.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use jianyi::auth::policy::Role;
use jianyi::auth::token::{Claims, Keys};

use crate::support::{PASSWORD, SECRET, TestApp};

async fn login(app: &TestApp, username: &str, password: &str) -> crate::support::Reply {
    app.post("/api/v1/auth/token")
        .json(&json!({"grant_type": "password", "username": username, "password": password}))
        .send()
        .await
}

#[actix_web::test]
async fn every_role_can_get_a_token_and_see_itself() {
    let app = TestApp::new().await;
    for (role, name) in [
        (Role::Admin, "admin"),
        (Role::Office, "office"),
        (Role::Leader, "leader"),
        (Role::SectionHead, "section_head"),
        (Role::Handler, "handler"),
        (Role::CoHandler, "co_handler"),
        (Role::Deputy, "deputy"),
    ] {
        let tokens = login(&app, name, PASSWORD).await.expect(200).json();
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert!(tokens["refresh_token"].is_string());
        let me = app.get("/api/v1/me").bearer(tokens["access_token"].as_str().unwrap()).send().await.expect(200).json();
        assert_eq!(me["username"], name);
        assert_eq!(me["roles"], json!([role]));
    }
    let tokens = app
        .post("/api/v1/auth/token")
        .json(&json!({"grant_type": "client_credentials", "client_id": "sync", "client_secret": PASSWORD}))
        .send()
        .await
        .expect(200)
        .json();
    assert!(tokens.get("refresh_token").is_none(), "no refresh token for a client");
    let me = app.get("/api/v1/me").bearer(tokens["access_token"].as_str().unwrap()).send().await.expect(200).json();
    assert_eq!(me["roles"], json!(["sync"]));
    assert_eq!(me["kind"], "service");
}

#[actix_web::test]
async fn the_token_endpoint_takes_forms_and_basic_authentication() {
    let app = TestApp::new().await;
    let form = format!("grant_type=password&username=office&password={}", crate::support::enc(PASSWORD));
    let res = app.post("/api/v1/auth/token").body("application/x-www-form-urlencoded", form).send().await.expect(200);
    assert_eq!(res.header("cache-control"), Some("no-store"));

    let basic = STANDARD.encode(format!("sync:{PASSWORD}"));
    app.post("/api/v1/auth/token")
        .header("authorization", &format!("Basic {basic}"))
        .body("application/x-www-form-urlencoded", "grant_type=client_credentials")
        .send()
        .await
        .expect(200);

    let wrong = STANDARD.encode("sync:wrong-secret");
    let res = app
        .post("/api/v1/auth/token")
        .header("authorization", &format!("Basic {wrong}"))
        .body("application/x-www-form-urlencoded", "grant_type=client_credentials")
        .send()
        .await;
    res.problem(401, "invalid_client");

    let res = app.post("/api/v1/auth/token").json(&json!({"grant_type": "implicit"})).send().await;
    res.problem(400, "unsupported_grant_type");
    let res = app.post("/api/v1/auth/token").json(&json!({"grant_type": "password"})).send().await;
    res.problem(400, "invalid_request");
    let res = app.post("/api/v1/auth/token").body("text/plain", "grant_type=password").send().await;
    res.problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn a_wrong_username_and_a_wrong_password_answer_alike() {
    let app = TestApp::new().await;
    let wrong_password = login(&app, "office", "not the password").await;
    let wrong_user = login(&app, "nobody-here", "not the password").await;
    let a = wrong_password.problem(400, "invalid_grant");
    let b = wrong_user.problem(400, "invalid_grant");
    assert_eq!(a["detail"], b["detail"]);
    // A service account cannot use the password grant.
    login(&app, "sync", PASSWORD).await.problem(400, "invalid_grant");
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    let app = TestApp::new().await;
    let first = login(&app, "handler", PASSWORD).await.expect(200).json();
    let refresh = |token: &Value| json!({"grant_type": "refresh_token", "refresh_token": token.as_str().unwrap()});
    let second = app.post("/api/v1/auth/token").json(&refresh(&first["refresh_token"])).send().await.expect(200).json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let access = second["access_token"].as_str().unwrap().to_string();
    app.get("/api/v1/me").bearer(&access).send().await.expect(200);

    // The first token again: someone copied it. The whole family ends.
    let res = app.post("/api/v1/auth/token").json(&refresh(&first["refresh_token"])).send().await;
    res.problem(400, "invalid_grant");
    app.get("/api/v1/me").bearer(&access).send().await.problem(401, "session_revoked");
    let res = app.post("/api/v1/auth/token").json(&refresh(&second["refresh_token"])).send().await;
    res.problem(400, "invalid_grant");
    let session_actions: Vec<String> = {
        use diesel::{ExpressionMethods, QueryDsl};
        use diesel_async::RunQueryDsl;
        use jianyi::db::schema::audit_log::dsl as a;
        let mut conn = app.conn().await;
        a::audit_log.filter(a::entity_type.eq("session")).select(a::action).load(&mut conn).await.unwrap()
    };
    assert!(session_actions.contains(&"auth.refresh_reuse".to_string()), "{session_actions:?}");

    let res = app
        .post("/api/v1/auth/token")
        .json(&json!({"grant_type": "refresh_token", "refresh_token": "forged"}))
        .send()
        .await;
    res.problem(400, "invalid_grant");
}

fn forged(app: &TestApp, edit: impl FnOnce(&mut Claims)) -> String {
    let keys = Keys::new(SECRET.as_bytes(), "jianyi", "jianyi-api", Duration::from_secs(900));
    let mut claims = keys.verify(app.token(Role::Office)).expect("a valid fixture token");
    edit(&mut claims);
    keys.sign(&claims)
}

#[actix_web::test]
async fn every_bad_token_is_a_401_problem_with_a_bearer_challenge() {
    let app = TestApp::new().await;
    let now = chrono::Utc::now().timestamp();
    let good = app.token(Role::Office).to_string();
    let claims = Keys::new(SECRET.as_bytes(), "jianyi", "jianyi-api", Duration::from_secs(900)).verify(&good).unwrap();
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());

    let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#));
    let mut hs512 = Header::new(Algorithm::HS512);
    hs512.typ = Some("at+jwt".into());
    let hs512 = jsonwebtoken::encode(&hs512, &claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
    let other_key = Keys::new(b"somebody else's secret, 32 bytes+", "jianyi", "jianyi-api", Duration::from_secs(900));
    let plain_jwt =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
            .unwrap();
    let mut bad_signature = good.clone();
    bad_signature.pop();
    bad_signature.push(if good.ends_with('A') { 'B' } else { 'A' });

    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, "missing_token"),
        ("not a JWT", Some("not-a-token".into()), "invalid_token"),
        ("alg none", Some(none), "invalid_token"),
        ("another algorithm", Some(hs512), "invalid_token"),
        ("another key", Some(other_key.sign(&claims)), "invalid_token"),
        ("a changed signature", Some(bad_signature), "invalid_token"),
        ("typ JWT", Some(plain_jwt), "invalid_token"),
        ("expired", Some(forged(&app, |c| c.exp = now - 60)), "token_expired"),
        ("not yet valid", Some(forged(&app, |c| c.nbf = now + 120)), "invalid_token"),
        ("another audience", Some(forged(&app, |c| c.aud = "other-api".into())), "invalid_token"),
        ("another issuer", Some(forged(&app, |c| c.iss = "evil".into())), "invalid_token"),
        ("an unknown session", Some(forged(&app, |c| c.sid = uuid::Uuid::now_v7())), "session_revoked"),
    ];
    for (what, token, code) in cases {
        let mut call = app.get("/api/v1/me");
        if let Some(t) = &token {
            call = call.bearer(t);
        }
        let res = call.send().await;
        assert_eq!(res.status.as_u16(), 401, "{what}");
        res.problem(401, code);
        let challenge = res.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    }
    // Within the leeway an expired token still passes.
    let res = app.get("/api/v1/me").bearer(&forged(&app, |c| c.exp = now - 10)).send().await;
    res.expect(200);
    // A token in the URL is refused even with a valid header.
    let res = app.get(&format!("/api/v1/me?access_token={good}")).bearer(&good).send().await;
    res.problem(401, "token_in_query");
}

#[actix_web::test]
async fn a_disabled_user_stops_at_once() {
    let app = TestApp::new().await;
    let handler = app.user(Role::Handler).clone();
    app.get("/api/v1/me").bearer(&handler.token).send().await.expect(200);
    let user = app.get(&format!("/api/v1/users/{}", handler.id)).as_(Role::Admin).send().await.expect(200);
    let version = user.version();
    app.patch(&format!("/api/v1/users/{}", handler.id))
        .as_(Role::Admin)
        .if_match(version)
        .json(&json!({"active": false}))
        .send()
        .await
        .expect(200);
    app.get("/api/v1/me").bearer(&handler.token).send().await.problem(401, "session_revoked");
    login(&app, "handler", PASSWORD).await.problem(400, "invalid_grant");
}

#[actix_web::test]
async fn revoking_ends_the_session() {
    let app = TestApp::new().await;
    // Without a body: the bearer's own session.
    let token = app.token(Role::Leader).to_string();
    app.post("/api/v1/auth/revoke").bearer(&token).send().await.expect(200);
    app.get("/api/v1/me").bearer(&token).send().await.problem(401, "session_revoked");
    app.post("/api/v1/auth/revoke").send().await.problem(401, "missing_token");

    // With a refresh token: its session, without authentication (RFC 7009).
    let tokens = login(&app, "office", PASSWORD).await.expect(200).json();
    let access = tokens["access_token"].as_str().unwrap();
    app.post("/api/v1/auth/revoke").json(&json!({"token": tokens["refresh_token"]})).send().await.expect(200);
    app.get("/api/v1/me").bearer(access).send().await.problem(401, "session_revoked");
    // An unknown token answers the same.
    app.post("/api/v1/auth/revoke").json(&json!({"token": "unknown"})).send().await.expect(200);
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_username_and_per_address() {
    let app = TestApp::with_config(|c| {
        c.login_max_failures = 3;
        c.login_ip_max_failures = 5;
    })
    .await;
    let attempt = async |username: &str, password: &str, peer: &str| {
        app.post("/api/v1/auth/token")
            .peer(peer)
            .json(&json!({"grant_type": "password", "username": username, "password": password}))
            .send()
            .await
    };
    for _ in 0..3 {
        attempt("office", "wrong", "10.0.0.1:5000").await.problem(400, "invalid_grant");
    }
    // The right password no longer helps, from any address.
    let res = attempt("office", PASSWORD, "10.0.0.9:5000").await;
    res.problem(429, "too_many_requests");
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 900);
    // Another user is fine.
    attempt("leader", PASSWORD, "10.0.0.9:5000").await.expect(200);

    // Five failures from one address, spread over users, stop that address.
    for user in ["a1", "a2", "a3", "a4", "a5"] {
        attempt(user, "wrong", "10.0.0.2:5000").await.problem(400, "invalid_grant");
    }
    attempt("handler", PASSWORD, "10.0.0.2:5000").await.problem(429, "too_many_requests");
    attempt("handler", PASSWORD, "10.0.0.3:5000").await.expect(200);
}

#[actix_web::test]
async fn people_change_their_own_password() {
    let app = TestApp::new().await;
    let tokens = login(&app, "handler", PASSWORD).await.expect(200).json();
    let other_session = tokens["access_token"].as_str().unwrap();
    let res = app
        .put("/api/v1/me/password")
        .as_(Role::Handler)
        .json(&json!({"current_password": "wrong", "new_password": "新的密码新的密码新的"}))
        .send()
        .await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "current_password");
    let res = app
        .put("/api/v1/me/password")
        .as_(Role::Handler)
        .json(&json!({"current_password": PASSWORD, "new_password": "short"}))
        .send()
        .await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "new_password");
    app.put("/api/v1/me/password")
        .as_(Role::Handler)
        .json(&json!({"current_password": PASSWORD, "new_password": "新的密码新的密码新的"}))
        .send()
        .await
        .expect(204);
    // This session goes on; the other one ended; the new password works.
    app.get("/api/v1/me").as_(Role::Handler).send().await.expect(200);
    app.get("/api/v1/me").bearer(other_session).send().await.problem(401, "session_revoked");
    login(&app, "handler", "新的密码新的密码新的").await.expect(200);
    login(&app, "handler", PASSWORD).await.problem(400, "invalid_grant");
}

/// Two instances on one database: a session ended on one is refused by the other at once
/// (LISTEN/NOTIFY), though the other trusts what it checked for an hour.
#[actix_web::test]
async fn a_revocation_reaches_every_instance_at_once() {
    use actix_web::test::{TestRequest, call_service};
    use diesel_async::RunQueryDsl;

    let hour = |c: &mut jianyi::config::Config| c.session_cache_ttl = Duration::from_secs(3600);
    let app = TestApp::with_config(hour).await;
    let url = app.state.config.database_url.clone().unwrap();
    let mut config = (*app.state.config).clone();
    hour(&mut config);
    let pool = jianyi::db::pool(&url, 2, Duration::from_secs(5));
    let second = actix_web::web::Data::new(jianyi::app::AppState::new(config, pool, &url, SECRET.as_bytes()));
    let listener = second.auth.clone();
    let listening_url = url.clone();
    actix_web::rt::spawn(async move { listener.listen_for_ended_sessions(listening_url).await });
    let svc = TestApp::service(second.clone()).await;
    let me = |token: &str| {
        TestRequest::get().uri("/api/v1/me").insert_header(("authorization", format!("Bearer {token}"))).to_request()
    };

    // The second instance listens, then checks (and caches) the office's session.
    let mut conn = app.conn().await;
    for _ in 0..100 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let listening: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN jianyi_sessions_ended%'",
        )
        .get_result(&mut *conn)
        .await
        .unwrap();
        if listening.n > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = app.token(Role::Office).to_string();
    assert_eq!(call_service(&svc, me(&token)).await.status().as_u16(), 200);

    // Ended on the first instance: refused on the second well within the hour.
    app.post("/api/v1/auth/revoke").bearer(&token).send().await.expect(200);
    let mut status = 200;
    for _ in 0..100 {
        status = call_service(&svc, me(&token)).await.status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401, "the second instance still trusted a revoked session");
}
