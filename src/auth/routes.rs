//! `POST /api/v1/auth/token` and `POST /api/v1/auth/revoke`.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::grants;
use crate::auth::model::{Grant, RevokeRequest, TokenRequest, TokenResponse};
use crate::error::AppError;
use crate::http::json::parse_json_or_form;

pub(crate) fn client_address(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// `Authorization: Basic` client credentials (RFC 6749 2.3.1).
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Issues tokens: `password` (people), `refresh_token` (rotation), `client_credentials`
/// (service accounts). Failed sign-ins are throttled per username and per address.
#[utoipa::path(
    tag = "auth",
    request_body(
        content(
            (TokenRequest = "application/json"),
            (TokenRequest = "application/x-www-form-urlencoded"),
        ),
        description = "The grant and its credentials",
    ),
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "`invalid_grant` (wrong username or password, bad refresh token), `unsupported_grant_type`, malformed body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_client`: wrong client credentials", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Unprocessable),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
#[post("/token")]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let form: TokenRequest = parse_json_or_form(&req, &body)?;
    let ip = client_address(&req);
    let missing = |what: &str| AppError::bad_request("invalid_request", format!("{what} is required for this grant"));
    let grant = Grant::parse(&form.grant_type).ok_or_else(|| {
        AppError::bad_request(
            "unsupported_grant_type",
            "grant_type must be password, refresh_token or client_credentials",
        )
    })?;
    let tokens = match grant {
        Grant::Password => {
            let username = form.username.as_deref().ok_or_else(|| missing("username"))?;
            let password = form.password.ok_or_else(|| missing("password"))?;
            grants::password(&state, username, password, &ip).await?
        }
        Grant::RefreshToken => {
            let token = form.refresh_token.as_deref().ok_or_else(|| missing("refresh_token"))?;
            grants::refresh(&state, token).await?
        }
        Grant::ClientCredentials => {
            let (id, secret) = match (form.client_id, form.client_secret) {
                (Some(id), Some(secret)) => (id, secret),
                _ => basic_credentials(&req).ok_or_else(|| missing("client_id and client_secret"))?,
            };
            grants::client_credentials(&state, &id, secret, &ip).await?
        }
    };
    Ok(HttpResponse::Ok().insert_header(CacheControl(vec![CacheDirective::NoStore])).json(tokens))
}

/// Ends a session: send `token` (a refresh token) to end its session, or send no body
/// with a bearer token to end the caller's own. Answers 200 even for an unknown token
/// (RFC 7009).
#[utoipa::path(
    tag = "auth",
    request_body(
        content(
            (Option<RevokeRequest> = "application/json"),
            (Option<RevokeRequest> = "application/x-www-form-urlencoded"),
        ),
        description = "The refresh token to revoke; omit to revoke the bearer token's session",
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Revoked (or unknown)"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, description = "No body and no valid bearer token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Unprocessable),
    )
)]
#[post("/revoke")]
pub async fn revoke(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let form: RevokeRequest = parse_json_or_form(&req, &body)?;
    match form.token.filter(|t| !t.is_empty()) {
        Some(refresh) => grants::revoke(&state, None, Some(&refresh), Actor::default()).await?,
        None => {
            let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            let principal = state.auth.authenticate(authorization, req.query_string()).await?;
            grants::revoke(&state, Some(principal.session_id), None, principal.actor()).await?;
        }
    }
    Ok(HttpResponse::Ok().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/auth").service(token).service(revoke));
}
