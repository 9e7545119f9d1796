//! Token requests and answers (RFC 6749 shapes).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request: `grant_type` is `password`, `refresh_token` or `client_credentials`.
/// Sent as JSON or as `application/x-www-form-urlencoded`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct TokenRequest {
    #[schema(example = "password")]
    pub grant_type: String,
    /// For `password`.
    #[schema(example = "bangongshi")]
    pub username: Option<String>,
    /// For `password`.
    pub password: Option<String>,
    /// For `refresh_token`.
    pub refresh_token: Option<String>,
    /// For `client_credentials` (or HTTP Basic authentication).
    pub client_id: Option<String>,
    /// For `client_credentials` (or HTTP Basic authentication).
    pub client_secret: Option<String>,
    /// Accepted and ignored: a token carries the user's roles.
    pub scope: Option<String>,
}

pub use crate::db::enums::Grant;

/// Issued tokens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Exchange it for new tokens (`grant_type=refresh_token`); each is good once.
    /// Absent for `client_credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// What to revoke: a refresh token (its whole session), or, without one, the session of
/// the bearer token that authenticates the request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub token: Option<String>,
    /// Accepted and ignored (RFC 7009).
    pub token_type_hint: Option<String>,
}
