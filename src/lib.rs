//! jianyi: the service with which a city bureau handles deputies' suggestions and CPPCC
//! proposals. The flow moves forward: directory → suggestions → assignments → … ; auth,
//! http, db and calendar sit below every domain; supervision and sync read everything.

pub mod app;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod commitments;
pub mod config;
pub mod coordination;
pub mod db;
pub mod demo;
pub mod directory;
pub mod disclosure;
pub mod documents;
pub mod error;
pub mod evaluations;
pub mod http;
pub mod jobs;
pub mod letters;
pub mod logging;
pub mod openapi;
pub mod ops;
pub mod replies;
pub mod server;
pub mod suggestions;
pub mod supervision;
pub mod sync;
