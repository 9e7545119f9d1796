//! Authentication and authorization: tokens, passwords, the `Principal` extractor, the
//! policy of who may do what, and the access to suggestions the steps grant to units.

pub mod access;
pub mod cookie;
pub mod grants;
pub mod model;
pub mod password;
pub mod policy;
pub mod principal;
pub mod queries;
pub mod routes;
pub mod throttle;
pub mod token;

pub use policy::{Operation, Role, Scope};
pub use principal::{Authenticator, Principal};
