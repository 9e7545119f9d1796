//! One error type for the whole service, answered as RFC 9457 `application/problem+json`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::http::request_context;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path into the request body or a parameter name.
    #[schema(example = "title")]
    pub field: String,
    /// A stable machine code: `required`, `too_long`, `invalid`, `taken`, ...
    #[schema(example = "too_long")]
    pub code: String,
    #[schema(example = "at most 200 characters")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// The body of every error answer (RFC 9457), with a stable `code` and field errors.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation_failed")]
    pub type_: String,
    #[schema(example = "Invalid request")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// A stable machine-readable code.
    #[schema(example = "validation_failed")]
    pub code: String,
    #[schema(example = "1 field is invalid")]
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/api/v1/units")]
    pub instance: Option<String>,
    /// The request id, as in the `X-Request-Id` header and the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Further members some problems carry (`existing_id`, `allowed`, `current_version`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

type Source = Box<dyn std::error::Error + Send + Sync>;

/// An error answer: status, stable code, human detail, and what a client needs to act.
/// Boxed, so that `Result<T, AppError>` stays one word wide.
pub struct AppError(Box<Inner>);

struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: String,
    errors: Vec<FieldError>,
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, String)>,
    /// Logged, never shown: what went wrong inside.
    source: Option<Source>,
}

impl AppError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            extra: Map::new(),
            headers: Vec::new(),
            source: None,
        }))
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with `WWW-Authenticate: Bearer` (RFC 6750).
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let challenge = format!(
            "Bearer realm=\"jianyi\", error=\"invalid_token\", error_description=\"{}\"",
            detail.replace(['"', '\\'], "'")
        );
        Self::new(StatusCode::UNAUTHORIZED, code, detail).with_header(header::WWW_AUTHENTICATE, challenge)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404 for an absent object, or one outside the caller's scope.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422: the request is well-formed but breaks a rule.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is invalid".to_string(),
            n => format!("{n} fields are invalid"),
        };
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail);
        e.0.errors = errors;
        e
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// 429 for a client over a rate limit, with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many requests from this address; try again in {retry_after_secs} s"),
        )
        .with_header(header::RETRY_AFTER, retry_after_secs.max(1).to_string())
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many failed attempts; try again in {retry_after_secs} s"),
        )
        .with_header(header::RETRY_AFTER, retry_after_secs.max(1).to_string())
    }

    /// 503 with `Retry-After`; `cause` is logged, not shown.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again shortly",
        )
        .with_header(header::RETRY_AFTER, "5".to_string());
        e.0.source = Some(cause.into().into());
        e
    }

    /// 500; the cause is logged with the request id and never shown.
    pub fn internal(cause: impl Into<Source>) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an internal error occurred");
        e.0.source = Some(cause.into());
        e
    }

    /// The generic problem for a status the framework produced without one.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => ("bad_request", "the request is malformed"),
            401 => ("unauthorized", "authentication is required"),
            403 => ("forbidden", "not allowed"),
            404 => ("not_found", "no such resource"),
            405 => ("method_not_allowed", "this method is not allowed on this resource"),
            406 => ("not_acceptable", "no acceptable representation"),
            408 => ("request_timeout", "the request took too long to arrive"),
            411 => ("length_required", "a Content-Length is required"),
            413 => ("payload_too_large", "the request body is too large"),
            414 => ("uri_too_long", "the request URI is too long"),
            415 => ("unsupported_media_type", "unsupported content type"),
            431 => ("headers_too_large", "the request headers are too large"),
            503 => ("unavailable", "the service is unavailable; try again shortly"),
            s if s >= 500 => ("internal_error", "an internal error occurred"),
            _ => ("error", "the request failed"),
        };
        Self::new(status, code, detail)
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.0.headers.push((name, value));
        self
    }

    pub fn with_extra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The problem document, with the current request's path and id when there is one.
    pub fn problem(&self) -> Problem {
        let context = request_context::current();
        Problem {
            type_: format!("/problems/{}", self.0.code),
            title: self.0.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.0.status.as_u16(),
            code: self.0.code.to_string(),
            detail: self.0.detail.clone(),
            instance: context.as_ref().map(|c| c.path.to_string()),
            request_id: context.map(|c| c.id.to_string()),
            errors: self.0.errors.clone(),
            extra: self.0.extra.clone(),
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status.as_u16(), self.0.code, self.0.detail)?;
        if let Some(source) = &self.0.source {
            write!(f, " ({source})")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.detail)
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.0.status.is_server_error() {
            log::error!("{} {}: {:?}", self.0.status.as_u16(), self.0.code, self.0.source);
        }
        let mut res = HttpResponse::build(self.0.status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        for (name, value) in &self.0.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), value));
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        res.body(body)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::Error as D;
        match e {
            D::NotFound => AppError::not_found("resource"),
            D::DatabaseError(kind, info) => from_database_error(kind, info.as_ref()),
            other => AppError::internal(other),
        }
    }
}

/// Constraint violations become client errors naming the field; lost connections 503.
fn from_database_error(kind: DatabaseErrorKind, info: &(dyn DatabaseErrorInformation + Send + Sync)) -> AppError {
    let field = || constraint_field(info.table_name(), info.constraint_name(), info.column_name());
    match kind {
        DatabaseErrorKind::UniqueViolation => {
            let field = field();
            AppError::conflict("already_exists", format!("a record with this {field} already exists"))
                .with_extra("field", field.clone())
                .with_errors(vec![FieldError::new(field, "taken", "already in use")])
        }
        DatabaseErrorKind::ForeignKeyViolation if info.message().starts_with("update or delete") => AppError::conflict(
            "in_use",
            format!("still referred to by {}", info.table_name().unwrap_or("other records")),
        ),
        DatabaseErrorKind::ForeignKeyViolation => {
            AppError::field(&field(), "unknown_reference", "refers to a record that does not exist")
        }
        DatabaseErrorKind::CheckViolation => AppError::unprocessable(
            "constraint_violated",
            format!("breaks the rule {}", info.constraint_name().unwrap_or("of the table")),
        ),
        DatabaseErrorKind::NotNullViolation => {
            AppError::field(info.column_name().unwrap_or("unknown"), "required", "is required")
        }
        DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection => {
            AppError::unavailable(info.message().to_string())
        }
        DatabaseErrorKind::SerializationFailure => {
            AppError::conflict("concurrent_update", "a concurrent change interfered; retry the request")
        }
        _ if info.message().contains("connection") => AppError::unavailable(info.message().to_string()),
        // Backstops for what the edge refuses first (diesel-async does not pass the SQLSTATE
        // on, so these go by PostgreSQL's message, in English in the service's own cluster):
        // 22021, text PostgreSQL cannot store (NUL); 22008, a date or time it cannot hold.
        _ if info.message().starts_with("invalid byte sequence for encoding") => {
            AppError::bad_request("invalid_text", "a text value holds a character that cannot be stored (such as NUL)")
        }
        _ if is_date_out_of_range(info.message()) => {
            AppError::unprocessable("date_out_of_range", "a date or time is outside what can be stored")
        }
        _ => AppError::internal(info.message().to_string()),
    }
}

/// Turns the violation of one named constraint into the error the caller chose; every
/// other database error goes the usual way (`From<diesel::result::Error>`).
pub trait OnConstraint<T> {
    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> OnConstraint<T> for Result<T, diesel::result::Error> {
    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|e| match &e {
            diesel::result::Error::DatabaseError(_, info) if info.constraint_name() == Some(constraint) => error(),
            _ => AppError::from(e),
        })
    }
}

fn is_date_out_of_range(message: &str) -> bool {
    ["date/time field value out of range", "date out of range", "timestamp out of range"]
        .iter()
        .any(|m| message.starts_with(m))
}

/// The field a constraint guards: PostgreSQL names them `<table>_<columns>_<key|fkey>`.
fn constraint_field(table: Option<&str>, constraint: Option<&str>, column: Option<&str>) -> String {
    if let Some(column) = column {
        return column.to_string();
    }
    let Some(constraint) = constraint else { return "unknown".into() };
    let stem = constraint.strip_suffix("_fkey").or_else(|| constraint.strip_suffix("_key")).unwrap_or(constraint);
    match table.and_then(|t| stem.strip_prefix(t)).and_then(|s| s.strip_prefix('_')) {
        Some(columns) if !columns.is_empty() => columns.to_string(),
        _ => stem.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_give_fields() {
        assert_eq!(constraint_field(Some("users"), Some("users_username_key"), None), "username");
        assert_eq!(constraint_field(Some("users"), Some("users_unit_id_fkey"), None), "unit_id");
        assert_eq!(constraint_field(Some("users"), Some("odd"), None), "odd");
        assert_eq!(constraint_field(None, None, Some("title")), "title");
        assert_eq!(constraint_field(None, None, None), "unknown");
    }

    #[test]
    fn text_and_dates_postgresql_refuses_are_client_errors() {
        struct Info(&'static str);
        impl DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                self.0
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        let status = |m: &'static str| from_database_error(DatabaseErrorKind::Unknown, &Info(m)).status().as_u16();
        assert_eq!(status("invalid byte sequence for encoding \"UTF8\": 0x00"), 400);
        assert_eq!(status("date out of range: \"-5000-01-01\""), 422);
        assert_eq!(status("date/time field value out of range: \"2023-02-30\""), 422);
        assert_eq!(status("something else broke"), 500);
    }

    #[test]
    fn a_500_shows_nothing_inside() {
        let e = AppError::internal("password=hunter2 at db.rs:42");
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("hunter2"));
    }

    #[test]
    fn validation_counts_fields() {
        let e = AppError::validation(vec![
            FieldError::new("title", "required", "is required"),
            FieldError::new("year", "invalid", "not a year"),
        ]);
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.problem().detail, "2 fields are invalid");
        assert_eq!(e.problem().type_, "/problems/validation_failed");
    }
}
