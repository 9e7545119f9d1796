//! Integration: the events feed over the outbox (`GET /api/v1/events`, long-polled). It
//! reads what every step wrote, and nothing depends on it.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
pub mod wakeups;
pub mod webhooks;
