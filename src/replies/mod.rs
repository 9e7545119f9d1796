//! Replies (答复): drafts kept as revisions, sign-off by the co-handlers (会签), the
//! three-level review (section head, office, leader), the formal letter as DOCX and PDF,
//! and the signed and sealed scan as the final version. Reply templates per category.

pub mod body;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod service;
