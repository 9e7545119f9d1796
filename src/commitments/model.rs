//! Commitments and their progress: rows, requests and answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::enums::{CommitmentState, DueState};
use crate::db::schema::{commitment_progress, commitments};
use crate::http::dates::Day;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = commitments)]
pub struct CommitmentRow {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub suggestion_id: Uuid,
    pub text: String,
    pub due_on: NaiveDate,
    pub state: CommitmentState,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A progress update.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = commitment_progress)]
pub struct Progress {
    pub id: Uuid,
    pub commitment_id: Uuid,
    pub note: String,
    pub reported_on: NaiveDate,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// What a B-class reply promised (落实), with its due date and progress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Commitment {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub suggestion_id: Uuid,
    #[schema(example = "2024年底前完成公交站点调整")]
    pub text: String,
    pub due_on: NaiveDate,
    /// While open: on track, due soon or overdue.
    pub due_state: Option<DueState>,
    pub state: CommitmentState,
    /// How it ended: what was done, or why it could not be.
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    pub progress: Vec<Progress>,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommitmentList {
    pub items: Vec<Commitment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    pub reply_id: Uuid,
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    pub due_on: Day,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProgress {
    #[schema(example = "已完成3处站点调整", min_length = 1, max_length = 2000)]
    pub note: String,
    pub reported_on: Day,
}

/// How a commitment ends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closing {
    /// `done` or `explained`.
    pub state: CommitmentState,
    #[schema(example = "站点调整已全部完成", min_length = 1, max_length = 2000)]
    pub outcome: String,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommitmentFilter {
    pub reply_id: Option<Uuid>,
    pub suggestion_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowUpParams {
    #[serde(default)]
    pub format: crate::letters::LetterFormat,
}
