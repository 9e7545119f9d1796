//! The background worker: jobs that run beside the HTTP server, any number of instances
//! at once (each takes its work with `FOR UPDATE SKIP LOCKED`), stopping cleanly.

pub mod webhooks;
