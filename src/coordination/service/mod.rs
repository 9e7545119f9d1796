//! Coordination operations, one module per capability: opinions (drafting, approval,
//! delivery, waivers) and contacts (recording, reading, the plan of what is owed). Each
//! change writes its audit row and event in its transaction.

pub mod contacts;
pub mod opinions;

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::error::AppError;

/// Records a change: its audit row (before and after) and its event.
async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    entity: (&'static str, Uuid, i32),
    snapshots: (Option<Value>, Value),
    kind: &'static str,
    payload: Value,
) -> Result<(), AppError> {
    let (entity_type, id, version) = entity;
    audit::record(conn, actor, action, entity_type, &id.to_string(), snapshots.0, Some(snapshots.1)).await?;
    audit::emit(conn, &[Event { kind, entity_type, entity_id: id, version: Some(version), payload }]).await?;
    Ok(())
}
