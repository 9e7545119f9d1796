//! `Idempotency-Key` on creating requests: a retry with the same key and body replays the
//! first answer; the same key with another body is a 422; while the first request is still
//! running, a retry gets 409. The stored answer is written in the same transaction as the
//! creation, so an acknowledged creation is never repeated. Keys live 24 hours.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::idempotency_keys;
use crate::error::AppError;
use crate::http::etag::tagged;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long an answer is kept for replay.
pub const KEY_LIFETIME_HOURS: i64 = 24;

/// The client's `Idempotency-Key`, if sent (1 to 255 visible ASCII characters).
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let valid =
            value.to_str().ok().filter(|v| !v.is_empty() && v.len() <= 255 && v.bytes().all(|b| b.is_ascii_graphic()));
        ready(match valid {
            Some(v) => Ok(IdempotencyKey(Some(v.to_string()))),
            None => Err(AppError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )),
        })
    }
}

/// The header in the spec: 1 to 255 visible ASCII characters.
impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[!-~]+$"));
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(utoipa::openapi::Required::False)
                .description(Some("Makes a retry safe: the same key and body replay the first answer"))
                .schema(Some(schema))
                .build(),
        ]
    }
}

/// The answer to a creating request, as stored for replays.
#[derive(Debug, Clone)]
pub struct Created {
    pub status: StatusCode,
    pub body: Value,
    pub location: Option<String>,
    pub version: Option<i32>,
    /// What a replay answers, when it must differ from the first answer (a one-time
    /// secret is shown once and never stored).
    pub replay_body: Option<Value>,
}

impl Created {
    /// 201 with `Location` and `ETag`.
    pub fn new(location: String, version: i32, body: &impl Serialize) -> Self {
        Self {
            status: StatusCode::CREATED,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
            location: Some(location),
            version: Some(version),
            replay_body: None,
        }
    }

    /// Stores `body` for replays instead of the first answer.
    pub fn replayed_as(mut self, body: &impl Serialize) -> Self {
        self.replay_body = serde_json::to_value(body).ok();
        self
    }

    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(location) = &self.location {
            res.insert_header((header::LOCATION, location.as_str()));
        }
        if replayed {
            res.insert_header((IDEMPOTENT_REPLAYED, "true"));
        }
        match self.version {
            Some(version) => tagged(&mut res, version, &self.body),
            None => res.json(self.body),
        }
    }
}

#[derive(Queryable)]
struct Stored {
    request_hash: Vec<u8>,
    status: i16,
    body: Value,
    location: Option<String>,
    etag: Option<String>,
    created_at: DateTime<Utc>,
}

/// Runs a creation once per key: `create` runs inside a transaction together with the
/// stored answer. Without a key it simply runs in a transaction.
pub async fn create_once(
    conn: &mut AsyncPgConnection,
    principal_id: Uuid,
    key: &IdempotencyKey,
    route: &str,
    request: &impl Serialize,
    create: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<Created, AppError>,
) -> Result<HttpResponse, AppError> {
    let Some(key) = key.0.as_deref() else {
        return crate::db::transaction(conn, create).await.map(|c| c.into_response(false));
    };
    let request_hash = fingerprint(route, request);
    crate::db::transaction(conn, async |conn| {
        let lock: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "pg_try_advisory_xact_lock({})",
            lock_id(principal_id, key)
        )))
        .get_result(conn)
        .await?;
        if !lock {
            return Err(AppError::conflict(
                "idempotency_in_flight",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            ));
        }
        let stored: Option<Stored> = idempotency_keys::table
            .filter(idempotency_keys::principal_id.eq(principal_id))
            .filter(idempotency_keys::key.eq(key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status,
                idempotency_keys::body,
                idempotency_keys::location,
                idempotency_keys::etag,
                idempotency_keys::created_at,
            ))
            .first(conn)
            .await
            .optional()?;
        let fresh = |s: &Stored| s.created_at > Utc::now() - chrono::Duration::hours(KEY_LIFETIME_HOURS);
        if let Some(stored) = stored.filter(fresh) {
            if stored.request_hash != request_hash {
                return Err(AppError::unprocessable(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                ));
            }
            let created = Created {
                status: StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::CREATED),
                body: stored.body,
                location: stored.location,
                version: stored.etag.and_then(|e| e.trim_matches('"').parse().ok()),
                replay_body: None,
            };
            return Ok(created.into_response(true));
        }
        let created = create(conn).await?;
        let row = (
            idempotency_keys::principal_id.eq(principal_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(&request_hash),
            idempotency_keys::status.eq(created.status.as_u16() as i16),
            idempotency_keys::body.eq(created.replay_body.as_ref().unwrap_or(&created.body)),
            idempotency_keys::location.eq(&created.location),
            idempotency_keys::etag.eq(created.version.map(|v| format!("\"{v}\""))),
            idempotency_keys::created_at.eq(Utc::now()),
        );
        diesel::insert_into(idempotency_keys::table)
            .values(row.clone())
            .on_conflict((idempotency_keys::principal_id, idempotency_keys::key))
            .do_update()
            .set(row)
            .execute(conn)
            .await?;
        Ok(created.into_response(false))
    })
    .await
}

/// Deletes answers older than their lifetime; returns how many.
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(Utc::now() - chrono::Duration::hours(KEY_LIFETIME_HOURS))),
    )
    .execute(conn)
    .await
}

fn fingerprint(route: &str, request: &impl Serialize) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update(b"\n");
    hash.update(serde_json::to_vec(request).unwrap_or_default());
    hash.finalize().to_vec()
}

/// The 64-bit advisory lock held while a request with this key runs.
pub fn lock_id(principal_id: Uuid, key: &str) -> i64 {
    let mut hash = Sha256::new();
    hash.update(principal_id.as_bytes());
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_route_and_body() {
        let a = fingerprint("POST /a", &serde_json::json!({"name": "办公室"}));
        assert_eq!(a, fingerprint("POST /a", &serde_json::json!({"name": "办公室"})));
        assert_ne!(a, fingerprint("POST /b", &serde_json::json!({"name": "办公室"})));
        assert_ne!(a, fingerprint("POST /a", &serde_json::json!({"name": "耕地保护科"})));
    }

    #[test]
    fn lock_ids_are_per_principal_and_key() {
        let p = Uuid::nil();
        assert_eq!(lock_id(p, "k"), lock_id(p, "k"));
        assert_ne!(lock_id(p, "k"), lock_id(p, "l"));
        assert_ne!(lock_id(p, "k"), lock_id(Uuid::from_u128(1), "k"));
    }
}
