//! The dashboard's browser session: an access token of the same session in a secure,
//! HttpOnly, SameSite=Strict cookie — read by the dashboard's routes only, never by the
//! API — the CSRF token of its forms, and the one-time tickets that carry a front end's
//! session into a browser tab.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::queries;
use crate::error::AppError;

/// The session cookie, and the sign-in form's double-submit cookie.
pub const SESSION: &str = "jianyi_session";
pub const CSRF: &str = "jianyi_csrf";
/// The cookies go back to the dashboard's paths alone.
pub const PATH: &str = "/dashboard";
/// How long a dashboard cookie lasts (the session may end sooner: it is checked each time).
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How long a ticket is good for.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(60);

fn cookie(name: &'static str, value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(PATH)
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .finish()
}

/// The session cookie holding `token`.
pub fn session(token: String) -> Cookie<'static> {
    cookie(SESSION, token, LIFETIME)
}

/// A cookie that removes `name` from the browser.
pub fn cleared(name: &'static str) -> Cookie<'static> {
    cookie(name, String::new(), Duration::ZERO)
}

/// The sign-in form's double-submit cookie (the form carries the same value).
pub fn csrf(value: String) -> Cookie<'static> {
    cookie(CSRF, value, Duration::from_secs(3600))
}

/// The dashboard's caller: the session cookie, or (for a program) a bearer token. 401 with
/// neither.
pub async fn principal(state: &AppState, req: &HttpRequest) -> Result<Principal, AppError> {
    let bearer;
    let authorization = match req.cookie(SESSION).filter(|c| !c.value().is_empty()) {
        Some(c) => {
            bearer = format!("Bearer {}", c.value());
            Some(bearer.as_str())
        }
        None => req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()),
    };
    state.auth.authenticate(authorization, req.query_string()).await
}

/// Two strings compared in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form posted from elsewhere is refused: its `Origin`, when the browser sends one, must
/// be this service's host.
pub fn same_origin(req: &HttpRequest) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let host = req.connection_info().host().to_string();
    let from = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if from == host { Ok(()) } else { Err(AppError::forbidden("the form was posted from another site")) }
}

/// Checks a signed-in form's CSRF token (and its origin).
pub fn check_form(state: &AppState, req: &HttpRequest, principal: &Principal, token: &str) -> Result<(), AppError> {
    same_origin(req)?;
    if same(&state.auth.keys.csrf(principal.session_id), token) {
        Ok(())
    } else {
        Err(AppError::forbidden("the form's CSRF token is missing or wrong; reload the page"))
    }
}

/// Checks the sign-in form's token against its double-submit cookie.
pub fn check_sign_in_form(req: &HttpRequest, token: &str) -> Result<(), AppError> {
    same_origin(req)?;
    match req.cookie(CSRF) {
        Some(c) if !token.is_empty() && same(c.value(), token) => Ok(()),
        _ => Err(AppError::forbidden("the form's CSRF token is missing or wrong; reload the page")),
    }
}

/// The cookie's token for a session: its account's roles and unit, as now.
pub async fn token_for_session(state: &AppState, session_id: Uuid) -> Result<String, AppError> {
    let mut conn = state.conn().await?;
    let account = queries::account_of_open_session(&mut conn, session_id)
        .await?
        .filter(|a| a.active)
        .ok_or_else(|| AppError::unauthorized("session_revoked", "the session has ended; sign in again"))?;
    Ok(state.auth.keys.issue_for(&account.subject(), session_id, LIFETIME).0)
}

/// A one-time ticket for the caller's session, good for [`TICKET_LIFETIME`].
pub async fn new_ticket(state: &AppState, principal: &Principal) -> Result<String, AppError> {
    let ticket = crate::auth::password::random_token(32);
    let expires = chrono::Utc::now() + chrono::Duration::from_std(TICKET_LIFETIME).map_err(AppError::internal)?;
    let mut conn = state.conn().await?;
    queries::insert_ticket(&mut conn, &ticket, principal.session_id, expires).await?;
    Ok(ticket)
}

/// Uses a ticket up: the cookie's token for its session, or 401.
pub async fn redeem(state: &AppState, ticket: &str) -> Result<String, AppError> {
    let session = {
        let mut conn = state.conn().await?;
        queries::take_ticket(&mut conn, ticket).await?
    };
    let session =
        session.ok_or_else(|| AppError::unauthorized("invalid_ticket", "the ticket is unknown, used or expired"))?;
    token_for_session(state, session).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_secure_http_only_strict_and_for_the_dashboard() {
        let c = session("t".into()).to_string();
        for part in ["jianyi_session=t", "HttpOnly", "SameSite=Strict", "Secure", "Path=/dashboard", "Max-Age=28800"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(cleared(SESSION).to_string().contains("Max-Age=0"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
