//! `/api/v1/suggestions`: list and search, register, read, change, similar, the municipal
//! system's upsert, and imports.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Operation, Principal};
use crate::error::AppError;
use crate::http::dates::Year;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::{Json, unsupported_media_type};
use crate::http::pagination::{Page, PageParams};
use crate::http::xlsx;
use crate::openapi as doc;
use crate::suggestions::import::{self, Defaults};
use crate::suggestions::model::*;
use crate::suggestions::queries::{self, After};
use crate::suggestions::{search, service};

fn with_etag(s: &Suggestion) -> HttpResponse {
    tagged(&mut HttpResponse::Ok(), s.version, s)
}

/// Suggestions the caller may see: filtered, in a stable order, or searched with `q`
/// (Chinese works: `q=公交站点`, `q=黄河 生态`), most relevant first.
#[utoipa::path(
    tag = "suggestions",
    params(SuggestionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of suggestions (without their bodies)", body = Page<Suggestion>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_suggestions(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<SuggestionFilter>,
) -> Result<HttpResponse, AppError> {
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() };
    let mut conn = state.conn().await?;
    let (scope, viewer) = service::reader(&mut conn, &principal).await?;
    let wrong_cursor = || AppError::bad_request("invalid_cursor", "the cursor belongs to another order or search");
    let text = filter.q.as_deref().filter(|q| !q.trim().is_empty());
    let body: Page<Suggestion> = match text {
        Some(q) => {
            let tsquery = search::query(q)
                .ok_or_else(|| AppError::bad_request("invalid_query", "q has no letters or digits to search for"))?;
            let page = page.resolve::<After>(&state.cursors)?;
            let after = match page.after {
                None => None,
                Some(After::Relevance(score, id)) => Some((score, id)),
                Some(_) => return Err(wrong_cursor()),
            };
            let rows = queries::search(&mut conn, &filter, &scope, &tsquery, after, page.fetch()).await?;
            page.page(
                rows,
                &state.cursors,
                |(r, score)| After::Relevance(*score, r.id),
                |(r, score)| service::to_suggestion(&viewer, r, Some(score)),
            )
        }
        None => {
            let page = page.resolve::<After>(&state.cursors)?;
            let sort = filter.sort.unwrap_or_default();
            match (&page.after, sort) {
                (None, _) | (Some(After::Recent(_)), SortOrder::Recent) => {}
                (Some(After::ExternalNo(..)), SortOrder::ExternalNo) => {}
                (Some(After::Ledger(..)), SortOrder::Ledger) => {}
                _ => return Err(wrong_cursor()),
            }
            let rows = queries::list(&mut conn, &filter, &scope, page.after.clone(), page.fetch()).await?;
            page.page(
                rows,
                &state.cursors,
                |r| match sort {
                    SortOrder::Recent => After::Recent(r.id),
                    SortOrder::ExternalNo => After::ExternalNo(r.year, r.source, r.external_no.clone(), r.id),
                    SortOrder::Ledger => After::Ledger(r.year, r.is_key, r.source, r.external_no.clone(), r.id),
                },
                |r| service::to_suggestion(&viewer, r, None),
            )
        }
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Registers a suggestion (the office). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "suggestions",
    request_body = NewSuggestion,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Suggestion, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, description = "`duplicate_external_no`: registered already (`existing_id` names it)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewSuggestion>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::SuggestionWrite)?;
    let mut conn = state.conn().await?;
    let actor = principal.actor();
    create_once(&mut conn, principal.user_id, &key, "POST /suggestions", &body.0, async |conn| {
        let id = service::create(conn, &actor, &body).await?;
        let created = service::read(conn, &principal, id).await?;
        Ok(Created::new(format!("/api/v1/suggestions/{id}"), created.version, &created))
    })
    .await
}

/// One suggestion with its full text, if the caller may see it (else 404).
#[utoipa::path(
    tag = "suggestions",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The suggestion", body = Suggestion, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    Ok(with_etag(&service::read(&mut conn, &principal, *id).await?))
}

/// Changes a suggestion (the office). Requires `If-Match`. A change that changes nothing
/// keeps the version.
#[utoipa::path(
    tag = "suggestions",
    request_body = SuggestionPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The suggestion", body = Suggestion, headers(("ETag" = String))),
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
pub async fn update_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SuggestionPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::SuggestionWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::update(&mut conn, &principal.actor(), *id, &if_match, &body).await?;
    Ok(with_etag(&service::read(&mut conn, &principal, *id).await?))
}

/// Earlier suggestions on the same topic, most alike first — to spot a suggestion made
/// again (重复建议).
#[utoipa::path(
    tag = "suggestions",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Similar earlier suggestions", body = SimilarList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}/similar")]
pub async fn similar_suggestions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let items = service::similar(&mut conn, &principal, *id, 10).await?;
    Ok(HttpResponse::Ok().json(SimilarList { items }))
}

/// The municipal system's idempotent upsert by external number (role `sync`): the same
/// payload again changes nothing (no new version, event or audit row); a changed payload
/// makes one new version and one event. Deputies are named and registered when new.
#[utoipa::path(
    tag = "suggestions",
    request_body = SyncedSuggestion,
    params(
        ("source" = Source, Path),
        ("year" = Year, Path),
        ("external_no" = String, Path, example = "183050", min_length = 1, max_length = 32, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated, or unchanged (same version)", body = Suggestion, headers(("ETag" = String))),
        (status = 201, description = "Created", body = Suggestion, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[put("/by-external/{source}/{year}/{external_no}")]
pub async fn upsert_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Source, Year, String)>,
    body: Json<SyncedSuggestion>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::SuggestionUpsert)?;
    let (source, year, external_no) = path.into_inner();
    let row = ImportRow { source, year: year.get(), external_no, content: body.0 };
    let mut conn = state.conn().await?;
    let report =
        service::apply(&mut conn, &principal.actor(), vec![service::Incoming { line: 1, row: Ok(row) }]).await?;
    let report = report.into_iter().next().ok_or_else(|| AppError::internal("an upsert without a report"))?;
    let id = match (report.outcome, report.id) {
        (Outcome::Rejected, _) | (_, None) => {
            return Err(if report.raced {
                AppError::conflict("concurrent_update", "registered at the same moment by another request; retry")
            } else {
                AppError::validation(report.errors)
            });
        }
        (_, Some(id)) => id,
    };
    let suggestion = service::read(&mut conn, &principal, id).await?;
    if report.outcome == Outcome::Created {
        let location = format!("/api/v1/suggestions/{id}");
        return Ok(tagged(
            HttpResponse::Created().insert_header((header::LOCATION, location)),
            suggestion.version,
            &suggestion,
        ));
    }
    Ok(with_etag(&suggestion))
}

/// Defaults for spreadsheet rows without 来源 or 年度 columns.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    pub source: Option<Source>,
    pub year: Option<Year>,
}

pub const NDJSON: &str = "application/x-ndjson";

/// Imports many suggestions: NDJSON, one `ImportRow` per line (the municipal system, the
/// office), or the bureau's xlsx ledger by its column headings (the office: 建议编号, 标题,
/// 领衔代表, 附议代表, 届次, 类别, 关键词, 重点建议, 收到日期, 内容, 来源, 年度). Rows are
/// checked one by one and written in batches; the answer reports each row. A bad row never
/// blocks the good ones, and importing the same file again changes nothing.
#[utoipa::path(
    tag = "suggestions",
    params(ImportParams),
    request_body(
        content(
            (Vec<ImportRow> = "application/x-ndjson"),
            (xlsx::Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        description = "NDJSON: one `ImportRow` per line; or the xlsx ledger",
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each row", body = ImportReport),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/import")]
pub async fn import_suggestions(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let office = principal.scope(Operation::SuggestionWrite).all;
    if !office {
        principal.require(Operation::SuggestionUpsert)?;
    }
    let mime = req.mime_type().ok().flatten().map(|m| m.essence_str().to_string()).unwrap_or_default();
    let limit = state.config.import_limit;
    let body = payload.to_bytes_limited(limit).await.map_err(|_| {
        AppError::new(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("an import is at most {limit} bytes"),
        )
    })?;
    let body = body.map_err(|_| AppError::bad_request("unreadable_body", "the request body could not be read"))?;
    let rows = match mime.as_str() {
        NDJSON | "application/jsonl" | "application/x-jsonlines" => import::ndjson(&body),
        xlsx::XLSX if office => {
            import::xlsx(&body, Defaults { source: params.source, year: params.year.map(Year::get) })?
        }
        xlsx::XLSX => return Err(AppError::forbidden("spreadsheet imports are for the office")),
        _ => return Err(unsupported_media_type("application/x-ndjson or an xlsx workbook")),
    };
    let report = service::import(&state.pool, &principal.actor(), rows).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Under a scope of their own: actix matches a static prefix without trying each route.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/suggestions")
            .service(list_suggestions)
            .service(create_suggestion)
            .service(import_suggestions)
            .service(get_suggestion)
            .service(update_suggestion)
            .service(similar_suggestions)
            .service(upsert_suggestion),
    );
}
