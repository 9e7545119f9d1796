//! HTTP conventions shared by every domain: request context and problem answers, JSON
//! and xlsx bodies, text fields, ETag/If-Match, Idempotency-Key, cursor pagination, metrics.

pub mod dates;
pub mod download;
pub mod etag;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod pagination;
pub mod ratelimit;
pub mod request_context;
pub mod text;
pub mod xlsx;
