//! The three grants of the token endpoint, and revocation.

use actix_web::http::StatusCode;
use actix_web::http::header;
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Actor};
use crate::auth::model::{Grant, TokenResponse};
use crate::auth::password::{self, MAX_PASSWORD_BYTES};
use crate::auth::queries::{self, Account};
use crate::auth::throttle::{self, ip_key, user_key};
use crate::db;
use crate::db::enums::UserKind;
use crate::error::AppError;

fn invalid_grant(detail: &str) -> AppError {
    AppError::bad_request("invalid_grant", detail.to_string())
}

fn invalid_client() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret")
        .with_header(header::WWW_AUTHENTICATE, "Basic realm=\"jianyi\"".into())
}

/// 429 when a key has failed too often within the window.
async fn check_throttle(state: &AppState, conn: &mut AsyncPgConnection, keys: &[String]) -> Result<(), AppError> {
    let config = &state.config;
    let now = Utc::now();
    let wait = queries::failures(conn, keys)
        .await?
        .into_iter()
        .filter_map(|f| {
            let limit = if f.key.starts_with("ip:") { config.login_ip_max_failures } else { config.login_max_failures };
            throttle::retry_after(f.failures, f.window_started_at, now, limit, config.login_window)
        })
        .max();
    match wait {
        Some(secs) => Err(AppError::too_many_requests(secs)),
        None => Ok(()),
    }
}

/// Verifies a secret off the event loop (argon2 takes tens of milliseconds by design).
async fn verify(secret: String, account: &Option<Account>) -> Result<bool, AppError> {
    let hash = account.as_ref().and_then(|a| a.secret_hash.clone());
    let matches = actix_web::web::block(move || password::verify_or_dummy(&secret, hash.as_deref()))
        .await
        .map_err(AppError::internal)?;
    Ok(matches && account.as_ref().is_some_and(|a| a.active))
}

/// Opens a session and issues its tokens (a refresh token unless `refreshable` is false).
async fn open_session(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    account: &Account,
    grant: Grant,
    ip: &str,
    refreshable: bool,
) -> Result<TokenResponse, AppError> {
    let lifetime = if refreshable { state.config.refresh_token_ttl } else { state.config.access_token_ttl };
    let expires_at = Utc::now() + chrono::Duration::from_std(lifetime).map_err(AppError::internal)?;
    let refresh = refreshable.then(|| password::random_token(32));
    let session_id = db::transaction(conn, async |conn| {
        let session_id = queries::create_session(conn, account.id, grant, expires_at).await?;
        if let Some(token) = &refresh {
            queries::insert_refresh_token(conn, token, session_id, expires_at).await?;
        }
        let actor = Actor { id: Some(account.id), name: Some(account.username.clone()) };
        let after = serde_json::json!({"grant_type": grant, "client_address": ip, "expires_at": expires_at});
        audit::record(conn, &actor, "auth.login", "session", &session_id.to_string(), None, Some(after)).await?;
        Ok(session_id)
    })
    .await?;
    let (access_token, expires_in) = state.auth.keys.issue(&account.subject(), session_id);
    Ok(TokenResponse { access_token, token_type: "Bearer".into(), expires_in, refresh_token: refresh })
}

/// A name worth looking up: not blank, not too long, no control characters (a client id
/// from HTTP Basic authentication never passes the body's checks).
fn plausible_name(name: &str) -> bool {
    !name.trim().is_empty() && name.len() <= 200 && !name.chars().any(char::is_control)
}

/// `grant_type=password`: a person's username and password.
pub async fn password(state: &AppState, username: &str, secret: String, ip: &str) -> Result<TokenResponse, AppError> {
    if !plausible_name(username) || secret.len() > MAX_PASSWORD_BYTES {
        return Err(invalid_grant("invalid username or password"));
    }
    let keys = [user_key(username), ip_key(ip)];
    let mut conn = state.conn().await?;
    check_throttle(state, &mut conn, &keys).await?;
    let account = queries::account_by_name(&mut conn, username, UserKind::Person).await?;
    if !verify(secret, &account).await? {
        queries::record_failure(&mut conn, &keys, state.config.login_window).await?;
        log::warn!("failed login for {:?} from {ip}", username.trim());
        return Err(invalid_grant("invalid username or password"));
    }
    let account = account.ok_or_else(|| AppError::internal("verified without an account"))?;
    queries::clear_failures(&mut conn, &keys[0]).await?;
    open_session(state, &mut conn, &account, Grant::Password, ip, true).await
}

/// `grant_type=client_credentials`: a service account (the municipal system's sync jobs).
pub async fn client_credentials(
    state: &AppState,
    client_id: &str,
    secret: String,
    ip: &str,
) -> Result<TokenResponse, AppError> {
    if !plausible_name(client_id) || secret.len() > MAX_PASSWORD_BYTES {
        return Err(invalid_client());
    }
    let keys = [user_key(client_id), ip_key(ip)];
    let mut conn = state.conn().await?;
    check_throttle(state, &mut conn, &keys).await?;
    let account = queries::account_by_name(&mut conn, client_id, UserKind::Service).await?;
    if !verify(secret, &account).await? {
        queries::record_failure(&mut conn, &keys, state.config.login_window).await?;
        log::warn!("failed client authentication for {:?} from {ip}", client_id.trim());
        return Err(invalid_client());
    }
    let account = account.ok_or_else(|| AppError::internal("verified without an account"))?;
    queries::clear_failures(&mut conn, &keys[0]).await?;
    open_session(state, &mut conn, &account, Grant::ClientCredentials, ip, false).await
}

enum Rotation {
    Issued(Box<Account>, Uuid, String),
    Reused(Uuid),
    Invalid,
}

/// `grant_type=refresh_token`: rotates the token; a token presented twice ends its session.
pub async fn refresh(state: &AppState, token: &str) -> Result<TokenResponse, AppError> {
    let mut conn = state.conn().await?;
    let outcome = db::transaction(&mut conn, async |conn| {
        let Some(row) = queries::refresh_token_for_update(conn, token).await? else {
            return Ok(Rotation::Invalid);
        };
        let now = Utc::now();
        if row.rotated_at.is_some() {
            // Someone holds an old token: end the whole family (RFC 9700 4.14.2).
            if queries::revoke_session(conn, row.session_id, "refresh_token_reuse").await? {
                let actor = Actor { id: Some(row.user_id), name: None };
                let sid = row.session_id.to_string();
                audit::record(conn, &actor, "auth.refresh_reuse", "session", &sid, None, None).await?;
            }
            return Ok(Rotation::Reused(row.session_id));
        }
        if row.session_revoked_at.is_some() || row.expires_at <= now || row.session_expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let Some(account) = queries::account_by_id(conn, row.user_id).await?.filter(|a| a.active) else {
            return Ok(Rotation::Invalid);
        };
        queries::mark_rotated(conn, &row.token_hash).await?;
        let next = password::random_token(32);
        queries::insert_refresh_token(conn, &next, row.session_id, row.session_expires_at).await?;
        Ok(Rotation::Issued(Box::new(account), row.session_id, next))
    })
    .await?;
    match outcome {
        Rotation::Issued(account, session_id, refresh_token) => {
            let (access_token, expires_in) = state.auth.keys.issue(&account.subject(), session_id);
            Ok(TokenResponse {
                access_token,
                token_type: "Bearer".into(),
                expires_in,
                refresh_token: Some(refresh_token),
            })
        }
        Rotation::Reused(session_id) => {
            state.auth.forget_sessions();
            log::warn!("refresh token reused; session {session_id} revoked");
            Err(invalid_grant("this refresh token was already used; the session is revoked, sign in again"))
        }
        Rotation::Invalid => Err(invalid_grant("the refresh token is invalid or expired")),
    }
}

/// Ends a session: by one of its refresh tokens, or the caller's own.
pub async fn revoke(
    state: &AppState,
    session_id: Option<Uuid>,
    token: Option<&str>,
    actor: Actor,
) -> Result<(), AppError> {
    let mut conn = state.conn().await?;
    db::transaction(&mut conn, async |conn| {
        let session_id = match (session_id, token) {
            (Some(id), _) => Some(id),
            (None, Some(token)) => queries::session_of_refresh_token(conn, token).await?,
            (None, None) => None,
        };
        if let Some(id) = session_id
            && queries::revoke_session(conn, id, "revoked").await?
        {
            audit::record(conn, &actor, "auth.revoke", "session", &id.to_string(), None, None).await?;
        }
        Ok(())
    })
    .await?;
    state.auth.forget_sessions();
    Ok(())
}
