//! Assignment operations: each checks, changes, and records its audit row and event in
//! one transaction; the suggestion's status follows its assignments.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::model::*;
use crate::assignments::queries::{self, AssignmentScope, ListRow};
use crate::assignments::rules::{self, Action, AssignmentState, HandlingRole, Planned};
use crate::audit::{self, Actor, Change, Event};
use crate::auth::{Operation, Principal, Role};
use crate::calendar::queries as cal;
use crate::calendar::rules::{self as deadlines, DeadlineKind, DeadlineRule, Starts};
use crate::calendar::{self, Calendar, DueState};
use crate::db;
use crate::directory::model::{UnitKind, UnitRow, UserRow};
use crate::directory::queries as directory;
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;
use crate::suggestions::model::SuggestionStatus;
use crate::suggestions::service as suggestions;

/// What a caller may see of assignments for an operation.
pub fn scope(principal: &Principal, op: Operation) -> Result<AssignmentScope, AppError> {
    let s = principal.require(op)?;
    let unit = principal.unit_id;
    Ok(AssignmentScope {
        all: s.all || (s.responsible && principal.head),
        leader: s.responsible.then_some(principal.user_id),
        unit: unit.filter(|_| s.own_unit),
        co_unit: unit.filter(|_| s.own_co),
    })
}

fn in_scope(row: &AssignmentRow, scope: &AssignmentScope) -> bool {
    scope.all
        || scope.leader.is_some() && row.leader_id == scope.leader
        || scope.unit.is_some() && (Some(row.unit_id) == scope.unit || row.section_id == scope.unit)
        || scope.co_unit.is_some() && Some(row.unit_id) == scope.co_unit && row.role == "co"
}

/// How the service judges due states: the calendar, today, and the warning span.
pub struct Clock {
    pub calendar: std::sync::Arc<Calendar>,
    pub today: NaiveDate,
    pub warn_days: u32,
}

impl Clock {
    pub async fn load(conn: &mut AsyncPgConnection, warn_days: u32) -> Result<Self, AppError> {
        Ok(Clock::new(std::sync::Arc::new(cal::calendar(conn).await?), warn_days))
    }

    /// Today's clock on a calendar read earlier.
    pub fn new(calendar: std::sync::Arc<Calendar>, warn_days: u32) -> Self {
        Clock { calendar, today: calendar::today(), warn_days }
    }

    pub fn soon_until(&self) -> NaiveDate {
        calendar::due_soon_until(&self.calendar, self.today, self.warn_days)
    }

    pub fn due_state(&self, state: AssignmentState, due_on: NaiveDate) -> DueState {
        if state.is_open() {
            calendar::due_state(&self.calendar, due_on, self.today, self.warn_days)
        } else {
            DueState::OnTrack
        }
    }
}

pub fn to_assignment(clock: &Clock, (row, external_no, title, is_key, unit_name, section_name): ListRow) -> Assignment {
    let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
    let role = HandlingRole::parse(&row.role).unwrap_or(HandlingRole::Lead);
    Assignment {
        id: row.id,
        suggestion_id: row.suggestion_id,
        external_no,
        title,
        is_key,
        unit_id: row.unit_id,
        unit_name,
        role,
        round: row.round,
        section_id: row.section_id,
        section_name,
        leader_id: row.leader_id,
        liaison_id: row.liaison_id,
        state,
        allowed_actions: rules::allowed(state, role),
        assigned_on: row.assigned_on,
        due_on: row.due_on,
        rule_due_on: row.rule_due_on,
        extended_to: row.extended_to,
        dispute_until: row.dispute_until,
        due_state: clock.due_state(state, row.due_on),
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
    let scope = scope(principal, Operation::AssignmentRead)?;
    let row = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    Ok(to_assignment(clock, row))
}

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

/// The deadline kind of an assignment: a reply (or a new round's reply), or an opinion.
pub fn deadline_kind(role: HandlingRole, round: i32) -> DeadlineKind {
    match (role, round) {
        (HandlingRole::Co, _) => DeadlineKind::CoOpinion,
        (_, 1) => DeadlineKind::Reply,
        _ => DeadlineKind::ReHandling,
    }
}

/// What a batch of assignments is checked against, read once for the whole batch: the
/// suggestions (locked), the units and people named, the suggestions' assignments so far,
/// the rules and the calendar.
struct Known {
    facts: HashMap<Uuid, suggestions::KeyFacts>,
    units: HashMap<Uuid, UnitRow>,
    users: HashMap<Uuid, UserRow>,
    assignments: HashMap<Uuid, Vec<Existing>>,
    rules: Vec<DeadlineRule>,
    calendar: Calendar,
}

/// An assignment a suggestion has already.
#[derive(Debug, Clone, Copy)]
struct Existing {
    round: i32,
    unit_id: Uuid,
    role: HandlingRole,
    state: AssignmentState,
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The assignments of suggestions, grouped by suggestion.
async fn existing(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Existing>>, AppError> {
    let mut by_suggestion: HashMap<Uuid, Vec<Existing>> = HashMap::new();
    for (suggestion_id, round, unit_id, role, state) in queries::of_suggestions(conn, ids).await? {
        let (Some(role), Some(state)) = (HandlingRole::parse(&role), AssignmentState::parse(&state)) else { continue };
        by_suggestion.entry(suggestion_id).or_default().push(Existing { round, unit_id, role, state });
    }
    Ok(by_suggestion)
}

impl Known {
    async fn load(conn: &mut AsyncPgConnection, batch: &[NewAssignments]) -> Result<Self, AppError> {
        let ids = sorted(batch.iter().map(|n| n.suggestion_id).collect());
        let facts = suggestions::facts(conn, &ids, true).await?;
        let units = batch.iter().flat_map(|n| &n.units).flat_map(|u| [Some(u.unit_id), u.section_id]).flatten();
        let people = batch
            .iter()
            .flat_map(|n| n.units.iter().flat_map(|u| [u.leader_id, u.liaison_id]).chain([n.supervisor_id]).flatten());
        let units = directory::units_by_ids(conn, &sorted(units.collect())).await?;
        let users = directory::users_by_ids(conn, &sorted(people.collect())).await?;
        Ok(Known {
            facts,
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            assignments: existing(conn, &ids).await?,
            rules: cal::rules(conn).await?,
            calendar: cal::calendar(conn).await?,
        })
    }

    fn is_leader(&self, id: Uuid) -> bool {
        self.users.get(&id).is_some_and(|u| u.active && u.roles.iter().any(|r| r == Role::Leader.as_str()))
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
            Some(x) if x.kind == UnitKind::Section.as_str() => errors.push(FieldError::new(
                at("unit_id"),
                "invalid",
                "assign the bureau and name its section in section_id",
            )),
            _ => {}
        }
        if let (Some(section_id), Some(unit)) = (u.section_id, unit) {
            match self.units.get(&section_id) {
                Some(s) if s.kind == UnitKind::Section.as_str() && s.parent_id == Some(unit.id) && s.active => {}
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
        let assigned_on = new.assigned_on.unwrap_or(today);
        new.units
            .iter()
            .map(|u| {
                let (rule, due_on, dispute_until) = dates_for(
                    &self.rules,
                    &self.calendar,
                    target.source.as_str(),
                    u.role,
                    round,
                    assigned_on,
                    target.received_on,
                )?;
                Ok(queries::NewRow {
                    id: Uuid::now_v7(),
                    suggestion_id: new.suggestion_id,
                    unit_id: u.unit_id,
                    role: u.role.as_str(),
                    round,
                    section_id: u.section_id,
                    leader_id: u.leader_id,
                    liaison_id: u.liaison_id,
                    assigned_on,
                    rule_id: rule.id,
                    rule_due_on: due_on,
                    due_on,
                    dispute_until,
                    due_state: DueState::OnTrack.as_str(),
                })
            })
            .collect()
    }
}

/// The rule and dates of a new assignment.
fn dates_for(
    rules: &[DeadlineRule],
    calendar: &Calendar,
    source: &str,
    role: HandlingRole,
    round: i32,
    assigned_on: NaiveDate,
    received_on: Option<NaiveDate>,
) -> Result<(DeadlineRule, NaiveDate, Option<NaiveDate>), AppError> {
    let kind = deadline_kind(role, round);
    let rule = deadlines::select(rules, kind, source, role.as_str()).ok_or_else(|| {
        AppError::unprocessable("no_deadline_rule", format!("no deadline rule for {}", kind.as_str()))
    })?;
    let starts = Starts { received_on, assigned_on: Some(assigned_on), replied_on: None };
    let due = deadlines::due_date(rule, starts, None, calendar)
        .map_err(|e| AppError::unprocessable("deadline_rule_unusable", e.to_string()))?;
    let dispute_until = deadlines::select(rules, DeadlineKind::Dispute, source, role.as_str())
        .and_then(|r| deadlines::due_date(r, starts, None, calendar).ok())
        .map(|e| e.due_on);
    Ok((rule.clone(), due.due_on, dispute_until))
}

/// The statuses of suggestions as their assignments make them: `(id, before, after)`.
fn statuses(
    ids: &[Uuid],
    facts: &HashMap<Uuid, suggestions::KeyFacts>,
    assignments: &HashMap<Uuid, Vec<Existing>>,
) -> Vec<(Uuid, SuggestionStatus, SuggestionStatus)> {
    ids.iter()
        .filter_map(|id| {
            let states: Vec<(HandlingRole, AssignmentState)> =
                assignments.get(id).into_iter().flatten().map(|e| (e.role, e.state)).collect();
            Some((*id, facts.get(id)?.status, rules::suggestion_status(&states)))
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
    let facts = suggestions::facts(conn, &ids, false).await?;
    let assignments = existing(conn, &ids).await?;
    suggestions::set_statuses(conn, actor, &statuses(&ids, &facts, &assignments)).await
}

/// Assigns a suggestion to units (the office).
pub async fn assign(conn: &mut AsyncPgConnection, actor: &Actor, new: &NewAssignments) -> Result<Vec<Uuid>, AppError> {
    assign_many(conn, actor, std::slice::from_ref(new)).await?.pop().expect("one outcome per request")
}

/// Assigns many suggestions at once (the task table): each request is checked on its own
/// (its outcome: the new assignments' ids, or why not), the valid ones are written together
/// — a few statements for the whole batch, whatever its size.
pub async fn assign_many(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    batch: &[NewAssignments],
) -> Result<Vec<Result<Vec<Uuid>, AppError>>, AppError> {
    let mut known = Known::load(conn, batch).await?;
    let today = calendar::today();
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rows = Vec::new();
    for new in batch {
        match known.plan(new, today) {
            Ok(planned) => {
                // Later requests of the batch see these as existing.
                let those = known.assignments.entry(new.suggestion_id).or_default();
                those.extend(planned.iter().map(|r| Existing {
                    round: r.round,
                    unit_id: r.unit_id,
                    role: HandlingRole::parse(r.role).unwrap_or(HandlingRole::Lead),
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
            suggestions::set_supervisor(conn, actor, new.suggestion_id, Some(s)).await?;
        }
    }
    let ids = sorted(done.iter().map(|n| n.suggestion_id).collect());
    suggestions::set_statuses(conn, actor, &statuses(&ids, &known.facts, &known.assignments)).await?;
    Ok(outcomes)
}

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

/// Locks an assignment the caller may act on for `op`, checking `If-Match`.
async fn locked(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    op: Operation,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(AssignmentRow, AssignmentState, HandlingRole), AppError> {
    let scope = scope(principal, op)?;
    let row = queries::for_update(conn, id)
        .await?
        .filter(|r| in_scope(r, &scope))
        .ok_or_else(|| AppError::not_found("assignment"))?;
    if_match.check(row.version)?;
    let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
    let role = HandlingRole::parse(&row.role).unwrap_or(HandlingRole::Lead);
    Ok((row, state, role))
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
        let (before, state, role) = locked(conn, principal, Operation::AssignmentRespond, id, if_match).await?;
        let to = rules::next(state, action, role, None).map_err(|allowed| illegal(state, allowed))?;
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

/// The unit asks to be reassigned, within the dispute window.
pub async fn dispute(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
    new: &NewDispute,
) -> Result<Dispute, AppError> {
    let reason =
        crate::directory::rules::name("reason", &new.reason, 2000).map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let (before, state, role) = locked(conn, principal, Operation::AssignmentRespond, id, if_match).await?;
        let to = rules::next(state, Action::Dispute, role, None).map_err(|allowed| illegal(state, allowed))?;
        let today = calendar::today();
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
            && directory::unit(conn, u).await?.is_none()
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
                status: "pending".into(),
                decided_by: None,
                decided_at: None,
                decision_note: None,
                state_before: state.as_str().into(),
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
) -> Result<Dispute, AppError> {
    db::transaction(conn, async |conn| {
        let d = queries::dispute_for_update(conn, dispute_id).await?.ok_or_else(|| AppError::not_found("dispute"))?;
        if_match.check(d.version)?;
        if d.status != "pending" {
            return Err(AppError::conflict("already_decided", format!("the dispute was {} already", d.status)));
        }
        let row = queries::for_update(conn, d.assignment_id).await?.ok_or_else(|| AppError::not_found("assignment"))?;
        let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
        let role = HandlingRole::parse(&row.role).unwrap_or(HandlingRole::Lead);
        let action = if decision.accept { Action::AcceptDispute } else { Action::RefuseDispute };
        let to = rules::next(state, action, role, AssignmentState::parse(&d.state_before))
            .map_err(|allowed| illegal(state, allowed))?;
        let note = decision.note.as_deref();
        let decided = queries::decide_dispute(
            conn,
            dispute_id,
            if decision.accept { "accepted" } else { "refused" },
            decided_by,
            note,
        )
        .await?;
        if decision.accept {
            let to_unit = decision
                .reassign_to
                .clone()
                .ok_or_else(|| AppError::field("reassign_to", "required", "name the unit that takes the item over"))?;
            if to_unit.role != role {
                return Err(AppError::field("reassign_to.role", "invalid", "the new unit takes over the same role"));
            }
            // The old assignment leaves the round before the new one joins it.
            queries::set_state(conn, row.id, AssignmentState::Reassigned).await?;
            let new = NewAssignments {
                suggestion_id: row.suggestion_id,
                assigned_on: None,
                round: Some(row.round),
                units: vec![to_unit],
                supervisor_id: None,
            };
            let ids = assign(conn, actor, &new).await?;
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

/// The unit asks for more time.
pub async fn request_extension(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    new: &NewExtension,
) -> Result<Extension, AppError> {
    let reason =
        crate::directory::rules::name("reason", &new.reason, 2000).map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let scope = scope(principal, Operation::AssignmentRespond)?;
        let row = queries::for_update(conn, id)
            .await?
            .filter(|r| in_scope(r, &scope))
            .ok_or_else(|| AppError::not_found("assignment"))?;
        let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
        if !state.is_open() {
            return Err(illegal(state, vec![]));
        }
        if new.requested_until <= row.due_on {
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
                requested_until: new.requested_until,
                requested_by: principal.user_id,
                requested_at: chrono::Utc::now(),
                status: "pending".into(),
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
        .map_err(|e| match AppError::from(e) {
            c if c.status() == StatusCode::CONFLICT => {
                AppError::conflict("extension_pending", "an extension request is already pending")
            }
            other => other,
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
    db::transaction(conn, async |conn| {
        let ext =
            queries::extension_for_update(conn, extension_id).await?.ok_or_else(|| AppError::not_found("extension"))?;
        if_match.check(ext.version)?;
        if ext.status != "pending" {
            return Err(AppError::conflict("already_decided", format!("the extension was {} already", ext.status)));
        }
        let row =
            queries::for_update(conn, ext.assignment_id).await?.ok_or_else(|| AppError::not_found("assignment"))?;
        if !d.approve {
            let outcome = queries::ExtensionOutcome {
                status: "refused",
                approved_until: None,
                explanation: None,
                explained_on: None,
                note: d.note.as_deref(),
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
        let until = d.approved_until.unwrap_or(ext.requested_until);
        let mut errors = Vec::new();
        let explanation = d.explanation.as_deref().map(str::trim).filter(|e| !e.is_empty());
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
        let rules = cal::rules(conn).await?;
        let calendar = cal::calendar(conn).await?;
        let rule = rules
            .iter()
            .find(|r| r.id == row.rule_id)
            .ok_or_else(|| AppError::internal("an assignment's rule is gone"))?;
        match deadlines::extension_limit(rule, row.rule_due_on, &calendar) {
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
            status: "approved",
            approved_until: Some(until),
            explanation,
            explained_on: d.explained_on,
            note: d.note.as_deref(),
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

/// A reminder (催办) from the office or a responsible leader.
pub async fn remind(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    new: &NewReminder,
) -> Result<Reminder, AppError> {
    let message = crate::directory::rules::optional_text("message", new.message.as_deref(), 500)
        .map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let scope = scope(principal, Operation::Remind)?;
        let row = queries::for_update(conn, id)
            .await?
            .filter(|r| in_scope(r, &scope))
            .ok_or_else(|| AppError::not_found("assignment"))?;
        let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
        if !state.is_open() {
            return Err(illegal(state, vec![]));
        }
        let reminder = Reminder {
            id: Uuid::now_v7(),
            assignment_id: id,
            kind: "manual".into(),
            message,
            due_on: row.due_on,
            sent_by: Some(principal.user_id),
            created_at: chrono::Utc::now(),
        };
        let saved = queries::insert_reminders(conn, &[reminder])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal("reminder not written"))?;
        audit::record(
            conn,
            &actor,
            "reminder.create",
            "reminder",
            &saved.id.to_string(),
            None,
            serde_json::to_value(&saved).ok(),
        )
        .await?;
        audit::emit(
            conn,
            &[event(
                "reminder.created",
                &row,
                json!({"reminder_id": saved.id, "kind": "manual", "message": saved.message}),
            )],
        )
        .await?;
        Ok(saved)
    })
    .await
}

/// The due-state job: records each open assignment's new due state and sends a reminder
/// when it becomes due soon or overdue — once per change, with any number of instances
/// running it (rows another instance holds are skipped). Returns the reminders written.
pub async fn run_due_states(conn: &mut AsyncPgConnection, clock: &Clock) -> Result<usize, AppError> {
    let mut reminded = 0;
    loop {
        let batch = db::transaction(conn, async |conn| {
            let rows = queries::due_state_changes(conn, clock.today, clock.soon_until(), 500).await?;
            let mut states = Vec::with_capacity(rows.len());
            let mut reminders = Vec::new();
            for (id, due_on, _) in &rows {
                let now = calendar::due_state(&clock.calendar, *due_on, clock.today, clock.warn_days);
                states.push((*id, now.as_str()));
                if now != DueState::OnTrack {
                    reminders.push(Reminder {
                        id: Uuid::now_v7(),
                        assignment_id: *id,
                        kind: now.as_str().into(),
                        message: None,
                        due_on: *due_on,
                        sent_by: None,
                        created_at: chrono::Utc::now(),
                    });
                }
            }
            queries::set_due_states(conn, &states).await?;
            let written = queries::insert_reminders(conn, &reminders).await?;
            let events: Vec<Event> = written
                .iter()
                .map(|r| Event {
                    kind: "reminder.created",
                    entity_type: "assignment",
                    entity_id: r.assignment_id,
                    version: None,
                    payload: json!({"reminder_id": r.id, "assignment_id": r.assignment_id, "kind": r.kind, "due_on": r.due_on}),
                })
                .collect();
            audit::emit(conn, &events).await?;
            let changes: Vec<Change> = written
                .iter()
                .map(|r| Change {
                    action: "reminder.create",
                    entity_type: "reminder",
                    entity_id: r.id.to_string(),
                    before: None,
                    after: serde_json::to_value(r).ok(),
                })
                .collect();
            audit::record_many(conn, &Actor::system("due-state job"), &changes).await?;
            Ok((rows.len(), written.len()))
        })
        .await?;
        reminded += batch.1;
        if batch.0 < 500 {
            return Ok(reminded);
        }
    }
}

/// Recomputes the due dates of open assignments (of one rule, or all) after the calendar
/// or a rule changed; writes an event per assignment whose dates moved. Returns how many.
pub async fn recompute_due_dates(conn: &mut AsyncPgConnection, rule: Option<Uuid>) -> Result<usize, AppError> {
    let rules: HashMap<Uuid, DeadlineRule> = cal::rules(conn).await?.into_iter().map(|r| (r.id, r)).collect();
    let all_rules: Vec<DeadlineRule> = rules.values().cloned().collect();
    let calendar = cal::calendar(conn).await?;
    let open = queries::open_dues(conn, rule).await?;
    let mut changed = Vec::new();
    for a in &open {
        let Some(r) = rules.get(&a.rule_id) else { continue };
        let starts = Starts { received_on: a.received_on, assigned_on: Some(a.assigned_on), replied_on: None };
        let Ok(e) = deadlines::due_date(r, starts, a.extended_to, &calendar) else { continue };
        let source = r.source.as_deref().unwrap_or("npc");
        let dispute_until = a.dispute_until.and_then(|_| {
            deadlines::select(&all_rules, DeadlineKind::Dispute, source, r.role.as_deref().unwrap_or("lead"))
                .and_then(|d| deadlines::due_date(d, starts, None, &calendar).ok())
                .map(|x| x.due_on)
        });
        if e.rule_due_on != a.rule_due_on
            || e.due_on != a.due_on
            || dispute_until.is_some() && dispute_until != a.dispute_until
        {
            changed.push((a.id, e.rule_due_on, e.due_on, dispute_until.or(a.dispute_until), a.due_on));
        }
    }
    for chunk in changed.chunks(5000) {
        let rows: Vec<_> = chunk.iter().map(|c| (c.0, c.1, c.2, c.3)).collect();
        queries::update_dues(conn, &rows).await?;
        let events: Vec<Event> = chunk
            .iter()
            .map(|c| Event {
                kind: "assignment.due_changed",
                entity_type: "assignment",
                entity_id: c.0,
                version: None,
                payload: json!({"id": c.0, "due_on": c.2, "previous_due_on": c.4, "rule_due_on": c.1, "dispute_until": c.3}),
            })
            .collect();
        audit::emit(conn, &events).await?;
    }
    Ok(changed.len())
}

/// How an assignment's deadline was computed.
pub async fn explain(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    clock: &Clock,
) -> Result<DeadlineExplanation, AppError> {
    let scope = scope(principal, Operation::AssignmentRead)?;
    let (row, ..) = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    let facts = suggestions::facts(conn, &[row.suggestion_id], false)
        .await?
        .remove(&row.suggestion_id)
        .ok_or_else(|| AppError::not_found("suggestion"))?;
    let rules = cal::rules(conn).await?;
    let rule =
        rules.iter().find(|r| r.id == row.rule_id).ok_or_else(|| AppError::internal("an assignment's rule is gone"))?;
    let starts = Starts { received_on: facts.received_on, assigned_on: Some(row.assigned_on), replied_on: None };
    let explanation = deadlines::due_date(rule, starts, row.extended_to, &clock.calendar)
        .map_err(|e| AppError::unprocessable("deadline_rule_unusable", e.to_string()))?;
    let state = AssignmentState::parse(&row.state).unwrap_or(AssignmentState::Assigned);
    Ok(DeadlineExplanation { assignment_id: id, due_state: clock.due_state(state, row.due_on), explanation })
}
