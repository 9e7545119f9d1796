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
