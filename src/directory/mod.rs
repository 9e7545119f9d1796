//! The directory: units (the bureau, its sections, external units), users, and the
//! deputies and members who make suggestions, and the service's settings.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
pub mod settings;
