//! Suggestions (建议) and proposals (提案): intake by the office, the municipal system's
//! sync and imports, Chinese full-text search, similar earlier suggestions.

pub mod import;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod search;
pub mod service;
