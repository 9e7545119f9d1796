//! Operations: health, readiness and metrics.

pub mod routes;
