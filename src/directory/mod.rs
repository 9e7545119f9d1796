//! The directory: units (the bureau, its sections, external units) and users.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
