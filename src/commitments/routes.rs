//! `/api/v1/commitments`.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::commitments::model::*;
use crate::commitments::{queries, service};
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::Json;
use crate::letters;
use crate::openapi as doc;

async fn answer(state: &AppState, id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let row = queries::one(&mut conn, id).await?.ok_or_else(|| AppError::not_found("commitment"))?;
    let c = service::to_commitments(&mut conn, vec![row], &clock).await?.remove(0);
    Ok(tagged(&mut HttpResponse::Ok(), c.version, &c))
}

/// The section lists a promise of its B-class reply (落实), with its due date. Accepts
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "commitments",
    request_body = NewCommitment,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The commitment", body = Commitment, headers(("Location" = String), ("ETag" = String))),
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
pub async fn create_commitment(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewCommitment>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    create_once(&mut conn, principal.user_id, &key, "POST /commitments", &body.0, async |conn| {
        let row = service::create(conn, &principal, &body).await?;
        let c = service::to_commitments(conn, vec![row], &clock).await?.remove(0);
        Ok(Created::new(format!("/api/v1/commitments/{}", c.id), c.version, &c))
    })
    .await
}

/// The commitments of a reply or a suggestion, with their progress and due states.
#[utoipa::path(
    tag = "commitments",
    params(CommitmentFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The commitments", body = CommitmentList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("")]
pub async fn list_commitments(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<CommitmentFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let items = service::list(&mut conn, &principal, &filter, &clock).await?;
    Ok(HttpResponse::Ok().json(CommitmentList { items }))
}

/// The section reports progress on an open commitment.
#[utoipa::path(
    tag = "commitments",
    request_body = NewProgress,
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The commitment now", body = Commitment, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/{id}/progress")]
pub async fn report_progress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: Json<NewProgress>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    service::progress(&mut conn, &principal, *id, &body).await?;
    drop(conn);
    answer(&state, *id).await
}

/// The section closes a commitment: `done`, or `explained` when it could not be
/// delivered, with the outcome. Requires `If-Match`.
#[utoipa::path(
    tag = "commitments",
    request_body = Closing,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The commitment's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The commitment now", body = Commitment, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/close")]
pub async fn close_commitment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Closing>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::close(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    answer(&state, *id).await
}

/// The follow-up letter (跟踪答复) of a done commitment, as PDF or DOCX.
#[utoipa::path(
    tag = "commitments",
    params(("id" = Uuid, Path), FollowUpParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The letter", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        ), headers(("Content-Disposition" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 503, response = doc::Unavailable),
    )
)]
#[get("/{id}/letter")]
pub async fn follow_up_letter(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    params: web::Query<FollowUpParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let letter = service::follow_up(&mut conn, &principal, *id).await?;
    drop(conn);
    Ok(letters::response(letters::render(letter, params.format, state.config.font_dir.clone()).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/commitments")
            .service(create_commitment)
            .service(list_commitments)
            .service(report_progress)
            .service(close_commitment)
            .service(follow_up_letter),
    );
}
