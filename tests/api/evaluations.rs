//! Evaluations: only the proposers (or the sync role for them), only after the reply; an
//! unsatisfied one opens a new round for the same units; every proposer satisfied and the
//! replies acknowledged complete the suggestion.

use serde_json::{Value, json};

use jianyi::auth::Role;

use crate::replies::signed_reply;
use crate::support::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Submits the reply and has the sync role acknowledge it.
async fn acknowledged(app: &TestApp, reply: &Value) {
    let sub = app
        .post(&format!("/api/v1/replies/{}/submission", id(reply)))
        .as_(Role::Office)
        .send()
        .await
        .expect(201)
        .json();
    let path = format!("/api/v1/submissions/{}", id(&sub));
    app.post(&format!("{path}/sent")).as_(Role::Sync).header("if-match", "*").send().await.expect(200);
    let ack = json!({"remote_ref": format!("SHRD-{}", id(reply))});
    app.post(&format!("{path}/acknowledged"))
        .as_(Role::Sync)
        .header("if-match", "*")
        .json(&ack)
        .send()
        .await
        .expect(200);
}

/// The proposer (the one deputy of `lead_item`) of a suggestion.
async fn proposer(app: &TestApp, s: &str) -> Value {
    let sug = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.expect(200).json();
    sug["proposer"]["id"].clone()
}

#[actix_web::test]
async fn every_proposer_satisfied_and_the_reply_acknowledged_complete_the_suggestion() {
    let app = TestApp::new().await;
    let (s, r) = signed_reply(&app, "240901").await;
    let deputy = proposer(&app, &s).await;
    let eval = |who: Value, work: &str, result: &str| json!({"suggestion_id": s, "deputy_id": who, "work": work, "result": result});
    // Wrong callers and a proposer who is not on the suggestion.
    app.post("/api/v1/evaluations")
        .as_(Role::Office)
        .json(&eval(deputy.clone(), "satisfied", "satisfied"))
        .send()
        .await
        .problem(403, "forbidden");
    app.post("/api/v1/evaluations")
        .as_(Role::Deputy)
        .json(&eval(Value::Null, "satisfied", "satisfied"))
        .send()
        .await
        .problem(404, "not_found");
    let stranger = app
        .post("/api/v1/deputies")
        .as_(Role::Office)
        .json(&json!({"body": "npc", "name": "无关代表"}))
        .send()
        .await
        .json();
    let p = app
        .post("/api/v1/evaluations")
        .as_(Role::Sync)
        .json(&eval(stranger["id"].clone(), "satisfied", "satisfied"))
        .send()
        .await;
    p.problem(422, "validation_failed");
    app.post("/api/v1/evaluations")
        .as_(Role::Sync)
        .json(&json!({"suggestion_id": s, "work": "satisfied", "result": "satisfied"}))
        .send()
        .await
        .problem(422, "validation_failed");
    // Satisfied, but the reply is not acknowledged yet: recorded, not completed.
    let e = app
        .post("/api/v1/evaluations")
        .as_(Role::Sync)
        .json(&eval(deputy.clone(), "basically_satisfied", "satisfied"))
        .send()
        .await;
    let e = e.expect(201).json();
    assert_eq!((e["round"].as_i64(), e["revision"].as_i64(), e["on_behalf"].as_bool()), (Some(1), Some(1), Some(true)));
    let close = app.post("/api/v1/completions").as_(Role::Office).json(&json!({"suggestion_id": s})).send().await;
    assert_eq!(close.problem(409, "not_completable")["reason"], "replies_not_submitted");
    acknowledged(&app, &r).await;
    // A change is a new revision; now everything is in: completed, on the basis of the evaluations.
    let e = app
        .post("/api/v1/evaluations")
        .as_(Role::Sync)
        .json(&eval(deputy.clone(), "satisfied", "satisfied"))
        .send()
        .await;
    assert_eq!(e.expect(201).json()["revision"], 2);
    let c = app.get(&format!("/api/v1/completions/{s}")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!((c["round"].as_i64(), c["basis"].as_str()), (Some(1), Some("evaluated")));
    let sug = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    assert_eq!(sug["status"], "completed");
    app.post("/api/v1/evaluations")
        .as_(Role::Sync)
        .json(&eval(deputy, "satisfied", "satisfied"))
        .send()
        .await
        .problem(409, "completed");
    let list =
        app.get(&format!("/api/v1/evaluations?suggestion_id={s}")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    app.get(&format!("/api/v1/evaluations?suggestion_id={s}")).as_(Role::Deputy).send().await.problem(404, "not_found");
}

#[actix_web::test]
async fn unsatisfied_opens_a_new_round_for_the_same_units_and_nothing_before_the_reply() {
    let app = TestApp::new().await;
    let (s, _) = signed_reply(&app, "240902").await;
    let deputy = proposer(&app, &s).await;
    // Before the reply of another item: 409.
    let (other, _) = {
        let (o, r) = signed_reply(&app, "240903").await;
        (o, r)
    };
    let _ = other;
    let fresh = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2024, "external_no": "240904", "title": "关于增设公交线路的建议", "proposer_id": deputy}))
        .send()
        .await
        .expect(201)
        .json();
    let today = jianyi::calendar::Today::default().date().to_string();
    app.post("/api/v1/assignments")
        .as_(Role::Office)
        .json(&json!({"suggestion_id": fresh["id"], "assigned_on": today, "units": [
            {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction}]}))
        .send()
        .await
        .expect(201);
    let early = json!({"suggestion_id": fresh["id"], "deputy_id": deputy, "work": "satisfied", "result": "satisfied"});
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&early).send().await.problem(409, "not_replied");
    // Unsatisfied with the result: round 1 ends, round 2 is assigned to the same units.
    let bad = json!({"suggestion_id": s, "deputy_id": deputy, "work": "satisfied", "result": "unsatisfied", "comment": "站点仍未调整"});
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&bad).send().await.expect(201);
    let all = app.get(&format!("/api/v1/assignments?suggestion_id={s}")).as_(Role::Office).send().await.json();
    let items = all["items"].as_array().unwrap();
    let by_round = |r: i64| items.iter().filter(|a| a["round"].as_i64() == Some(r)).collect::<Vec<_>>();
    assert_eq!(by_round(1).len(), 2);
    let lead1 = by_round(1).into_iter().find(|a| a["role"] == "lead").unwrap().clone();
    assert_eq!(lead1["state"], "completed", "{items:?}");
    let second = by_round(2);
    assert_eq!(second.len(), 2, "the same lead and co-handling units: {items:?}");
    assert!(second.iter().all(|a| a["state"] == "assigned"));
    let mut units: Vec<_> = second.iter().map(|a| (a["unit_id"].clone(), a["role"].clone())).collect();
    let mut first: Vec<_> = by_round(1).iter().map(|a| (a["unit_id"].clone(), a["role"].clone())).collect();
    units.sort_by_key(|u| u.0.to_string());
    first.sort_by_key(|u| u.0.to_string());
    assert_eq!(units, first);
    // Round 2 has no reply yet: no evaluation, no completion.
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&bad).send().await.problem(409, "not_replied");
    let close = app.post("/api/v1/completions").as_(Role::Office).json(&json!({"suggestion_id": s})).send().await;
    close.problem(409, "not_completable");
    let sug = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    assert_ne!(sug["status"], "completed");

    // Round 2 is answered (signed in, the deputy consulted, signed off, reviewed, signed,
    // acknowledged); the proposer is unsatisfied again: no third round, no completion until
    // the office records a formal explanation.
    let lead2 = id(second.iter().find(|a| a["role"] == "lead").unwrap());
    let co2 = id(second.iter().find(|a| a["role"] == "co").unwrap());
    for (token, a) in [(app.token(Role::Handler), &lead2), (app.token(Role::CoHandler), &co2)] {
        app.post(&format!("/api/v1/assignments/{a}/sign-in"))
            .bearer(token)
            .header("if-match", "*")
            .send()
            .await
            .expect(200);
    }
    let contact = json!({"assignment_id": lead2, "kind": "pre_handling", "channel": "visit", "face_to_face": true,
        "contacted_on": today, "staff": ["赵明"], "deputy_ids": [deputy], "summary": "再次上门听取意见"});
    app.post("/api/v1/contacts").as_(Role::Handler).json(&contact).send().await.expect(201);
    let r2 = crate::replies::sign_reply_for(&app, &s, &lead2, &co2).await;
    assert_eq!(r2["round"], 2);
    acknowledged(&app, &r2).await;
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&bad).send().await.expect(201);
    let all = app.get(&format!("/api/v1/assignments?suggestion_id={s}")).as_(Role::Office).send().await.json();
    assert!(all["items"].as_array().unwrap().iter().all(|a| a["round"].as_i64() <= Some(2)), "no third round");
    let close = app.post("/api/v1/completions").as_(Role::Office).json(&json!({"suggestion_id": s})).send().await;
    assert_eq!(close.problem(409, "not_completable")["reason"], "unsatisfied");
    let x = json!({"suggestion_id": s, "text": "受用地条件限制，站点暂无法调整，已书面说明原因及后续安排。"});
    app.post("/api/v1/completions/explanations").as_(Role::Handler).json(&x).send().await.problem(403, "forbidden");
    app.post("/api/v1/completions/explanations").as_(Role::Office).json(&x).send().await.expect(201);
    let c = app.get(&format!("/api/v1/completions/{s}")).as_(Role::Office).send().await.expect(200).json();
    assert_eq!((c["round"].as_i64(), c["basis"].as_str()), (Some(2), Some("evaluated")));
    let sug = app.get(&format!("/api/v1/suggestions/{s}")).as_(Role::Office).send().await.json();
    assert_eq!(sug["status"], "completed");
}

/// The bureau co-handles, 市交通运输局 leads: its reply is made in its own system and
/// recorded from the municipal system; then the proposer evaluates and the item completes.
#[actix_web::test]
async fn a_co_handled_item_completes_on_the_lead_units_remote_reply() {
    let app = TestApp::new().await;
    let deputy = app.post("/api/v1/deputies").as_(Role::Office).json(&json!({"body": "npc", "name": "林晓"}));
    let deputy = deputy.send().await.expect(201).json();
    let body = json!({"source": "npc", "year": 2024, "external_no": "240950", "title": "关于优化公交线网的建议",
        "proposer_id": deputy["id"]});
    let s = app.post("/api/v1/suggestions").as_(Role::Office).json(&body).send().await.expect(201).json();
    let today = jianyi::calendar::Today::default().date();
    let units = json!([{"unit_id": app.units.transport, "role": "lead"},
        {"unit_id": app.units.bureau, "role": "co", "section_id": app.units.construction}]);
    let a = app.post("/api/v1/assignments").as_(Role::Office);
    let a = a.json(&json!({"suggestion_id": s["id"], "assigned_on": today.to_string(), "units": units}));
    let items = a.send().await.expect(201).json()["items"].as_array().unwrap().clone();
    let lead = items.iter().find(|a| a["role"] == "lead").unwrap();
    let co = items.iter().find(|a| a["role"] == "co").unwrap();
    let reply = |assignment: &Value, doc_no: &str, on: chrono::NaiveDate| {
        json!({"assignment_id": assignment["id"], "doc_no": doc_no, "class": "A", "replied_on": on.to_string(),
            "remote_ref": "SHRD-240950", "summary": "已优化线网，新增站点两处。"})
    };
    let good = reply(lead, "市交通运输局函〔2024〕45号", today);
    // Nobody evaluates before the lead's reply is in.
    let e = json!({"suggestion_id": s["id"], "deputy_id": deputy["id"], "work": "satisfied", "result": "satisfied"});
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&e).send().await.problem(409, "not_replied");
    // Wrong callers, a co-handling assignment, a date in the future, an empty number.
    for role in [Role::Handler, Role::CoHandler, Role::Deputy, Role::Leader] {
        app.post("/api/v1/remote-replies").as_(role).json(&good).send().await.problem(403, "forbidden");
    }
    let bad = [
        reply(co, "市交通运输局函〔2024〕45号", today),
        reply(lead, "市交通运输局函〔2024〕45号", today + chrono::Days::new(1)),
        reply(lead, "  ", today),
    ];
    for b in &bad {
        app.post("/api/v1/remote-replies").as_(Role::Sync).json(b).send().await.problem(422, "validation_failed");
    }
    assert_eq!(app.events(&id(lead)).await.len(), 1, "nothing changed: only the assignment's creation");
    let r = app.post("/api/v1/remote-replies").as_(Role::Sync).json(&good).send().await.expect(201).json();
    assert_eq!((r["doc_no"].as_str(), r["class"].as_str()), (Some("市交通运输局函〔2024〕45号"), Some("A")));
    let again = app.post("/api/v1/remote-replies").as_(Role::Sync).json(&good).send().await.expect(200).json();
    assert_eq!(again["id"], r["id"], "the same reply again changes nothing");
    let other = reply(lead, "市交通运输局函〔2024〕46号", today);
    app.post("/api/v1/remote-replies").as_(Role::Office).json(&other).send().await.problem(409, "already_recorded");
    let lead_now = app.get(&format!("/api/v1/assignments/{}", id(lead))).as_(Role::Office).send().await.json();
    assert_eq!(lead_now["state"], "replied");
    let events: Vec<String> = app.events(&id(&r)).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["remote_reply.recorded"]);
    // Who reads it: the office and the co-handling section; not a unit outside it.
    let path = format!("/api/v1/remote-replies?suggestion_id={}", id(&s));
    let seen = app.get(&path).as_(Role::Handler).send().await.expect(200).json();
    assert_eq!(seen["items"][0]["id"], r["id"]);
    app.get(&path).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    app.get(&path).as_(Role::Deputy).send().await.problem(403, "forbidden");
    // The proposer's evaluation completes it: the lead's reply is its answer.
    app.post("/api/v1/evaluations").as_(Role::Sync).json(&e).send().await.expect(201);
    let c = app.get(&format!("/api/v1/completions/{}", id(&s))).as_(Role::Office).send().await.expect(200).json();
    assert_eq!(c["basis"], "evaluated");
    let sug = app.get(&format!("/api/v1/suggestions/{}", id(&s))).as_(Role::Office).send().await.json();
    assert_eq!(sug["status"], "completed");
}
