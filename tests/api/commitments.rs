//! Commitments of a B-class reply: listed by the section, progress reported, closed as
//! done with a follow-up letter; open ones show their due state.

use serde_json::{Value, json};

use jianyi::auth::Role;

use crate::replies::signed_reply;
use crate::support::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_b_class_replys_commitments_are_tracked_to_a_follow_up_letter() {
    let app = TestApp::new().await;
    let (s, r) = signed_reply(&app, "241001").await;
    assert_eq!(r["current"]["class"], "B");
    let new = json!({"reply_id": r["id"], "text": "2025年6月底前完成公交站点调整", "due_on": "2025-06-30"});
    app.post("/api/v1/commitments").as_(Role::Office).json(&new).send().await.problem(403, "forbidden");
    app.post("/api/v1/commitments").bearer(&app.other_handler.token).json(&new).send().await.problem(404, "not_found");
    let bad = json!({"reply_id": r["id"], "text": " ", "due_on": "2025-06-30"});
    app.post("/api/v1/commitments").as_(Role::Handler).json(&bad).send().await.problem(422, "validation_failed");
    let c = app.post("/api/v1/commitments").as_(Role::Handler).json(&new).send().await.expect(201).json();
    assert_eq!((c["state"].as_str(), c["due_state"].as_str()), (Some("open"), Some("overdue")), "{c}");
    let path = format!("/api/v1/commitments/{}", id(&c));
    let p = json!({"note": "已完成3处站点调整", "reported_on": "2025-03-01"});
    let c = app.post(&format!("{path}/progress")).as_(Role::Handler).json(&p).send().await.expect(200).json();
    assert_eq!(c["progress"][0]["note"], "已完成3处站点调整");
    // Not done yet: no follow-up letter.
    app.get(&format!("{path}/letter?format=docx")).as_(Role::Handler).send().await.problem(409, "not_done");
    let close = json!({"state": "open", "outcome": "x"});
    app.post(&format!("{path}/close"))
        .as_(Role::Handler)
        .if_match(c["version"].as_i64().unwrap())
        .json(&close)
        .send()
        .await
        .problem(422, "validation_failed");
    let close = json!({"state": "done", "outcome": "公交站点调整已全部完成，新增候车亭5处。"});
    let done =
        app.post(&format!("{path}/close")).as_(Role::Handler).if_match(c["version"].as_i64().unwrap()).json(&close);
    let done = done.send().await.expect(200).json();
    assert_eq!((done["state"].as_str(), done["due_state"].clone()), (Some("done"), Value::Null));
    app.post(&format!("{path}/progress")).as_(Role::Handler).json(&p).send().await.problem(409, "closed");
    let letter = app.get(&format!("{path}/letter?format=docx")).as_(Role::Office).send().await.expect(200);
    let doc = docx_rs::read_docx(&letter.body).unwrap();
    let text: String = doc
        .document
        .children
        .iter()
        .filter_map(|c| if let docx_rs::DocumentChild::Paragraph(p) = c { Some(p.raw_text()) } else { None })
        .collect();
    assert!(text.contains("跟踪答复") && text.contains("新增候车亭5处") && text.contains("周建国代表："), "{text}");
    let list =
        app.get(&format!("/api/v1/commitments?suggestion_id={s}")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.get("/api/v1/commitments").as_(Role::Office).send().await.problem(422, "validation_failed");
    let events: Vec<String> = app.events(&id(&c)).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["commitment.created", "commitment.progressed", "commitment.closed"]);
}

/// After the reply: the contact plan owes a follow-up visit, and progress feedback while a
/// promise is open; the due-state job reminds the unit of an overdue promise once.
#[actix_web::test]
async fn open_promises_keep_feedback_owed_and_are_reminded_of_once() {
    let app = TestApp::new().await;
    let (s, r) = signed_reply(&app, "241002").await;
    let sug = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    let assignment = r["assignment_id"].as_str().unwrap().to_string();
    let signed_on: chrono::NaiveDate = r["signed_on"].as_str().unwrap().parse().unwrap();
    let plan_path = format!("/api/v1/contacts/plan?assignment_id={assignment}");
    let owed = |plan: &Value, what: &str| -> Vec<Value> {
        plan["items"].as_array().unwrap().iter().filter(|o| o["obligation"] == what).cloned().collect()
    };
    let plan = app.get(&plan_path).as_(Role::Handler).send().await.expect(200).json();
    let visit = owed(&plan, "follow_up_visit");
    let month_later = signed_on.checked_add_months(chrono::Months::new(1)).unwrap().to_string();
    assert_eq!((visit[0]["due_on"].as_str(), visit[0]["done_on"].clone()), (Some(month_later.as_str()), Value::Null));
    assert!(owed(&plan, "progress_feedback").is_empty(), "nothing promised yet");

    let new = json!({"reply_id": r["id"], "text": "2025年6月底前完成公交站点调整", "due_on": "2025-06-30"});
    let c = app.post("/api/v1/commitments").as_(Role::Handler).json(&new).send().await.expect(201).json();
    let plan = app.get(&plan_path).as_(Role::Handler).send().await.json();
    let feedback = owed(&plan, "progress_feedback");
    let three_months = signed_on.checked_add_months(chrono::Months::new(3)).unwrap().to_string();
    assert_eq!(feedback[0]["due_on"].as_str(), Some(three_months.as_str()), "{plan}");
    // The follow-up visit is recorded: met.
    let contact = json!({"assignment_id": assignment, "kind": "follow_up_visit", "channel": "visit",
        "contacted_on": signed_on.to_string(), "face_to_face": true, "staff": ["李明"], "deputy_ids": [sug["proposer"]["id"]], "summary": "办后回访"});
    app.post("/api/v1/contacts").as_(Role::Handler).json(&contact).send().await.expect(201);
    let plan = app.get(&plan_path).as_(Role::Handler).send().await.json();
    assert_eq!(owed(&plan, "follow_up_visit")[0]["done_on"].as_str(), Some(signed_on.to_string().as_str()));

    // The job: the promise is overdue (2025-06-30 has passed); one reminder, to the unit.
    let run = async || {
        let mut conn = app.conn().await;
        let clock = app.state.clock(&mut conn).await.unwrap();
        jianyi::commitments::service::run_due_states(&mut conn, &clock).await.unwrap()
    };
    assert_eq!(run().await, 1);
    assert_eq!(run().await, 0, "no change, no reminder");
    let reminders = app.get(&format!("/api/v1/assignments/{assignment}/reminders")).as_(Role::Handler).send().await;
    let reminders = reminders.expect(200).json();
    let about: Vec<&Value> = reminders
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["message"].as_str().is_some_and(|m| m.contains("公交站点调整")))
        .collect();
    assert_eq!((about.len(), about[0]["kind"].as_str()), (1, Some("overdue")), "{reminders}");
    // Kept: no feedback owed any more.
    let close = json!({"state": "done", "outcome": "已完成"});
    let path = format!("/api/v1/commitments/{}/close", id(&c));
    app.post(&path).as_(Role::Handler).if_match(c["version"].as_i64().unwrap()).json(&close).send().await.expect(200);
    let plan = app.get(&plan_path).as_(Role::Handler).send().await.json();
    assert!(owed(&plan, "progress_feedback").is_empty(), "{plan}");
}
