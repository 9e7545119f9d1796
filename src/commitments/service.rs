//! Commitment operations: the section lists what its B-class reply promised, reports
//! progress and closes each as done or explained; open ones show their due state; a done
//! one makes a follow-up letter (跟踪答复) through the letters generator.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::commitments::model::*;
use crate::commitments::queries;
use crate::db;
use crate::db::enums::{CommitmentState, ReplyClass};
use crate::error::AppError;
use crate::http::text;
use crate::letters::{Block, Letter};
use crate::replies;
use crate::replies::model::ReplyRow;

fn checked(field: &str, value: &str) -> Result<String, AppError> {
    text::optional_prose(field, Some(value), 2000)
        .map_err(|e| AppError::validation(vec![e]))?
        .ok_or_else(|| AppError::field(field, "required", "must not be empty"))
}

/// The reply, when the caller drafts for its section (else 404).
async fn own_reply(conn: &mut AsyncPgConnection, principal: &Principal, reply_id: Uuid) -> Result<ReplyRow, AppError> {
    let s = principal.require(Operation::ReplyDraft)?;
    let unit = principal.unit_id.filter(|_| s.own_unit).ok_or_else(|| AppError::not_found("reply"))?;
    let scope = replies::queries::ReplyScope { unit: Some(unit), ..Default::default() };
    replies::queries::reply(conn, reply_id, scope).await?.ok_or_else(|| AppError::not_found("reply"))
}

async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    c: &CommitmentRow,
    snap: serde_json::Value,
    kind: &'static str,
) -> Result<(), AppError> {
    let payload = json!({"id": c.id, "reply_id": c.reply_id, "suggestion_id": c.suggestion_id, "state": c.state,
        "due_on": c.due_on, "version": c.version});
    Ok(audit::record_with_event(conn, actor, action, ("commitment", c.id, c.version), (None, snap), kind, payload)
        .await?)
}

/// Commitments as answers show them (their progress in one query), with due states.
pub async fn to_commitments(
    conn: &mut AsyncPgConnection,
    rows: Vec<CommitmentRow>,
    clock: &Clock,
) -> Result<Vec<Commitment>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut progress: HashMap<Uuid, Vec<Progress>> = HashMap::new();
    for p in queries::progress_of(conn, &ids).await? {
        progress.entry(p.commitment_id).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|r| Commitment {
            due_state: (r.state == CommitmentState::Open).then(|| clock.due_state(r.due_on)),
            progress: progress.remove(&r.id).unwrap_or_default(),
            id: r.id,
            reply_id: r.reply_id,
            suggestion_id: r.suggestion_id,
            text: r.text,
            due_on: r.due_on,
            state: r.state,
            outcome: r.outcome,
            closed_at: r.closed_at,
            closed_by: r.closed_by,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The section lists a promise of its B-class reply.
pub async fn create(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewCommitment,
) -> Result<CommitmentRow, AppError> {
    let text = checked("text", &new.text)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let reply = own_reply(conn, principal, new.reply_id).await?;
        let current = replies::queries::revision(conn, reply.id, reply.revision).await?;
        if current.and_then(|r| r.class) != Some(ReplyClass::B) {
            return Err(AppError::conflict(
                "not_class_b",
                "commitments belong to a B-class reply (being solved or in plan)",
            ));
        }
        let c =
            queries::insert(conn, reply.id, reply.suggestion_id, &text, new.due_on.get(), principal.user_id).await?;
        let snap = json!({"text": c.text, "due_on": c.due_on});
        record(conn, &actor, "commitment.create", &c, snap, "commitment.created").await?;
        Ok(c)
    })
    .await
}

/// Locks an open commitment of the caller's section.
async fn own_open(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<CommitmentRow, AppError> {
    let c = queries::for_update(conn, id).await?.ok_or_else(|| AppError::not_found("commitment"))?;
    own_reply(conn, principal, c.reply_id).await.map_err(|_| AppError::not_found("commitment"))?;
    if c.state != CommitmentState::Open {
        return Err(AppError::conflict("closed", format!("the commitment is {}", c.state.as_str())));
    }
    Ok(c)
}

pub async fn progress(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    p: &NewProgress,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    let note = checked("note", &p.note)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let c = own_open(conn, principal, id).await?;
        queries::add_progress(conn, id, &note, p.reported_on.get(), principal.user_id).await?;
        let c = queries::one(conn, c.id).await?.ok_or_else(|| AppError::not_found("commitment"))?;
        let snap = json!({"note": note, "reported_on": p.reported_on.get()});
        record(conn, &actor, "commitment.progress", &c, snap, "commitment.progressed").await
    })
    .await
}

pub async fn close(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    closing: &Closing,
    if_match: &crate::http::etag::IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    if closing.state == CommitmentState::Open {
        return Err(AppError::field("state", "invalid", "done or explained"));
    }
    let outcome = checked("outcome", &closing.outcome)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = own_open(conn, principal, id).await?;
        if_match.check(before.version)?;
        let c = queries::close(conn, id, closing.state, &outcome, principal.user_id).await?;
        let snap = json!({"state": c.state, "outcome": c.outcome});
        record(conn, &actor, "commitment.close", &c, snap, "commitment.closed").await
    })
    .await
}

/// The commitments of a reply or suggestion the caller may read.
pub async fn list(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    f: &CommitmentFilter,
    clock: &Clock,
) -> Result<Vec<Commitment>, AppError> {
    let scope = replies::service::reader(conn, principal).await?;
    let reply_ids: Vec<Uuid> = match (f.reply_id, f.suggestion_id) {
        (Some(r), _) => replies::queries::reply(conn, r, scope).await?.map(|r| r.id).into_iter().collect(),
        (None, Some(s)) => {
            replies::queries::page(conn, scope, (Some(s), None, None), None, 200).await?.iter().map(|r| r.id).collect()
        }
        (None, None) => return Err(AppError::field("reply_id", "required", "a reply_id or a suggestion_id")),
    };
    let rows = queries::of(conn, &reply_ids).await?;
    to_commitments(conn, rows, clock).await
}

/// The follow-up letter (跟踪答复) of a done commitment, for those who read its reply.
pub async fn follow_up(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Letter, AppError> {
    // The role first (403), without a query; the reply's scope decides the rest (404).
    principal.require(Operation::ReplyRead)?;
    let c = queries::one(conn, id).await?.ok_or_else(|| AppError::not_found("commitment"))?;
    let mut letter = replies::service::letters::of_reply(conn, principal, c.reply_id, None)
        .await
        .map_err(|_| AppError::not_found("commitment"))?;
    if c.state != CommitmentState::Done {
        return Err(AppError::conflict("not_done", "a follow-up letter reports a commitment that is done"));
    }
    letter.title = letter.title.replace("的答复", "的跟踪答复");
    letter.class = None;
    letter.doc_no = None;
    letter.blocks = vec![
        Block::Paragraph(format!("我单位在答复中承诺：{}。现将落实情况报告如下：", c.text.trim_end_matches('。'))),
        Block::Paragraph(c.outcome.unwrap_or_default()),
        Block::Paragraph("感谢您对我们工作的关心和支持。".into()),
    ];
    letter.date = crate::calendar::days::local_date(c.closed_at.unwrap_or_else(chrono::Utc::now));
    Ok(letter)
}

/// What the contact plan needs from after the reply (registered as `AppState::after_reply`).
pub fn after_reply_hook(
    conn: &mut AsyncPgConnection,
    assignment_id: Uuid,
) -> futures_util::future::LocalBoxFuture<'_, Result<crate::coordination::rules::AfterReply, AppError>> {
    Box::pin(async move {
        let (replied_on, commitments_open) = queries::after_reply(conn, assignment_id).await?;
        Ok(crate::coordination::rules::AfterReply { replied_on, commitments_open })
    })
}

/// Rows the due-state job takes per transaction.
const JOB_BATCH: usize = 500;

/// The due-state job for open commitments: records each one's new due state and, when it
/// becomes due soon or overdue, reminds the unit that answered (a reminder on the reply's
/// assignment naming the commitment) — once per change, with any number of instances
/// running it. Returns the reminders written.
pub async fn run_due_states(conn: &mut AsyncPgConnection, clock: &Clock) -> Result<usize, AppError> {
    use crate::assignments::service::due_states::{JobReminder, record_job_reminders};
    let mut reminded = 0;
    loop {
        let (seen, written) = db::transaction(conn, async |conn| {
            let rows = queries::due_state_changes(conn, clock.today, clock.soon_until(), JOB_BATCH as i64).await?;
            let states: Vec<_> = rows.iter().map(|r| (r.id, clock.due_state(r.due_on))).collect();
            let reminders: Vec<queries::CommitmentReminder> = rows
                .iter()
                .zip(&states)
                .filter_map(|(r, (_, state))| {
                    let kind = Option::<crate::db::enums::ReminderKind>::from(*state)?;
                    let when =
                        if kind == crate::db::enums::ReminderKind::Overdue { "已超期" } else { "即将到期" };
                    Some(queries::CommitmentReminder {
                        id: Uuid::now_v7(),
                        assignment_id: r.assignment_id,
                        commitment_id: r.id,
                        kind: kind.as_str().to_string(),
                        message: Some(format!("答复承诺事项“{}”{when}（{}）。", r.text, r.due_on)),
                        due_on: r.due_on,
                    })
                })
                .collect();
            queries::set_due_states(conn, &states).await?;
            let written = queries::insert_reminders(conn, &reminders).await?;
            let records: Vec<JobReminder> = written
                .iter()
                .map(|r| JobReminder {
                    id: r.id,
                    assignment_id: r.assignment_id,
                    payload: json!({"reminder_id": r.id, "assignment_id": r.assignment_id,
                        "commitment_id": r.commitment_id, "kind": r.kind, "due_on": r.due_on}),
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
