//! Replies, revisions, sign-offs, decisions, templates and submissions in the database.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::enums::{
    AccessKind, ContactKind, Decision, ReplyClass, ReplyStage, ReplyState, SignoffState, Source, SubmissionState,
};
use crate::db::schema::{
    contacts, deputies, remote_replies, replies, reply_decisions, reply_revisions, reply_signoffs, reply_templates,
    submissions, suggestions, units,
};
use crate::replies::model::{
    DecisionRow, RemoteReply, ReplyRow, ReplyTemplate, RevisionRow, SignoffRow, SubmissionFacts, SubmissionRow,
};

/// Which replies a caller may read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplyScope {
    /// The office and leaders: every reply once first sent to review.
    pub submitted: bool,
    /// The drafting unit or section: its own, in every state.
    pub unit: Option<Uuid>,
    /// A deputy: the signed replies to their own suggestions.
    pub deputy: Option<Uuid>,
}

type Condition = Box<dyn BoxableExpression<replies::table, Pg, SqlType = Bool>>;

fn condition(scope: ReplyScope) -> Condition {
    let mut c: Condition = Box::new(false.into_sql::<Bool>());
    if scope.submitted {
        c = Box::new(c.or(replies::submitted_at.is_not_null()));
    }
    if let Some(u) = scope.unit {
        c = Box::new(c.or(replies::unit_id.eq(u).or(replies::section_id.eq(u).assume_not_null())));
    }
    if let Some(d) = scope.deputy {
        let own = suggestions::table
            .filter(suggestions::proposer_id.eq(d).or(suggestions::co_signer_ids.contains(vec![d])).assume_not_null())
            .select(suggestions::id);
        c = Box::new(c.or(replies::state.eq(ReplyState::Signed).and(replies::suggestion_id.eq_any(own))));
    }
    c
}

pub async fn reply(conn: &mut AsyncPgConnection, id: Uuid, scope: ReplyScope) -> QueryResult<Option<ReplyRow>> {
    replies::table
        .select(ReplyRow::as_select())
        .filter(replies::id.eq(id))
        .filter(condition(scope))
        .first(conn)
        .await
        .optional()
}

/// A page of replies, newest first by id (time-ordered).
pub async fn page(
    conn: &mut AsyncPgConnection,
    scope: ReplyScope,
    filter: (Option<Uuid>, Option<ReplyState>, Option<Uuid>),
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ReplyRow>> {
    let (suggestion_id, state, unit_id) = filter;
    let mut q = replies::table.select(ReplyRow::as_select()).filter(condition(scope)).into_boxed();
    if let Some(s) = suggestion_id {
        q = q.filter(replies::suggestion_id.eq(s));
    }
    if let Some(s) = state {
        q = q.filter(replies::state.eq(s));
    }
    if let Some(u) = unit_id {
        q = q.filter(replies::unit_id.eq(u).or(replies::section_id.eq(u).assume_not_null()));
    }
    if let Some(a) = after {
        q = q.filter(replies::id.lt(a));
    }
    q.order(replies::id.desc()).limit(limit).load(conn).await
}

pub async fn for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<ReplyRow>> {
    replies::table.select(ReplyRow::as_select()).filter(replies::id.eq(id)).for_update().first(conn).await.optional()
}

pub async fn exists_for(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(replies::table.filter(replies::assignment_id.eq(assignment_id))))
        .get_result(conn)
        .await
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = replies)]
pub struct NewReplyRow {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    pub round: i32,
    pub drafted_by: Uuid,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewReplyRow) -> QueryResult<ReplyRow> {
    diesel::insert_into(replies::table).values(new).returning(ReplyRow::as_returning()).get_result(conn).await
}

pub async fn insert_revision(conn: &mut AsyncPgConnection, r: &RevisionRow) -> QueryResult<RevisionRow> {
    diesel::insert_into(reply_revisions::table).values(r).returning(RevisionRow::as_returning()).get_result(conn).await
}

pub async fn revision(conn: &mut AsyncPgConnection, reply_id: Uuid, n: i32) -> QueryResult<Option<RevisionRow>> {
    reply_revisions::table
        .select(RevisionRow::as_select())
        .filter(reply_revisions::reply_id.eq(reply_id))
        .filter(reply_revisions::revision.eq(n))
        .first(conn)
        .await
        .optional()
}

pub async fn revisions(conn: &mut AsyncPgConnection, reply_id: Uuid) -> QueryResult<Vec<RevisionRow>> {
    reply_revisions::table
        .select(RevisionRow::as_select())
        .filter(reply_revisions::reply_id.eq(reply_id))
        .order(reply_revisions::revision.asc())
        .load(conn)
        .await
}

/// Every revision of these replies.
pub async fn revisions_of(conn: &mut AsyncPgConnection, reply_ids: &[Uuid]) -> QueryResult<Vec<RevisionRow>> {
    reply_revisions::table
        .select(RevisionRow::as_select())
        .filter(reply_revisions::reply_id.eq_any(reply_ids))
        .load(conn)
        .await
}

/// The current revision of each reply (one query).
pub async fn current_revisions(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<RevisionRow>> {
    reply_revisions::table
        .inner_join(replies::table.on(replies::id.eq(reply_revisions::reply_id)))
        .filter(replies::id.eq_any(ids))
        .filter(reply_revisions::revision.eq(replies::revision))
        .select(RevisionRow::as_select())
        .load(conn)
        .await
}

/// Fixes the reply's document number on its current revision (given on approval).
pub async fn set_doc_no(conn: &mut AsyncPgConnection, reply_id: Uuid, n: i32, doc_no: &str) -> QueryResult<usize> {
    diesel::update(
        reply_revisions::table.filter(reply_revisions::reply_id.eq(reply_id)).filter(reply_revisions::revision.eq(n)),
    )
    .set(reply_revisions::doc_no.eq(doc_no))
    .execute(conn)
    .await
}

/// The office's change of class at review, on the current revision.
pub async fn set_class(conn: &mut AsyncPgConnection, reply_id: Uuid, n: i32, class: ReplyClass) -> QueryResult<usize> {
    diesel::update(
        reply_revisions::table.filter(reply_revisions::reply_id.eq(reply_id)).filter(reply_revisions::revision.eq(n)),
    )
    .set(reply_revisions::class.eq(class))
    .execute(conn)
    .await
}

/// What a move of the reply changes besides its state.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = replies)]
pub struct ReplyChanges {
    pub revision: Option<i32>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub final_document_id: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_on: Option<chrono::NaiveDate>,
}

pub async fn move_reply(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: ReplyState,
    changes: &ReplyChanges,
) -> QueryResult<ReplyRow> {
    diesel::update(replies::table.filter(replies::id.eq(id)))
        .set((
            replies::state.eq(state),
            changes,
            replies::version.eq(replies::version + 1),
            replies::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ReplyRow::as_returning())
        .get_result(conn)
        .await
}

/// The live sign-offs (not superseded) of these replies.
pub async fn live_signoffs(conn: &mut AsyncPgConnection, reply_ids: &[Uuid]) -> QueryResult<Vec<SignoffRow>> {
    reply_signoffs::table
        .select(SignoffRow::as_select())
        .filter(reply_signoffs::reply_id.eq_any(reply_ids))
        .filter(reply_signoffs::state.ne(SignoffState::Superseded))
        .order(reply_signoffs::requested_at.asc())
        .load(conn)
        .await
}

/// A unit's sign-offs, newest first; `live` leaves out the superseded ones.
pub async fn signoffs_of_unit(
    conn: &mut AsyncPgConnection,
    unit_id: Uuid,
    state: Option<SignoffState>,
) -> QueryResult<Vec<SignoffRow>> {
    let mut q =
        reply_signoffs::table.select(SignoffRow::as_select()).filter(reply_signoffs::unit_id.eq(unit_id)).into_boxed();
    if let Some(s) = state {
        q = q.filter(reply_signoffs::state.eq(s));
    }
    q.order(reply_signoffs::requested_at.desc()).limit(500).load(conn).await
}

pub async fn signoff(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<SignoffRow>> {
    reply_signoffs::table.select(SignoffRow::as_select()).filter(reply_signoffs::id.eq(id)).first(conn).await.optional()
}

pub async fn signoff_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<SignoffRow>> {
    reply_signoffs::table
        .select(SignoffRow::as_select())
        .filter(reply_signoffs::id.eq(id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Supersedes a reply's live sign-offs; returns them.
pub async fn supersede(conn: &mut AsyncPgConnection, reply_id: Uuid) -> QueryResult<Vec<SignoffRow>> {
    diesel::update(
        reply_signoffs::table
            .filter(reply_signoffs::reply_id.eq(reply_id))
            .filter(reply_signoffs::state.ne(SignoffState::Superseded)),
    )
    .set((reply_signoffs::state.eq(SignoffState::Superseded), reply_signoffs::version.eq(reply_signoffs::version + 1)))
    .returning(SignoffRow::as_returning())
    .get_results(conn)
    .await
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reply_signoffs)]
pub struct NewSignoffRow {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub revision: i32,
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub requested_by: Uuid,
}

pub async fn insert_signoffs(conn: &mut AsyncPgConnection, rows: &[NewSignoffRow]) -> QueryResult<Vec<SignoffRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(reply_signoffs::table)
        .values(rows)
        .returning(SignoffRow::as_returning())
        .get_results(conn)
        .await
}

/// What answering or settling a sign-off changes.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = reply_signoffs)]
pub struct SignoffChanges<'a> {
    pub comment: Option<&'a str>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settle_note: Option<&'a str>,
}

pub async fn move_signoff(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: SignoffState,
    changes: &SignoffChanges<'_>,
) -> QueryResult<SignoffRow> {
    diesel::update(reply_signoffs::table.filter(reply_signoffs::id.eq(id)))
        .set((reply_signoffs::state.eq(state), changes, reply_signoffs::version.eq(reply_signoffs::version + 1)))
        .returning(SignoffRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn decisions_of(conn: &mut AsyncPgConnection, reply_ids: &[Uuid]) -> QueryResult<Vec<DecisionRow>> {
    reply_decisions::table
        .select(DecisionRow::as_select())
        .filter(reply_decisions::reply_id.eq_any(reply_ids))
        .order(reply_decisions::decided_at.asc())
        .load(conn)
        .await
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reply_decisions)]
pub struct NewDecisionRow<'a> {
    pub id: Uuid,
    pub reply_id: Uuid,
    pub stage: ReplyStage,
    pub decision: Decision,
    pub comment: Option<&'a str>,
    pub revision: i32,
    pub class_before: Option<ReplyClass>,
    pub class_after: Option<ReplyClass>,
    pub class_reason: Option<&'a str>,
    pub decided_by: Uuid,
}

pub async fn insert_decision(conn: &mut AsyncPgConnection, d: &NewDecisionRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(reply_decisions::table).values(d).execute(conn).await
}

/// What a letter needs of a suggestion.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suggestions)]
pub struct LetterFacts {
    pub id: Uuid,
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub session_label: Option<String>,
    pub title: String,
    pub category: Option<String>,
    pub proposer_id: Option<Uuid>,
    pub co_signer_ids: Vec<Uuid>,
    pub is_key: bool,
    pub merged_into: Option<Uuid>,
}

/// The suggestion and those handled together with it (merged into it), it first.
pub async fn letter_facts(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Vec<LetterFacts>> {
    letter_facts_of(conn, &[suggestion_id]).await
}

/// These suggestions and those merged into them, each before its merged ones.
pub async fn letter_facts_of(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<LetterFacts>> {
    suggestions::table
        .select(LetterFacts::as_select())
        .filter(suggestions::id.eq_any(ids).or(suggestions::merged_into.eq_any(ids).assume_not_null()))
        .order((suggestions::merged_into.is_not_null(), suggestions::external_no.asc()))
        .load(conn)
        .await
}

/// Deputies' names.
pub async fn deputy_names(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    let found: Vec<(Uuid, String)> =
        deputies::table.filter(deputies::id.eq_any(ids)).select((deputies::id, deputies::name)).load(conn).await?;
    Ok(found.into_iter().collect())
}

/// A unit's name and, for a section, its bureau's name (the issuing authority).
pub async fn authority_of(conn: &mut AsyncPgConnection, unit_id: Uuid) -> QueryResult<(String, String)> {
    let (name, parent): (String, Option<Uuid>) =
        units::table.filter(units::id.eq(unit_id)).select((units::name, units::parent_id)).first(conn).await?;
    let authority = match parent {
        Some(p) => units::table.filter(units::id.eq(p)).select(units::name).first(conn).await?,
        None => name.clone(),
    };
    Ok((name, authority))
}

/// Whether the handling has a pre-handling contact recorded.
pub async fn has_pre_handling(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contacts::table
            .filter(contacts::assignment_id.eq(assignment_id))
            .filter(contacts::kind.eq(ContactKind::PreHandling)),
    ))
    .get_result(conn)
    .await
}

/// Whether a co-handling unit reaches this suggestion as a co-handler.
pub async fn co_reaches(conn: &mut AsyncPgConnection, unit: Uuid, suggestion_id: Uuid) -> QueryResult<bool> {
    crate::auth::access::reaches(conn, unit, &[AccessKind::Co], suggestion_id).await
}

/// The date of the reply's approval in the bureau's time zone.
pub fn letter_date(approved_at: Option<DateTime<Utc>>) -> NaiveDate {
    crate::calendar::days::local_date(approved_at.unwrap_or_else(Utc::now))
}

pub async fn templates(conn: &mut AsyncPgConnection, category: Option<&str>) -> QueryResult<Vec<ReplyTemplate>> {
    let mut q = reply_templates::table.select(ReplyTemplate::as_select()).into_boxed();
    if let Some(c) = category {
        q = q.filter(reply_templates::category.eq(c).or(reply_templates::category.is_null()));
    }
    q.order(reply_templates::name.asc()).limit(500).load(conn).await
}

pub async fn template(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<ReplyTemplate>> {
    reply_templates::table
        .select(ReplyTemplate::as_select())
        .filter(reply_templates::id.eq(id))
        .first(conn)
        .await
        .optional()
}

pub async fn template_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<ReplyTemplate>> {
    reply_templates::table
        .select(ReplyTemplate::as_select())
        .filter(reply_templates::id.eq(id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn insert_template(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    category: Option<&str>,
    name: &str,
    body: &str,
    by: Uuid,
) -> QueryResult<ReplyTemplate> {
    diesel::insert_into(reply_templates::table)
        .values((
            reply_templates::id.eq(id),
            reply_templates::category.eq(category),
            reply_templates::name.eq(name),
            reply_templates::body.eq(body),
            reply_templates::created_by.eq(by),
        ))
        .returning(ReplyTemplate::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_template(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    category: Option<&str>,
    name: &str,
    body: &str,
) -> QueryResult<ReplyTemplate> {
    diesel::update(reply_templates::table.filter(reply_templates::id.eq(id)))
        .set((
            reply_templates::category.eq(category),
            reply_templates::name.eq(name),
            reply_templates::body.eq(body),
            reply_templates::version.eq(reply_templates::version + 1),
            reply_templates::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ReplyTemplate::as_returning())
        .get_result(conn)
        .await
}

/// What submissions carry of their suggestion and reply (one query for any number).
pub async fn submission_facts(
    conn: &mut AsyncPgConnection,
    reply_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, SubmissionFacts)>> {
    replies::table
        .inner_join(suggestions::table.on(suggestions::id.eq(replies::suggestion_id)))
        .inner_join(
            reply_revisions::table
                .on(reply_revisions::reply_id.eq(replies::id).and(reply_revisions::revision.eq(replies::revision))),
        )
        .filter(replies::id.eq_any(reply_ids))
        .select((
            replies::id,
            (
                suggestions::source,
                suggestions::year,
                suggestions::external_no,
                reply_revisions::doc_no,
                reply_revisions::class,
                replies::final_document_id,
            ),
        ))
        .load(conn)
        .await
}

pub async fn insert_submission(conn: &mut AsyncPgConnection, reply: &ReplyRow, by: Uuid) -> QueryResult<SubmissionRow> {
    diesel::insert_into(submissions::table)
        .values((
            submissions::id.eq(Uuid::now_v7()),
            submissions::reply_id.eq(reply.id),
            submissions::suggestion_id.eq(reply.suggestion_id),
            submissions::submitted_by.eq(by),
        ))
        .returning(SubmissionRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn submission(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<SubmissionRow>> {
    submissions::table.select(SubmissionRow::as_select()).filter(submissions::id.eq(id)).first(conn).await.optional()
}

pub async fn submission_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<SubmissionRow>> {
    submissions::table
        .select(SubmissionRow::as_select())
        .filter(submissions::id.eq(id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// A page of submissions, oldest first.
pub async fn submissions_page(
    conn: &mut AsyncPgConnection,
    state: Option<SubmissionState>,
    suggestion_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<SubmissionRow>> {
    let mut q = submissions::table.select(SubmissionRow::as_select()).into_boxed();
    if let Some(s) = state {
        q = q.filter(submissions::state.eq(s));
    }
    if let Some(s) = suggestion_id {
        q = q.filter(submissions::suggestion_id.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(submissions::id.gt(a));
    }
    q.order(submissions::id.asc()).limit(limit).load(conn).await
}

/// What a move of a submission changes besides its state.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = submissions)]
pub struct SubmissionChanges<'a> {
    pub attempts: Option<i32>,
    pub remote_ref: Option<Option<&'a str>>,
    pub failure_reason: Option<Option<&'a str>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

pub async fn move_submission(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: SubmissionState,
    changes: &SubmissionChanges<'_>,
) -> QueryResult<SubmissionRow> {
    diesel::update(submissions::table.filter(submissions::id.eq(id)))
        .set((
            submissions::state.eq(state),
            changes,
            submissions::version.eq(submissions::version + 1),
            submissions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(SubmissionRow::as_returning())
        .get_result(conn)
        .await
}

/// Another unit's reply to this assignment, if recorded.
pub async fn remote_reply(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<Option<RemoteReply>> {
    remote_replies::table
        .filter(remote_replies::assignment_id.eq(assignment_id))
        .select(RemoteReply::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn insert_remote_reply(conn: &mut AsyncPgConnection, row: &RemoteReply) -> QueryResult<RemoteReply> {
    diesel::insert_into(remote_replies::table).values(row).returning(RemoteReply::as_returning()).get_result(conn).await
}

/// The remote replies of a suggestion, in the order they were recorded.
pub async fn remote_replies_of(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Vec<RemoteReply>> {
    remote_replies::table
        .filter(remote_replies::suggestion_id.eq(suggestion_id))
        .select(RemoteReply::as_select())
        .order((remote_replies::recorded_at.asc(), remote_replies::id.asc()))
        .load(conn)
        .await
}
