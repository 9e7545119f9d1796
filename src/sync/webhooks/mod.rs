//! Webhooks: admins subscribe URLs to event types; the worker (`crate::jobs`) turns the
//! feed into deliveries and sends them signed, retrying with backoff, dead-lettering after
//! the last attempt; admins list and redeliver them.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod send;
pub mod service;
