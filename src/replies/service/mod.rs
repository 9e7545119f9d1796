//! Reply operations, one module per capability: drafting (revisions, comparison),
//! templates, sign-off by the co-handlers, the review, the letters, and the submission to
//! the municipal system. Each change writes its audit row and event in its transaction.

pub mod drafting;
pub mod letters;
pub mod remote;
pub mod review;
pub mod signoff;
pub mod submission;
pub mod templates;

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::db::enums::ReplyState;
use crate::directory;
use crate::documents;
use crate::error::AppError;
use crate::replies::model::*;
use crate::replies::queries::{self, ReplyScope};
use crate::replies::rules;

/// What the caller may read.
pub async fn reader(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<ReplyScope, AppError> {
    let s = principal.require(Operation::ReplyRead)?;
    let deputy = if s.own { directory::service::viewer(conn, principal).await?.deputy_id } else { None };
    Ok(ReplyScope { submitted: s.all, unit: principal.unit_id.filter(|_| s.own_unit), deputy })
}

/// A co-handling unit of a suggestion in a round: its assignment, unit and name.
pub(crate) struct CoHandler {
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub name: String,
}

/// The co-handling units of a suggestion in a round (reassigned ones left out).
pub(crate) async fn co_handlers(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    round: i32,
) -> Result<Vec<CoHandler>, AppError> {
    Ok(crate::coordination::queries::co_assignments(conn, suggestion_id)
        .await?
        .into_iter()
        .filter(|c| c.3 == round)
        .map(|c| CoHandler { assignment_id: c.0, unit_id: c.1, name: c.2 })
        .collect())
}

/// Whether the caller drafts for the unit or section holding the assignment.
fn drafts_for(principal: &Principal, unit_id: Uuid, section_id: Option<Uuid>) -> bool {
    let s = principal.scope(Operation::ReplyDraft);
    s.own_unit && principal.unit_id.is_some_and(|u| u == unit_id || Some(u) == section_id)
}

fn illegal(state: ReplyState) -> AppError {
    let allowed: Vec<String> = rules::allowed(state)
        .iter()
        .map(|a| serde_json::to_value(a).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
        .collect();
    AppError::conflict(
        "illegal_transition",
        format!(
            "not possible while the reply is {}; allowed: {}",
            state.as_str(),
            if allowed.is_empty() { "none".into() } else { allowed.join(", ") }
        ),
    )
    .with_extra("state", state.as_str())
    .with_extra("allowed", allowed)
}

/// The event payload: ids and states, never text or names.
fn payload(r: &ReplyRow) -> Value {
    json!({
        "id": r.id, "assignment_id": r.assignment_id, "suggestion_id": r.suggestion_id, "unit_id": r.unit_id,
        "round": r.round, "state": r.state, "revision": r.revision, "version": r.version,
    })
}

fn snapshot(r: &ReplyRow) -> Value {
    json!({
        "state": r.state, "revision": r.revision, "submitted_at": r.submitted_at, "approved_at": r.approved_at,
        "approved_by": r.approved_by, "final_document_id": r.final_document_id, "signed_at": r.signed_at, "signed_on": r.signed_on,
    })
}

/// Records a change of a reply: its audit row and its event.
async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&ReplyRow>,
    after: &ReplyRow,
    kind: &'static str,
    extra: Value,
) -> Result<(), AppError> {
    let mut after_snap = snapshot(after);
    if let (Value::Object(m), Value::Object(e)) = (&mut after_snap, &extra) {
        m.extend(e.clone());
    }
    let mut p = payload(after);
    if let (Value::Object(m), Value::Object(e)) = (&mut p, &extra) {
        m.extend(
            e.iter()
                .filter(|(k, _)| k.as_str() == "stage" || k.as_str() == "decision")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    let snaps = (before.map(snapshot), after_snap);
    Ok(audit::record_with_event(conn, actor, action, ("reply", after.id, after.version), snaps, kind, p).await?)
}

/// Replies as answers show them: current revision, sign-offs, decisions, the final scan
/// and the letters they make (a handful of queries for any number of replies). A deputy
/// sees no sign-offs and no decisions.
pub async fn to_replies(conn: &mut AsyncPgConnection, rows: Vec<ReplyRow>, full: bool) -> Result<Vec<Reply>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut current: HashMap<Uuid, RevisionRow> =
        queries::current_revisions(conn, &ids).await?.into_iter().map(|r| (r.reply_id, r)).collect();
    let mut signoffs: HashMap<Uuid, Vec<Signoff>> = HashMap::new();
    let mut decisions: HashMap<Uuid, Vec<ReplyDecision>> = HashMap::new();
    if full {
        for s in queries::live_signoffs(conn, &ids).await? {
            signoffs.entry(s.reply_id).or_default().push(Signoff::new(s, None));
        }
        for d in queries::decisions_of(conn, &ids).await? {
            decisions.entry(d.reply_id).or_default().push(d.into());
        }
    }
    let mut finals: HashMap<Uuid, documents::model::Document> = HashMap::new();
    for d in documents::service::of_owners(conn, &ids).await? {
        if let Some(owner) = d.owner_id
            && rows.iter().any(|r| r.id == owner && r.final_document_id == Some(d.id))
        {
            finals.insert(owner, d);
        }
    }
    let suggestion_ids: Vec<Uuid> = rows.iter().map(|r| r.suggestion_id).collect();
    let targets = letters::targets(conn, &suggestion_ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let rev = current.remove(&r.id).ok_or_else(|| AppError::internal("a reply without its revision"))?;
        out.push(Reply {
            allowed_actions: rules::allowed(r.state),
            current: rev.into(),
            signoffs: signoffs.remove(&r.id).unwrap_or_default(),
            decisions: decisions.remove(&r.id).unwrap_or_default(),
            final_document: finals.remove(&r.id),
            letters: targets.get(&r.suggestion_id).cloned().unwrap_or_default(),
            id: r.id,
            assignment_id: r.assignment_id,
            suggestion_id: r.suggestion_id,
            unit_id: r.unit_id,
            section_id: r.section_id,
            round: r.round,
            state: r.state,
            drafted_by: r.drafted_by,
            submitted_at: r.submitted_at,
            approved_at: r.approved_at,
            approved_by: r.approved_by,
            signed_at: r.signed_at,
            signed_on: r.signed_on,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        });
    }
    Ok(out)
}

/// One reply the caller may read, or 404.
pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Reply, AppError> {
    let scope = reader(conn, principal).await?;
    let row = queries::reply(conn, id, scope).await?.ok_or_else(|| AppError::not_found("reply"))?;
    let full = scope.deputy.is_none() || scope.submitted || scope.unit.is_some();
    Ok(to_replies(conn, vec![row], full).await?.remove(0))
}
