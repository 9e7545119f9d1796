//! Replies, their revisions, sign-offs, review decisions and templates: rows, requests
//! and answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::enums::{Decision, ReplyClass, ReplyStage, ReplyState, SignoffState, Source, SubmissionState};
use crate::db::schema::{
    remote_replies, replies, reply_decisions, reply_revisions, reply_signoffs, reply_templates, submissions,
};
use crate::documents::model::Document;
use crate::http::dates::Day;
use crate::http::text::QueryText;
use crate::letters::LetterFormat;
use crate::replies::rules::{DiffOp, Granularity, ReplyAction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = replies)]
pub struct ReplyRow {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    pub round: i32,
    pub state: ReplyState,
    pub revision: i32,
    pub drafted_by: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub final_document_id: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub signed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = reply_revisions)]
pub struct RevisionRow {
    pub reply_id: Uuid,
    pub revision: i32,
    pub class: Option<ReplyClass>,
    pub body: String,
    pub doc_no: Option<String>,
    pub signer: Option<String>,
    pub leader_name: Option<String>,
    pub leader_phone: Option<String>,
    pub handler_name: Option<String>,
    pub handler_phone: Option<String>,
    pub cc_units: Vec<String>,
    pub points: Vec<String>,
    pub template_id: Option<Uuid>,
    pub saved_by: Uuid,
    pub saved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reply_signoffs)]
pub struct SignoffRow {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub revision: i32,
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub state: SignoffState,
    pub comment: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settle_note: Option<String>,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reply_decisions)]
pub struct DecisionRow {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub stage: ReplyStage,
    pub decision: Decision,
    pub comment: Option<String>,
    pub revision: i32,
    pub class_before: Option<ReplyClass>,
    pub class_after: Option<ReplyClass>,
    pub class_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = reply_templates)]
pub struct ReplyTemplate {
    pub id: Uuid,
    /// The suggestions' category it serves; null for any.
    pub category: Option<String>,
    pub name: String,
    /// Markdown; `{{title}}`, `{{external_no}}` and `{{proposers}}` are filled in.
    pub body: String,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One saved version of a reply, whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    pub revision: i32,
    pub class: Option<ReplyClass>,
    /// The body as cleaned Markdown (no raw HTML, only http, https and mailto links).
    #[schema(example = "王某代表：\n\n您提出的《关于合理设置公交站点的建议》收悉。现答复如下：")]
    pub body: String,
    /// The body rendered to sanitized HTML.
    pub body_html: String,
    /// The document number (文号); given from the unit's series on approval when absent.
    pub doc_no: Option<String>,
    /// Who signs (the unit's head).
    pub signer: Option<String>,
    pub leader_name: Option<String>,
    pub leader_phone: Option<String>,
    pub handler_name: Option<String>,
    pub handler_phone: Option<String>,
    /// Copied to (抄送): the co-handling units, those given, and the standard offices.
    pub cc_units: Vec<String>,
    /// The suggestion's points this version answers.
    pub points: Vec<String>,
    pub template_id: Option<Uuid>,
    pub saved_by: Uuid,
    pub saved_at: DateTime<Utc>,
}

impl From<RevisionRow> for Revision {
    fn from(r: RevisionRow) -> Self {
        Revision {
            revision: r.revision,
            class: r.class,
            body_html: crate::replies::body::html(&r.body),
            body: r.body,
            doc_no: r.doc_no,
            signer: r.signer,
            leader_name: r.leader_name,
            leader_phone: r.leader_phone,
            handler_name: r.handler_name,
            handler_phone: r.handler_phone,
            cc_units: r.cc_units,
            points: r.points,
            template_id: r.template_id,
            saved_by: r.saved_by,
            saved_at: r.saved_at,
        }
    }
}

/// A co-handler's sign-off (会签) of one revision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Signoff {
    pub id: Uuid,
    pub reply_id: Uuid,
    /// The revision asked about.
    pub revision: i32,
    /// The co-handling assignment of the unit asked.
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub state: SignoffState,
    pub comment: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settle_note: Option<String>,
    /// The revision asked about, whole: what the co-handler reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Revision>,
    pub version: i32,
}

impl Signoff {
    pub fn new(r: SignoffRow, content: Option<Revision>) -> Self {
        Signoff {
            id: r.id,
            reply_id: r.reply_id,
            revision: r.revision,
            assignment_id: r.assignment_id,
            unit_id: r.unit_id,
            state: r.state,
            comment: r.comment,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            answered_by: r.answered_by,
            answered_at: r.answered_at,
            settled_by: r.settled_by,
            settled_at: r.settled_at,
            settle_note: r.settle_note,
            content,
            version: r.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignoffList {
    pub items: Vec<Signoff>,
}

/// A review decision: who, when, what, on which revision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplyDecision {
    pub id: Uuid,
    pub stage: ReplyStage,
    pub decision: Decision,
    pub comment: Option<String>,
    pub revision: i32,
    /// The office's change of class, with its reason.
    pub class_before: Option<ReplyClass>,
    pub class_after: Option<ReplyClass>,
    pub class_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

impl From<DecisionRow> for ReplyDecision {
    fn from(r: DecisionRow) -> Self {
        ReplyDecision {
            id: r.id,
            stage: r.stage,
            decision: r.decision,
            comment: r.comment,
            revision: r.revision,
            class_before: r.class_before,
            class_after: r.class_after,
            class_reason: r.class_reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        }
    }
}

/// A letter the reply makes: one per suggestion it answers (its own, and each handled
/// together with it, 并案), addressed to that suggestion's proposers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LetterTarget {
    pub suggestion_id: Uuid,
    pub external_no: String,
    pub title: String,
    #[schema(example = "王某某代表：")]
    pub addressee: String,
}

/// A reply (答复) to a lead or split assignment, in one round.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reply {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    pub round: i32,
    pub state: ReplyState,
    pub allowed_actions: Vec<ReplyAction>,
    /// The current revision, whole.
    pub current: Revision,
    /// The live sign-offs (the latest asked of each co-handler).
    pub signoffs: Vec<Signoff>,
    pub decisions: Vec<ReplyDecision>,
    /// The signed and sealed scan, once attached.
    pub final_document: Option<Document>,
    pub letters: Vec<LetterTarget>,
    pub drafted_by: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    /// When the signed scan was filed.
    pub signed_at: Option<DateTime<Utc>>,
    /// The date on the signed letter (落款日期): deadlines and publication count from it.
    #[schema(value_type = Option<String>, format = Date)]
    pub signed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The section drafts a reply on its lead or split assignment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    pub assignment_id: Uuid,
    /// A template to start from (its body, placeholders filled) when no body is given.
    pub template_id: Option<Uuid>,
    /// Markdown; raw HTML is dropped, links kept only to http, https and mailto.
    #[schema(max_length = 50000)]
    pub body: Option<String>,
    pub class: Option<ReplyClass>,
    #[schema(example = "某局函〔2023〕12号", max_length = 100)]
    pub doc_no: Option<String>,
    #[schema(max_length = 50)]
    pub signer: Option<String>,
    #[schema(max_length = 50)]
    pub leader_name: Option<String>,
    #[schema(max_length = 30)]
    pub leader_phone: Option<String>,
    #[schema(max_length = 50)]
    pub handler_name: Option<String>,
    #[schema(max_length = 30)]
    pub handler_phone: Option<String>,
    /// Units to copy to besides the co-handlers and the standard offices.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub cc_units: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub points: Vec<String>,
}

/// A change to a draft: a new revision; absent fields stay as they were.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyPatch {
    #[schema(max_length = 50000)]
    pub body: Option<String>,
    pub class: Option<ReplyClass>,
    #[schema(max_length = 100)]
    pub doc_no: Option<String>,
    #[schema(max_length = 50)]
    pub signer: Option<String>,
    #[schema(max_length = 50)]
    pub leader_name: Option<String>,
    #[schema(max_length = 30)]
    pub leader_phone: Option<String>,
    #[schema(max_length = 50)]
    pub handler_name: Option<String>,
    #[schema(max_length = 30)]
    pub handler_phone: Option<String>,
    #[schema(max_items = 20)]
    pub cc_units: Option<Vec<String>>,
    #[schema(max_items = 50)]
    pub points: Option<Vec<String>>,
}

/// Which replies to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReplyFilter {
    pub suggestion_id: Option<Uuid>,
    pub state: Option<ReplyState>,
    pub unit_id: Option<Uuid>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<Revision>,
}

/// Which two revisions to compare, and how finely.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    #[param(minimum = 1)]
    pub from: i32,
    #[param(minimum = 1)]
    pub to: i32,
    #[serde(default)]
    pub granularity: Granularity,
}

/// A field that differs between two revisions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// The changes between two revisions: the body's text, and the other fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplyDiff {
    pub from: i32,
    pub to: i32,
    pub granularity: Granularity,
    pub body: Vec<DiffOp>,
    pub fields: Vec<FieldChange>,
}

/// The co-handler's answer to a sign-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignoffDecision {
    Agree,
    /// Comments returned: the lead revises or escalates to the office.
    Disagree,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignoffAnswer {
    pub decision: SignoffDecision,
    /// Required when disagreeing.
    #[schema(example = "建议补充站点调整的时间安排", max_length = 2000)]
    pub comment: Option<String>,
}

/// The office settles an escalated disagreement: the revision goes ahead.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    #[schema(example = "经协调，按主办单位意见答复", min_length = 1, max_length = 2000)]
    pub note: String,
}

/// A review decision at the stage the reply waits for. A return needs a comment; the
/// office may change the class, with a reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReplyDecision {
    pub decision: Decision,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
    /// The office only: the class it sets.
    pub class: Option<ReplyClass>,
    /// Why the class changes (required with `class`).
    #[schema(max_length = 2000)]
    pub class_reason: Option<String>,
}

/// The office attaches the signed and sealed scan as the final version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinalVersion {
    pub document_id: Uuid,
    /// The date on the signed letter (落款日期), when it is not today; never after today.
    #[schema(value_type = Option<String>, format = Date, example = "2023-05-30")]
    pub signed_on: Option<Day>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LetterParams {
    #[serde(default)]
    pub format: LetterFormat,
    /// The suggestion whose proposers the letter addresses: the reply's own (the default)
    /// or one handled together with it (并案).
    pub suggestion_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReplyTemplate {
    #[schema(max_length = 50)]
    pub category: Option<String>,
    #[schema(example = "交通类答复", min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(example = "{{proposers}}：\n\n您提出的《{{title}}》收悉。现答复如下：", max_length = 50000)]
    pub body: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplatePatch {
    #[schema(max_length = 50)]
    pub category: Option<String>,
    #[schema(max_length = 100)]
    pub name: Option<String>,
    #[schema(max_length = 50000)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateFilter {
    /// Templates for this category (and those for any).
    #[param(inline)]
    pub category: Option<QueryText<50>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplyTemplateList {
    pub items: Vec<ReplyTemplate>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub suggestion_id: Uuid,
    pub state: SubmissionState,
    pub attempts: i32,
    pub remote_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub submitted_by: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// The submission (报送) of a signed reply to the municipal system, with what the sync job
/// sends: the suggestion's key, the reply's number and class, the signed scan and the
/// letter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Submission {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub suggestion_id: Uuid,
    pub state: SubmissionState,
    /// How many times it was sent.
    pub attempts: i32,
    /// The municipal system's reference, once acknowledged.
    pub remote_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub submitted_by: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub doc_no: Option<String>,
    pub class: Option<ReplyClass>,
    /// The signed and sealed scan (download at `/api/v1/documents/{id}/content`).
    pub final_document_id: Option<Uuid>,
    /// The letter as PDF.
    #[schema(example = "/api/v1/replies/0192f0c4-0000-7000-8000-000000000000/letter?format=pdf")]
    pub letter: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl Submission {
    pub fn new(r: SubmissionRow, facts: SubmissionFacts) -> Self {
        Submission {
            letter: format!("/api/v1/replies/{}/letter?format=pdf", r.reply_id),
            id: r.id,
            reply_id: r.reply_id,
            suggestion_id: r.suggestion_id,
            state: r.state,
            attempts: r.attempts,
            remote_ref: r.remote_ref,
            failure_reason: r.failure_reason,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            sent_at: r.sent_at,
            acknowledged_at: r.acknowledged_at,
            failed_at: r.failed_at,
            source: facts.source,
            year: facts.year,
            external_no: facts.external_no,
            doc_no: facts.doc_no,
            class: facts.class,
            final_document_id: facts.final_document_id,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

/// What a submission carries of its suggestion and reply.
#[derive(Debug, Clone, Queryable)]
pub struct SubmissionFacts {
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub doc_no: Option<String>,
    pub class: Option<ReplyClass>,
    pub final_document_id: Option<Uuid>,
}

/// Which submissions to list, oldest first (the sync job's queue).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubmissionFilter {
    pub state: Option<SubmissionState>,
    pub suggestion_id: Option<Uuid>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The municipal system confirmed the submission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    #[schema(example = "SHRD-2023-183050-01", min_length = 1, max_length = 100)]
    pub remote_ref: String,
}

/// The municipal system refused the submission or could not be reached.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionFailure {
    #[schema(example = "答复函缺少签章页", min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A reply another unit made in its own system (an external lead or split unit answers;
/// the bureau co-handled), as the municipal system reports it: the round's answer for
/// completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable, ToSchema)]
#[diesel(table_name = remote_replies)]
pub struct RemoteReply {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    #[schema(example = "市交通运输局函〔2023〕45号")]
    pub doc_no: String,
    pub class: ReplyClass,
    #[schema(value_type = String, format = Date)]
    pub replied_on: NaiveDate,
    /// The municipal system's reference.
    pub remote_ref: Option<String>,
    pub summary: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// The sync role (or the office) records another unit's reply to its lead or split
/// assignment. Recording the same reply again changes nothing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRemoteReply {
    pub assignment_id: Uuid,
    #[schema(example = "市交通运输局函〔2023〕45号", min_length = 1, max_length = 100)]
    pub doc_no: String,
    pub class: ReplyClass,
    /// The date on the unit's letter; not after today, not before the assignment.
    #[schema(value_type = String, format = Date, example = "2023-05-26")]
    pub replied_on: Day,
    #[schema(max_length = 200)]
    pub remote_ref: Option<String>,
    #[schema(max_length = 5000)]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoteReplyFilter {
    pub suggestion_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteReplyList {
    pub items: Vec<RemoteReply>,
}
