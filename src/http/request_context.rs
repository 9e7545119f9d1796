//! Per-request context: the request id (on every response and log line), the access log,
//! metrics, the rule that every error answer is problem+json, and the edge's rule that a
//! path or query string decodes to clean UTF-8.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use crate::error::{AppError, PROBLEM_JSON};
use crate::http::metrics::Metrics;
use crate::http::text;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What log lines and error bodies of one request share.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub id: Arc<str>,
    pub path: Arc<str>,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request being handled on this task, if any.
pub fn current() -> Option<RequestContext> {
    CONTEXT.try_with(Clone::clone).ok()
}

/// The current request id, for audit rows.
pub fn current_id() -> Option<String> {
    current().map(|c| c.id.to_string())
}

/// A client's `X-Request-Id` is kept when it is short and plain; otherwise we make one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// 400 for a path or query string that does not decode to UTF-8 or carries a control
/// character: no handler, and no query, ever sees it.
fn refused_target(req: &ServiceRequest) -> Option<AppError> {
    if let Some(fault) = text::percent_encoded_fault(req.uri().path()) {
        return Some(AppError::bad_request("invalid_path", format!("the path {fault}")));
    }
    text::percent_encoded_fault(req.query_string())
        .map(|fault| AppError::bad_request("invalid_query", format!("the query string {fault}")))
}

/// The outermost middleware (`actix_web::middleware::from_fn`).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let context = RequestContext { id: id.as_str().into(), path: req.path().into() };
    let method = req.method().as_str().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let header_value = HeaderValue::from_str(&id).ok();
    let refused = refused_target(&req);

    CONTEXT
        .scope(context.clone(), async move {
            let finish = |status: u16, route: Option<&str>| {
                let elapsed = started.elapsed();
                if let Some(metrics) = &metrics {
                    metrics.observe(&method, route.unwrap_or("unmatched"), status, elapsed);
                }
                log::info!(
                    target: "jianyi::access",
                    "{method} {} {status} {:.1}ms",
                    context.path,
                    elapsed.as_secs_f64() * 1000.0
                );
            };
            let answer = match refused {
                Some(e) => Ok(req.into_response(e.error_response())),
                None => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
            };
            match answer {
                Ok(res) => {
                    let mut res = into_problem(res);
                    if let Some(value) = header_value {
                        res.headers_mut().insert(X_REQUEST_ID, value);
                    }
                    finish(res.status().as_u16(), res.request().match_pattern().as_deref());
                    Ok(res)
                }
                // An error escaping the middleware stack: its answer is made here, inside
                // the request's context, so it carries the same body and request id.
                Err(err) => {
                    let mut answer = problem_answer(err.error_response());
                    if let Some(value) = header_value {
                        answer.headers_mut().insert(X_REQUEST_ID, value);
                    }
                    finish(answer.status().as_u16(), None);
                    Err(actix_web::error::InternalError::from_response(err, answer).into())
                }
            }
        })
        .await
}

/// Rewrites an error answer that is not yet problem+json (the framework's own 404, 405,
/// 413, ...) into one, keeping its headers (`Allow`, `Retry-After`).
fn into_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if !needs_problem_body(&res.response().head().status, res.headers()) {
        return res;
    }
    let (req, old) = res.into_parts();
    ServiceResponse::new(req, problem_answer(old))
}

fn needs_problem_body(status: &actix_web::http::StatusCode, headers: &header::HeaderMap) -> bool {
    let is_problem =
        headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    (status.is_client_error() || status.is_server_error()) && !is_problem
}

fn problem_answer(old: HttpResponse) -> HttpResponse {
    if !needs_problem_body(&old.status(), old.headers()) {
        return old;
    }
    let mut new = AppError::from_status(old.status()).error_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new
}
