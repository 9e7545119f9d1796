//! Sessions, refresh tokens, login failures, and the user facts a token needs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::token::Subject;
use crate::db::enums::{Grant, Role, UserKind};
use crate::db::schema::{dashboard_tickets, login_failures, refresh_tokens, sessions, users};

/// What signing in needs to know of a user.
#[derive(Debug, Queryable)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    pub secret_hash: Option<String>,
    pub active: bool,
    pub is_head: bool,
}

impl Account {
    pub fn subject(&self) -> Subject {
        Subject {
            user_id: self.id,
            username: self.username.clone(),
            roles: self.roles.clone(),
            unit_id: self.unit_id,
            head: self.is_head,
        }
    }
}

type AccountColumns = (
    users::id,
    users::username,
    users::kind,
    users::roles,
    users::unit_id,
    users::secret_hash,
    users::active,
    users::is_head,
);
const ACCOUNT: AccountColumns = (
    users::id,
    users::username,
    users::kind,
    users::roles,
    users::unit_id,
    users::secret_hash,
    users::active,
    users::is_head,
);

/// The account with this username (case-insensitive) and kind (`person` or `service`).
pub async fn account_by_name(
    conn: &mut AsyncPgConnection,
    username: &str,
    kind: UserKind,
) -> QueryResult<Option<Account>> {
    diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
    users::table
        .filter(lower(users::username).eq(username.trim().to_lowercase()))
        .filter(users::kind.eq(kind))
        .select(ACCOUNT)
        .first(conn)
        .await
        .optional()
}

pub async fn account_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Account>> {
    users::table.find(id).select(ACCOUNT).first(conn).await.optional()
}

/// A throttled key's failed sign-ins within its window.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_failures)]
pub struct Failures {
    pub key: String,
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
}

/// The failures of each of these keys that has any.
pub async fn failures(conn: &mut AsyncPgConnection, keys: &[String]) -> QueryResult<Vec<Failures>> {
    login_failures::table.filter(login_failures::key.eq_any(keys)).select(Failures::as_select()).load(conn).await
}

/// Counts one failure against each key, in one statement; a key whose window has ended
/// starts a new one at one failure.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    keys: &[String],
    window: std::time::Duration,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Text};
    diesel::sql_query(
        "INSERT INTO login_failures (key, window_started_at, failures) \
         SELECT k, now(), 1 FROM unnest($1::text[]) AS k \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_failures.window_started_at < now() - $2 * interval '1 second' \
                      THEN 1 ELSE login_failures.failures + 1 END, \
           window_started_at = CASE WHEN login_failures.window_started_at < now() - $2 * interval '1 second' \
                      THEN now() ELSE login_failures.window_started_at END",
    )
    .bind::<Array<Text>, _>(keys)
    .bind::<BigInt, _>(window.as_secs() as i64)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn clear_failures(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(key)).execute(conn).await.map(|_| ())
}

pub async fn create_session(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    grant: Grant,
    expires_at: DateTime<Utc>,
) -> QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::grant_type.eq(grant),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// A refresh token is stored only as its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    token: &str,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash(token)),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A refresh token with its session, locked for rotation.
#[derive(Debug, Queryable)]
pub struct RefreshRow {
    pub token_hash: Vec<u8>,
    pub session_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub session_revoked_at: Option<DateTime<Utc>>,
    pub session_expires_at: DateTime<Utc>,
    pub user_id: Uuid,
}

pub async fn refresh_token_for_update(conn: &mut AsyncPgConnection, token: &str) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash(token)))
        .select((
            refresh_tokens::token_hash,
            refresh_tokens::session_id,
            refresh_tokens::expires_at,
            refresh_tokens::rotated_at,
            sessions::revoked_at,
            sessions::expires_at,
            sessions::user_id,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn mark_rotated(conn: &mut AsyncPgConnection, hash: &[u8]) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(hash))
        .set(refresh_tokens::rotated_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The channel on which ended sessions are announced to every instance (whose caches of
/// checked sessions then forget them): a session id, or `*` for all.
pub const SESSIONS_ENDED: &str = "jianyi_sessions_ended";

/// Announces ended sessions, on commit of the caller's transaction (NOTIFY is
/// transactional): `Some(id)` one session, `None` any number.
pub async fn announce_ended(conn: &mut AsyncPgConnection, session: Option<Uuid>) -> QueryResult<()> {
    use diesel::sql_types::Text;
    let payload = session.map_or_else(|| "*".to_string(), |id| id.to_string());
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(SESSIONS_ENDED)
        .bind::<Text, _>(payload)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Ends a session (and so every token of it); true when it was open.
pub async fn revoke_session(conn: &mut AsyncPgConnection, session_id: Uuid, reason: &str) -> QueryResult<bool> {
    let n = diesel::update(sessions::table.find(session_id).filter(sessions::revoked_at.is_null()))
        .set((sessions::revoked_at.eq(Utc::now()), sessions::revoked_reason.eq(reason)))
        .execute(conn)
        .await?;
    if n > 0 {
        announce_ended(conn, Some(session_id)).await?;
    }
    Ok(n > 0)
}

/// Ends every open session of a user but `except`; returns how many.
pub async fn revoke_user_sessions(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    except: Option<Uuid>,
    reason: &str,
) -> QueryResult<usize> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(except.unwrap_or(Uuid::nil()))),
    )
    .set((sessions::revoked_at.eq(Utc::now()), sessions::revoked_reason.eq(reason)))
    .execute(conn)
    .await?;
    if n > 0 {
        announce_ended(conn, None).await?;
    }
    Ok(n)
}

/// The session a refresh token belongs to, if the token is known.
pub async fn session_of_refresh_token(conn: &mut AsyncPgConnection, token: &str) -> QueryResult<Option<Uuid>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash(token)))
        .select(refresh_tokens::session_id)
        .first(conn)
        .await
        .optional()
}

/// Deletes what has expired: sessions a week past their end (with their refresh
/// tokens), and login-failure windows a day old.
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let now = Utc::now();
    let sessions = diesel::delete(sessions::table.filter(sessions::expires_at.lt(now - chrono::Duration::days(7))))
        .execute(conn)
        .await?;
    let failures = diesel::delete(
        login_failures::table.filter(login_failures::window_started_at.lt(now - chrono::Duration::days(1))),
    )
    .execute(conn)
    .await?;
    let tickets =
        diesel::delete(dashboard_tickets::table.filter(dashboard_tickets::expires_at.lt(now))).execute(conn).await?;
    Ok(sessions + failures + tickets)
}

/// Keeps a one-time dashboard ticket of a session (its hash), good until `expires_at`.
pub async fn insert_ticket(
    conn: &mut AsyncPgConnection,
    ticket: &str,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(dashboard_tickets::table)
        .values((
            dashboard_tickets::token_hash.eq(token_hash(ticket)),
            dashboard_tickets::session_id.eq(session_id),
            dashboard_tickets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Uses a ticket up (once, atomically): its session, if it was good.
pub async fn take_ticket(conn: &mut AsyncPgConnection, ticket: &str) -> QueryResult<Option<Uuid>> {
    diesel::delete(
        dashboard_tickets::table
            .filter(dashboard_tickets::token_hash.eq(token_hash(ticket)))
            .filter(dashboard_tickets::expires_at.gt(Utc::now())),
    )
    .returning(dashboard_tickets::session_id)
    .get_result(conn)
    .await
    .optional()
}

/// The account of an open session.
pub async fn account_of_open_session(conn: &mut AsyncPgConnection, session_id: Uuid) -> QueryResult<Option<Account>> {
    let user: Option<Uuid> = sessions::table
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(Utc::now()))
        .select(sessions::user_id)
        .first(conn)
        .await
        .optional()?;
    match user {
        Some(id) => account_by_id(conn, id).await,
        None => Ok(None),
    }
}
