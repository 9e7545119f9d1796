//! Reply templates per category: kept by the office, read by those who draft.

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::audit;
use crate::auth::{Operation, Principal};
use crate::db;
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies::body;
use crate::replies::model::*;
use crate::replies::queries;

fn may_read(principal: &Principal) -> Result<(), AppError> {
    if principal.scope(Operation::ReplyDraft).is_empty() && principal.scope(Operation::ReviewOffice).is_empty() {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    Ok(())
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    category: Option<&str>,
) -> Result<Vec<ReplyTemplate>, AppError> {
    may_read(principal)?;
    Ok(queries::templates(conn, category).await?)
}

pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<ReplyTemplate, AppError> {
    may_read(principal)?;
    queries::template(conn, id).await?.ok_or_else(|| AppError::not_found("template"))
}

/// The checked fields: category, name, cleaned body.
fn check(category: Option<&str>, name: &str, body_md: &str) -> Result<(Option<String>, String, String), AppError> {
    let mut errors = Vec::new();
    let category = text::optional_text("category", category, 50).map_err(|e| errors.push(e)).ok().flatten();
    let name = text::name("name", name, 100).map_err(|e| errors.push(e)).ok();
    let body = match body::clean(body_md) {
        Ok(b) => Some(b.markdown),
        Err(code) => {
            errors.push(FieldError::new("body", code, "a template has text, at most 50,000 characters"));
            None
        }
    };
    match (name, body) {
        (Some(n), Some(b)) if errors.is_empty() => Ok((category, n, b)),
        _ => Err(AppError::validation(errors)),
    }
}

fn name_taken(e: diesel::result::Error) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AppError::conflict("name_taken", "a template has this name already")
        }
        e => e.into(),
    }
}

fn snapshot(t: &ReplyTemplate) -> serde_json::Value {
    json!({"category": t.category, "name": t.name, "body": t.body})
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewReplyTemplate,
) -> Result<ReplyTemplate, AppError> {
    principal.require(Operation::ReviewOffice)?;
    let (category, name, body) = check(new.category.as_deref(), &new.name, &new.body)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let t = queries::insert_template(conn, Uuid::now_v7(), category.as_deref(), &name, &body, principal.user_id)
            .await
            .map_err(name_taken)?;
        audit::record(
            conn,
            &actor,
            "reply_template.create",
            "reply_template",
            &t.id.to_string(),
            None,
            Some(snapshot(&t)),
        )
        .await?;
        Ok(t)
    })
    .await
}

pub async fn edit(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    patch: &ReplyTemplatePatch,
    if_match: &IfMatch,
) -> Result<ReplyTemplate, AppError> {
    principal.require(Operation::ReviewOffice)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = queries::template_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("template"))?;
        if_match.check(before.version)?;
        let (category, name, body) = check(
            patch.category.as_deref().or(before.category.as_deref()),
            patch.name.as_deref().unwrap_or(&before.name),
            patch.body.as_deref().unwrap_or(&before.body),
        )?;
        let after = queries::update_template(conn, id, category.as_deref(), &name, &body).await.map_err(name_taken)?;
        let id = id.to_string();
        audit::record(
            conn,
            &actor,
            "reply_template.edit",
            "reply_template",
            &id,
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )
        .await?;
        Ok(after)
    })
    .await
}
