//! Evaluations, completions and the facts of a round in the database.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::assignments::model::AssignmentRow;
use crate::db::enums::{AssignmentState, CompletionBasis, ContactKind, Rating, SubmissionState};
use crate::db::schema::{
    assignments, completions, contacts, evaluations, explanations, remote_replies, replies, submissions, suggestions,
};
use crate::evaluations::model::{Completion, Evaluation, FormalExplanation};

/// The suggestion's proposers.
pub async fn proposers(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Vec<Uuid>>> {
    let row: Option<(Option<Uuid>, Vec<Uuid>)> = suggestions::table
        .filter(suggestions::id.eq(id))
        .select((suggestions::proposer_id, suggestions::co_signer_ids))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(p, c)| p.into_iter().chain(c).collect()))
}

/// The suggestion's proposers, locked against concurrent evaluations.
pub async fn proposers_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Vec<Uuid>>> {
    let row: Option<(Option<Uuid>, Vec<Uuid>)> = suggestions::table
        .filter(suggestions::id.eq(id))
        .select((suggestions::proposer_id, suggestions::co_signer_ids))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(p, c)| p.into_iter().chain(c).collect()))
}

/// The live assignments of a suggestion.
pub async fn live_assignments(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .select(AssignmentRow::as_select())
        .filter(assignments::suggestion_id.eq(suggestion_id))
        .filter(assignments::state.ne(AssignmentState::Reassigned))
        .order((assignments::round.asc(), assignments::id.asc()))
        .load(conn)
        .await
}

/// How many of these assignments have their answer in the municipal system: the bureau's
/// reply submitted and acknowledged, or another unit's reply recorded from there.
pub async fn acknowledged(conn: &mut AsyncPgConnection, assignment_ids: &[Uuid]) -> QueryResult<i64> {
    let ours: i64 = replies::table
        .inner_join(submissions::table.on(submissions::reply_id.eq(replies::id)))
        .filter(replies::assignment_id.eq_any(assignment_ids))
        .filter(submissions::state.eq(SubmissionState::Acknowledged))
        .count()
        .get_result(conn)
        .await?;
    let remote: i64 = remote_replies::table
        .filter(remote_replies::assignment_id.eq_any(assignment_ids))
        .count()
        .get_result(conn)
        .await?;
    Ok(ours + remote)
}

/// The latest date on these assignments' replies, the bureau's or another unit's (the
/// evaluation window counts from it).
pub async fn last_replied(
    conn: &mut AsyncPgConnection,
    assignment_ids: &[Uuid],
) -> QueryResult<Option<chrono::NaiveDate>> {
    let ours: Option<chrono::NaiveDate> = replies::table
        .filter(replies::assignment_id.eq_any(assignment_ids))
        .select(diesel::dsl::max(replies::signed_on))
        .first(conn)
        .await?;
    let remote: Option<chrono::NaiveDate> = remote_replies::table
        .filter(remote_replies::assignment_id.eq_any(assignment_ids))
        .select(diesel::dsl::max(remote_replies::replied_on))
        .first(conn)
        .await?;
    Ok(ours.max(remote))
}

pub async fn of_suggestion(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Vec<Evaluation>> {
    evaluations::table
        .select(Evaluation::as_select())
        .filter(evaluations::suggestion_id.eq(suggestion_id))
        .order((evaluations::round.asc(), evaluations::created_at.asc()))
        .load(conn)
        .await
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = evaluations)]
pub struct NewRow<'a> {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub round: i32,
    pub deputy_id: Uuid,
    pub revision: i32,
    pub work: Rating,
    pub result: Rating,
    pub comment: Option<&'a str>,
    pub on_behalf: bool,
    pub recorded_by: Uuid,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &NewRow<'_>) -> QueryResult<Evaluation> {
    diesel::insert_into(evaluations::table).values(row).returning(Evaluation::as_returning()).get_result(conn).await
}

/// Whether a face-to-face contact on these assignments came after `since`.
pub async fn consulted_since(
    conn: &mut AsyncPgConnection,
    assignment_ids: &[Uuid],
    since: chrono::NaiveDate,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contacts::table
            .filter(contacts::assignment_id.eq_any(assignment_ids))
            .filter(contacts::face_to_face.eq(true))
            .filter(contacts::kind.ne(ContactKind::PreHandling))
            .filter(contacts::contacted_on.ge(since)),
    ))
    .get_result(conn)
    .await
}

pub async fn completion(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Option<Completion>> {
    completions::table
        .select(Completion::as_select())
        .filter(completions::suggestion_id.eq(suggestion_id))
        .first(conn)
        .await
        .optional()
}

pub async fn insert_completion(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    round: i32,
    basis: CompletionBasis,
    by: Uuid,
) -> QueryResult<Completion> {
    diesel::insert_into(completions::table)
        .values((
            completions::suggestion_id.eq(suggestion_id),
            completions::round.eq(round),
            completions::basis.eq(basis),
            completions::completed_by.eq(by),
        ))
        .returning(Completion::as_returning())
        .get_result(conn)
        .await
}

/// Whether a formal explanation of the round was recorded after `since`.
pub async fn explained_since(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    round: i32,
    since: chrono::DateTime<chrono::Utc>,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        explanations::table
            .filter(explanations::suggestion_id.eq(suggestion_id))
            .filter(explanations::round.eq(round))
            .filter(explanations::recorded_at.ge(since)),
    ))
    .get_result(conn)
    .await
}

pub async fn insert_explanation(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    round: i32,
    text: &str,
    by: Uuid,
) -> QueryResult<FormalExplanation> {
    diesel::insert_into(explanations::table)
        .values((
            explanations::id.eq(Uuid::now_v7()),
            explanations::suggestion_id.eq(suggestion_id),
            explanations::round.eq(round),
            explanations::text.eq(text),
            explanations::recorded_by.eq(by),
        ))
        .returning(FormalExplanation::as_returning())
        .get_result(conn)
        .await
}
