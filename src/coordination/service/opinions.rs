//! Co-handling opinions: drafted by the co-handling unit (the bureau's section when the
//! bureau co-handles), submitted to the lead — an external unit's at once, the bureau's
//! after its section head and the office approve and the office records the delivery —
//! which completes the co-handling assignment and lets the lead read its documents.

use std::collections::HashMap;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::assignments::model::AssignmentRow;
use crate::assignments::rules::Action;
use crate::audit::Actor;
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::coordination::model::*;
use crate::coordination::queries::{self, Move, NewOpinionRow, OpinionScope};
use crate::coordination::rules::{self, OpinionAction, OpinionStatus};
use crate::coordination::service::record;
use crate::db;
use crate::db::enums::{
    AssignmentState, Decision, DeliveryChannel, DocNoKind, HandlingRole, OpinionStage, OpinionState,
};
use crate::documents;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::letters::Letter;

/// What the caller may read.
pub fn read_scope(principal: &Principal) -> Result<OpinionScope, AppError> {
    let s = principal.require(Operation::OpinionRead)?;
    Ok(OpinionScope { all: s.all, unit: principal.unit_id.filter(|_| s.own_unit || s.own_co), as_lead: s.own_unit })
}

/// Whether the caller drafts for this unit (and section): a section's staff for the
/// bureau's opinions, the unit's co-handler for an external unit's.
fn drafts_for(principal: &Principal, unit_id: Uuid, section_id: Option<Uuid>) -> bool {
    let s = principal.scope(Operation::OpinionWrite);
    let Some(u) = principal.unit_id else { return false };
    (s.own_unit && (unit_id == u || section_id == Some(u))) || (s.own_co && unit_id == u)
}

fn illegal(state: OpinionState, internal: bool) -> AppError {
    let allowed: Vec<&str> = rules::allowed(state, internal).iter().map(|a| a.as_str()).collect();
    AppError::conflict(
        "illegal_transition",
        format!(
            "not possible while the opinion is {}; allowed: {}",
            state.as_str(),
            if allowed.is_empty() { "none".into() } else { allowed.join(", ") }
        ),
    )
    .with_extra("state", state.as_str())
    .with_extra("allowed", allowed)
}

fn snapshot(r: &OpinionRow) -> serde_json::Value {
    json!({
        "assignment_id": r.assignment_id, "suggestion_id": r.suggestion_id, "unit_id": r.unit_id,
        "section_id": r.section_id, "internal": r.internal, "body": r.body, "doc_no": r.doc_no, "state": r.state,
        "delivered_at": r.delivered_at, "delivery_channel": r.delivery_channel, "delivery_note": r.delivery_note,
    })
}

/// The event payload: no text, no names.
fn payload(r: &OpinionRow) -> serde_json::Value {
    json!({
        "id": r.id, "assignment_id": r.assignment_id, "suggestion_id": r.suggestion_id, "unit_id": r.unit_id,
        "state": r.state, "version": r.version,
    })
}

async fn record_opinion(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&OpinionRow>,
    after: &OpinionRow,
    kind: &'static str,
) -> Result<(), AppError> {
    let snaps = (before.map(snapshot), snapshot(after));
    record(conn, actor, action, ("opinion", after.id, after.version), snaps, kind, payload(after)).await
}

/// Opinions as answers show them, with their documents and decisions (two queries).
pub async fn to_opinions(conn: &mut AsyncPgConnection, rows: Vec<OpinionRow>) -> Result<Vec<Opinion>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut docs: HashMap<Uuid, Vec<_>> = HashMap::new();
    for d in documents::service::of_owners(conn, &ids).await? {
        docs.entry(d.owner_id.unwrap_or_default()).or_default().push(d);
    }
    let mut decisions: HashMap<Uuid, Vec<OpinionDecision>> = HashMap::new();
    for d in queries::decisions_of(conn, &ids).await? {
        decisions.entry(d.opinion_id).or_default().push(d.into());
    }
    Ok(rows
        .into_iter()
        .map(|r| Opinion {
            allowed_actions: rules::allowed(r.state, r.internal),
            documents: docs.remove(&r.id).unwrap_or_default(),
            decisions: decisions.remove(&r.id).unwrap_or_default(),
            id: r.id,
            assignment_id: r.assignment_id,
            suggestion_id: r.suggestion_id,
            unit_id: r.unit_id,
            section_id: r.section_id,
            internal: r.internal,
            body: r.body,
            doc_no: r.doc_no,
            state: r.state,
            drafted_by: r.drafted_by,
            submitted_at: r.submitted_at,
            delivered_at: r.delivered_at,
            delivery_channel: r.delivery_channel,
            delivery_note: r.delivery_note,
            delivered_by: r.delivered_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// One opinion the caller may read, or 404.
pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Opinion, AppError> {
    let scope = read_scope(principal)?;
    let row = queries::opinion(conn, id, scope).await?.ok_or_else(|| AppError::not_found("opinion"))?;
    Ok(to_opinions(conn, vec![row]).await?.remove(0))
}

fn body_text(body: &str) -> Result<String, AppError> {
    text::optional_prose("body", Some(body), 20_000)
        .and_then(|b| b.ok_or_else(|| crate::error::FieldError::new("body", "required", "must not be empty")))
        .map_err(|e| AppError::validation(vec![e]))
}

fn doc_no_text(doc_no: Option<&str>) -> Result<Option<String>, AppError> {
    text::optional_text("doc_no", doc_no, 100).map_err(|e| AppError::validation(vec![e]))
}

/// A co-handling unit drafts its opinion on its co-handling assignment.
pub async fn draft(conn: &mut AsyncPgConnection, principal: &Principal, new: &NewOpinion) -> Result<Uuid, AppError> {
    principal.require(Operation::OpinionWrite)?;
    let body = body_text(&new.body)?;
    let doc_no = doc_no_text(new.doc_no.as_deref())?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let a: AssignmentRow = assignments::queries::for_update(conn, new.assignment_id)
            .await?
            .filter(|a| a.role == HandlingRole::Co && a.state != AssignmentState::Reassigned)
            .filter(|a| drafts_for(principal, a.unit_id, a.section_id))
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if queries::opinion_exists(conn, a.id).await? {
            return Err(AppError::conflict("opinion_exists", "this co-handling assignment has its opinion already"));
        }
        let internal = queries::is_bureau_unit(conn, a.unit_id).await?;
        let row = queries::insert_opinion(
            conn,
            &NewOpinionRow {
                id: Uuid::now_v7(),
                assignment_id: a.id,
                suggestion_id: a.suggestion_id,
                unit_id: a.unit_id,
                section_id: a.section_id,
                internal,
                body: &body,
                doc_no: doc_no.as_deref(),
                drafted_by: principal.user_id,
            },
        )
        .await
        .map_err(doc_no_taken)?;
        attach(conn, &actor, principal, &new.document_ids, &row).await?;
        record_opinion(conn, &actor, "opinion.draft", None, &row, "opinion.drafted").await?;
        Ok(row.id)
    })
    .await
}

/// A document number the unit has used already is a 409.
fn doc_no_taken(e: diesel::result::Error) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("opinions_doc_no_key") =>
        {
            AppError::conflict("doc_no_taken", "the unit has used this document number already")
        }
        e => e.into(),
    }
}

async fn attach(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    principal: &Principal,
    ids: &[Uuid],
    row: &OpinionRow,
) -> Result<(), AppError> {
    let unit = principal.unit_id.ok_or_else(|| AppError::forbidden("documents are attached for a unit"))?;
    documents::service::attach(conn, actor, ids, row.suggestion_id, unit, "opinion", row.id).await
}

/// Locks an opinion the caller drafts for (else 404), checking `If-Match`.
async fn locked_own(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<OpinionRow, AppError> {
    let row = queries::opinion_for_update(conn, id)
        .await?
        .filter(|r| drafts_for(principal, r.unit_id, r.section_id))
        .ok_or_else(|| AppError::not_found("opinion"))?;
    if_match.check(row.version)?;
    Ok(row)
}

/// Changes a draft.
pub async fn edit(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    patch: &OpinionPatch,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::OpinionWrite)?;
    let body = patch.body.as_deref().map(body_text).transpose()?;
    let doc_no = doc_no_text(patch.doc_no.as_deref())?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked_own(conn, principal, id, if_match).await?;
        rules::next(before.state, before.internal, OpinionAction::Edit)
            .map_err(|_| illegal(before.state, before.internal))?;
        let body = body.unwrap_or_else(|| before.body.clone());
        let doc_no = doc_no.or_else(|| before.doc_no.clone());
        let after = queries::update_draft(conn, id, &body, doc_no.as_deref()).await.map_err(doc_no_taken)?;
        attach(conn, &actor, principal, &patch.document_ids, &after).await?;
        record_opinion(conn, &actor, "opinion.edit", Some(&before), &after, "opinion.updated").await
    })
    .await
}

/// The unit's next opinion number when the opinion has none.
async fn doc_no_for(conn: &mut AsyncPgConnection, row: &OpinionRow) -> Result<Option<String>, AppError> {
    if row.doc_no.is_some() {
        return Ok(None);
    }
    let year = queries::suggestion_year(conn, row.suggestion_id).await?;
    let n = queries::next_doc_no(conn, row.unit_id, DocNoKind::Opinion, year).await?;
    let unit = queries::unit_name(conn, row.unit_id).await?;
    Ok(Some(rules::opinion_doc_no(&unit, year, n)))
}

/// Ends the co-handling assignment and lets the lead's unit and section read the
/// opinion's documents.
async fn hand_over(conn: &mut AsyncPgConnection, actor: &Actor, row: &OpinionRow) -> Result<(), AppError> {
    let a =
        assignments::service::assigning::complete_by_step(conn, actor, row.assignment_id, Action::GiveOpinion).await?;
    if let Some((unit, section)) = queries::lead_of(conn, row.suggestion_id, a.round).await? {
        let units: Vec<Uuid> = std::iter::once(unit).chain(section).collect();
        documents::service::grant(conn, row.id, &units).await?;
    }
    Ok(())
}

/// Submits a draft: an external unit's goes to the lead at once (completing its
/// co-handling assignment); the bureau's goes to its section head.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::OpinionWrite)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked_own(conn, principal, id, if_match).await?;
        let to = rules::next(before.state, before.internal, OpinionAction::Submit)
            .map_err(|_| illegal(before.state, before.internal))?;
        let doc_no = if before.internal { None } else { doc_no_for(conn, &before).await? };
        let delivery = (!before.internal).then(|| (Utc::now(), DeliveryChannel::System, None, principal.user_id));
        let after =
            queries::move_opinion(conn, id, Move { state: to, doc_no: doc_no.as_deref(), submitted: true, delivery })
                .await
                .map_err(doc_no_taken)?;
        let kind = if before.internal { "opinion.submitted" } else { "opinion.delivered" };
        record_opinion(conn, &actor, "opinion.submit", Some(&before), &after, kind).await?;
        if !after.internal {
            hand_over(conn, &actor, &after).await?;
        }
        Ok(())
    })
    .await
}

/// The section head's or the office's decision on the bureau's own opinion. Nobody
/// decides on their own draft; a return needs a comment.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    d: &NewDecision,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    let comment =
        text::optional_prose("comment", d.comment.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    if d.decision == Decision::Return && comment.is_none() {
        return Err(AppError::field("comment", "required", "a return says why"));
    }
    let section = principal.scope(Operation::ReviewSection);
    let office = principal.scope(Operation::ReviewOffice);
    if section.is_empty() && office.is_empty() {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let scope = read_scope(principal).unwrap_or_default();
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = queries::opinion_for_update(conn, id)
            .await?
            .filter(|r| scope.all || office.all || r.section_id.is_some_and(|s| Some(s) == principal.unit_id))
            .ok_or_else(|| AppError::not_found("opinion"))?;
        if_match.check(before.version)?;
        let stage = rules::stage_of(before.state).ok_or_else(|| illegal(before.state, before.internal))?;
        let allowed = match stage {
            OpinionStage::Section => {
                section.own_unit && before.section_id.is_some() && before.section_id == principal.unit_id
            }
            OpinionStage::Office => office.all,
        };
        if !allowed {
            return Err(AppError::forbidden(format!("the opinion waits for the {} stage's decision", stage.as_str())));
        }
        if before.drafted_by == principal.user_id {
            return Err(AppError::conflict("own_draft", "nobody decides on their own draft"));
        }
        let to = rules::next(before.state, before.internal, OpinionAction::of_decision(stage, d.decision))
            .map_err(|_| illegal(before.state, before.internal))?;
        queries::insert_decision(conn, id, stage, d.decision, comment.as_deref(), before.version, principal.user_id)
            .await?;
        let after =
            queries::move_opinion(conn, id, Move { state: to, doc_no: None, submitted: false, delivery: None }).await?;
        let kind = if d.decision == Decision::Approve { "opinion.approved" } else { "opinion.returned" };
        let action = format!("opinion.{}_{}", d.decision.as_str(), stage.as_str());
        record_opinion(conn, &actor, &action, Some(&before), &after, kind).await
    })
    .await
}

/// The office records how the bureau's approved opinion reached the lead, with the
/// signed scan; this completes the bureau's co-handling assignment.
pub async fn deliver(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    d: &NewDelivery,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReviewOffice)?;
    let note = text::optional_prose("note", d.note.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    if d.document_ids.is_empty() {
        return Err(AppError::field("document_ids", "required", "the signed and sealed scan is required"));
    }
    let delivered_at = d.delivered_at.get();
    if delivered_at > Utc::now() {
        return Err(AppError::field("delivered_at", "in_future", "a delivery is recorded after it happened"));
    }
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = queries::opinion_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("opinion"))?;
        if_match.check(before.version)?;
        let to = rules::next(before.state, before.internal, OpinionAction::Deliver)
            .map_err(|_| illegal(before.state, before.internal))?;
        let doc_no = doc_no_for(conn, &before).await?;
        let delivery = Some((delivered_at, d.channel, note.as_deref(), principal.user_id));
        let after =
            queries::move_opinion(conn, id, Move { state: to, doc_no: doc_no.as_deref(), submitted: false, delivery })
                .await
                .map_err(doc_no_taken)?;
        attach(conn, &actor, principal, &d.document_ids, &after).await?;
        record_opinion(conn, &actor, "opinion.deliver", Some(&before), &after, "opinion.delivered").await?;
        hand_over(conn, &actor, &after).await
    })
    .await
}

/// The office excuses a co-handling unit's missing opinion, with a reason.
pub async fn waive(conn: &mut AsyncPgConnection, principal: &Principal, w: &NewWaiver) -> Result<WaiverRow, AppError> {
    principal.require(Operation::ReviewOffice)?;
    let reason = text::optional_prose("reason", Some(&w.reason), 2000)
        .map_err(|e| AppError::validation(vec![e]))?
        .ok_or_else(|| AppError::field("reason", "required", "a waiver says why"))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let a = assignments::queries::for_update(conn, w.assignment_id)
            .await?
            .filter(|a| a.role == HandlingRole::Co && a.state != AssignmentState::Reassigned)
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if !queries::delivered_assignments(conn, &[a.id]).await?.is_empty() {
            return Err(AppError::conflict("opinion_given", "the opinion is in; there is nothing to waive"));
        }
        let row = queries::insert_waiver(conn, a.id, a.suggestion_id, &reason, principal.user_id)
            .await?
            .ok_or_else(|| AppError::conflict("already_waived", "the opinion was waived already"))?;
        let snap = json!({"assignment_id": a.id, "suggestion_id": a.suggestion_id, "reason": reason});
        let payload = json!({"assignment_id": a.id, "suggestion_id": a.suggestion_id, "unit_id": a.unit_id});
        record(conn, &actor, "opinion.waive", ("opinion_waiver", a.id, 1), (None, snap), "opinion.waived", payload)
            .await?;
        Ok(row)
    })
    .await
}

/// Where each co-handling unit's opinion stands: for the office, leaders and the lead.
pub async fn co_opinions(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    suggestion_id: Uuid,
    clock: &Clock,
) -> Result<Vec<CoOpinion>, AppError> {
    let scope = read_scope(principal)?;
    if !scope.all {
        let leads = queries::lead_of(conn, suggestion_id, 1).await?;
        let unit = scope.unit.filter(|_| scope.as_lead);
        let is_lead = matches!((leads, unit), (Some((u, s)), Some(me)) if u == me || s == Some(me));
        if !is_lead {
            return Err(AppError::not_found("suggestion"));
        }
    }
    let cos = queries::co_assignments(conn, suggestion_id).await?;
    let ids: Vec<Uuid> = cos.iter().map(|c| c.0).collect();
    let delivered: HashMap<Uuid, Uuid> = queries::delivered_assignments(conn, &ids).await?.into_iter().collect();
    let waivers: HashMap<Uuid, WaiverRow> =
        queries::waivers_of(conn, suggestion_id).await?.into_iter().map(|w| (w.assignment_id, w)).collect();
    Ok(cos
        .into_iter()
        .map(|(id, unit_id, unit_name, round, due_on, state)| {
            let waiver = waivers.get(&id);
            let status = rules::opinion_status(delivered.contains_key(&id), waiver.is_some());
            CoOpinion {
                assignment_id: id,
                unit_id,
                unit_name,
                round,
                due_on,
                due_state: if state.is_open() && status == OpinionStatus::Missing {
                    clock.due_state(due_on)
                } else {
                    crate::db::enums::DueState::OnTrack
                },
                status,
                opinion_id: delivered.get(&id).copied(),
                waiver_reason: waiver.map(|w| w.reason.clone()),
                waived_by: waiver.map(|w| w.waived_by),
                waived_at: waiver.map(|w| w.waived_at),
            }
        })
        .collect())
}

/// The opinion as a formal letter (协办意见函) to the lead unit, for those who may read it.
pub async fn letter(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Letter, AppError> {
    let o = read(conn, principal, id).await?;
    let (source, session, no) = queries::heading(conn, o.suggestion_id).await?;
    let round = queries::round_of(conn, o.assignment_id).await?;
    let lead = match queries::lead_of(conn, o.suggestion_id, round).await? {
        Some((unit, _)) => queries::unit_name(conn, unit).await?,
        None => "主办单位".to_string(),
    };
    let authority = queries::unit_name(conn, o.unit_id).await?;
    let contacts = match queries::liaison(conn, o.section_id.unwrap_or(o.unit_id)).await? {
        (Some(name), Some(phone)) => vec![format!("联系人：{name}，联系电话：{phone}")],
        (Some(name), None) => vec![format!("联系人：{name}")],
        _ => Vec::new(),
    };
    let when = o.delivered_at.or(o.submitted_at).unwrap_or_else(Utc::now);
    Ok(Letter {
        authority: authority.clone(),
        doc_no: o.doc_no.clone(),
        class: None,
        title: rules::letter_title(source, session.as_deref(), &no, "协办意见"),
        addressee: format!("{lead}："),
        blocks: rules::opinion_blocks(&o.body),
        contacts,
        signature: authority,
        date: crate::calendar::days::local_date(when),
        cc: Vec::new(),
    })
}
