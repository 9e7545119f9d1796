//! Assigning (交办): a suggestion given to units as lead, split or co, one request at a
//! time or a task table's batch at once; and the unit's sign-in (签收) and start.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::due_dates::{self, DueFacts};
use crate::assignments::model::{AssignmentRow, NewAssignments, UnitAssignment};
use crate::assignments::queries::{self, Existing};
use crate::assignments::rules::{self, Action, Planned};
use crate::assignments::service::{
    event, existing, illegal, locked, record_change, snapshot, statuses, update_suggestion_status,
};
use crate::audit::{self, Actor, Change, Event};
use crate::auth::access::{self, AccessGrant};
use crate::auth::{Operation, Principal};
use crate::calendar::rules::DeadlineRule;
use crate::calendar::{self, Calendar};
use crate::db;
use crate::db::enums::{AccessKind, AssignmentState, HandlingRole, Role, UnitKind};
use crate::directory;
use crate::directory::model::{UnitRow, UserRow};
use crate::error::{AppError, FieldError};
use crate::http::dates::Day;
use crate::http::etag::IfMatch;
use crate::suggestions;
use crate::suggestions::model::KeyFacts;

/// What a batch of assignments is checked against, read once for the whole batch: the
/// suggestions (locked), the units and people named, the suggestions' assignments so far,
/// the rules and the calendar.
struct Known {
    facts: HashMap<Uuid, KeyFacts>,
    units: HashMap<Uuid, UnitRow>,
    users: HashMap<Uuid, UserRow>,
    assignments: HashMap<Uuid, Vec<Existing>>,
    rules: Vec<DeadlineRule>,
    calendar: Calendar,
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Known {
    async fn load(conn: &mut AsyncPgConnection, batch: &[NewAssignments]) -> Result<Self, AppError> {
        let ids = sorted(batch.iter().map(|n| n.suggestion_id).collect());
        let facts = suggestions::service::facts(conn, &ids, true).await?;
        let units = batch.iter().flat_map(|n| &n.units).flat_map(|u| [Some(u.unit_id), u.section_id]).flatten();
        let people = batch
            .iter()
            .flat_map(|n| n.units.iter().flat_map(|u| [u.leader_id, u.liaison_id]).chain([n.supervisor_id]).flatten());
        let units = directory::queries::units_by_ids(conn, &sorted(units.collect())).await?;
        let users = directory::queries::users_by_ids(conn, &sorted(people.collect())).await?;
        Ok(Known {
            facts,
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            assignments: existing(conn, &ids).await?,
            rules: calendar::queries::rules(conn).await?,
            calendar: calendar::queries::calendar(conn).await?,
        })
    }

    fn is_leader(&self, id: Uuid) -> bool {
        self.users.get(&id).is_some_and(|u| u.active && u.roles.contains(&Role::Leader))
    }

    /// Checks a unit to assign: it exists and is active, its section belongs to it, its
    /// leader is a leader. Field errors are named `units[i].…`.
    fn check_unit(&self, i: usize, u: &UnitAssignment) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let at = |f: &str| format!("units[{i}].{f}");
        let unit = self.units.get(&u.unit_id);
        match unit {
            None => errors.push(FieldError::new(at("unit_id"), "unknown_reference", "no such unit")),
            Some(x) if !x.active => errors.push(FieldError::new(at("unit_id"), "inactive", "the unit is inactive")),
            Some(x) if x.kind == UnitKind::Section => errors.push(FieldError::new(
                at("unit_id"),
                "invalid",
                "assign the bureau and name its section in section_id",
            )),
            _ => {}
        }
        if let (Some(section_id), Some(unit)) = (u.section_id, unit) {
            match self.units.get(&section_id) {
                Some(s) if s.kind == UnitKind::Section && s.parent_id == Some(unit.id) && s.active => {}
                _ => errors.push(FieldError::new(at("section_id"), "invalid", "not an active section of this unit")),
            }
        }
        if u.leader_id.is_some_and(|l| !self.is_leader(l)) {
            errors.push(FieldError::new(at("leader_id"), "invalid", "not an active user with the leader role"));
        }
        if u.liaison_id.is_some_and(|l| !self.users.get(&l).is_some_and(|x| x.active)) {
            errors.push(FieldError::new(at("liaison_id"), "invalid", "not an active user"));
        }
        errors
    }

    /// The new rows of one request, or why it cannot be made.
    fn plan(&self, new: &NewAssignments, today: NaiveDate) -> Result<Vec<queries::NewRow>, AppError> {
        let round = new.round.unwrap_or(1);
        if !(1..=20).contains(&round) {
            return Err(AppError::field("round", "out_of_range", "1 to 20"));
        }
        if new.units.is_empty() {
            return Err(AppError::field("units", "required", "at least one unit"));
        }
        let target = self
            .facts
            .get(&new.suggestion_id)
            .ok_or_else(|| AppError::field("suggestion_id", "unknown_reference", "no such suggestion"))?;
        let mut errors: Vec<FieldError> =
            new.units.iter().enumerate().flat_map(|(i, u)| self.check_unit(i, u)).collect();
        let live: Vec<Planned> = self
            .assignments
            .get(&new.suggestion_id)
            .into_iter()
            .flatten()
            .filter(|e| e.round == round && e.state != AssignmentState::Reassigned)
            .map(|e| Planned { unit_id: e.unit_id, role: e.role })
            .collect();
        let planned: Vec<Planned> = new.units.iter().map(|u| Planned { unit_id: u.unit_id, role: u.role }).collect();
        errors.extend(rules::check_set(&live, &planned));
        if let Some(s) = new.supervisor_id {
            if !self.is_leader(s) {
                errors.push(FieldError::new("supervisor_id", "invalid", "not an active user with the leader role"));
            }
            if !target.is_key {
                errors.push(FieldError::new(
                    "supervisor_id",
                    "not_key",
                    "only a key suggestion (重点建议) has a supervising leader",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let assigned_on = new.assigned_on.map_or(today, Day::get);
        new.units
            .iter()
            .map(|u| {
                let facts = DueFacts {
                    source: target.source,
                    role: u.role,
                    round,
                    received_on: target.received_on,
                    assigned_on,
                    extended_to: None,
                    rule_id: None,
                };
                let dates = due_dates::dates(&self.rules, &self.calendar, &facts)?;
                Ok(queries::NewRow {
                    id: Uuid::now_v7(),
                    suggestion_id: new.suggestion_id,
                    unit_id: u.unit_id,
                    role: u.role,
                    round,
                    section_id: u.section_id,
                    leader_id: u.leader_id,
                    liaison_id: u.liaison_id,
                    assigned_on,
                    rule_id: dates.due.rule.id,
                    rule_due_on: dates.due.rule_due_on,
                    due_on: dates.due.due_on,
                    dispute_until: dates.dispute_until,
                })
            })
            .collect()
    }
}

/// The access an assignment grants: its unit and section read the suggestion; a
/// co-handling unit reads it as co-handler too.
fn access_of(row: &AssignmentRow) -> Vec<AccessGrant> {
    let grant = |unit_id, kind| AccessGrant { unit_id, kind, suggestion_id: row.suggestion_id, granted_by: row.id };
    let mut grants = vec![grant(row.unit_id, AccessKind::Unit)];
    grants.extend(row.section_id.map(|s| grant(s, AccessKind::Unit)));
    if row.role == HandlingRole::Co {
        grants.push(grant(row.unit_id, AccessKind::Co));
    }
    grants
}

/// Assigns a suggestion to units (the office).
pub async fn assign(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: &NewAssignments,
    today: NaiveDate,
) -> Result<Vec<Uuid>, AppError> {
    assign_many(conn, actor, std::slice::from_ref(new), today).await?.pop().expect("one outcome per request")
}

/// Assigns many suggestions at once (the task table): each request is checked on its own
/// (its outcome: the new assignments' ids, or why not), the valid ones are written together
/// — a few statements for the whole batch, whatever its size.
pub async fn assign_many(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    batch: &[NewAssignments],
    today: NaiveDate,
) -> Result<Vec<Result<Vec<Uuid>, AppError>>, AppError> {
    let mut known = Known::load(conn, batch).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rows = Vec::new();
    for new in batch {
        match known.plan(new, today) {
            Ok(planned) => {
                // Later requests of the batch see these as existing.
                let those = known.assignments.entry(new.suggestion_id).or_default();
                those.extend(planned.iter().map(|r| Existing {
                    suggestion_id: r.suggestion_id,
                    round: r.round,
                    unit_id: r.unit_id,
                    role: r.role,
                    state: AssignmentState::Assigned,
                }));
                outcomes.push(Ok(planned.iter().map(|r| r.id).collect()));
                rows.extend(planned);
            }
            Err(e) => outcomes.push(Err(e)),
        }
    }
    if rows.is_empty() {
        return Ok(outcomes);
    }
    let inserted = queries::insert(conn, &rows).await?;
    access::grant(conn, &inserted.iter().flat_map(access_of).collect::<Vec<_>>()).await?;
    let changes: Vec<Change> = inserted
        .iter()
        .map(|r| Change {
            action: "assignment.create",
            entity_type: "assignment",
            entity_id: r.id.to_string(),
            before: None,
            after: Some(snapshot(r)),
        })
        .collect();
    audit::record_many(conn, actor, &changes).await?;
    let events: Vec<Event> = inserted.iter().map(|r| event("assignment.created", r, json!({}))).collect();
    audit::emit(conn, &events).await?;
    let done: Vec<&NewAssignments> = batch.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()).map(|(n, _)| n).collect();
    for new in &done {
        if let Some(s) = new.supervisor_id {
            suggestions::service::set_supervisor(conn, actor, new.suggestion_id, Some(s)).await?;
        }
    }
    let ids = sorted(done.iter().map(|n| n.suggestion_id).collect());
    suggestions::service::set_statuses(conn, actor, &statuses(&ids, &known.facts, &known.assignments)).await?;
    Ok(outcomes)
}

/// The unit signs the assignment in (签收), or starts handling it.
pub async fn act(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    action: Action,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked(conn, principal, Operation::AssignmentRespond, id, Some(if_match)).await?;
        let to =
            rules::next(before.state, action, before.role, None).map_err(|allowed| illegal(before.state, allowed))?;
        let after = match action {
            Action::SignIn => queries::sign_in(conn, id, principal.user_id).await?,
            _ => queries::set_state(conn, id, to).await?,
        };
        let (name, kind) = match action {
            Action::SignIn => ("assignment.sign_in", "assignment.signed_in"),
            _ => ("assignment.start", "assignment.started"),
        };
        record_change(conn, &actor, name, &before, &after, kind, json!({})).await?;
        update_suggestion_status(conn, &actor, after.suggestion_id).await
    })
    .await
}

/// A later step ends the unit's part (a co-handler's opinion delivered to the lead; a reply
/// sent): in that step's transaction, with the assignment's audit row and event; 409 when
/// the assignment's state does not allow it (not signed in, say).
pub async fn complete_by_step(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    action: Action,
) -> Result<AssignmentRow, AppError> {
    let before = queries::for_update(conn, id).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    let to = rules::next(before.state, action, before.role, None).map_err(|allowed| illegal(before.state, allowed))?;
    let after = queries::set_state(conn, id, to).await?;
    let (name, kind) = match action {
        Action::GiveOpinion => ("assignment.give_opinion", "assignment.opinion_given"),
        Action::Reply => ("assignment.reply", "assignment.replied"),
        Action::ReplyRemotely => ("assignment.reply_remotely", "assignment.replied"),
        _ => ("assignment.complete", "assignment.completed"),
    };
    record_change(conn, actor, name, &before, &after, kind, json!({})).await?;
    update_suggestion_status(conn, actor, after.suggestion_id).await?;
    Ok(after)
}
