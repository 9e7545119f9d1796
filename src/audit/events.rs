//! The outbox: one `events` row per change, written in the change's transaction, for the
//! events feed, webhooks and the municipal system to read.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::events;

/// An event to write.
#[derive(Debug, Clone)]
pub struct Event {
    /// `<entity>.<what happened>`, e.g. `suggestion.created`.
    pub kind: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub version: Option<i32>,
    /// What a reader needs; never personal data.
    pub payload: Value,
}

/// Writes events (in one statement); call inside the change's transaction.
pub async fn emit(conn: &mut AsyncPgConnection, batch: &[Event]) -> QueryResult<()> {
    // PostgreSQL takes at most 65,535 parameters in one statement.
    for chunk in batch.chunks(5000) {
        emit_chunk(conn, chunk).await?;
    }
    Ok(())
}

async fn emit_chunk(conn: &mut AsyncPgConnection, batch: &[Event]) -> QueryResult<()> {
    let rows: Vec<_> = batch
        .iter()
        .map(|e| {
            (
                events::type_.eq(e.kind),
                events::entity_type.eq(e.entity_type),
                events::entity_id.eq(e.entity_id),
                events::version.eq(e.version),
                events::payload.eq(&e.payload),
            )
        })
        .collect();
    diesel::insert_into(events::table).values(rows).execute(conn).await.map(|_| ())
}
