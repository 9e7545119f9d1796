//! The append-only audit log and the outbox of events: every mutation writes its audit
//! row (and, for the workflow's entities, its event) in the same transaction.

pub mod events;
pub mod model;
pub mod queries;
pub mod routes;

pub use events::{Event, emit};
pub use model::Actor;
pub use queries::{Change, record, record_many};

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use uuid::Uuid;

/// Records one change of a workflow entity: its audit row (before and after) and its
/// event, in the caller's transaction.
pub async fn record_with_event(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    entity: (&'static str, Uuid, i32),
    snapshots: (Option<Value>, Value),
    kind: &'static str,
    payload: Value,
) -> diesel::QueryResult<()> {
    let (entity_type, id, version) = entity;
    record(conn, actor, action, entity_type, &id.to_string(), snapshots.0, Some(snapshots.1)).await?;
    emit(conn, &[Event { kind, entity_type, entity_id: id, version: Some(version), payload }]).await
}
