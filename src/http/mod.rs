//! HTTP conventions shared by every domain: request context and problem answers, JSON
//! bodies and text fields, ETag/If-Match, Idempotency-Key, cursor pagination, metrics.

pub mod etag;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod pagination;
pub mod request_context;
pub mod text;
