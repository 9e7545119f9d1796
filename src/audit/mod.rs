//! The append-only audit log and the outbox of events: every mutation writes its audit
//! row (and, for the workflow's entities, its event) in the same transaction.

pub mod events;
pub mod model;
pub mod queries;
pub mod routes;

pub use events::{Event, emit};
pub use model::Actor;
pub use queries::{Change, record, record_many};
