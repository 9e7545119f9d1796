//! The authorization matrix, from the spec: every operation it lists × every role × an
//! object of the caller's own unit, of another unit, and no token — each answer compared
//! with what the policy table (`auth::policy::POLICY`) says. An operation added to the
//! spec without a row here fails the test.

use actix_web::http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use jianyi::auth::policy::{Operation as O, Reach, Role, reaches};

use crate::support::TestApp;

/// What an operation acts on, which decides the "own" and "other" objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// Nothing in particular (lists, creations): only "own" is tried.
    None,
    Suggestion,
    /// An assignment: the caller's own unit's (a co-handler's own co-handling one).
    Assignment,
    Dispute,
    Extension,
    Deputy,
    Unit,
    User,
    Rule,
    Holiday,
    /// An upsert key (the municipal system).
    Key,
    /// A document: the caller's unit's upload (a co-handler's: its unit's).
    Document,
    /// A co-handling opinion: 市交通运输局's, delivered to 建设工程管理科 (own for both);
    /// 市林业局's draft to 耕地保护科 (the other).
    Opinion,
    /// A contact: 建设工程管理科's with 杨国哲 (the fixture deputy); 耕地保护科's with 曹孟.
    Contact,
}

impl Object {
    /// Whether there is one of the caller's own unit and one of another's (the rest are
    /// the same for every unit).
    fn scoped(self) -> bool {
        matches!(
            self,
            Object::Suggestion
                | Object::Assignment
                | Object::Dispute
                | Object::Extension
                | Object::Deputy
                | Object::Document
                | Object::Opinion
                | Object::Contact
        )
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// No token needed.
    Public,
    /// Any signed-in caller (their own account and session).
    SignedIn,
    /// As the policy says for any of these operations.
    Policy(&'static [O]),
    /// The dashboard's sign-in form: no token needed, refused without its CSRF token.
    SignInForm,
    /// A dashboard form: 401 without a session, refused (403) without the page's CSRF
    /// token whoever calls.
    Form,
    /// Its own credential in the URL (a ticket): 401 without a good one, whatever the token.
    Ticket,
}

/// A row of the matrix: the operation, who may call it, on what, and a body that passes
/// the extractors (so that what is tested is who may, not what was sent).
struct Row {
    operation: &'static str,
    access: Access,
    object: Object,
    body: Option<Value>,
    /// `*`, or a stale version where a success would take the object from the next role.
    if_match: &'static str,
    /// The object that decides is named in the body, or is not the kind the caller
    /// handles (a lead section writing a co-handler's opinion): a caller the policy lets
    /// in may also get 404.
    relaxed: bool,
}

fn row(operation: &'static str, access: Access, object: Object, body: Option<Value>) -> Row {
    Row { operation, access, object, body, if_match: "*", relaxed: false }
}

/// A row whose allowed callers may get 404 from what the body or object names.
fn relaxed(r: Row) -> Row {
    Row { relaxed: true, ..r }
}

/// A row whose call names a stale version: those who may get 412, the others 403 or 404.
fn stale(r: Row) -> Row {
    Row { if_match: "\"999999\"", ..r }
}

fn rows() -> Vec<Row> {
    use Access::*;
    use Object as X;
    let p = Policy;
    vec![
        row("GET /api/v1/assignments", p(&[O::AssignmentRead]), X::None, None),
        row(
            "POST /api/v1/assignments",
            p(&[O::Assign]),
            X::None,
            Some(json!({"suggestion_id": Uuid::nil(), "units": []})),
        ),
        row("GET /api/v1/assignments/due-counts", p(&[O::HandlingRead]), X::None, None),
        row("POST /api/v1/assignments/import", p(&[O::Assign]), X::None, None),
        row("GET /api/v1/assignments/table", p(&[O::HandlingRead]), X::None, None),
        row("GET /api/v1/assignments/{id}", p(&[O::AssignmentRead]), X::Assignment, None),
        row("GET /api/v1/assignments/{id}/deadline", p(&[O::HandlingRead]), X::Assignment, None),
        row("GET /api/v1/assignments/{id}/disputes", p(&[O::HandlingRead]), X::Assignment, None),
        row(
            "POST /api/v1/assignments/{id}/disputes",
            p(&[O::AssignmentRespond]),
            X::Assignment,
            Some(json!({"reason": "不属于本单位职责"})),
        ),
        row("GET /api/v1/assignments/{id}/extensions", p(&[O::HandlingRead]), X::Assignment, None),
        row(
            "POST /api/v1/assignments/{id}/extensions",
            p(&[O::AssignmentRespond]),
            X::Assignment,
            Some(json!({"reason": "需要现场踏勘", "requested_until": "2030-01-01"})),
        ),
        row("GET /api/v1/assignments/{id}/reminders", p(&[O::HandlingRead]), X::Assignment, None),
        row(
            "POST /api/v1/assignments/{id}/reminders",
            p(&[O::Remind]),
            X::Assignment,
            Some(json!({"message": "请抓紧办理"})),
        ),
        row("POST /api/v1/assignments/{id}/sign-in", p(&[O::AssignmentRespond]), X::Assignment, None),
        row("POST /api/v1/assignments/{id}/start", p(&[O::AssignmentRespond]), X::Assignment, None),
        row("GET /api/v1/audit", p(&[O::AuditRead]), X::None, None),
        row("GET /api/v1/webhooks", p(&[O::WebhooksManage]), X::None, None),
        row(
            "POST /api/v1/webhooks",
            p(&[O::WebhooksManage]),
            X::None,
            Some(json!({"url": "https://hooks.example.gov.cn/jianyi"})),
        ),
        row("GET /api/v1/webhooks/deliveries", p(&[O::WebhooksManage]), X::None, None),
        relaxed(row("POST /api/v1/webhooks/deliveries/{id}/redeliver", p(&[O::WebhooksManage]), X::None, None)),
        relaxed(row("GET /api/v1/webhooks/{id}", p(&[O::WebhooksManage]), X::None, None)),
        relaxed(row("PATCH /api/v1/webhooks/{id}", p(&[O::WebhooksManage]), X::None, Some(json!({"active": false})))),
        relaxed(row("DELETE /api/v1/webhooks/{id}", p(&[O::WebhooksManage]), X::None, None)),
        row("POST /api/v1/auth/revoke", Public, X::None, Some(json!({"token": "unknown"}))),
        row(
            "POST /api/v1/auth/token",
            Public,
            X::None,
            Some(json!({"grant_type": "password", "username": "nobody", "password": "wrong password"})),
        ),
        row("GET /api/v1/calendar/holidays", p(&[O::DirectoryRead]), X::None, None),
        row(
            "PUT /api/v1/calendar/holidays/{day}",
            p(&[O::DirectoryWrite]),
            X::Holiday,
            Some(json!({"kind": "holiday", "name": "元旦"})),
        ),
        row("DELETE /api/v1/calendar/holidays/{day}", p(&[O::DirectoryWrite]), X::Holiday, None),
        row("GET /api/v1/deadline-rules", p(&[O::DirectoryRead]), X::None, None),
        row(
            "POST /api/v1/deadline-rules",
            p(&[O::DirectoryWrite]),
            X::None,
            Some(
                json!({"kind": "reply", "source": "cppcc", "start_point": "assigned", "amount": 5, "period": "calendar_months"}),
            ),
        ),
        row(
            "PATCH /api/v1/deadline-rules/{id}",
            p(&[O::DirectoryWrite]),
            X::Rule,
            Some(
                json!({"kind": "reply", "start_point": "assigned", "amount": 3, "period": "calendar_months", "extension_cap": 3}),
            ),
        ),
        row("GET /api/v1/deputies", p(&[O::DeputyRead]), X::None, None),
        row("POST /api/v1/deputies", p(&[O::DeputyWrite]), X::None, Some(json!({"body": "npc", "name": "新代表"}))),
        row("GET /api/v1/deputies/{id}", p(&[O::DeputyRead]), X::Deputy, None),
        row("PATCH /api/v1/deputies/{id}", p(&[O::DeputyWrite]), X::Deputy, Some(json!({"delegation": "城区代表团"}))),
        row("POST /api/v1/disputes/{id}/decision", p(&[O::Assign]), X::Dispute, Some(json!({"accept": false}))),
        row("POST /api/v1/extensions/{id}/decision", p(&[O::Assign]), X::Extension, Some(json!({"approve": false}))),
        row("GET /api/v1/events", p(&[O::EventsRead]), X::None, None),
        row("GET /api/v1/me", SignedIn, X::None, None),
        row(
            "PUT /api/v1/me/password",
            SignedIn,
            X::None,
            Some(json!({"current_password": "not the password", "new_password": "a new password 2023"})),
        ),
        row("GET /api/v1/contacts", p(&[O::ContactRead]), X::None, None),
        relaxed(row(
            "POST /api/v1/contacts",
            p(&[O::ContactWrite]),
            X::None,
            Some(json!({"assignment_id": Uuid::nil(), "kind": "pre_handling", "channel": "phone",
                "contacted_on": "2024-03-10", "staff": ["李明"], "deputy_ids": [Uuid::nil()], "summary": "电话沟通"})),
        )),
        relaxed(row("GET /api/v1/contacts/plan", p(&[O::HandlingRead]), X::Assignment, None)),
        row("GET /api/v1/contacts/{id}", p(&[O::ContactRead]), X::Contact, None),
        relaxed(row(
            "POST /api/v1/opinion-waivers",
            p(&[O::ReviewOffice]),
            X::None,
            Some(json!({"assignment_id": Uuid::nil(), "reason": "协办单位无补充意见"})),
        )),
        row("GET /api/v1/opinions", p(&[O::OpinionRead]), X::None, None),
        relaxed(row(
            "POST /api/v1/opinions",
            p(&[O::OpinionWrite]),
            X::None,
            Some(json!({"assignment_id": Uuid::nil(), "body": "我局意见如下"})),
        )),
        relaxed(row("GET /api/v1/opinions/co-handlers", p(&[O::OpinionRead]), X::None, None)),
        row("GET /api/v1/opinions/{id}", p(&[O::OpinionRead]), X::Opinion, None),
        relaxed(row("PATCH /api/v1/opinions/{id}", p(&[O::OpinionWrite]), X::Opinion, Some(json!({"body": "修改"})))),
        relaxed(row(
            "POST /api/v1/opinions/{id}/decisions",
            p(&[O::ReviewSection, O::ReviewOffice]),
            X::Opinion,
            Some(json!({"decision": "approve"})),
        )),
        relaxed(row(
            "POST /api/v1/opinions/{id}/delivery",
            p(&[O::ReviewOffice]),
            X::Opinion,
            Some(json!({"delivered_at": "2024-03-01T08:00:00Z", "channel": "post", "document_ids": [Uuid::nil()]})),
        )),
        relaxed(row("POST /api/v1/opinions/{id}/submit", p(&[O::OpinionWrite]), X::Opinion, None)),
        row("GET /api/v1/opinions/{id}/letter", p(&[O::OpinionRead]), X::Opinion, None),
        row("GET /api/v1/replies", p(&[O::ReplyRead]), X::None, None),
        relaxed(row(
            "POST /api/v1/replies",
            p(&[O::ReplyDraft]),
            X::None,
            Some(json!({"assignment_id": Uuid::nil(), "body": "答复"})),
        )),
        relaxed(row("GET /api/v1/replies/{id}", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row("PATCH /api/v1/replies/{id}", p(&[O::ReplyDraft]), X::None, Some(json!({"class": "A"})))),
        relaxed(row("GET /api/v1/replies/{id}/versions", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row("GET /api/v1/replies/{id}/diff", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row("GET /api/v1/replies/{id}/letter", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row("POST /api/v1/replies/{id}/signoffs", p(&[O::ReplyDraft]), X::None, None)),
        relaxed(row("POST /api/v1/replies/{id}/submit", p(&[O::ReplyDraft]), X::None, None)),
        relaxed(row(
            "POST /api/v1/replies/{id}/decisions",
            p(&[O::ReviewSection, O::ReviewOffice, O::ReviewLeader]),
            X::None,
            Some(json!({"decision": "approve"})),
        )),
        relaxed(row(
            "POST /api/v1/replies/{id}/final",
            p(&[O::ReviewOffice]),
            X::None,
            Some(json!({"document_id": Uuid::nil()})),
        )),
        relaxed(row("POST /api/v1/replies/{id}/submission", p(&[O::Submit]), X::None, None)),
        row("GET /api/v1/submissions", p(&[O::Submit, O::MarkAcknowledged]), X::None, None),
        relaxed(row("GET /api/v1/submissions/{id}", p(&[O::Submit, O::MarkAcknowledged]), X::None, None)),
        relaxed(row("POST /api/v1/submissions/{id}/sent", p(&[O::MarkAcknowledged]), X::None, None)),
        relaxed(row(
            "POST /api/v1/submissions/{id}/acknowledged",
            p(&[O::MarkAcknowledged]),
            X::None,
            Some(json!({"remote_ref": "SHRD-1"})),
        )),
        relaxed(row(
            "POST /api/v1/submissions/{id}/failed",
            p(&[O::MarkAcknowledged]),
            X::None,
            Some(json!({"reason": "无法连接"})),
        )),
        relaxed(row("POST /api/v1/submissions/{id}/retry", p(&[O::Submit]), X::None, None)),
        relaxed(row(
            "POST /api/v1/remote-replies",
            p(&[O::Submit, O::MarkAcknowledged]),
            X::None,
            Some(
                json!({"assignment_id": Uuid::nil(), "doc_no": "某局函〔2023〕1号", "class": "A", "replied_on": "2023-05-01"}),
            ),
        )),
        relaxed(row("GET /api/v1/remote-replies", p(&[O::HandlingRead]), X::None, None)),
        row("GET /api/v1/stats", p(&[O::SupervisionRead]), X::None, None),
        row("GET /api/v1/reports/annual", p(&[O::SupervisionRead]), X::None, None),
        row("GET /api/v1/ledger", p(&[O::SupervisionRead]), X::None, None),
        row("GET /api/v1/stats/units", p(&[O::SupervisionRead]), X::None, None),
        row("GET /api/v1/reports/charts/{kind}", p(&[O::SupervisionRead]), X::None, None),
        row("GET /api/v1/reports/annual/{year}/next-steps", p(&[O::SupervisionRead]), X::None, None),
        row(
            "PUT /api/v1/reports/annual/{year}/next-steps",
            p(&[O::ReportWrite]),
            X::None,
            Some(json!({"text": "一是加强督办。"})),
        ),
        relaxed(row("GET /api/v1/disclosures/{reply_id}", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row("PUT /api/v1/disclosures/{reply_id}", p(&[O::Submit]), X::None, Some(json!({"mode": "public"})))),
        relaxed(row(
            "POST /api/v1/disclosures/{reply_id}/consent",
            p(&[O::Submit]),
            X::None,
            Some(json!({"consent": "agreed"})),
        )),
        relaxed(row("POST /api/v1/disclosures/{reply_id}/publish", p(&[O::Submit]), X::None, None)),
        relaxed(row(
            "POST /api/v1/evaluations",
            p(&[O::Evaluate]),
            X::None,
            Some(
                json!({"suggestion_id": Uuid::nil(), "deputy_id": Uuid::nil(), "work": "satisfied", "result": "satisfied"}),
            ),
        )),
        relaxed(row("GET /api/v1/evaluations", p(&[O::SupervisionRead, O::Evaluate]), X::None, None)),
        relaxed(row("POST /api/v1/completions", p(&[O::Submit]), X::None, Some(json!({"suggestion_id": Uuid::nil()})))),
        relaxed(row(
            "POST /api/v1/completions/explanations",
            p(&[O::Submit]),
            X::None,
            Some(json!({"suggestion_id": Uuid::nil(), "text": "书面说明"})),
        )),
        relaxed(row("GET /api/v1/completions/{suggestion_id}", p(&[O::SupervisionRead, O::Evaluate]), X::None, None)),
        relaxed(row(
            "POST /api/v1/commitments",
            p(&[O::ReplyDraft]),
            X::None,
            Some(json!({"reply_id": Uuid::nil(), "text": "按期完成", "due_on": "2030-01-01"})),
        )),
        relaxed(row("GET /api/v1/commitments", p(&[O::ReplyRead]), X::None, None)),
        relaxed(row(
            "POST /api/v1/commitments/{id}/progress",
            p(&[O::ReplyDraft]),
            X::None,
            Some(json!({"note": "进展", "reported_on": "2026-01-01"})),
        )),
        relaxed(row(
            "POST /api/v1/commitments/{id}/close",
            p(&[O::ReplyDraft]),
            X::None,
            Some(json!({"state": "done", "outcome": "已完成"})),
        )),
        relaxed(row("GET /api/v1/commitments/{id}/letter", p(&[O::ReplyRead]), X::None, None)),
        row("GET /api/v1/signoffs", p(&[O::SignOff]), X::None, None),
        relaxed(row("GET /api/v1/signoffs/{id}", p(&[O::SignOff, O::ReplyRead, O::ReviewOffice]), X::None, None)),
        relaxed(row(
            "POST /api/v1/signoffs/{id}/answer",
            p(&[O::SignOff]),
            X::None,
            Some(json!({"decision": "agree"})),
        )),
        relaxed(row("POST /api/v1/signoffs/{id}/escalate", p(&[O::ReplyDraft]), X::None, None)),
        relaxed(row(
            "POST /api/v1/signoffs/{id}/settle",
            p(&[O::ReviewOffice]),
            X::None,
            Some(json!({"note": "按主办单位意见"})),
        )),
        row("GET /api/v1/reply-templates", p(&[O::ReplyDraft, O::ReviewOffice]), X::None, None),
        row(
            "POST /api/v1/reply-templates",
            p(&[O::ReviewOffice]),
            X::None,
            Some(json!({"name": "通用答复模板", "body": "{{proposers}}：\n\n您提出的《{{title}}》收悉。"})),
        ),
        relaxed(row("GET /api/v1/reply-templates/{id}", p(&[O::ReplyDraft, O::ReviewOffice]), X::None, None)),
        relaxed(row(
            "PATCH /api/v1/reply-templates/{id}",
            p(&[O::ReviewOffice]),
            X::None,
            Some(json!({"name": "改名"})),
        )),
        row("GET /api/v1/settings", p(&[O::DirectoryRead]), X::None, None),
        row("PATCH /api/v1/settings", p(&[O::DirectoryWrite]), X::None, Some(json!({}))),
        row("GET /api/v1/documents", p(&[O::DocumentRead]), X::None, None),
        row("POST /api/v1/documents", p(&[O::DocumentWrite]), X::Suggestion, None),
        row("GET /api/v1/documents/{id}", p(&[O::DocumentRead]), X::Document, None),
        stale(row("DELETE /api/v1/documents/{id}", p(&[O::DocumentWrite]), X::Document, None)),
        row("GET /api/v1/documents/{id}/content", p(&[O::DocumentRead]), X::Document, None),
        row("GET /api/v1/suggestions", p(&[O::SuggestionRead]), X::None, None),
        row(
            "POST /api/v1/suggestions",
            p(&[O::SuggestionWrite]),
            X::None,
            Some(json!({"source": "npc", "year": 2023, "external_no": "239999", "title": "关于某事的建议"})),
        ),
        row(
            "PUT /api/v1/suggestions/by-external/{source}/{year}/{external_no}",
            p(&[O::SuggestionUpsert]),
            X::Key,
            Some(json!({"title": "关于某事的建议"})),
        ),
        row("POST /api/v1/suggestions/import", p(&[O::SuggestionWrite, O::SuggestionUpsert]), X::None, None),
        row("GET /api/v1/suggestions/{id}", p(&[O::SuggestionRead]), X::Suggestion, None),
        row(
            "PATCH /api/v1/suggestions/{id}",
            p(&[O::SuggestionWrite]),
            X::Suggestion,
            Some(json!({"category": "城乡建设"})),
        ),
        row("GET /api/v1/suggestions/{id}/similar", p(&[O::SuggestionRead]), X::Suggestion, None),
        row("GET /api/v1/units", p(&[O::DirectoryRead]), X::None, None),
        row(
            "POST /api/v1/units",
            p(&[O::DirectoryWrite]),
            X::None,
            Some(json!({"name": "市水利局", "kind": "external"})),
        ),
        row("GET /api/v1/units/{id}", p(&[O::DirectoryRead]), X::Unit, None),
        row("DELETE /api/v1/units/{id}", p(&[O::DirectoryWrite]), X::Unit, None),
        row("PATCH /api/v1/units/{id}", p(&[O::DirectoryWrite]), X::Unit, Some(json!({"name": "市交通运输局"}))),
        row("GET /api/v1/users", p(&[O::DirectoryRead]), X::None, None),
        row(
            "POST /api/v1/users",
            p(&[O::DirectoryWrite]),
            X::None,
            Some(json!({"username": "new_user", "display_name": "新用户", "roles": ["office"], "unit_id": null})),
        ),
        row("GET /api/v1/users/{id}", p(&[O::DirectoryRead]), X::User, None),
        row("DELETE /api/v1/users/{id}", p(&[O::DirectoryWrite]), X::User, None),
        row("PATCH /api/v1/users/{id}", p(&[O::DirectoryWrite]), X::User, Some(json!({"display_name": "改名"}))),
        row("GET /healthz", Public, X::None, None),
        row("GET /public", Public, X::None, None),
        row("GET /dashboard", p(&[O::SupervisionRead]), X::None, None),
        row("GET /dashboard/login", Public, X::None, None),
        row("POST /dashboard/login", SignInForm, X::None, Some(json!({"username": "a", "password": "b"}))),
        row("POST /dashboard/session", p(&[O::SupervisionRead]), X::None, None),
        row("GET /dashboard/enter", Ticket, X::None, None),
        row("POST /dashboard/logout", Form, X::None, Some(json!({}))),
        row("POST /dashboard/next-steps", Form, X::None, Some(json!({"year": 2024, "version": 0, "text": "x"}))),
        row("GET /public/replies", Public, X::None, None),
        row("GET /public/replies.atom", Public, X::None, None),
        relaxed(row("GET /public/replies/{id}", Public, X::None, None)),
        row("GET /metrics", Public, X::None, None),
        row("GET /readyz", Public, X::None, None),
    ]
}

/// An answer, as the matrix sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Unauthenticated,
    Refused,
    Hidden,
    /// Anything else: the caller got in (success, or a rule of the operation itself).
    Allowed,
}

fn seen(status: u16) -> Seen {
    match status {
        401 => Seen::Unauthenticated,
        403 => Seen::Refused,
        404 => Seen::Hidden,
        _ => Seen::Allowed,
    }
}

/// What the policy says a role sees of an object of its own unit (`own`) or another's.
fn expected(role: Role, ops: &[O], object: Object, own: bool) -> Seen {
    let mut all: Vec<Reach> = ops.iter().flat_map(|op| reaches(&[role], *op)).collect();
    all.sort();
    all.dedup();
    if all.is_empty() {
        Seen::Refused
    } else if !object.scoped() || own || all.contains(&Reach::All) {
        Seen::Allowed
    } else {
        Seen::Hidden
    }
}

/// The objects of the caller's own unit and of another, made through the API.
struct Fixtures {
    suggestions: (Uuid, Uuid),
    /// Lead assignments (own: 建设工程管理科 with the fixture leader; other: 耕地保护科).
    leads: (Uuid, Uuid),
    /// Co-handling assignments (own: 市交通运输局; other: 市林业局).
    cos: (Uuid, Uuid),
    disputes: (Uuid, Uuid),
    extensions: (Uuid, Uuid),
    deputies: (Uuid, Uuid),
    /// Uploads of 建设工程管理科 and 耕地保护科.
    documents: (Uuid, Uuid),
    /// Uploads of 市交通运输局 and 市林业局.
    co_documents: (Uuid, Uuid),
    opinions: (Uuid, Uuid),
    contacts: (Uuid, Uuid),
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let office = |path: &str, body: Value| {
        let path = path.to_string();
        async move { app.post(&path).as_(Role::Office).json(&body).send().await.expect(201).json() }
    };
    let own_deputy =
        office("/api/v1/deputies", json!({"body": "npc", "name": "杨国哲", "user_id": app.user(Role::Deputy).id}))
            .await;
    let other_deputy = office("/api/v1/deputies", json!({"body": "npc", "name": "曹孟"})).await;
    let today = jianyi::calendar::Today::default().date().to_string();
    let mut made = Vec::new();
    for (no, deputy, section, co, leader) in [
        ("240101", &own_deputy, app.units.construction, app.units.transport, app.user(Role::Leader).id),
        ("240102", &other_deputy, app.units.farmland, app.units.forestry, app.head.id),
    ] {
        let s = office(
            "/api/v1/suggestions",
            json!({"source": "npc", "year": 2024, "external_no": no, "title": "关于合理设置公交站点的建议", "proposer_id": deputy["id"]}),
        )
        .await;
        let items = office(
            "/api/v1/assignments",
            json!({"suggestion_id": s["id"], "assigned_on": today, "units": [
                {"unit_id": app.units.bureau, "role": "lead", "section_id": section, "leader_id": leader},
                {"unit_id": co, "role": "co"},
            ]}),
        )
        .await;
        made.push((s["id"].clone(), items["items"][0]["id"].clone(), items["items"][1]["id"].clone()));
    }
    let id = |v: &Value| v.as_str().unwrap().parse::<Uuid>().unwrap();
    let mut disputes = Vec::new();
    let mut extensions = Vec::new();
    for (token, (_, lead, _)) in [(app.token(Role::Handler), &made[0]), (app.other_handler.token.as_str(), &made[1])] {
        let path = format!("/api/v1/assignments/{}", lead.as_str().unwrap());
        let ask = json!({"reason": "需要现场踏勘", "requested_until": "2030-01-01"});
        extensions.push(id(&app
            .post(&format!("{path}/extensions"))
            .bearer(token)
            .json(&ask)
            .send()
            .await
            .expect(201)
            .json()["id"]));
        let reason = json!({"reason": "不属于本科职责"});
        let res =
            app.post(&format!("{path}/disputes")).bearer(token).header("if-match", "*").json(&reason).send().await;
        disputes.push(id(&res.expect(201).json()["id"]));
    }
    let mut uploads = Vec::new();
    for (token, (s, _, _)) in [
        (app.token(Role::Handler), &made[0]),
        (app.other_handler.token.as_str(), &made[1]),
        (app.token(Role::CoHandler), &made[0]),
        (app.other_co_handler.token.as_str(), &made[1]),
    ] {
        let res = crate::documents::upload(app, token, s.as_str().unwrap(), "附件.pdf", b"%PDF-1.7\n%%EOF").await;
        uploads.push(id(&res.expect(201).json()["id"]));
    }
    // 市交通运输局 signs in and delivers its opinion; 市林业局 keeps a draft.
    let cos = (made[0].2.as_str().unwrap(), made[1].2.as_str().unwrap());
    let co = app.token(Role::CoHandler);
    app.post(&format!("/api/v1/assignments/{}/sign-in", cos.0))
        .bearer(co)
        .header("if-match", "*")
        .send()
        .await
        .expect(200);
    let given =
        app.post("/api/v1/opinions").bearer(co).json(&json!({"assignment_id": cos.0, "body": "同意"})).send().await;
    let given = id(&given.expect(201).json()["id"]);
    let submit = app.post(&format!("/api/v1/opinions/{given}/submit")).bearer(co).header("if-match", "*");
    submit.send().await.expect(200);
    let draft = app
        .post("/api/v1/opinions")
        .bearer(&app.other_co_handler.token)
        .json(&json!({"assignment_id": cos.1, "body": "草稿"}))
        .send()
        .await;
    let draft = id(&draft.expect(201).json()["id"]);
    let mut contacts = Vec::new();
    for (token, (_, lead, _), deputy) in
        [(app.token(Role::Handler), &made[0], &own_deputy), (app.other_handler.token.as_str(), &made[1], &other_deputy)]
    {
        let body = json!({"assignment_id": lead, "kind": "pre_handling", "channel": "phone",
            "contacted_on": "2024-03-10", "staff": ["李明"], "deputy_ids": [deputy["id"]], "summary": "电话沟通"});
        contacts
            .push(id(&app.post("/api/v1/contacts").bearer(token).json(&body).send().await.expect(201).json()["id"]));
    }
    Fixtures {
        opinions: (given, draft),
        contacts: (contacts[0], contacts[1]),
        documents: (uploads[0], uploads[1]),
        co_documents: (uploads[2], uploads[3]),
        suggestions: (id(&made[0].0), id(&made[1].0)),
        leads: (id(&made[0].1), id(&made[1].1)),
        cos: (id(&made[0].2), id(&made[1].2)),
        disputes: (disputes[0], disputes[1]),
        extensions: (extensions[0], extensions[1]),
        deputies: (id(&own_deputy["id"]), id(&other_deputy["id"])),
    }
}

/// The path of an operation on the own or the other object, for a role.
fn path(template: &str, object: Object, own: bool, role: Role, app: &TestApp, f: &Fixtures, rule: Uuid) -> String {
    let pick = |pair: (Uuid, Uuid)| if own { pair.0 } else { pair.1 };
    let id = match object {
        Object::Suggestion => pick(f.suggestions),
        Object::Assignment if role == Role::CoHandler => pick(f.cos),
        Object::Assignment => pick(f.leads),
        Object::Dispute => pick(f.disputes),
        Object::Extension => pick(f.extensions),
        Object::Deputy => pick(f.deputies),
        Object::Document if role == Role::CoHandler => pick(f.co_documents),
        Object::Document => pick(f.documents),
        Object::Opinion => pick(f.opinions),
        Object::Contact => pick(f.contacts),
        Object::Unit => app.units.forestry,
        Object::User => app.other_co_handler.id,
        Object::Rule => rule,
        Object::None | Object::Holiday | Object::Key => Uuid::nil(),
    };
    let path = template
        .replace("{id}", &id.to_string())
        .replace("{reply_id}", &id.to_string())
        .replace("{suggestion_id}", &id.to_string())
        .replace("{day}", "2026-01-01")
        .replace("{source}/{year}/{external_no}", "npc/2024/240199")
        .replace("{year}", "2024")
        .replace("{kind}", "role");
    if path == "/api/v1/commitments" {
        return format!("{path}?suggestion_id={}", Uuid::nil());
    }
    if path == "/api/v1/evaluations" || path == "/api/v1/remote-replies" {
        return format!("{path}?suggestion_id={}", Uuid::nil());
    }
    if path.ends_with("/diff") {
        return format!("{path}?from=1&to=2");
    }
    if [
        "/api/v1/stats",
        "/api/v1/stats/units",
        "/api/v1/reports/annual",
        "/api/v1/reports/charts/role",
        "/api/v1/ledger",
    ]
    .contains(&path.as_str())
    {
        return format!("{path}?year=2024");
    }
    if path == "/dashboard/enter" {
        return format!("{path}?ticket=unknown");
    }
    if path.ends_with("/table") {
        return format!("{path}?year=2024");
    }
    if path == "/api/v1/contacts/plan" {
        let lead = if role == Role::CoHandler { pick(f.cos) } else { pick(f.leads) };
        return format!("{path}?assignment_id={lead}");
    }
    if ["/api/v1/documents", "/api/v1/opinions", "/api/v1/opinions/co-handlers", "/api/v1/contacts"]
        .contains(&path.as_str())
    {
        let suggestion = if own || object == Object::None { f.suggestions.0 } else { f.suggestions.1 };
        return format!("{path}?suggestion_id={suggestion}");
    }
    path
}

#[actix_web::test]
async fn every_operation_answers_every_role_as_the_policy_says() {
    let spec: Value = serde_json::from_str(&jianyi::openapi::spec_json()).unwrap();
    let rows = rows();
    let mut listed = Vec::new();
    for (p, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let name = format!("{} {p}", method.to_uppercase());
            assert!(rows.iter().any(|r| r.operation == name), "{name} is in the spec but has no row in this matrix");
            listed.push(name);
        }
    }
    for r in &rows {
        assert!(listed.iter().any(|n| *n == r.operation), "{}: a row for an operation the spec lacks", r.operation);
    }

    let mut wrong = Vec::new();
    for r in &rows {
        // Each operation on a fresh database: what one call changes never decides another's.
        let app = TestApp::new().await;
        let f = fixtures(&app).await;
        let rules = app.get("/api/v1/deadline-rules").as_(Role::Admin).send().await.json();
        let rule = rules[0]["id"].as_str().unwrap().parse().unwrap();
        let (method, template) = r.operation.split_once(' ').unwrap();
        let method: Method = method.parse().unwrap();
        let call = |token: Option<&str>, path: String| {
            let mut call = app.req(method.clone(), &path).header("if-match", r.if_match);
            if let Some(t) = token {
                call = call.bearer(t);
            }
            match &r.body {
                Some(body) => call.json(body),
                None if template.ends_with("/import") => call.body("application/x-ndjson", "\n"),
                None => call,
            }
        };
        let status =
            call(None, path(template, r.object, true, Role::Admin, &app, &f, rule)).send().await.status.as_u16();
        let want = match r.access {
            Access::Public => Seen::Allowed,
            Access::SignInForm => Seen::Refused,
            _ => Seen::Unauthenticated,
        };
        // A public read of nothing in particular (a nil id) may find nothing.
        let public_miss = matches!(r.access, Access::Public) && r.relaxed && seen(status) == Seen::Hidden;
        if seen(status) != want && !public_miss {
            wrong.push(format!("{} without a token: {status}, expected {want:?}", r.operation));
        }
        let ops = match r.access {
            Access::Public | Access::SignInForm => continue,
            Access::SignedIn | Access::Form | Access::Ticket => &[][..],
            Access::Policy(ops) => ops,
        };
        for role in Role::ALL {
            for own in [true, false] {
                if !own && !r.object.scoped() {
                    continue;
                }
                let path = path(template, r.object, own, role, &app, &f, rule);
                let status = call(Some(app.token(role)), path).send().await.status.as_u16();
                let want = match r.access {
                    Access::SignedIn => Seen::Allowed,
                    Access::Form => Seen::Refused,
                    Access::Ticket => Seen::Unauthenticated,
                    _ => expected(role, ops, r.object, own),
                };
                let got = match seen(status) {
                    Seen::Hidden if r.relaxed && want == Seen::Allowed => Seen::Allowed,
                    got => got,
                };
                if got != want {
                    let whose = if own { "own" } else { "another unit's" };
                    wrong.push(format!("{} as {role:?} on {whose}: {status}, expected {want:?}", r.operation));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the policy:\n{}", wrong.len(), wrong.join("\n"));
}
