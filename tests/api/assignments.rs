//! Assignment: lead/split/co, due dates from the rules and the calendar, sign-in, disputes,
//! extensions, reminders, the due-state job, the task table, and who sees what.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};

use jianyi::auth::policy::Role;

use crate::support::TestApp;

async fn suggestion(app: &TestApp, no: &str, title: &str) -> String {
    let body = json!({"source": "npc", "year": 2024, "external_no": no, "title": title, "received_on": "2024-09-10"});
    let res = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201);
    res.json()["id"].as_str().unwrap().to_string()
}

async fn assign(app: &TestApp, body: Value) -> Vec<Value> {
    let res = app.post("/api/v1/assignments").as_(Role::Office).json(&body).send().await.expect(201);
    res.json()["items"].as_array().unwrap().clone()
}

/// A lead in 建设工程管理科 (the fixture leader responsible) and a co-handler 市交通运输局.
async fn lead_and_co(app: &TestApp, suggestion_id: &str, assigned_on: &str) -> (Value, Value) {
    let items = assign(
        app,
        json!({
            "suggestion_id": suggestion_id, "assigned_on": assigned_on,
            "units": [
                {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction,
                 "leader_id": app.user(Role::Leader).id, "liaison_id": app.user(Role::Handler).id},
                {"unit_id": app.units.transport, "role": "co"},
            ],
        }),
    )
    .await;
    (items[0].clone(), items[1].clone())
}

fn today() -> chrono::NaiveDate {
    jianyi::calendar::Today::default().date()
}

#[actix_web::test]
async fn the_office_assigns_with_due_dates_from_the_rules() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240001", "关于合理设置公交站点的建议").await;
    let (lead, co) = lead_and_co(&app, &s, "2024-09-20").await;
    assert_eq!(lead["role"], "lead");
    assert_eq!(lead["section_name"], "建设工程管理科");
    assert_eq!(lead["unit_name"], "市自然资源和规划局");
    assert_eq!(lead["due_on"], "2024-12-20", "three months");
    assert_eq!(co["due_on"], "2024-10-21", "one month; 20 Oct is a Sunday");
    assert_eq!(lead["dispute_until"], "2024-09-27", "five working days");
    assert_eq!(lead["state"], "assigned");
    assert_eq!(lead["allowed_actions"], json!(["sign_in", "dispute"]));
    assert_eq!(lead["due_state"], "overdue", "2024 is past");

    let read = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    assert_eq!(read["status"], "assigned");
    let lead_id = lead["id"].as_str().unwrap();
    assert_eq!(app.events(lead_id).await, vec![("assignment.created".to_string(), Some(1))]);
    assert_eq!(app.audit_actions("assignment", lead_id).await.len(), 1);
    let kinds: Vec<String> = app.events(&s).await.into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, vec!["suggestion.created", "suggestion.status_changed"]);

    // The deadline explains itself: the rule, the start, the National Day week and the
    // worked weekends in between.
    let e =
        app.get(&format!("/api/v1/assignments/{lead_id}/deadline")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(e["rule"]["kind"], "reply");
    assert_eq!((e["start_date"].as_str(), e["due_on"].as_str()), (Some("2024-09-20"), Some("2024-12-20")));
    let noted = e["noted_days"].as_array().unwrap();
    assert!(noted.iter().any(|d| d["date"] == "2024-10-01" && d["kind"] == "holiday" && d["name"] == "国庆节"), "{e}");
    assert!(noted.iter().any(|d| d["date"] == "2024-09-29" && d["kind"] == "workday"), "{e}");
    assert!(noted.iter().any(|d| d["kind"] == "weekend"));
}

#[actix_web::test]
async fn bad_assignments_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240002", "关于加强耕地保护的建议").await;
    let post = async |body: Value| app.post("/api/v1/assignments").as_(Role::Office).json(&body).send().await;
    let codes = |res: crate::support::Reply| -> Vec<(String, String)> {
        res.problem(422, "validation_failed")["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
            .collect()
    };
    let unit = |u: &uuid::Uuid, role: &str| json!({"unit_id": u, "role": role});
    let c = codes(post(json!({"suggestion_id": s, "units": [unit(&app.units.transport, "co")]})).await);
    assert_eq!(c, vec![("units[0]".into(), "co_without_lead".into())]);
    let c = codes(
        post(
            json!({"suggestion_id": s, "units": [unit(&app.units.bureau, "lead"), unit(&app.units.transport, "lead")]}),
        )
        .await,
    );
    assert!(c.iter().any(|e| e.1 == "second_lead"), "{c:?}");
    let c = codes(post(json!({"suggestion_id": s, "units": [unit(&app.units.bureau, "lead"), unit(&app.units.transport, "split")]})).await);
    assert!(c.iter().any(|e| e.1 == "lead_with_split"), "{c:?}");
    let c = codes(post(json!({"suggestion_id": s, "units": [unit(&uuid::Uuid::now_v7(), "lead")]})).await);
    assert_eq!(c[0].0, "units[0].unit_id");
    let c = codes(post(json!({"suggestion_id": s, "units": [unit(&app.units.construction, "lead")]})).await);
    assert_eq!(c[0], ("units[0].unit_id".into(), "invalid".into()), "a section is named in section_id");
    let bad_section = json!({"unit_id": app.units.transport, "role": "lead", "section_id": app.units.construction});
    assert_eq!(codes(post(json!({"suggestion_id": s, "units": [bad_section]})).await)[0].0, "units[0].section_id");
    let bad_leader = json!({"unit_id": app.units.bureau, "role": "lead", "leader_id": app.user(Role::Handler).id});
    assert_eq!(codes(post(json!({"suggestion_id": s, "units": [bad_leader]})).await)[0].0, "units[0].leader_id");
    assert_eq!(codes(post(json!({"suggestion_id": s, "units": []})).await)[0].0, "units");
    assert_eq!(
        codes(post(json!({"suggestion_id": s, "round": 0, "units": [unit(&app.units.bureau, "lead")]})).await)[0].0,
        "round"
    );
    let c =
        codes(post(json!({"suggestion_id": uuid::Uuid::now_v7(), "units": [unit(&app.units.bureau, "lead")]})).await);
    assert_eq!(c[0].0, "suggestion_id");
    let supervised = json!({"suggestion_id": s, "supervisor_id": app.user(Role::Leader).id, "units": [unit(&app.units.bureau, "lead")]});
    assert_eq!(codes(post(supervised).await), vec![("supervisor_id".into(), "not_key".into())]);
    let res = post(json!({"suggestion_id": s, "units": [{"unit_id": app.units.bureau, "role": "boss"}]})).await;
    assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "units[0].role");
    let listed = app.get(&format!("/api/v1/assignments?suggestion_id={s}")).as_(Role::Office).send().await.json();
    assert!(listed["items"].as_array().unwrap().is_empty(), "nothing was written");

    // A unit once per round; the second co-handler joins the same lead.
    assign(&app, json!({"suggestion_id": s, "units": [unit(&app.units.bureau, "lead")]})).await;
    let c = codes(post(json!({"suggestion_id": s, "units": [unit(&app.units.bureau, "co")]})).await);
    assert_eq!(c[0].1, "duplicate");
    assign(&app, json!({"suggestion_id": s, "units": [unit(&app.units.forestry, "co")]})).await;

    for role in Role::ALL.into_iter().filter(|r| *r != Role::Office) {
        let res = app
            .post("/api/v1/assignments")
            .as_(role)
            .json(&json!({"suggestion_id": s, "units": [unit(&app.units.transport, "co")]}))
            .send()
            .await;
        res.problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn units_sign_in_and_illegal_moves_list_the_allowed_ones() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240003", "关于合理设置公交站点的建议").await;
    let (lead, co) = lead_and_co(&app, &s, &today().to_string()).await;
    let lead_path = format!("/api/v1/assignments/{}", lead["id"].as_str().unwrap());
    let co_path = format!("/api/v1/assignments/{}", co["id"].as_str().unwrap());

    app.post(&format!("{lead_path}/sign-in")).as_(Role::Handler).send().await.problem(428, "if_match_required");
    app.post(&format!("{lead_path}/sign-in")).as_(Role::Handler).if_match(7).send().await.problem(412, "stale_version");
    app.post(&format!("{lead_path}/sign-in"))
        .bearer(&app.other_handler.token)
        .if_match(1)
        .send()
        .await
        .problem(404, "not_found");
    app.post(&format!("{lead_path}/sign-in")).as_(Role::CoHandler).if_match(1).send().await.problem(404, "not_found");
    app.post(&format!("{lead_path}/sign-in")).as_(Role::Office).if_match(1).send().await.problem(403, "forbidden");
    let signed = app.post(&format!("{lead_path}/sign-in")).as_(Role::Handler).if_match(1).send().await.expect(200);
    assert_eq!(signed.json()["state"], "accepted");
    assert!(signed.json()["signed_in_at"].is_string());
    let again = app.post(&format!("{lead_path}/sign-in")).as_(Role::Handler).if_match(2).send().await;
    let problem = again.problem(409, "illegal_transition");
    assert_eq!(problem["allowed"], json!(["start", "dispute", "reply"]));
    app.post(&format!("{lead_path}/start")).as_(Role::SectionHead).if_match(2).send().await.expect(200);

    // The co-handling unit signs in its own co-handling assignment; another cannot.
    app.post(&format!("{co_path}/sign-in"))
        .bearer(&app.other_co_handler.token)
        .if_match(1)
        .send()
        .await
        .problem(404, "not_found");
    app.post(&format!("{co_path}/sign-in")).as_(Role::CoHandler).if_match(1).send().await.expect(200);
    let read = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    assert_eq!(read["status"], "handling");
}

#[actix_web::test]
async fn disputes_within_the_window_are_decided_by_the_office() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240004", "关于缓解城区交通拥堵的建议").await;
    let (lead, _) = lead_and_co(&app, &s, &today().to_string()).await;
    let path = format!("/api/v1/assignments/{}", lead["id"].as_str().unwrap());
    let body = json!({"reason": "该事项主要属于市交通运输局职责", "suggested_unit_id": app.units.transport});
    app.post(&format!("{path}/disputes"))
        .as_(Role::Handler)
        .if_match(1)
        .json(&json!({"reason": ""}))
        .send()
        .await
        .problem(422, "validation_failed");
    let d = app
        .post(&format!("{path}/disputes"))
        .as_(Role::Handler)
        .if_match(1)
        .json(&body)
        .send()
        .await
        .expect(201)
        .json();
    assert_eq!(d["status"], "pending");
    let a = app.get(&path).as_(Role::Office).send().await.json();
    assert_eq!(a["state"], "disputed");
    app.post(&format!("{path}/disputes"))
        .as_(Role::Handler)
        .if_match(2)
        .json(&body)
        .send()
        .await
        .problem(409, "illegal_transition");

    // Refused: the unit keeps the item, as it was.
    let decision = format!("/api/v1/disputes/{}/decision", d["id"].as_str().unwrap());
    app.post(&decision)
        .as_(Role::Handler)
        .if_match(1)
        .json(&json!({"accept": false}))
        .send()
        .await
        .problem(403, "forbidden");
    app.post(&decision)
        .as_(Role::Office)
        .json(&json!({"accept": false}))
        .send()
        .await
        .problem(428, "if_match_required");
    app.post(&decision)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"accept": false, "note": "职责明确，请继续办理"}))
        .send()
        .await
        .expect(200);
    app.post(&decision)
        .as_(Role::Office)
        .if_match(2)
        .json(&json!({"accept": true}))
        .send()
        .await
        .problem(409, "already_decided");
    assert_eq!(app.get(&path).as_(Role::Office).send().await.json()["state"], "assigned");

    // Accepted: the item goes to another unit, which starts afresh.
    let d = app
        .post(&format!("{path}/disputes"))
        .as_(Role::Handler)
        .if_match(3)
        .json(&body)
        .send()
        .await
        .expect(201)
        .json();
    let decision = format!("/api/v1/disputes/{}/decision", d["id"].as_str().unwrap());
    app.post(&decision)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"accept": true}))
        .send()
        .await
        .problem(422, "validation_failed");
    let to = json!({"accept": true, "reassign_to": {"unit_id": app.units.forestry, "role": "lead"}});
    app.post(&decision).as_(Role::Office).if_match(1).json(&to).send().await.expect(200);
    let old = app.get(&path).as_(Role::Office).send().await.json();
    assert_eq!(old["state"], "reassigned");
    let new = app
        .get(&format!("/api/v1/assignments/{}", old["reassigned_to"].as_str().unwrap()))
        .as_(Role::Office)
        .send()
        .await
        .json();
    assert_eq!((new["unit_name"].as_str(), new["state"].as_str()), (Some("市林业局"), Some("assigned")));
    // The old unit no longer sees the suggestion.
    app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Handler).send().await.problem(404, "not_found");

    // After the window, a dispute is too late.
    let late = suggestion(&app, "240005", "关于加强河道治理的建议").await;
    let (lead, _) = lead_and_co(&app, &late, "2024-09-20").await;
    let res = app
        .post(&format!("/api/v1/assignments/{}/disputes", lead["id"].as_str().unwrap()))
        .as_(Role::Handler)
        .if_match(1)
        .json(&body)
        .send()
        .await;
    assert_eq!(res.problem(422, "dispute_window_closed")["dispute_until"], "2024-09-27");
}

#[actix_web::test]
async fn extensions_are_capped_and_need_the_deputy_told() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240006", "关于推进废弃矿山生态修复的建议").await;
    let (lead, _) = lead_and_co(&app, &s, "2024-09-20").await;
    let path = format!("/api/v1/assignments/{}", lead["id"].as_str().unwrap());
    let ask = |until: &str| json!({"reason": "需进行现场踏勘和专题论证", "requested_until": until});
    app.post(&format!("{path}/extensions"))
        .as_(Role::Handler)
        .json(&ask("2024-12-01"))
        .send()
        .await
        .problem(422, "validation_failed");
    app.post(&format!("{path}/extensions"))
        .bearer(&app.other_handler.token)
        .json(&ask("2025-02-20"))
        .send()
        .await
        .problem(404, "not_found");
    let e = app
        .post(&format!("{path}/extensions"))
        .as_(Role::Handler)
        .json(&ask("2025-04-30"))
        .send()
        .await
        .expect(201)
        .json();
    app.post(&format!("{path}/extensions"))
        .as_(Role::Handler)
        .json(&ask("2025-02-20"))
        .send()
        .await
        .problem(409, "extension_pending");
    let decision = format!("/api/v1/extensions/{}/decision", e["id"].as_str().unwrap());
    // Beyond six months in all: refused with the limit.
    let told = json!({"approve": true, "explanation": "已电话向代表说明延期原因", "explained_on": "2024-12-10"});
    let res = app.post(&decision).as_(Role::Office).if_match(1).json(&told).send().await;
    assert_eq!(res.problem(422, "beyond_extension_cap")["limit"], "2025-03-20");
    let res = app
        .post(&decision)
        .as_(Role::Office)
        .if_match(1)
        .json(&json!({"approve": true, "approved_until": "2025-03-20"}))
        .send()
        .await;
    let fields: Vec<Value> = res.problem(422, "validation_failed")["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, vec![json!("explanation"), json!("explained_on")]);
    let mut ok = told.clone();
    ok["approved_until"] = json!("2025-03-20");
    app.post(&decision).as_(Role::Handler).if_match(1).json(&ok).send().await.problem(403, "forbidden");
    let decided = app.post(&decision).as_(Role::Office).if_match(1).json(&ok).send().await.expect(200).json();
    assert_eq!(decided["status"], "approved");
    let a = app.get(&path).as_(Role::Office).send().await.json();
    assert_eq!(
        (a["due_on"].as_str(), a["rule_due_on"].as_str(), a["extended_to"].as_str()),
        (Some("2025-03-20"), Some("2024-12-20"), Some("2025-03-20"))
    );
    let kinds: Vec<String> = app.events(lead["id"].as_str().unwrap()).await.into_iter().map(|e| e.0).collect();
    assert!(
        kinds.contains(&"extension.requested".to_string()) && kinds.contains(&"extension.approved".to_string()),
        "{kinds:?}"
    );
    let e = app.get(&format!("{path}/deadline")).as_(Role::Office).send().await.json();
    assert_eq!(e["extended_to"], "2025-03-20");
}

#[actix_web::test]
async fn reminders_come_from_the_office_and_responsible_leaders() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240007", "关于加强历史文化街区保护的建议").await;
    let (lead, co) = lead_and_co(&app, &s, &today().to_string()).await;
    let lead_path = format!("/api/v1/assignments/{}/reminders", lead["id"].as_str().unwrap());
    let co_path = format!("/api/v1/assignments/{}/reminders", co["id"].as_str().unwrap());
    let msg = json!({"message": "请抓紧办理，按时答复代表"});
    let r = app.post(&lead_path).as_(Role::Office).json(&msg).send().await.expect(201).json();
    assert_eq!((r["kind"].as_str(), r["message"].as_str()), (Some("manual"), Some("请抓紧办理，按时答复代表")));
    app.post(&lead_path).as_(Role::Leader).json(&json!({})).send().await.expect(201);
    app.post(&co_path).as_(Role::Leader).json(&json!({})).send().await.problem(404, "not_found");
    app.post(&co_path).bearer(&app.head.token).json(&json!({})).send().await.expect(201);
    app.post(&lead_path).as_(Role::Handler).json(&json!({})).send().await.problem(403, "forbidden");
    app.post(&lead_path)
        .as_(Role::Office)
        .json(&json!({"message": "长".repeat(501)}))
        .send()
        .await
        .problem(422, "validation_failed");
    let listed = app.get(&lead_path).as_(Role::Handler).send().await.expect(200).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let kinds: Vec<String> = app.events(lead["id"].as_str().unwrap()).await.into_iter().map(|e| e.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "reminder.created").count(), 2);
}

/// On 29 May of a year without 29 February: the day a test counting back three months
/// from "today plus two days" once got wrong. Today is the app's clock, not the machine's.
#[actix_web::test]
async fn due_states_filter_count_and_remind_once_with_two_workers() {
    let app = TestApp::on("2026-05-29").await;
    // Due 1 June (due soon); due 6 May after the May Day holiday (overdue); due 31 August
    // (on track).
    let cases = [("240010", "2026-03-01"), ("240011", "2026-02-01"), ("240012", "2026-05-29")];
    for (no, on) in cases {
        let s = suggestion(&app, no, &format!("关于第{no}号事项的建议")).await;
        assign(&app, json!({"suggestion_id": s, "assigned_on": on, "units": [{"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]})).await;
    }
    let states = async |q: &str| -> Vec<String> {
        let page = app.get(&format!("/api/v1/assignments?{q}")).as_(Role::Office).send().await.expect(200).json();
        page["items"].as_array().unwrap().iter().map(|a| a["external_no"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(states("due_state=due_soon").await, vec!["240010"]);
    assert_eq!(states("due_state=overdue").await, vec!["240011"]);
    assert!(states("due_state=on_track").await.contains(&"240012".to_string()));
    app.get("/api/v1/assignments?due_state=late").as_(Role::Office).send().await.problem(400, "invalid_query");
    let counts = app.get("/api/v1/assignments/due-counts").as_(Role::Office).send().await.expect(200).json();
    let row = &counts["items"][0];
    assert_eq!(row["unit_name"], "建设工程管理科");
    assert_eq!(row["overdue"], 1);
    assert_eq!((row["on_track"].as_i64(), row["due_soon"].as_i64()), (Some(1), Some(1)));
    let handler = app.get("/api/v1/assignments/due-counts").bearer(&app.other_handler.token).send().await.json();
    assert!(handler["items"].as_array().unwrap().is_empty(), "another section's counts");

    // Two instances run the job at once: each change is reminded exactly once.
    let url = app.state.config.database_url.clone().unwrap();
    let run = async || {
        let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
        let clock = app.state.clock(&mut conn).await.unwrap();
        jianyi::assignments::service::due_states::run_due_states(&mut conn, &clock).await.unwrap()
    };
    let (a, b) = futures_util::future::join(run(), run()).await;
    assert_eq!(a + b, 2, "due soon and overdue, once each");
    let (a, b) = futures_util::future::join(run(), run()).await;
    assert_eq!(a + b, 0, "no change, no reminder");
    let overdue = states("due_state=overdue").await;
    assert_eq!(overdue.len(), 1);
}

#[actix_web::test]
async fn a_calendar_change_moves_open_due_dates() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240020", "关于推进城市更新的建议").await;
    let items = assign(&app, json!({"suggestion_id": s, "assigned_on": "2026-11-27", "units": [{"unit_id": app.units.bureau, "role": "lead"}]})).await;
    let id = items[0]["id"].as_str().unwrap().to_string();
    assert_eq!(items[0]["due_on"], "2027-03-01", "27 Feb 2027 is a Saturday");
    let day = "/api/v1/calendar/holidays/2027-03-01";
    let body = json!({"kind": "holiday", "name": "测试假日"});
    app.put(day).as_(Role::Office).json(&body).send().await.problem(403, "forbidden");
    app.put(day)
        .as_(Role::Admin)
        .json(&json!({"kind": "someday", "name": "x"}))
        .send()
        .await
        .problem(422, "validation_failed");
    app.put(day)
        .as_(Role::Admin)
        .json(&json!({"kind": "holiday", "name": ""}))
        .send()
        .await
        .problem(422, "validation_failed");
    app.put("/api/v1/calendar/holidays/2027-02-30")
        .as_(Role::Admin)
        .json(&body)
        .send()
        .await
        .problem(400, "invalid_path");
    let change = app.put(day).as_(Role::Admin).json(&body).send().await.expect(200).json();
    assert_eq!(change["recomputed"], 1);
    let a = app.get(&format!("/api/v1/assignments/{id}")).as_(Role::Office).send().await.json();
    assert_eq!(a["due_on"], "2027-03-02");
    assert!(app.events(&id).await.iter().any(|e| e.0 == "assignment.due_changed"));
    // Changing the day needs its ETag.
    app.put(day).as_(Role::Admin).json(&body).send().await.problem(428, "if_match_required");
    app.delete(day).as_(Role::Admin).if_match(1).send().await.expect(200);
    assert_eq!(
        app.get(&format!("/api/v1/assignments/{id}")).as_(Role::Office).send().await.json()["due_on"],
        "2027-03-01"
    );
    let year = app.get("/api/v1/calendar/holidays?year=2025").as_(Role::Handler).send().await.expect(200).json();
    assert!(year.as_array().unwrap().iter().any(|d| d["day"] == "2025-01-28" && d["name"] == "春节"));
    app.get("/api/v1/calendar/holidays").as_(Role::Deputy).send().await.problem(403, "forbidden");

    // A rule change moves the due dates of the assignments under it.
    let rules = app.get("/api/v1/deadline-rules").as_(Role::Office).send().await.expect(200).json();
    let reply = rules.as_array().unwrap().iter().find(|r| r["kind"] == "reply").unwrap().clone();
    let path = format!("/api/v1/deadline-rules/{}", reply["id"].as_str().unwrap());
    let mut fields = json!({"kind": "reply", "start_point": "assigned", "amount": 2, "period": "calendar_months", "extension_cap": 3, "extension_cap_period": "calendar_months"});
    app.patch(&path).as_(Role::Admin).json(&fields).send().await.problem(428, "if_match_required");
    app.patch(&path).as_(Role::Office).if_match(1).json(&fields).send().await.problem(403, "forbidden");
    let changed = app.patch(&path).as_(Role::Admin).if_match(1).json(&fields).send().await.expect(200).json();
    assert_eq!(changed["recomputed"], 1);
    assert_eq!(
        app.get(&format!("/api/v1/assignments/{id}")).as_(Role::Office).send().await.json()["due_on"],
        "2027-01-27"
    );
    fields["start_point"] = json!("fixed");
    app.patch(&path).as_(Role::Admin).if_match(2).json(&fields).send().await.problem(422, "validation_failed");
    let cppcc = json!({"kind": "reply", "source": "cppcc", "start_point": "assigned", "amount": 5, "period": "calendar_months"});
    app.post("/api/v1/deadline-rules").as_(Role::Admin).json(&cppcc).send().await.expect(201);
    app.post("/api/v1/deadline-rules").as_(Role::Admin).json(&cppcc).send().await.problem(409, "already_exists");
}

/// Who sees which assignments, and the suggestions they reach through them.
#[actix_web::test]
async fn assignments_are_seen_by_role_and_unit_cell_by_cell() {
    let app = TestApp::new().await;
    let s1 = suggestion(&app, "240030", "关于合理设置公交站点的建议").await;
    lead_and_co(&app, &s1, &today().to_string()).await;
    let s2 = suggestion(&app, "240031", "关于保障粮食安全的建议").await;
    assign(
        &app,
        json!({"suggestion_id": s2, "units": [
            {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.farmland},
            {"unit_id": app.units.forestry, "role": "co"}]}),
    )
    .await;
    let count = async |token: &str| -> Result<usize, u16> {
        let res = app.get("/api/v1/assignments").bearer(token).send().await;
        if res.status.as_u16() != 200 {
            return Err(res.status.as_u16());
        }
        Ok(res.json()["items"].as_array().unwrap().len())
    };
    let cases: Vec<(&str, String, Result<usize, u16>)> = vec![
        ("admin", app.token(Role::Admin).into(), Ok(4)),
        ("office", app.token(Role::Office).into(), Ok(4)),
        ("sync", app.token(Role::Sync).into(), Ok(4)),
        ("leader (responsible for one)", app.token(Role::Leader).into(), Ok(1)),
        ("head of the bureau", app.head.token.clone(), Ok(4)),
        ("section head 建设工程管理科", app.token(Role::SectionHead).into(), Ok(1)),
        ("handler 建设工程管理科", app.token(Role::Handler).into(), Ok(1)),
        ("handler 耕地保护科", app.other_handler.token.clone(), Ok(1)),
        ("section head 耕地保护科", app.other_section_head.token.clone(), Ok(1)),
        ("co-handler 市交通运输局", app.token(Role::CoHandler).into(), Ok(1)),
        ("co-handler 市林业局", app.other_co_handler.token.clone(), Ok(1)),
        ("deputy (of none of them)", app.token(Role::Deputy).into(), Ok(0)),
    ];
    for (who, token, want) in cases {
        assert_eq!(count(&token).await, want, "{who}");
    }
    let sees = async |token: &str, s: &str| {
        app.get(&format!("/api/v1/suggestions/{s}")).bearer(token).send().await.status.as_u16()
    };
    assert_eq!(sees(app.token(Role::Handler), &s1).await, 200);
    assert_eq!(sees(app.token(Role::Handler), &s2).await, 404);
    assert_eq!(sees(&app.other_handler.token, &s2).await, 200);
    assert_eq!(sees(&app.other_handler.token, &s1).await, 404);
    assert_eq!(sees(app.token(Role::CoHandler), &s1).await, 200);
    assert_eq!(sees(app.token(Role::CoHandler), &s2).await, 404);
    assert_eq!(sees(&app.other_co_handler.token, &s2).await, 200);
    let listed = app.get("/api/v1/suggestions").as_(Role::Handler).send().await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // One assignment read by someone outside its scope is a 404.
    let all = app.get("/api/v1/assignments").as_(Role::Office).send().await.json();
    let theirs = all["items"].as_array().unwrap().iter().find(|a| a["section_name"] == "耕地保护科").unwrap().clone();
    let path = format!("/api/v1/assignments/{}", theirs["id"].as_str().unwrap());
    app.get(&path).as_(Role::Handler).send().await.problem(404, "not_found");
    app.get(&format!("{path}/deadline")).as_(Role::CoHandler).send().await.problem(404, "not_found");
    app.get(&path).bearer(&app.other_handler.token).send().await.expect(200);
}

#[actix_web::test]
async fn the_task_table_exports_and_imports() {
    use calamine::{Reader, Xlsx};
    use rust_xlsxwriter::Workbook;
    let app = TestApp::new().await;
    let s = suggestion(&app, "240040", "关于合理设置公交站点的建议").await;
    lead_and_co(&app, &s, "2024-09-20").await;
    suggestion(&app, "240041", "关于加强耕地保护的建议").await;
    suggestion(&app, "240042", "关于推进城市更新的建议").await;

    let res = app.get("/api/v1/assignments/table?year=2024").as_(Role::Office).send().await.expect(200);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0][0], "建议编号");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().any(|r| r[4] == "主办" && r[6] == "建设工程管理科" && r[10] == "2024-12-20"), "{rows:?}");
    app.get("/api/v1/assignments/table").as_(Role::Office).send().await.problem(400, "invalid_query");

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let table = [
        ["建议编号", "年度", "办理类型", "承办单位", "承办科室", "分管领导", "交办日期"],
        ["240041", "2024", "主办", "市自然资源和规划局", "耕地保护科", "leader", "2024-09-20"],
        ["240041", "2024", "协办", "市林业局", "", "", "2024-09-20"],
        ["240042", "2024", "协办", "市交通运输局", "", "", "2024-09-20"],
        ["240040", "2024", "主办", "市自然资源和规划局", "建设工程管理科", "", ""],
        ["249999", "2024", "主办", "市自然资源和规划局", "", "", ""],
        ["240042", "2024", "主任", "没有这个单位", "", "", ""],
    ];
    for (r, row) in table.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let report = app
        .post("/api/v1/assignments/import")
        .as_(Role::Office)
        .body(xlsx, bytes.clone())
        .send()
        .await
        .expect(200)
        .json();
    let outcome =
        |line: u64| report["rows"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap()["outcome"].clone();
    assert_eq!((outcome(2), outcome(3)), (json!("assigned"), json!("assigned")));
    assert_eq!(outcome(4), json!("rejected"), "a co-handler without a lead");
    assert_eq!(outcome(5), json!("unchanged"), "assigned already");
    assert_eq!((outcome(6), outcome(7)), (json!("rejected"), json!("rejected")));
    assert_eq!(
        (report["assigned"].as_u64(), report["unchanged"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(1), Some(3))
    );
    let again = app.post("/api/v1/assignments/import").as_(Role::Office).body(xlsx, bytes.clone()).send().await.json();
    assert_eq!((again["assigned"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3)));
    app.post("/api/v1/assignments/import").as_(Role::Handler).body(xlsx, bytes).send().await.problem(403, "forbidden");
    app.post("/api/v1/assignments/import")
        .as_(Role::Office)
        .body("text/csv", "a,b")
        .send()
        .await
        .problem(415, "unsupported_media_type");
    app.post("/api/v1/assignments/import")
        .as_(Role::Office)
        .body(xlsx, "junk")
        .send()
        .await
        .problem(400, "unreadable_spreadsheet");
}

/// Every assignment endpoint: no token, the wrong role, another unit, a bad path and a bad
/// body — each answered with its problem, and nothing changed.
#[actix_web::test]
async fn every_endpoint_refuses_wrong_callers_and_bad_input() {
    use actix_web::http::Method;
    let app = TestApp::new().await;
    let s = suggestion(&app, "240050", "关于优化不动产登记流程的建议").await;
    let (lead, _) = lead_and_co(&app, &s, &today().to_string()).await;
    let a = lead["id"].as_str().unwrap().to_string();
    let rule = app.get("/api/v1/deadline-rules").as_(Role::Admin).send().await.json()[0]["id"].clone();
    let rule = rule.as_str().unwrap();
    let dispute = json!({"reason": "不属于本单位职责"});
    let extension = json!({"reason": "需要专题论证", "requested_until": "2099-01-01"});
    let d = app
        .post(&format!("/api/v1/assignments/{a}/disputes"))
        .as_(Role::Handler)
        .if_match(1)
        .json(&dispute)
        .send()
        .await
        .expect(201)
        .json();
    let e = app
        .post(&format!("/api/v1/assignments/{a}/extensions"))
        .as_(Role::Handler)
        .json(&extension)
        .send()
        .await
        .expect(201)
        .json();
    let (d, e) = (d["id"].as_str().unwrap(), e["id"].as_str().unwrap());
    let version =
        app.get(&format!("/api/v1/assignments/{a}")).as_(Role::Office).send().await.json()["version"].as_i64().unwrap();

    let other = app.other_handler.token.clone();
    let deputy = app.token(Role::Deputy).to_string();
    let office = app.token(Role::Office).to_string();
    let handler = app.token(Role::Handler).to_string();
    let leader = app.token(Role::Leader).to_string();
    let co = app.token(Role::CoHandler).to_string();
    let none = json!(null);
    let full_rule = json!({"kind": "reply", "start_point": "assigned", "amount": 1, "period": "calendar_months"});
    // (method, path, body, [(caller, status, code)])
    type Case<'a> = (Method, String, Value, Vec<(&'a str, u16, &'a str)>);
    let cases: Vec<Case> = vec![
        // A deputy reads the assignments of their own suggestions only (none here).
        (Method::GET, "/api/v1/assignments?limit=0".into(), none.clone(), vec![(&deputy, 400, "invalid_query")]),
        (Method::GET, "/api/v1/assignments?limit=0".into(), none.clone(), vec![(&office, 400, "invalid_query")]),
        (Method::GET, "/api/v1/assignments?cursor=forged".into(), none.clone(), vec![(&office, 400, "invalid_cursor")]),
        (Method::GET, "/api/v1/assignments/due-counts".into(), none.clone(), vec![(&deputy, 403, "forbidden")]),
        (Method::GET, "/api/v1/assignments/table?year=2024".into(), none.clone(), vec![(&deputy, 403, "forbidden")]),
        (
            Method::GET,
            "/api/v1/assignments/table?year=twenty".into(),
            none.clone(),
            vec![(&office, 400, "invalid_query")],
        ),
        (
            Method::GET,
            format!("/api/v1/assignments/{a}"),
            none.clone(),
            vec![(&deputy, 404, "not_found"), (&other, 404, "not_found")],
        ),
        (Method::GET, "/api/v1/assignments/x1".into(), none.clone(), vec![(&office, 400, "invalid_path")]),
        (
            Method::GET,
            format!("/api/v1/assignments/{}", uuid::Uuid::now_v7()),
            none.clone(),
            vec![(&office, 404, "not_found")],
        ),
        (
            Method::GET,
            format!("/api/v1/assignments/{a}/deadline"),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/sign-in"),
            none.clone(),
            vec![
                (&office, 403, "forbidden"),
                (&leader, 403, "forbidden"),
                (&deputy, 403, "forbidden"),
                (&other, 404, "not_found"),
                (&co, 404, "not_found"),
            ],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/start"),
            none.clone(),
            vec![(&office, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (Method::POST, "/api/v1/assignments/x1/start".into(), none.clone(), vec![(&handler, 400, "invalid_path")]),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/disputes"),
            dispute.clone(),
            vec![(&office, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/disputes"),
            json!({"reason": "x", "why": 1}),
            vec![(&handler, 422, "validation_failed")],
        ),
        (
            Method::GET,
            format!("/api/v1/assignments/{a}/disputes"),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/extensions"),
            extension.clone(),
            vec![(&office, 403, "forbidden"), (&leader, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/extensions"),
            json!({"reason": "x", "requested_until": "soon"}),
            vec![(&handler, 422, "validation_failed")],
        ),
        (
            Method::GET,
            format!("/api/v1/assignments/{a}/extensions"),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/reminders"),
            json!({}),
            vec![(&handler, 403, "forbidden"), (&deputy, 403, "forbidden"), (&co, 403, "forbidden")],
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/reminders"),
            json!({"message": 7}),
            vec![(&office, 422, "validation_failed")],
        ),
        (
            Method::GET,
            format!("/api/v1/assignments/{a}/reminders"),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&other, 404, "not_found")],
        ),
        (
            Method::POST,
            format!("/api/v1/disputes/{d}/decision"),
            json!({"accept": false}),
            vec![(&handler, 403, "forbidden"), (&leader, 403, "forbidden"), (&deputy, 403, "forbidden")],
        ),
        (
            Method::POST,
            format!("/api/v1/disputes/{d}/decision"),
            json!({"accept": "no"}),
            vec![(&office, 422, "validation_failed")],
        ),
        (
            Method::POST,
            format!("/api/v1/disputes/{}/decision", uuid::Uuid::now_v7()),
            json!({"accept": false}),
            vec![(&office, 404, "not_found")],
        ),
        (
            Method::POST,
            "/api/v1/disputes/x1/decision".into(),
            json!({"accept": false}),
            vec![(&office, 400, "invalid_path")],
        ),
        (
            Method::POST,
            format!("/api/v1/extensions/{e}/decision"),
            json!({"approve": false}),
            vec![(&handler, 403, "forbidden"), (&leader, 403, "forbidden")],
        ),
        (
            Method::POST,
            format!("/api/v1/extensions/{e}/decision"),
            json!({"approve": true, "approved_until": "2099-13-01"}),
            vec![(&office, 422, "validation_failed")],
        ),
        (
            Method::POST,
            format!("/api/v1/extensions/{}/decision", uuid::Uuid::now_v7()),
            json!({"approve": false}),
            vec![(&office, 404, "not_found")],
        ),
        (
            Method::GET,
            "/api/v1/calendar/holidays".into(),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&co, 403, "forbidden")],
        ),
        (
            Method::GET,
            "/api/v1/calendar/holidays?year=next".into(),
            none.clone(),
            vec![(&office, 400, "invalid_query")],
        ),
        (
            Method::DELETE,
            "/api/v1/calendar/holidays/2025-01-28".into(),
            none.clone(),
            vec![(&office, 403, "forbidden")],
        ),
        (
            Method::DELETE,
            "/api/v1/calendar/holidays/2025-01-06".into(),
            none.clone(),
            vec![(app.token(Role::Admin), 404, "not_found")],
        ),
        (
            Method::GET,
            "/api/v1/deadline-rules".into(),
            none.clone(),
            vec![(&deputy, 403, "forbidden"), (&co, 403, "forbidden")],
        ),
        (
            Method::POST,
            "/api/v1/deadline-rules".into(),
            json!({"kind": "reply", "start_point": "assigned", "amount": 1, "period": "calendar_months"}),
            vec![(&office, 403, "forbidden")],
        ),
        (
            Method::POST,
            "/api/v1/deadline-rules".into(),
            json!({"kind": "reply", "start_point": "assigned", "amount": -1, "period": "calendar_months"}),
            vec![(app.token(Role::Admin), 422, "validation_failed")],
        ),
        (
            Method::POST,
            "/api/v1/deadline-rules".into(),
            json!({"kind": "someday", "start_point": "assigned", "amount": 1, "period": "calendar_months"}),
            vec![(app.token(Role::Admin), 422, "validation_failed")],
        ),
        (Method::PATCH, format!("/api/v1/deadline-rules/{rule}"), full_rule.clone(), vec![(&office, 403, "forbidden")]),
        (
            Method::PATCH,
            "/api/v1/deadline-rules/x1".into(),
            full_rule.clone(),
            vec![(app.token(Role::Admin), 400, "invalid_path")],
        ),
    ];
    for (method, path, body, expectations) in &cases {
        // Without a token: 401 everywhere.
        let mut call = app.req(method.clone(), path).if_match(version);
        if !body.is_null() {
            call = call.json(body);
        }
        assert_eq!(call.send().await.status.as_u16(), 401, "{method} {path} without a token");
        for (token, status, code) in expectations {
            let mut call = app.req(method.clone(), path).bearer(token).if_match(version);
            if !body.is_null() {
                call = call.json(body);
            }
            let res = call.send().await;
            assert_eq!(
                (res.status.as_u16(), res.json()["code"].as_str().unwrap_or("").to_string()),
                (*status, code.to_string()),
                "{method} {path}: {}",
                res.json()
            );
        }
    }
    // Nothing changed: the assignment is as it was, its dispute and extension pending.
    let after = app.get(&format!("/api/v1/assignments/{a}")).as_(Role::Office).send().await.json();
    assert_eq!((after["version"].as_i64(), after["state"].as_str()), (Some(version), Some("disputed")));
    let listed = app.get(&format!("/api/v1/assignments/{a}/extensions")).as_(Role::Office).send().await.json();
    assert_eq!(listed[0]["status"], "pending");
    let reminders = app.get(&format!("/api/v1/assignments/{a}/reminders")).as_(Role::Office).send().await.json();
    assert!(reminders.as_array().unwrap().is_empty());
}

/// A holiday edit recomputes open due dates with the rules that fit each assignment: the
/// dispute window of a CPPCC proposal or of a co-handler keeps its own rule.
#[actix_web::test]
async fn a_recompute_keeps_each_assignments_own_dispute_rule() {
    let app = TestApp::new().await;
    let rules = [
        json!({"kind": "dispute", "source": "cppcc", "start_point": "assigned", "amount": 10, "period": "working_days"}),
        json!({"kind": "dispute", "role": "co", "start_point": "assigned", "amount": 8, "period": "working_days"}),
    ];
    for rule in &rules {
        app.post("/api/v1/deadline-rules").as_(Role::Admin).json(rule).send().await.expect(201);
    }
    let body = json!({"source": "cppcc", "year": 2024, "external_no": "C0001", "title": "关于完善政协提案办理的提案"});
    let cppcc = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201).json();
    let npc = suggestion(&app, "240040", "关于合理设置公交站点的建议").await;
    // Monday 2 September 2024: 5 working days end on 9 Sep, 8 on 12 Sep, 10 on 14 Sep (a
    // Saturday worked before the Mid-Autumn holiday, 15–17 Sep).
    let (cppcc_lead, cppcc_co) = lead_and_co(&app, cppcc["id"].as_str().unwrap(), "2024-09-02").await;
    let (npc_lead, npc_co) = lead_and_co(&app, &npc, "2024-09-02").await;
    let expected =
        [(&cppcc_lead, "2024-09-14"), (&cppcc_co, "2024-09-14"), (&npc_lead, "2024-09-09"), (&npc_co, "2024-09-12")];
    for (a, until) in expected {
        assert_eq!(a["dispute_until"], until, "{a}");
    }
    let day = json!({"kind": "holiday", "name": "测试假日"});
    app.put("/api/v1/calendar/holidays/2027-03-03").as_(Role::Admin).json(&day).send().await.expect(200);
    for (a, until) in expected {
        let now = app.get(&format!("/api/v1/assignments/{}", a["id"].as_str().unwrap())).as_(Role::Office).send().await;
        assert_eq!(now.json()["dispute_until"], until, "after the holiday edit: {a}");
    }
}

/// The extension cap counts six months from the assignment, then moves to a working day:
/// a holiday at the three-month mark does not stretch it.
#[actix_web::test]
async fn the_extension_cap_counts_from_the_rules_start() {
    let app = TestApp::new().await;
    let s = suggestion(&app, "240041", "关于推进老旧小区改造的建议").await;
    let (lead, _) = lead_and_co(&app, &s, "2024-07-01").await;
    assert_eq!(lead["due_on"], "2024-10-08", "1 October is 国庆");
    let path = format!("/api/v1/assignments/{}", lead["id"].as_str().unwrap());
    let e = app.get(&format!("{path}/deadline")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(e["extension_limit"], "2025-01-02", "{e}");
    let ask = json!({"reason": "需进行现场踏勘和专题论证", "requested_until": "2025-01-08"});
    let ext = app.post(&format!("{path}/extensions")).as_(Role::Handler).json(&ask).send().await.expect(201).json();
    let decision = format!("/api/v1/extensions/{}/decision", ext["id"].as_str().unwrap());
    let told = json!({"approve": true, "explanation": "已电话向代表说明延期原因", "explained_on": "2024-09-30"});
    let res = app.post(&decision).as_(Role::Office).if_match(1).json(&told).send().await;
    assert_eq!(res.problem(422, "beyond_extension_cap")["limit"], "2025-01-02");
    let mut ok = told.clone();
    ok["approved_until"] = json!("2025-01-02");
    app.post(&decision).as_(Role::Office).if_match(1).json(&ok).send().await.expect(200);
}
