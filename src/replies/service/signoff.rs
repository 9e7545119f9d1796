//! Sign-off (会签): the lead sends its current revision to each co-handling unit; each
//! agrees or returns comments on that revision; a disagreement the lead cannot resolve is
//! escalated to the office, which settles it. A co-handler reads only the revisions it was
//! asked to sign — nothing else of the lead's work.

use std::collections::HashSet;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::SignoffState;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies::model::*;
use crate::replies::queries::{self, NewSignoffRow, SignoffChanges};
use crate::replies::rules::{self, ReplyAction};
use crate::replies::service::drafting::locked_own;
use crate::replies::service::{co_handlers, drafts_for, illegal, record};

async fn record_signoff(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&SignoffRow>,
    after: &SignoffRow,
    kind: &'static str,
) -> Result<(), AppError> {
    let snap = |s: &SignoffRow| json!({"state": s.state, "revision": s.revision, "comment": s.comment, "settle_note": s.settle_note});
    let payload = json!({
        "id": after.id, "reply_id": after.reply_id, "revision": after.revision, "unit_id": after.unit_id,
        "assignment_id": after.assignment_id, "state": after.state, "version": after.version,
    });
    let snaps = (before.map(snap), snap(after));
    Ok(audit::record_with_event(conn, actor, action, ("reply_signoff", after.id, after.version), snaps, kind, payload)
        .await?)
}

/// Asks every co-handling unit of the round that has no live request to sign off the
/// current revision.
pub async fn request(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    reply_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked_own(conn, principal, reply_id, if_match).await?;
        let to = rules::next(before.state, ReplyAction::RequestSignoff).ok_or_else(|| illegal(before.state))?;
        let co: Vec<(Uuid, Uuid)> = co_handlers(conn, before.suggestion_id, before.round)
            .await?
            .into_iter()
            .map(|c| (c.assignment_id, c.unit_id))
            .collect();
        if co.is_empty() {
            return Err(AppError::conflict("no_co_handlers", "the suggestion has no co-handling unit to sign off"));
        }
        let live: HashSet<Uuid> =
            queries::live_signoffs(conn, &[reply_id]).await?.into_iter().map(|s| s.assignment_id).collect();
        let rows: Vec<NewSignoffRow> = co
            .iter()
            .filter(|(a, _)| !live.contains(a))
            .map(|(a, u)| NewSignoffRow {
                id: Uuid::now_v7(),
                reply_id,
                revision: before.revision,
                assignment_id: *a,
                unit_id: *u,
                requested_by: principal.user_id,
            })
            .collect();
        if rows.is_empty() {
            return Err(AppError::conflict("already_asked", "every co-handling unit is asked about this revision"));
        }
        let asked = queries::insert_signoffs(conn, &rows).await?;
        let after = queries::move_reply(conn, reply_id, to, &Default::default()).await?;
        let units: Vec<Uuid> = asked.iter().map(|s| s.unit_id).collect();
        record(
            conn,
            &actor,
            "reply.request_signoff",
            Some(&before),
            &after,
            "reply.signoff_requested",
            json!({"units": units}),
        )
        .await
    })
    .await
}

/// Locks a sign-off and its reply (the reply first, as a revision does).
async fn locked(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(ReplyRow, SignoffRow), AppError> {
    let s = queries::signoff(conn, id).await?.ok_or_else(|| AppError::not_found("sign-off"))?;
    let reply = queries::for_update(conn, s.reply_id).await?.ok_or_else(|| AppError::not_found("sign-off"))?;
    let s = queries::signoff_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("sign-off"))?;
    Ok((reply, s))
}

fn not_now(s: &SignoffRow, what: &str) -> AppError {
    AppError::conflict("illegal_transition", format!("the sign-off is {}: it cannot be {what}", s.state.as_str()))
        .with_extra("state", s.state.as_str())
}

/// The co-handling unit agrees, or disagrees with comments, on the revision it was asked.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    a: &SignoffAnswer,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::SignOff)?;
    let comment =
        text::optional_prose("comment", a.comment.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    if a.decision == SignoffDecision::Disagree && comment.is_none() {
        return Err(AppError::field("comment", "required", "a disagreement says what to change"));
    }
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let (_, before) = locked(conn, id).await?;
        if Some(before.unit_id) != principal.unit_id {
            return Err(AppError::not_found("sign-off"));
        }
        if_match.check(before.version)?;
        if before.state != SignoffState::Pending {
            return Err(not_now(&before, "answered"));
        }
        let (state, kind) = match a.decision {
            SignoffDecision::Agree => (SignoffState::Agreed, "reply.signoff_agreed"),
            SignoffDecision::Disagree => (SignoffState::Disagreed, "reply.signoff_disagreed"),
        };
        let changes = SignoffChanges {
            comment: comment.as_deref(),
            answered_by: Some(principal.user_id),
            answered_at: Some(Utc::now()),
            ..Default::default()
        };
        let after = queries::move_signoff(conn, id, state, &changes).await?;
        record_signoff(conn, &actor, "reply_signoff.answer", Some(&before), &after, kind).await
    })
    .await
}

/// The lead asks the office to settle a disagreement it cannot resolve.
pub async fn escalate(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let (reply, before) = locked(conn, id).await?;
        if !drafts_for(principal, reply.unit_id, reply.section_id) {
            return Err(AppError::not_found("sign-off"));
        }
        if_match.check(before.version)?;
        if before.state != SignoffState::Disagreed {
            return Err(not_now(&before, "escalated"));
        }
        let after = queries::move_signoff(conn, id, SignoffState::Escalated, &Default::default()).await?;
        record_signoff(conn, &actor, "reply_signoff.escalate", Some(&before), &after, "reply.signoff_escalated").await
    })
    .await
}

/// The office settles an escalated disagreement: the revision goes ahead.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    s: &Settlement,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReviewOffice)?;
    let note = text::optional_prose("note", Some(&s.note), 2000)
        .map_err(|e| AppError::validation(vec![e]))?
        .ok_or_else(|| AppError::field("note", "required", "a settlement says what was decided"))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let (_, before) = locked(conn, id).await?;
        if_match.check(before.version)?;
        if before.state != SignoffState::Escalated {
            return Err(not_now(&before, "settled"));
        }
        let changes = SignoffChanges {
            settled_by: Some(principal.user_id),
            settled_at: Some(Utc::now()),
            settle_note: Some(&note),
            ..Default::default()
        };
        let after = queries::move_signoff(conn, id, SignoffState::Settled, &changes).await?;
        record_signoff(conn, &actor, "reply_signoff.settle", Some(&before), &after, "reply.signoff_settled").await
    })
    .await
}

/// Sign-offs with the revisions they were asked about (two queries).
async fn with_content(conn: &mut AsyncPgConnection, rows: Vec<SignoffRow>) -> Result<Vec<Signoff>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.reply_id).collect();
    let revisions = queries::revisions_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let content = revisions
                .iter()
                .find(|r| r.reply_id == s.reply_id && r.revision == s.revision)
                .cloned()
                .map(Revision::from);
            Signoff::new(s, content)
        })
        .collect())
}

/// The caller's unit's sign-off requests, newest first, each with the revision asked.
pub async fn mine(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    state: Option<SignoffState>,
) -> Result<Vec<Signoff>, AppError> {
    principal.require(Operation::SignOff)?;
    let unit = principal.unit_id.ok_or_else(|| AppError::forbidden("sign-offs are a unit's"))?;
    let rows = queries::signoffs_of_unit(conn, unit, state).await?;
    with_content(conn, rows).await
}

/// One sign-off: for its co-handling unit, the lead's drafters and the office.
pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Signoff, AppError> {
    if [Operation::SignOff, Operation::ReplyRead, Operation::ReviewOffice]
        .iter()
        .all(|op| principal.scope(*op).is_empty())
    {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let s = queries::signoff(conn, id).await?.ok_or_else(|| AppError::not_found("sign-off"))?;
    let own = !principal.scope(Operation::SignOff).is_empty() && Some(s.unit_id) == principal.unit_id;
    let office = principal.scope(Operation::ReviewOffice).all;
    let lead =
        match queries::reply(conn, s.reply_id, queries::ReplyScope { unit: principal.unit_id, ..Default::default() })
            .await?
        {
            Some(r) => drafts_for(principal, r.unit_id, r.section_id) || principal.scope(Operation::ReplyRead).own_unit,
            None => false,
        };
    if !(own || office || lead) {
        return Err(AppError::not_found("sign-off"));
    }
    Ok(with_content(conn, vec![s]).await?.remove(0))
}
