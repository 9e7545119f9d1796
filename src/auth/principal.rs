//! The caller: a `Principal` extractor that checks the bearer token and that its session
//! is still open and its user active. A few seconds' cache saves the query; a session any
//! instance ends is forgotten at once (LISTEN/NOTIFY).

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::audit::Actor;
use crate::auth::policy::{Operation, Role, Scope, reaches};
use crate::auth::queries;
use crate::auth::token::{Claims, Keys};
use crate::db::schema::{sessions, users};
use crate::db::{self, DbPool};
use crate::error::AppError;

/// What checks a bearer token: the keys, the database, and a short cache of sessions.
pub struct Authenticator {
    pub keys: Arc<Keys>,
    pool: DbPool,
    /// Shared by every worker, so that forgetting counts everywhere at once.
    sessions: moka::sync::Cache<Uuid, bool>,
}

impl Authenticator {
    pub fn new(keys: Keys, pool: DbPool, cache_ttl: Duration) -> Self {
        let sessions = moka::sync::Cache::builder().max_capacity(100_000).time_to_live(cache_ttl).build();
        Self { keys: Arc::new(keys), pool, sessions }
    }

    /// The same keys and session cache, checking sessions through another pool.
    pub fn with_pool(&self, pool: DbPool) -> Self {
        Self { keys: self.keys.clone(), pool, sessions: self.sessions.clone() }
    }

    /// Forgets every checked session, so a revocation or a disabled user counts at once.
    pub fn forget_sessions(&self) {
        self.sessions.invalidate_all();
    }

    /// Listens for the sessions any instance ends (`queries::SESSIONS_ENDED`) and forgets
    /// them here at once, instead of trusting them until the cache's lifetime runs out.
    /// Runs as long as the service, reconnecting with backoff; after a reconnection it
    /// forgets everything, since an announcement may have passed meanwhile.
    pub async fn listen_for_ended_sessions(&self, url: String) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let started = std::time::Instant::now();
            let error = self.listen_once(&url).await;
            self.forget_sessions();
            if started.elapsed() > Duration::from_secs(60) {
                backoff = Duration::from_secs(1);
            }
            log::warn!("listening for ended sessions: {error}; again in {} s", backoff.as_secs());
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }

    async fn listen_once(&self, url: &str) -> String {
        use diesel_async::AsyncConnection;
        use futures_util::StreamExt;
        let mut conn = match diesel_async::AsyncPgConnection::establish(url).await {
            Ok(conn) => conn,
            Err(e) => return e.to_string(),
        };
        if let Err(e) = diesel::sql_query(format!("LISTEN {}", queries::SESSIONS_ENDED)).execute(&mut conn).await {
            return e.to_string();
        }
        self.forget_sessions();
        loop {
            // Wait for announcements; now and then make sure the connection still answers.
            let quiet = {
                let mut ended = std::pin::pin!(conn.notifications_stream());
                loop {
                    match tokio::time::timeout(Duration::from_secs(30), ended.next()).await {
                        Err(_) => break true,
                        Ok(None) => return "the connection closed".into(),
                        Ok(Some(Err(e))) => return e.to_string(),
                        Ok(Some(Ok(n))) => match n.payload.parse::<Uuid>() {
                            Ok(session) => self.sessions.invalidate(&session),
                            Err(_) => self.forget_sessions(),
                        },
                    }
                }
            };
            if quiet && let Err(e) = diesel::sql_query("SELECT 1").execute(&mut conn).await {
                return e.to_string();
            }
        }
    }

    async fn session_is_open(&self, claims: &Claims) -> Result<bool, AppError> {
        if let Some(open) = self.sessions.get(&claims.sid) {
            return Ok(open);
        }
        let mut conn = db::conn(&self.pool).await?;
        let row: Option<(Option<chrono::DateTime<chrono::Utc>>, chrono::DateTime<chrono::Utc>, bool)> = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(claims.sid))
            .filter(sessions::user_id.eq(claims.sub))
            .select((sessions::revoked_at, sessions::expires_at, users::active))
            .first(&mut conn)
            .await
            .optional()?;
        let open =
            row.is_some_and(|(revoked, expires, active)| revoked.is_none() && expires > chrono::Utc::now() && active);
        self.sessions.insert(claims.sid, open);
        Ok(open)
    }

    /// The principal a request's `Authorization: Bearer` token names, or 401.
    pub async fn authenticate(&self, authorization: Option<&str>, query: &str) -> Result<Principal, AppError> {
        if query.split('&').any(|pair| pair.starts_with("access_token=")) {
            return Err(AppError::unauthorized(
                "token_in_query",
                "send the token in the Authorization header, never in the URL",
            ));
        }
        let token = authorization
            .ok_or_else(|| AppError::unauthorized("missing_token", "an Authorization: Bearer token is required"))?
            .strip_prefix("Bearer ")
            .or_else(|| authorization.and_then(|a| a.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::unauthorized("invalid_token", "expected Authorization: Bearer <token>"))?;
        let claims = self.keys.verify(token)?;
        if !self.session_is_open(&claims).await? {
            return Err(AppError::unauthorized("session_revoked", "the session has ended; sign in again"));
        }
        Ok(Principal {
            user_id: claims.sub,
            username: claims.preferred_username.into(),
            roles: claims.roles,
            unit_id: claims.unit,
            head: claims.head,
            session_id: claims.sid,
        })
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: Arc<str>,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    /// Heads the unit (a leader heading the bureau is responsible for everything).
    pub head: bool,
    pub session_id: Uuid,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The caller's reach for `op` (empty when not allowed).
    pub fn scope(&self, op: Operation) -> Scope {
        Scope::of(&reaches(&self.roles, op))
    }

    /// The caller's reach for `op`, or 403 when no role of theirs allows it.
    pub fn require(&self, op: Operation) -> Result<Scope, AppError> {
        let scope = self.scope(op);
        if scope.is_empty() {
            return Err(AppError::forbidden("your roles do not allow this operation"));
        }
        Ok(scope)
    }

    /// Who an audit row names.
    pub fn actor(&self) -> Actor {
        Actor { id: Some(self.user_id), name: Some(self.username.to_string()) }
    }
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = req.app_data::<web::Data<Authenticator>>().cloned();
        let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("").to_string());
        let query = req.query_string().to_string();
        Box::pin(async move {
            let auth = auth.ok_or_else(|| AppError::internal("the Authenticator is not registered"))?;
            auth.authenticate(authorization.as_deref(), &query).await
        })
    }
}
