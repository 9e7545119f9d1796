//! Evaluations (评价) of each round by each proposer, re-handling after an unsatisfied
//! one, and completion (办结) with its basis.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
