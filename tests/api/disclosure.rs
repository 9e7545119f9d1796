//! Disclosure: the office's decision, the deputy's consent, publishing, and the public's
//! JSON, Atom and HTML — never a withheld reply, never a confidential name; cacheable and
//! rate-limited.

use serde_json::{Value, json};

use jianyi::auth::Role;

use crate::replies::signed_reply;
use crate::support::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

pub(crate) async fn put(app: &TestApp, reply: &str, if_match: &str, body: Value) -> crate::support::Reply {
    let path = format!("/api/v1/disclosures/{reply}");
    app.put(&path).as_(Role::Office).header("if-match", if_match).json(&body).send().await
}

pub(crate) async fn post(
    app: &TestApp,
    reply: &str,
    what: &str,
    version: i64,
    body: Option<Value>,
) -> crate::support::Reply {
    let call = app.post(&format!("/api/v1/disclosures/{reply}/{what}")).as_(Role::Office).if_match(version);
    match body {
        Some(b) => call.json(&b).send().await,
        None => call.send().await,
    }
}

#[actix_web::test]
async fn a_reply_is_published_by_the_office_and_read_by_anyone_without_confidential_names() {
    let app = TestApp::new().await;
    let (_, r) = signed_reply(&app, "240801").await;
    let (_, withheld) = signed_reply(&app, "240802").await;
    let (reply, hidden) = (id(&r), id(&withheld));
    // Bad decisions, wrong callers.
    for (bad, field) in [
        (json!({"mode": "summary"}), "summary"),
        (json!({"mode": "withheld"}), "withheld_reason"),
        (json!({"mode": "public", "summary": "摘要"}), "summary"),
        (json!({"mode": "public", "withheld_reason": "x"}), "withheld_reason"),
    ] {
        let p = put(&app, &reply, "*", bad.clone()).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["field"], field, "{bad}");
    }
    let path = format!("/api/v1/disclosures/{reply}");
    app.put(&path)
        .as_(Role::Handler)
        .header("if-match", "*")
        .json(&json!({"mode": "public"}))
        .send()
        .await
        .problem(403, "forbidden");
    app.get(&path).as_(Role::Handler).send().await.problem(404, "not_found");
    app.get(&path).as_(Role::Deputy).send().await.problem(404, "not_found");
    // Withheld, with a reason: never published.
    let w = put(&app, &hidden, "*", json!({"mode": "withheld", "withheld_reason": "涉及个人隐私"}))
        .await
        .expect(200)
        .json();
    post(&app, &hidden, "publish", w["version"].as_i64().unwrap(), None).await.problem(409, "withheld");
    // Public; the deputy is asked, refuses, then agrees.
    let d = put(&app, &reply, "*", json!({"mode": "public"})).await.expect(200).json();
    assert_eq!((d["mode"].as_str(), d["consent"].as_str()), (Some("public"), Some("not_asked")));
    assert!(d["due_on"].is_string() && d["due_state"].is_string(), "publication is due 20 working days after: {d}");
    let d = post(&app, &reply, "consent", d["version"].as_i64().unwrap(), Some(json!({"consent": "refused"})))
        .await
        .expect(200)
        .json();
    post(&app, &reply, "publish", d["version"].as_i64().unwrap(), None).await.problem(409, "deputy_refused");
    let d = post(&app, &reply, "consent", d["version"].as_i64().unwrap(), Some(json!({"consent": "agreed"})))
        .await
        .expect(200)
        .json();
    post(&app, &reply, "publish", 999, None).await.problem(412, "stale_version");
    let d = post(&app, &reply, "publish", d["version"].as_i64().unwrap(), None).await.expect(200).json();
    assert!(d["published_at"].is_string() && d["due_state"].is_null());
    put(&app, &reply, "*", json!({"mode": "withheld", "withheld_reason": "x"})).await.problem(409, "published");
    assert_eq!(app.events(&reply).await.last().unwrap().0, "disclosure.published");

    // The deputy asked for confidentiality: their name is covered everywhere public.
    let mut conn = app.conn().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("UPDATE deputies SET confidential = true, phone = '13900000000' WHERE name = '周建国'"),
        &mut *conn,
    )
    .await
    .unwrap();
    drop(conn);
    let list = app.get("/public/replies?year=2024").send().await;
    assert_eq!(list.status.as_u16(), 200);
    let body = list.json();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the published reply: {body}");
    assert_eq!(items[0]["id"], r["id"]);
    let text = body.to_string();
    for never in ["周建国", "13900000000", "涉及个人隐私", "internal", "decisions", "signoffs"] {
        assert!(!text.contains(never), "{never} is public: {text}");
    }
    assert!(items[0]["text"].as_str().unwrap().starts_with("＊＊＊代表"), "{}", items[0]["text"]);
    assert_eq!(items[0]["title"], "关于市十六届人大三次会议第240801号代表建议的答复");
    // Cacheable: an ETag and Cache-Control; 304 for the same tag.
    assert_eq!(list.header("cache-control"), Some("public, max-age=300"));
    let tag = list.header("etag").unwrap().to_string();
    let again = app.get("/public/replies?year=2024").header("if-none-match", &tag).send().await;
    assert_eq!(again.status.as_u16(), 304);
    // One, by id; an unpublished or withheld one is 404.
    let one = app.get(&format!("/public/replies/{reply}")).send().await.expect(200).json();
    assert!(!one.to_string().contains("周建国"));
    app.get(&format!("/public/replies/{hidden}")).send().await.problem(404, "not_found");
    // Filters and search.
    assert_eq!(app.get("/public/replies?year=2023").send().await.json()["items"], json!([]));
    let q = crate::support::enc("公交站点");
    assert_eq!(app.get(&format!("/public/replies?q={q}")).send().await.json()["items"].as_array().unwrap().len(), 1);
    let q = crate::support::enc("耕地保护");
    assert_eq!(app.get(&format!("/public/replies?q={q}")).send().await.json()["items"], json!([]));
    app.get("/public/replies?cursor=forged").send().await.problem(400, "invalid_cursor");
    // The Atom feed reads back with a feed parser.
    let feed = app.get("/public/replies.atom").send().await.expect(200);
    assert!(feed.header("content-type").unwrap().starts_with("application/atom+xml"));
    let parsed = feed_rs::parser::parse(&feed.body[..]).expect("a valid feed");
    assert_eq!(parsed.entries.len(), 1);
    let entry = &parsed.entries[0];
    assert!(entry.title.as_ref().unwrap().content.contains("第240801号"));
    assert!(!String::from_utf8_lossy(&feed.body).contains("周建国"));
    // The page: server-rendered, with a CSP, the units' figures, no confidential name.
    let html = app.get("/public?year=2024").send().await.expect(200);
    assert!(html.header("content-security-policy").unwrap().contains("default-src 'none'"));
    let page = String::from_utf8_lossy(&html.body).to_string();
    assert!(
        page.contains("第240801号代表建议的答复")
            && page.contains("2024年度办理情况")
            && page.contains("市自然资源和规划局")
    );
    assert!(!page.contains("周建国") && !page.contains("<script") && !page.contains("涉及个人隐私"), "{page}");
}

#[actix_web::test]
async fn the_public_endpoints_are_rate_limited_per_client() {
    let app = TestApp::with_config(|c| c.public_rate = 1).await;
    let statuses: Vec<u16> =
        futures_util::future::join_all((0..8).map(|_| app.get("/public/replies").peer("203.0.113.7:5000").send()))
            .await
            .iter()
            .map(|r| r.status.as_u16())
            .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    let limited = app.get("/public/replies").peer("203.0.113.7:5000").send().await;
    assert!(limited.header("retry-after").is_some());
    limited.problem(429, "too_many_requests");
    // Another client is not held back.
    app.get("/public/replies").peer("203.0.113.8:5000").send().await.expect(200);
}

/// The first of these programs on `PATH`.
pub(crate) fn program(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n))).find(|p| p.is_file())
}

#[actix_web::test]
async fn the_public_page_renders_in_headless_chromium_without_console_errors() {
    const TEST: &str = "the_public_page_renders_in_headless_chromium_without_console_errors";
    let Some(chromium) = program(&["chromium", "chromium-browser", "google-chrome"]) else {
        crate::support::skipped(TEST, "no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)");
        return;
    };
    let app = TestApp::new().await;
    let (_, r) = signed_reply(&app, "241101").await;
    let d =
        put(&app, &id(&r), "*", json!({"mode": "summary", "summary": "我局将于2025年底前优化公交站点布局。"})).await;
    post(&app, &id(&r), "publish", d.expect(200).json()["version"].as_i64().unwrap(), None).await.expect(200);
    // A real server on a port, on this runtime (the browser is awaited, not blocked on).
    let (addr, handle) = crate::support::serve(&app);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("public-page.png");
    let _ = std::fs::remove_file(&shot);
    let profile = std::env::temp_dir().join(format!("jianyi-chromium-{}", uuid::Uuid::new_v4().simple()));
    let out = tokio::process::Command::new(&chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
        .args(["--no-first-run", "--enable-logging=stderr", "--v=0", "--window-size=412,915"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("http://{addr}/public?year=2024"))
        .output()
        .await
        .unwrap();
    handle.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Refused to")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
    eprintln!("the public page's screenshot: {}", shot.display());
}
