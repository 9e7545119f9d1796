//! Remote replies: when another unit leads (or splits) a suggestion the bureau co-handles,
//! that unit answers in its own system and the municipal system holds its reply. The sync
//! role — or the office, where no sync job runs — records it here, so that the round has
//! its answer: the assignment is replied, the proposers can evaluate, and the item can be
//! completed. The bureau's own units answer through the reply workflow instead.

use chrono::{NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::assignments::rules::Action;
use crate::audit;
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::{AccessKind, AssignmentState, HandlingRole, UnitKind};
use crate::directory;
use crate::error::AppError;
use crate::http::text;
use crate::replies::model::{NewRemoteReply, RemoteReply};
use crate::replies::queries;

/// Records another unit's reply; `false` when the same reply was recorded already (nothing
/// changes, so that a sync job can repeat the call).
pub async fn record(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewRemoteReply,
    today: NaiveDate,
) -> Result<(RemoteReply, bool), AppError> {
    if !principal.scope(Operation::MarkAcknowledged).all && !principal.scope(Operation::Submit).all {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let mut errors = Vec::new();
    let doc_no = text::name("doc_no", &new.doc_no, 100).map_err(|e| errors.push(e)).ok();
    let remote_ref = text::optional_text("remote_ref", new.remote_ref.as_deref(), 200).map_err(|e| errors.push(e));
    let summary = text::optional_prose("summary", new.summary.as_deref(), 5000).map_err(|e| errors.push(e));
    let replied_on = new.replied_on.get();
    if replied_on > today {
        errors.push(crate::error::FieldError::new("replied_on", "future", "a reply is not made after today"));
    }
    let (Some(doc_no), Ok(remote_ref), Ok(summary), true) = (doc_no, remote_ref, summary, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let a = assignments::queries::for_update(conn, new.assignment_id)
            .await?
            .ok_or_else(|| AppError::field("assignment_id", "not_found", "no such assignment"))?;
        let row = RemoteReply {
            id: Uuid::now_v7(),
            assignment_id: a.id,
            suggestion_id: a.suggestion_id,
            doc_no,
            class: new.class,
            replied_on,
            remote_ref,
            summary,
            recorded_by: principal.user_id,
            recorded_at: Utc::now(),
        };
        if let Some(existing) = queries::remote_reply(conn, a.id).await? {
            let same = (&existing.doc_no, existing.class, existing.replied_on, &existing.remote_ref, &existing.summary)
                == (&row.doc_no, row.class, row.replied_on, &row.remote_ref, &row.summary);
            return if same {
                Ok((existing, false))
            } else {
                Err(AppError::conflict("already_recorded", "another reply is recorded for this assignment"))
            };
        }
        if a.role == HandlingRole::Co {
            return Err(AppError::field(
                "assignment_id",
                "not_answering",
                "a co-handler gives an opinion, not a reply",
            ));
        }
        let unit = directory::queries::unit(conn, a.unit_id).await?.ok_or_else(|| AppError::not_found("unit"))?;
        if unit.kind != UnitKind::External {
            return Err(AppError::conflict("own_unit", "the bureau's own units answer through the reply workflow"));
        }
        if replied_on < a.assigned_on {
            return Err(AppError::field("replied_on", "before_assignment", "a reply comes after the assignment"));
        }
        if a.state != AssignmentState::Replied {
            assignments::service::assigning::complete_by_step(conn, &actor, a.id, Action::ReplyRemotely).await?;
        }
        let r = queries::insert_remote_reply(conn, &row).await?;
        let snap =
            json!({"doc_no": r.doc_no, "class": r.class, "replied_on": r.replied_on, "remote_ref": r.remote_ref});
        let payload = json!({"id": r.id, "assignment_id": r.assignment_id, "suggestion_id": r.suggestion_id,
            "class": r.class, "replied_on": r.replied_on});
        audit::record_with_event(
            conn,
            &actor,
            "remote_reply.record",
            ("remote_reply", r.id, 1),
            (None, snap),
            "remote_reply.recorded",
            payload,
        )
        .await?;
        Ok((r, true))
    })
    .await
}

/// A suggestion's remote replies: for the office, leaders, admins and the sync role; for a
/// unit that handles or co-handles the suggestion.
pub async fn list(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    suggestion_id: Uuid,
) -> Result<Vec<RemoteReply>, AppError> {
    let s = principal.scope(Operation::HandlingRead);
    if s.is_empty() {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let reached = match principal.unit_id {
        _ if s.all || principal.scope(Operation::SupervisionRead).all => true,
        Some(unit) if s.own_unit || s.own_co => {
            crate::auth::access::reaches(conn, unit, &[AccessKind::Unit, AccessKind::Co], suggestion_id).await?
        }
        _ => false,
    };
    if !reached {
        return Err(AppError::not_found("suggestion"));
    }
    Ok(queries::remote_replies_of(conn, suggestion_id).await?)
}
