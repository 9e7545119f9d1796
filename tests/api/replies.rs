//! Replies: the seed year's lead and split replies drafted, signed off by the co-handlers,
//! reviewed at three levels, lettered as PDF and DOCX and signed, by API calls alone;
//! bodies that never give back a script; co-handlers who read only what they were asked
//! to sign; one winner among fifty concurrent approvals; the review's rules.

use std::collections::HashMap;
use std::process::Command;

use serde_json::{Value, json};

use jianyi::auth::Role;

use crate::coordination::{sign_in, sign_in_as};
use crate::documents::{pdf, upload};
use crate::support::{Reply, TestApp, skipped};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn version(v: &Value) -> i64 {
    v["version"].as_i64().unwrap()
}

/// Acts on a reply (or with `kind` "signoffs", on a sign-off) with `If-Match` of its version.
async fn act(app: &TestApp, token: &str, kind: &str, obj: &Value, what: &str, body: Option<Value>) -> Reply {
    let path = format!("/api/v1/{kind}/{}/{what}", id(obj));
    let call = app.post(&path).bearer(token).if_match(version(obj));
    match body {
        Some(b) => call.json(&b).send().await,
        None => call.send().await,
    }
}

async fn decide(app: &TestApp, token: &str, reply: &Value, body: Value) -> Reply {
    act(app, token, "replies", reply, "decisions", Some(body)).await
}

fn approve() -> Value {
    json!({"decision": "approve"})
}

/// The text `pdftotext` extracts, without white space; None (and said so) without it.
fn pdf_text(test: &str, bytes: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("jianyi-letter-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("letter.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext").arg("-enc").arg("UTF-8").arg(&file).arg("-").output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).split_whitespace().collect()),
        _ => {
            skipped(test, "pdftotext is not installed (Debian's poppler-utils); the PDF's text is not checked");
            None
        }
    }
}

/// The paragraphs' text of a DOCX, read back by `docx-rs`.
fn docx_text(bytes: &[u8]) -> String {
    let doc = docx_rs::read_docx(bytes).expect("the DOCX opens");
    doc.document
        .children
        .iter()
        .filter_map(|c| if let docx_rs::DocumentChild::Paragraph(p) = c { Some(p.raw_text()) } else { None })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the letter fonts are on this machine (the PDF needs them).
fn fonts_installed(test: &str) -> bool {
    match jianyi::letters::Fonts::shared(None) {
        Ok(_) => true,
        Err(e) => {
            skipped(test, &e);
            false
        }
    }
}

#[actix_web::test]
async fn the_seed_years_replies_are_signed_off_reviewed_lettered_and_signed_by_api_calls_alone() {
    const TEST: &str = "the_seed_years_replies_are_signed_off_reviewed_lettered_and_signed_by_api_calls_alone";
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    let demo = |u: &'static str| sign_in_as(&app, u, "jianyi-demo-2023");
    let office = demo("bangongshi").await;
    let leader = demo("fenguan").await;
    let mut staff: HashMap<&str, (String, String)> = HashMap::new();
    staff.insert("建设工程管理科", (demo("jsgc").await, demo("jsgc_kz").await));
    staff.insert("耕地保护科", (demo("gdbh").await, demo("gdbh_kz").await));
    for (section, handler, head) in [
        ("不动产登记科", "bdcdj", "bdcdj_kz"),
        ("国土空间规划科", "gtkj", "gtkj_kz"),
        ("生态修复科", "sthf", "sthf_kz"),
    ] {
        staff.insert(section, (demo(handler).await, demo(head).await));
    }
    let co_handlers: HashMap<&str, String> = HashMap::from([
        ("市交通运输局", demo("jtj").await),
        ("市农业农村局", demo("nyncj").await),
        ("市水利局", demo("slj").await),
    ]);
    let all = app.get("/api/v1/assignments?year=2023&limit=200").bearer(&office).send().await.expect(200).json();
    let ours: Vec<Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| (a["role"] == "lead" || a["role"] == "split") && a["section_name"].is_string())
        .cloned()
        .collect();
    assert_eq!(ours.iter().filter(|a| a["role"] == "lead").count(), 3);
    assert_eq!(ours.iter().filter(|a| a["role"] == "split").count(), 2);
    let check_pdf = fonts_installed(TEST);
    // The demo deputy's own replies, to look at with their eyes at the end.
    let mut deputy_replies = Vec::new();

    for (n, a) in ours.iter().enumerate() {
        let section = a["section_name"].as_str().unwrap();
        let (handler, head) = staff.get(section).unwrap();
        let (s, assignment) = (a["suggestion_id"].as_str().unwrap().to_string(), id(a));
        let suggestion = app.get(&format!("/api/v1/suggestions/{s}")).bearer(&office).send().await.expect(200).json();
        sign_in(&app, handler, &assignment).await;
        // Before handling, the section talks with the deputy (the office review checks it).
        let proposer = suggestion["proposer"]["id"].clone();
        let contact = json!({"assignment_id": assignment, "kind": "pre_handling", "channel": "phone",
            "contacted_on": "2023-03-10", "staff": ["经办人"], "deputy_ids": [proposer], "summary": "电话沟通办理思路"});
        app.post("/api/v1/contacts").bearer(handler).json(&contact).send().await.expect(201);
        // The co-handlers give their opinions.
        let cos = app.get(&format!("/api/v1/assignments?suggestion_id={s}")).bearer(&office).send().await.json();
        let cos: Vec<Value> = cos["items"].as_array().unwrap().iter().filter(|x| x["role"] == "co").cloned().collect();
        for co in &cos {
            let token = co_handlers.get(co["unit_name"].as_str().unwrap()).unwrap();
            sign_in(&app, token, &id(co)).await;
            let o = app
                .post("/api/v1/opinions")
                .bearer(token)
                .json(&json!({"assignment_id": id(co), "body": "同意主办单位意见。"}));
            let o = o.send().await.expect(201).json();
            let path = format!("/api/v1/opinions/{}/submit", id(&o));
            app.post(&path).bearer(token).if_match(version(&o)).send().await.expect(200);
        }
        // The section drafts, point by point.
        let title = suggestion["title"].as_str().unwrap();
        let body = format!(
            "您提出的《{title}》收悉，现答复如下：\n\n## 一、基本情况\n\n我局高度重视，经认真研究。\n\n## 二、下一步工作\n\n1. 加强协调\n2. 落实责任\n\n感谢您对自然资源工作的关心和支持。"
        );
        let draft = json!({"assignment_id": assignment, "body": body, "class": if n % 2 == 0 { "A" } else { "B" },
            "leader_name": "张副局长", "leader_phone": "021-12345678", "handler_name": "赵明",
            "handler_phone": "021-87654321", "points": ["基本情况", "下一步工作"]});
        let r = app.post("/api/v1/replies").bearer(handler).json(&draft).send().await.expect(201).json();
        assert_eq!((r["state"].as_str(), r["current"]["revision"].as_i64()), (Some("draft"), Some(1)));
        let cc = r["current"]["cc_units"].as_array().unwrap();
        for co in &cos {
            assert!(cc.contains(&co["unit_name"]), "the co-handler is copied: {cc:?}");
        }
        assert!(cc.contains(&json!("市人大常委会办公厅")) && cc.contains(&json!("市人民政府办公厅")));
        // Nobody but the section sees the draft.
        app.get(&format!("/api/v1/replies/{}", id(&r))).bearer(&office).send().await.problem(404, "not_found");
        let mut r = r;
        if !cos.is_empty() {
            // Sending for review before the co-handlers signed off: 409.
            act(&app, handler, "replies", &r, "submit", None).await.problem(409, "signoff_missing");
            r = act(&app, handler, "replies", &r, "signoffs", None).await.expect(200).json();
            assert_eq!(r["signoffs"].as_array().unwrap().len(), cos.len());
            for co in &cos {
                let token = co_handlers.get(co["unit_name"].as_str().unwrap()).unwrap();
                let mine = app.get("/api/v1/signoffs?state=pending").bearer(token).send().await.expect(200).json();
                let so = mine["items"].as_array().unwrap().iter().find(|x| x["reply_id"] == r["id"]).unwrap().clone();
                assert!(so["content"]["body"].as_str().unwrap().contains(title), "the co-handler reads the revision");
                act(&app, token, "signoffs", &so, "answer", Some(json!({"decision": "agree"}))).await.expect(200);
            }
            r = app.get(&format!("/api/v1/replies/{}", id(&r))).bearer(handler).send().await.json();
        }
        let r = act(&app, handler, "replies", &r, "submit", None).await.expect(200).json();
        assert_eq!(r["state"], "section_review");
        let r = decide(&app, head, &r, approve()).await.expect(200).json();
        assert_eq!(r["state"], "office_review");
        let office_decision = if n == 1 {
            json!({"decision": "approve", "class": "A", "class_reason": "问题已基本解决，改为A类"})
        } else {
            approve()
        };
        let r = decide(&app, &office, &r, office_decision).await.expect(200).json();
        assert_eq!(r["state"], "leader_review");
        let r = decide(&app, &leader, &r, approve()).await.expect(200).json();
        assert_eq!(r["state"], "approved");
        let doc_no = r["current"]["doc_no"].as_str().unwrap().to_string();
        assert!(doc_no.starts_with("市自然资源和规划局函〔2023〕"), "{doc_no}");
        if n == 1 {
            assert_eq!(r["current"]["class"], "A");
            assert_eq!(r["decisions"][1]["class_before"], "B");
            assert_eq!(r["decisions"][1]["class_reason"], "问题已基本解决，改为A类");
        }
        let stages: Vec<&str> =
            r["decisions"].as_array().unwrap().iter().map(|d| d["stage"].as_str().unwrap()).collect();
        assert_eq!(stages, ["section", "office", "leader"]);

        // The letter, as DOCX and PDF.
        let target = &r["letters"][0];
        let letter_title = target["title"].as_str().unwrap().to_string();
        let first_name =
            target["addressee"].as_str().unwrap().trim_end_matches("代表：").split('、').next().unwrap().to_string();
        assert!(letter_title.contains(suggestion["external_no"].as_str().unwrap()));
        let path = format!("/api/v1/replies/{}/letter", id(&r));
        let docx = app.get(&format!("{path}?format=docx")).bearer(&office).send().await.expect(200);
        assert!(docx.header("content-disposition").unwrap().contains("filename*=UTF-8''"));
        let text = docx_text(&docx.body);
        for part in [letter_title.as_str(), doc_no.as_str(), first_name.as_str(), "一、基本情况", "联系人：赵明"]
        {
            assert!(text.contains(part), "the DOCX carries {part}: {text}");
        }
        if check_pdf {
            let letter = app.get(&path).bearer(handler).send().await.expect(200);
            assert_eq!(letter.header("content-type"), Some("application/pdf"));
            if let Some(text) = pdf_text(TEST, &letter.body) {
                for part in [letter_title.as_str(), doc_no.as_str(), first_name.as_str(), title] {
                    let part: String = part.split_whitespace().collect();
                    assert!(text.contains(&part), "the PDF's text carries {part}: {text}");
                }
            }
        }

        // The office attaches the signed and sealed scan: the final version.
        let scan = upload(&app, &office, &s, "答复函（签章扫描件）.pdf", &pdf(6000)).await.expect(201).json();
        let signed = act(&app, &office, "replies", &r, "final", Some(json!({"document_id": scan["id"]}))).await;
        let signed = signed.expect(200).json();
        assert_eq!(signed["state"], "signed");
        assert_eq!(signed["final_document"]["name"], "答复函（签章扫描件）.pdf");
        let a = app.get(&format!("/api/v1/assignments/{assignment}")).bearer(&office).send().await.json();
        assert_eq!(a["state"], "replied");
        let actions: Vec<String> = app.audit_actions("reply", &id(&r)).await.into_iter().map(|a| a.0).collect();
        assert!(
            actions.ends_with(&[
                "reply.submit".to_string(),
                "reply.approve_section".into(),
                "reply.approve_office".into(),
                "reply.approve_leader".into(),
                "reply.attach_final".into()
            ]),
            "{actions:?}"
        );
        let events: Vec<String> = app.events(&id(&r)).await.into_iter().map(|e| e.0).collect();
        assert_eq!(events.last().unwrap(), "reply.signed");
        let names = std::iter::once(&suggestion["proposer"]).chain(suggestion["co_signers"].as_array().unwrap());
        if names.clone().any(|d| d["name"] == "杨国哲") {
            deputy_replies.push(r["id"].clone());
        }

        // Closing the loop: submitted and acknowledged, published, every proposer satisfied.
        let sync = app.token(Role::Sync).to_string();
        let sub =
            app.post(&format!("/api/v1/replies/{}/submission", id(&r))).bearer(&office).send().await.expect(201).json();
        let sub_path = format!("/api/v1/submissions/{}", id(&sub));
        app.post(&format!("{sub_path}/sent")).bearer(&sync).header("if-match", "*").send().await.expect(200);
        let ack = json!({"remote_ref": format!("SHRD-2023-{}", suggestion["external_no"].as_str().unwrap())});
        app.post(&format!("{sub_path}/acknowledged"))
            .bearer(&sync)
            .header("if-match", "*")
            .json(&ack)
            .send()
            .await
            .expect(200);
        let d_path = format!("/api/v1/disclosures/{}", id(&r));
        let d = app.put(&d_path).bearer(&office).header("if-match", "*").json(&json!({"mode": "public"})).send().await;
        let d = d.expect(200).json();
        app.post(&format!("{d_path}/publish")).bearer(&office).if_match(version(&d)).send().await.expect(200);
        for who in names.filter(|d| d.is_object()) {
            let e = json!({"suggestion_id": s, "deputy_id": who["id"], "work": "satisfied", "result": "satisfied"});
            app.post("/api/v1/evaluations").bearer(&sync).json(&e).send().await.expect(201);
        }
        let done = app.get(&format!("/api/v1/suggestions/{s}")).bearer(&office).send().await.json();
        assert_eq!(done["status"], "completed", "{} is completed", suggestion["external_no"]);
        let c = app.get(&format!("/api/v1/completions/{s}")).bearer(&office).send().await.expect(200).json();
        assert_eq!(c["basis"], "evaluated");
    }
    // The five replies are public; the page shows them and the bureau's figures.
    let public = app.get("/public/replies?year=2023").send().await.expect(200).json();
    assert_eq!(public["items"].as_array().unwrap().len(), 5);
    let page = app.get("/public?year=2023").send().await.expect(200);
    let page = String::from_utf8_lossy(&page.body).to_string();
    assert!(page.contains("2023年度办理情况") && page.contains("市自然资源和规划局"));
    // The deputy reads their signed replies, without the bureau's internal record.
    let deputy = demo("yangguozhe").await;
    let seen = app.get("/api/v1/replies").bearer(&deputy).send().await.expect(200).json();
    let seen = seen["items"].as_array().unwrap();
    assert_eq!(seen.len(), deputy_replies.len(), "{seen:?}");
    for r in seen {
        assert!(deputy_replies.contains(&r["id"]));
        assert_eq!((r["state"].as_str(), r["decisions"].as_array().unwrap().len()), (Some("signed"), 0));
        assert_eq!(r["signoffs"], json!([]));
        app.get(&format!("/api/v1/replies/{}/versions", id(r))).bearer(&deputy).send().await.problem(404, "not_found");
    }
}

/// A fresh lead item of the fixture's: 建设工程管理科 leads, 市交通运输局 co-handles; both
/// signed in, the pre-handling contact recorded. The suggestion and its assignments.
async fn lead_item(app: &TestApp, no: &str) -> (String, String, String) {
    let body = json!({"body": "npc", "name": "周建国", "delegation": format!("{no}代表组")});
    let deputy = app.post("/api/v1/deputies").as_(Role::Office).json(&body);
    let deputy = deputy.send().await.expect(201).json();
    let s = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2024, "external_no": no, "title": "关于合理设置公交站点的建议",
            "proposer_id": deputy["id"], "session_label": "市十六届人大三次会议"}))
        .send()
        .await
        .expect(201)
        .json();
    let today = jianyi::calendar::Today::default().date().to_string();
    let items = app
        .post("/api/v1/assignments")
        .as_(Role::Office)
        .json(&json!({"suggestion_id": s["id"], "assigned_on": today, "units": [
            {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction, "leader_id": app.user(Role::Leader).id},
            {"unit_id": app.units.transport, "role": "co"}]}))
        .send()
        .await
        .expect(201)
        .json();
    let (lead, co) = (id(&items["items"][0]), id(&items["items"][1]));
    sign_in(app, app.token(Role::Handler), &lead).await;
    sign_in(app, app.token(Role::CoHandler), &co).await;
    let contact = json!({"assignment_id": lead, "kind": "pre_handling", "channel": "visit", "face_to_face": true,
        "contacted_on": today, "staff": ["赵明"], "deputy_ids": [deputy["id"]], "summary": "上门听取意见"});
    app.post("/api/v1/contacts").as_(Role::Handler).json(&contact).send().await.expect(201);
    (id(&s), lead, co)
}

async fn draft(app: &TestApp, lead: &str, body: &str) -> Value {
    let d = json!({"assignment_id": lead, "body": body, "class": "B"});
    app.post("/api/v1/replies").as_(Role::Handler).json(&d).send().await.expect(201).json()
}

#[actix_web::test]
async fn a_script_or_a_javascript_link_in_a_body_never_comes_back() {
    let app = TestApp::new().await;
    let (_, lead, _) = lead_item(&app, "240501").await;
    let evil = "周代表：<script>alert('x')</script>\n\n<img src=\"https://tracker.example/p.png\" onerror=\"alert(1)\">\n\n\
        [点此查看](javascript:alert(document.cookie)) <a href=\"javascript:alert(2)\" onclick=\"x()\">链接</a>\n\n\
        [办理进度](https://www.example.gov.cn/progress) <iframe src=\"https://evil.example\"></iframe>";
    let r = draft(&app, &lead, evil).await;
    let check = |v: &Value| {
        let s = v.to_string().to_lowercase();
        for bad in ["<script", "onerror", "onclick", "javascript:alert", "<iframe", "tracker.example", "<img"] {
            assert!(!s.contains(bad), "{bad} came back: {s}");
        }
    };
    check(&r);
    assert!(r["current"]["body_html"].as_str().unwrap().contains("href=\"https://www.example.gov.cn/progress\""));
    assert!(r["current"]["body"].as_str().unwrap().contains("点此查看"), "the link's text stays");
    let path = format!("/api/v1/replies/{}", id(&r));
    let edited = app
        .patch(&path)
        .as_(Role::Handler)
        .if_match(version(&r))
        .json(&json!({"body": "<svg onload=alert(1)>周代表：</svg>\n\n[x](  JAVASCRIPT:alert(3))"}))
        .send()
        .await
        .expect(200)
        .json();
    check(&edited);
    check(&app.get(&format!("{path}/versions")).as_(Role::Handler).send().await.expect(200).json());
    let so = act(&app, app.token(Role::Handler), "replies", &edited, "signoffs", None).await.expect(200).json();
    check(&so);
    check(&app.get("/api/v1/signoffs").as_(Role::CoHandler).send().await.expect(200).json());
    // A template is cleaned the same way.
    let t = json!({"name": "交通类答复", "category": "交通", "body": "{{proposers}}<script>x()</script>\n\n您提出的《{{title}}》收悉。"});
    let t = app.post("/api/v1/reply-templates").as_(Role::Office).json(&t).send().await.expect(201).json();
    check(&t);
    // Nothing but text: a body that is only markup is refused.
    let empty = json!({"body": "<script>alert(1)</script>"});
    app.patch(&path)
        .as_(Role::Handler)
        .if_match(version(&edited))
        .json(&empty)
        .send()
        .await
        .problem(422, "validation_failed");
}

#[actix_web::test]
async fn a_co_handler_reads_only_the_revisions_it_was_asked_to_sign() {
    let app = TestApp::new().await;
    let (_, lead, _) = lead_item(&app, "240502").await;
    let handler = app.token(Role::Handler).to_string();
    let co = app.token(Role::CoHandler).to_string();
    let r = draft(&app, &lead, "周代表：\n\n第一稿，内部讨论。").await;
    let path = format!("/api/v1/replies/{}", id(&r));
    // The co-handler has no way to the lead's replies, and nothing to sign yet.
    app.get(&path).bearer(&co).send().await.problem(403, "forbidden");
    app.get(&format!("{path}/versions")).bearer(&co).send().await.problem(403, "forbidden");
    app.get(&format!("{path}/letter?format=docx")).bearer(&co).send().await.problem(403, "forbidden");
    assert_eq!(app.get("/api/v1/signoffs").bearer(&co).send().await.expect(200).json()["items"], json!([]));
    // Revision 2 goes out for sign-off; revision 1 is never shown.
    let path2 = app
        .patch(&path)
        .bearer(&handler)
        .if_match(version(&r))
        .json(&json!({"body": "周代表：\n\n第二稿，征求协办单位意见。"}));
    let r = path2.send().await.expect(200).json();
    let r = act(&app, &handler, "replies", &r, "signoffs", None).await.expect(200).json();
    act(&app, &handler, "replies", &r, "signoffs", None).await.problem(409, "already_asked");
    let mine = app.get("/api/v1/signoffs").bearer(&co).send().await.expect(200).json();
    let so = mine["items"][0].clone();
    assert_eq!((so["revision"].as_i64(), so["state"].as_str()), (Some(2), Some("pending")));
    assert!(so["content"]["body"].as_str().unwrap().contains("第二稿"));
    assert!(!mine.to_string().contains("第一稿"), "revision 1 was never asked: {mine}");
    // Another co-handler (not on this suggestion) sees nothing and cannot answer.
    let other = app.other_co_handler.token.clone();
    assert_eq!(app.get("/api/v1/signoffs").bearer(&other).send().await.json()["items"], json!([]));
    app.get(&format!("/api/v1/signoffs/{}", id(&so))).bearer(&other).send().await.problem(404, "not_found");
    act(&app, &other, "signoffs", &so, "answer", Some(json!({"decision": "agree"}))).await.problem(404, "not_found");
    // A disagreement needs a comment; the lead revises, which asks again about revision 3.
    act(&app, &co, "signoffs", &so, "answer", Some(json!({"decision": "disagree"})))
        .await
        .problem(422, "validation_failed");
    let so = act(
        &app,
        &co,
        "signoffs",
        &so,
        "answer",
        Some(json!({"decision": "disagree", "comment": "请补充公交线路调整安排"})),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(so["state"], "disagreed");
    let r = app.get(&path).bearer(&handler).send().await.json();
    assert_eq!(r["signoffs"][0]["comment"], "请补充公交线路调整安排");
    let r = app
        .patch(&path)
        .bearer(&handler)
        .if_match(version(&r))
        .json(&json!({"body": "周代表：\n\n第三稿，已补充线路调整安排。"}));
    let r = r.send().await.expect(200).json();
    assert_eq!(r["signoffs"][0]["revision"], 3, "a change after sign-off asks again");
    assert_eq!(r["signoffs"][0]["state"], "pending");
    let so3 =
        app.get(&format!("/api/v1/signoffs/{}", r["signoffs"][0]["id"].as_str().unwrap())).bearer(&co).send().await;
    let so3 = so3.expect(200).json();
    assert!(so3["content"]["body"].as_str().unwrap().contains("第三稿"));
    // The diff by character shows what changed between the revisions it was asked about.
    let diff =
        app.get(&format!("{path}/diff?from=2&to=3&granularity=char")).bearer(&handler).send().await.expect(200).json();
    let inserted: String = diff["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["op"] == "insert")
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    assert!(inserted.contains("三") && inserted.contains("已补充线路调整安排"), "{diff}");
    app.get(&format!("{path}/diff?from=2&to=9")).bearer(&handler).send().await.problem(422, "validation_failed");
    // Disagreeing again; the lead escalates; the office settles: the revision goes ahead.
    let so3 = act(&app, &co, "signoffs", &so3, "answer", Some(json!({"decision": "disagree", "comment": "仍不同意"})));
    let so3 = so3.await.expect(200).json();
    act(&app, &co, "signoffs", &so3, "escalate", None).await.problem(403, "forbidden");
    let so3 = act(&app, &handler, "signoffs", &so3, "escalate", None).await.expect(200).json();
    assert_eq!(so3["state"], "escalated");
    act(&app, &handler, "signoffs", &so3, "settle", Some(json!({"note": "按主办意见"})))
        .await
        .problem(403, "forbidden");
    let office = app.token(Role::Office).to_string();
    let settled = act(&app, &office, "signoffs", &so3, "settle", Some(json!({"note": "经协调，按主办单位意见答复"})));
    assert_eq!(settled.await.expect(200).json()["state"], "settled");
    let r = app.get(&path).bearer(&handler).send().await.json();
    let r = act(&app, &handler, "replies", &r, "submit", None).await.expect(200).json();
    assert_eq!(r["state"], "section_review");
    let events: Vec<String> = app.events(&id(&so3)).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["reply.signoff_disagreed", "reply.signoff_escalated", "reply.signoff_settled"]);
}

#[actix_web::test]
async fn of_fifty_concurrent_approvals_exactly_one_succeeds() {
    let app = TestApp::with_config(|c| {
        c.db_pool_size = 24;
        c.db_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let (_, lead, co) = lead_item(&app, "240503").await;
    // The co-handler's opinion is waived, so that only the race decides.
    let w = json!({"assignment_id": co, "reason": "协办单位已口头确认无意见"});
    app.post("/api/v1/opinion-waivers").as_(Role::Office).json(&w).send().await.expect(201);
    let r = draft(&app, &lead, "周代表：\n\n答复正文。").await;
    let r = act(&app, app.token(Role::Handler), "replies", &r, "signoffs", None).await.expect(200).json();
    let so = app.get("/api/v1/signoffs").as_(Role::CoHandler).send().await.json()["items"][0].clone();
    act(&app, app.token(Role::CoHandler), "signoffs", &so, "answer", Some(json!({"decision": "agree"})))
        .await
        .expect(200);
    let r = app.get(&format!("/api/v1/replies/{}", id(&r))).as_(Role::Handler).send().await.json();
    let r = act(&app, app.token(Role::Handler), "replies", &r, "submit", None).await.expect(200).json();
    let head = app.token(Role::SectionHead).to_string();
    let calls = (0..50).map(|_| decide(&app, &head, &r, approve()));
    let answers = futures_util::future::join_all(calls).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 409, 412].contains(s)), "{statuses:?}");
    let now = app.get(&format!("/api/v1/replies/{}", id(&r))).as_(Role::Office).send().await.json();
    assert_eq!(now["state"], "office_review");
    assert_eq!(now["decisions"].as_array().unwrap().len(), 1, "one decision recorded");
}

#[actix_web::test]
async fn the_review_keeps_its_rules() {
    let app = TestApp::new().await;
    let (s, lead, co) = lead_item(&app, "240504").await;
    let handler = app.token(Role::Handler).to_string();
    let head = app.token(Role::SectionHead).to_string();
    let office = app.token(Role::Office).to_string();
    // Bad drafts: an unknown class, a phone that is not one, too many cc units, no text.
    for bad in [
        json!({"assignment_id": lead, "body": "x", "class": "E"}),
        json!({"assignment_id": lead, "body": "x", "handler_phone": "call me"}),
        json!({"assignment_id": lead, "body": "x", "cc_units": (0..21).map(|i| format!("单位{i}")).collect::<Vec<_>>()}),
        json!({"assignment_id": lead}),
        json!({"assignment_id": lead, "body": "x", "unknown": 1}),
    ] {
        let res = app.post("/api/v1/replies").bearer(&handler).json(&bad).send().await;
        assert!([400, 422].contains(&res.status.as_u16()), "{bad}: {}", res.status);
    }
    // Only the section that holds the assignment drafts.
    let body = json!({"assignment_id": lead, "body": "周代表：答复。"});
    app.post("/api/v1/replies").bearer(&app.other_handler.token).json(&body).send().await.problem(404, "not_found");
    app.post("/api/v1/replies").as_(Role::Office).json(&body).send().await.problem(403, "forbidden");
    app.post("/api/v1/replies")
        .bearer(&handler)
        .json(&json!({"assignment_id": co, "body": "x"}))
        .send()
        .await
        .problem(404, "not_found");
    // Settings: only A/B/C in use.
    let settings = app.get("/api/v1/settings").as_(Role::Admin).send().await.json();
    let patch = json!({"reply_classes": ["A", "B", "C"], "key_requires_head_signature": true});
    app.patch("/api/v1/settings").as_(Role::Admin).if_match(version(&settings)).json(&patch).send().await.expect(200);
    let d = json!({"assignment_id": lead, "body": "周代表：答复。", "class": "D"});
    app.post("/api/v1/replies").bearer(&handler).json(&d).send().await.problem(422, "validation_failed");
    // Without a class it cannot go to review; the draft is invisible to the office.
    let r = app.post("/api/v1/replies").bearer(&handler).json(&body).send().await.expect(201).json();
    app.post("/api/v1/replies").bearer(&handler).json(&body).send().await.problem(409, "reply_exists");
    let path = format!("/api/v1/replies/{}", id(&r));
    app.get(&path).bearer(&office).send().await.problem(404, "not_found");
    app.get(&path).as_(Role::Deputy).send().await.problem(404, "not_found");
    let r = app
        .patch(&path)
        .bearer(&handler)
        .if_match(version(&r))
        .json(&json!({"class": "B"}))
        .send()
        .await
        .expect(200)
        .json();
    app.patch(&path).bearer(&handler).json(&json!({"class": "A"})).send().await.problem(428, "if_match_required");
    // Sign-off, then review.
    act(&app, &handler, "replies", &r, "signoffs", None).await.expect(200);
    let co_token = app.token(Role::CoHandler).to_string();
    let so = app.get("/api/v1/signoffs").bearer(&co_token).send().await.json()["items"][0].clone();
    act(&app, &co_token, "signoffs", &so, "answer", Some(json!({"decision": "agree"}))).await.expect(200);
    let r = app.get(&path).bearer(&handler).send().await.json();
    let r = act(&app, &handler, "replies", &r, "submit", None).await.expect(200).json();
    // Under review nobody edits; the drafter does not decide; the wrong stage's reviewer is 403.
    let stale = app.patch(&path).bearer(&handler).if_match(version(&r)).json(&json!({"class": "A"}));
    stale.send().await.problem(409, "illegal_transition");
    decide(&app, &handler, &r, approve()).await.problem(403, "forbidden");
    decide(&app, &office, &r, approve()).await.problem(403, "forbidden");
    decide(&app, &app.other_section_head.token, &r, approve()).await.problem(404, "not_found");
    decide(&app, &head, &r, json!({"decision": "return"})).await.problem(422, "validation_failed");
    let r = decide(&app, &head, &r, json!({"decision": "return", "comment": "请逐条答复"})).await.expect(200).json();
    assert_eq!(r["state"], "draft");
    // The office saw it once sent, and still does.
    app.get(&path).bearer(&office).send().await.expect(200);
    let r = act(&app, &handler, "replies", &r, "submit", None).await.expect(200).json();
    let r = decide(&app, &head, &r, approve()).await.expect(200).json();
    // The office: a change of class needs its reason; the co-handler's opinion is missing.
    decide(&app, &office, &r, json!({"decision": "approve", "class": "A"})).await.problem(422, "validation_failed");
    decide(&app, &office, &r, json!({"decision": "approve", "class": "D", "class_reason": "x"}))
        .await
        .problem(422, "validation_failed");
    let blocked = decide(&app, &office, &r, approve()).await.problem(409, "review_blocked");
    assert_eq!(blocked["opinions_missing"], json!(["市交通运输局"]));
    let w = json!({"assignment_id": co, "reason": "协办单位书面确认无补充意见"});
    app.post("/api/v1/opinion-waivers").bearer(&office).json(&w).send().await.expect(201);
    let r = decide(&app, &office, &r, approve()).await.expect(200).json();
    assert_eq!(r["state"], "leader_review");
    // The leader: another leader is not responsible; on a key item the head signs.
    let mut conn = app.conn().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE suggestions SET is_key = true WHERE id = '{s}'")),
        &mut *conn,
    )
    .await
    .unwrap();
    drop(conn);
    decide(&app, app.token(Role::Leader), &r, approve()).await.problem(403, "forbidden");
    let r = decide(&app, &app.head.token, &r, approve()).await.expect(200).json();
    assert_eq!(r["state"], "approved");
    assert!(r["current"]["doc_no"].as_str().unwrap().ends_with("号"));
    // The deputy sees the reply only once signed, without the internal record.
    app.get(&path).as_(Role::Deputy).send().await.problem(404, "not_found");
    // The final version: a document of the office for this suggestion.
    let foreign = upload(&app, &handler, &s, "科室草稿.pdf", &pdf(3000)).await.expect(201).json();
    act(&app, &office, "replies", &r, "final", Some(json!({"document_id": foreign["id"]})))
        .await
        .problem(422, "validation_failed");
    act(&app, &handler, "replies", &r, "final", Some(json!({"document_id": foreign["id"]})))
        .await
        .problem(403, "forbidden");
    let scan = upload(&app, &office, &s, "答复函.pdf", &pdf(3000)).await.expect(201).json();
    let signed =
        act(&app, &office, "replies", &r, "final", Some(json!({"document_id": scan["id"]}))).await.expect(200).json();
    act(&app, &office, "replies", &signed, "final", Some(json!({"document_id": scan["id"]})))
        .await
        .problem(409, "illegal_transition");
    assert_eq!(signed["allowed_actions"], json!([]));
    // A list for the office, filtered by state; the cursor pages.
    let list = app.get("/api/v1/replies?state=signed&limit=1").bearer(&office).send().await.expect(200).json();
    assert_eq!(list["items"][0]["id"], r["id"]);
    app.get("/api/v1/replies?limit=0").bearer(&office).send().await.problem(400, "invalid_query");
    app.get("/api/v1/replies?cursor=forged").bearer(&office).send().await.problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn templates_start_drafts_and_merged_items_get_a_letter_each() {
    let app = TestApp::new().await;
    let (s, lead, _) = lead_item(&app, "240505").await;
    let office = app.token(Role::Office).to_string();
    let t = json!({"name": "交通类答复", "category": "交通", "body": "{{proposers}}\n\n您提出的《{{title}}》（第{{external_no}}号）收悉。现答复如下："});
    let t = app.post("/api/v1/reply-templates").bearer(&office).json(&t).send().await.expect(201).json();
    app.post("/api/v1/reply-templates")
        .as_(Role::Handler)
        .json(&json!({"name": "x", "body": "y"}))
        .send()
        .await
        .problem(403, "forbidden");
    app.post("/api/v1/reply-templates")
        .bearer(&office)
        .json(&json!({"name": "交通类答复", "body": "y"}))
        .send()
        .await
        .problem(409, "name_taken");
    let listed = app
        .get(&format!("/api/v1/reply-templates?category={}", crate::support::enc("交通")))
        .as_(Role::Handler)
        .send()
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"][0]["id"], t["id"]);
    app.get("/api/v1/reply-templates").as_(Role::CoHandler).send().await.problem(403, "forbidden");
    // A same-content suggestion handled together with this one (并案).
    let other = app.post("/api/v1/deputies").as_(Role::Office).json(&json!({"body": "npc", "name": "吴海燕"}));
    let other = other.send().await.expect(201).json();
    let merged = json!({"source": "npc", "year": 2024, "external_no": "240506", "title": "关于优化公交站点布局的建议",
        "proposer_id": other["id"]});
    let merged = app.post("/api/v1/suggestions").as_(Role::Office).json(&merged).send().await.expect(201).json();
    let mut conn = app.conn().await;
    let sql = format!("UPDATE suggestions SET merged_into = '{s}' WHERE id = '{}'", id(&merged));
    diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut *conn).await.unwrap();
    drop(conn);
    let d = json!({"assignment_id": lead, "template_id": t["id"], "class": "A"});
    let r = app.post("/api/v1/replies").as_(Role::Handler).json(&d).send().await.expect(201).json();
    let body = r["current"]["body"].as_str().unwrap();
    assert!(
        body.starts_with("周建国代表：") && body.contains("《关于合理设置公交站点的建议》（第240505号）"),
        "{body}"
    );
    assert_eq!(r["current"]["template_id"], t["id"]);
    let letters = r["letters"].as_array().unwrap();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[1]["addressee"], "吴海燕代表：");
    let path = format!("/api/v1/replies/{}/letter?format=docx&suggestion_id={}", id(&r), id(&merged));
    let text = docx_text(&app.get(&path).as_(Role::Handler).send().await.expect(200).body);
    assert!(text.contains("吴海燕代表：") && text.contains("第240506号代表建议的答复"), "{text}");
    let path = format!("/api/v1/replies/{}/letter?format=docx&suggestion_id={}", id(&r), uuid::Uuid::new_v4());
    app.get(&path).as_(Role::Handler).send().await.problem(422, "validation_failed");
    let path = format!("/api/v1/replies/{}/letter?format=odt", id(&r));
    app.get(&path).as_(Role::Handler).send().await.problem(400, "invalid_query");
}

#[actix_web::test]
async fn the_bureaus_opinion_letter_comes_from_the_same_generator() {
    const TEST: &str = "the_bureaus_opinion_letter_comes_from_the_same_generator";
    let app = TestApp::new().await;
    let s = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2024, "external_no": "240601", "title": "关于优化公交线网的建议",
            "session_label": "市十六届人大三次会议"}))
        .send()
        .await
        .expect(201)
        .json();
    let today = jianyi::calendar::Today::default().date().to_string();
    let items = app
        .post("/api/v1/assignments")
        .as_(Role::Office)
        .json(&json!({"suggestion_id": s["id"], "assigned_on": today, "units": [
            {"unit_id": app.units.transport, "role": "lead"},
            {"unit_id": app.units.bureau, "role": "co", "section_id": app.units.construction}]}))
        .send()
        .await
        .expect(201)
        .json();
    let co = id(&items["items"][1]);
    let handler = app.token(Role::Handler).to_string();
    let o = app.post("/api/v1/opinions").bearer(&handler).json(&json!({"assignment_id": co,
        "body": "经研究，我局意见如下：\n一、公交站点用地已纳入规划。\n二、支持主办单位优化线网。"}));
    let o = o.send().await.expect(201).json();
    let o = act(&app, &handler, "opinions", &o, "submit", None).await.expect(200).json();
    let o =
        act(&app, app.token(Role::SectionHead), "opinions", &o, "decisions", Some(approve())).await.expect(200).json();
    act(&app, app.token(Role::Office), "opinions", &o, "decisions", Some(approve())).await.expect(200);
    let path = format!("/api/v1/opinions/{}/letter", id(&o));
    let docx = app.get(&format!("{path}?format=docx")).as_(Role::Office).send().await.expect(200);
    let text = docx_text(&docx.body);
    for part in [
        "市交通运输局：",
        "关于市十六届人大三次会议第240601号代表建议的协办意见",
        "一、公交站点用地已纳入规划。",
        "市自然资源和规划局",
    ] {
        assert!(text.contains(part), "{part} missing: {text}");
    }
    app.get(&path).as_(Role::Deputy).send().await.problem(403, "forbidden");
    app.get(&path).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    app.get(&format!("{path}?format=txt")).as_(Role::Office).send().await.problem(400, "invalid_query");
    if fonts_installed(TEST) {
        let pdf = app.get(&path).as_(Role::Office).send().await.expect(200);
        if let Some(text) = pdf_text(TEST, &pdf.body) {
            assert!(text.contains("第240601号代表建议的协办意见") && text.contains("市交通运输局"), "{text}");
        }
    }
}

/// A lead item carried to a signed reply: the suggestion's id and the reply.
pub(crate) async fn signed_reply(app: &TestApp, no: &str) -> (String, Value) {
    let (s, lead, co) = lead_item(app, no).await;
    let r = sign_reply_for(app, &s, &lead, &co).await;
    (s, r)
}

/// The fixture's lead section answers a signed-in lead assignment (the co-handler's
/// opinion waived) through sign-off and the three reviews to the signed scan; the reply.
pub(crate) async fn sign_reply_for(app: &TestApp, s: &str, lead: &str, co: &str) -> Value {
    let office = app.token(Role::Office).to_string();
    let w = json!({"assignment_id": co, "reason": "协办单位书面确认无补充意见"});
    app.post("/api/v1/opinion-waivers").bearer(&office).json(&w).send().await.expect(201);
    let handler = app.token(Role::Handler).to_string();
    let r = draft(app, lead, "周建国代表：\n\n您提出的建议收悉，现答复如下：……").await;
    act(app, &handler, "replies", &r, "signoffs", None).await.expect(200);
    let co_token = app.token(Role::CoHandler).to_string();
    let mine = app.get("/api/v1/signoffs?state=pending").bearer(&co_token).send().await.json();
    let so = mine["items"].as_array().unwrap().iter().find(|x| x["reply_id"] == r["id"]).unwrap().clone();
    act(app, &co_token, "signoffs", &so, "answer", Some(json!({"decision": "agree"}))).await.expect(200);
    let r = app.get(&format!("/api/v1/replies/{}", id(&r))).bearer(&handler).send().await.json();
    let mut r = act(app, &handler, "replies", &r, "submit", None).await.expect(200).json();
    for token in [app.token(Role::SectionHead), &office, app.token(Role::Leader)] {
        r = decide(app, token, &r, approve()).await.expect(200).json();
    }
    let scan = upload(app, &office, s, "答复函（签章）.pdf", &pdf(4000)).await.expect(201).json();
    // The date on the letter is never after today, nor before the assignment.
    let today = jianyi::calendar::Today::default().date();
    for day in [today + chrono::Days::new(1), chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()] {
        let f = json!({"document_id": scan["id"], "signed_on": day.to_string()});
        act(app, &office, "replies", &r, "final", Some(f)).await.problem(422, "validation_failed");
    }
    let f = json!({"document_id": scan["id"], "signed_on": today.to_string()});
    let r = act(app, &office, "replies", &r, "final", Some(f)).await.expect(200).json();
    assert_eq!((r["state"].as_str(), r["signed_on"].as_str()), (Some("signed"), Some(today.to_string().as_str())));
    r
}

#[actix_web::test]
async fn a_submission_goes_pending_sent_acknowledged_and_every_mark_is_idempotent() {
    let app = TestApp::new().await;
    let office = app.token(Role::Office).to_string();
    let sync = app.token(Role::Sync).to_string();
    // A reply that is not signed cannot be submitted.
    let (_, lead, _) = lead_item(&app, "240701").await;
    let unsigned = draft(&app, &lead, "周建国代表：答复。").await;
    let path = format!("/api/v1/replies/{}/submission", id(&unsigned));
    app.post(&path).bearer(&office).send().await.problem(404, "not_found");
    let (_, r) = signed_reply(&app, "240702").await;
    let path = format!("/api/v1/replies/{}/submission", id(&r));
    app.post(&path).as_(Role::Handler).send().await.problem(403, "forbidden");
    app.post(&path).bearer(&sync).send().await.problem(403, "forbidden");
    let sub = app.post(&path).bearer(&office).send().await.expect(201).json();
    assert_eq!((sub["state"].as_str(), sub["external_no"].as_str()), (Some("pending"), Some("240702")));
    assert_eq!(sub["final_document_id"], r["final_document"]["id"]);
    assert!(sub["doc_no"].as_str().unwrap().contains("函〔2024〕"));
    app.post(&path).bearer(&office).send().await.problem(409, "already_submitted");
    // The sync role pages through what is pending.
    let queue = app.get("/api/v1/submissions?state=pending&limit=1").bearer(&sync).send().await.expect(200).json();
    assert_eq!(queue["items"][0]["id"], sub["id"]);
    app.get("/api/v1/submissions").as_(Role::Handler).send().await.problem(403, "forbidden");
    let s_path = format!("/api/v1/submissions/{}", id(&sub));
    // Sent, twice: the second changes nothing (not even the attempts).
    app.post(&format!("{s_path}/sent")).bearer(&sync).send().await.problem(428, "if_match_required");
    app.post(&format!("{s_path}/sent")).bearer(&office).header("if-match", "*").send().await.problem(403, "forbidden");
    let sent =
        app.post(&format!("{s_path}/sent")).bearer(&sync).if_match(version(&sub)).send().await.expect(200).json();
    assert_eq!((sent["state"].as_str(), sent["attempts"].as_i64()), (Some("sent"), Some(1)));
    let again =
        app.post(&format!("{s_path}/sent")).bearer(&sync).if_match(version(&sub)).send().await.expect(200).json();
    assert_eq!((again["attempts"].as_i64(), again["version"].as_i64()), (Some(1), sent["version"].as_i64()));
    // Failed (a reason is required), retried by the office, sent and acknowledged.
    let fail = app.post(&format!("{s_path}/failed")).bearer(&sync).header("if-match", "*");
    fail.json(&json!({"reason": " "})).send().await.problem(422, "validation_failed");
    let fail = app.post(&format!("{s_path}/failed")).bearer(&sync).header("if-match", "*");
    let failed = fail.json(&json!({"reason": "答复函缺少签章页"})).send().await.expect(200).json();
    assert_eq!(
        (failed["state"].as_str(), failed["failure_reason"].as_str()),
        (Some("failed"), Some("答复函缺少签章页"))
    );
    app.post(&format!("{s_path}/sent"))
        .bearer(&sync)
        .header("if-match", "*")
        .send()
        .await
        .problem(409, "illegal_transition");
    app.post(&format!("{s_path}/retry")).bearer(&sync).header("if-match", "*").send().await.problem(403, "forbidden");
    let retried =
        app.post(&format!("{s_path}/retry")).bearer(&office).if_match(version(&failed)).send().await.expect(200).json();
    assert_eq!((retried["state"].as_str(), retried["failure_reason"].clone()), (Some("pending"), Value::Null));
    app.post(&format!("{s_path}/sent")).bearer(&sync).header("if-match", "*").send().await.expect(200);
    let ack = |r: &str| json!({"remote_ref": r});
    let done = app
        .post(&format!("{s_path}/acknowledged"))
        .bearer(&sync)
        .header("if-match", "*")
        .json(&ack("SHRD-2024-240702"));
    let done = done.send().await.expect(200).json();
    assert_eq!(
        (done["state"].as_str(), done["remote_ref"].as_str(), done["attempts"].as_i64()),
        (Some("acknowledged"), Some("SHRD-2024-240702"), Some(2))
    );
    let same = app
        .post(&format!("{s_path}/acknowledged"))
        .bearer(&sync)
        .header("if-match", "*")
        .json(&ack("SHRD-2024-240702"));
    assert_eq!(same.send().await.expect(200).json()["version"], done["version"]);
    let other = app.post(&format!("{s_path}/acknowledged")).bearer(&sync).header("if-match", "*").json(&ack("SHRD-X"));
    other.send().await.problem(409, "illegal_transition");
    let fail = app.post(&format!("{s_path}/failed")).bearer(&sync).header("if-match", "*");
    fail.json(&json!({"reason": "x"})).send().await.problem(409, "illegal_transition");
    let events: Vec<String> = app.events(&id(&sub)).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        events,
        [
            "submission.created",
            "submission.sent",
            "submission.failed",
            "submission.retried",
            "submission.sent",
            "submission.acknowledged"
        ]
    );
    let none = app.get("/api/v1/submissions?state=pending").bearer(&sync).send().await.json();
    assert_eq!(none["items"], json!([]));
}
