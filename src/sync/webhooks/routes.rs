//! `/api/v1/webhooks`: subscriptions, their deliveries, redelivery (admins).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::policy::Operation;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::Json;
use crate::http::pagination::{Page, PageParams};
use crate::openapi as doc;
use crate::sync::webhooks::model::*;
use crate::sync::webhooks::send::Targets;
use crate::sync::webhooks::{queries, service};

/// Webhook subscriptions, newest first.
#[utoipa::path(
    tag = "sync",
    params(SubscriptionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of subscriptions", body = Page<Subscription>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<SubscriptionFilter>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }
        .resolve::<(DateTime<Utc>, Uuid)>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows = queries::subscriptions(&mut conn, page.after, page.fetch()).await?;
    Ok(HttpResponse::Ok().json(page.page(rows, &state.cursors, |r| (r.created_at, r.id), Subscription::from)))
}

/// Subscribes a URL to event types (admin): it receives, signed, every matching event
/// committed from now on. The answer holds the signing secret, shown this once.
#[utoipa::path(
    tag = "sync",
    request_body = NewSubscription,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Subscribed", body = CreatedSubscription,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<NewSubscription>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    let mut conn = state.conn().await?;
    let created = service::create(&mut conn, &principal.actor(), &body, &Targets::of(&state.config.webhooks)).await?;
    let location = format!("/api/v1/webhooks/{}", created.subscription.id);
    let version = created.subscription.version;
    Ok(tagged(HttpResponse::Created().insert_header(("location", location)), version, &created))
}

/// The deliveries, newest first; `state=dead` lists the dead letters.
#[utoipa::path(
    tag = "sync",
    params(DeliveryFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<DeliveryFilter>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }
        .resolve::<(DateTime<Utc>, Uuid)>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows = queries::deliveries(&mut conn, &filter, page.after, page.fetch()).await?;
    let body = page.page(rows, &state.cursors, |(r, _)| (r.created_at, r.id), |(r, kind)| Delivery::from_row(r, kind));
    Ok(HttpResponse::Ok().json(body))
}

/// Sends a delivered or dead delivery again, now, its attempts counted afresh (admin).
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Pending again", body = Delivery),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "The delivery is pending already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/deliveries/{id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    let mut conn = state.conn().await?;
    let delivery = service::redeliver(&mut conn, &principal.actor(), *id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

/// One subscription.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription", body = Subscription, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    let mut conn = state.conn().await?;
    let row = queries::subscription(&mut conn, *id, false).await?.ok_or_else(|| AppError::not_found("webhook"))?;
    let subscription = Subscription::from(row);
    Ok(tagged(&mut HttpResponse::Ok(), subscription.version, &subscription))
}

/// Changes a subscription's URL, types or description, pauses or resumes it (admin).
/// Requires `If-Match`.
#[utoipa::path(
    tag = "sync",
    request_body = SubscriptionPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed subscription", body = Subscription, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SubscriptionPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let targets = &Targets::of(&state.config.webhooks);
    let subscription = service::update(&mut conn, &principal.actor(), *id, &if_match, &body, targets).await?;
    Ok(tagged(&mut HttpResponse::Ok(), subscription.version, &subscription))
}

/// Deletes a subscription with its deliveries (admin). Requires `If-Match`.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[delete("/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::WebhooksManage)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::delete(&mut conn, &principal.actor(), *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/webhooks")
            .service(list_webhooks)
            .service(create_webhook)
            .service(list_deliveries)
            .service(redeliver)
            .service(get_webhook)
            .service(update_webhook)
            .service(delete_webhook),
    );
}
