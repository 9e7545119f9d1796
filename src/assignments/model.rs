//! Assignments, disputes, extensions and reminders: rows, requests and answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::assignments::rules::Action;
use crate::calendar::rules::Explanation;
use crate::db::enums::{AssignmentState, DisputeStatus, DueState, ExtensionStatus, HandlingRole, ReminderKind};
use crate::db::schema::{assignments, suggestions};
use crate::db::sql::static_sql;
use crate::http::dates::{Day, Year};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub role: HandlingRole,
    pub round: i32,
    pub section_id: Option<Uuid>,
    pub leader_id: Option<Uuid>,
    pub liaison_id: Option<Uuid>,
    pub state: AssignmentState,
    pub assigned_on: NaiveDate,
    pub rule_id: Uuid,
    pub rule_due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub dispute_until: Option<NaiveDate>,
    /// The due state the due-state job last recorded (it reminds on each change).
    pub due_state: DueState,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub signed_in_by: Option<Uuid>,
    pub reassigned_to: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

static_sql!(pub UnitName: diesel::sql_types::Text = "(SELECT u.name FROM units u WHERE u.id = assignments.unit_id)");
static_sql!(
    pub SectionName: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "(SELECT u.name FROM units u WHERE u.id = assignments.section_id)"
);

static_sql!(
    pub LiaisonName: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "(SELECT u.liaison_name FROM units u WHERE u.id = coalesce(assignments.section_id, assignments.unit_id))"
);
static_sql!(
    pub LiaisonPhone: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "(SELECT u.liaison_phone FROM units u WHERE u.id = coalesce(assignments.section_id, assignments.unit_id))"
);

/// An assignment with what lists show of its suggestion and units.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct ListRow {
    #[diesel(embed)]
    pub row: AssignmentRow,
    #[diesel(select_expression = suggestions::external_no)]
    pub external_no: String,
    #[diesel(select_expression = suggestions::title)]
    pub title: String,
    #[diesel(select_expression = suggestions::is_key)]
    pub is_key: bool,
    #[diesel(select_expression = UnitName)]
    pub unit_name: String,
    #[diesel(select_expression = SectionName)]
    pub section_name: Option<String>,
    #[diesel(select_expression = LiaisonName)]
    pub liaison_name: Option<String>,
    #[diesel(select_expression = LiaisonPhone)]
    pub liaison_phone: Option<String>,
}

/// A suggestion's assignment to a unit (交办).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    /// The suggestion's number and title, for lists.
    #[schema(example = "183050")]
    pub external_no: String,
    #[schema(example = "关于合理设置公交站点的建议")]
    pub title: String,
    pub is_key: bool,
    pub unit_id: Uuid,
    #[schema(example = "市自然资源和规划局")]
    pub unit_name: String,
    pub role: HandlingRole,
    /// 1, or more for a new round after an unsatisfied evaluation.
    pub round: i32,
    /// The handling section (承办科室).
    pub section_id: Option<Uuid>,
    pub section_name: Option<String>,
    /// The responsible leader (分管领导).
    pub leader_id: Option<Uuid>,
    /// The liaison (联络员).
    pub liaison_id: Option<Uuid>,
    /// The handling unit's liaison (联络员) — the section's when the bureau handles it —
    /// and their phone.
    pub liaison_name: Option<String>,
    pub liaison_phone: Option<String>,
    pub state: AssignmentState,
    /// What may happen next.
    pub allowed_actions: Vec<Action>,
    pub assigned_on: NaiveDate,
    /// The due date (办理时限), after any approved extension.
    pub due_on: NaiveDate,
    /// The due date by the rule alone.
    pub rule_due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    /// The last day to dispute the assignment.
    pub dispute_until: Option<NaiveDate>,
    /// Today's due state (超期预警).
    pub due_state: DueState,
    pub signed_in_at: Option<DateTime<Utc>>,
    /// The assignment that replaced this one after an accepted dispute.
    pub reassigned_to: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One unit to assign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitAssignment {
    pub unit_id: Uuid,
    pub role: HandlingRole,
    /// The bureau's handling section, when `unit_id` is the bureau.
    pub section_id: Option<Uuid>,
    /// A user with the leader role.
    pub leader_id: Option<Uuid>,
    pub liaison_id: Option<Uuid>,
}

/// Assigning a suggestion to one or more units (the office).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignments {
    pub suggestion_id: Uuid,
    /// The day of the assignment (default: today).
    pub assigned_on: Option<Day>,
    /// The round (default 1; later rounds follow an unsatisfied evaluation).
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, deserialize_with = "crate::http::json::optional_whole")]
    pub round: Option<i32>,
    pub units: Vec<UnitAssignment>,
    /// The leader who supervises a key suggestion (重点建议).
    pub supervisor_id: Option<Uuid>,
}

/// The assignments made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentList {
    pub items: Vec<Assignment>,
}

/// A unit's request to be reassigned (交办异议).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDispute {
    #[schema(example = "该事项属于市交通运输局职责", min_length = 1, max_length = 2000)]
    pub reason: String,
    /// The unit that should handle it instead, if the requester knows.
    pub suggested_unit_id: Option<Uuid>,
}

/// The office's decision on a dispute.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeDecision {
    /// Accept (reassign) or refuse (the unit keeps the item).
    pub accept: bool,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The new unit, when accepting.
    pub reassign_to: Option<UnitAssignment>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = crate::db::schema::disputes)]
pub struct Dispute {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub reason: String,
    pub suggested_unit_id: Option<Uuid>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub status: DisputeStatus,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// The assignment's state when disputed (where a refusal returns it).
    pub state_before: AssignmentState,
    pub version: i32,
}

/// A unit's request for more time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExtension {
    #[schema(example = "需进行现场踏勘和专题论证", min_length = 1, max_length = 2000)]
    pub reason: String,
    pub requested_until: Day,
}

/// The office's decision on an extension. Approving needs what the deputy was told
/// (办理延期须向代表说明).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    /// The new due date (default: the requested one); at most the rule's cap.
    pub approved_until: Option<Day>,
    /// What the deputy was told about the delay.
    #[schema(max_length = 2000)]
    pub explanation: Option<String>,
    pub explained_on: Option<Day>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = crate::db::schema::extensions)]
pub struct Extension {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub reason: String,
    pub requested_until: NaiveDate,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub status: ExtensionStatus,
    pub approved_until: Option<NaiveDate>,
    pub explanation: Option<String>,
    pub explained_on: Option<NaiveDate>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub version: i32,
}

/// A reminder to send (催办).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReminder {
    #[schema(example = "请抓紧办理，按时答复代表", max_length = 500)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = crate::db::schema::reminders)]
pub struct Reminder {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub kind: ReminderKind,
    pub message: Option<String>,
    pub due_on: NaiveDate,
    /// Null for the due-state job's reminders.
    pub sent_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// How a deadline was computed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineExplanation {
    pub assignment_id: Uuid,
    pub due_state: DueState,
    #[serde(flatten)]
    pub explanation: Explanation,
}

/// Filters of the assignment list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentFilter {
    pub suggestion_id: Option<Uuid>,
    /// Assigned to this unit or handled by this section.
    pub unit_id: Option<Uuid>,
    pub role: Option<HandlingRole>,
    pub state: Option<AssignmentState>,
    /// Open assignments in this due state today.
    pub due_state: Option<DueState>,
    pub leader_id: Option<Uuid>,
    pub year: Option<Year>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A unit's open assignments by due state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueCounts {
    pub unit_id: Uuid,
    pub unit_name: String,
    pub on_track: i64,
    pub due_soon: i64,
    pub overdue: i64,
}

/// Open assignments by unit and due state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueCountList {
    pub items: Vec<DueCounts>,
}
