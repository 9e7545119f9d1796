//! `/api/v1/disclosures/{reply_id}` (the office), and `/public` (no sign-in): published
//! replies as JSON, an Atom feed and an HTML page — cacheable, rate-limited per client.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::disclosure::model::*;
use crate::disclosure::queries::{self, PublicQuery};
use crate::disclosure::{page, service};
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::Json;
use crate::http::pagination::{Page, PageParams};
use crate::openapi as doc;

async fn disclosure_answer(state: &AppState, principal: &Principal, reply_id: Uuid) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let d = service::read(&mut conn, principal, reply_id, &clock).await?;
    Ok(tagged(&mut HttpResponse::Ok(), d.version, &d))
}

/// How a reply is disclosed, with its publication deadline (rule `publication`) and due
/// state: for the office, leaders and the replying unit.
#[utoipa::path(
    tag = "disclosure",
    params(("reply_id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The disclosure", body = Disclosure, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{reply_id}")]
pub async fn get_disclosure(
    state: web::Data<AppState>,
    principal: Principal,
    reply_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    disclosure_answer(&state, &principal, *reply_id).await
}

/// The office decides how a reply is disclosed: `public`, `summary` (with the summary) or
/// `withheld` (with the reason). Requires `If-Match`: the disclosure's ETag, or `*` for the
/// first decision. A published reply's disclosure no longer changes (409).
#[utoipa::path(
    tag = "disclosure",
    request_body = DisclosureInput,
    params(("reply_id" = Uuid, Path), ("If-Match" = String, Header, description = "The disclosure's ETag, or *")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The disclosure now", body = Disclosure, headers(("ETag" = String))),
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
#[put("/{reply_id}")]
pub async fn put_disclosure(
    state: web::Data<AppState>,
    principal: Principal,
    reply_id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DisclosureInput>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::decide(&mut conn, &principal, *reply_id, &body, &if_match).await?;
    drop(conn);
    disclosure_answer(&state, &principal, *reply_id).await
}

/// The office records whether the deputy, asked with the draft, agreed that the reply be
/// published (`asked`, `agreed`, `refused`). Requires `If-Match`.
#[utoipa::path(
    tag = "disclosure",
    request_body = ConsentInput,
    params(("reply_id" = Uuid, Path), ("If-Match" = String, Header, description = "The disclosure's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The disclosure now", body = Disclosure, headers(("ETag" = String))),
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
#[post("/{reply_id}/consent")]
pub async fn record_consent(
    state: web::Data<AppState>,
    principal: Principal,
    reply_id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ConsentInput>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::consent(&mut conn, &principal, *reply_id, &body, &if_match).await?;
    drop(conn);
    disclosure_answer(&state, &principal, *reply_id).await
}

/// The office publishes a signed reply (政务公开): a withheld reply, or one the deputy
/// refused, is 409. Requires `If-Match`.
#[utoipa::path(
    tag = "disclosure",
    params(("reply_id" = Uuid, Path), ("If-Match" = String, Header, description = "The disclosure's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The disclosure, published", body = Disclosure, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{reply_id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    principal: Principal,
    reply_id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::publish(&mut conn, &principal, *reply_id, &if_match).await?;
    drop(conn);
    disclosure_answer(&state, &principal, *reply_id).await
}

/// The per-client rate limit of the public endpoints: 429 with `Retry-After` beyond it.
fn limited(state: &AppState, req: &HttpRequest) -> Result<(), AppError> {
    let ip = req.peer_addr().map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    state.public_limit.check(ip).map_err(AppError::rate_limited)
}

/// A public answer: a strong ETag of its bytes, `Cache-Control: public`, 304 when the
/// client has it.
fn cached(req: &HttpRequest, content_type: &str, body: Vec<u8>, extra: &[(header::HeaderName, &str)]) -> HttpResponse {
    let digest = Sha256::digest(&body);
    let tag = format!("\"{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    let hit = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut res = if hit { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, tag)).insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    for (name, value) in extra {
        res.insert_header((name.clone(), *value));
    }
    if hit { res.finish() } else { res.content_type(content_type).body(body) }
}

/// The list's page: the filter checked, the rows read, the cursor made.
async fn public_page(state: &AppState, f: &PublicFilter) -> Result<Page<PublicReply>, AppError> {
    let page =
        PageParams { limit: f.limit, cursor: f.cursor.clone() }.resolve::<(DateTime<Utc>, Uuid)>(&state.cursors)?;
    let tsquery = f.q.as_deref().and_then(crate::suggestions::search::query);
    if f.q.as_deref().is_some_and(|q| !q.trim().is_empty()) && tsquery.is_none() {
        return Ok(Page { items: Vec::new(), next_cursor: None });
    }
    let q = PublicQuery {
        year: f.year.map(|y| y.get()),
        unit_id: f.unit_id,
        tsquery,
        after: page.after,
        id: None,
        limit: page.fetch(),
    };
    let mut conn = state.conn().await?;
    let rows = service::published(&mut conn, &q).await?;
    Ok(page.page(rows, &state.cursors, |r| (r.published_at, r.id), |r| r))
}

/// Published replies, newest first: title, number, unit, class, the reply's text or its
/// summary, dates. No sign-in; cacheable; rate-limited per client (429).
#[utoipa::path(
    tag = "disclosure",
    params(PublicFilter),
    responses(
        (status = 200, description = "A page of published replies", body = Page<PublicReply>, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, response = doc::BadRequest),
        (status = 429, response = doc::TooManyRequests),
    )
)]
#[get("/replies")]
pub async fn public_replies(
    state: web::Data<AppState>,
    req: HttpRequest,
    filter: web::Query<PublicFilter>,
) -> Result<HttpResponse, AppError> {
    limited(&state, &req)?;
    let page = public_page(&state, &filter).await?;
    let body = serde_json::to_vec(&page).map_err(AppError::internal)?;
    Ok(cached(&req, "application/json", body, &[]))
}

/// The Atom feed of the latest published replies (50). No sign-in; cacheable.
#[utoipa::path(
    tag = "disclosure",
    responses(
        (status = 200, description = "An Atom feed", body = String, content_type = "application/atom+xml", headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 429, response = doc::TooManyRequests),
    )
)]
#[get("/replies.atom")]
pub async fn public_feed(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    limited(&state, &req)?;
    let page =
        public_page(&state, &PublicFilter { year: None, unit_id: None, q: None, limit: None, cursor: None }).await?;
    let base = req.connection_info().scheme().to_string() + "://" + req.connection_info().host();
    let feed = page::atom(&page.items, &base);
    Ok(cached(&req, "application/atom+xml; charset=utf-8", feed.into_bytes(), &[]))
}

/// One published reply. No sign-in; cacheable; 404 for anything not published.
#[utoipa::path(
    tag = "disclosure",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The published reply", body = PublicReply, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, response = doc::BadRequest),
        (status = 404, response = doc::NotFound),
        (status = 429, response = doc::TooManyRequests),
    )
)]
#[get("/replies/{id}")]
pub async fn public_reply(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    limited(&state, &req)?;
    let mut conn = state.conn().await?;
    let q = PublicQuery { id: Some(*id), limit: 1, ..Default::default() };
    let r = service::published(&mut conn, &q).await?.pop().ok_or_else(|| AppError::not_found("reply"))?;
    let body = serde_json::to_vec(&r).map_err(AppError::internal)?;
    Ok(cached(&req, "application/json", body, &[]))
}

/// The public page a portal links to (政务公开 column): published replies of a year with
/// the units' figures, a search box; server-rendered, no JavaScript, readable on a phone,
/// with a Content-Security-Policy.
#[utoipa::path(
    tag = "disclosure",
    params(PublicFilter),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html", headers(("Content-Security-Policy" = String))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, response = doc::BadRequest),
        (status = 429, response = doc::TooManyRequests),
    )
)]
#[get("")]
pub async fn public_html(
    state: web::Data<AppState>,
    req: HttpRequest,
    filter: web::Query<PublicFilter>,
) -> Result<HttpResponse, AppError> {
    limited(&state, &req)?;
    let year = filter.year.map_or_else(|| chrono::Datelike::year(&state.today.date()), |y| y.get());
    let mut f = filter.into_inner();
    f.year = Some(crate::http::dates::Year(year));
    let page = public_page(&state, &f).await?;
    let mut conn = state.conn().await?;
    let figures = queries::unit_figures(&mut conn, year).await?;
    let html = page::html(&page.items, &figures, year, f.q.as_deref(), page.next_cursor.as_deref());
    let extra = [(header::CONTENT_SECURITY_POLICY, page::CSP), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")];
    Ok(cached(&req, "text/html; charset=utf-8", html.into_bytes(), &extra))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/disclosures")
            .service(get_disclosure)
            .service(put_disclosure)
            .service(record_consent)
            .service(publish),
    );
}

pub fn public_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/public")
            .service(public_html)
            .service(public_feed)
            .service(public_replies)
            .service(public_reply),
    );
}
