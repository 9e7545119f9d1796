//! The append-only audit log: every mutation writes a row in the same transaction.

pub mod model;
pub mod queries;
pub mod routes;

pub use model::Actor;
pub use queries::record;
