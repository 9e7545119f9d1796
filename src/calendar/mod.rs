//! The working-day calendar and the deadline rules: the listed days (public holidays, 调休
//! working weekends) and the rules due dates are counted by, their administration, and the
//! pure arithmetic of working days and deadlines that explain themselves.

pub mod days;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;

pub use days::{Calendar, Clock, DayKind, DueState, NotedDay, NotedKind, SpecialDay, Today, add_months};
