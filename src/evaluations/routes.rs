//! `/api/v1/evaluations` and `/api/v1/completions`.

use actix_web::{HttpResponse, get, post, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppError;
use crate::evaluations::model::*;
use crate::evaluations::service;
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::Json;
use crate::openapi as doc;

/// A proposer rates the current round — the handling work and the result, each
/// satisfied, basically satisfied or unsatisfied — once its replies are signed (409
/// before); the sync role does so on a proposer's behalf (`deputy_id`). A change is a new
/// revision. A first unsatisfied opens a new round for the same units; when every
/// proposer is satisfied and the replies are acknowledged, the suggestion is completed.
/// Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "evaluations",
    request_body = NewEvaluation,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The evaluation", body = Evaluation, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewEvaluation>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    create_once(&mut conn, principal.user_id, &key, "POST /evaluations", &body.0, async |conn| {
        let e = service::evaluate(conn, &principal, &body, &clock).await?;
        Ok(Created::new(format!("/api/v1/evaluations?suggestion_id={}", e.suggestion_id), e.revision, &e))
    })
    .await
}

/// A suggestion's evaluations, every round and revision.
#[utoipa::path(
    tag = "evaluations",
    params(EvaluationFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The evaluations", body = EvaluationList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("")]
pub async fn list_evaluations(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<EvaluationFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = service::list(&mut conn, &principal, filter.suggestion_id).await?;
    Ok(HttpResponse::Ok().json(EvaluationList { items }))
}

/// The office completes a suggestion (办结) whose replies are acknowledged and whose
/// proposers have all evaluated — or whose evaluation receipt window has passed; the basis
/// is recorded. 409 says what is missing.
#[utoipa::path(
    tag = "evaluations",
    request_body = NewCompletion,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The completion", body = Completion, headers(("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_completion(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<NewCompletion>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let c = service::close(&mut conn, &principal, body.suggestion_id, &clock).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, format!("/api/v1/completions/{}", c.suggestion_id)))
        .json(c))
}

/// The office records a formal explanation (书面说明) to a proposer who is unsatisfied
/// again after re-handling — with a face-to-face consultation, one of the two ways such an
/// item closes; when every evaluation is then in, the suggestion is completed.
#[utoipa::path(
    tag = "evaluations",
    request_body = NewFormalExplanation,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The explanation", body = FormalExplanation),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/explanations")]
pub async fn create_explanation(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<NewFormalExplanation>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let x = service::explain(&mut conn, &principal, &body, &clock).await?;
    Ok(HttpResponse::Created().json(x))
}

/// A suggestion's completion, if it is completed.
#[utoipa::path(
    tag = "evaluations",
    params(("suggestion_id" = uuid::Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The completion", body = Completion),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{suggestion_id}")]
pub async fn get_completion(
    state: web::Data<AppState>,
    principal: Principal,
    suggestion_id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    service::list(&mut conn, &principal, *suggestion_id).await?;
    let c = crate::evaluations::queries::completion(&mut conn, *suggestion_id)
        .await?
        .ok_or_else(|| AppError::not_found("completion"))?;
    Ok(HttpResponse::Ok().json(c))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/evaluations").service(create_evaluation).service(list_evaluations)).service(
        utoipa_actix_web::scope("/completions")
            .service(create_completion)
            .service(create_explanation)
            .service(get_completion),
    );
}
