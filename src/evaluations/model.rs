//! Evaluations and completions: rows, requests and answers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::enums::{CompletionBasis, Rating};
use crate::db::schema::{completions, evaluations, explanations};

/// A proposer's evaluation (评价) of one round: the handling work and the result.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = evaluations)]
pub struct Evaluation {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub round: i32,
    pub deputy_id: Uuid,
    /// A change is a new revision.
    pub revision: i32,
    pub work: Rating,
    pub result: Rating,
    pub comment: Option<String>,
    /// Recorded by the sync role from the municipal system.
    pub on_behalf: bool,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvaluation {
    pub suggestion_id: Uuid,
    /// The proposer: required for the sync role (on their behalf); a deputy evaluates as
    /// themselves.
    pub deputy_id: Option<Uuid>,
    pub work: Rating,
    pub result: Rating,
    #[schema(example = "办理态度认真，答复具体", max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvaluationList {
    pub items: Vec<Evaluation>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluationFilter {
    pub suggestion_id: Uuid,
}

/// A suggestion's completion (办结): the round and why.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = completions)]
pub struct Completion {
    pub suggestion_id: Uuid,
    pub round: i32,
    pub basis: CompletionBasis,
    pub completed_by: Uuid,
    pub completed_at: DateTime<Utc>,
}

/// The office closes a suggestion whose evaluation receipt window has passed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompletion {
    pub suggestion_id: Uuid,
}

/// A formal explanation (书面说明) to a proposer unsatisfied again after re-handling.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = explanations)]
pub struct FormalExplanation {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub round: i32,
    pub text: String,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFormalExplanation {
    pub suggestion_id: Uuid,
    #[schema(
        example = "受用地条件限制，站点暂无法调整，已书面说明原因及后续安排。",
        min_length = 1,
        max_length = 5000
    )]
    pub text: String,
}
