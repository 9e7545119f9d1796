//! The actix application: shared state, middleware, the framework's error handlers, and
//! the routes of every domain.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::principal::Authenticator;
use crate::auth::token::Keys;
use crate::calendar::queries::CalendarCache;
use crate::calendar::service::Recompute;
use crate::calendar::{Clock, Today};
use crate::config::Config;
use crate::db::local::Supervision;
use crate::db::{self, DbConn, DbPool};
use crate::documents::store::Files;
use crate::error::AppError;
use crate::http::metrics::Metrics;
use crate::http::pagination::CursorCodec;
use crate::http::ratelimit::RateLimit;
use crate::http::{json, request_context};
use crate::{
    assignments, audit, auth, calendar, commitments, coordination, directory, disclosure, documents, evaluations, ops,
    replies, suggestions, supervision,
};

/// How long another instance's calendar change may take to show in due states.
const CALENDAR_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// What every handler can reach.
pub struct AppState {
    /// This worker's connections. Each actix worker is a runtime of its own, and a
    /// connection is served by the runtime that opened it: sharing one pool between workers
    /// would send half the queries through another thread.
    pub pool: DbPool,
    /// Every worker's pool (for metrics).
    pub pools: Arc<Vec<DbPool>>,
    pub config: Arc<Config>,
    pub auth: web::Data<Authenticator>,
    pub cursors: CursorCodec,
    pub metrics: web::Data<Metrics>,
    pub spec: Arc<utoipa::openapi::OpenApi>,
    /// The working-day calendar, for showing due states.
    pub calendar: Arc<CalendarCache>,
    /// Where today's date comes from.
    pub today: Today,
    /// What recomputes due dates when the calendar or a rule changes (the assignments').
    pub due_dates: Recompute,
    /// The supervision of the service's own PostgreSQL, when it runs one.
    pub postgres: Option<Arc<Supervision>>,
    /// The document store.
    pub files: Files,
    /// The public endpoints' per-client rate limit (shared by every worker).
    pub public_limit: RateLimit,
    /// Wakes the events feed's long-polling readers at each commit of events.
    pub events: crate::sync::wakeups::Wakeups,
    /// What the steps after the reply know of a handling, for its contact plan.
    pub after_reply: coordination::service::contacts::AfterReplyFacts,
}

impl AppState {
    /// One pool for everything (tests, commands), on the database at `url`; `secret` signs
    /// tokens and cursors.
    pub fn new(config: Config, pool: DbPool, url: &str, secret: &[u8]) -> Self {
        Self::with_pools(config, vec![pool], url, secret)
    }

    /// A pool per worker; this state uses the first.
    pub fn with_pools(config: Config, pools: Vec<DbPool>, url: &str, secret: &[u8]) -> Self {
        let keys = Keys::new(secret, &config.jwt_issuer, &config.jwt_audience, config.access_token_ttl);
        let pool = pools[0].clone();
        let auth = Authenticator::new(keys, pool.clone(), config.session_cache_ttl);
        // `serve` builds the store first and stops with its error; here it cannot fail but
        // for a folder that cannot be made.
        let files = Files::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
        Self {
            public_limit: RateLimit::per_second(config.public_rate),
            files,
            pool,
            pools: Arc::new(pools),
            auth: web::Data::new(auth),
            cursors: CursorCodec::new(secret),
            metrics: web::Data::new(Metrics::new()),
            spec: Arc::new(crate::openapi::spec()),
            calendar: Arc::new(CalendarCache::new(CALENDAR_TTL)),
            today: Today::default(),
            due_dates: assignments::service::due_states::recompute_hook,
            after_reply: commitments::service::after_reply_hook,
            events: crate::sync::wakeups::Wakeups::new(url),
            postgres: None,
            config: Arc::new(config),
        }
    }

    /// The state of worker `i`: its own pool, everything else shared.
    pub fn for_worker(&self, i: usize) -> Self {
        let pool = self.pools[i % self.pools.len()].clone();
        Self {
            auth: web::Data::new(self.auth.with_pool(pool.clone())),
            pool,
            pools: self.pools.clone(),
            config: self.config.clone(),
            cursors: self.cursors.clone(),
            metrics: self.metrics.clone(),
            spec: self.spec.clone(),
            calendar: self.calendar.clone(),
            today: self.today,
            due_dates: self.due_dates,
            after_reply: self.after_reply,
            events: self.events.clone(),
            postgres: self.postgres.clone(),
            files: self.files.clone(),
            public_limit: self.public_limit.clone(),
        }
    }

    /// How due states are judged now: the (cached) calendar, today, the warning span.
    pub async fn clock(&self, conn: &mut diesel_async::AsyncPgConnection) -> Result<Clock, AppError> {
        Ok(Clock::new(self.calendar.get(conn).await?, self.today.date(), self.config.due_soon_days))
    }

    /// A connection for this request, or 503.
    pub async fn conn(&self) -> Result<DbConn, AppError> {
        db::conn(&self.pool).await
    }
}

/// Every route that is in the OpenAPI document.
pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            .configure(auth::routes::routes)
            .configure(directory::routes::routes)
            .configure(suggestions::routes::routes)
            .configure(calendar::routes::routes)
            .configure(assignments::routes::routes)
            .configure(directory::settings::routes)
            .configure(documents::routes::routes)
            .configure(coordination::routes::routes)
            .configure(replies::routes::routes)
            .configure(disclosure::routes::routes)
            .configure(evaluations::routes::routes)
            .configure(commitments::routes::routes)
            .configure(supervision::routes::routes)
            .configure(crate::sync::routes::routes)
            .configure(crate::sync::webhooks::routes::routes)
            .configure(audit::routes::routes),
    );
    cfg.configure(disclosure::routes::public_routes);
    cfg.configure(supervision::dashboard::routes);
    cfg.configure(ops::routes::routes);
}

fn cors(config: &Config) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            crate::http::idempotency::IDEMPOTENCY_KEY,
            request_context::X_REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            request_context::X_REQUEST_ID,
        ])
        .max_age(3600);
    for origin in &config.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// No route took the request: 405 with `Allow` when the path exists for other methods
/// (each handler is its own resource, so actix itself only says 404), else 404.
async fn no_route(req: actix_web::HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    use actix_web::http::StatusCode;
    let allowed = req.match_pattern().and_then(|pattern| state.spec.paths.paths.get(&pattern).map(allowed_methods));
    Err(method_not_allowed(allowed).unwrap_or_else(|| AppError::from_status(StatusCode::NOT_FOUND)))
}

/// 405 with `Allow`, when some methods are.
fn method_not_allowed(allowed: Option<String>) -> Option<AppError> {
    use actix_web::http::StatusCode;
    let allowed = allowed.filter(|methods| !methods.is_empty())?;
    Some(AppError::from_status(StatusCode::METHOD_NOT_ALLOWED).with_header(header::ALLOW, allowed))
}

/// A path parameter of the wrong form is a 400 — unless the path, as written, is another
/// operation's that does not take this method (`GET /assignments/import` is not
/// `GET /assignments/{id}` with a strange id): 405.
fn path_error(err: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    let written = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.spec.paths.paths.get(req.path()).map(allowed_methods));
    match method_not_allowed(written.filter(|m| !m.split(", ").any(|m| m == req.method().as_str()))) {
        Some(e) => e.into(),
        None => json::path_error(err, req),
    }
}

fn allowed_methods(item: &utoipa::openapi::PathItem) -> String {
    [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter_map(|(m, present)| present.then_some(m))
    .collect::<Vec<_>>()
    .join(", ")
}

/// The application, for `HttpServer` and for tests.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let body_limit = state.config.body_limit;
    let (app, _) = App::new()
        .into_utoipa_app()
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::FormConfig::default().limit(body_limit).error_handler(json::form_error))
        .app_data(web::QueryConfig::default().error_handler(json::query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(state.auth.clone())
        .app_data(state.metrics.clone())
        .configure(api_routes)
        .split_for_parts();
    let spec = (*state.spec).clone();
    app.app_data(state.clone())
        .service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec))
        .default_service(web::to(no_route))
        .wrap(cors(&state.config))
        .wrap(from_fn(request_context::middleware))
}
