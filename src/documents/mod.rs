//! Documents (附件): the files every later step attaches — opinions, contacts, replies, the
//! signed letter — streamed to a local folder or an S3-compatible store, typed by their
//! content, checksummed on the way, downloaded with ranges, swept when no row points at
//! them.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
pub mod store;
