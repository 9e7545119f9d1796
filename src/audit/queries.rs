//! Writing and reading the audit log.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::audit::model::{Actor, AuditEntry, AuditFilter};
use crate::db::schema::audit_log;
use crate::http::request_context;

/// Records one change; call it inside the transaction of the change.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.id),
            audit_log::actor_name.eq(&actor.name),
            audit_log::action.eq(action),
            audit_log::entity_type.eq(entity_type),
            audit_log::entity_id.eq(entity_id),
            audit_log::before.eq(before),
            audit_log::after.eq(after),
            audit_log::request_id.eq(request_context::current_id()),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// One change, for recording many at once (imports).
#[derive(Debug, Clone)]
pub struct Change {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records many changes by one actor, a few thousand per statement (PostgreSQL takes at
/// most 65,535 parameters in one).
pub async fn record_many(conn: &mut AsyncPgConnection, actor: &Actor, changes: &[Change]) -> QueryResult<()> {
    let request_id = request_context::current_id();
    for chunk in changes.chunks(4000) {
        record_chunk(conn, actor, chunk, &request_id).await?;
    }
    Ok(())
}

async fn record_chunk(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    changes: &[Change],
    request_id: &Option<String>,
) -> QueryResult<()> {
    let rows: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                audit_log::actor_id.eq(actor.id),
                audit_log::actor_name.eq(&actor.name),
                audit_log::action.eq(c.action),
                audit_log::entity_type.eq(c.entity_type),
                audit_log::entity_id.eq(&c.entity_id),
                audit_log::before.eq(&c.before),
                audit_log::after.eq(&c.after),
                audit_log::request_id.eq(request_id),
            )
        })
        .collect();
    diesel::insert_into(audit_log::table).values(rows).execute(conn).await.map(|_| ())
}

/// A page of entries, newest first, after the entry `after_id`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &AuditFilter,
    after_id: Option<i64>,
    fetch: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut q = audit_log::table.select(AuditEntry::as_select()).into_boxed();
    if let Some(v) = filter.entity_type.as_deref() {
        q = q.filter(audit_log::entity_type.eq(v));
    }
    if let Some(v) = filter.entity_id.as_deref() {
        q = q.filter(audit_log::entity_id.eq(v));
    }
    if let Some(v) = filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(v));
    }
    if let Some(v) = filter.action.as_deref() {
        q = q.filter(audit_log::action.eq(v));
    }
    if let Some(v) = filter.since {
        q = q.filter(audit_log::at.ge(v.get()));
    }
    if let Some(v) = filter.until {
        q = q.filter(audit_log::at.lt(v.get()));
    }
    if let Some(v) = filter.request_id.as_deref() {
        q = q.filter(audit_log::request_id.eq(v));
    }
    if let Some(id) = after_id {
        q = q.filter(audit_log::id.lt(id));
    }
    q.order(audit_log::id.desc()).limit(fetch).load(conn).await
}
