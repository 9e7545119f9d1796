//! Suggestions: rows, request bodies, answers, filters and import reports.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::db::enums::{Source, SuggestionStatus};
use crate::directory::model::DeputyRef;
use crate::http::dates::{Day, Year};
use crate::http::text::QueryText;

/// What later steps need to know of a suggestion.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::suggestions)]
pub struct KeyFacts {
    pub id: Uuid,
    pub source: Source,
    pub year: i32,
    pub received_on: Option<NaiveDate>,
    pub status: SuggestionStatus,
    pub is_key: bool,
}

/// A suggestion or proposal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub id: Uuid,
    pub source: Source,
    #[schema(example = 2023, minimum = 1949, maximum = 2200)]
    pub year: i32,
    /// The number the municipal system gave it (建议编号).
    #[schema(example = "183050")]
    pub external_no: String,
    /// 届次/会次
    #[schema(example = "市十六届人大二次会议")]
    pub session_label: Option<String>,
    #[schema(example = "关于合理设置公交站点的建议")]
    pub title: String,
    /// The full text (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[schema(example = "城乡建设")]
    pub category: Option<String>,
    pub keywords: Vec<String>,
    /// 领衔代表
    pub proposer: Option<DeputyRef>,
    /// 附议代表
    pub co_signers: Vec<DeputyRef>,
    /// 重点建议
    pub is_key: bool,
    pub received_on: Option<NaiveDate>,
    /// 并案: handled together with this suggestion (each still gets its own reply).
    pub merged_into: Option<Uuid>,
    pub status: SuggestionStatus,
    /// The leader who supervises a key suggestion.
    pub supervisor_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Relevance to `q`, in lists searched with `q`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// A new suggestion registered by the office.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuggestion {
    pub source: Source,
    #[schema(example = 2023, minimum = 1949, maximum = 2200)]
    #[serde(deserialize_with = "crate::http::json::whole")]
    pub year: i32,
    #[schema(example = "183050", min_length = 1, max_length = 32)]
    pub external_no: String,
    #[schema(max_length = 100)]
    pub session_label: Option<String>,
    #[schema(example = "关于合理设置公交站点的建议", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub body: String,
    #[schema(max_length = 50)]
    pub category: Option<String>,
    /// At most 10, each at most 20 characters.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub keywords: Vec<String>,
    pub proposer_id: Option<Uuid>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub co_signer_ids: Vec<Uuid>,
    #[serde(default)]
    pub is_key: bool,
    pub received_on: Option<Day>,
    pub merged_into: Option<Uuid>,
}

/// Changes to a suggestion; absent fields stay, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionPatch {
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub session_label: Option<Option<String>>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 20000)]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable, max_length = 50)]
    pub category: Option<Option<String>>,
    #[schema(max_items = 10)]
    pub keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub proposer_id: Option<Option<Uuid>>,
    #[schema(max_items = 100)]
    pub co_signer_ids: Option<Vec<Uuid>>,
    pub is_key: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Day>, nullable)]
    pub received_on: Option<Option<Day>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub merged_into: Option<Option<Uuid>>,
}

/// A suggestion as the municipal system sends it (and as an import row carries it):
/// deputies by name, found or registered within the source's body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncedSuggestion {
    #[schema(max_length = 100)]
    pub session_label: Option<String>,
    #[schema(example = "关于合理设置公交站点的建议", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub body: String,
    #[schema(max_length = 50)]
    pub category: Option<String>,
    /// At most 10, each at most 20 characters.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub keywords: Vec<String>,
    /// The lead proposer's name.
    #[schema(example = "杨国哲", max_length = 50)]
    pub proposer: Option<String>,
    /// The co-signers' names.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub co_signers: Vec<String>,
    #[serde(default)]
    pub is_key: bool,
    pub received_on: Option<Day>,
}

/// One line of an NDJSON import: the key and the content, in one flat object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRow {
    pub source: Source,
    #[serde(deserialize_with = "crate::http::json::whole")]
    pub year: i32,
    pub external_no: String,
    #[serde(flatten)]
    pub content: SyncedSuggestion,
}

/// The schema of a row is one flat object (serde flattens the content into it): the
/// content's properties beside the key's, and nothing else.
impl utoipa::PartialSchema for ImportRow {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut row = match <SyncedSuggestion as utoipa::PartialSchema>::schema() {
            RefOr::T(Schema::Object(content)) => content,
            _ => Default::default(),
        };
        row.properties.insert("source".into(), RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Source")));
        row.properties.insert(
            "year".into(),
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1949)).maximum(Some(2200)).into(),
        );
        row.properties.insert(
            "external_no".into(),
            ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(32)).into(),
        );
        row.required.extend(["source", "year", "external_no"].map(String::from));
        row.description = Some("One line of an NDJSON import: the key and the content, in one flat object".into());
        Schema::Object(row).into()
    }
}

impl ToSchema for ImportRow {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Source".into(), <Source as utoipa::PartialSchema>::schema()));
        <SyncedSuggestion as ToSchema>::schemas(schemas);
    }
}

/// What became of one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Rejected,
}

/// The report on one row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowReport {
    /// The line (NDJSON) or spreadsheet row, from 1.
    pub line: usize,
    pub external_no: Option<String>,
    pub outcome: Outcome,
    pub id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::error::FieldError>,
    /// Rejected because another request registered the same key at the same moment (a
    /// retry succeeds): the upsert answers 409 for it, not 422.
    #[serde(skip)]
    pub raced: bool,
}

/// The report of an import: counts, and each row's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub rows: Vec<RowReport>,
}

/// The order of a suggestion list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Most recently registered first (the default; with `q`, most relevant first).
    #[default]
    Recent,
    /// By year (newest first), then external number.
    ExternalNo,
    /// The ledger (台账): by year (newest first), key suggestions (重点建议) first, then by
    /// source and external number.
    Ledger,
}

/// Filters of the suggestion list, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionFilter {
    pub year: Option<Year>,
    pub source: Option<Source>,
    pub status: Option<SuggestionStatus>,
    #[param(inline)]
    pub category: Option<QueryText<50>>,
    pub is_key: Option<bool>,
    /// The number in the municipal system, exactly (with `source` and `year`: one).
    #[param(inline)]
    pub external_no: Option<QueryText<50>>,
    /// Proposed or co-signed by this deputy.
    pub deputy_id: Option<Uuid>,
    /// Received on or after.
    pub received_from: Option<Day>,
    /// Received on or before.
    pub received_to: Option<Day>,
    /// Full-text search (Chinese works): every term must match; results by relevance.
    #[param(inline, example = "公交站点")]
    pub q: Option<QueryText<200>>,
    pub sort: Option<SortOrder>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A suggestion like another, with how alike their topics are (0 to 1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SimilarSuggestion {
    pub similarity: f64,
    #[serde(flatten)]
    pub suggestion: Suggestion,
}

/// Earlier suggestions on the same topic, best first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SimilarList {
    pub items: Vec<SimilarSuggestion>,
}
