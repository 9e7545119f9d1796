//! Managing subscriptions and redelivering, each with its audit row.

use rand::RngCore;
use serde_json::Value;
use uuid::Uuid;

use diesel_async::AsyncPgConnection;

use crate::audit::{self, Actor};
use crate::db;
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::sync::webhooks::model::*;
use crate::sync::webhooks::send::Targets;
use crate::sync::webhooks::{queries, rules};
use crate::sync::{queries as feed, rules as feed_rules};

/// A subscription's fields, checked.
struct Fields {
    url: String,
    event_types: Vec<String>,
    description: Option<String>,
}

fn check(url: &str, event_types: &[String], description: Option<&str>, targets: &Targets) -> Result<Fields, AppError> {
    let mut errors = Vec::new();
    let too_long = url.chars().count() > 2000;
    let url = url.trim();
    match url.parse::<reqwest::Url>() {
        _ if too_long => errors.push(FieldError::new("url", "too_long", "at most 2000 characters")),
        Err(_) => errors.push(FieldError::new("url", "invalid", "an http or https URL")),
        Ok(parsed) => {
            if let Some(why) = targets.refusal(&parsed) {
                let code = if rules::url_fault(&parsed).is_some() { "invalid" } else { "not_allowed" };
                errors.push(FieldError::new("url", code, why));
            }
        }
    }
    if event_types.len() > feed_rules::MAX_TYPES {
        errors.push(FieldError::new("event_types", "too_many", format!("at most {} types", feed_rules::MAX_TYPES)));
    } else if let Some(i) = event_types.iter().position(|t| !feed_rules::event_type_ok(t)) {
        errors.push(FieldError::new(format!("event_types[{i}]"), "invalid", "a type such as suggestion.created"));
    } else if event_types.iter().enumerate().any(|(i, t)| event_types[..i].contains(t)) {
        errors.push(FieldError::new("event_types", "duplicate", "each type once"));
    }
    let description =
        text::optional_text("description", description, 500).map_err(|e| errors.push(e)).unwrap_or_default();
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(Fields { url: url.to_string(), event_types: event_types.to_vec(), description })
}

fn snapshot(s: &Subscription) -> Option<Value> {
    serde_json::to_value(s).ok()
}

/// Makes a subscription with a new secret; it receives the events committed from now on.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    body: &NewSubscription,
    targets: &Targets,
) -> Result<CreatedSubscription, AppError> {
    let fields = check(&body.url, &body.event_types, body.description.as_deref(), targets)?;
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let secret = rules::secret_of(&key);
    db::transaction(conn, async |conn| {
        let head = feed::head(conn).await?;
        let row = queries::insert_subscription(
            conn,
            (&fields.url, &fields.event_types, &secret, fields.description.as_deref(), head),
        )
        .await?;
        let subscription = Subscription::from(row);
        let id = subscription.id.to_string();
        audit::record(conn, actor, "webhook.create", "webhook", &id, None, snapshot(&subscription)).await?;
        Ok(CreatedSubscription { subscription, secret: secret.clone() })
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    patch: &SubscriptionPatch,
    targets: &Targets,
) -> Result<Subscription, AppError> {
    db::transaction(conn, async |conn| {
        let before = queries::subscription(conn, id, true).await?.ok_or_else(|| AppError::not_found("webhook"))?;
        if_match.check(before.version)?;
        let description = match &patch.description {
            Some(d) => d.as_deref(),
            None => before.description.as_deref(),
        };
        let fields = check(
            patch.url.as_deref().unwrap_or(&before.url),
            patch.event_types.as_deref().unwrap_or(&before.event_types),
            description,
            targets,
        )?;
        let active = patch.active.unwrap_or(before.active);
        let change = (fields.url.as_str(), fields.event_types.as_slice(), fields.description.as_deref(), active);
        let after = Subscription::from(queries::update_subscription(conn, id, change).await?);
        let before = Subscription::from(before);
        audit::record(conn, actor, "webhook.update", "webhook", &id.to_string(), snapshot(&before), snapshot(&after))
            .await?;
        Ok(after)
    })
    .await
}

/// Deletes a subscription and its deliveries.
pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid, if_match: &IfMatch) -> Result<(), AppError> {
    db::transaction(conn, async |conn| {
        let before = queries::subscription(conn, id, true).await?.ok_or_else(|| AppError::not_found("webhook"))?;
        if_match.check(before.version)?;
        queries::delete_subscription(conn, id).await?;
        let before = Subscription::from(before);
        audit::record(conn, actor, "webhook.delete", "webhook", &id.to_string(), snapshot(&before), None).await?;
        Ok(())
    })
    .await
}

/// Sends a delivered or dead delivery again; a pending one is 409 (it is on its way).
pub async fn redeliver(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid) -> Result<Delivery, AppError> {
    db::transaction(conn, async |conn| {
        let (before, kind) = queries::delivery(conn, id).await?.ok_or_else(|| AppError::not_found("delivery"))?;
        let Some(after) = queries::redeliver(conn, id).await? else {
            return Err(AppError::conflict("already_pending", "the delivery is pending: it will be sent"));
        };
        let (before, after) = (Delivery::from_row(before, kind.clone()), Delivery::from_row(after, kind));
        let id = id.to_string();
        audit::record(
            conn,
            actor,
            "webhook.redeliver",
            "webhook_delivery",
            &id,
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        Ok(after)
    })
    .await
}
