//! Subscriptions, deliveries, and what the admin sends and reads of them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::db::enums::DeliveryState;
use crate::db::schema::{webhook_deliveries, webhook_subscriptions};

/// A subscription as kept (with its secret: never serialized).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub description: Option<String>,
    pub active: bool,
    pub from_position: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook subscription (its secret is shown once, when made).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    #[schema(example = "https://hooks.example.gov.cn/jianyi")]
    pub url: String,
    /// Empty: every type.
    #[schema(example = json!(["suggestion.created", "reply.signed"]))]
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for Subscription {
    fn from(r: SubscriptionRow) -> Self {
        Subscription {
            id: r.id,
            url: r.url,
            event_types: r.event_types,
            description: r.description,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new subscription, with the secret that signs its deliveries (shown this once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_` and the base64 of the key: the receiver checks `webhook-signature` with it
    /// (the Standard Webhooks convention).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// http or https; its host must be allowed by the configuration.
    #[schema(max_length = 2000, example = "https://hooks.example.gov.cn/jianyi")]
    pub url: String,
    /// The event types to send (the feed's `type`); absent or empty: every type.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub event_types: Vec<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/webhooks/{id}`: absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(max_length = 500, value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Paused subscriptions get no new deliveries; those already made wait.
    pub active: Option<bool>,
}

/// A delivery of one event to one subscription, with its last attempt.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_seq: i64,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery (its `id` is the `webhook-id` the receiver got).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The event's `seq` in the feed.
    pub event_seq: i64,
    #[schema(example = "suggestion.created")]
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Delivery {
    pub fn from_row(r: DeliveryRow, event_type: String) -> Self {
        let state = r.state;
        Delivery {
            id: r.id,
            subscription_id: r.subscription_id,
            event_seq: r.event_seq,
            event_type,
            state,
            attempts: r.attempts,
            next_attempt_at: (state == DeliveryState::Pending).then_some(r.next_attempt_at),
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        }
    }
}

/// Filters of the deliveries, newest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFilter {
    pub subscription_id: Option<Uuid>,
    /// `dead` lists the dead letters.
    #[param(inline)]
    pub state: Option<DeliveryState>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Filters of the subscriptions.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionFilter {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}
