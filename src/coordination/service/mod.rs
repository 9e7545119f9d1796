//! Coordination operations, one module per capability: opinions (drafting, approval,
//! delivery, waivers) and contacts (recording, reading, the plan of what is owed). Each
//! change writes its audit row and event in its transaction.

pub mod contacts;
pub mod opinions;

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{self, Actor};
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
    Ok(audit::record_with_event(conn, actor, action, entity, snapshots, kind, payload).await?)
}
