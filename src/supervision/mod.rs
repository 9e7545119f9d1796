//! Supervision (督办): statistics with their numerators and the annual report drafted from
//! the data. It reads every step, and no step depends on it.

pub mod charts;
pub mod dashboard;
pub mod export;
pub mod model;
pub mod page;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
