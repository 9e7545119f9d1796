//! `/api/v1/replies`, `/api/v1/signoffs`, `/api/v1/submissions`, `/api/v1/reply-templates`
//! and `/api/v1/remote-replies`.

use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::db::enums::SignoffState;
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::Json;
use crate::http::pagination::{Page, PageParams};
use crate::openapi as doc;
use crate::replies::model::*;
use crate::replies::queries;
use crate::replies::rules::SubmissionMove;
use crate::replies::service::{self, drafting, letters, remote, review, signoff, submission, templates};

async fn reply_answer(state: &AppState, principal: &Principal, id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let r = service::read(&mut conn, principal, id).await?;
    Ok(tagged(&mut HttpResponse::Ok(), r.version, &r))
}

/// The section that holds a lead or split assignment drafts its reply (one per
/// assignment and round): the body as Markdown (raw HTML dropped; links only to http,
/// https and mailto) or from a template, class, 文号, signer, the responsible leader's
/// and handler's names and phones, cc units (the co-handlers and the standard offices are
/// added), points answered. Nobody else sees a draft. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "replies",
    request_body = NewReply,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft, revision 1", body = Reply, headers(("Location" = String), ("ETag" = String))),
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
pub async fn create_reply(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewReply>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    create_once(&mut conn, principal.user_id, &key, "POST /replies", &body.0, async |conn| {
        let id = drafting::draft(conn, &principal, &body).await?;
        let r = service::read(conn, &principal, id).await?;
        Ok(Created::new(format!("/api/v1/replies/{id}"), r.version, &r))
    })
    .await
}

/// Replies the caller may read, newest first: the drafting section its own in every
/// state; the office and leaders those sent to review; a deputy the signed replies to
/// their own suggestions. Filters: suggestion, state, unit.
#[utoipa::path(
    tag = "replies",
    params(ReplyFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of replies", body = Page<Reply>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_replies(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<ReplyFilter>,
) -> Result<HttpResponse, AppError> {
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve::<Uuid>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let scope = service::reader(&mut conn, &principal).await?;
    let f = (filter.suggestion_id, filter.state, filter.unit_id);
    let rows = queries::page(&mut conn, scope, f, page.after, page.fetch()).await?;
    let p = page.page(rows, &state.cursors, |r| r.id, |r| r);
    let full = scope.deputy.is_none() || scope.submitted || scope.unit.is_some();
    let items = service::to_replies(&mut conn, p.items, full).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: p.next_cursor }))
}

/// A reply: its current revision whole, the live sign-offs, the review decisions, the
/// final scan, and the letters it makes.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply", body = Reply, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_reply(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    reply_answer(&state, &principal, *id).await
}

/// Saves a new revision of a draft (the section); absent fields stay. Sign-offs given on
/// the previous revision are superseded and the same co-handlers asked again. Requires
/// `If-Match`.
#[utoipa::path(
    tag = "replies",
    request_body = ReplyPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The reply's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply, with its new revision", body = Reply, headers(("ETag" = String))),
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
pub async fn update_reply(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReplyPatch>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    drafting::edit(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    reply_answer(&state, &principal, *id).await
}

/// Every revision of a reply, oldest first (not for a deputy).
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The revisions", body = RevisionList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = drafting::revisions(&mut conn, &principal, *id).await?;
    Ok(HttpResponse::Ok().json(RevisionList { items }))
}

/// What changed between two revisions: the body's text by line or by character (the
/// right grain for Chinese), and every other field that differs.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), DiffParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changes", body = ReplyDiff),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("/{id}/diff")]
pub async fn diff_versions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    params: web::Query<DiffParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let d = drafting::diff(&mut conn, &principal, *id, &params).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The lead asks every co-handling unit of the round not yet asked to sign off (会签)
/// the current revision. Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The reply's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply, with its sign-offs", body = Reply, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/signoffs")]
pub async fn request_signoffs(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    signoff::request(&mut conn, &principal, *id, &if_match).await?;
    drop(conn);
    reply_answer(&state, &principal, *id).await
}

/// The section sends its draft to review: the class is set and, for a lead, every
/// co-handling unit signed off the current revision (agreed, or the office settled the
/// disagreement). Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The reply's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply, with the section head", body = Reply, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/submit")]
pub async fn submit_reply(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    review::submit(&mut conn, &principal, *id, &if_match).await?;
    drop(conn);
    reply_answer(&state, &principal, *id).await
}

/// A review decision at the stage the reply waits for: the section head (substance),
/// the office (format; may change the class with a reason; needs every co-handling
/// opinion given or waived and, by the settings, a pre-handling contact), the
/// responsible leader (direction; signs; the head for key suggestions when the settings
/// say so). A return goes back to the draft with a comment. Nobody approves their own
/// draft. Concurrent decisions: one wins, the others get 412 or 409. Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    request_body = NewReplyDecision,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The reply's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply now", body = Reply, headers(("ETag" = String))),
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
pub async fn decide_reply(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewReplyDecision>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    review::decide(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    reply_answer(&state, &principal, *id).await
}

/// The office attaches the signed and sealed scan (a document it uploaded for the
/// suggestion) to the approved reply as its final version; the assignment is answered.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    request_body = FinalVersion,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The reply's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed reply", body = Reply, headers(("ETag" = String))),
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
#[post("/{id}/final")]
pub async fn attach_final(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<FinalVersion>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    review::attach_final(&mut conn, &principal, *id, &body, &if_match, state.today.date()).await?;
    drop(conn);
    reply_answer(&state, &principal, *id).await
}

/// The formal letter (答复函) of the reply's current revision, laid out after GB/T 9704:
/// PDF (CJK fonts embedded and subset; text extractable) or DOCX (for Word and WPS).
/// `suggestion_id` picks the suggestion whose proposers it addresses, for replies to
/// suggestions handled together (并案): each proposer gets their own letter.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), LetterParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The letter", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        ), headers(("Content-Disposition" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
        (status = 503, response = doc::Unavailable),
    )
)]
#[get("/{id}/letter")]
pub async fn reply_letter(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    params: web::Query<LetterParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let letter = letters::of_reply(&mut conn, &principal, *id, params.suggestion_id).await?;
    drop(conn);
    Ok(crate::letters::response(crate::letters::render(letter, params.format, state.config.font_dir.clone()).await?))
}

/// Which of the caller's sign-offs to list.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignoffFilter {
    pub state: Option<SignoffState>,
}

/// The co-handling unit's sign-off requests, newest first, each with the revision it
/// was asked to sign — the only part of the lead's work it sees.
#[utoipa::path(
    tag = "replies",
    params(SignoffFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sign-offs", body = SignoffList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_signoffs(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<SignoffFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = signoff::mine(&mut conn, &principal, filter.state).await?;
    Ok(HttpResponse::Ok().json(SignoffList { items }))
}

async fn signoff_answer(state: &AppState, principal: &Principal, id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let s = signoff::read(&mut conn, principal, id).await?;
    Ok(tagged(&mut HttpResponse::Ok(), s.version, &s))
}

/// A sign-off with the revision asked: for its co-handling unit, the lead and the office.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sign-off", body = Signoff, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_signoff(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    signoff_answer(&state, &principal, *id).await
}

/// The co-handling unit agrees, or disagrees with comments, on the revision it was
/// asked. Requires `If-Match` (the sign-off's).
#[utoipa::path(
    tag = "replies",
    request_body = SignoffAnswer,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The sign-off's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sign-off now", body = Signoff, headers(("ETag" = String))),
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
#[post("/{id}/answer")]
pub async fn answer_signoff(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SignoffAnswer>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    signoff::answer(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    signoff_answer(&state, &principal, *id).await
}

/// The lead asks the office to settle a disagreement. Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The sign-off's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sign-off, escalated", body = Signoff, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/escalate")]
pub async fn escalate_signoff(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    signoff::escalate(&mut conn, &principal, *id, &if_match).await?;
    drop(conn);
    signoff_answer(&state, &principal, *id).await
}

/// The office settles an escalated disagreement, with a note: the revision goes ahead.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    request_body = Settlement,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The sign-off's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sign-off, settled", body = Signoff, headers(("ETag" = String))),
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
#[post("/{id}/settle")]
pub async fn settle_signoff(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Settlement>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    signoff::settle(&mut conn, &principal, *id, &body, &if_match).await?;
    drop(conn);
    signoff_answer(&state, &principal, *id).await
}

/// The office adds a reply template (per category; `{{title}}`, `{{external_no}}` and
/// `{{proposers}}` are filled in when a draft starts from it). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "replies",
    request_body = NewReplyTemplate,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The template", body = ReplyTemplate, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_template(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewReplyTemplate>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    create_once(&mut conn, principal.user_id, &key, "POST /reply-templates", &body.0, async |conn| {
        let t = templates::create(conn, &principal, &body).await?;
        Ok(Created::new(format!("/api/v1/reply-templates/{}", t.id), t.version, &t))
    })
    .await
}

/// The templates, for a category (and those for any).
#[utoipa::path(
    tag = "replies",
    params(TemplateFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The templates", body = ReplyTemplateList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_templates(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<TemplateFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = templates::list(&mut conn, &principal, filter.category.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ReplyTemplateList { items }))
}

/// A template.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", body = ReplyTemplate, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_template(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let t = templates::read(&mut conn, &principal, *id).await?;
    Ok(tagged(&mut HttpResponse::Ok(), t.version, &t))
}

/// Changes a template (the office). Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    request_body = ReplyTemplatePatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The template's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template now", body = ReplyTemplate, headers(("ETag" = String))),
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
pub async fn update_template(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReplyTemplatePatch>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    let t = templates::edit(&mut conn, &principal, *id, &body, &if_match).await?;
    Ok(tagged(&mut HttpResponse::Ok(), t.version, &t))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/replies")
            .service(create_reply)
            .service(list_replies)
            .service(get_reply)
            .service(update_reply)
            .service(list_versions)
            .service(diff_versions)
            .service(request_signoffs)
            .service(submit_reply)
            .service(decide_reply)
            .service(attach_final)
            .service(reply_letter)
            .service(submit_to_municipal),
    )
    .service(
        utoipa_actix_web::scope("/signoffs")
            .service(list_signoffs)
            .service(get_signoff)
            .service(answer_signoff)
            .service(escalate_signoff)
            .service(settle_signoff),
    )
    .service(
        utoipa_actix_web::scope("/submissions")
            .service(list_submissions)
            .service(get_submission)
            .service(mark_sent)
            .service(mark_acknowledged)
            .service(mark_failed)
            .service(retry_submission),
    )
    .service(utoipa_actix_web::scope("/remote-replies").service(record_remote_reply).service(list_remote_replies))
    .service(
        utoipa_actix_web::scope("/reply-templates")
            .service(create_template)
            .service(list_templates)
            .service(get_template)
            .service(update_template),
    );
}

async fn submission_answer(state: &AppState, principal: &Principal, id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let s = submission::read(&mut conn, principal, id).await?;
    Ok(tagged(&mut HttpResponse::Ok(), s.version, &s))
}

/// The office submits a signed reply to the municipal system (报送): a `pending`
/// submission the sync job picks up. Once per reply. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The submission", body = Submission, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/{id}/submission")]
pub async fn submit_to_municipal(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let reply = *id;
    let path = format!("POST /replies/{reply}/submission");
    create_once(&mut conn, principal.user_id, &key, &path, &serde_json::json!({}), async |conn| {
        let id = submission::submit(conn, &principal, reply).await?;
        let s = submission::read(conn, &principal, id).await?;
        Ok(Created::new(format!("/api/v1/submissions/{id}"), s.version, &s))
    })
    .await
}

/// Submissions, oldest first: the sync job's queue (`state=pending`) and the office's view.
#[utoipa::path(
    tag = "replies",
    params(SubmissionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of submissions", body = Page<Submission>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_submissions(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    submission::may_read(&principal)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve::<Uuid>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows =
        queries::submissions_page(&mut conn, filter.state, filter.suggestion_id, page.after, page.fetch()).await?;
    let p = page.page(rows, &state.cursors, |r| r.id, |r| r);
    let items = submission::to_submissions(&mut conn, p.items).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: p.next_cursor }))
}

/// A submission.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = Submission, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_submission(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    submission_answer(&state, &principal, *id).await
}

/// The sync job sent it (pending → sent; counts an attempt). Repeating a mark already made
/// changes nothing and answers 200. Requires `If-Match` (`*` will do).
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The submission's ETag, or *")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission now", body = Submission, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/sent")]
pub async fn mark_sent(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    submission::mark(&mut conn, &principal, *id, SubmissionMove::Sent, None, &if_match).await?;
    drop(conn);
    submission_answer(&state, &principal, *id).await
}

/// The municipal system confirmed it, with its reference (→ acknowledged). The same
/// reference again changes nothing; another is 409. Requires `If-Match` (`*` will do).
#[utoipa::path(
    tag = "replies",
    request_body = Acknowledgement,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The submission's ETag, or *")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission now", body = Submission, headers(("ETag" = String))),
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
#[post("/{id}/acknowledged")]
pub async fn mark_acknowledged(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Acknowledgement>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    let mv = SubmissionMove::Acknowledged(body.remote_ref.trim());
    submission::mark(&mut conn, &principal, *id, mv, None, &if_match).await?;
    drop(conn);
    submission_answer(&state, &principal, *id).await
}

/// The municipal system refused it or could not be reached, with the reason (→ failed).
/// Requires `If-Match` (`*` will do).
#[utoipa::path(
    tag = "replies",
    request_body = SubmissionFailure,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The submission's ETag, or *")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission now", body = Submission, headers(("ETag" = String))),
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
#[post("/{id}/failed")]
pub async fn mark_failed(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SubmissionFailure>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    submission::mark(&mut conn, &principal, *id, SubmissionMove::Failed, Some(&body.reason), &if_match).await?;
    drop(conn);
    submission_answer(&state, &principal, *id).await
}

/// The office sends a failed submission again (→ pending). Requires `If-Match`.
#[utoipa::path(
    tag = "replies",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The submission's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission now", body = Submission, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/retry")]
pub async fn retry_submission(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    submission::mark(&mut conn, &principal, *id, SubmissionMove::Retry, None, &if_match).await?;
    drop(conn);
    submission_answer(&state, &principal, *id).await
}

/// Another unit's reply, made in its own system, as the municipal system reports it: the
/// sync role (or the office) records it on that unit's lead or split assignment, which is
/// then replied — so that a suggestion the bureau co-handled can be evaluated and completed.
/// The same reply recorded again changes nothing (200); a different one is 409.
#[utoipa::path(
    tag = "replies",
    request_body = NewRemoteReply,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The recorded reply", body = RemoteReply),
        (status = 200, description = "The same reply, recorded before", body = RemoteReply),
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
pub async fn record_remote_reply(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<NewRemoteReply>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let (r, created) = remote::record(&mut conn, &principal, &body, state.today.date()).await?;
    Ok(if created { HttpResponse::Created().json(r) } else { HttpResponse::Ok().json(r) })
}

/// A suggestion's remote replies (the lead unit's answer when the bureau co-handled).
#[utoipa::path(
    tag = "replies",
    params(RemoteReplyFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The remote replies", body = RemoteReplyList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("")]
pub async fn list_remote_replies(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<RemoteReplyFilter>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = remote::list(&mut conn, &principal, filter.suggestion_id).await?;
    Ok(HttpResponse::Ok().json(RemoteReplyList { items }))
}
