//! The feed's query, its events and its pages.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::schema::events;
use crate::http::text::QueryText;

/// `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// The `position` of the last event read; 0 (the default) reads from the beginning.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Events per answer, 1 to 1,000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Only events of these types, comma-separated (`suggestion.created,assignment.created`).
    #[param(value_type = Option<String>, max_length = 2000, pattern = r"^ *[a-z_]+(\.[a-z_]+)+ *(, *[a-z_]+(\.[a-z_]+)+ *)*$")]
    pub types: Option<QueryText<2000>>,
    /// Seconds to wait for an event when none follows `after` yet, 0 (the default) to 30:
    /// the answer comes as soon as one is committed.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<i64>,
}

/// A read of the feed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    pub after: i64,
    pub limit: i64,
    /// Empty: every type.
    pub types: Vec<String>,
    pub wait: std::time::Duration,
}

/// One change, as the outbox keeps it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = events)]
pub struct FeedEvent {
    /// Where the event stands in the feed: given as its transaction commits, so that it
    /// grows in commit order; pass the last one read as `after`.
    #[diesel(select_expression = events::position.assume_not_null())]
    #[diesel(select_expression_type = diesel::dsl::AssumeNotNull<events::position>)]
    pub position: i64,
    /// The event's own number, taken when it was written (not in commit order).
    pub seq: i64,
    /// `<entity>.<what happened>`, e.g. `suggestion.created`.
    #[diesel(column_name = type_)]
    #[serde(rename = "type")]
    #[schema(example = "suggestion.created")]
    pub kind: String,
    #[schema(example = "suggestion")]
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The entity's version after the change, where it has one.
    pub version: Option<i32>,
    /// What a reader needs of the change; never personal data.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// An answer of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedPage {
    /// In position order.
    pub events: Vec<FeedEvent>,
    /// The `after` of the next read: the last event's position, or, when the answer holds
    /// every event committed so far, the feed's head (a filtered read skips ahead).
    pub next_after: i64,
    /// Whether more events were already committed past this answer.
    pub more: bool,
}
