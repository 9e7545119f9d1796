//! Disclosure (政务公开): how each reply is disclosed (public, summary, withheld with a
//! reason), the deputy's consent, publishing within the `publication` deadline; and the
//! public's reads — JSON, an Atom feed and an HTML page — with no sign-in, never a
//! deputy's contact, a confidential name, or withheld or internal text.

pub mod model;
pub mod page;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
