//! Contacts with deputies: recorded by the handling unit (or the office) on a lead or
//! split assignment; read by the office, leaders, the unit, and the deputies who took part
//! (never the internal note); the plan of the contacts each handling owes.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::coordination::model::*;
use crate::coordination::queries::{self, ContactScope, NewContactRow};
use crate::coordination::rules::{self, AfterReply, ContactRules, Handling};
use crate::coordination::service::record;
use crate::db;
use crate::db::enums::{AssignmentState, DueState, HandlingRole};
use crate::directory;
use crate::directory::model::Viewer;
use crate::documents;
use crate::error::{AppError, FieldError};
use crate::http::text;

/// What the steps after the reply know of an assignment: the reply's date and whether
/// promises made in it are open. They come later in the flow, so the application passes
/// this in (`AppState::after_reply`) and co-handling never names them.
pub type AfterReplyFacts =
    for<'c> fn(&'c mut AsyncPgConnection, Uuid) -> LocalBoxFuture<'c, Result<AfterReply, AppError>>;

/// What the caller may read, and whose names they may see.
pub async fn reader(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<(ContactScope, Viewer), AppError> {
    let s = principal.require(Operation::ContactRead)?;
    let viewer = directory::service::viewer(conn, principal).await?;
    let scope = ContactScope {
        all: s.all,
        unit: principal.unit_id.filter(|_| s.own_unit),
        deputy: viewer.deputy_id.filter(|_| s.own),
    };
    Ok((scope, viewer))
}

fn names(field: &str, values: &[String], min: usize) -> Result<Vec<String>, FieldError> {
    if values.len() < min {
        return Err(FieldError::new(field, "required", format!("at least {min}")));
    }
    if values.len() > 50 {
        return Err(FieldError::new(field, "too_many", "at most 50"));
    }
    values.iter().map(|v| text::name(field, v, 100)).collect()
}

/// Records a contact on a lead or split assignment the caller's unit handles (the office:
/// any). The deputies must be the suggestion's proposer or co-signers; an extension, the
/// assignment's.
pub async fn record_contact(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewContact,
) -> Result<Uuid, AppError> {
    let s = principal.require(Operation::ContactWrite)?;
    let mut errors = Vec::new();
    let staff = names("staff", &new.staff, 1).map_err(|e| errors.push(e)).unwrap_or_default();
    let others = names("others", &new.others, 0).map_err(|e| errors.push(e)).unwrap_or_default();
    let summary = text::optional_prose("summary", Some(&new.summary), 5000)
        .and_then(|v| v.ok_or_else(|| FieldError::new("summary", "required", "must not be empty")))
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let note = text::optional_prose("internal_note", new.internal_note.as_deref(), 5000)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if new.deputy_ids.is_empty() {
        errors.push(FieldError::new("deputy_ids", "required", "at least one deputy took part"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let unit = principal.unit_id.ok_or_else(|| AppError::forbidden("contacts are recorded for a unit"))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let a = assignments::queries::for_update(conn, new.assignment_id)
            .await?
            .filter(|a| a.role != HandlingRole::Co && a.state != AssignmentState::Reassigned)
            .filter(|a| s.all || (s.own_unit && (a.unit_id == unit || a.section_id == Some(unit))))
            .ok_or_else(|| AppError::not_found("assignment"))?;
        let (proposer, co_signers, _) = queries::proposers(conn, a.suggestion_id).await?;
        if let Some(d) = new.deputy_ids.iter().find(|d| Some(**d) != proposer && !co_signers.contains(d)) {
            return Err(AppError::field(
                "deputy_ids",
                "not_a_proposer",
                format!("deputy {d} did not make this suggestion"),
            ));
        }
        if let Some(e) = new.extension_id
            && queries::extension_assignment(conn, e).await? != Some(a.id)
        {
            return Err(AppError::field("extension_id", "not_found", "no such extension of this assignment"));
        }
        let mut deputy_ids = new.deputy_ids.clone();
        deputy_ids.sort();
        deputy_ids.dedup();
        let row = queries::insert_contact(
            conn,
            &NewContactRow {
                id: Uuid::now_v7(),
                suggestion_id: a.suggestion_id,
                assignment_id: a.id,
                unit_id: unit,
                kind: new.kind,
                channel: new.channel,
                contacted_on: new.contacted_on.get(),
                face_to_face: new.face_to_face,
                staff: &staff,
                deputy_ids: &deputy_ids,
                others: &others,
                summary: &summary,
                internal_note: note.as_deref(),
                extension_id: new.extension_id,
                recorded_by: principal.user_id,
            },
        )
        .await?;
        documents::service::attach(conn, &actor, &new.document_ids, a.suggestion_id, unit, "contact", row.id).await?;
        let snap = json!({
            "suggestion_id": row.suggestion_id, "assignment_id": row.assignment_id, "kind": row.kind,
            "channel": row.channel, "contacted_on": row.contacted_on, "face_to_face": row.face_to_face,
            "staff": row.staff, "deputy_ids": row.deputy_ids, "others": row.others, "summary": row.summary,
            "internal_note": row.internal_note, "extension_id": row.extension_id,
        });
        // No names, no text: a reader of events learns what happened, not to whom.
        let payload = json!({
            "id": row.id, "suggestion_id": row.suggestion_id, "assignment_id": row.assignment_id,
            "kind": row.kind, "channel": row.channel, "contacted_on": row.contacted_on,
            "face_to_face": row.face_to_face, "version": row.version,
        });
        record(
            conn,
            &actor,
            "contact.record",
            ("contact", row.id, row.version),
            (None, snap),
            "contact.recorded",
            payload,
        )
        .await?;
        Ok(row.id)
    })
    .await
}

/// Contacts as this viewer may see them: a deputy sees no internal note and no
/// documents, and nobody but the office, admins and the deputy sees a confidential name.
pub async fn to_contacts(
    conn: &mut AsyncPgConnection,
    viewer: &Viewer,
    rows: Vec<ContactRow>,
) -> Result<Vec<ContactRecord>, AppError> {
    let deputy_view = viewer.deputy_id.is_some() && !viewer.privileged;
    let mut ids: Vec<Uuid> = rows.iter().flat_map(|r| r.deputy_ids.iter().copied()).collect();
    ids.sort();
    ids.dedup();
    let known: HashMap<Uuid, (String, bool)> =
        queries::deputy_names(conn, &ids).await?.into_iter().map(|(id, n, c)| (id, (n, c))).collect();
    let owners: Vec<Uuid> = if deputy_view { Vec::new() } else { rows.iter().map(|r| r.id).collect() };
    let mut docs: HashMap<Uuid, Vec<_>> = HashMap::new();
    for d in documents::service::of_owners(conn, &owners).await? {
        docs.entry(d.owner_id.unwrap_or_default()).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .map(|r| ContactRecord {
            deputies: r
                .deputy_ids
                .iter()
                .map(|id| Participant {
                    id: *id,
                    name: known
                        .get(id)
                        .filter(|(_, confidential)| directory::rules::may_see_name(viewer, *id, *confidential))
                        .map(|(n, _)| n.clone()),
                })
                .collect(),
            documents: docs.remove(&r.id).unwrap_or_default(),
            internal_note: if deputy_view { None } else { r.internal_note },
            id: r.id,
            suggestion_id: r.suggestion_id,
            assignment_id: r.assignment_id,
            unit_id: r.unit_id,
            kind: r.kind,
            channel: r.channel,
            contacted_on: r.contacted_on,
            face_to_face: r.face_to_face,
            staff: r.staff,
            others: r.others,
            summary: r.summary,
            extension_id: r.extension_id,
            recorded_by: r.recorded_by,
            version: r.version,
            created_at: r.created_at,
        })
        .collect())
}

/// The contacts a lead or split handling owes its deputy, with their due states.
pub async fn plan(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    assignment_id: Uuid,
    clock: &Clock,
    after_reply: AfterReplyFacts,
) -> Result<ContactPlan, AppError> {
    let a = assignments::service::read_for(conn, principal, Operation::HandlingRead, assignment_id, clock).await?;
    if a.role == HandlingRole::Co || a.state == AssignmentState::Reassigned {
        return Err(AppError::not_found("assignment"));
    }
    let settings = directory::settings::get(conn).await?;
    let rules = ContactRules {
        require_pre_handling_contact: settings.require_pre_handling_contact,
        progress_feedback_months: settings.progress_feedback_months.max(1) as u32,
        key_requires_face_to_face: settings.key_requires_face_to_face,
        follow_up_visit_months: settings.follow_up_visit_months.clamp(0, 12) as u32,
    };
    let handling = Handling {
        is_key: a.is_key,
        open: a.state.is_open(),
        due_on: a.due_on,
        extensions_approved_on: queries::extensions_approved_on(conn, a.id).await?,
        contacts: queries::contacts_of_assignment(conn, a.id).await?,
        after_reply: after_reply(conn, a.id).await?,
    };
    let items = rules::contact_plan(&rules, &handling)
        .into_iter()
        .map(|o| OwedContact {
            obligation: o.obligation,
            due_on: o.due_on,
            done_on: o.done_on,
            due_state: if o.done_on.is_none() { clock.due_state(o.due_on) } else { DueState::OnTrack },
        })
        .collect();
    Ok(ContactPlan { assignment_id: a.id, role: a.role, items })
}
