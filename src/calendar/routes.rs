//! `/api/v1/calendar` (the listed days: holidays and 调休 working weekends) and
//! `/api/v1/deadline-rules`. A change recomputes the open due dates that depend on it.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Operation, Principal};
use crate::calendar::model::{CalendarChange, DayChange, Holiday, HolidayParams, RuleChange, RuleFields};
use crate::calendar::rules::DeadlineRule;
use crate::calendar::{queries, service};
use crate::error::AppError;
use crate::http::dates::{Day, Year};
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::Json;
use crate::openapi as doc;

/// The calendar's listed days: public holidays and 调休 working weekends.
#[utoipa::path(
    tag = "calendar",
    params(HolidayParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The days, in order", body = Vec<Holiday>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/holidays")]
pub async fn list_holidays(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<HolidayParams>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(queries::holidays_of(&mut conn, params.year.map(Year::get)).await?))
}

/// Sets a day of the calendar (admin); the due dates of open assignments are recomputed.
/// `If-Match` is needed to change an existing day.
#[utoipa::path(
    tag = "calendar",
    request_body = DayChange,
    params(("day" = Day, Path), ("If-Match" = Option<String>, Header, description = "The day's ETag, to change it")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The day, and how many assignments got new due dates", body = CalendarChange),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[put("/holidays/{day}")]
pub async fn put_holiday(
    state: web::Data<AppState>,
    principal: Principal,
    day: web::Path<Day>,
    if_match: IfMatch,
    body: Json<DayChange>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    let mut conn = state.conn().await?;
    let change = service::set_day(&mut conn, &principal.actor(), day.get(), &if_match, &body, state.due_dates).await?;
    state.calendar.invalidate();
    Ok(HttpResponse::Ok().json(change))
}

/// Removes a day from the calendar (admin); due dates of open assignments are recomputed.
#[utoipa::path(
    tag = "calendar",
    params(("day" = Day, Path), ("If-Match" = String, Header, description = "The day's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many assignments got new due dates", body = CalendarChange),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[delete("/holidays/{day}")]
pub async fn delete_holiday(
    state: web::Data<AppState>,
    principal: Principal,
    day: web::Path<Day>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let change = service::remove_day(&mut conn, &principal.actor(), day.get(), &if_match, state.due_dates).await?;
    state.calendar.invalidate();
    Ok(HttpResponse::Ok().json(change))
}

/// The deadline rules.
#[utoipa::path(
    tag = "calendar",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules", body = Vec<DeadlineRule>),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_rules(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(queries::rules(&mut conn).await?))
}

/// Adds a deadline rule (admin), e.g. five months for CPPCC proposals. It applies to new
/// assignments.
#[utoipa::path(
    tag = "calendar",
    request_body = RuleFields,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The rule", body = DeadlineRule, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_rule(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<RuleFields>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    let mut conn = state.conn().await?;
    let rule = service::create_rule(&mut conn, &principal.actor(), &body).await?;
    let location = format!("/api/v1/deadline-rules/{}", rule.id);
    Ok(tagged(HttpResponse::Created().insert_header((header::LOCATION, location)), rule.version, &rule))
}

/// Changes a deadline rule (admin); the open assignments under it get new due dates.
#[utoipa::path(
    tag = "calendar",
    request_body = RuleFields,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The rule's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rule, and how many assignments got new due dates", body = RuleChange),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("/{id}")]
pub async fn update_rule(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RuleFields>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok()
        .json(service::update_rule(&mut conn, &principal.actor(), *id, &if_match, &body, state.due_dates).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use utoipa_actix_web::scope;
    cfg.service(scope("/calendar").service(list_holidays).service(put_holiday).service(delete_holiday))
        .service(scope("/deadline-rules").service(list_rules).service(create_rule).service(update_rule));
}
