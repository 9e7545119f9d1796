//! Disclosures and the public's view of published replies: rows, requests and answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::enums::{Consent, DisclosureMode, DueState, ReplyClass, Source};
use crate::db::schema::disclosures;
use crate::http::dates::Year;
use crate::http::text::QueryText;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disclosures)]
pub struct DisclosureRow {
    pub reply_id: Uuid,
    pub mode: DisclosureMode,
    pub summary: Option<String>,
    pub withheld_reason: Option<String>,
    pub consent: Consent,
    pub consent_at: Option<DateTime<Utc>>,
    pub decided_by: Uuid,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// How a reply is disclosed, and when it is due to be published.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Disclosure {
    pub reply_id: Uuid,
    pub mode: DisclosureMode,
    pub summary: Option<String>,
    pub withheld_reason: Option<String>,
    /// Whether the deputy agreed that it be published.
    pub consent: Consent,
    pub consent_at: Option<DateTime<Utc>>,
    pub decided_by: Uuid,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    /// The publication deadline (rule `publication`: by default 20 working days after the
    /// reply was signed); null until it is signed, or for a withheld reply.
    pub due_on: Option<NaiveDate>,
    /// The deadline's due state while unpublished.
    pub due_state: Option<DueState>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// The office's disclosure decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    pub mode: DisclosureMode,
    /// Required for `summary`, and only then.
    #[schema(example = "我局将优化公交站点布局，2024年底前完成调整。", max_length = 5000)]
    pub summary: Option<String>,
    /// Required for `withheld`, and only then.
    #[schema(example = "涉及个人隐私", max_length = 2000)]
    pub withheld_reason: Option<String>,
}

/// The deputy's answer to whether the reply may be published.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub consent: Consent,
}

/// A published reply as the public reads it: never a deputy's contact, never a
/// confidential name, never withheld or internal text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicReply {
    pub id: Uuid,
    #[schema(example = "关于市十六届人大二次会议第183050号代表建议的答复")]
    pub title: String,
    #[schema(example = "关于合理设置公交站点的建议")]
    pub suggestion_title: String,
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    /// The replying unit.
    pub unit: String,
    pub class: Option<ReplyClass>,
    pub doc_no: Option<String>,
    /// `public`: the reply in full; `summary`: the summary.
    pub mode: DisclosureMode,
    pub text: String,
    pub replied_on: Option<NaiveDate>,
    pub published_at: DateTime<Utc>,
}

/// Which published replies to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicFilter {
    pub year: Option<Year>,
    /// The replying unit.
    pub unit_id: Option<Uuid>,
    /// Full-text search of the suggestions (Chinese works).
    #[param(inline, example = "公交站点")]
    pub q: Option<QueryText<200>>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A unit's figures for a year, on the public page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct UnitFigures {
    #[diesel(sql_type = Text)]
    pub unit: String,
    /// Suggestions it led (主办).
    #[diesel(sql_type = Int8)]
    pub lead: i64,
    /// Suggestions it handled in part (分办).
    #[diesel(sql_type = Int8)]
    pub split: i64,
    /// Suggestions it co-handled (协办).
    #[diesel(sql_type = Int8)]
    pub co: i64,
    /// Replies signed.
    #[diesel(sql_type = Int8)]
    pub replied: i64,
    /// Replies published.
    #[diesel(sql_type = Int8)]
    pub published: i64,
}

/// A published reply as read from the database, before names are covered.
#[derive(Debug, Clone, QueryableByName)]
pub struct PublishedRow {
    #[diesel(sql_type = SqlUuid)]
    pub reply_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub mode: DisclosureMode,
    #[diesel(sql_type = Nullable<Text>)]
    pub summary: Option<String>,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub external_no: String,
    #[diesel(sql_type = Int4)]
    pub year: i32,
    #[diesel(sql_type = Text)]
    pub source: Source,
    #[diesel(sql_type = Nullable<Text>)]
    pub session_label: Option<String>,
    #[diesel(sql_type = Text)]
    pub unit_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub class: Option<ReplyClass>,
    #[diesel(sql_type = Nullable<Text>)]
    pub doc_no: Option<String>,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    pub signed_on: Option<chrono::NaiveDate>,
    #[diesel(sql_type = Array<SqlUuid>)]
    pub deputy_ids: Vec<Uuid>,
}
