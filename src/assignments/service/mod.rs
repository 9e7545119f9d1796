//! Assignment operations, one module per capability: assigning (and the task table's
//! batches), disputes, extensions, reminders, and due states (the due-state job, the
//! recompute after a calendar or rule change, the deadline's explanation). Each operation
//! checks, changes, and records its audit row and event in one transaction; the
//! suggestion's status follows its assignments.

pub mod assigning;
pub mod disputes;
pub mod due_states;
pub mod extensions;
pub mod reminders;

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::model::{Assignment, AssignmentRow, ListRow};
use crate::assignments::queries::{self, AssignmentScope, Existing};
use crate::assignments::rules::{self, Action};
use crate::audit::{self, Actor, Event};
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::db::enums::{AssignmentState, DueState, HandlingRole};
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::suggestions;
use crate::suggestions::model::KeyFacts;
use crate::suggestions::service::StatusChange;

/// What a caller may see of assignments for an operation.
pub fn scope(principal: &Principal, op: Operation) -> Result<AssignmentScope, AppError> {
    let s = principal.require(op)?;
    let unit = principal.unit_id;
    Ok(AssignmentScope {
        all: s.all || (s.responsible && principal.head),
        leader: s.responsible.then_some(principal.user_id),
        unit: unit.filter(|_| s.own_unit),
        co_unit: unit.filter(|_| s.own_co),
        deputy_user: Some(principal.user_id).filter(|_| s.own),
    })
}

fn in_scope(row: &AssignmentRow, scope: &AssignmentScope) -> bool {
    scope.all
        || scope.leader.is_some() && row.leader_id == scope.leader
        || scope.unit.is_some() && (Some(row.unit_id) == scope.unit || row.section_id == scope.unit)
        || scope.co_unit.is_some() && Some(row.unit_id) == scope.co_unit && row.role == HandlingRole::Co
}

/// Today's due state of an assignment: open ones by their due date, closed ones on track.
pub fn due_state(clock: &Clock, row: &AssignmentRow) -> DueState {
    if row.state.is_open() { clock.due_state(row.due_on) } else { DueState::OnTrack }
}

pub fn to_assignment(clock: &Clock, r: ListRow) -> Assignment {
    let row = r.row;
    Assignment {
        due_state: due_state(clock, &row),
        allowed_actions: rules::allowed(row.state, row.role),
        id: row.id,
        suggestion_id: row.suggestion_id,
        external_no: r.external_no,
        title: r.title,
        is_key: r.is_key,
        unit_id: row.unit_id,
        unit_name: r.unit_name,
        role: row.role,
        round: row.round,
        section_id: row.section_id,
        section_name: r.section_name,
        leader_id: row.leader_id,
        liaison_id: row.liaison_id,
        liaison_name: r.liaison_name,
        liaison_phone: r.liaison_phone,
        state: row.state,
        assigned_on: row.assigned_on,
        due_on: row.due_on,
        rule_due_on: row.rule_due_on,
        extended_to: row.extended_to,
        dispute_until: row.dispute_until,
        signed_in_at: row.signed_in_at,
        reassigned_to: row.reassigned_to,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// One assignment the caller may see, or 404.
pub async fn read(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    clock: &Clock,
) -> Result<Assignment, AppError> {
    read_for(conn, principal, Operation::AssignmentRead, id, clock).await
}

/// One assignment the caller may see for `op` (reading its handling: `HandlingRead`), or 404.
pub async fn read_for(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    op: Operation,
    id: Uuid,
    clock: &Clock,
) -> Result<Assignment, AppError> {
    let scope = scope(principal, op)?;
    let row = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    Ok(to_assignment(clock, row))
}

/// The event of a change of an assignment, with `extra` fields beside the assignment's own.
fn event(kind: &'static str, row: &AssignmentRow, extra: serde_json::Value) -> Event {
    let mut payload = json!({
        "id": row.id, "suggestion_id": row.suggestion_id, "unit_id": row.unit_id, "section_id": row.section_id,
        "role": row.role, "round": row.round, "state": row.state, "due_on": row.due_on, "version": row.version,
    });
    if let (Some(map), serde_json::Value::Object(more)) = (payload.as_object_mut(), extra) {
        map.extend(more);
    }
    Event { kind, entity_type: "assignment", entity_id: row.id, version: Some(row.version), payload }
}

/// An assignment as the audit log keeps it.
fn snapshot(row: &AssignmentRow) -> serde_json::Value {
    json!({
        "suggestion_id": row.suggestion_id, "unit_id": row.unit_id, "role": row.role, "round": row.round,
        "section_id": row.section_id, "leader_id": row.leader_id, "liaison_id": row.liaison_id, "state": row.state,
        "assigned_on": row.assigned_on, "rule_id": row.rule_id, "rule_due_on": row.rule_due_on,
        "extended_to": row.extended_to, "due_on": row.due_on, "dispute_until": row.dispute_until,
    })
}

/// Records a change of an assignment: its audit row (before and after) and its event.
async fn record_change(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: &AssignmentRow,
    after: &AssignmentRow,
    kind: &'static str,
    extra: serde_json::Value,
) -> Result<(), AppError> {
    let id = after.id.to_string();
    audit::record(conn, actor, action, "assignment", &id, Some(snapshot(before)), Some(snapshot(after))).await?;
    audit::emit(conn, &[event(kind, after, extra)]).await?;
    Ok(())
}

/// 409 for an action the state does not allow, naming the ones it does.
fn illegal(state: AssignmentState, allowed: Vec<Action>) -> AppError {
    let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
    AppError::conflict(
        "illegal_transition",
        format!(
            "not possible while the assignment is {}; allowed: {}",
            state.as_str(),
            if names.is_empty() { "none".into() } else { names.join(", ") }
        ),
    )
    .with_extra("state", state.as_str())
    .with_extra("allowed", names)
}

/// Locks an assignment the caller may act on for `op`, checking `If-Match` when given.
async fn locked(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    op: Operation,
    id: Uuid,
    if_match: Option<&IfMatch>,
) -> Result<AssignmentRow, AppError> {
    let scope = scope(principal, op)?;
    let row = queries::for_update(conn, id)
        .await?
        .filter(|r| in_scope(r, &scope))
        .ok_or_else(|| AppError::not_found("assignment"))?;
    if let Some(if_match) = if_match {
        if_match.check(row.version)?;
    }
    Ok(row)
}

/// The assignments of suggestions, grouped by suggestion.
async fn existing(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Existing>>, AppError> {
    let mut by_suggestion: HashMap<Uuid, Vec<Existing>> = HashMap::new();
    for e in queries::of_suggestions(conn, ids).await? {
        by_suggestion.entry(e.suggestion_id).or_default().push(e);
    }
    Ok(by_suggestion)
}

/// The statuses of suggestions as their assignments make them.
fn statuses(
    ids: &[Uuid],
    facts: &HashMap<Uuid, KeyFacts>,
    assignments: &HashMap<Uuid, Vec<Existing>>,
) -> Vec<StatusChange> {
    ids.iter()
        .filter_map(|id| {
            let states: Vec<(HandlingRole, AssignmentState)> =
                assignments.get(id).into_iter().flatten().map(|e| (e.role, e.state)).collect();
            Some(StatusChange { id: *id, before: facts.get(id)?.status, after: rules::suggestion_status(&states) })
        })
        .collect()
}

/// Writes the suggestion's status as its assignments now make it.
async fn update_suggestion_status(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    suggestion_id: Uuid,
) -> Result<(), AppError> {
    let ids = [suggestion_id];
    let facts = suggestions::service::facts(conn, &ids, false).await?;
    let assignments = existing(conn, &ids).await?;
    suggestions::service::set_statuses(conn, actor, &statuses(&ids, &facts, &assignments)).await
}
