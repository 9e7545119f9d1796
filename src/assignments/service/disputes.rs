//! Disputes (交办异议): a unit asks, within the dispute window, to be reassigned; the office
//! reassigns the item or refuses, and until then the unit keeps it.

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::model::{Dispute, DisputeDecision, NewAssignments, NewDispute};
use crate::assignments::queries;
use crate::assignments::rules::{self, Action};
use crate::assignments::service::{
    assigning, event, illegal, locked, record_change, snapshot, update_suggestion_status,
};
use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal, access};
use crate::db;
use crate::db::enums::{AssignmentState, DisputeStatus};
use crate::directory;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;

/// The unit asks to be reassigned, within the dispute window.
pub async fn dispute(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
    new: &NewDispute,
    today: NaiveDate,
) -> Result<Dispute, AppError> {
    let reason = text::name("reason", &new.reason, 2000).map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked(conn, principal, Operation::AssignmentRespond, id, Some(if_match)).await?;
        let state = before.state;
        let to = rules::next(state, Action::Dispute, before.role, None).map_err(|allowed| illegal(state, allowed))?;
        match before.dispute_until {
            Some(until) if today <= until => {}
            until => {
                return Err(AppError::unprocessable(
                    "dispute_window_closed",
                    "the window to dispute this assignment has closed; the unit keeps the item",
                )
                .with_extra("dispute_until", until.map(|d| d.to_string())));
            }
        }
        if let Some(u) = new.suggested_unit_id
            && directory::queries::unit(conn, u).await?.is_none()
        {
            return Err(AppError::field("suggested_unit_id", "unknown_reference", "no such unit"));
        }
        let dispute = queries::insert_dispute(
            conn,
            &Dispute {
                id: Uuid::now_v7(),
                assignment_id: id,
                reason: reason.clone(),
                suggested_unit_id: new.suggested_unit_id,
                requested_by: principal.user_id,
                requested_at: chrono::Utc::now(),
                status: DisputeStatus::Pending,
                decided_by: None,
                decided_at: None,
                decision_note: None,
                state_before: state,
                version: 1,
            },
        )
        .await?;
        let after = queries::set_state(conn, id, to).await?;
        audit::record(
            conn,
            &actor,
            "assignment.dispute",
            "assignment",
            &id.to_string(),
            Some(snapshot(&before)),
            Some(json!({"dispute": dispute.id, "reason": reason, "state": after.state})),
        )
        .await?;
        audit::emit(conn, &[event("assignment.disputed", &after, json!({"dispute_id": dispute.id}))]).await?;
        update_suggestion_status(conn, &actor, after.suggestion_id).await?;
        Ok(dispute)
    })
    .await
}

/// The office accepts a dispute (and reassigns) or refuses it (the unit keeps the item).
pub async fn decide_dispute(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    decided_by: Uuid,
    dispute_id: Uuid,
    if_match: &IfMatch,
    decision: &DisputeDecision,
    today: NaiveDate,
) -> Result<Dispute, AppError> {
    let note =
        text::optional_prose("note", decision.note.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    db::transaction(conn, async |conn| {
        let d = queries::dispute_for_update(conn, dispute_id).await?.ok_or_else(|| AppError::not_found("dispute"))?;
        if_match.check(d.version)?;
        if d.status != DisputeStatus::Pending {
            return Err(AppError::conflict("already_decided", format!("the dispute was {} already", d.status)));
        }
        let row = queries::for_update(conn, d.assignment_id).await?.ok_or_else(|| AppError::not_found("assignment"))?;
        let (state, role) = (row.state, row.role);
        let action = if decision.accept { Action::AcceptDispute } else { Action::RefuseDispute };
        let to = rules::next(state, action, role, Some(d.state_before)).map_err(|allowed| illegal(state, allowed))?;
        let status = if decision.accept { DisputeStatus::Accepted } else { DisputeStatus::Refused };
        let decided = queries::decide_dispute(conn, dispute_id, status, decided_by, note.as_deref()).await?;
        if decision.accept {
            let to_unit = decision
                .reassign_to
                .clone()
                .ok_or_else(|| AppError::field("reassign_to", "required", "name the unit that takes the item over"))?;
            if to_unit.role != role {
                return Err(AppError::field("reassign_to.role", "invalid", "the new unit takes over the same role"));
            }
            // The old assignment leaves the round (and its unit the suggestion) before the new
            // one joins it.
            queries::set_state(conn, row.id, AssignmentState::Reassigned).await?;
            access::withdraw(conn, &[row.id]).await?;
            let new = NewAssignments {
                suggestion_id: row.suggestion_id,
                assigned_on: None,
                round: Some(row.round),
                units: vec![to_unit],
                supervisor_id: None,
            };
            let ids = assigning::assign(conn, actor, &new, today).await?;
            let after = queries::mark_reassigned(conn, row.id, ids[0]).await?;
            let extra = json!({"reassigned_to": ids[0], "dispute_id": dispute_id});
            record_change(conn, actor, "assignment.reassign", &row, &after, "assignment.reassigned", extra).await?;
        } else {
            let after = queries::set_state(conn, row.id, to).await?;
            let extra = json!({"dispute_id": dispute_id});
            let refused = "assignment.dispute_refused";
            record_change(conn, actor, refused, &row, &after, refused, extra).await?;
        }
        update_suggestion_status(conn, actor, row.suggestion_id).await?;
        Ok(decided)
    })
    .await
}
