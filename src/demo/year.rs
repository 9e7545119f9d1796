//! The demo year carried to its end by API calls alone — in-process requests to the same
//! application `jianyi serve` runs, each made by the person whose work it is, signed in
//! with their password: the sections talk with the deputies, draft and get their replies
//! signed off and reviewed; the office attaches the signed scans, submits them and
//! publishes them; the municipal system (the sync account) acknowledges the submissions,
//! reports the lead units' replies to what the bureau co-handled, and brings in every
//! proposer's evaluation; the B-class promises are tracked to done; every suggestion is
//! completed. Then one item of 2024 is started and left in review.
//!
//! What the API records as "now" (sign-ins, reviews, evaluations) is the day the demo runs;
//! what people state (contacts, deliveries, the dates on letters, the lead units' replies)
//! carries the dates of 2023, so that deadlines read as they did that year.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};

use crate::demo::{DEMO_PASSWORD, DEMO_SYNC_SECRET, Handling, SUGGESTIONS};

/// What finishing the year did.
#[derive(Debug, Default)]
pub struct Finished {
    /// Suggestions of 2023 carried to completion by this run.
    pub completed: usize,
    /// Suggestions of 2023 completed already.
    pub already: usize,
    /// Suggestions of 2023 found half-way (handled outside the demo): left as they are.
    pub left: Vec<String>,
    /// Whether this run started the 2024 item.
    pub started_2024: bool,
}

/// A body to send.
enum Body {
    Empty,
    Json(Value),
    /// A file upload: its name and bytes (one multipart part `file`).
    File(String, Vec<u8>),
}

/// The application, called in-process.
struct Api<S> {
    svc: S,
}

impl<S, B> Api<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<String>,
        body: Body,
    ) -> Result<Value, String> {
        let mut req = TestRequest::default().method(method.clone()).uri(path);
        if let Some(token) = token {
            req = req.insert_header(("authorization", format!("Bearer {token}")));
        }
        if let Some(tag) = if_match {
            req = req.insert_header(("if-match", tag));
        }
        req = match body {
            Body::Empty => req,
            Body::Json(v) => req.set_json(v),
            Body::File(name, bytes) => {
                let (content_type, payload) = multipart(&name, &bytes);
                req.insert_header(("content-type", content_type)).set_payload(payload)
            }
        };
        let res = self.svc.call(req.to_request()).await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = res.status();
        let bytes = test::read_body(res).await;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{method} {path}: not JSON: {e}"))
    }

    async fn get(&self, token: &str, path: &str) -> Result<Value, String> {
        self.call(Method::GET, path, Some(token), None, Body::Empty).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Result<Value, String> {
        self.call(Method::POST, path, Some(token), None, Body::Json(body)).await
    }

    /// A POST on a versioned object, with `If-Match` of the version it was read at.
    async fn act(&self, token: &str, path: &str, version: &Value, body: Option<Value>) -> Result<Value, String> {
        let tag = Some(format!("\"{}\"", version.as_i64().unwrap_or_default()));
        let body = body.map_or(Body::Empty, Body::Json);
        self.call(Method::POST, path, Some(token), tag, body).await
    }

    /// A POST that needs `If-Match` but on an object the caller did not read (`*`).
    async fn mark(&self, token: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map_or(Body::Empty, Body::Json);
        self.call(Method::POST, path, Some(token), Some("*".into()), body).await
    }

    async fn sign_in(&self, username: &str) -> Result<String, String> {
        let body = json!({"grant_type": "password", "username": username, "password": DEMO_PASSWORD});
        let t = self.call(Method::POST, "/api/v1/auth/token", None, None, Body::Json(body)).await?;
        text(&t["access_token"])
    }

    async fn sign_in_sync(&self) -> Result<String, String> {
        let body = json!({"grant_type": "client_credentials", "client_id": "municipal-sync", "client_secret": DEMO_SYNC_SECRET});
        let t = self.call(Method::POST, "/api/v1/auth/token", None, None, Body::Json(body)).await?;
        text(&t["access_token"])
    }

    /// Uploads a scan for a suggestion; the document.
    async fn upload(&self, token: &str, suggestion: &str, name: &str) -> Result<Value, String> {
        let path = format!("/api/v1/documents?suggestion_id={suggestion}");
        self.call(Method::POST, &path, Some(token), None, Body::File(name.into(), scan(name))).await
    }
}

fn text(v: &Value) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("expected a string, got {v}"))
}

fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "jianyi-demo-boundary-5e0a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A one-page PDF standing for a signed and sealed scan (its title names the document).
fn scan(name: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_string(),
        format!("<< /Title <FEFF{}> >>", name.encode_utf16().map(|u| format!("{u:04X}")).collect::<String>()),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

/// The dates of an item's year (the report's: assigned on 6 March, co-handling opinions
/// delivered within the month, replies signed by the end of May — all on time).
struct Dates {
    contacted_on: &'static str,
    opinion_delivered_at: &'static str,
    signed_on: &'static str,
    follow_up_on: &'static str,
}

fn dates(i: usize) -> Dates {
    const DAYS: [(&str, &str, &str, &str); 4] = [
        ("2023-03-22", "2023-03-29T02:00:00Z", "2023-05-16", "2023-06-20"),
        ("2023-03-23", "2023-03-31T02:00:00Z", "2023-05-18", "2023-06-27"),
        ("2023-03-27", "2023-04-03T02:00:00Z", "2023-05-23", "2023-07-04"),
        ("2023-03-28", "2023-04-04T02:00:00Z", "2023-05-25", "2023-07-11"),
    ];
    let d = DAYS[i % DAYS.len()];
    Dates { contacted_on: d.0, opinion_delivered_at: d.1, signed_on: d.2, follow_up_on: d.3 }
}

/// Who works on the year: tokens by account.
struct People {
    office: String,
    leader: String,
    sync: String,
    /// Section name → (handler, section head).
    sections: Vec<(&'static str, String, String)>,
    /// External unit name → its co-handling account.
    co_handlers: Vec<(&'static str, String)>,
}

impl People {
    fn section(&self, name: &str) -> Result<(&str, &str), String> {
        self.sections
            .iter()
            .find(|s| s.0 == name)
            .map(|s| (s.1.as_str(), s.2.as_str()))
            .ok_or(format!("no demo staff in {name}"))
    }

    fn co_handler(&self, unit: &str) -> Result<&str, String> {
        self.co_handlers.iter().find(|c| c.0 == unit).map(|c| c.1.as_str()).ok_or(format!("no demo account of {unit}"))
    }
}

/// Carries the loaded year (see `load`) to its end through the API, and starts the 2024
/// item; safe to run again: completed items and the started item are left as they are.
pub async fn finish(state: actix_web::web::Data<crate::app::AppState>) -> Result<Finished, String> {
    let api = Api { svc: test::init_service(crate::app::build_app(state)).await };
    let people = People {
        office: api.sign_in("bangongshi").await?,
        leader: api.sign_in("fenguan").await?,
        sync: api.sign_in_sync().await?,
        sections: vec![
            ("建设工程管理科", api.sign_in("jsgc").await?, api.sign_in("jsgc_kz").await?),
            ("耕地保护科", api.sign_in("gdbh").await?, api.sign_in("gdbh_kz").await?),
            ("国土空间规划科", api.sign_in("gtkj").await?, api.sign_in("gtkj_kz").await?),
            ("生态修复科", api.sign_in("sthf").await?, api.sign_in("sthf_kz").await?),
            ("不动产登记科", api.sign_in("bdcdj").await?, api.sign_in("bdcdj_kz").await?),
        ],
        co_handlers: vec![
            ("市交通运输局", api.sign_in("jtj").await?),
            ("市农业农村局", api.sign_in("nyncj").await?),
            ("市水利局", api.sign_in("slj").await?),
        ],
    };
    let mut finished = Finished::default();
    for (i, s) in SUGGESTIONS.iter().enumerate() {
        // By its number (the year may hold other suggestions, a synced year's thousands).
        let path = format!("/api/v1/suggestions?source=npc&year=2023&external_no={}", s.external_no);
        let found = api.get(&people.office, &path).await?;
        let Some(id) = found["items"].get(0).map(|x| text(&x["id"])).transpose()? else {
            return Err(format!("{} is not loaded", s.external_no));
        };
        let all = api.get(&people.office, &format!("/api/v1/assignments?suggestion_id={id}&limit=200")).await?;
        let all = all["items"].as_array().cloned().unwrap_or_default();
        let mine: Vec<&Value> = all.iter().collect();
        if mine.is_empty() {
            return Err(format!("{} is not assigned", s.external_no));
        }
        let suggestion = api.get(&people.office, &format!("/api/v1/suggestions/{id}")).await?;
        if suggestion["status"] == "completed" {
            finished.already += 1;
            continue;
        }
        if mine.iter().any(|a| a["state"] != "assigned") {
            finished.left.push(s.external_no.to_string());
            continue;
        }
        let ours = mine.iter().find(|a| a["section_name"].is_string()).ok_or("the bureau's assignment")?;
        match s.handling {
            Handling::Lead { .. } | Handling::Split(_) => {
                answer(&api, &people, &suggestion, ours, &mine, i, s.is_key).await?
            }
            Handling::Co { lead, .. } => co_handle(&api, &people, &suggestion, ours, &mine, lead, i).await?,
        }
        evaluate(&api, &people, &suggestion).await?;
        let done = api.get(&people.office, &format!("/api/v1/suggestions/{id}")).await?;
        if done["status"] != "completed" {
            return Err(format!("{} is {} at the end of its year", s.external_no, done["status"]));
        }
        finished.completed += 1;
    }
    finished.started_2024 = start_2024(&api, &people).await?;
    Ok(finished)
}

/// The proposer and co-signers of a suggestion (their deputy ids).
fn proposers(suggestion: &Value) -> Vec<Value> {
    std::iter::once(&suggestion["proposer"])
        .chain(suggestion["co_signers"].as_array().into_iter().flatten())
        .filter(|d| d.is_object())
        .map(|d| d["id"].clone())
        .collect()
}

/// A lead or split item: the section talks with the deputies, the co-handlers give their
/// opinions, the reply is drafted, signed off, reviewed at three levels and signed; the
/// office submits and publishes it; B-class promises are tracked to done; a follow-up visit.
async fn answer<S, B>(
    api: &Api<S>,
    people: &People,
    suggestion: &Value,
    ours: &Value,
    mine: &[&Value],
    i: usize,
    is_key: bool,
) -> Result<(), String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let d = dates(i);
    let (handler, head) = people.section(ours["section_name"].as_str().unwrap_or_default())?;
    let (s, a) = (text(&suggestion["id"])?, text(&ours["id"])?);
    let title = suggestion["title"].as_str().unwrap_or_default();
    api.mark(handler, &format!("/api/v1/assignments/{a}/sign-in"), None).await?;
    let deputies = proposers(suggestion);
    let contact = json!({"assignment_id": a, "kind": "pre_handling", "channel": "phone", "contacted_on": d.contacted_on,
        "staff": ["承办科室经办人"], "deputy_ids": deputies, "summary": "办理前电话联系代表，了解建议背景和具体诉求。"});
    api.post(handler, "/api/v1/contacts", contact).await?;
    if is_key {
        let visit = json!({"assignment_id": a, "kind": "other", "channel": "visit", "contacted_on": d.contacted_on,
            "face_to_face": true, "staff": ["分管局领导", "承办科室负责人"], "deputy_ids": deputies,
            "summary": "重点建议，当面沟通办理方案。"});
        api.post(handler, "/api/v1/contacts", visit).await?;
    }
    // The co-handling units give their opinions to the lead.
    let cos: Vec<&&Value> = mine.iter().filter(|x| x["role"] == "co").collect();
    for co in &cos {
        let token = people.co_handler(co["unit_name"].as_str().unwrap_or_default())?;
        let co_id = text(&co["id"])?;
        api.mark(token, &format!("/api/v1/assignments/{co_id}/sign-in"), None).await?;
        let body = format!("关于《{title}》，我单位结合职责提出协办意见如下：一是加强信息共享；二是配合做好相关工作。");
        let o = api.post(token, "/api/v1/opinions", json!({"assignment_id": co_id, "body": body})).await?;
        api.act(token, &format!("/api/v1/opinions/{}/submit", text(&o["id"])?), &o["version"], None).await?;
    }
    // The reply, point by point; key items and every other one class A, the rest B.
    let class = if is_key || i.is_multiple_of(2) { "A" } else { "B" };
    let body = format!(
        "您提出的《{title}》收悉。我局高度重视，经认真研究，现答复如下：\n\n## 一、基本情况\n\n\
         我局将建议办理与全年重点工作相结合，会同有关单位深入调研，逐项研究了建议提出的问题。\n\n\
         ## 二、采取的措施\n\n1. 加强统筹规划，完善相关规划和标准。\n2. 会同有关部门推进落实，明确责任分工和时间节点。\n\n\
         ## 三、下一步工作\n\n我局将持续跟踪落实，及时向您反馈进展。\n\n感谢您对自然资源和规划工作的关心和支持。"
    );
    let draft = json!({"assignment_id": a, "body": body, "class": class, "signer": "刘局长",
        "leader_name": "张副局长", "leader_phone": "0371-65550101", "handler_name": "承办人",
        "handler_phone": "0371-65550102", "points": ["基本情况", "采取的措施", "下一步工作"]});
    let mut r = api.post(handler, "/api/v1/replies", draft).await?;
    let reply = text(&r["id"])?;
    let path = format!("/api/v1/replies/{reply}");
    if !cos.is_empty() {
        r = api.act(handler, &format!("{path}/signoffs"), &r["version"], None).await?;
        for co in &cos {
            let token = people.co_handler(co["unit_name"].as_str().unwrap_or_default())?;
            let pending = api.get(token, "/api/v1/signoffs?state=pending").await?;
            let items = pending["items"].as_array().cloned().unwrap_or_default();
            let so = items.iter().find(|x| x["reply_id"] == r["id"]).ok_or("the co-handler's sign-off")?;
            let answer = json!({"decision": "agree"});
            api.act(token, &format!("/api/v1/signoffs/{}/answer", text(&so["id"])?), &so["version"], Some(answer))
                .await?;
        }
        r = api.get(handler, &path).await?;
    }
    r = api.act(handler, &format!("{path}/submit"), &r["version"], None).await?;
    for token in [head, people.office.as_str(), people.leader.as_str()] {
        r = api.act(token, &format!("{path}/decisions"), &r["version"], Some(json!({"decision": "approve"}))).await?;
    }
    let no = suggestion["external_no"].as_str().unwrap_or_default();
    let scan = api.upload(&people.office, &s, &format!("{no}号建议答复函（签章扫描件）.pdf")).await?;
    let f = json!({"document_id": scan["id"], "signed_on": d.signed_on});
    r = api.act(&people.office, &format!("{path}/final"), &r["version"], Some(f)).await?;

    // Submitted to the municipal system, which acknowledges it.
    let sub = api.post(&people.office, &format!("{path}/submission"), json!({})).await?;
    let sub_path = format!("/api/v1/submissions/{}", text(&sub["id"])?);
    api.mark(&people.sync, &format!("{sub_path}/sent"), None).await?;
    let ack = json!({"remote_ref": format!("SHRD-2023-{no}")});
    api.mark(&people.sync, &format!("{sub_path}/acknowledged"), Some(ack)).await?;
    // Published in full (the report: every reply through the 政务公开栏).
    let disclosure = format!("/api/v1/disclosures/{reply}");
    let dsc = api.call(
        Method::PUT,
        &disclosure,
        Some(&people.office),
        Some("*".into()),
        Body::Json(json!({"mode": "public"})),
    );
    let dsc = dsc.await?;
    api.act(&people.office, &format!("{disclosure}/publish"), &dsc["version"], None).await?;
    // A B-class reply's promises, tracked to done.
    if r["current"]["class"] == "B" {
        let promise =
            json!({"reply_id": reply, "text": "年底前完成相关规划修编并征求代表意见", "due_on": "2023-12-29"});
        let c = api.post(handler, "/api/v1/commitments", promise).await?;
        let cpath = format!("/api/v1/commitments/{}", text(&c["id"])?);
        let progress = json!({"note": "规划修编初稿已完成，正在征求意见。", "reported_on": "2023-09-28"});
        let c = api.post(handler, &format!("{cpath}/progress"), progress).await?;
        let close = json!({"state": "done", "outcome": "规划修编已完成并报批，已向代表反馈。"});
        api.act(handler, &format!("{cpath}/close"), &c["version"], Some(close)).await?;
    }
    // After the reply, the follow-up visit (办后回访).
    let visit = json!({"assignment_id": a, "kind": "follow_up_visit", "channel": "visit",
        "contacted_on": d.follow_up_on, "face_to_face": true, "staff": ["承办科室负责人"], "deputy_ids": deputies,
        "summary": "办后回访，代表对办理工作和结果表示满意。"});
    api.post(handler, "/api/v1/contacts", visit).await?;
    Ok(())
}

/// A co-handled item: the section's opinion goes through its head and the office to the
/// lead unit; the municipal system reports the lead unit's reply.
async fn co_handle<S, B>(
    api: &Api<S>,
    people: &People,
    suggestion: &Value,
    ours: &Value,
    mine: &[&Value],
    lead: &str,
    i: usize,
) -> Result<(), String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let d = dates(i);
    let (handler, head) = people.section(ours["section_name"].as_str().unwrap_or_default())?;
    let (s, co) = (text(&suggestion["id"])?, text(&ours["id"])?);
    let title = suggestion["title"].as_str().unwrap_or_default();
    api.mark(handler, &format!("/api/v1/assignments/{co}/sign-in"), None).await?;
    let body = format!(
        "关于《{title}》的协办意见：一、我局将在国土空间规划中统筹保障相关用地需求；二、配合主办单位做好项目选址和用地审批服务；三、加强信息共享，及时反馈办理进展。"
    );
    let o = api.post(handler, "/api/v1/opinions", json!({"assignment_id": co, "body": body})).await?;
    let opath = format!("/api/v1/opinions/{}", text(&o["id"])?);
    let o = api.act(handler, &format!("{opath}/submit"), &o["version"], None).await?;
    let approve = json!({"decision": "approve"});
    let o = api.act(head, &format!("{opath}/decisions"), &o["version"], Some(approve.clone())).await?;
    let o = api.act(&people.office, &format!("{opath}/decisions"), &o["version"], Some(approve)).await?;
    let no = suggestion["external_no"].as_str().unwrap_or_default();
    let scan = api.upload(&people.office, &s, &format!("{no}号建议协办意见函（盖章扫描件）.pdf")).await?;
    let delivery = json!({"delivered_at": d.opinion_delivered_at, "channel": "document_exchange",
        "document_ids": [scan["id"]]});
    api.act(&people.office, &format!("{opath}/delivery"), &o["version"], Some(delivery)).await?;
    // The lead unit answered in its own system; the municipal system says so.
    let lead_assignment = mine.iter().find(|a| a["role"] == "lead").ok_or("the lead unit's assignment")?;
    let remote = json!({"assignment_id": lead_assignment["id"], "doc_no": format!("{lead}函〔2023〕{}号", 30 + i),
        "class": "A", "replied_on": d.signed_on, "remote_ref": format!("SHRD-2023-{no}"),
        "summary": format!("{lead}已就《{title}》答复代表，我局协办意见已采纳。")});
    api.post(&people.sync, "/api/v1/remote-replies", remote).await?;
    Ok(())
}

/// Every proposer's evaluation, from the municipal system: satisfied.
async fn evaluate<S, B>(api: &Api<S>, people: &People, suggestion: &Value) -> Result<(), String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    for deputy in proposers(suggestion) {
        let e = json!({"suggestion_id": suggestion["id"], "deputy_id": deputy, "work": "satisfied",
            "result": "satisfied", "comment": "办理态度认真，答复具体。"});
        api.post(&people.sync, "/api/v1/evaluations", e).await?;
    }
    Ok(())
}

/// The open item of 2024: 不动产登记科 leads with 市交通运输局; contacted, the co-handler's
/// opinion in, the reply drafted and with the section head. `false` when it exists already.
async fn start_2024<S, B>(api: &Api<S>, people: &People) -> Result<bool, String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    const NO: &str = "241036";
    let found = api.get(&people.office, &format!("/api/v1/suggestions?source=npc&year=2024&external_no={NO}")).await?;
    if found["items"].as_array().is_some_and(|items| !items.is_empty()) {
        return Ok(false);
    }
    let deputies = api.get(&people.office, "/api/v1/deputies?q=%E6%9D%A8%E5%9B%BD%E5%93%B2").await?;
    let proposer = deputies["items"][0]["id"].clone();
    let new = json!({"source": "npc", "year": 2024, "external_no": NO, "session_label": "市十六届人大三次会议",
        "title": "关于优化不动产登记与交通设施用地审批衔接的建议", "category": "城乡建设", "proposer_id": proposer,
        "received_on": crate::calendar::Today::default().date().to_string(),
        "body": "建议优化交通设施项目用地审批与不动产首次登记的衔接，推行“交地即交证”，缩短办理时限。"});
    let s = api.post(&people.office, "/api/v1/suggestions", new).await?;
    let units = api.get(&people.office, "/api/v1/units?limit=200").await?;
    let unit = |name: &str| -> Result<Value, String> {
        let items = units["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|u| u["name"] == name).map(|u| u["id"].clone()).ok_or(format!("no unit {name}"))
    };
    let assignment = json!({"suggestion_id": s["id"], "units": [
        {"unit_id": unit(super::BUREAU)?, "role": "lead", "section_id": unit("不动产登记科")?},
        {"unit_id": unit("市交通运输局")?, "role": "co"}]});
    let items = api.post(&people.office, "/api/v1/assignments", assignment).await?;
    let items = items["items"].as_array().cloned().unwrap_or_default();
    let lead = items.iter().find(|a| a["role"] == "lead").ok_or("the lead assignment")?;
    let co = items.iter().find(|a| a["role"] == "co").ok_or("the co-handling assignment")?;
    let (handler, _) = people.section("不动产登记科")?;
    let a = text(&lead["id"])?;
    api.mark(handler, &format!("/api/v1/assignments/{a}/sign-in"), None).await?;
    let today = crate::calendar::Today::default().date().to_string();
    let contact = json!({"assignment_id": a, "kind": "pre_handling", "channel": "phone", "contacted_on": today,
        "staff": ["许婷"], "deputy_ids": [proposer], "summary": "电话联系代表，了解项目情况和具体诉求。"});
    api.post(handler, "/api/v1/contacts", contact).await?;
    let jtj = people.co_handler("市交通运输局")?;
    let co_id = text(&co["id"])?;
    api.mark(jtj, &format!("/api/v1/assignments/{co_id}/sign-in"), None).await?;
    let o = api.post(
        jtj,
        "/api/v1/opinions",
        json!({"assignment_id": co_id, "body": "同意建议，我局将配合提供项目用地资料。"}),
    );
    let o = o.await?;
    api.act(jtj, &format!("/api/v1/opinions/{}/submit", text(&o["id"])?), &o["version"], None).await?;
    let draft = json!({"assignment_id": a, "class": "B", "leader_name": "张副局长", "leader_phone": "0371-65550101",
        "handler_name": "许婷", "handler_phone": "0371-65550103", "points": ["审批衔接", "交地即交证"],
        "body": "您提出的建议收悉，现答复如下：\n\n## 一、审批衔接\n\n我局正会同市交通运输局梳理交通设施项目用地审批流程。\n\n## 二、交地即交证\n\n计划年内在两个项目试行。"});
    let r = api.post(handler, "/api/v1/replies", draft).await?;
    let path = format!("/api/v1/replies/{}", text(&r["id"])?);
    let r = api.act(handler, &format!("{path}/signoffs"), &r["version"], None).await?;
    let pending = api.get(jtj, "/api/v1/signoffs?state=pending").await?;
    let items = pending["items"].as_array().cloned().unwrap_or_default();
    let so = items.iter().find(|x| x["reply_id"] == r["id"]).ok_or("the co-handler's sign-off")?;
    let agree = Some(json!({"decision": "agree"}));
    api.act(jtj, &format!("/api/v1/signoffs/{}/answer", text(&so["id"])?), &so["version"], agree).await?;
    let r = api.get(handler, &path).await?;
    api.act(handler, &format!("{path}/submit"), &r["version"], None).await?;
    Ok(true)
}
