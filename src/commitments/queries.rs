//! Commitments and their progress in the database.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::commitments::model::{CommitmentRow, Progress};
use crate::db::enums::{CommitmentState, DueState};
use crate::db::schema::{commitment_progress, commitments};

pub async fn of(conn: &mut AsyncPgConnection, reply_ids: &[Uuid]) -> QueryResult<Vec<CommitmentRow>> {
    commitments::table
        .select(CommitmentRow::as_select())
        .filter(commitments::reply_id.eq_any(reply_ids))
        .order((commitments::due_on.asc(), commitments::id.asc()))
        .load(conn)
        .await
}

pub async fn one(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<CommitmentRow>> {
    commitments::table.select(CommitmentRow::as_select()).filter(commitments::id.eq(id)).first(conn).await.optional()
}

pub async fn for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<CommitmentRow>> {
    commitments::table
        .select(CommitmentRow::as_select())
        .filter(commitments::id.eq(id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    reply_id: Uuid,
    suggestion_id: Uuid,
    text: &str,
    due_on: NaiveDate,
    by: Uuid,
) -> QueryResult<CommitmentRow> {
    diesel::insert_into(commitments::table)
        .values((
            commitments::id.eq(Uuid::now_v7()),
            commitments::reply_id.eq(reply_id),
            commitments::suggestion_id.eq(suggestion_id),
            commitments::text.eq(text),
            commitments::due_on.eq(due_on),
            commitments::created_by.eq(by),
        ))
        .returning(CommitmentRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn close(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: CommitmentState,
    outcome: &str,
    by: Uuid,
) -> QueryResult<CommitmentRow> {
    diesel::update(commitments::table.filter(commitments::id.eq(id)))
        .set((
            commitments::state.eq(state),
            commitments::outcome.eq(outcome),
            commitments::closed_at.eq(diesel::dsl::now),
            commitments::closed_by.eq(by),
            commitments::version.eq(commitments::version + 1),
            commitments::updated_at.eq(diesel::dsl::now),
        ))
        .returning(CommitmentRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn progress_of(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Progress>> {
    commitment_progress::table
        .select(Progress::as_select())
        .filter(commitment_progress::commitment_id.eq_any(ids))
        .order((commitment_progress::reported_on.asc(), commitment_progress::created_at.asc()))
        .load(conn)
        .await
}

pub async fn add_progress(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    note: &str,
    reported_on: NaiveDate,
    by: Uuid,
) -> QueryResult<Progress> {
    diesel::update(commitments::table.filter(commitments::id.eq(id)))
        .set((commitments::version.eq(commitments::version + 1), commitments::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    diesel::insert_into(commitment_progress::table)
        .values((
            commitment_progress::id.eq(Uuid::now_v7()),
            commitment_progress::commitment_id.eq(id),
            commitment_progress::note.eq(note),
            commitment_progress::reported_on.eq(reported_on),
            commitment_progress::recorded_by.eq(by),
        ))
        .returning(Progress::as_returning())
        .get_result(conn)
        .await
}

/// The date on an assignment's reply (the bureau's signed letter, or another unit's reply
/// reported from the municipal system) and whether promises made in it are open.
pub async fn after_reply(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<(Option<NaiveDate>, bool)> {
    use crate::db::schema::{remote_replies, replies};
    let ours: Option<(Uuid, Option<NaiveDate>)> = replies::table
        .filter(replies::assignment_id.eq(assignment_id))
        .select((replies::id, replies::signed_on))
        .first(conn)
        .await
        .optional()?;
    if let Some((reply_id, signed_on)) = ours {
        let open = diesel::select(diesel::dsl::exists(
            commitments::table
                .filter(commitments::reply_id.eq(reply_id))
                .filter(commitments::state.eq(CommitmentState::Open)),
        ))
        .get_result(conn)
        .await?;
        return Ok((signed_on, open));
    }
    let remote: Option<NaiveDate> = remote_replies::table
        .filter(remote_replies::assignment_id.eq(assignment_id))
        .select(remote_replies::replied_on)
        .first(conn)
        .await
        .optional()?;
    Ok((remote, false))
}

/// An open commitment whose due state changed since the job last looked, with the
/// assignment its reply answers (where a reminder goes).
#[derive(Debug, Clone, QueryableByName)]
pub struct DueStateChange {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub text: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub assignment_id: Uuid,
}

/// Open commitments whose due state changed, locked (rows another instance holds are
/// skipped); the partial index on open commitments' due dates serves it.
pub async fn due_state_changes(
    conn: &mut AsyncPgConnection,
    today: NaiveDate,
    soon_until: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<DueStateChange>> {
    use diesel::sql_types::{BigInt, Date};
    diesel::sql_query(
        "SELECT c.id, c.due_on, c.text, r.assignment_id FROM commitments c JOIN replies r ON r.id = c.reply_id \
         WHERE c.state = 'open' AND ( \
           (c.due_on < $1 AND c.due_state <> 'overdue') OR \
           (c.due_on BETWEEN $1 AND $2 AND c.due_state <> 'due_soon') OR \
           (c.due_on > $2 AND c.due_state <> 'on_track')) \
         ORDER BY c.id LIMIT $3 FOR UPDATE OF c SKIP LOCKED",
    )
    .bind::<Date, _>(today)
    .bind::<Date, _>(soon_until)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Records the commitments' due states, in one statement.
pub async fn set_due_states(conn: &mut AsyncPgConnection, states: &[(Uuid, DueState)]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Text};
    let ids: Vec<Uuid> = states.iter().map(|s| s.0).collect();
    let values: Vec<&str> = states.iter().map(|s| s.1.as_str()).collect();
    diesel::sql_query(
        "UPDATE commitments c SET due_state = x.s FROM unnest($1::uuid[], $2::text[]) AS x(id, s) WHERE c.id = x.id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Text>, _>(values)
    .execute(conn)
    .await
}

/// A reminder about a commitment, to the unit of its reply's assignment.
#[derive(Debug, Clone, serde::Serialize, QueryableByName)]
pub struct CommitmentReminder {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub assignment_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub commitment_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub message: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub due_on: NaiveDate,
}

/// Writes the reminders (once per commitment, kind and due date); those written.
pub async fn insert_reminders(
    conn: &mut AsyncPgConnection,
    rows: &[CommitmentReminder],
) -> QueryResult<Vec<CommitmentReminder>> {
    use diesel::sql_types::{Array, Date, Text, Uuid as U};
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "INSERT INTO reminders (id, assignment_id, commitment_id, kind, message, due_on) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::date[]) \
         ON CONFLICT DO NOTHING \
         RETURNING id, assignment_id, commitment_id, kind, message, due_on",
    )
    .bind::<Array<U>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<U>, _>(rows.iter().map(|r| r.assignment_id).collect::<Vec<_>>())
    .bind::<Array<U>, _>(rows.iter().map(|r| r.commitment_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.kind.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.message.clone().unwrap_or_default()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(rows.iter().map(|r| r.due_on).collect::<Vec<_>>())
    .load(conn)
    .await
}
