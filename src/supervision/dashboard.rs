//! `/dashboard`: the office's and leaders' page (overdue and due-soon lists, rates,
//! progress and scores per unit, charts, the report's next steps), behind the same
//! sign-in — a password form, or a front end's token exchanged for a one-time ticket —
//! held in a secure, HttpOnly, SameSite cookie; every form carries a CSRF token.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::{Operation, Principal, cookie};
use crate::error::AppError;
use crate::http::json::parse_json_or_form;
use crate::openapi as doc;
use crate::supervision::model::StatsParams;
use crate::supervision::{charts, page, service};

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_SECURITY_POLICY, page::CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn see_other(to: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::SeeOther();
    b.insert_header((header::LOCATION, to.to_string())).insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// A browser (it asks for HTML) is sent to the sign-in page; a program gets the 401.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// The year shown (default: this year).
    #[param(minimum = 1949, maximum = 2200)]
    pub year: Option<i32>,
}

/// The dashboard (督办看板), for the office, leaders and admins (a section's staff see
/// their own): the year's figures and rates, open handlings overdue and due soon, signed
/// replies whose publication is overdue or due soon, each
/// unit's progress and score, the charts, and the report's next steps (a form for the
/// office). Signed in by the session cookie (or a bearer token); a browser without one is
/// sent to `/dashboard/login`.
#[utoipa::path(
    tag = "dashboard",
    params(DashboardParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html", headers(("Content-Security-Policy" = String))),
        (status = 303, description = "A browser with no session: to the sign-in page"),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<DashboardParams>,
) -> Result<HttpResponse, AppError> {
    let principal = match cookie::principal(&state, &req).await {
        Ok(p) => p,
        Err(e) if e.status_code() == StatusCode::UNAUTHORIZED && wants_html(&req) => {
            return Ok(see_other("/dashboard/login").cookie(cookie::cleared(cookie::SESSION)).finish());
        }
        Err(e) => return Err(e),
    };
    let today = state.today.date();
    let year = params.year.unwrap_or(today.year());
    let period = StatsParams { year: Some(year), from: None, to: None };
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let stats = service::stats(&mut conn, &principal, &period, today).await?;
    let scores = service::unit_scores(&mut conn, &principal, &period).await?;
    let open = service::open_handlings(&mut conn, &principal, &clock).await?;
    let publications = service::publications_due(&mut conn, &principal, &clock).await?;
    let next_steps = service::next_steps(&mut conn, &principal, year).await?;
    drop(conn);
    let mut drawn = Vec::new();
    for kind in charts::ChartKind::ALL {
        let (title, bars) = kind.bars(&stats);
        let svg = charts::bar_svg(&title, &bars)?;
        drawn.push((title, svg));
    }
    let csrf = state.auth.keys.csrf(principal.session_id);
    let body = page::dashboard(&page::View {
        year,
        user: &principal.username,
        csrf: &csrf,
        stats: &stats,
        scores: &scores,
        open: &open,
        publications: &publications,
        next_steps: &next_steps,
        can_write: principal.scope(Operation::ReportWrite).all,
        charts: drawn,
    });
    Ok(html(StatusCode::OK, body))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LoginParams {
    /// The last attempt failed: the page says so.
    #[serde(default)]
    pub failed: bool,
}

/// The sign-in page: username and password, with the form's double-submit CSRF cookie.
#[utoipa::path(
    tag = "dashboard",
    params(LoginParams),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html", headers(("Set-Cookie" = String))),
        (status = 400, response = doc::BadRequest),
    )
)]
#[get("/login")]
pub async fn login_page(params: web::Query<LoginParams>) -> HttpResponse {
    let token = crate::auth::password::random_token(24);
    let failed = params.failed.then_some("用户名或密码错误。");
    let mut res = html(StatusCode::OK, page::sign_in(&token, failed));
    let _ = res.add_cookie(&cookie::csrf(token));
    res
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SignInForm {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub username: String,
    #[serde(default)]
    #[schema(max_length = 1024)]
    pub password: String,
    /// The value of the sign-in page's CSRF cookie, as the page's form carries it.
    #[serde(default)]
    #[schema(max_length = 128)]
    pub csrf: String,
}

/// Signs in with a password (the same accounts, throttling and sessions as
/// `POST /api/v1/auth/token`) and sets the session cookie; then to the dashboard. A wrong
/// password goes back to the sign-in page, which says so.
#[utoipa::path(
    tag = "dashboard",
    request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in: the session cookie set, to the dashboard; or a wrong username or password, back to `/dashboard/login?failed=true`", headers(("Set-Cookie" = String), ("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
    )
)]
#[post("/login")]
pub async fn login(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let form: SignInForm = parse_json_or_form(&req, &body)?;
    cookie::check_sign_in_form(&req, &form.csrf)?;
    let ip = crate::auth::routes::client_address(&req);
    let tokens = match crate::auth::grants::password(&state, &form.username, form.password, &ip).await {
        Ok(t) => t,
        Err(e) if e.status_code() == StatusCode::BAD_REQUEST => {
            return Ok(see_other("/dashboard/login?failed=true").finish());
        }
        Err(e) => return Err(e),
    };
    let claims = state.auth.keys.verify(&tokens.access_token)?;
    let token = cookie::token_for_session(&state, claims.sid).await?;
    Ok(see_other("/dashboard").cookie(cookie::session(token)).cookie(cookie::cleared(cookie::CSRF)).finish())
}

/// A one-time ticket into the dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    /// Open this (relative) URL in the browser within `expires_in` seconds, once.
    pub url: String,
    pub expires_in: u64,
}

/// Exchanges the caller's token (a front end's) for a one-time ticket that opens the
/// dashboard in a browser with a session cookie of the same session.
#[utoipa::path(
    tag = "dashboard",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The ticket", body = Ticket),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
#[post("/session")]
pub async fn session(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Operation::SupervisionRead)?;
    let ticket = cookie::new_ticket(&state, &principal).await?;
    Ok(HttpResponse::Created().json(Ticket {
        url: format!("/dashboard/enter?ticket={ticket}"),
        expires_in: cookie::TICKET_LIFETIME.as_secs(),
    }))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnterParams {
    /// The ticket from `POST /dashboard/session`.
    #[param(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub ticket: String,
    /// The year the dashboard opens on (default: this year).
    #[param(minimum = 1949, maximum = 2200)]
    pub year: Option<i32>,
}

/// Uses a ticket up: sets the session cookie and goes to the dashboard.
#[utoipa::path(
    tag = "dashboard",
    params(EnterParams),
    responses(
        (status = 303, description = "The session cookie set, to the dashboard", headers(("Set-Cookie" = String), ("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
    )
)]
#[get("/enter")]
pub async fn enter(state: web::Data<AppState>, params: web::Query<EnterParams>) -> Result<HttpResponse, AppError> {
    let token = cookie::redeem(&state, &params.ticket).await?;
    let to = params
        .year
        .filter(|y| (1949..=2200).contains(y))
        .map_or("/dashboard".into(), |y| format!("/dashboard?year={y}"));
    Ok(see_other(&to).insert_header((header::REFERRER_POLICY, "no-referrer")).cookie(cookie::session(token)).finish())
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CsrfForm {
    #[serde(default)]
    #[schema(max_length = 128)]
    pub csrf: String,
}

/// Signs out: ends the session (every token of it) and clears the cookie.
#[utoipa::path(
    tag = "dashboard",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed out, to the sign-in page", headers(("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let principal = cookie::principal(&state, &req).await?;
    let form: CsrfForm = parse_json_or_form(&req, &body)?;
    cookie::check_form(&state, &req, &principal, &form.csrf)?;
    crate::auth::grants::revoke(&state, Some(principal.session_id), None, principal.actor()).await?;
    Ok(see_other("/dashboard/login").cookie(cookie::cleared(cookie::SESSION)).finish())
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NextStepsForm {
    #[serde(default)]
    #[schema(max_length = 128)]
    pub csrf: String,
    #[serde(default)]
    #[schema(minimum = 1949, maximum = 2200)]
    pub year: i32,
    /// The version the page showed (0 before any).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub version: i32,
    /// Markdown, at most 20,000 characters.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub text: String,
}

/// The dashboard's form for the report's next steps (the office): as
/// `PUT /api/v1/reports/annual/{year}/next-steps`, then back to the dashboard.
#[utoipa::path(
    tag = "dashboard",
    request_body(content = NextStepsForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Saved, back to the dashboard", headers(("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/next-steps")]
pub async fn save_next_steps(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let principal = cookie::principal(&state, &req).await?;
    let form: NextStepsForm = parse_json_or_form(&req, &body)?;
    cookie::check_form(&state, &req, &principal, &form.csrf)?;
    let if_match = crate::http::etag::IfMatch::Versions(vec![form.version]);
    let mut conn = state.conn().await?;
    service::write_next_steps(&mut conn, &principal, form.year, form.text, &if_match).await?;
    Ok(see_other(&format!("/dashboard?year={}", form.year)).finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/dashboard")
            .service(dashboard)
            .service(login_page)
            .service(login)
            .service(session)
            .service(enter)
            .service(logout)
            .service(save_next_steps),
    );
}
