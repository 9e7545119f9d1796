//! Coordination: the bureau's own co-handling opinion through its section head and the
//! office to a recorded delivery; external co-handlers' opinions to the bureau's lead,
//! who sees them and their documents while other co-handlers do not; waivers; contacts
//! with deputies, the deputy's own view, confidential names, and the contact plan.

use serde_json::{Value, json};

use jianyi::auth::Role;

use crate::documents::{pdf, upload};
use crate::support::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn assigned(app: &TestApp, no: &str, units: Value, extra: Value) -> (String, Vec<Value>) {
    let mut body = json!({"source": "npc", "year": 2024, "external_no": no, "title": "关于合理设置公交站点的建议"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let s = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201).json();
    let today = jianyi::calendar::Today::default().date().to_string();
    let items = app
        .post("/api/v1/assignments")
        .as_(Role::Office)
        .json(&json!({"suggestion_id": s["id"], "assigned_on": today, "units": units}))
        .send()
        .await
        .expect(201)
        .json();
    (id(&s), items["items"].as_array().unwrap().clone())
}

pub(crate) async fn sign_in(app: &TestApp, token: &str, assignment: &str) {
    let path = format!("/api/v1/assignments/{assignment}/sign-in");
    app.post(&path).bearer(token).header("if-match", "*").send().await.expect(200);
}

/// Acts on an opinion with `If-Match` of its current version; the answer.
async fn act(app: &TestApp, token: &str, opinion: &Value, what: &str, body: Option<Value>) -> crate::support::Reply {
    let path = format!("/api/v1/opinions/{}/{what}", id(opinion));
    let call = app.post(&path).bearer(token).if_match(opinion["version"].as_i64().unwrap());
    match body {
        Some(b) => call.json(&b).send().await,
        None => call.send().await,
    }
}

#[actix_web::test]
async fn the_bureaus_opinion_passes_its_section_head_and_the_office_and_is_delivered() {
    let app = TestApp::new().await;
    // 市交通运输局 leads; the bureau (建设工程管理科) co-handles.
    let (s, items) = assigned(
        &app,
        "240301",
        json!([
            {"unit_id": app.units.transport, "role": "lead"},
            {"unit_id": app.units.bureau, "role": "co", "section_id": app.units.construction},
        ]),
        json!({}),
    )
    .await;
    let co = id(&items[1]);
    let handler = app.token(Role::Handler).to_string();
    let head = app.token(Role::SectionHead).to_string();
    let office = app.token(Role::Office).to_string();
    let attachment = upload(&app, &handler, &s, "协办意见附件.pdf", &pdf(4000)).await.expect(201).json();
    let draft = app
        .post("/api/v1/opinions")
        .bearer(&handler)
        .json(&json!({"assignment_id": co, "body": "经研究，我局意见如下：一、……", "document_ids": [attachment["id"]]}))
        .send()
        .await
        .expect(201)
        .json();
    assert_eq!((draft["state"].as_str(), draft["internal"].as_bool()), (Some("draft"), Some(true)));
    assert_eq!(draft["documents"][0]["name"], "协办意见附件.pdf");
    assert_eq!(draft["allowed_actions"], json!(["edit", "submit"]));
    // A second opinion on the same assignment: 409.
    let again = app.post("/api/v1/opinions").bearer(&handler).json(&json!({"assignment_id": co, "body": "x"}));
    again.send().await.problem(409, "opinion_exists");
    // Another section cannot see it or draft for it.
    let path = format!("/api/v1/opinions/{}", id(&draft));
    app.get(&path).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    let theirs = app.post("/api/v1/opinions").bearer(&app.other_handler.token);
    theirs.json(&json!({"assignment_id": co, "body": "x"})).send().await.problem(404, "not_found");

    let submitted = act(&app, &handler, &draft, "submit", None).await.expect(200).json();
    assert_eq!(submitted["state"], "section_review");
    assert!(submitted["doc_no"].is_null(), "the bureau's number comes with the delivery");
    // The drafter has no say; the section head returns it with a comment (required).
    act(&app, &handler, &submitted, "decisions", Some(json!({"decision": "approve"}))).await.problem(403, "forbidden");
    act(&app, &head, &submitted, "decisions", Some(json!({"decision": "return"})))
        .await
        .problem(422, "validation_failed");
    act(&app, &office, &submitted, "decisions", Some(json!({"decision": "approve"}))).await.problem(403, "forbidden");
    let returned =
        act(&app, &head, &submitted, "decisions", Some(json!({"decision": "return", "comment": "请补充时间安排"})))
            .await
            .expect(200)
            .json();
    assert_eq!(returned["state"], "draft");
    assert_eq!(returned["decisions"][0]["comment"], "请补充时间安排");
    assert_eq!(returned["decisions"][0]["opinion_version"], submitted["version"]);
    let edited = app
        .patch(&path)
        .bearer(&handler)
        .if_match(returned["version"].as_i64().unwrap())
        .json(&json!({"body": "经研究，我局意见如下：一、……二、计划于2024年6月底前完成。"}))
        .send()
        .await
        .expect(200)
        .json();
    let again = act(&app, &handler, &edited, "submit", None).await.expect(200).json();
    let at_office =
        act(&app, &head, &again, "decisions", Some(json!({"decision": "approve"}))).await.expect(200).json();
    assert_eq!(at_office["state"], "office_review");
    // A stale version: 412.
    act(&app, &office, &again, "decisions", Some(json!({"decision": "approve"}))).await.problem(412, "stale_version");
    let approved =
        act(&app, &office, &at_office, "decisions", Some(json!({"decision": "approve"}))).await.expect(200).json();
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["decisions"].as_array().unwrap().len(), 3);

    // The delivery needs the signed scan, and the assignment signed in.
    let no_scan = json!({"delivered_at": "2024-03-20T02:00:00Z", "channel": "document_exchange", "document_ids": []});
    act(&app, &office, &approved, "delivery", Some(no_scan)).await.problem(422, "validation_failed");
    let scan = upload(&app, &office, &s, "协办意见函（盖章）.pdf", &pdf(9000)).await.expect(201).json();
    let delivery = json!({"delivered_at": "2024-03-20T02:00:00Z", "channel": "document_exchange",
        "note": "经公文交换送市交通运输局", "document_ids": [scan["id"]]});
    act(&app, &office, &approved, "delivery", Some(delivery.clone())).await.problem(409, "illegal_transition");
    sign_in(&app, &handler, &co).await;
    let delivered = act(&app, &office, &approved, "delivery", Some(delivery)).await.expect(200).json();
    assert_eq!(delivered["state"], "delivered");
    assert_eq!(delivered["doc_no"], "市自然资源和规划局协〔2024〕1号");
    assert_eq!(delivered["delivery_channel"], "document_exchange");
    assert_eq!(delivered["documents"].as_array().unwrap().len(), 2);
    let a = app.get(&format!("/api/v1/assignments/{co}")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(a["state"], "opinion_given");
    // The scan is part of the opinion now: it cannot be deleted alone.
    let scan_path = format!("/api/v1/documents/{}", id(&scan));
    app.delete(&scan_path).bearer(&office).if_match(2).send().await.problem(409, "document_attached");
    let actions: Vec<String> = app.audit_actions("opinion", &id(&draft)).await.into_iter().map(|a| a.0).collect();
    assert_eq!(
        actions,
        [
            "opinion.draft",
            "opinion.submit",
            "opinion.return_section",
            "opinion.edit",
            "opinion.submit",
            "opinion.approve_section",
            "opinion.approve_office",
            "opinion.deliver"
        ]
    );
    let events: Vec<String> = app.events(&id(&draft)).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events.last().unwrap(), "opinion.delivered");
}

#[actix_web::test]
async fn co_handlers_opinions_reach_the_lead_and_no_other_co_handler() {
    let app = TestApp::new().await;
    let (s, items) = assigned(
        &app,
        "240302",
        json!([
            {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction},
            {"unit_id": app.units.transport, "role": "co"},
            {"unit_id": app.units.forestry, "role": "co"},
        ]),
        json!({}),
    )
    .await;
    let (transport_co, forestry_co) = (id(&items[1]), id(&items[2]));
    let co = app.token(Role::CoHandler).to_string();
    let doc = upload(&app, &co, &s, "市交通运输局协办意见.pdf", &pdf(3000)).await.expect(201).json();
    let draft = app
        .post("/api/v1/opinions")
        .bearer(&co)
        .json(&json!({"assignment_id": transport_co, "body": "我局同意调整站点", "doc_no": "市交通运输局协〔2024〕5号",
            "document_ids": [doc["id"]]}))
        .send()
        .await
        .expect(201)
        .json();
    assert_eq!(draft["internal"], false);
    // Before it is given, the lead does not see the draft.
    let lead_list = format!("/api/v1/opinions?suggestion_id={s}");
    assert_eq!(app.get(&lead_list).as_(Role::Handler).send().await.expect(200).json()["items"], json!([]));
    // Not signed in yet: the co-handling assignment cannot take the opinion.
    act(&app, &co, &draft, "submit", None).await.problem(409, "illegal_transition");
    sign_in(&app, &co, &transport_co).await;
    let given = act(&app, &co, &draft, "submit", None).await.expect(200).json();
    assert_eq!((given["state"].as_str(), given["delivery_channel"].as_str()), (Some("delivered"), Some("system")));
    assert_eq!(given["doc_no"], "市交通运输局协〔2024〕5号");
    let a = app.get(&format!("/api/v1/assignments/{transport_co}")).as_(Role::Office).send().await.json();
    assert_eq!(a["state"], "opinion_given");

    // The lead's section sees it and downloads its document; the other co-handler does not.
    let seen = app.get(&lead_list).as_(Role::Handler).send().await.expect(200).json();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
    let content = format!("/api/v1/documents/{}/content", id(&doc));
    assert_eq!(app.get(&content).as_(Role::Handler).send().await.expect(200).body, pdf(3000));
    let other = app.other_co_handler.token.clone();
    app.get(&format!("/api/v1/opinions/{}", id(&given))).bearer(&other).send().await.problem(404, "not_found");
    assert_eq!(app.get(&lead_list).bearer(&other).send().await.expect(200).json()["items"], json!([]));
    app.get(&content).bearer(&other).send().await.problem(404, "not_found");
    app.get(&content).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    // A deputy reads no opinion at all.
    app.get(&lead_list).as_(Role::Deputy).send().await.problem(403, "forbidden");

    // Where the co-handlers stand: one given, one missing with its deadline; the office
    // waives the missing one with a reason.
    let status_path = format!("/api/v1/opinions/co-handlers?suggestion_id={s}");
    let status = app.get(&status_path).as_(Role::Handler).send().await.expect(200).json();
    let by_unit = |v: &Value, unit: &str| {
        v["items"].as_array().unwrap().iter().find(|i| i["unit_name"] == unit).cloned().unwrap()
    };
    assert_eq!(by_unit(&status, "市交通运输局")["status"], "given");
    let missing = by_unit(&status, "市林业局");
    assert_eq!(missing["status"], "missing");
    assert_eq!(missing["due_on"], items[2]["due_on"]);
    app.get(&status_path).bearer(&other).send().await.problem(404, "not_found");
    let waiver = json!({"assignment_id": forestry_co, "reason": "市林业局来函说明无补充意见"});
    app.post("/api/v1/opinion-waivers").as_(Role::Handler).json(&waiver).send().await.problem(403, "forbidden");
    let w = app.post("/api/v1/opinion-waivers").as_(Role::Office).json(&waiver).send().await.expect(201).json();
    assert_eq!(
        (w["status"].as_str(), w["waiver_reason"].as_str()),
        (Some("waived"), Some("市林业局来函说明无补充意见"))
    );
    app.post("/api/v1/opinion-waivers").as_(Role::Office).json(&waiver).send().await.problem(409, "already_waived");
    let given_waiver = json!({"assignment_id": transport_co, "reason": "x"});
    app.post("/api/v1/opinion-waivers")
        .as_(Role::Office)
        .json(&given_waiver)
        .send()
        .await
        .problem(409, "opinion_given");
    let blank = json!({"assignment_id": forestry_co, "reason": "  "});
    app.post("/api/v1/opinion-waivers").as_(Role::Office).json(&blank).send().await.problem(422, "validation_failed");
    assert_eq!(app.audit_actions("opinion_waiver", &forestry_co).await.len(), 1);
}

#[actix_web::test]
async fn contacts_are_seen_by_the_unit_and_the_deputies_who_took_part_and_keep_confidential_names() {
    let app = TestApp::new().await;
    let office = |path: &'static str, body: Value| {
        let app = &app;
        async move { app.post(path).as_(Role::Office).json(&body).send().await.expect(201).json() }
    };
    let yang =
        office("/api/v1/deputies", json!({"body": "npc", "name": "杨国哲", "user_id": app.user(Role::Deputy).id}))
            .await;
    let cao = office("/api/v1/deputies", json!({"body": "npc", "name": "曹孟", "confidential": true})).await;
    let stranger = office("/api/v1/deputies", json!({"body": "npc", "name": "陈少军"})).await;
    let (s, items) = assigned(
        &app,
        "240303",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]),
        json!({"proposer_id": yang["id"], "co_signer_ids": [cao["id"]]}),
    )
    .await;
    let lead = id(&items[0]);
    let handler = app.token(Role::Handler).to_string();

    // The plan owes a pre-handling contact, due with the reply.
    let plan_path = format!("/api/v1/contacts/plan?assignment_id={lead}");
    let plan = app.get(&plan_path).bearer(&handler).send().await.expect(200).json();
    assert_eq!(plan["items"][0]["obligation"], "pre_handling");
    assert!(plan["items"][0]["done_on"].is_null());
    assert_eq!(plan["items"][0]["due_on"], items[0]["due_on"]);

    // Bad input changes nothing.
    let good = json!({"assignment_id": lead, "kind": "pre_handling", "channel": "visit", "contacted_on": "2024-03-12",
        "face_to_face": true, "staff": ["张科长", "李明"], "deputy_ids": [yang["id"], cao["id"]],
        "others": ["社区主任"], "summary": "走访杨国哲、曹孟代表，了解公交站点设置的具体诉求", "internal_note": "代表情绪较大，需尽快答复"});
    for (field, value) in [
        ("deputy_ids", json!([stranger["id"]])),
        ("staff", json!([])),
        ("summary", json!("")),
        ("extension_id", json!(uuid::Uuid::now_v7())),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let res = app.post("/api/v1/contacts").bearer(&handler).json(&bad).send().await;
        assert_eq!(res.status.as_u16(), 422, "{field}: {}", String::from_utf8_lossy(&res.body));
    }
    app.post("/api/v1/contacts").bearer(&app.other_handler.token).json(&good).send().await.problem(404, "not_found");
    app.post("/api/v1/contacts").as_(Role::CoHandler).json(&good).send().await.problem(403, "forbidden");
    let contact = app.post("/api/v1/contacts").bearer(&handler).json(&good).send().await.expect(201).json();
    let names = |c: &Value| c["deputies"].as_array().unwrap().iter().map(|d| d["name"].clone()).collect::<Vec<_>>();
    // The unit sees its note, but not the confidential co-signer's name.
    assert_eq!(names(&contact), [json!("杨国哲"), Value::Null]);
    assert_eq!(contact["internal_note"], "代表情绪较大，需尽快答复");
    // The office sees every name.
    let list_path = format!("/api/v1/contacts?suggestion_id={s}");
    let as_office = app.get(&list_path).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(names(&as_office["items"][0]), [json!("杨国哲"), json!("曹孟")]);
    // The deputy who took part sees the contact, never the internal note.
    let as_deputy = app.get(&list_path).as_(Role::Deputy).send().await.expect(200).json();
    assert_eq!(as_deputy["items"].as_array().unwrap().len(), 1);
    assert!(as_deputy["items"][0]["internal_note"].is_null());
    assert_eq!(names(&as_deputy["items"][0]), [json!("杨国哲"), Value::Null]);
    // The event carries no name and no text.
    let events = app.events(&id(&contact)).await;
    assert_eq!(events[0].0, "contact.recorded");
    let mut conn = app.conn().await;
    let payloads: Vec<String> = {
        use diesel::{ExpressionMethods, QueryDsl};
        use diesel_async::RunQueryDsl;
        use jianyi::db::schema::events;
        events::table
            .filter(events::entity_type.eq("contact"))
            .select(diesel::dsl::sql::<diesel::sql_types::Text>("payload::text"))
            .load(&mut *conn)
            .await
            .unwrap()
    };
    assert!(
        payloads.iter().all(|p| !p.contains("曹孟") && !p.contains("杨国哲") && !p.contains("走访")),
        "{payloads:?}"
    );
    // Another section and a co-handler see nothing of it.
    assert_eq!(
        app.get(&list_path).bearer(&app.other_handler.token).send().await.expect(200).json()["items"],
        json!([])
    );
    let one = format!("/api/v1/contacts/{}", id(&contact));
    app.get(&one).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    app.get(&one).as_(Role::CoHandler).send().await.problem(403, "forbidden");

    // The deputy follows their suggestion: its assignments, not its internal handling.
    let mine =
        app.get(&format!("/api/v1/assignments?suggestion_id={s}")).as_(Role::Deputy).send().await.expect(200).json();
    assert_eq!(mine["items"][0]["unit_name"], "市自然资源和规划局");
    app.get(&format!("/api/v1/assignments/{lead}")).as_(Role::Deputy).send().await.expect(200);
    app.get(&format!("/api/v1/assignments/{lead}/extensions")).as_(Role::Deputy).send().await.problem(403, "forbidden");

    // Met now; the plan says so.
    let plan = app.get(&plan_path).bearer(&handler).send().await.expect(200).json();
    assert_eq!(plan["items"][0]["done_on"], "2024-03-12");
    assert_eq!(plan["items"][0]["due_state"], "on_track");
}

#[actix_web::test]
async fn another_deputys_suggestion_answers_404() {
    let app = TestApp::new().await;
    let other = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "陈少军"}))
        .send()
        .await
        .expect(201)
        .json();
    let (s, items) = assigned(
        &app,
        "240304",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]),
        json!({"proposer_id": other["id"]}),
    )
    .await;
    let lead = id(&items[0]);
    let contact = json!({"assignment_id": lead, "kind": "pre_handling", "channel": "phone", "contacted_on": "2024-03-12",
        "staff": ["李明"], "deputy_ids": [other["id"]], "summary": "电话沟通"});
    let c = app.post("/api/v1/contacts").as_(Role::Handler).json(&contact).send().await.expect(201).json();
    app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Deputy).send().await.problem(404, "not_found");
    app.get(&format!("/api/v1/assignments/{lead}")).as_(Role::Deputy).send().await.problem(404, "not_found");
    app.get(&format!("/api/v1/contacts/{}", id(&c))).as_(Role::Deputy).send().await.problem(404, "not_found");
    let list = app.get(&format!("/api/v1/contacts?suggestion_id={s}")).as_(Role::Deputy).send().await.expect(200);
    assert_eq!(list.json()["items"], json!([]));
}

#[actix_web::test]
async fn settings_change_the_contact_rules() {
    let app = TestApp::new().await;
    let s = app.get("/api/v1/settings").as_(Role::Handler).send().await.expect(200).json();
    assert_eq!(
        (s["require_pre_handling_contact"].as_bool(), s["progress_feedback_months"].as_i64()),
        (Some(true), Some(3))
    );
    app.patch("/api/v1/settings").as_(Role::Office).if_match(1).json(&json!({})).send().await.problem(403, "forbidden");
    for bad in [json!({"progress_feedback_months": 0}), json!({"follow_up_visit_months": 13})] {
        app.patch("/api/v1/settings")
            .as_(Role::Admin)
            .if_match(1)
            .json(&bad)
            .send()
            .await
            .problem(422, "validation_failed");
    }
    assert_eq!(s["follow_up_visit_months"], 1);
    let off = json!({"require_pre_handling_contact": false});
    let after = app.patch("/api/v1/settings").as_(Role::Admin).if_match(1).json(&off).send().await.expect(200).json();
    assert_eq!((after["require_pre_handling_contact"].as_bool(), after["version"].as_i64()), (Some(false), Some(2)));
    app.patch("/api/v1/settings").as_(Role::Admin).if_match(1).json(&off).send().await.problem(412, "stale_version");
    let (_, items) = assigned(
        &app,
        "240305",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]),
        json!({}),
    )
    .await;
    let plan =
        app.get(&format!("/api/v1/contacts/plan?assignment_id={}", id(&items[0]))).as_(Role::Office).send().await;
    assert_eq!(plan.expect(200).json()["items"], json!([]), "no contact is owed under these rules");
}

/// Signs in with a password through the API; the access token.
pub(crate) async fn sign_in_as(app: &TestApp, username: &str, password: &str) -> String {
    let body = json!({"grant_type": "password", "username": username, "password": password});
    let res = app.post("/api/v1/auth/token").json(&body).send().await.expect(200);
    res.json()["access_token"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn the_seed_year_is_co_handled_by_api_calls_alone() {
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    let demo = |u: &'static str| sign_in_as(&app, u, "jianyi-demo-2023");
    let office = demo("bangongshi").await;
    let mut staff = std::collections::HashMap::new();
    staff.insert("建设工程管理科", (demo("jsgc").await, demo("jsgc_kz").await));
    staff.insert("耕地保护科", (demo("gdbh").await, demo("gdbh_kz").await));
    for (section, handler, head) in [
        ("不动产登记科", "bdcdj", "bdcdj_kz"),
        ("国土空间规划科", "gtkj", "gtkj_kz"),
        ("生态修复科", "sthf", "sthf_kz"),
    ] {
        staff.insert(section, (demo(handler).await, demo(head).await));
    }
    let mine = app.get("/api/v1/assignments?year=2023&limit=200").bearer(&office).send().await.expect(200).json();
    let items = mine["items"].as_array().unwrap().clone();
    let bureau_co: Vec<&Value> = items.iter().filter(|a| a["role"] == "co" && a["section_name"].is_string()).collect();
    assert_eq!(bureau_co.len(), 8);
    // The office sees each assignment's liaison and phone (the section's; the fixture's own
    // units, made before the demo, named none).
    let demo_sections = ["不动产登记科", "国土空间规划科", "生态修复科"];
    let named: Vec<&Value> =
        items.iter().filter(|a| demo_sections.contains(&a["section_name"].as_str().unwrap_or(""))).collect();
    assert!(!named.is_empty() && named.iter().all(|a| a["liaison_name"].is_string() && a["liaison_phone"].is_string()));

    // The bureau co-handles 8: each section drafts, its head and the office approve, the
    // office delivers the signed letter to the lead unit.
    let mut numbers = Vec::new();
    for a in &bureau_co {
        let section = a["section_name"].as_str().unwrap();
        let (handler, head) = staff.get(section).unwrap();
        let (s, co) = (a["suggestion_id"].as_str().unwrap(), id(a));
        sign_in(&app, handler, &co).await;
        let name = format!("{}协办意见（草稿）.docx", a["external_no"].as_str().unwrap());
        let draft_doc = upload(&app, handler, s, &name, &pdf(2048)).await.expect(201).json();
        let body = json!({"assignment_id": co, "body": format!("关于{}的协办意见：……", a["title"].as_str().unwrap()),
            "document_ids": [draft_doc["id"]]});
        let o = app.post("/api/v1/opinions").bearer(handler).json(&body).send().await.expect(201).json();
        let o = act(&app, handler, &o, "submit", None).await.expect(200).json();
        let o = act(&app, head, &o, "decisions", Some(json!({"decision": "approve"}))).await.expect(200).json();
        let o = act(&app, &office, &o, "decisions", Some(json!({"decision": "approve"}))).await.expect(200).json();
        let scan = upload(&app, &office, s, "协办意见函（盖章扫描件）.pdf", &pdf(5000)).await.expect(201).json();
        let delivery = json!({"delivered_at": "2023-04-03T02:00:00Z", "channel": "document_exchange",
            "document_ids": [scan["id"]]});
        let o = act(&app, &office, &o, "delivery", Some(delivery)).await.expect(200).json();
        assert_eq!(o["state"], "delivered");
        numbers.push(o["doc_no"].as_str().unwrap().to_string());
        let back = app.get(&format!("/api/v1/documents/{}/content", id(&draft_doc))).bearer(handler).send().await;
        assert_eq!(back.expect(200).body, pdf(2048), "{name} comes back byte-identical");
        let a = app.get(&format!("/api/v1/assignments/{co}")).bearer(&office).send().await.json();
        assert_eq!(a["state"], "opinion_given");
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 8, "each opinion has its own number of the bureau's series");
    assert!(numbers.contains(&"市自然资源和规划局协〔2023〕8号".to_string()), "{numbers:?}");

    // The bureau leads 3: each co-handling unit gives its opinion, and the lead section
    // reads it and its attachment.
    let co_handlers =
        [("市交通运输局", demo("jtj").await), ("市农业农村局", demo("nyncj").await), ("市水利局", demo("slj").await)];
    let leads: Vec<&Value> = items.iter().filter(|a| a["role"] == "lead" && a["section_name"].is_string()).collect();
    assert_eq!(leads.len(), 3);
    for lead in leads {
        let s = lead["suggestion_id"].as_str().unwrap();
        let cos = app.get(&format!("/api/v1/assignments?suggestion_id={s}")).bearer(&office).send().await.json();
        let co = cos["items"].as_array().unwrap().iter().find(|a| a["role"] == "co").unwrap().clone();
        let token = &co_handlers.iter().find(|(u, _)| co["unit_name"] == *u).unwrap().1;
        sign_in(&app, token, &id(&co)).await;
        let name =
            format!("{}关于{}的协办意见.pdf", co["unit_name"].as_str().unwrap(), lead["external_no"].as_str().unwrap());
        let bytes = pdf(7000 + name.len());
        let doc = upload(&app, token, s, &name, &bytes).await.expect(201).json();
        let body = json!({"assignment_id": id(&co), "body": "我单位意见如下：……", "document_ids": [doc["id"]]});
        let o = app.post("/api/v1/opinions").bearer(token).json(&body).send().await.expect(201).json();
        act(&app, token, &o, "submit", None).await.expect(200);
        let section = lead["section_name"].as_str().unwrap();
        let (handler, _) = staff.get(section).unwrap();
        let seen = app.get(&format!("/api/v1/opinions?suggestion_id={s}")).bearer(handler).send().await.json();
        assert_eq!(seen["items"].as_array().unwrap().len(), 1, "{section} sees the opinion on {s}");
        let got = app.get(&format!("/api/v1/documents/{}/content", id(&doc))).bearer(handler).send().await;
        assert_eq!(got.expect(200).body, bytes);
        let status = app.get(&format!("/api/v1/opinions/co-handlers?suggestion_id={s}")).bearer(handler).send().await;
        assert!(status.expect(200).json()["items"].as_array().unwrap().iter().all(|c| c["status"] == "given"));
    }
}

#[actix_web::test]
async fn every_unit_names_a_liaison_whom_the_office_sees_on_each_assignment() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/units/{}", app.units.construction);
    let bad = json!({"liaison_name": "李明", "liaison_phone": "call me"});
    app.patch(&path).as_(Role::Admin).if_match(1).json(&bad).send().await.problem(422, "validation_failed");
    let good = json!({"liaison_name": "李明", "liaison_phone": "0371-6655 8899"});
    let unit = app.patch(&path).as_(Role::Admin).if_match(1).json(&good).send().await.expect(200).json();
    assert_eq!((unit["liaison_name"].as_str(), unit["version"].as_i64()), (Some("李明"), Some(2)));
    let (_, items) = assigned(
        &app,
        "240306",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction},
               {"unit_id": app.units.transport, "role": "co"}]),
        json!({}),
    )
    .await;
    let a = app.get(&format!("/api/v1/assignments/{}", id(&items[0]))).as_(Role::Office).send().await.json();
    assert_eq!((a["liaison_name"].as_str(), a["liaison_phone"].as_str()), (Some("李明"), Some("0371-6655 8899")));
    let co = app.get(&format!("/api/v1/assignments/{}", id(&items[1]))).as_(Role::Office).send().await.json();
    assert!(co["liaison_name"].is_null(), "市交通运输局 has named none yet");
    let cleared = json!({"liaison_phone": ""});
    let unit = app.patch(&path).as_(Role::Admin).if_match(2).json(&cleared).send().await.expect(200).json();
    assert!(unit["liaison_phone"].is_null());
}

/// One confidential deputy, every path a name could leak through: a suggestion, lists and
/// search, assignments, contacts, opinions, the task table, events and the audit log.
#[actix_web::test]
async fn a_confidential_deputys_name_reaches_only_the_office_and_admins() {
    use calamine::{Reader, Xlsx};
    let app = TestApp::new().await;
    let cao = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "曹孟", "phone": "13900001111", "confidential": true}))
        .send()
        .await
        .expect(201)
        .json();
    let (s, items) = assigned(
        &app,
        "240307",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction},
               {"unit_id": app.units.transport, "role": "co"}]),
        json!({"title": "关于加强黄河流域生态保护与修复的建议", "proposer_id": cao["id"]}),
    )
    .await;
    let contact = json!({"assignment_id": id(&items[0]), "kind": "pre_handling", "channel": "phone",
        "contacted_on": "2024-03-12", "staff": ["李明"], "deputy_ids": [cao["id"]], "summary": "电话沟通办理思路"});
    app.post("/api/v1/contacts").as_(Role::Handler).json(&contact).send().await.expect(201);
    let co = app.token(Role::CoHandler).to_string();
    sign_in(&app, &co, &id(&items[1])).await;
    let o = app.post("/api/v1/opinions").bearer(&co).json(&json!({"assignment_id": id(&items[1]), "body": "同意"}));
    let o = o.send().await.expect(201).json();
    act(&app, &co, &o, "submit", None).await.expect(200);

    let paths = [
        format!("/api/v1/suggestions/{s}"),
        "/api/v1/suggestions?year=2024".to_string(),
        format!("/api/v1/suggestions?q={}", crate::support::enc("黄河 生态")),
        format!("/api/v1/assignments?suggestion_id={s}"),
        format!("/api/v1/contacts?suggestion_id={s}"),
        format!("/api/v1/opinions?suggestion_id={s}"),
    ];
    for path in &paths {
        for (who, token) in [
            ("leader", app.token(Role::Leader)),
            ("handler", app.token(Role::Handler)),
            ("section head", app.token(Role::SectionHead)),
            ("co-handler", app.token(Role::CoHandler)),
        ] {
            let res = app.get(path).bearer(token).send().await;
            let text = String::from_utf8_lossy(&res.body);
            assert!(!text.contains("曹孟") && !text.contains("13900001111"), "{who} {path}: {text}");
        }
    }
    let as_office = app.get(&paths[0]).as_(Role::Office).send().await;
    assert!(String::from_utf8_lossy(&as_office.body).contains("曹孟"));
    let as_office = app.get(&paths[4]).as_(Role::Office).send().await;
    assert!(String::from_utf8_lossy(&as_office.body).contains("曹孟"));
    // The deputy record itself is not for units at all.
    app.get(&format!("/api/v1/deputies/{}", id(&cao))).as_(Role::Handler).send().await.problem(403, "forbidden");
    // The task table a section exports.
    let table = app.get("/api/v1/assignments/table?year=2024").as_(Role::Handler).send().await.expect(200);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(table.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert!(sheet.rows().flatten().all(|c| !c.to_string().contains("曹孟")));
    // The audit log is for admins only; no event payload carries the name or the phone.
    app.get("/api/v1/audit").as_(Role::Office).send().await.problem(403, "forbidden");
    let mut conn = app.conn().await;
    let payloads: Vec<String> = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        use jianyi::db::schema::events;
        events::table
            .select(diesel::dsl::sql::<diesel::sql_types::Text>("payload::text"))
            .load(&mut *conn)
            .await
            .unwrap()
    };
    assert!(payloads.len() > 5);
    assert!(payloads.iter().all(|p| !p.contains("曹孟") && !p.contains("13900001111")), "{payloads:?}");
}

#[actix_web::test]
async fn an_approved_extension_calls_for_progress_feedback_until_the_reply() {
    let app = TestApp::new().await;
    let yang = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "杨国哲"}))
        .send()
        .await
        .expect(201)
        .json();
    let (_, items) = assigned(
        &app,
        "240308",
        json!([{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]),
        json!({"proposer_id": yang["id"]}),
    )
    .await;
    let lead = id(&items[0]);
    let handler = app.token(Role::Handler).to_string();
    let until = (chrono::NaiveDate::parse_from_str(items[0]["due_on"].as_str().unwrap(), "%Y-%m-%d").unwrap()
        + chrono::Months::new(2))
    .to_string();
    let ext = app
        .post(&format!("/api/v1/assignments/{lead}/extensions"))
        .bearer(&handler)
        .json(&json!({"reason": "需进行现场踏勘", "requested_until": until}))
        .send()
        .await
        .expect(201)
        .json();
    let today = jianyi::calendar::Today::default().date();
    let decision =
        json!({"approve": true, "explanation": "已电话向代表说明延期原因", "explained_on": today.to_string()});
    app.post(&format!("/api/v1/extensions/{}/decision", id(&ext)))
        .as_(Role::Office)
        .if_match(1)
        .json(&decision)
        .send()
        .await
        .expect(200);
    let plan_path = format!("/api/v1/contacts/plan?assignment_id={lead}");
    let plan = app.get(&plan_path).bearer(&handler).send().await.expect(200).json();
    let feedback =
        plan["items"].as_array().unwrap().iter().find(|o| o["obligation"] == "progress_feedback").unwrap().clone();
    assert_eq!(feedback["due_on"], (today + chrono::Months::new(3)).to_string());
    assert!(feedback["done_on"].is_null());
    // The contact that explained the delay names the extension; the next feedback counts
    // from the one recorded.
    let contact = json!({"assignment_id": lead, "kind": "progress_feedback", "channel": "phone",
        "contacted_on": today.to_string(), "staff": ["李明"], "deputy_ids": [yang["id"]],
        "summary": "向代表说明延期原因及办理进展", "extension_id": ext["id"]});
    let c = app.post("/api/v1/contacts").bearer(&handler).json(&contact).send().await.expect(201).json();
    assert_eq!(c["extension_id"], ext["id"]);
    let plan = app.get(&plan_path).bearer(&handler).send().await.expect(200).json();
    let feedback =
        plan["items"].as_array().unwrap().iter().find(|o| o["obligation"] == "progress_feedback").unwrap().clone();
    assert_eq!(feedback["due_on"], (today + chrono::Months::new(3)).to_string());
    assert_eq!(feedback["due_state"], "on_track");
}
