//! Assignments, disputes, extensions and reminders in the database.

use chrono::{NaiveDate, Utc};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::assignments::model::{AssignmentFilter, AssignmentRow, Dispute, Extension, ListRow, Reminder};
use crate::db::enums::{AssignmentState, DisputeStatus, DueState, ExtensionStatus, HandlingRole, Source};
use crate::db::schema::{assignments, deputies, disputes, extensions, reminders, suggestions};

/// Which assignments a caller may see (any that one of the present conditions allows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentScope {
    pub all: bool,
    /// A leader: those they are responsible for.
    pub leader: Option<Uuid>,
    /// A unit or section: its assignments.
    pub unit: Option<Uuid>,
    /// A co-handling unit: its co-handling assignments.
    pub co_unit: Option<Uuid>,
    /// A deputy (by their account): the assignments of the suggestions they proposed or
    /// co-signed.
    pub deputy_user: Option<Uuid>,
}

/// Assignments joined with their suggestions: what the read queries select from.
type Joined = diesel::helper_types::InnerJoinQuerySource<assignments::table, suggestions::table>;
type Condition = Box<dyn BoxableExpression<Joined, Pg, SqlType = Bool>>;

fn or(a: Condition, b: Condition) -> Condition {
    Box::new(a.or(b))
}

/// The scope as a condition; `None` when it reaches everything.
pub fn scope_condition(scope: &AssignmentScope) -> Option<Condition> {
    if scope.all {
        return None;
    }
    let mut parts: Vec<Condition> = Vec::new();
    if let Some(l) = scope.leader {
        parts.push(Box::new(assignments::leader_id.eq(l).assume_not_null()));
    }
    if let Some(u) = scope.unit {
        parts.push(Box::new(assignments::unit_id.eq(u).or(assignments::section_id.eq(u).assume_not_null())));
    }
    if let Some(u) = scope.co_unit {
        parts.push(Box::new(assignments::unit_id.eq(u).and(assignments::role.eq(HandlingRole::Co))));
    }
    if let Some(user) = scope.deputy_user {
        let theirs = deputies::table.filter(deputies::user_id.eq(user)).filter(
            deputies::id
                .nullable()
                .eq(suggestions::proposer_id)
                .or(diesel::dsl::sql::<Bool>("deputies.id = ANY(suggestions.co_signer_ids)")),
        );
        parts.push(Box::new(diesel::dsl::exists(theirs)));
    }
    Some(parts.into_iter().reduce(or).unwrap_or_else(|| Box::new(false.into_sql::<Bool>())))
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid, scope: &AssignmentScope) -> QueryResult<Option<ListRow>> {
    let mut q = assignments::table
        .inner_join(suggestions::table)
        .select(ListRow::as_select())
        .filter(assignments::id.eq(id))
        .into_boxed();
    if let Some(c) = scope_condition(scope) {
        q = q.filter(c);
    }
    q.first(conn).await.optional()
}

pub async fn for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<AssignmentRow>> {
    assignments::table.find(id).select(AssignmentRow::as_select()).for_update().first(conn).await.optional()
}

/// The keyset position of an assignment list: key ones first, then by due date.
pub type After = (bool, NaiveDate, Uuid);

/// A page of assignments. `today` and `soon_until` say which due dates are due soon.
pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &AssignmentFilter,
    scope: &AssignmentScope,
    today: NaiveDate,
    soon_until: NaiveDate,
    after: Option<After>,
    fetch: i64,
) -> QueryResult<Vec<ListRow>> {
    let mut q = assignments::table.inner_join(suggestions::table).select(ListRow::as_select()).into_boxed();
    if let Some(c) = scope_condition(scope) {
        q = q.filter(c);
    }
    if let Some(v) = f.suggestion_id {
        q = q.filter(assignments::suggestion_id.eq(v));
    }
    if let Some(u) = f.unit_id {
        q = q.filter(assignments::unit_id.eq(u).or(assignments::section_id.eq(u).assume_not_null()));
    }
    if let Some(r) = f.role {
        q = q.filter(assignments::role.eq(r));
    }
    if let Some(s) = f.state {
        q = q.filter(assignments::state.eq(s));
    }
    if let Some(l) = f.leader_id {
        q = q.filter(assignments::leader_id.eq(l));
    }
    if let Some(y) = f.year {
        q = q.filter(suggestions::year.eq(y.get()));
    }
    if let Some(d) = f.due_state {
        q = q.filter(assignments::state.eq_any(AssignmentState::OPEN));
        q = match d {
            DueState::Overdue => q.filter(assignments::due_on.lt(today)),
            DueState::DueSoon => q.filter(assignments::due_on.between(today, soon_until)),
            DueState::OnTrack => q.filter(assignments::due_on.gt(soon_until)),
        };
    }
    if let Some((key, due, id)) = after {
        // (is_key DESC, due_on ASC, id ASC) after (key, due, id).
        q = q.filter(
            suggestions::is_key.lt(key).or(suggestions::is_key
                .eq(key)
                .and(assignments::due_on.gt(due).or(assignments::due_on.eq(due).and(assignments::id.gt(id))))),
        );
    }
    q.order((suggestions::is_key.desc(), assignments::due_on, assignments::id)).limit(fetch).load(conn).await
}

/// An assignment a suggestion has already, as checking new ones against the live ones and
/// deriving the suggestion's status need it.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct Existing {
    pub suggestion_id: Uuid,
    pub round: i32,
    pub unit_id: Uuid,
    pub role: HandlingRole,
    pub state: AssignmentState,
}

/// Every assignment of these suggestions.
pub async fn of_suggestions(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Existing>> {
    assignments::table.filter(assignments::suggestion_id.eq_any(ids)).select(Existing::as_select()).load(conn).await
}

/// The fields of a new assignment.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub role: HandlingRole,
    pub round: i32,
    pub section_id: Option<Uuid>,
    pub leader_id: Option<Uuid>,
    pub liaison_id: Option<Uuid>,
    pub assigned_on: NaiveDate,
    pub rule_id: Uuid,
    pub rule_due_on: NaiveDate,
    pub due_on: NaiveDate,
    pub dispute_until: Option<NaiveDate>,
}

/// Inserts new assignments, a few thousand per statement (PostgreSQL takes at most 65,535
/// parameters in one).
pub async fn insert(conn: &mut AsyncPgConnection, rows: &[NewRow]) -> QueryResult<Vec<AssignmentRow>> {
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(2000) {
        inserted.extend(insert_chunk(conn, chunk).await?);
    }
    Ok(inserted)
}

async fn insert_chunk(conn: &mut AsyncPgConnection, rows: &[NewRow]) -> QueryResult<Vec<AssignmentRow>> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                assignments::id.eq(r.id),
                assignments::suggestion_id.eq(r.suggestion_id),
                assignments::unit_id.eq(r.unit_id),
                assignments::role.eq(r.role),
                assignments::round.eq(r.round),
                assignments::section_id.eq(r.section_id),
                assignments::leader_id.eq(r.leader_id),
                assignments::liaison_id.eq(r.liaison_id),
                assignments::assigned_on.eq(r.assigned_on),
                assignments::rule_id.eq(r.rule_id),
                assignments::rule_due_on.eq(r.rule_due_on),
                assignments::due_on.eq(r.due_on),
                assignments::dispute_until.eq(r.dispute_until),
            )
        })
        .collect();
    diesel::insert_into(assignments::table)
        .values(values)
        .returning(AssignmentRow::as_returning())
        .get_results(conn)
        .await
}

/// Moves an assignment to a state.
pub async fn set_state(conn: &mut AsyncPgConnection, id: Uuid, state: AssignmentState) -> QueryResult<AssignmentRow> {
    diesel::update(assignments::table.find(id))
        .set((
            assignments::state.eq(state),
            assignments::version.eq(assignments::version + 1),
            assignments::updated_at.eq(Utc::now()),
        ))
        .returning(AssignmentRow::as_returning())
        .get_result(conn)
        .await
}

/// Records the unit's sign-in (签收).
pub async fn sign_in(conn: &mut AsyncPgConnection, id: Uuid, by: Uuid) -> QueryResult<AssignmentRow> {
    let now = Utc::now();
    diesel::update(assignments::table.find(id))
        .set((
            assignments::state.eq(AssignmentState::Accepted),
            assignments::signed_in_at.eq(now),
            assignments::signed_in_by.eq(by),
            assignments::version.eq(assignments::version + 1),
            assignments::updated_at.eq(now),
        ))
        .returning(AssignmentRow::as_returning())
        .get_result(conn)
        .await
}

/// Marks an assignment given to another unit.
pub async fn mark_reassigned(conn: &mut AsyncPgConnection, id: Uuid, to: Uuid) -> QueryResult<AssignmentRow> {
    diesel::update(assignments::table.find(id))
        .set((
            assignments::state.eq(AssignmentState::Reassigned),
            assignments::reassigned_to.eq(to),
            assignments::version.eq(assignments::version + 1),
            assignments::updated_at.eq(Utc::now()),
        ))
        .returning(AssignmentRow::as_returning())
        .get_result(conn)
        .await
}

/// New due dates for an assignment.
pub async fn set_due(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    rule_due_on: NaiveDate,
    extended_to: Option<NaiveDate>,
    due_on: NaiveDate,
) -> QueryResult<AssignmentRow> {
    diesel::update(assignments::table.find(id))
        .set((
            assignments::rule_due_on.eq(rule_due_on),
            assignments::extended_to.eq(extended_to),
            assignments::due_on.eq(due_on),
            assignments::version.eq(assignments::version + 1),
            assignments::updated_at.eq(Utc::now()),
        ))
        .returning(AssignmentRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_dispute(conn: &mut AsyncPgConnection, d: &Dispute) -> QueryResult<Dispute> {
    diesel::insert_into(disputes::table)
        .values((
            disputes::id.eq(d.id),
            disputes::assignment_id.eq(d.assignment_id),
            disputes::reason.eq(&d.reason),
            disputes::suggested_unit_id.eq(d.suggested_unit_id),
            disputes::requested_by.eq(d.requested_by),
            disputes::state_before.eq(&d.state_before),
        ))
        .returning(Dispute::as_returning())
        .get_result(conn)
        .await
}

pub async fn dispute_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Dispute>> {
    disputes::table.find(id).select(Dispute::as_select()).for_update().first(conn).await.optional()
}

pub async fn decide_dispute(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: DisputeStatus,
    by: Uuid,
    note: Option<&str>,
) -> QueryResult<Dispute> {
    diesel::update(disputes::table.find(id))
        .set((
            disputes::status.eq(status),
            disputes::decided_by.eq(by),
            disputes::decided_at.eq(Utc::now()),
            disputes::decision_note.eq(note),
            disputes::version.eq(disputes::version + 1),
        ))
        .returning(Dispute::as_returning())
        .get_result(conn)
        .await
}

pub async fn disputes_of(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<Vec<Dispute>> {
    disputes::table
        .filter(disputes::assignment_id.eq(assignment_id))
        .order(disputes::requested_at)
        .select(Dispute::as_select())
        .load(conn)
        .await
}

/// The unique index that allows one pending extension request per assignment.
pub const ONE_PENDING_EXTENSION: &str = "extensions_one_pending_key";

pub async fn insert_extension(conn: &mut AsyncPgConnection, e: &Extension) -> QueryResult<Extension> {
    diesel::insert_into(extensions::table)
        .values((
            extensions::id.eq(e.id),
            extensions::assignment_id.eq(e.assignment_id),
            extensions::reason.eq(&e.reason),
            extensions::requested_until.eq(e.requested_until),
            extensions::requested_by.eq(e.requested_by),
        ))
        .returning(Extension::as_returning())
        .get_result(conn)
        .await
}

pub async fn extension_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Extension>> {
    extensions::table.find(id).select(Extension::as_select()).for_update().first(conn).await.optional()
}

/// The fields of an extension decision.
pub struct ExtensionOutcome<'a> {
    pub status: ExtensionStatus,
    pub approved_until: Option<NaiveDate>,
    pub explanation: Option<&'a str>,
    pub explained_on: Option<NaiveDate>,
    pub note: Option<&'a str>,
    pub by: Uuid,
}

pub async fn decide_extension(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    o: ExtensionOutcome<'_>,
) -> QueryResult<Extension> {
    diesel::update(extensions::table.find(id))
        .set((
            extensions::status.eq(o.status),
            extensions::approved_until.eq(o.approved_until),
            extensions::explanation.eq(o.explanation),
            extensions::explained_on.eq(o.explained_on),
            extensions::decision_note.eq(o.note),
            extensions::decided_by.eq(o.by),
            extensions::decided_at.eq(Utc::now()),
            extensions::version.eq(extensions::version + 1),
        ))
        .returning(Extension::as_returning())
        .get_result(conn)
        .await
}

pub async fn extensions_of(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<Vec<Extension>> {
    extensions::table
        .filter(extensions::assignment_id.eq(assignment_id))
        .order(extensions::requested_at)
        .select(Extension::as_select())
        .load(conn)
        .await
}

/// Writes reminders; the job's duplicates (same assignment, kind and due date) are skipped.
pub async fn insert_reminders(conn: &mut AsyncPgConnection, rows: &[Reminder]) -> QueryResult<Vec<Reminder>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                reminders::id.eq(r.id),
                reminders::assignment_id.eq(r.assignment_id),
                reminders::kind.eq(&r.kind),
                reminders::message.eq(&r.message),
                reminders::due_on.eq(r.due_on),
                reminders::sent_by.eq(r.sent_by),
            )
        })
        .collect();
    diesel::insert_into(reminders::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning(Reminder::as_returning())
        .get_results(conn)
        .await
}

pub async fn reminders_of(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<Vec<Reminder>> {
    reminders::table
        .filter(reminders::assignment_id.eq(assignment_id))
        .order(reminders::created_at)
        .select(Reminder::as_select())
        .load(conn)
        .await
}

/// Open assignments by unit (the bureau's section, else the assigned unit) and due state.
pub async fn due_counts(
    conn: &mut AsyncPgConnection,
    scope: &AssignmentScope,
    today: NaiveDate,
    soon_until: NaiveDate,
) -> QueryResult<Vec<DueCountRow>> {
    use diesel::sql_types::{Date, Nullable};
    diesel::sql_query(
        "SELECT u.id AS unit_id, u.name AS unit_name, \
           count(*) FILTER (WHERE a.due_on > $2) AS on_track, \
           count(*) FILTER (WHERE a.due_on BETWEEN $1 AND $2) AS due_soon, \
           count(*) FILTER (WHERE a.due_on < $1) AS overdue \
         FROM assignments a JOIN units u ON u.id = coalesce(a.section_id, a.unit_id) \
         WHERE a.state IN ('assigned', 'accepted', 'in_progress', 'disputed') \
           AND ($3 OR a.leader_id = $4 OR a.unit_id = $5 OR a.section_id = $5 OR (a.unit_id = $6 AND a.role = 'co')) \
         GROUP BY u.id, u.name ORDER BY u.name",
    )
    .bind::<Date, _>(today)
    .bind::<Date, _>(soon_until)
    .bind::<Bool, _>(scope.all)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(scope.leader)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(scope.unit)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(scope.co_unit)
    .load(conn)
    .await
}

#[derive(Debug, QueryableByName)]
pub struct DueCountRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub unit_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub unit_name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub on_track: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub due_soon: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue: i64,
}

/// What recomputing an open assignment's due dates needs.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct OpenDue {
    pub id: Uuid,
    #[diesel(select_expression = suggestions::source)]
    pub source: Source,
    #[diesel(select_expression = suggestions::received_on)]
    pub received_on: Option<NaiveDate>,
    pub role: HandlingRole,
    pub round: i32,
    pub rule_id: Uuid,
    pub assigned_on: NaiveDate,
    pub rule_due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub dispute_until: Option<NaiveDate>,
}

/// The open assignments (of one rule, or all), for recomputing due dates after the calendar
/// or a rule changed.
pub async fn open_dues(conn: &mut AsyncPgConnection, rule: Option<Uuid>) -> QueryResult<Vec<OpenDue>> {
    let mut q = assignments::table
        .inner_join(suggestions::table)
        .filter(assignments::state.eq_any(AssignmentState::OPEN))
        .select(OpenDue::as_select())
        .into_boxed();
    if let Some(r) = rule {
        q = q.filter(assignments::rule_id.eq(r));
    }
    q.order(assignments::id).load(conn).await
}

/// Writes recomputed dates, many in one statement: `(id, rule_due_on, due_on, dispute_until)`.
pub async fn update_dues(
    conn: &mut AsyncPgConnection,
    rows: &[(Uuid, NaiveDate, NaiveDate, Option<NaiveDate>)],
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Date, Nullable};
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let rule_due: Vec<NaiveDate> = rows.iter().map(|r| r.1).collect();
    let due: Vec<NaiveDate> = rows.iter().map(|r| r.2).collect();
    let dispute: Vec<Option<NaiveDate>> = rows.iter().map(|r| r.3).collect();
    diesel::sql_query(
        "UPDATE assignments a SET rule_due_on = n.rule_due_on, due_on = n.due_on, dispute_until = n.dispute_until, \
         version = a.version + 1, updated_at = now() \
         FROM unnest($1::uuid[], $2::date[], $3::date[], $4::date[]) AS n(id, rule_due_on, due_on, dispute_until) \
         WHERE a.id = n.id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Date>, _>(rule_due)
    .bind::<Array<Date>, _>(due)
    .bind::<Array<Nullable<Date>>, _>(dispute)
    .execute(conn)
    .await
}

/// Open assignments whose due state today differs from the one last recorded, locked
/// (others' locked rows are skipped, so several instances share the work).
pub async fn due_state_changes(
    conn: &mut AsyncPgConnection,
    today: NaiveDate,
    soon_until: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<DueStateChange>> {
    use diesel::sql_types::{BigInt, Date};
    diesel::sql_query(
        "SELECT id, due_on, due_state FROM assignments \
         WHERE state IN ('assigned', 'accepted', 'in_progress', 'disputed') AND ( \
           (due_on < $1 AND due_state <> 'overdue') OR \
           (due_on BETWEEN $1 AND $2 AND due_state <> 'due_soon') OR \
           (due_on > $2 AND due_state <> 'on_track')) \
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED",
    )
    .bind::<Date, _>(today)
    .bind::<Date, _>(soon_until)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// An open assignment whose due state changed since the job last looked.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = assignments)]
pub struct DueStateChange {
    pub id: Uuid,
    pub due_on: NaiveDate,
    /// As last recorded.
    pub due_state: DueState,
}

/// Records due states, many in one statement.
pub async fn set_due_states(conn: &mut AsyncPgConnection, rows: &[(Uuid, DueState)]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Text};
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let states: Vec<DueState> = rows.iter().map(|r| r.1).collect();
    diesel::sql_query(
        "UPDATE assignments a SET due_state = n.due_state FROM unnest($1::uuid[], $2::text[]) AS n(id, due_state) \
         WHERE a.id = n.id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Text>, _>(states)
    .execute(conn)
    .await
}
