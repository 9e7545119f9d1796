//! Commitments and their progress in the database.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::commitments::model::{CommitmentRow, Progress};
use crate::db::enums::CommitmentState;
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
