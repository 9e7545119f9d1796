//! Statistics and the annual report as answers show them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A rate with its parts, so that anyone can check it; `value` is null when nothing was
/// counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// `numerator / denominator`, from 0 to 1.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BySource {
    /// 人大建议.
    pub npc: i64,
    /// 政协提案.
    pub cppcc: i64,
}

/// By the bureau's role in each suggestion (its first round).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ByRole {
    pub lead: i64,
    pub split: i64,
    pub co: i64,
}

/// A count under a name (a status, a class, a section, a category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// The rates people report (DOMAIN.md, "Figures people report").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rates {
    /// 办结率: completed suggestions / suggestions.
    pub completion: Rate,
    /// 满意率 of the handling work: satisfied or basically satisfied / evaluations (each
    /// proposer's latest).
    pub satisfaction_work: Rate,
    /// 满意率 of the result, likewise.
    pub satisfaction_result: Rate,
    /// Answered by the due date (the bureau's signed letter, or its delivered co-handling
    /// opinion) / answered.
    pub on_time: Rate,
    /// Lead and split handlings with a pre-handling contact / lead and split handlings.
    pub contact: Rate,
    /// 面商率: lead and split handlings with a face-to-face contact / lead and split handlings.
    pub face_to_face: Rate,
}

/// A year's figures of the bureau's handling (or, for a section, of its own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// The year of the suggestions counted, when one was asked for.
    pub year: Option<i32>,
    /// The range of assignment dates counted, when one was asked for.
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<chrono::NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<chrono::NaiveDate>,
    /// The section the figures are limited to (a section's own callers).
    pub unit_id: Option<Uuid>,
    /// Suggestions the bureau handled.
    pub total: i64,
    /// Of them, answered (replied or completed).
    pub answered: i64,
    pub by_source: BySource,
    pub by_role: ByRole,
    pub by_status: Vec<Count>,
    /// The classes of the bureau's signed replies.
    pub by_class: Vec<Count>,
    /// By handling section.
    pub by_unit: Vec<Count>,
    pub by_category: Vec<Count>,
    /// Answers (signed letters and delivered co-handling opinions) by month, `YYYY-MM`,
    /// in order.
    pub by_month: Vec<Count>,
    pub rates: Rates,
    /// Open handlings past their due date today.
    pub overdue: i64,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// The year of the suggestions (1949 to 2200). A year, a range of dates, or both.
    #[param(minimum = 1949, maximum = 2200)]
    pub year: Option<i32>,
    /// Only handlings assigned on or after this date (with `to`, at most ten years).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<chrono::NaiveDate>,
    /// Only handlings assigned on or before this date.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<chrono::NaiveDate>,
}

/// The weights of the yearly score, in percent (the settings').
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoreWeights {
    pub on_time: i32,
    pub contact: i32,
    pub satisfaction: i32,
}

/// A handling unit's yearly score as handling systems compute it: its on-time, contact
/// and satisfaction rates, each with its parts, weighted by the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitScore {
    pub unit_id: Uuid,
    pub unit: String,
    /// Handlings in the period.
    pub handled: i64,
    pub on_time: Rate,
    /// Lead and split handlings contacted before answering.
    pub contact: Rate,
    /// The proposers' latest ratings of the unit's work (lead and split), basically
    /// satisfied counting.
    pub satisfaction: Rate,
    /// 0 to 100: the weighted rates, over those that counted anything (the others' weight
    /// shared among them); null when none did.
    pub score: Option<f64>,
}

/// Every handling unit's score, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitScores {
    pub year: Option<i32>,
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<chrono::NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<chrono::NaiveDate>,
    pub weights: ScoreWeights,
    pub units: Vec<UnitScore>,
}

/// The annual report's formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Md,
    Html,
    Docx,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    #[param(minimum = 1949, maximum = 2200)]
    pub year: i32,
    /// `md` (the default), `html` (with the charts) or `docx`.
    #[serde(default)]
    #[param(inline)]
    pub format: ReportFormat,
}

/// The annual report's next steps (下步打算), as the office wrote them; version 0 and no
/// text until it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NextSteps {
    pub year: i32,
    /// Markdown.
    pub text: String,
    pub version: i32,
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The next steps' new text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextStepsBody {
    /// Markdown, at most 20,000 characters.
    #[schema(max_length = 20000)]
    pub text: String,
}

/// A key suggestion of the year and what its replies say was done.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyItem {
    pub external_no: String,
    pub title: String,
    pub class: Option<String>,
    pub measures: Vec<String>,
}

/// One row of the ledger (台账): a suggestion and the bureau's handling of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LedgerRow {
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub external_no: String,
    pub title: String,
    /// The proposer's name; ＊＊＊ for a confidential deputy (but for the office and admins).
    pub proposer: Option<String>,
    pub role: crate::db::enums::HandlingRole,
    pub section: Option<String>,
    pub leader: Option<String>,
    pub liaison: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub assigned_on: chrono::NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub due_on: chrono::NaiveDate,
    /// While the handling is open.
    pub due_state: Option<crate::db::enums::DueState>,
    /// The latest step: the handling's state.
    pub state: crate::db::enums::AssignmentState,
    pub reply_class: Option<crate::db::enums::ReplyClass>,
    /// The submission to the municipal system: pending, sent, acknowledged or failed.
    pub submission: Option<crate::db::enums::SubmissionState>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The latest evaluation of the result.
    pub evaluation: Option<crate::db::enums::Rating>,
    pub open_commitments: i64,
}

/// The ledger's formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LedgerFormat {
    /// A page of JSON (keyset cursor).
    #[default]
    Json,
    /// The whole year as CSV (UTF-8 with a BOM, so that Excel reads it right).
    Csv,
    /// The whole year as an Excel workbook.
    Xlsx,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    #[param(minimum = 1949, maximum = 2200)]
    pub year: i32,
    /// Only this section's rows (a section's staff always see only their own).
    pub unit_id: Option<Uuid>,
    pub role: Option<crate::db::enums::HandlingRole>,
    pub state: Option<crate::db::enums::AssignmentState>,
    /// Open handlings in this due state today.
    pub due_state: Option<crate::db::enums::DueState>,
    pub leader_id: Option<Uuid>,
    #[serde(default)]
    #[param(inline)]
    pub format: LedgerFormat,
    /// Rows per page, 1 to 200 (default 50); JSON only.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
