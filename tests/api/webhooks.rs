//! Webhooks: subscriptions managed by admins, deliveries signed after the Standard
//! Webhooks convention, retried with backoff, dead-lettered and redelivered, sent only to
//! allowed addresses (after DNS and on redirects), never twice at once by two workers,
//! and given back by a worker that stops.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tokio::sync::watch;

use jianyi::auth::policy::Role;
use jianyi::jobs::webhooks::{Pass, Worker};
use jianyi::sync::webhooks::rules;

use crate::support::TestApp;

/// What a receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// A local receiver: records each request, answers the scripted statuses (then 200) after
/// `delay`; `/redirect` sends elsewhere.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let data = web::Data::new(receiver.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(hook))
                .route("/redirect", web::post().to(redirect))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        (receiver, base)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }
}

async fn hook(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    r.got.lock().unwrap().push(Got {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
    });
    let delay = *r.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

async fn redirect(r: web::Data<Receiver>) -> HttpResponse {
    r.got.lock().unwrap().push(Got {
        id: "redirect".into(),
        timestamp: String::new(),
        signature: String::new(),
        body: vec![],
    });
    HttpResponse::TemporaryRedirect().insert_header(("location", "http://10.1.2.3/hook")).finish()
}

/// An app whose deliveries may reach this machine, retried quickly.
async fn app_with_local_receivers(max_attempts: u32) -> TestApp {
    TestApp::with_config(|c| {
        c.webhooks.allowed_networks = vec!["127.0.0.0/8".parse().unwrap()];
        c.webhooks.retry_base = Duration::from_millis(40);
        c.webhooks.max_attempts = max_attempts;
        c.webhooks.timeout = Duration::from_secs(5);
    })
    .await
}

async fn subscribe(app: &TestApp, url: &str, types: Value) -> Value {
    let body = json!({"url": url, "event_types": types, "description": "市人大代表建议系统"});
    app.post("/api/v1/webhooks").as_(Role::Admin).json(&body).send().await.expect(201).json()
}

async fn suggestion(app: &TestApp, no: &str) -> String {
    let body = json!({"source": "npc", "year": 2024, "external_no": no, "title": format!("关于{no}号道路改造的建议"),
                      "received_on": "2024-03-10"});
    let res = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201);
    res.json()["id"].as_str().unwrap().to_string()
}

async fn pass(worker: &Worker) -> Pass {
    let (_keep, mut stop) = watch::channel(false);
    worker.pass(&mut stop).await.expect("a pass")
}

fn worker(app: &TestApp) -> Worker {
    Worker::new(app.state.pool.clone(), &app.state.config.webhooks)
}

async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/webhooks/deliveries?{query}")).as_(Role::Admin).send().await.expect(200);
    page.json()["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn deliveries_are_signed_sent_once_and_subscriptions_managed_by_admins() {
    let app = app_with_local_receivers(3).await;
    let (receiver, base) = Receiver::start();
    let created = subscribe(&app, &format!("{base}/hook"), json!(["suggestion.created"])).await;
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(created["description"], "市人大代表建议系统");

    // Two matching events and one that is not.
    let first = suggestion(&app, "W-1").await;
    let second = suggestion(&app, "W-2").await;
    crate::deputies::deputy(&app, json!({"body": "npc", "name": "王代表"})).await;
    let worker = worker(&app);
    let done = pass(&worker).await;
    assert_eq!((done.deliveries_made, done.delivered, done.failed), (2, 2, 0), "{done:?}");
    assert_eq!(pass(&worker).await, Pass::default(), "nothing twice");

    let got = receiver.got();
    assert_eq!(got.len(), 2);
    let key = rules::secret_key(&secret).unwrap();
    let mut entities = HashSet::new();
    for g in &got {
        let timestamp: i64 = g.timestamp.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
        assert_eq!(g.signature, rules::signature(&key, &g.id, timestamp, &g.body), "signed");
        let body: Value = serde_json::from_slice(&g.body).unwrap();
        assert_eq!(body["type"], "suggestion.created");
        assert_eq!(body["data"]["payload"]["title"].as_str().unwrap().chars().next(), Some('关'));
        entities.insert(body["data"]["entity_id"].as_str().unwrap().to_string());
    }
    assert_eq!(entities, HashSet::from([first, second]));
    let listed = deliveries(&app, &format!("subscription_id={id}")).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|d| d["state"] == "delivered" && d["attempts"] == 1 && d["last_status"] == 200));
    let ids: HashSet<&str> = listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, got.iter().map(|g| g.id.as_str()).collect(), "webhook-id is the delivery's id");

    // Paused, it gets nothing; deleted, it is gone with its deliveries.
    let path = format!("/api/v1/webhooks/{id}");
    let version = app.get(&path).as_(Role::Admin).send().await.expect(200).version();
    // A bad change is refused, naming the field, and changes nothing.
    let bad = json!({"url": "http://169.254.169.254/latest", "event_types": ["Bad"]});
    let res = app.patch(&path).as_(Role::Admin).if_match(version).json(&bad).send().await;
    let fields: Vec<Value> = res.problem(422, "validation_failed")["errors"].as_array().unwrap().clone();
    assert_eq!(fields.iter().map(|e| e["field"].clone()).collect::<Vec<_>>(), [json!("url"), json!("event_types[0]")]);
    app.patch(&path).as_(Role::Office).if_match(version).json(&json!({"active": false})).send().await.expect(403);
    assert_eq!(app.get(&path).as_(Role::Admin).send().await.version(), version);
    let paused = app.patch(&path).as_(Role::Admin).if_match(version).json(&json!({"active": false})).send().await;
    assert_eq!(paused.expect(200).json()["active"], false);
    suggestion(&app, "W-3").await;
    assert_eq!(pass(&worker).await.deliveries_made, 0);
    app.patch(&path).as_(Role::Admin).if_match(version).json(&json!({"active": true})).send().await.expect(412);
    app.delete(&path).as_(Role::Admin).send().await.expect(428);
    app.delete(&path).as_(Role::Admin).if_match(version + 1).send().await.expect(204);
    app.get(&path).as_(Role::Admin).send().await.expect(404);
    assert!(deliveries(&app, &format!("subscription_id={id}")).await.is_empty());
    let audit = app.audit_actions("webhook", &id).await;
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["webhook.create", "webhook.update", "webhook.delete"]);
}

#[actix_web::test]
async fn webhooks_are_for_admins_and_check_what_they_are_given() {
    let app = app_with_local_receivers(3).await;
    let good = json!({"url": "https://hooks.example.gov.cn/jianyi"});
    for role in [Role::Office, Role::Sync, Role::Handler, Role::Deputy] {
        app.post("/api/v1/webhooks").as_(role).json(&good).send().await.problem(403, "forbidden");
        app.get("/api/v1/webhooks").as_(role).send().await.problem(403, "forbidden");
        app.get("/api/v1/webhooks/deliveries").as_(role).send().await.problem(403, "forbidden");
    }
    for (body, field, code) in [
        (json!({"url": "ftp://hooks.example.gov.cn/"}), "url", "invalid"),
        (json!({"url": "not a url"}), "url", "invalid"),
        (json!({"url": "https://user:pw@hooks.example.gov.cn/"}), "url", "invalid"),
        (json!({"url": "http://169.254.169.254/latest/meta-data"}), "url", "not_allowed"),
        (json!({"url": "http://10.0.0.8/hook"}), "url", "not_allowed"),
        (json!({"url": "http://[::1]/hook"}), "url", "not_allowed"),
        (json!({"url": format!("https://h.example.cn/{}", "x".repeat(2000))}), "url", "too_long"),
        (json!({"url": "https://h.example.cn/", "event_types": ["Suggestion"]}), "event_types[0]", "invalid"),
        (json!({"url": "https://h.example.cn/", "event_types": ["a.b", "a.b"]}), "event_types", "duplicate"),
        (json!({"url": "https://h.example.cn/", "description": "x".repeat(501)}), "description", "too_long"),
    ] {
        let res = app.post("/api/v1/webhooks").as_(Role::Admin).json(&body).send().await;
        let problem = res.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}: {problem}");
    }
    let mine = json!({"url": "https://h.example.cn/", "secret": "whsec_mine"});
    let res = app.post("/api/v1/webhooks").as_(Role::Admin).json(&mine).send().await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "unknown_field");
    app.get("/api/v1/webhooks/deliveries?state=lost").as_(Role::Admin).send().await.expect(400);
    app.get("/api/v1/webhooks/not-an-id").as_(Role::Admin).send().await.expect(400);
    let nothing = uuid::Uuid::new_v4();
    app.post(&format!("/api/v1/webhooks/deliveries/{nothing}/redeliver")).as_(Role::Admin).send().await.expect(404);
    // Nothing was made.
    assert_eq!(app.get("/api/v1/webhooks").as_(Role::Admin).send().await.json()["items"], json!([]));
    // A list of hosts: only those (and addresses in the allowed networks).
    let listed = TestApp::with_config(|c| c.webhooks.allowed_hosts = vec!["hooks.example.gov.cn".into()]).await;
    let post = |url: &str| listed.post("/api/v1/webhooks").as_(Role::Admin).json(&json!({"url": url})).send();
    post("https://hooks.example.gov.cn/x").await.expect(201);
    post("https://other.example.gov.cn/x").await.problem(422, "validation_failed");
    post("https://93.184.216.34/x").await.problem(422, "validation_failed");
}

#[actix_web::test]
async fn failed_deliveries_back_off_then_dead_letter_and_are_redelivered() {
    let app = app_with_local_receivers(3).await;
    let (receiver, base) = Receiver::start();
    subscribe(&app, &format!("{base}/hook"), json!([])).await;
    let worker = worker(&app);

    // Two failures, then it goes through: three attempts, with growing pauses.
    receiver.answer(&[500, 503]);
    suggestion(&app, "R-1").await;
    let first = pass(&worker).await;
    assert_eq!((first.deliveries_made, first.failed), (1, 1));
    assert_eq!(pass(&worker).await.failed, 0, "not due again at once");
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let p = pass(&worker).await;
        outcomes.push((p.failed, p.delivered));
        if p.delivered == 1 {
            break;
        }
    }
    assert_eq!(outcomes.iter().map(|o| o.0).sum::<usize>(), 1, "{outcomes:?}");
    let listed = deliveries(&app, "").await;
    assert_eq!((listed[0]["state"].as_str(), listed[0]["attempts"].as_i64()), (Some("delivered"), Some(3)));
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|g| g.id == got[0].id), "one webhook-id on every attempt");

    // Failing every time: dead after the third attempt, listed, and redelivered on demand.
    receiver.answer(&[500, 500, 500]);
    suggestion(&app, "R-2").await;
    let mut dead = 0;
    for _ in 0..80 {
        dead += pass(&worker).await.dead;
        if dead == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(dead, 1);
    let letters = deliveries(&app, "state=dead").await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["last_status"], 500);
    assert_eq!(letters[0]["last_error"], "the receiver answered 500");
    let redeliver = format!("/api/v1/webhooks/deliveries/{}/redeliver", letters[0]["id"].as_str().unwrap());
    for role in [Role::Office, Role::Sync] {
        app.post(&redeliver).as_(role).send().await.problem(403, "forbidden");
    }
    let again = app.post(&redeliver).as_(Role::Admin).send().await.expect(202).json();
    assert_eq!((again["state"].as_str(), again["attempts"].as_i64()), (Some("pending"), Some(0)));
    app.post(&redeliver).as_(Role::Admin).send().await.problem(409, "already_pending");
    assert_eq!(pass(&worker).await.delivered, 1);
    assert!(deliveries(&app, "state=dead").await.is_empty());
}

#[actix_web::test]
async fn deliveries_reach_only_allowed_addresses_after_dns_and_on_redirects() {
    // No network allowed: localhost resolves to loopback, which is refused when sending.
    let app = TestApp::new().await;
    let (receiver, base) = Receiver::start();
    let port = base.rsplit(':').next().unwrap();
    app.post("/api/v1/webhooks")
        .as_(Role::Admin)
        .json(&json!({"url": format!("{base}/hook")}))
        .send()
        .await
        .problem(422, "validation_failed");
    subscribe(&app, &format!("http://localhost:{port}/hook"), json!([])).await;
    suggestion(&app, "D-1").await;
    let done = pass(&worker(&app)).await;
    assert_eq!((done.delivered, done.failed), (0, 1), "{done:?}");
    assert!(receiver.got().is_empty(), "nothing reached the receiver");
    let error = deliveries(&app, "").await[0]["last_error"].as_str().unwrap().to_string();
    assert!(error.contains("not allowed"), "{error}");

    // Loopback allowed: a redirect to a private address is refused, not followed.
    let app = app_with_local_receivers(3).await;
    subscribe(&app, &format!("{base}/redirect"), json!([])).await;
    suggestion(&app, "D-2").await;
    let done = pass(&worker(&app)).await;
    assert_eq!((done.delivered, done.failed), (0, 1), "{done:?}");
    assert_eq!(receiver.got().len(), 1, "only the redirecting request");
    let error = deliveries(&app, "").await[0]["last_error"].as_str().unwrap().to_string();
    assert!(error.contains("redirected to a refused target"), "{error}");
}

#[actix_web::test]
async fn two_workers_never_send_the_same_delivery() {
    let app = app_with_local_receivers(3).await;
    let (receiver, base) = Receiver::start();
    *receiver.delay.lock().unwrap() = Duration::from_millis(10);
    subscribe(&app, &format!("{base}/hook"), json!(["suggestion.created"])).await;
    for i in 0..40 {
        suggestion(&app, &format!("T-{i}")).await;
    }
    let url = app.state.config.database_url.clone().unwrap();
    let other = Worker::new(jianyi::db::pool(&url, 2, Duration::from_secs(5)), &app.state.config.webhooks);
    let one = worker(&app);
    let (a, b) = tokio::join!(pass(&one), pass(&other));
    assert_eq!(a.delivered + b.delivered, 40, "{a:?} {b:?}");
    assert_eq!(a.deliveries_made + b.deliveries_made, 40, "each event fanned out once");
    let ids: Vec<String> = receiver.got().into_iter().map(|g| g.id).collect();
    assert_eq!(ids.len(), 40, "each sent once");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 40);
}

#[actix_web::test]
async fn a_stopping_worker_gives_back_the_delivery_in_flight() {
    let app = app_with_local_receivers(3).await;
    let (receiver, base) = Receiver::start();
    *receiver.delay.lock().unwrap() = Duration::from_secs(3);
    subscribe(&app, &format!("{base}/hook"), json!([])).await;
    suggestion(&app, "K-1").await;
    let worker = worker(&app);
    let (stop_tx, mut stop) = watch::channel(false);
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop_tx.send(true).unwrap();
    };
    let (done, ()) = tokio::join!(worker.pass(&mut stop), stopping);
    let done = done.unwrap();
    assert_eq!((done.given_back, done.delivered), (1, 0), "{done:?}");
    let listed = deliveries(&app, "").await;
    assert_eq!((listed[0]["state"].as_str(), listed[0]["attempts"].as_i64()), (Some("pending"), Some(0)));

    // The next worker sends it.
    *receiver.delay.lock().unwrap() = Duration::ZERO;
    assert_eq!(pass(&worker).await.delivered, 1);
    let got = receiver.got();
    assert!(got.iter().all(|g| g.id == got[0].id), "the same delivery, retried");
}
