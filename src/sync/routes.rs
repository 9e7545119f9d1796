//! `GET /api/v1/events`.

use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::auth::policy::Operation;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::sync::model::{FeedPage, FeedParams};
use crate::sync::{rules, service};

/// The events feed: every change after `after`, in the order of their commits, never one
/// skipped (a transaction's events get their positions as it commits). With `wait`, an
/// empty answer is held until the next commit of a matching event (long-polling). The
/// sync role and admins.
#[utoipa::path(
    tag = "sync",
    params(FeedParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The events after `after`, oldest first", body = FeedPage),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/events")]
pub async fn feed(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::EventsRead)?;
    let request = rules::feed_request(&params)
        .map_err(|errors| AppError::bad_request("invalid_query", "the feed's parameters").with_errors(errors))?;
    let page = service::read(&state.pool, &state.events, &request).await?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(page))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(feed);
}
