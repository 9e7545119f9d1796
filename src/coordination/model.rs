//! Co-handling opinions, their decisions and waivers, and contacts with deputies: rows,
//! requests and answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::coordination::rules::{Obligation, OpinionAction, OpinionStatus};
use crate::db::enums::{
    ContactChannel, ContactKind, Decision, DeliveryChannel, DueState, HandlingRole, OpinionStage, OpinionState,
};
use crate::db::schema::{contacts, opinion_decisions, opinion_waivers, opinions};
use crate::documents::model::Document;
use crate::http::dates::{Day, Moment};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinions)]
pub struct OpinionRow {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    pub internal: bool,
    pub body: String,
    pub doc_no: Option<String>,
    pub state: OpinionState,
    pub drafted_by: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivery_channel: Option<DeliveryChannel>,
    pub delivery_note: Option<String>,
    pub delivered_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinion_decisions)]
pub struct DecisionRow {
    pub id: Uuid,
    pub opinion_id: Uuid,
    pub stage: OpinionStage,
    pub decision: Decision,
    pub comment: Option<String>,
    pub opinion_version: i32,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

/// A decision of the bureau's approval of its own opinion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpinionDecision {
    pub id: Uuid,
    pub stage: OpinionStage,
    pub decision: Decision,
    pub comment: Option<String>,
    /// The opinion's version the decision was made on.
    pub opinion_version: i32,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

impl From<DecisionRow> for OpinionDecision {
    fn from(r: DecisionRow) -> Self {
        OpinionDecision {
            id: r.id,
            stage: r.stage,
            decision: r.decision,
            comment: r.comment,
            opinion_version: r.opinion_version,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        }
    }
}

/// A co-handling opinion (协办意见): what a co-handling unit tells the lead.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Opinion {
    pub id: Uuid,
    /// The co-handling assignment it answers.
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    /// The bureau's own (approved by its section head and the office, delivery recorded).
    pub internal: bool,
    #[schema(example = "经研究，我局意见如下：……")]
    pub body: String,
    /// The unit's own document number (文号), given on submission when not before.
    pub doc_no: Option<String>,
    pub state: OpinionState,
    pub allowed_actions: Vec<OpinionAction>,
    pub drafted_by: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivery_channel: Option<DeliveryChannel>,
    pub delivery_note: Option<String>,
    pub delivered_by: Option<Uuid>,
    pub documents: Vec<Document>,
    pub decisions: Vec<OpinionDecision>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpinionList {
    pub items: Vec<Opinion>,
}

/// A co-handling unit drafts its opinion on its co-handling assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpinion {
    pub assignment_id: Uuid,
    #[schema(min_length = 1, max_length = 20000)]
    pub body: String,
    /// The unit's own document number; given from its series on submission when absent.
    #[schema(example = "市交通运输局协〔2023〕5号", max_length = 100)]
    pub doc_no: Option<String>,
    /// Documents the unit uploaded for the suggestion, to attach.
    #[serde(default)]
    pub document_ids: Vec<Uuid>,
}

/// A change to a draft.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionPatch {
    #[schema(min_length = 1, max_length = 20000)]
    pub body: Option<String>,
    #[schema(max_length = 100)]
    pub doc_no: Option<String>,
    /// More documents to attach.
    #[serde(default)]
    pub document_ids: Vec<Uuid>,
}

/// A decision on the bureau's own opinion, at the stage it waits for (the section head's,
/// then the office's). A return needs a comment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    pub decision: Decision,
    #[schema(example = "请补充站点调整的时间安排", max_length = 2000)]
    pub comment: Option<String>,
}

/// How the bureau's approved opinion reached the (external) lead unit, with the signed
/// and sealed scan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDelivery {
    pub delivered_at: Moment,
    pub channel: DeliveryChannel,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The signed scan (documents the office or the section uploaded), at least one.
    pub document_ids: Vec<Uuid>,
}

/// Which opinions to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OpinionFilter {
    pub suggestion_id: Uuid,
}

/// The format of an opinion letter.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OpinionLetterParams {
    #[serde(default)]
    pub format: crate::letters::LetterFormat,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinion_waivers)]
pub struct WaiverRow {
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub reason: String,
    pub waived_by: Uuid,
    pub waived_at: DateTime<Utc>,
}

/// The office excuses a co-handling unit's missing opinion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWaiver {
    /// The co-handling assignment.
    pub assignment_id: Uuid,
    #[schema(example = "协办单位已书面说明无补充意见", min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Where each co-handling unit's opinion stands for a suggestion's lead.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoOpinion {
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub round: i32,
    /// The co-opinion deadline (rule `co_opinion`).
    pub due_on: NaiveDate,
    pub due_state: DueState,
    pub status: OpinionStatus,
    pub opinion_id: Option<Uuid>,
    pub waiver_reason: Option<String>,
    pub waived_by: Option<Uuid>,
    pub waived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoOpinionList {
    pub items: Vec<CoOpinion>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub kind: ContactKind,
    pub channel: ContactChannel,
    pub contacted_on: NaiveDate,
    pub face_to_face: bool,
    pub staff: Vec<String>,
    pub deputy_ids: Vec<Uuid>,
    pub others: Vec<String>,
    pub summary: String,
    pub internal_note: Option<String>,
    pub extension_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A deputy who took part, as the caller may see them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Participant {
    pub id: Uuid,
    /// Null when the deputy asked for confidentiality and the caller may not see it.
    pub name: Option<String>,
}

/// A contact with deputies (沟通记录).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactRecord {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    /// The lead or split assignment whose handling it belongs to.
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub kind: ContactKind,
    pub channel: ContactChannel,
    pub contacted_on: NaiveDate,
    /// 面商: met in person.
    pub face_to_face: bool,
    /// Our side.
    pub staff: Vec<String>,
    pub deputies: Vec<Participant>,
    /// Others on the deputy's side.
    pub others: Vec<String>,
    pub summary: String,
    /// The unit's and the office's note; never shown to a deputy.
    pub internal_note: Option<String>,
    /// The extension whose delay it explained to the deputy.
    pub extension_id: Option<Uuid>,
    pub documents: Vec<Document>,
    pub recorded_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactRecord>,
}

/// A contact to record, on a lead or split assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub assignment_id: Uuid,
    pub kind: ContactKind,
    pub channel: ContactChannel,
    pub contacted_on: Day,
    #[serde(default)]
    pub face_to_face: bool,
    /// Our side (names), at least one.
    #[schema(example = json!(["张科长", "李明"]))]
    pub staff: Vec<String>,
    /// The deputies who took part (proposers or co-signers of the suggestion).
    pub deputy_ids: Vec<Uuid>,
    /// Others on their side.
    #[serde(default)]
    pub others: Vec<String>,
    #[schema(example = "电话联系杨国哲代表，了解公交站点设置的具体诉求", min_length = 1, max_length = 5000)]
    pub summary: String,
    #[schema(max_length = 5000)]
    pub internal_note: Option<String>,
    /// The extension this contact explained to the deputy.
    pub extension_id: Option<Uuid>,
    #[serde(default)]
    pub document_ids: Vec<Uuid>,
}

/// Which contacts to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactFilter {
    pub suggestion_id: Uuid,
}

/// Which handling's contact plan.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    /// A lead or split assignment.
    pub assignment_id: Uuid,
}

/// A contact the handling owes the deputy, with its due state (shown as due until met).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OwedContact {
    pub obligation: Obligation,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// Of what is still owed; met ones are on track.
    pub due_state: DueState,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactPlan {
    pub assignment_id: Uuid,
    pub role: HandlingRole,
    pub items: Vec<OwedContact>,
}
