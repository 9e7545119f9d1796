//! Assignment (交办): suggestions given to units as lead, split or co, with due dates from
//! the deadline rules and the working-day calendar; sign-in, disputes, extensions,
//! reminders, the due-state job, and the year's task assignment table.

pub mod due_dates;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
pub mod table;
