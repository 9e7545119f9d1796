//! `/api/v1/opinions`, `/api/v1/opinion-waivers` and `/api/v1/contacts`.

use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::coordination::model::*;
use crate::coordination::queries;
use crate::coordination::service::{contacts, opinions};
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::Json;
use crate::letters;
use crate::openapi as doc;

async fn opinion_answer(state: &AppState, principal: &Principal, id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let o = opinions::read(&mut conn, principal, id).await?;
    Ok(tagged(&mut HttpResponse::Ok(), o.version, &o))
}

/// A co-handling unit drafts its opinion (协办意见) on its co-handling assignment (the
/// bureau's section, when the bureau co-handles): text, its own document number, and
/// documents it uploaded. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "coordination",
    request_body = NewOpinion,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = Opinion, headers(("Location" = String), ("ETag" = String))),
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
pub async fn create_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewOpinion>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    create_once(&mut conn, principal.user_id, &key, "POST /opinions", &body.0, async |conn| {
        let id = opinions::draft(conn, &principal, &body).await?;
        let o = opinions::read(conn, &principal, id).await?;
        Ok(Created::new(format!("/api/v1/opinions/{id}"), o.version, &o))
    })
    .await
}

/// A suggestion's opinions the caller may see: the office and leaders all; a co-handling
/// unit its own; the lead's unit every delivered one.
#[utoipa::path(
    tag = "coordination",
    params(OpinionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinions", body = OpinionList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_opinions(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<OpinionFilter>,
) -> Result<HttpResponse, AppError> {
    let scope = opinions::read_scope(&principal)?;
    let mut conn = state.conn().await?;
    let rows = queries::opinions_of(&mut conn, filter.suggestion_id, scope).await?;
    let items = opinions::to_opinions(&mut conn, rows).await?;
    Ok(HttpResponse::Ok().json(OpinionList { items }))
}

/// Where each co-handling unit's opinion stands — given, waived or missing, with the
/// co-opinion deadline's due state: for the office, leaders and the lead's unit (the
/// reply's office review needs every one given or waived).
#[utoipa::path(
    tag = "coordination",
    params(OpinionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The co-handling units' opinions", body = CoOpinionList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/co-handlers")]
pub async fn co_opinions(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<OpinionFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let items = opinions::co_opinions(&mut conn, &principal, filter.suggestion_id, &clock).await?;
    Ok(HttpResponse::Ok().json(CoOpinionList { items }))
}

/// An opinion, with its documents and the decisions on it.
#[utoipa::path(
    tag = "coordination",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinion", body = Opinion, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    opinion_answer(&state, &principal, *id).await
}

/// The opinion as a formal letter (协办意见函) to the lead unit, laid out after GB/T 9704
/// by the same generator as the reply letters: PDF or DOCX.
#[utoipa::path(
    tag = "coordination",
    params(("id" = Uuid, Path), OpinionLetterParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The letter", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        ), headers(("Content-Disposition" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    )
)]
#[get("/{id}/letter")]
pub async fn opinion_letter(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    params: web::Query<OpinionLetterParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let letter = opinions::letter(&mut conn, &principal, *id).await?;
    drop(conn);
    Ok(letters::response(letters::render(letter, params.format, state.config.font_dir.clone()).await?))
}

/// Changes a draft (its unit). Requires `If-Match`.
#[utoipa::path(
    tag = "coordination",
    request_body = OpinionPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The opinion's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft now", body = Opinion, headers(("ETag" = String))),
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
#[patch("/{id}")]
pub async fn update_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<OpinionPatch>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    opinions::edit(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    opinion_answer(&state, &principal, *id).await
}

/// Submits a draft to the lead: an external unit's is delivered at once (its
/// co-handling assignment becomes `opinion_given`); the bureau's goes to its section head.
/// A document number from the unit's series is given when it has none. Requires `If-Match`.
#[utoipa::path(
    tag = "coordination",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The opinion's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinion now", body = Opinion, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/submit")]
pub async fn submit_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    opinions::submit(&mut conn, &principal, *id, &if_match).await?;
    drop(conn);
    opinion_answer(&state, &principal, *id).await
}

/// The section head's (first) or the office's (then) decision on the bureau's own
/// opinion: approve, or return to draft with a comment. Nobody decides on their own
/// draft. Requires `If-Match`.
#[utoipa::path(
    tag = "coordination",
    request_body = NewDecision,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The opinion's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinion now", body = Opinion, headers(("ETag" = String))),
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
#[post("/{id}/decisions")]
pub async fn decide_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewDecision>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    opinions::decide(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    opinion_answer(&state, &principal, *id).await
}

/// The office records how the bureau's approved opinion reached the lead unit — when, how,
/// the signed and sealed scan — which completes the bureau's co-handling assignment.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "coordination",
    request_body = NewDelivery,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The opinion's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinion now", body = Opinion, headers(("ETag" = String))),
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
#[post("/{id}/delivery")]
pub async fn deliver_opinion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewDelivery>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    opinions::deliver(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    opinion_answer(&state, &principal, *id).await
}

/// The office excuses a co-handling unit's missing opinion, with a recorded reason.
#[utoipa::path(
    tag = "coordination",
    request_body = NewWaiver,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The waiver", body = CoOpinion),
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
pub async fn create_waiver(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<NewWaiver>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let w = opinions::waive(&mut conn, &principal, &body).await?;
    let clock = state.clock(&mut conn).await?;
    let item = opinions::co_opinions(&mut conn, &principal, w.suggestion_id, &clock)
        .await?
        .into_iter()
        .find(|c| c.assignment_id == w.assignment_id)
        .ok_or_else(|| AppError::internal("the waived assignment is gone"))?;
    Ok(HttpResponse::Created().json(item))
}

/// Records a contact with deputies (沟通记录) on a lead or split assignment: kind,
/// channel, day, who took part on each side, summary, face to face (面商), documents, and
/// the extension it explained. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "coordination",
    request_body = NewContact,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The contact", body = ContactRecord, headers(("Location" = String), ("ETag" = String))),
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
pub async fn create_contact(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewContact>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    create_once(&mut conn, principal.user_id, &key, "POST /contacts", &body.0, async |conn| {
        let id = contacts::record_contact(conn, &principal, &body).await?;
        let (scope, viewer) = contacts::reader(conn, &principal).await?;
        let row = queries::contact(conn, id, scope).await?.ok_or_else(|| AppError::not_found("contact"))?;
        let c = contacts::to_contacts(conn, &viewer, vec![row]).await?.remove(0);
        Ok(Created::new(format!("/api/v1/contacts/{id}"), c.version, &c))
    })
    .await
}

/// A suggestion's contacts the caller may see: the office and leaders all; the handling
/// unit its own; a deputy those they took part in (without internal notes or documents).
#[utoipa::path(
    tag = "coordination",
    params(ContactFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The contacts, oldest first", body = ContactList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<ContactFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let (scope, viewer) = contacts::reader(&mut conn, &principal).await?;
    let rows = queries::contacts_of(&mut conn, filter.suggestion_id, scope).await?;
    let items = contacts::to_contacts(&mut conn, &viewer, rows).await?;
    Ok(HttpResponse::Ok().json(ContactList { items }))
}

/// The contacts a lead or split handling owes its deputy under the settings — before
/// handling, progress feedback every N months after an approved extension, face to face
/// for key suggestions — each due until met.
#[utoipa::path(
    tag = "coordination",
    params(PlanParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What is owed", body = ContactPlan),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/plan")]
pub async fn contact_plan(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<PlanParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    Ok(HttpResponse::Ok()
        .json(contacts::plan(&mut conn, &principal, params.assignment_id, &clock, state.after_reply).await?))
}

/// A contact.
#[utoipa::path(
    tag = "coordination",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The contact", body = ContactRecord, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_contact(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let (scope, viewer) = contacts::reader(&mut conn, &principal).await?;
    let row = queries::contact(&mut conn, *id, scope).await?.ok_or_else(|| AppError::not_found("contact"))?;
    let c = contacts::to_contacts(&mut conn, &viewer, vec![row]).await?.remove(0);
    Ok(tagged(&mut HttpResponse::Ok(), c.version, &c))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use utoipa_actix_web::scope;
    cfg.service(
        scope("/opinions")
            .service(create_opinion)
            .service(list_opinions)
            .service(co_opinions)
            .service(get_opinion)
            .service(opinion_letter)
            .service(update_opinion)
            .service(submit_opinion)
            .service(decide_opinion)
            .service(deliver_opinion),
    )
    .service(scope("/opinion-waivers").service(create_waiver))
    .service(
        scope("/contacts").service(create_contact).service(list_contacts).service(contact_plan).service(get_contact),
    );
}
