//! The review: the section sends its draft (every co-handler signed off, a class set);
//! the section head checks the substance, the office the format (and may change the
//! class, with a reason; it needs every co-handling opinion given or waived and the
//! pre-handling contact), the responsible leader the direction and signs. A return goes
//! back to the draft with comments. Nobody approves their own draft. The office then
//! attaches the signed and sealed scan, which answers the assignment.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::assignments::rules::Action;
use crate::auth::{Operation, Principal};
use crate::coordination;
use crate::db;
use crate::db::enums::{AssignmentState, Decision, DocNoKind, HandlingRole, ReplyStage, ReplyState};
use crate::directory;
use crate::documents;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies::model::*;
use crate::replies::queries::{self, NewDecisionRow, ReplyChanges};
use crate::replies::rules::{self, ReplyAction};
use crate::replies::service::drafting::locked_own;
use crate::replies::service::{co_handlers, illegal, reader, record};

/// The co-handling units of the reply's round that have not signed off its current
/// revision.
async fn signoff_gaps(conn: &mut AsyncPgConnection, reply: &ReplyRow) -> Result<Vec<String>, AppError> {
    let co: Vec<(Uuid, String)> = co_handlers(conn, reply.suggestion_id, reply.round)
        .await?
        .into_iter()
        .map(|c| (c.assignment_id, c.name))
        .collect();
    let ids: Vec<Uuid> = co.iter().map(|c| c.0).collect();
    let live: Vec<_> = queries::live_signoffs(conn, &[reply.id])
        .await?
        .into_iter()
        .map(|s| (s.assignment_id, s.state, s.revision))
        .collect();
    let gaps = rules::signoff_gaps(&ids, &live, reply.revision);
    Ok(co.into_iter().filter(|(a, _)| gaps.contains(a)).map(|(_, n)| n).collect())
}

/// The section sends its draft to the section head's review.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked_own(conn, principal, id, if_match).await?;
        let to = rules::next(before.state, ReplyAction::Submit).ok_or_else(|| illegal(before.state))?;
        let current =
            queries::revision(conn, id, before.revision).await?.ok_or_else(|| AppError::internal("no revision"))?;
        if current.class.is_none() {
            return Err(AppError::field("class", "required", "the reply's class is set before review"));
        }
        let a = assignments::queries::for_update(conn, before.assignment_id)
            .await?
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if a.role == HandlingRole::Lead {
            let missing = signoff_gaps(conn, &before).await?;
            if !missing.is_empty() {
                return Err(AppError::conflict(
                    "signoff_missing",
                    format!("revision {} is not signed off by {}", before.revision, missing.join(", ")),
                )
                .with_extra("units", missing));
            }
        }
        let changes =
            ReplyChanges { submitted_at: Some(before.submitted_at.unwrap_or_else(Utc::now)), ..Default::default() };
        let after = queries::move_reply(conn, id, to, &changes).await?;
        record(conn, &actor, "reply.submit", Some(&before), &after, "reply.submitted", json!({})).await
    })
    .await
}

/// Whether the caller decides at this stage of this reply.
fn decides(principal: &Principal, stage: ReplyStage, reply: &ReplyRow, leader_id: Option<Uuid>) -> bool {
    match stage {
        ReplyStage::Section => {
            principal.scope(Operation::ReviewSection).own_unit
                && principal
                    .unit_id
                    .is_some_and(|u| Some(u) == reply.section_id || (reply.section_id.is_none() && u == reply.unit_id))
        }
        ReplyStage::Office => principal.scope(Operation::ReviewOffice).all,
        ReplyStage::Leader => {
            let s = principal.scope(Operation::ReviewLeader);
            (s.all || s.responsible) && (principal.head || leader_id == Some(principal.user_id))
        }
    }
}

/// The office review's checks: every co-handling opinion given or waived, and the
/// pre-handling contact when the settings ask for it.
async fn office_gaps(
    conn: &mut AsyncPgConnection,
    reply: &ReplyRow,
    require_contact: bool,
) -> Result<rules::OfficeGaps, AppError> {
    let co: Vec<(Uuid, String)> = co_handlers(conn, reply.suggestion_id, reply.round)
        .await?
        .into_iter()
        .map(|c| (c.assignment_id, c.name))
        .collect();
    let ids: Vec<Uuid> = co.iter().map(|c| c.0).collect();
    let delivered: Vec<Uuid> =
        coordination::queries::delivered_assignments(conn, &ids).await?.into_iter().map(|d| d.0).collect();
    let waived: Vec<Uuid> = coordination::queries::waivers_of(conn, reply.suggestion_id)
        .await?
        .into_iter()
        .map(|w| w.assignment_id)
        .collect();
    let opinions: Vec<(String, bool)> =
        co.into_iter().map(|(a, n)| (n, delivered.contains(&a) || waived.contains(&a))).collect();
    let contact = queries::has_pre_handling(conn, reply.assignment_id).await?;
    Ok(rules::office_gaps(&opinions, contact, require_contact))
}

/// A review decision at the stage the reply waits for.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    d: &NewReplyDecision,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    let comment =
        text::optional_prose("comment", d.comment.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    if d.decision == Decision::Return && comment.is_none() {
        return Err(AppError::field("comment", "required", "a return says what to change"));
    }
    let class_reason = text::optional_prose("class_reason", d.class_reason.as_deref(), 2000)
        .map_err(|e| AppError::validation(vec![e]))?;
    if d.class.is_some() != class_reason.is_some() {
        return Err(AppError::field(
            "class_reason",
            "required",
            "a change of class comes with its reason, and a reason with a class",
        ));
    }
    let settings = directory::settings::get(conn).await?;
    if let Some(c) = d.class
        && !settings.reply_classes.contains(&c)
    {
        return Err(AppError::field("class", "not_in_use", "that class is not in use"));
    }
    if [ReplyStage::Section, ReplyStage::Office, ReplyStage::Leader].iter().all(|s| {
        let op = match s {
            ReplyStage::Section => Operation::ReviewSection,
            ReplyStage::Office => Operation::ReviewOffice,
            ReplyStage::Leader => Operation::ReviewLeader,
        };
        principal.scope(op).is_empty()
    }) {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let scope = reader(conn, principal).await?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = queries::for_update(conn, id).await?.ok_or_else(|| AppError::not_found("reply"))?;
        if queries::reply(conn, id, scope).await?.is_none() {
            return Err(AppError::not_found("reply"));
        }
        if_match.check(before.version)?;
        let stage = rules::stage_of(before.state).ok_or_else(|| illegal(before.state))?;
        let a = assignments::queries::for_update(conn, before.assignment_id)
            .await?
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if !decides(principal, stage, &before, a.leader_id) {
            return Err(AppError::forbidden(format!("the reply waits for the {} review", stage.as_str())));
        }
        let current =
            queries::revision(conn, id, before.revision).await?.ok_or_else(|| AppError::internal("no revision"))?;
        if before.drafted_by == principal.user_id || current.saved_by == principal.user_id {
            return Err(AppError::conflict("own_draft", "nobody approves their own draft"));
        }
        if d.class.is_some() && stage != ReplyStage::Office {
            return Err(AppError::field("class", "office_only", "the office changes the class, at its review"));
        }
        let to = rules::next(before.state, rules::action_of(d.decision)).ok_or_else(|| illegal(before.state))?;
        let approve = d.decision == Decision::Approve;
        if approve && stage == ReplyStage::Office {
            let gaps = office_gaps(conn, &before, settings.require_pre_handling_contact).await?;
            if !gaps.is_empty() {
                return Err(AppError::conflict("review_blocked", gaps.describe())
                    .with_extra("opinions_missing", gaps.opinions_missing.clone())
                    .with_extra("pre_handling_missing", gaps.pre_handling_missing));
            }
        }
        if approve && stage == ReplyStage::Leader && settings.key_requires_head_signature && !principal.head {
            let facts = queries::letter_facts(conn, before.suggestion_id).await?;
            if facts.first().is_some_and(|f| f.is_key) {
                return Err(AppError::forbidden("the head of the bureau signs the replies to key suggestions"));
            }
        }
        if let Some(c) = d.class {
            queries::set_class(conn, id, before.revision, c).await?;
        }
        queries::insert_decision(
            conn,
            &NewDecisionRow {
                id: Uuid::now_v7(),
                reply_id: id,
                stage,
                decision: d.decision,
                comment: comment.as_deref(),
                revision: before.revision,
                class_before: d.class.and(current.class),
                class_after: d.class,
                class_reason: class_reason.as_deref(),
                decided_by: principal.user_id,
            },
        )
        .await?;
        let mut changes = ReplyChanges::default();
        if to == ReplyState::Approved {
            if current.doc_no.is_none() {
                let facts = queries::letter_facts(conn, before.suggestion_id).await?;
                let year = facts.first().map(|f| f.year).unwrap_or_default();
                let n = coordination::queries::next_doc_no(conn, before.unit_id, DocNoKind::Reply, year).await?;
                let (_, authority) = queries::authority_of(conn, before.unit_id).await?;
                queries::set_doc_no(conn, id, before.revision, &rules::reply_doc_no(&authority, year, n)).await?;
            }
            changes.approved_at = Some(Utc::now());
            changes.approved_by = Some(principal.user_id);
        }
        let after = queries::move_reply(conn, id, to, &changes).await?;
        let kind = if approve { "reply.approved" } else { "reply.returned" };
        let action = format!("reply.{}_{}", d.decision.as_str(), stage.as_str());
        let extra = json!({"stage": stage, "decision": d.decision, "class": d.class, "class_reason": class_reason});
        record(conn, &actor, &action, Some(&before), &after, kind, extra).await
    })
    .await
}

/// The office attaches the signed and sealed scan (a document it uploaded for the
/// suggestion) as the final version, with the date on the letter (today unless it says);
/// the assignment is answered.
pub async fn attach_final(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    f: &FinalVersion,
    if_match: &IfMatch,
    today: chrono::NaiveDate,
) -> Result<(), AppError> {
    principal.require(Operation::ReviewOffice)?;
    let signed_on = f.signed_on.map_or(today, |d| d.get());
    if signed_on > today {
        return Err(AppError::field("signed_on", "future", "a letter is not signed after today"));
    }
    let unit = principal.unit_id.ok_or_else(|| AppError::forbidden("documents are attached for a unit"))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = queries::for_update(conn, id)
            .await?
            .filter(|r| r.submitted_at.is_some())
            .ok_or_else(|| AppError::not_found("reply"))?;
        if_match.check(before.version)?;
        let to = rules::next(before.state, ReplyAction::AttachFinal).ok_or_else(|| illegal(before.state))?;
        let a = assignments::queries::for_update(conn, before.assignment_id)
            .await?
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if signed_on < a.assigned_on {
            return Err(AppError::field("signed_on", "before_assignment", "a letter is signed after the assignment"));
        }
        documents::service::attach(conn, &actor, &[f.document_id], before.suggestion_id, unit, "reply", id).await?;
        let readers: Vec<Uuid> = std::iter::once(before.unit_id).chain(before.section_id).collect();
        documents::service::grant(conn, id, &readers).await?;
        let changes = ReplyChanges {
            final_document_id: Some(f.document_id),
            signed_at: Some(Utc::now()),
            signed_on: Some(signed_on),
            ..Default::default()
        };
        let after = queries::move_reply(conn, id, to, &changes).await?;
        record(
            conn,
            &actor,
            "reply.attach_final",
            Some(&before),
            &after,
            "reply.signed",
            json!({"document_id": f.document_id, "signed_on": signed_on}),
        )
        .await?;
        if matches!(a.state, AssignmentState::Accepted | AssignmentState::InProgress) {
            assignments::service::assigning::complete_by_step(conn, &actor, a.id, Action::Reply).await?;
        }
        Ok(())
    })
    .await
}
