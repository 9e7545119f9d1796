//! Extensions: a unit asks for more time; the office approves — up to the rule's cap,
//! recording what the deputy was told (办理延期须向代表说明) — or refuses.

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::model::{Extension, ExtensionDecision, NewExtension};
use crate::assignments::queries;
use crate::assignments::service::{due_states, event, illegal, locked, record_change};
use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::ExtensionStatus;
use crate::error::{AppError, FieldError, OnConstraint};
use crate::http::dates::Day;
use crate::http::etag::IfMatch;
use crate::http::text;

/// The unit asks for more time.
pub async fn request_extension(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    new: &NewExtension,
) -> Result<Extension, AppError> {
    let reason = text::name("reason", &new.reason, 2000).map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let row = locked(conn, principal, Operation::AssignmentRespond, id, None).await?;
        if !row.state.is_open() {
            return Err(illegal(row.state, vec![]));
        }
        let requested_until = new.requested_until.get();
        if requested_until <= row.due_on {
            return Err(AppError::field(
                "requested_until",
                "not_later",
                format!("later than the current due date {}", row.due_on),
            ));
        }
        let ext = queries::insert_extension(
            conn,
            &Extension {
                id: Uuid::now_v7(),
                assignment_id: id,
                reason: reason.clone(),
                requested_until,
                requested_by: principal.user_id,
                requested_at: chrono::Utc::now(),
                status: ExtensionStatus::Pending,
                approved_until: None,
                explanation: None,
                explained_on: None,
                decided_by: None,
                decided_at: None,
                decision_note: None,
                version: 1,
            },
        )
        .await
        .on_constraint(queries::ONE_PENDING_EXTENSION, || {
            AppError::conflict("extension_pending", "an extension request is already pending")
        })?;
        let after = json!({"extension": ext.id, "reason": reason, "requested_until": ext.requested_until});
        audit::record(conn, &actor, "assignment.extension_request", "assignment", &id.to_string(), None, Some(after))
            .await?;
        audit::emit(
            conn,
            &[event(
                "extension.requested",
                &row,
                json!({"extension_id": ext.id, "requested_until": ext.requested_until}),
            )],
        )
        .await?;
        Ok(ext)
    })
    .await
}

/// The office approves (up to the rule's cap, with the explanation given to the deputy) or
/// refuses an extension.
pub async fn decide_extension(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    decided_by: Uuid,
    extension_id: Uuid,
    if_match: &IfMatch,
    d: &ExtensionDecision,
) -> Result<Extension, AppError> {
    let note = text::optional_prose("note", d.note.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    let explanation = text::optional_prose("explanation", d.explanation.as_deref(), 2000)
        .map_err(|e| AppError::validation(vec![e]))?;
    db::transaction(conn, async |conn| {
        let ext =
            queries::extension_for_update(conn, extension_id).await?.ok_or_else(|| AppError::not_found("extension"))?;
        if_match.check(ext.version)?;
        if ext.status != ExtensionStatus::Pending {
            return Err(AppError::conflict("already_decided", format!("the extension was {} already", ext.status)));
        }
        let row =
            queries::for_update(conn, ext.assignment_id).await?.ok_or_else(|| AppError::not_found("assignment"))?;
        if !d.approve {
            let outcome = queries::ExtensionOutcome {
                status: ExtensionStatus::Refused,
                approved_until: None,
                explanation: None,
                explained_on: None,
                note: note.as_deref(),
                by: decided_by,
            };
            let decided = queries::decide_extension(conn, extension_id, outcome).await?;
            audit::record(
                conn,
                actor,
                "extension.refuse",
                "extension",
                &extension_id.to_string(),
                None,
                Some(json!({"status": "refused"})),
            )
            .await?;
            audit::emit(conn, &[event("extension.refused", &row, json!({"extension_id": extension_id}))]).await?;
            return Ok(decided);
        }
        let until = d.approved_until.map_or(ext.requested_until, Day::get);
        let mut errors = Vec::new();
        if explanation.is_none() {
            errors.push(FieldError::new("explanation", "required", "what the deputy was told about the delay"));
        }
        if d.explained_on.is_none() {
            errors.push(FieldError::new("explained_on", "required", "when the deputy was told"));
        }
        if until <= row.due_on {
            errors.push(FieldError::new(
                "approved_until",
                "not_later",
                format!("later than the current due date {}", row.due_on),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let dates = due_states::dates_of(conn, &row).await?;
        match dates.due.extension_limit {
            Some(limit) if until <= limit => {}
            limit => {
                return Err(AppError::unprocessable(
                    "beyond_extension_cap",
                    match limit {
                        Some(l) => format!("the rule allows extensions up to {l}"),
                        None => "the rule allows no extension".into(),
                    },
                )
                .with_extra("limit", limit.map(|l| l.to_string())));
            }
        }
        let outcome = queries::ExtensionOutcome {
            status: ExtensionStatus::Approved,
            approved_until: Some(until),
            explanation: explanation.as_deref(),
            explained_on: d.explained_on.map(Day::get),
            note: note.as_deref(),
            by: decided_by,
        };
        let decided = queries::decide_extension(conn, extension_id, outcome).await?;
        let after = queries::set_due(conn, row.id, row.rule_due_on, Some(until), until.max(row.rule_due_on)).await?;
        let extra = json!({"extension_id": extension_id, "extended_to": until});
        record_change(conn, actor, "extension.approve", &row, &after, "extension.approved", extra).await?;
        Ok(decided)
    })
    .await
}
