//! Due states and due dates after the fact: the due-state job that reminds on each change
//! to due soon or overdue, the recompute after a calendar or rule change, and how an
//! assignment's deadline was computed — each through `due_dates::dates`.

use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::due_dates::{self, AssignmentDates, DueFacts};
use crate::assignments::model::{AssignmentRow, DeadlineExplanation, Reminder};
use crate::assignments::queries;
use crate::assignments::service::{due_state, scope};
use crate::audit::{self, Actor, Change, Event};
use crate::auth::{Operation, Principal};
use crate::calendar::rules::DeadlineRule;
use crate::calendar::{self, Clock};
use crate::db;
use crate::db::enums::{DeadlineKind, ReminderKind};
use crate::error::AppError;
use crate::suggestions;

/// Rows the due-state job takes per transaction.
const JOB_BATCH: usize = 500;

/// The due-state job: records each open assignment's new due state and sends a reminder
/// when it becomes due soon or overdue — once per change, with any number of instances
/// running it (rows another instance holds are skipped). Returns the reminders written.
pub async fn run_due_states(conn: &mut AsyncPgConnection, clock: &Clock) -> Result<usize, AppError> {
    let mut reminded = 0;
    loop {
        let (seen, written) = db::transaction(conn, async |conn| {
            let rows = queries::due_state_changes(conn, clock.today, clock.soon_until(), JOB_BATCH as i64).await?;
            let mut states = Vec::with_capacity(rows.len());
            let mut reminders = Vec::new();
            for r in &rows {
                let now = clock.due_state(r.due_on);
                states.push((r.id, now));
                if let Some(kind) = Option::<ReminderKind>::from(now) {
                    reminders.push(Reminder {
                        id: Uuid::now_v7(),
                        assignment_id: r.id,
                        kind,
                        message: None,
                        due_on: r.due_on,
                        sent_by: None,
                        created_at: chrono::Utc::now(),
                    });
                }
            }
            queries::set_due_states(conn, &states).await?;
            let written = queries::insert_reminders(conn, &reminders).await?;
            let records: Vec<JobReminder> = written
                .iter()
                .map(|r| JobReminder {
                    id: r.id,
                    assignment_id: r.assignment_id,
                    payload: json!({"reminder_id": r.id, "assignment_id": r.assignment_id, "kind": r.kind, "due_on": r.due_on}),
                    after: serde_json::to_value(r).ok(),
                })
                .collect();
            record_job_reminders(conn, &records).await?;
            Ok((rows.len(), written.len()))
        })
        .await?;
        reminded += written;
        if seen < JOB_BATCH {
            return Ok(reminded);
        }
    }
}

/// A reminder the due-state job wrote: its event's payload and its audit row's snapshot.
pub struct JobReminder {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub payload: serde_json::Value,
    pub after: Option<serde_json::Value>,
}

/// The events (`reminder.created`, on the assignment) and audit rows of the reminders the
/// due-state job wrote — the assignments' and the commitments' — one statement each.
pub async fn record_job_reminders(conn: &mut AsyncPgConnection, written: &[JobReminder]) -> Result<(), AppError> {
    let events: Vec<Event> = written
        .iter()
        .map(|r| Event {
            kind: "reminder.created",
            entity_type: "assignment",
            entity_id: r.assignment_id,
            version: None,
            payload: r.payload.clone(),
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
            after: r.after.clone(),
        })
        .collect();
    audit::record_many(conn, &Actor::system("due-state job"), &changes).await?;
    Ok(())
}

/// Recomputes the dates of open assignments after the calendar (`rule` none) or a rule
/// changed: those under the rule, or all of them when a dispute rule or the calendar
/// changed. Writes an event per assignment whose dates moved; returns how many moved.
pub async fn recompute_due_dates(conn: &mut AsyncPgConnection, rule: Option<&DeadlineRule>) -> Result<usize, AppError> {
    let rules = calendar::queries::rules(conn).await?;
    let calendar = calendar::queries::calendar(conn).await?;
    let under = rule.filter(|r| r.kind != DeadlineKind::Dispute).map(|r| r.id);
    let open = queries::open_dues(conn, under).await?;
    let mut changed = Vec::new();
    for a in &open {
        let facts = DueFacts {
            source: a.source,
            role: a.role,
            round: a.round,
            received_on: a.received_on,
            assigned_on: a.assigned_on,
            extended_to: a.extended_to,
            rule_id: Some(a.rule_id),
        };
        let Ok(dates) = due_dates::dates(&rules, &calendar, &facts) else { continue };
        // A window the assignment never had is not opened now.
        let dispute_until = a.dispute_until.and(dates.dispute_until);
        if dates.due.rule_due_on != a.rule_due_on || dates.due.due_on != a.due_on || dispute_until != a.dispute_until {
            changed.push((a, dates.due.rule_due_on, dates.due.due_on, dispute_until));
        }
    }
    for chunk in changed.chunks(5000) {
        let rows: Vec<_> =
            chunk.iter().map(|(a, rule_due_on, due_on, until)| (a.id, *rule_due_on, *due_on, *until)).collect();
        queries::update_dues(conn, &rows).await?;
        let events: Vec<Event> = chunk
            .iter()
            .map(|(a, rule_due_on, due_on, until)| Event {
                kind: "assignment.due_changed",
                entity_type: "assignment",
                entity_id: a.id,
                version: None,
                payload: json!({"id": a.id, "due_on": due_on, "previous_due_on": a.due_on, "rule_due_on": rule_due_on, "dispute_until": until}),
            })
            .collect();
        audit::emit(conn, &events).await?;
    }
    Ok(changed.len())
}

/// `recompute_due_dates` as the calendar's `Recompute` hook (registered in `AppState`).
pub fn recompute_hook<'c>(
    conn: &'c mut AsyncPgConnection,
    rule: Option<&'c DeadlineRule>,
) -> LocalBoxFuture<'c, Result<usize, AppError>> {
    Box::pin(recompute_due_dates(conn, rule))
}

/// An assignment's dates as they stand, from its own rule and the current calendar.
pub async fn dates_of(conn: &mut AsyncPgConnection, row: &AssignmentRow) -> Result<AssignmentDates, AppError> {
    let facts = suggestions::service::facts(conn, &[row.suggestion_id], false)
        .await?
        .remove(&row.suggestion_id)
        .ok_or_else(|| AppError::not_found("suggestion"))?;
    let rules = calendar::queries::rules(conn).await?;
    let calendar = calendar::queries::calendar(conn).await?;
    let due = DueFacts {
        source: facts.source,
        role: row.role,
        round: row.round,
        received_on: facts.received_on,
        assigned_on: row.assigned_on,
        extended_to: row.extended_to,
        rule_id: Some(row.rule_id),
    };
    Ok(due_dates::dates(&rules, &calendar, &due)?)
}

/// How an assignment's deadline was computed.
pub async fn explain(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    clock: &Clock,
) -> Result<DeadlineExplanation, AppError> {
    let scope = scope(principal, Operation::HandlingRead)?;
    let row = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("assignment"))?.row;
    let dates = dates_of(conn, &row).await?;
    Ok(DeadlineExplanation { assignment_id: id, due_state: due_state(clock, &row), explanation: dates.due })
}
