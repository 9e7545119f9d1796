//! `/api/v1/documents`: upload, list, read, download, delete.

use actix_multipart::Multipart;
use actix_web::body::SizedStream;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, get, post, web};
use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::documents::model::*;
use crate::documents::rules::{self, RangeAnswer};
use crate::documents::{queries, service};
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::unsupported_media_type;
use crate::openapi as doc;

/// What a multipart body may carry beyond the file (boundaries and part headers).
const FORM_OVERHEAD: u64 = 64 * 1024;

/// Uploads a file for a suggestion (a section, the office, a co-handling unit), as
/// `multipart/form-data` with one part named `file`. The type comes from the content:
/// PDF, OFD, DOC, DOCX, XLS, XLSX, JPG or PNG (else 415, naming them); the size is at most
/// `JIANYI_UPLOAD_LIMIT` (else 413, before much more is read). The original name is kept
/// as metadata. The document belongs to the caller's unit until a step (an opinion, a
/// contact, a reply) attaches it.
#[utoipa::path(
    tag = "documents",
    params(UploadParams),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored document", body = Document, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn upload_document(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let unit_id = service::uploading_unit(&state.pool, &principal, params.suggestion_id).await?;
    let limit = state.config.upload_limit;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit + FORM_OVERHEAD) {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a document is at most {limit} bytes"),
        )
        .with_extra("limit", limit));
    }
    let multipart = req.mime_type().ok().flatten().is_some_and(|m| m.essence_str() == "multipart/form-data");
    if !multipart {
        return Err(unsupported_media_type("multipart/form-data with one part named file"));
    }
    let form = Multipart::new(req.headers(), payload);
    let upload = service::Upload { suggestion_id: params.suggestion_id, principal: &principal, unit_id, limit };
    let document = service::upload(&state.pool, &state.files, upload, form).await?;
    let location = format!("/api/v1/documents/{}", document.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, format!("\"{}\"", document.version)))
        .json(document))
}

/// A suggestion's documents the caller may see (their unit's, those granted to it; the
/// office and leaders: all).
#[utoipa::path(
    tag = "documents",
    params(DocumentFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The documents, oldest first", body = DocumentList),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_documents(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<DocumentFilter>,
) -> Result<HttpResponse, AppError> {
    let scope = service::read_scope(&principal)?;
    let mut conn = state.conn().await?;
    let rows = queries::list(&mut conn, filter.suggestion_id, filter.owner_id, scope).await?;
    Ok(HttpResponse::Ok().json(DocumentList { items: rows.into_iter().map(Document::from).collect() }))
}

/// A document's metadata.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = Document, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_document(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let row = service::read(&mut conn, &principal, *id).await?;
    let version = row.version;
    Ok(tagged(&mut HttpResponse::Ok(), version, &Document::from(row)))
}

/// The content, streamed: `Content-Disposition` with the original name (RFC 6266
/// `filename*`), `ETag` = the SHA-256, one byte `Range` (206; 416 beyond the end),
/// `If-None-Match` (304) and `If-Range`.
#[utoipa::path(
    tag = "documents",
    params(
        ("id" = Uuid, Path),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`"),
        ("If-Range" = Option<String>, Header, description = "The ETag the Range applies to"),
        ("If-None-Match" = Option<String>, Header, description = "304 when it names the ETag"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The whole file, as the media type of its kind",
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/ofd"), (Vec<u8> = "application/msword"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Vec<u8> = "application/vnd.ms-excel"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png")),
            headers(("ETag" = String), ("Content-Disposition" = String), ("Accept-Ranges" = String))),
        (status = 206, description = "The range asked for",
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/ofd"), (Vec<u8> = "application/msword"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Vec<u8> = "application/vnd.ms-excel"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png")),
            headers(("Content-Range" = String), ("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 416, response = doc::RangeNotSatisfiable),
    )
)]
#[get("/{id}/content")]
pub async fn download_document(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let row = {
        let mut conn = state.conn().await?;
        service::read(&mut conn, &principal, *id).await?
    };
    let etag = format!("\"{}\"", row.sha256);
    let h = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    if h(header::IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let len = row.size as u64;
    let range_applies = h(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let answer = if range_applies { rules::byte_range(h(header::RANGE).as_deref(), len) } else { RangeAnswer::Full };
    let (status, range) = match answer {
        RangeAnswer::Full => (StatusCode::OK, None),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        RangeAnswer::Unsatisfiable => {
            return Err(AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the file has {len} bytes"),
            )
            .with_header(header::CONTENT_RANGE, format!("bytes */{len}")));
        }
    };
    let options =
        GetOptions { range: range.map(|(start, end)| GetRange::Bounded(start..end + 1)), ..Default::default() };
    let got = match state.files.store().get_opts(&Path::from(row.storage_key.as_str()), options).await {
        Ok(got) => got,
        Err(e) => {
            log::error!("document {} ({}): {e}", row.id, row.storage_key);
            return Err(AppError::unavailable("the document store is not available"));
        }
    };
    let size = range.map_or(len, |(start, end)| end - start + 1);
    let stream =
        got.into_stream().map(|chunk| chunk.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string())));
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, row.kind.media_type()))
        .insert_header((header::CONTENT_DISPOSITION, crate::http::download::content_disposition(&row.name, false)))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if let Some((start, end)) = range {
        res.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
    }
    Ok(res.body(SizedStream::new(size, stream)))
}

/// Deletes a document no step has attached (its unit, or the office). Requires
/// `If-Match` (the document's ETag). The audit log keeps the record; the blob goes.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The document's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[delete("/{id}")]
pub async fn delete_document(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    service::delete(&state.pool, &state.files, &principal, *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/documents")
            .service(upload_document)
            .service(list_documents)
            .service(get_document)
            .service(download_document)
            .service(delete_document),
    );
}
