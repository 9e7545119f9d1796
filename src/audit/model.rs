//! Audit rows and the list filter.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::dates::Moment;
use crate::http::text::QueryText;

/// Who made a change: a user, or the service itself (`id` absent).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

impl Actor {
    /// The service acting on its own (first start, background jobs).
    pub fn system(name: &str) -> Self {
        Actor { id: None, name: Some(name.to_string()) }
    }
}

/// One recorded change.
#[derive(Debug, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = crate::db::schema::audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// `<entity>.<verb>`, e.g. `user.create`, `auth.refresh_reuse`.
    #[schema(example = "unit.update")]
    pub action: String,
    #[schema(example = "unit")]
    pub entity_type: String,
    pub entity_id: String,
    /// The entity before the change (null for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity after the change (null for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

/// Filters of the audit log; all optional, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    #[param(inline)]
    pub entity_type: Option<QueryText<100>>,
    #[param(inline)]
    pub entity_id: Option<QueryText<200>>,
    pub actor_id: Option<Uuid>,
    #[param(inline)]
    pub action: Option<QueryText<100>>,
    /// Changes at or after this time (RFC 3339).
    pub since: Option<Moment>,
    /// Changes before this time (RFC 3339).
    pub until: Option<Moment>,
    #[param(inline)]
    pub request_id: Option<QueryText<64>>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}
