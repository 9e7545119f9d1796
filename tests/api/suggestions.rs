//! Suggestions: registration, changes, search in Chinese, similar ones, the municipal
//! system's idempotent upsert, imports, the outbox, and who may see what.

use serde_json::{Value, json};

use jianyi::auth::policy::Role;

use crate::deputies::deputy;
use crate::support::{TestApp, enc};

const BUS: &str = "关于合理设置公交站点的建议";
const RIVER: &str = "关于加强黄河流域生态保护与修复的建议";
const GRAIN: &str = "关于进一步保障粮食安全的建议";

async fn register(app: &TestApp, body: Value) -> Value {
    app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201).json()
}

fn new(no: &str, title: &str) -> Value {
    json!({"source": "npc", "year": 2023, "external_no": no, "title": title, "session_label": "市十六届人大二次会议"})
}

#[actix_web::test]
async fn the_office_registers_a_suggestion_once() {
    let app = TestApp::new().await;
    let yang = deputy(&app, json!({"body": "npc", "name": "杨国哲"})).await;
    let cao = deputy(&app, json!({"body": "npc", "name": "曹孟"})).await;
    let mut body = new("183050", BUS);
    body["body"] = json!("城区现有公交站点设置不合理，建议多规划建设港湾式公交站点。");
    body["proposer_id"] = yang["id"].clone();
    body["co_signer_ids"] = json!([cao["id"]]);
    body["keywords"] = json!(["公交", "港湾式"]);
    body["received_on"] = json!("2023-02-10");
    let res = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201);
    let created = res.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(res.header("location"), Some(format!("/api/v1/suggestions/{id}").as_str()));
    assert_eq!(res.version(), 1);
    assert_eq!(created["proposer"]["name"], "杨国哲");
    assert_eq!(created["co_signers"][0]["name"], "曹孟");
    assert_eq!(created["status"], "registered");

    let read = app.get(&format!("/api/v1/suggestions/{id}")).as_(Role::Leader).send().await.expect(200).json();
    assert!(read["body"].as_str().unwrap().contains("港湾式"));
    assert_eq!(app.events(&id).await, vec![("suggestion.created".to_string(), Some(1))]);
    assert_eq!(app.audit_actions("suggestion", &id).await.len(), 1);

    let res = app.post("/api/v1/suggestions").as_(Role::Office).json(&new("183050", "另一个标题")).send().await;
    let problem = res.problem(409, "duplicate_external_no");
    assert_eq!(problem["existing_id"], id.as_str());
    // The same number in another year or source is another suggestion.
    let mut other_year = new("183050", BUS);
    other_year["year"] = json!(2022);
    register(&app, other_year).await;
}

#[actix_web::test]
async fn bad_suggestions_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let post = async |body: Value| app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await;
    let first_field = |res: crate::support::Reply| res.problem(422, "validation_failed")["errors"][0]["field"].clone();
    assert_eq!(first_field(post(json!({"source": "npc", "year": 2023, "external_no": "1"})).await), "title");
    assert_eq!(first_field(post(new("1", &"长".repeat(201))).await), "title");
    let mut bad = new("1", BUS);
    bad["source"] = json!("senate");
    assert_eq!(first_field(post(bad).await), "source");
    let mut bad = new("1", BUS);
    bad["received_on"] = json!("2023-02-30");
    assert_eq!(first_field(post(bad).await), "received_on");
    let mut bad = new("1", BUS);
    bad["year"] = json!(1800);
    assert_eq!(first_field(post(bad).await), "year");
    let mut bad = new("1", BUS);
    bad["proposer_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(first_field(post(bad).await), "proposer_id");
    let member = deputy(&app, json!({"body": "cppcc", "name": "王委员"})).await;
    let mut bad = new("1", BUS);
    bad["co_signer_ids"] = json!([member["id"]]);
    assert_eq!(first_field(post(bad).await), "co_signer_ids[0]",);
    let mut bad = new("1", BUS);
    bad["keywords"] = json!((0..11).map(|i| format!("词{i}")).collect::<Vec<_>>());
    assert_eq!(first_field(post(bad).await), "keywords");
    let mut bad = new("1", BUS);
    bad["external_no"] = json!("18 30");
    assert_eq!(first_field(post(bad).await), "external_no");
    let page = app.get("/api/v1/suggestions").as_(Role::Office).send().await.json();
    assert!(page["items"].as_array().unwrap().is_empty(), "nothing was written");

    let created = register(&app, new("183050", BUS)).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/suggestions/{id}");
    app.patch(&path).as_(Role::Office).json(&json!({"is_key": true})).send().await.problem(428, "if_match_required");
    app.patch(&path)
        .as_(Role::Office)
        .if_match(5)
        .json(&json!({"is_key": true}))
        .send()
        .await
        .problem(412, "stale_version");
    app.patch(&path)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"title": ""}))
        .send()
        .await
        .problem(422, "validation_failed");
    app.patch(&path)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"merged_into": id}))
        .send()
        .await
        .problem(422, "validation_failed");
    app.patch(&path)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"external_no": "9"}))
        .send()
        .await
        .problem(422, "validation_failed");
    let read = app.get(&path).as_(Role::Office).send().await;
    assert_eq!(read.version(), 1);
    assert_eq!(app.events(id).await.len(), 1, "no event for refused changes");
}

#[actix_web::test]
async fn changes_make_one_version_and_one_event_and_a_no_op_makes_none() {
    let app = TestApp::new().await;
    let created = register(&app, new("183050", BUS)).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/suggestions/{id}");
    let same = app.patch(&path).as_(Role::Office).if_match(1).json(&json!({"title": BUS})).send().await.expect(200);
    assert_eq!(same.version(), 1);
    let changed = app
        .patch(&path)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"is_key": true, "category": "城乡建设"}))
        .send()
        .await;
    let changed = changed.expect(200);
    assert_eq!(changed.version(), 2);
    assert_eq!(changed.json()["is_key"], true);
    assert_eq!(
        app.events(id).await,
        vec![("suggestion.created".to_string(), Some(1)), ("suggestion.updated".to_string(), Some(2))]
    );
    let audit =
        app.get(&format!("/api/v1/audit?entity_type=suggestion&entity_id={id}")).as_(Role::Admin).send().await.json();
    assert_eq!(audit["items"][0]["before"]["is_key"], false);
    assert_eq!(audit["items"][0]["after"]["is_key"], true);
}

#[actix_web::test]
async fn search_finds_chinese_by_relevance() {
    let app = TestApp::new().await;
    register(&app, new("183050", BUS)).await;
    let mut river = new("183175", RIVER);
    river["body"] = json!("黄河流域生态保护和高质量发展是重大国家战略。");
    register(&app, river).await;
    register(&app, new("183075", GRAIN)).await;
    let mut mention = new("183100", "关于完善城市道路交通的建议");
    mention["body"] = json!("部分公交站点距离路口过近。");
    register(&app, mention).await;

    let search = async |q: &str| {
        let page =
            app.get(&format!("/api/v1/suggestions?q={}", enc(q))).as_(Role::Office).send().await.expect(200).json();
        page["items"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        search("公交站点").await,
        vec![BUS.to_string(), "关于完善城市道路交通的建议".to_string()],
        "title first"
    );
    assert_eq!(search("黄河 生态").await, vec![RIVER.to_string()]);
    assert_eq!(search("粮食安全").await, vec![GRAIN.to_string()]);
    assert!(search("公交 粮食").await.is_empty(), "every term must match");
    assert!(search("站公").await.is_empty(), "a phrase, not loose characters");
    assert_eq!(search("183175").await.len(), 0, "the number is a filter, not text");
    let page = app.get(&format!("/api/v1/suggestions?q={}", enc("公交站点"))).as_(Role::Office).send().await.json();
    assert!(page["items"][0]["score"].as_f64().unwrap() > page["items"][1]["score"].as_f64().unwrap());
    app.get(&format!("/api/v1/suggestions?q={}", enc("，。")))
        .as_(Role::Office)
        .send()
        .await
        .problem(400, "invalid_query");

    // Search pages with its own cursor.
    let first =
        app.get(&format!("/api/v1/suggestions?q={}&limit=1", enc("公交站点"))).as_(Role::Office).send().await.json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("/api/v1/suggestions?q={}&limit=1&cursor={cursor}", enc("公交站点")))
        .as_(Role::Office)
        .send()
        .await;
    let second = second.expect(200).json();
    assert_eq!(second["items"][0]["title"], "关于完善城市道路交通的建议");
    assert!(second["next_cursor"].is_null());
    app.get(&format!("/api/v1/suggestions?cursor={cursor}"))
        .as_(Role::Office)
        .send()
        .await
        .problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn lists_filter_and_keep_a_stable_order() {
    let app = TestApp::new().await;
    let yang = deputy(&app, json!({"body": "npc", "name": "杨国哲"})).await;
    for (no, year, key, date) in
        [("3", 2023, false, "2023-03-01"), ("1", 2023, true, "2023-01-15"), ("2", 2022, false, "2022-02-01")]
    {
        let mut b = new(no, &format!("关于第{no}号事项的建议"));
        b["year"] = json!(year);
        b["is_key"] = json!(key);
        b["received_on"] = json!(date);
        if no == "1" {
            b["proposer_id"] = yang["id"].clone();
        }
        register(&app, b).await;
    }
    let numbers = async |query: &str| {
        let page = app.get(&format!("/api/v1/suggestions?{query}")).as_(Role::Office).send().await.expect(200).json();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["external_no"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers("").await, vec!["2", "1", "3"], "most recently registered first");
    assert_eq!(numbers("sort=external_no").await, vec!["1", "3", "2"]);
    assert_eq!(numbers("year=2023&sort=external_no").await, vec!["1", "3"]);
    assert_eq!(numbers("is_key=true").await, vec!["1"]);
    assert_eq!(numbers(&format!("deputy_id={}", yang["id"].as_str().unwrap())).await, vec!["1"]);
    assert_eq!(numbers("received_from=2023-01-01&received_to=2023-02-01").await, vec!["1"]);
    assert_eq!(numbers("source=cppcc").await, Vec::<String>::new());
    assert_eq!(numbers("status=registered&year=2022").await, vec!["2"]);
    app.get("/api/v1/suggestions?status=lost").as_(Role::Office).send().await.problem(400, "invalid_query");
    app.get("/api/v1/suggestions?received_from=yesterday").as_(Role::Office).send().await.problem(400, "invalid_query");

    let mut seen = Vec::new();
    let mut path = "/api/v1/suggestions?sort=external_no&limit=1".to_string();
    loop {
        let page = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        seen.push(page["items"][0]["external_no"].as_str().unwrap().to_string());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/suggestions?sort=external_no&limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["1", "3", "2"]);
    assert!(page_bodies_absent(&app).await);
}

async fn page_bodies_absent(app: &TestApp) -> bool {
    let page = app.get("/api/v1/suggestions").as_(Role::Office).send().await.json();
    page["items"].as_array().unwrap().iter().all(|s| s.get("body").is_none())
}

#[actix_web::test]
async fn similar_earlier_suggestions_come_best_first() {
    let app = TestApp::new().await;
    let mut older = new("2022001", "关于优化城区公交站点布局的建议");
    older["year"] = json!(2022);
    register(&app, older).await;
    let mut oldest = new("2021009", "关于增加公交线路的建议");
    oldest["year"] = json!(2021);
    register(&app, oldest).await;
    let mut grain = new("2022002", GRAIN);
    grain["year"] = json!(2022);
    register(&app, grain).await;
    let bus = register(&app, new("183050", BUS)).await;
    let res =
        app.get(&format!("/api/v1/suggestions/{}/similar", bus["id"].as_str().unwrap())).as_(Role::Office).send().await;
    let items = res.expect(200).json()["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["title"], "关于优化城区公交站点布局的建议");
    assert!(items[0]["similarity"].as_f64().unwrap() > 0.3);
    assert!(items.iter().all(|s| s["title"] != GRAIN));
    assert!(items.iter().all(|s| s["external_no"] != "183050"), "not itself");
    app.get(&format!("/api/v1/suggestions/{}/similar", uuid::Uuid::now_v7()))
        .as_(Role::Office)
        .send()
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn the_municipal_upsert_is_idempotent() {
    let app = TestApp::new().await;
    let path = "/api/v1/suggestions/by-external/npc/2023/183050";
    let payload = json!({
        "title": BUS, "body": "建议多规划建设港湾式公交站点。", "proposer": "杨国哲", "co_signers": ["曹孟"],
        "received_on": "2023-02-10", "session_label": "市十六届人大二次会议",
    });
    let res = app.put(path).as_(Role::Sync).json(&payload).send().await.expect(201);
    let created = res.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["proposer"]["name"], "杨国哲", "deputies are registered by name");
    let deputies_after_first =
        app.get("/api/v1/deputies").as_(Role::Office).send().await.json()["items"].as_array().unwrap().len();
    assert_eq!(deputies_after_first, 2);

    let again = app.put(path).as_(Role::Sync).json(&payload).send().await.expect(200);
    assert_eq!(again.version(), 1);
    assert_eq!(app.events(&id).await.len(), 1, "the same payload writes no event");
    assert_eq!(app.audit_actions("suggestion", &id).await.len(), 1, "nor an audit row");

    let mut changed = payload.clone();
    changed["is_key"] = json!(true);
    let res = app.put(path).as_(Role::Sync).json(&changed).send().await.expect(200);
    assert_eq!(res.version(), 2);
    assert_eq!(
        app.events(&id).await,
        vec![("suggestion.created".to_string(), Some(1)), ("suggestion.updated".to_string(), Some(2))]
    );
    let deputies = app.get("/api/v1/deputies").as_(Role::Office).send().await.json()["items"].as_array().unwrap().len();
    assert_eq!(deputies, 2, "known names are not registered again");

    // Bad input, and callers who must not.
    let res = app.put(path).as_(Role::Sync).json(&json!({"title": ""})).send().await;
    res.problem(422, "validation_failed");
    app.put("/api/v1/suggestions/by-external/senate/2023/1")
        .as_(Role::Sync)
        .json(&payload)
        .send()
        .await
        .problem(400, "invalid_path");
    app.put("/api/v1/suggestions/by-external/npc/twenty/1")
        .as_(Role::Sync)
        .json(&payload)
        .send()
        .await
        .problem(400, "invalid_path");
    app.put(path).as_(Role::Office).json(&payload).send().await.problem(403, "forbidden");
    app.post("/api/v1/suggestions").as_(Role::Sync).json(&new("9", BUS)).send().await.problem(403, "forbidden");
}

fn ndjson(rows: &[Value]) -> String {
    rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n")
}

#[actix_web::test]
async fn imports_report_each_row_and_repeat_as_no_ops() {
    let app = TestApp::new().await;
    let row = |no: &str, title: &str| json!({"source": "npc", "year": 2023, "external_no": no, "title": title, "proposer": "陈少军"});
    let mut body = ndjson(&[row("183050", BUS), row("183175", RIVER), row("183075", GRAIN)]);
    body.push_str("\n{\"source\": \"npc\", \"year\": 2023, \"external_no\": \"9\"}");
    body.push_str("\nnot json at all");
    body.push('\n');
    body.push_str(&row("183050", "重复的编号").to_string());
    let import = async |body: String| {
        app.post("/api/v1/suggestions/import")
            .as_(Role::Sync)
            .body("application/x-ndjson", body)
            .send()
            .await
            .expect(200)
            .json()
    };
    let report = import(body.clone()).await;
    assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(3), Some(3)), "{report}");
    let outcome = |line: u64| report["rows"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap().clone();
    assert_eq!(outcome(1)["outcome"], "created");
    assert_eq!(outcome(4)["errors"][0]["field"], "title");
    assert_eq!(outcome(5)["errors"][0]["code"], "malformed_json");
    assert_eq!(outcome(6)["errors"][0]["code"], "duplicate");

    let events_before = events_count(&app).await;
    let again = import(body).await;
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3)));
    assert_eq!(events_count(&app).await, events_before, "a repeated import is a no-op");

    let changed = import(ndjson(&[row("183050", "关于合理设置公交站点和候车亭的建议")])).await;
    assert_eq!(changed["updated"], 1);
    let found = app.get(&format!("/api/v1/suggestions?q={}", enc("候车亭"))).as_(Role::Office).send().await.json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);

    // Who may import what.
    let res = app
        .post("/api/v1/suggestions/import")
        .as_(Role::Office)
        .body("application/x-ndjson", ndjson(&[row("1", BUS)]))
        .send()
        .await;
    assert_eq!(res.expect(200).json()["created"], 1);
    app.post("/api/v1/suggestions/import")
        .as_(Role::Handler)
        .body("application/x-ndjson", "")
        .send()
        .await
        .problem(403, "forbidden");
    app.post("/api/v1/suggestions/import")
        .as_(Role::Sync)
        .body("text/csv", "a,b")
        .send()
        .await
        .problem(415, "unsupported_media_type");
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    app.post("/api/v1/suggestions/import").as_(Role::Sync).body(xlsx, "x").send().await.problem(403, "forbidden");
    app.post("/api/v1/suggestions/import")
        .as_(Role::Office)
        .body(xlsx, "not a workbook")
        .send()
        .await
        .problem(400, "unreadable_spreadsheet");
}

async fn events_count(app: &TestApp) -> i64 {
    use diesel::QueryDsl;
    use diesel_async::RunQueryDsl;
    let mut conn = app.conn().await;
    jianyi::db::schema::events::table.count().get_result(&mut conn).await.unwrap()
}

#[actix_web::test]
async fn the_office_imports_the_ledger_spreadsheet() {
    use rust_xlsxwriter::Workbook;
    let app = TestApp::new().await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        vec!["建议编号", "建议标题", "领衔代表", "附议代表", "类别", "重点建议", "收到日期", "建议内容"],
        vec!["183050", BUS, "杨国哲", "曹孟、陈少军", "城乡建设", "否", "2023-02-10", "建议多规划建设港湾式公交站点"],
        vec!["183175", RIVER, "曹孟", "", "生态环境", "是", "2023/2/11", "系统推进黄河流域生态保护与修复"],
        vec!["", "没有编号的行", "", "", "", "", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let res = app
        .post("/api/v1/suggestions/import?source=npc&year=2023")
        .as_(Role::Office)
        .body(xlsx, bytes.clone())
        .send()
        .await;
    let report = res.expect(200).json();
    assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(1)), "{report}");
    assert_eq!(report["rows"][2]["line"], 4);
    let river = app.get(&format!("/api/v1/suggestions?q={}", enc("黄河"))).as_(Role::Office).send().await.json();
    assert_eq!(river["items"][0]["is_key"], true);
    assert_eq!(river["items"][0]["received_on"], "2023-02-11");
    let again =
        app.post("/api/v1/suggestions/import?source=npc&year=2023").as_(Role::Office).body(xlsx, bytes).send().await;
    assert_eq!(again.expect(200).json()["unchanged"], 2);
    let mut missing = Workbook::new();
    missing.add_worksheet().write_string(0, 0, "备注").unwrap();
    let res = app
        .post("/api/v1/suggestions/import")
        .as_(Role::Office)
        .body(xlsx, missing.save_to_buffer().unwrap())
        .send()
        .await;
    res.problem(422, "missing_columns");
}

#[actix_web::test]
async fn callers_see_only_what_their_role_gives_them() {
    let app = TestApp::new().await;
    let own = deputy(
        &app,
        json!({"body": "npc", "name": "曹孟", "phone": "13800000000", "user_id": app.user(Role::Deputy).id}),
    )
    .await;
    let other = deputy(&app, json!({"body": "npc", "name": "陈少军", "confidential": true})).await;
    let mut mine = new("183175", RIVER);
    mine["proposer_id"] = own["id"].clone();
    let mine = register(&app, mine).await;
    let mut cosigned = new("183050", BUS);
    cosigned["proposer_id"] = other["id"].clone();
    cosigned["co_signer_ids"] = json!([own["id"]]);
    let cosigned = register(&app, cosigned).await;
    let mut theirs = new("183075", GRAIN);
    theirs["proposer_id"] = other["id"].clone();
    let theirs = register(&app, theirs).await;
    let path = |s: &Value| format!("/api/v1/suggestions/{}", s["id"].as_str().unwrap());

    // A deputy: their own and co-signed ones; another deputy's is 404.
    app.get(&path(&mine)).as_(Role::Deputy).send().await.expect(200);
    app.get(&path(&cosigned)).as_(Role::Deputy).send().await.expect(200);
    app.get(&path(&theirs)).as_(Role::Deputy).send().await.problem(404, "not_found");
    let list = app.get("/api/v1/suggestions").as_(Role::Deputy).send().await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let found = app.get(&format!("/api/v1/suggestions?q={}", enc("粮食"))).as_(Role::Deputy).send().await.json();
    assert!(found["items"].as_array().unwrap().is_empty(), "search stays in scope");
    app.get(&format!("{}/similar", path(&theirs))).as_(Role::Deputy).send().await.problem(404, "not_found");

    // Units see suggestions through assignments; none yet: 404 for every handler.
    for role in [Role::Handler, Role::SectionHead, Role::CoHandler] {
        app.get(&path(&mine)).as_(role).send().await.problem(404, "not_found");
        assert!(app.get("/api/v1/suggestions").as_(role).send().await.json()["items"].as_array().unwrap().is_empty());
    }
    // Office, leaders, admins and the sync job see all.
    for role in [Role::Office, Role::Leader, Role::Admin, Role::Sync] {
        app.get(&path(&theirs)).as_(role).send().await.expect(200);
    }

    // A confidential proposer's name is for the office only; contacts never appear.
    let as_leader = app.get(&path(&theirs)).as_(Role::Leader).send().await.json();
    assert!(as_leader["proposer"]["name"].is_null());
    assert_eq!(as_leader["proposer"]["confidential"], true);
    let as_office = app.get(&path(&theirs)).as_(Role::Office).send().await;
    let text = String::from_utf8(as_office.body.clone()).unwrap();
    assert!(text.contains("陈少军"));
    let as_deputy = String::from_utf8(app.get(&path(&mine)).as_(Role::Deputy).send().await.body).unwrap();
    assert!(!as_deputy.contains("13800000000"), "no contact details in suggestions");

    // Only the office writes.
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Office) {
        app.patch(&path(&mine))
            .as_(role)
            .if_match(1)
            .json(&json!({"is_key": true}))
            .send()
            .await
            .problem(403, "forbidden");
        app.post("/api/v1/suggestions").as_(role).json(&new("77", BUS)).send().await.problem(403, "forbidden");
    }
    app.get("/api/v1/suggestions").send().await.problem(401, "missing_token");
}

/// The version and the strong ETag move whenever the representation does: through the
/// statuses its assignments give it, when a supervising leader is named, and (the ETag)
/// when a deputy it names is renamed.
#[actix_web::test]
async fn the_etag_changes_whenever_the_representation_does() {
    let app = TestApp::new().await;
    let yang = deputy(&app, json!({"body": "npc", "name": "杨国哲"})).await;
    let mut body = new("183050", BUS);
    body["proposer_id"] = yang["id"].clone();
    body["is_key"] = json!(true);
    let id = register(&app, body).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/suggestions/{id}");
    let read = async || {
        let res = app.get(&path).as_(Role::Office).send().await.expect(200);
        (res.header("etag").unwrap().to_string(), res.json())
    };
    let (tag1, s1) = read().await;
    assert_eq!((s1["status"].as_str(), s1["version"].as_i64()), (Some("registered"), Some(1)));

    let assign = json!({
        "suggestion_id": id, "assigned_on": "2023-03-06", "supervisor_id": app.head.id,
        "units": [{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}],
    });
    let lead = app.post("/api/v1/assignments").as_(Role::Office).json(&assign).send().await.expect(201).json();
    let (tag2, s2) = read().await;
    assert_eq!(s2["status"], "assigned");
    assert_eq!(s2["supervisor_id"], json!(app.head.id));
    assert!(s2["version"].as_i64() > s1["version"].as_i64(), "{s2}");
    assert_ne!(tag2, tag1);

    let a = lead["items"][0]["id"].as_str().unwrap();
    let version = lead["items"][0]["version"].as_i64().unwrap();
    app.post(&format!("/api/v1/assignments/{a}/sign-in")).as_(Role::Handler).if_match(version).send().await.expect(200);
    let (tag3, s3) = read().await;
    assert_eq!(s3["status"], "handling");
    assert!(s3["version"].as_i64() > s2["version"].as_i64(), "{s3}");
    assert_ne!(tag3, tag2);
    let kinds: Vec<(String, Option<i32>)> = app.events(&id).await;
    assert!(kinds.iter().all(|(_, v)| v.is_some()), "every event of the suggestion names its version: {kinds:?}");

    // A renamed proposer changes what the suggestion says, not its own version.
    let deputy_path = format!("/api/v1/deputies/{}", yang["id"].as_str().unwrap());
    app.patch(&deputy_path).as_(Role::Office).if_match(1).json(&json!({"name": "杨国喆"})).send().await.expect(200);
    let (tag4, s4) = read().await;
    assert_eq!((s4["proposer"]["name"].as_str(), s4["version"].clone()), (Some("杨国喆"), s3["version"].clone()));
    assert_ne!(tag4, tag3);
    // If-Match takes the ETag as read, or its version alone.
    let patch = json!({"category": "城乡建设"});
    app.patch(&path)
        .as_(Role::Office)
        .header("if-match", &tag1)
        .json(&patch)
        .send()
        .await
        .problem(412, "stale_version");
    app.patch(&path).as_(Role::Office).header("if-match", &tag4).json(&patch).send().await.expect(200);
}
