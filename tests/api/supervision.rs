//! Supervision: the demo year's figures, the report's first paragraph computed from the
//! data, the ledger and its CSV; who sees which rows and figures.

use serde_json::Value;

use jianyi::auth::Role;

use crate::coordination::sign_in_as;
use crate::support::TestApp;

/// Handlings whose facts (answered, class, contacted, ratings, open promises: migration
/// 000017's triggers) differ from the same facts computed from the steps' tables.
async fn facts_drift(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.conn().await;
    let sql = "SELECT count(*) AS n FROM assignments a JOIN assignment_facts f ON f.id = a.id \
               WHERE (a.year, a.external_no, a.answered_on, a.answer_class, a.contacted, a.face_to_face, a.rated, a.work_satisfied, \
                      a.result_satisfied, a.latest_result, a.open_commitments) IS DISTINCT FROM \
                     (f.year, f.external_no, f.answered_on, f.answer_class, f.contacted, f.face_to_face, f.rated, f.work_satisfied, \
                      f.result_satisfied, f.latest_result, f.open_commitments)";
    diesel_async::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), &mut *conn).await.unwrap().n
}

#[actix_web::test]
async fn the_demo_years_figures_and_report_are_computed_from_the_data() {
    let app = TestApp::new().await;
    jianyi::demo::load(&app.state.pool).await.unwrap();
    jianyi::demo::year::finish(app.state.clone()).await.unwrap();
    assert_eq!(facts_drift(&app).await, 0, "what the triggers kept on the assignments is what the tables say");
    let s = app.get("/api/v1/stats?year=2023").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(s["total"], 13);
    assert_eq!(
        (s["by_role"]["lead"].as_i64(), s["by_role"]["split"].as_i64(), s["by_role"]["co"].as_i64()),
        (Some(3), Some(2), Some(8))
    );
    assert_eq!(s["by_source"]["npc"], 13);
    let rate = |name: &str| {
        (
            s["rates"][name]["numerator"].clone(),
            s["rates"][name]["denominator"].clone(),
            s["rates"][name]["value"].clone(),
        )
    };
    assert_eq!(rate("completion"), (Value::from(13), Value::from(13), Value::from(1.0)));
    assert_eq!(rate("satisfaction_result").2, Value::from(1.0));
    assert_eq!(rate("satisfaction_work").2, Value::from(1.0));
    assert_eq!(
        rate("on_time"),
        (Value::from(13), Value::from(13), Value::from(1.0)),
        "5 letters and 8 opinions by their due dates"
    );
    assert_eq!(rate("contact"), (Value::from(5), Value::from(5), Value::from(1.0)));
    assert_eq!(s["overdue"], 0);
    let statuses = s["by_status"].as_array().unwrap();
    assert_eq!(
        (statuses.len(), statuses[0]["key"].as_str(), statuses[0]["count"].as_i64()),
        (1, Some("completed"), Some(13))
    );

    let md = app.get("/api/v1/reports/annual?year=2023").as_(Role::Office).send().await.expect(200);
    assert_eq!(md.header("content-type"), Some("text/markdown; charset=utf-8"));
    let md = String::from_utf8(md.body).unwrap();
    let first = md.split("\n\n").nth(2).unwrap();
    assert_eq!(
        first,
        "2023年，我局负责办理的人大建议13件（主办3件、分办2件、协办8件），目前所有建议均答复完毕，均按期答复，实现了办结率、满意率100%。"
    );
    assert!(md.contains("第183050号《关于合理设置公交站点的建议》"), "the key suggestions: {md}");
    let html = app.get("/api/v1/reports/annual?year=2023&format=html").as_(Role::Leader).send().await.expect(200);
    assert!(html.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    assert!(String::from_utf8_lossy(&html.body).contains("<h2>一、基本情况</h2>"));

    assert!(html.header("content-security-policy").is_some_and(|c| c.contains("img-src data:")));
    assert_eq!(String::from_utf8_lossy(&html.body).matches("<img alt=").count(), 4, "the four charts");
    // The same report as DOCX, in the letters' fonts, read back.
    let docx = app.get("/api/v1/reports/annual?year=2023&format=docx").as_(Role::Office).send().await.expect(200);
    assert!(docx.header("content-disposition").unwrap().contains(".docx"));
    let read = docx_rs::read_docx(&docx.body).expect("a reader opens it");
    let text = read.json();
    assert!(text.contains("2023年建议提案办理工作情况报告") && text.contains("主办3件、分办2件、协办8件"));
    assert!(text.contains("仿宋_GB2312") && text.contains("黑体"));

    // The charts, as SVG.
    let chart = app.get("/api/v1/reports/charts/unit?year=2023").as_(Role::Leader).send().await.expect(200);
    assert_eq!(chart.header("content-type"), Some("image/svg+xml"));
    assert!(String::from_utf8(chart.body).unwrap().contains("建设工程管理科"));
    app.get("/api/v1/reports/charts/pie?year=2023").as_(Role::Office).send().await.problem(404, "not_found");

    // A range of assignment dates instead of (or with) a year; answers by month.
    let range =
        app.get("/api/v1/stats?from=2023-03-01&to=2023-03-31").as_(Role::Office).send().await.expect(200).json();
    assert_eq!((range["total"].as_i64(), range["year"].is_null()), (Some(13), true));
    let months: i64 = range["by_month"].as_array().unwrap().iter().map(|m| m["count"].as_i64().unwrap()).sum();
    assert_eq!(months, 13, "every answer in its month: {}", range["by_month"]);
    let none = app.get("/api/v1/stats?year=2023&from=2023-04-01&to=2023-12-31").as_(Role::Office).send().await;
    assert_eq!(none.expect(200).json()["total"], 0);
    for bad in ["from=2023-03-01", "to=2023-03-01", "from=2023-04-01&to=2023-03-01", "from=2000-01-01&to=2023-01-01"] {
        let p = app.get(&format!("/api/v1/stats?{bad}")).as_(Role::Office).send().await;
        assert_eq!(p.problem(422, "validation_failed")["errors"][0]["code"], "invalid_period");
    }
    let malformed = app.get("/api/v1/stats?from=2023-13-01&to=2023-12-31").as_(Role::Office).send().await;
    malformed.problem(400, "invalid_query");

    // Each section's score, with the settings' weights; the weights add up to 100.
    let scores = app.get("/api/v1/stats/units?year=2023").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(scores["weights"], serde_json::json!({"on_time": 40, "contact": 20, "satisfaction": 40}));
    let units = scores["units"].as_array().unwrap();
    let jsgc = units.iter().find(|u| u["unit"] == "建设工程管理科").unwrap();
    assert_eq!((jsgc["handled"].as_i64(), jsgc["on_time"]["denominator"].as_i64()), (Some(4), Some(4)));
    assert_eq!((jsgc["contact"]["denominator"].as_i64(), jsgc["score"].as_f64()), (Some(1), Some(100.0)));
    assert!(units.iter().all(|u| u["score"] == 100.0), "every section on time, contacted, satisfied: {units:?}");
    let settings = app.get("/api/v1/settings").as_(Role::Admin).send().await.expect(200);
    let v = settings.version();
    let weights = |w: [i32; 3]| serde_json::json!({"score_weight_on_time": w[0], "score_weight_contact": w[1], "score_weight_satisfaction": w[2]});
    app.patch("/api/v1/settings")
        .as_(Role::Admin)
        .if_match(v)
        .json(&weights([50, 20, 40]))
        .send()
        .await
        .problem(422, "validation_failed");
    app.patch("/api/v1/settings")
        .as_(Role::Admin)
        .if_match(v)
        .json(&serde_json::json!({"score_weight_contact": 30}))
        .send()
        .await
        .problem(422, "validation_failed");
    app.patch("/api/v1/settings").as_(Role::Admin).if_match(v).json(&weights([50, 10, 40])).send().await.expect(200);
    let scores = app.get("/api/v1/stats/units?year=2023").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(scores["weights"]["on_time"], 50);

    // The next steps: the office writes them against the version read; the report carries them.
    let n = app.get("/api/v1/reports/annual/2023/next-steps").as_(Role::Leader).send().await.expect(200);
    assert_eq!((n.json()["version"].as_i64(), n.json()["text"].as_str()), (Some(0), Some("")));
    let text = serde_json::json!({"text": "一是压实办理责任。\n\n二是加强跟踪督办，推动承诺事项落地见效。"});
    let put = |role| app.put("/api/v1/reports/annual/2023/next-steps").as_(role);
    put(Role::Office).json(&text).send().await.problem(428, "if_match_required");
    put(Role::Leader).header("if-match", "\"0\"").json(&text).send().await.problem(403, "forbidden");
    let written = put(Role::Office).header("if-match", "\"0\"").json(&text).send().await.expect(200);
    assert_eq!(written.json()["version"], 1);
    put(Role::Office).header("if-match", "\"0\"").json(&text).send().await.problem(412, "stale_version");
    let long = serde_json::json!({"text": "字".repeat(20_001)});
    put(Role::Office).if_match(1).json(&long).send().await.problem(422, "validation_failed");
    put(Role::Office).if_match(1).json(&serde_json::json!({"text": 1})).send().await.problem(422, "validation_failed");
    let md = app.get("/api/v1/reports/annual?year=2023").as_(Role::Office).send().await.expect(200);
    assert!(
        String::from_utf8(md.body)
            .unwrap()
            .ends_with("## 三、下步打算\n\n一是压实办理责任。\n\n二是加强跟踪督办，推动承诺事项落地见效。\n")
    );
    assert_eq!(app.audit_actions("report", "2023").await.len(), 1);

    // The ledger: the year in number order, a page at a time; and as CSV with a BOM.
    let mut rows: Vec<Value> = Vec::new();
    let mut path = "/api/v1/ledger?year=2023&limit=5".to_string();
    loop {
        let page = app.get(&path).as_(Role::Office).send().await.expect(200).json();
        rows.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/ledger?year=2023&limit=5&cursor={c}"),
            None => break,
        }
    }
    let numbers: Vec<&str> = rows.iter().map(|r| r["external_no"].as_str().unwrap()).collect();
    assert_eq!(numbers.len(), 13);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let bus = rows.iter().find(|r| r["external_no"] == "183050").unwrap();
    assert_eq!(
        (bus["role"].as_str(), bus["section"].as_str(), bus["submission"].as_str(), bus["evaluation"].as_str()),
        (Some("lead"), Some("建设工程管理科"), Some("acknowledged"), Some("satisfied"))
    );
    assert!(bus["published_at"].is_string() && bus["due_state"].is_null() && bus["proposer"] == "杨国哲");
    // The filters of the other lists.
    let app = &app;
    let count = |q: &'static str| async move {
        let page = app.get(&format!("/api/v1/ledger?year=2023&{q}")).as_(Role::Office).send().await.expect(200).json();
        page["items"].as_array().unwrap().len()
    };
    assert_eq!((count("role=lead").await, count("role=split").await, count("role=co").await), (3, 2, 8));
    let states = count("state=completed").await + count("state=replied").await + count("state=opinion_given").await;
    assert_eq!(states, 13);
    assert_eq!(count("due_state=overdue").await, 0, "nothing open in 2023");
    app.get("/api/v1/ledger?year=2023&due_state=late").as_(Role::Office).send().await.problem(400, "invalid_query");
    let csv = app.get("/api/v1/ledger?year=2023&format=csv").as_(Role::Office).send().await.expect(200);
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "the BOM");
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    assert!(text.starts_with("建议编号,标题,领衔代表"), "{text}");
    assert_eq!(text.lines().count(), 14);
    assert!(csv.header("content-disposition").unwrap().contains("filename*=UTF-8''"));
    // And as a workbook, read back by a real reader.
    let xlsx = app.get("/api/v1/ledger?year=2023&format=xlsx").as_(Role::Office).send().await.expect(200);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body)).unwrap();
    use calamine::Reader;
    assert_eq!(book.sheet_names(), vec!["2023年建议办理台账".to_string()]);
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 14);
    assert_eq!(sheet.get((0, 0)).map(|c| c.to_string()), Some("建议编号".into()));
    let bus_row = (1..14).find(|r| sheet.get((*r, 0)).is_some_and(|c| *c == "183050")).unwrap();
    assert_eq!(sheet.get((bus_row, 2)).map(|c| c.to_string()), Some("杨国哲".into()));

    // A suggestion found by its number.
    let found = app.get("/api/v1/suggestions?source=npc&year=2023&external_no=183050").as_(Role::Office).send().await;
    let found = found.expect(200).json();
    assert_eq!(
        (found["items"].as_array().unwrap().len(), found["items"][0]["title"].as_str()),
        (1, Some("关于合理设置公交站点的建议"))
    );
    // A confidential proposer: the office still reads the name, a leader ＊＊＊ in every form.
    let yang = app.get(&format!("/api/v1/deputies?q={}", crate::support::enc("杨国哲"))).as_(Role::Office).send().await;
    let yang = yang.expect(200).json()["items"][0].clone();
    let path = format!("/api/v1/deputies/{}", yang["id"].as_str().unwrap());
    let version = app.get(&path).as_(Role::Office).send().await.expect(200).version();
    app.patch(&path)
        .as_(Role::Office)
        .if_match(version)
        .json(&serde_json::json!({"confidential": true}))
        .send()
        .await
        .expect(200);
    let named = |rows: &Value| {
        rows["items"].as_array().unwrap().iter().find(|r| r["external_no"] == "183050").unwrap()["proposer"].clone()
    };
    let office = app.get("/api/v1/ledger?year=2023").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(named(&office), "杨国哲");
    let leader = app.get("/api/v1/ledger?year=2023").as_(Role::Leader).send().await.expect(200).json();
    assert_eq!(named(&leader), "＊＊＊");
    let csv = app.get("/api/v1/ledger?year=2023&format=csv").as_(Role::Leader).send().await.expect(200);
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.contains("＊＊＊") && !text.contains("杨国哲"), "{text}");
    let xlsx = app.get("/api/v1/ledger?year=2023&format=xlsx").as_(Role::Leader).send().await.expect(200);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert!(sheet.rows().all(|r| r.iter().all(|c| *c != "杨国哲")));
    assert!(sheet.rows().any(|r| r.first().is_some_and(|c| *c == "183050") && r[2] == "＊＊＊"));

    // A section sees its own figures: 建设工程管理科 led one and co-handled three.
    let jsgc = sign_in_as(app, "jsgc", jianyi::demo::DEMO_PASSWORD).await;
    let own = app.get("/api/v1/stats?year=2023").bearer(&jsgc).send().await.expect(200).json();
    assert_eq!(
        (own["total"].as_i64(), own["by_role"]["lead"].as_i64(), own["by_role"]["co"].as_i64()),
        (Some(4), Some(1), Some(3))
    );
    assert!(own["unit_id"].is_string());
    let own_rows = app.get("/api/v1/ledger?year=2023").bearer(&jsgc).send().await.expect(200).json();
    assert_eq!(own_rows["items"].as_array().unwrap().len(), 4, "its own rows only");
    // A co-handler and a deputy see none; a year out of range and an unknown format are 400.
    for role in [Role::CoHandler, Role::Deputy, Role::Sync] {
        app.get("/api/v1/stats?year=2023").as_(role).send().await.problem(403, "forbidden");
        app.get("/api/v1/reports/annual?year=2023").as_(role).send().await.problem(403, "forbidden");
        app.get("/api/v1/ledger?year=2023").as_(role).send().await.problem(403, "forbidden");
    }
    app.get("/api/v1/stats?year=1800").as_(Role::Office).send().await.problem(400, "invalid_query");
    app.get("/api/v1/stats").as_(Role::Office).send().await.problem(422, "validation_failed");
    app.get("/api/v1/reports/annual?year=2023&format=pdf").as_(Role::Office).send().await.problem(400, "invalid_query");

    // The kept facts follow the tables: a suggestion moved to another year and renumbered,
    // its contacts removed.
    {
        let mut conn = app.conn().await;
        for sql in [
            "UPDATE suggestions SET year = 2022, external_no = external_no || '-R' WHERE external_no = '183050'",
            "DELETE FROM contacts WHERE suggestion_id = (SELECT id FROM suggestions WHERE external_no = '183050-R')",
        ] {
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut *conn).await.unwrap();
        }
    }
    assert_eq!(facts_drift(app).await, 0);
    let moved = app.get("/api/v1/stats?year=2022").as_(Role::Office).send().await.expect(200).json();
    assert_eq!((moved["total"].as_i64(), moved["rates"]["contact"]["numerator"].as_i64()), (Some(1), Some(0)));
    let rows = app.get("/api/v1/ledger?year=2022").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(rows["items"][0]["external_no"], "183050-R");
    let s = app.get("/api/v1/stats?year=2023").as_(Role::Office).send().await.expect(200).json();
    assert_eq!(s["total"], 12);
}
