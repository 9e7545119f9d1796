//! Commitments (落实) of B-class replies: promises with due dates, progress, done or
//! explained, and the follow-up letter of a done one.

pub mod model;
pub mod queries;
pub mod routes;
pub mod service;
