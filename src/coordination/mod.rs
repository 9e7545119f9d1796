//! Coordination (协调): co-handling opinions (协办意见) — the bureau's own through its
//! section head and the office to a recorded delivery, an external unit's straight to the
//! lead — the office's waiver of a missing one, and contacts with deputies (沟通记录)
//! with the contacts each handling owes under the rules.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
