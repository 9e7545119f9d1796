//! The dashboard: signed in by a password form or a front end's ticket, held in a secure,
//! HttpOnly, SameSite cookie that never opens the API; forms refused without their CSRF
//! token or from another origin; the page in headless Chromium, with a screenshot.

use jianyi::auth::Role;

use crate::support::{Reply, TestApp, enc};

/// The `name=value` of the Set-Cookie named `name`, and the whole header.
fn set_cookie(r: &Reply, name: &str) -> (String, String) {
    let header = r
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie: {r:?}"))
        .to_string();
    (header.split(';').next().unwrap().to_string(), header)
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

const FORM: &str = "application/x-www-form-urlencoded";

#[actix_web::test]
async fn the_dashboard_signs_in_by_form_or_ticket_and_guards_its_forms() {
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    // No session: a program gets 401, a browser the sign-in page.
    app.get("/dashboard").send().await.problem(401, "missing_token");
    let to = app.get("/dashboard").header("accept", "text/html").send().await.expect(303);
    assert_eq!(to.header("location"), Some("/dashboard/login"));

    // The sign-in page and its double-submit cookie.
    let page = app.get("/dashboard/login").send().await.expect(200);
    assert!(page.header("content-security-policy").unwrap().contains("form-action 'self'"));
    let (csrf_cookie, attrs) = set_cookie(&page, "jianyi_csrf");
    for a in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard"] {
        assert!(attrs.contains(a), "{attrs}");
    }
    let html = String::from_utf8(page.body).unwrap();
    let token = hidden(&html, "csrf");
    assert_eq!(csrf_cookie, format!("jianyi_csrf={token}"));
    let sign_in = |csrf: &str, password: &str| {
        app.post("/dashboard/login")
            .header("cookie", &csrf_cookie)
            .body(FORM, format!("username=bangongshi&password={}&csrf={csrf}", enc(password)))
    };
    sign_in("forged", jianyi::demo::DEMO_PASSWORD).send().await.problem(403, "forbidden");
    let wrong = sign_in(&token, "not-the-password").send().await.expect(303);
    assert_eq!(wrong.header("location"), Some("/dashboard/login?failed=true"));
    let again = app.get("/dashboard/login?failed=true").send().await.expect(200);
    assert!(String::from_utf8(again.body).unwrap().contains("用户名或密码错误"));
    let other_site = sign_in(&token, jianyi::demo::DEMO_PASSWORD).header("origin", "https://evil.example");
    other_site.send().await.problem(403, "forbidden");
    let signed = sign_in(&token, jianyi::demo::DEMO_PASSWORD).send().await.expect(303);
    assert_eq!(signed.header("location"), Some("/dashboard"));
    let (session, attrs) = set_cookie(&signed, "jianyi_session");
    for a in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard", "Max-Age=28800"] {
        assert!(attrs.contains(a), "{attrs}");
    }

    // The page, for the office: the year's figures, the units, the charts, the form.
    let page = app.get("/dashboard?year=2023").header("cookie", &session).send().await.expect(200);
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("2023年 总体情况：共13件（主办3件、分办2件、协办8件）"), "{html}");
    assert!(html.contains("建设工程管理科") && html.matches("data:image/svg+xml;base64,").count() == 4);
    let csrf = hidden(&html, "csrf");
    // The cookie never opens the API.
    app.get("/api/v1/stats?year=2023").header("cookie", &session).send().await.problem(401, "missing_token");

    // The next steps through the page's form: the CSRF token, the origin, the version.
    let save = |csrf: &str, version: i32| {
        app.post("/dashboard/next-steps").header("cookie", &session).body(
            FORM,
            format!("csrf={csrf}&year=2023&version={version}&text={}", enc("一是加强督办。\n二是抓好落实。")),
        )
    };
    save("", 0).send().await.problem(403, "forbidden");
    save(&csrf, 0).header("origin", "http://evil.example").send().await.problem(403, "forbidden");
    let saved = save(&csrf, 0).send().await.expect(303);
    assert_eq!(saved.header("location"), Some("/dashboard?year=2023"));
    save(&csrf, 0).send().await.problem(412, "stale_version");
    let n = app.get("/api/v1/reports/annual/2023/next-steps").as_(Role::Office).send().await.expect(200).json();
    assert_eq!((n["text"].as_str(), n["version"].as_i64()), (Some("一是加强督办。\n二是抓好落实。"), Some(1)));

    // Signing out ends the session: the cookie opens nothing after.
    let out = app.post("/dashboard/logout").header("cookie", &session).body(FORM, format!("csrf={csrf}"));
    assert_eq!(out.send().await.expect(303).header("location"), Some("/dashboard/login"));
    app.get("/dashboard").header("cookie", &session).send().await.problem(401, "session_revoked");

    // A front end's token, exchanged for a one-time ticket; a section sees its own.
    let jsgc = crate::coordination::sign_in_as(&app, "jsgc", jianyi::demo::DEMO_PASSWORD).await;
    let ticket = app.post("/dashboard/session").bearer(&jsgc).send().await.expect(201).json();
    let url = format!("{}&year=2023", ticket["url"].as_str().unwrap());
    let entered = app.get(&url).send().await.expect(303);
    assert_eq!(entered.header("location"), Some("/dashboard?year=2023"));
    let (own, _) = set_cookie(&entered, "jianyi_session");
    app.get(&url).send().await.problem(401, "invalid_ticket");
    let html = String::from_utf8(app.get("/dashboard?year=2023").header("cookie", &own).send().await.expect(200).body)
        .unwrap();
    assert!(html.contains("共4件（主办1件、分办0件、协办3件）"), "its own four: {html}");
    assert!(!html.contains("name=\"text\""), "a section does not write the next steps");
    // Who has no dashboard gets no ticket.
    for role in [Role::CoHandler, Role::Deputy, Role::Sync] {
        app.post("/dashboard/session").as_(role).send().await.problem(403, "forbidden");
    }
    app.get("/dashboard/enter?ticket=x&year=2023").send().await.problem(401, "invalid_ticket");
    app.get("/dashboard?year=1800").as_(Role::Office).send().await.problem(400, "invalid_query");
    app.post("/dashboard/login").body(FORM, "username=a&password=b").send().await.problem(403, "forbidden");
}

#[actix_web::test]
async fn the_dashboard_renders_in_headless_chromium_without_console_errors() {
    const TEST: &str = "the_dashboard_renders_in_headless_chromium_without_console_errors";
    let Some(chromium) = crate::disclosure::program(&["chromium", "chromium-browser", "google-chrome"]) else {
        crate::support::skipped(TEST, "no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)");
        return;
    };
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    jianyi::demo::year::finish(app.state.clone()).await.unwrap();
    let office = crate::coordination::sign_in_as(&app, "bangongshi", jianyi::demo::DEMO_PASSWORD).await;
    let (addr, handle) = crate::support::serve(&app);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    // Twice, each with a ticket of its own: the page as the browser has it, then its picture.
    let mut runs = Vec::new();
    for what in ["--dump-dom".to_string(), format!("--screenshot={}", shot.display())] {
        let ticket = app.post("/dashboard/session").bearer(&office).send().await.expect(201).json();
        let url = format!("http://{addr}{}&year=2023", ticket["url"].as_str().unwrap());
        let profile = std::env::temp_dir().join(format!("jianyi-chromium-{}", uuid::Uuid::new_v4().simple()));
        let out = tokio::process::Command::new(&chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
            .args(["--no-first-run", "--enable-logging=stderr", "--v=0", "--window-size=1280,2200"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(what)
            .arg(url)
            .output()
            .await
            .unwrap();
        let _ = std::fs::remove_dir_all(&profile);
        runs.push(out);
    }
    handle.stop(true).await;
    for out in &runs {
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "chromium failed: {log}");
        let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Refused to")).collect();
        assert!(console.is_empty(), "console messages: {console:?}");
    }
    let dom = String::from_utf8_lossy(&runs[0].stdout);
    assert!(
        dom.contains("建议提案办理督办看板") && dom.contains("各承办单位办理进度与考评"),
        "the browser kept the cookie: {dom}"
    );
    assert!(dom.contains("共13件"), "{dom}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{} bytes", png.len());
    eprintln!("the dashboard's screenshot: {}", shot.display());
}

#[actix_web::test]
async fn the_dashboard_lists_the_replies_waiting_for_publication() {
    // A warning span longer than the publication rule's 20 working days: a reply signed
    // today is due soon at once.
    let app = TestApp::with_config(|c| c.due_soon_days = 30).await;
    let (_, r) = crate::replies::signed_reply(&app, "241102").await;
    let reply = r["id"].as_str().unwrap();
    let page = || async {
        let html = app.get("/dashboard?year=2024").as_(Role::Office).send().await.expect(200).body;
        String::from_utf8(html).unwrap()
    };
    let html = page().await;
    assert!(html.contains("待公开答复") && html.contains("<td>241102</td>"), "{html}");
    assert!(html.contains("class=\"due_soon\">临期"), "{html}");
    // Published, it leaves the list.
    let d = crate::disclosure::put(&app, reply, "*", serde_json::json!({"mode": "public"})).await.expect(200);
    let version = d.json()["version"].as_i64().unwrap();
    crate::disclosure::post(&app, reply, "publish", version, None).await.expect(200);
    assert!(!page().await.contains("待公开答复"));
}
