//! Integration tests: the real HTTP application against real PostgreSQL, one module per
//! capability.

mod support;

mod assignments;
mod audit;
mod auth;
mod commitments;
mod conventions;
mod coordination;
mod dashboard;
mod demo;
mod deputies;
mod directory;
mod disclosure;
mod documents;
mod evaluations;
mod matrix;
mod openapi;
mod ops;
mod replies;
mod schema;
mod suggestions;
mod supervision;
mod sync;
mod webhooks;
