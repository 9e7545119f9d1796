//! Opinions, decisions, waivers, contacts and document-number series in the database.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::exists;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::coordination::model::{ContactRow, DecisionRow, OpinionRow, WaiverRow};
use crate::db::enums::{
    AssignmentState, ContactChannel, ContactKind, Decision, DeliveryChannel, DocNoKind, ExtensionStatus, HandlingRole,
    OpinionStage, OpinionState, Source,
};
use crate::db::schema::{
    assignments, contacts, doc_no_series, extensions, opinion_decisions, opinion_waivers, opinions, suggestions, units,
};

/// Which opinions a caller may read: all, or a unit's own and — once delivered — those
/// on suggestions the unit leads.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpinionScope {
    pub all: bool,
    pub unit: Option<Uuid>,
    /// The unit also sees delivered opinions on what it leads.
    pub as_lead: bool,
}

type OpinionCondition = Box<dyn BoxableExpression<opinions::table, Pg, SqlType = Bool>>;

fn opinion_condition(scope: OpinionScope) -> Option<OpinionCondition> {
    if scope.all {
        return None;
    }
    let Some(u) = scope.unit else { return Some(Box::new(false.into_sql::<Bool>())) };
    let own: OpinionCondition = Box::new(opinions::unit_id.eq(u).or(opinions::section_id.eq(u).assume_not_null()));
    if !scope.as_lead {
        return Some(own);
    }
    let leads = assignments::table
        .filter(assignments::suggestion_id.eq(opinions::suggestion_id))
        .filter(assignments::role.eq(HandlingRole::Lead))
        .filter(assignments::state.ne(AssignmentState::Reassigned))
        .filter(assignments::unit_id.eq(u).or(assignments::section_id.eq(u).assume_not_null()));
    Some(Box::new(own.or(opinions::state.eq(OpinionState::Delivered).and(exists(leads)))))
}

pub async fn opinion(conn: &mut AsyncPgConnection, id: Uuid, scope: OpinionScope) -> QueryResult<Option<OpinionRow>> {
    let mut q = opinions::table.select(OpinionRow::as_select()).filter(opinions::id.eq(id)).into_boxed();
    if let Some(c) = opinion_condition(scope) {
        q = q.filter(c);
    }
    q.first(conn).await.optional()
}

pub async fn opinions_of(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    scope: OpinionScope,
) -> QueryResult<Vec<OpinionRow>> {
    let mut q =
        opinions::table.select(OpinionRow::as_select()).filter(opinions::suggestion_id.eq(suggestion_id)).into_boxed();
    if let Some(c) = opinion_condition(scope) {
        q = q.filter(c);
    }
    q.order(opinions::id.asc()).load(conn).await
}

pub async fn opinion_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<OpinionRow>> {
    opinions::table
        .select(OpinionRow::as_select())
        .filter(opinions::id.eq(id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = opinions)]
pub struct NewOpinionRow<'a> {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub section_id: Option<Uuid>,
    pub internal: bool,
    pub body: &'a str,
    pub doc_no: Option<&'a str>,
    pub drafted_by: Uuid,
}

pub async fn insert_opinion(conn: &mut AsyncPgConnection, new: &NewOpinionRow<'_>) -> QueryResult<OpinionRow> {
    diesel::insert_into(opinions::table).values(new).returning(OpinionRow::as_returning()).get_result(conn).await
}

/// Whether the assignment has an opinion already.
pub async fn opinion_exists(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<bool> {
    diesel::select(exists(opinions::table.filter(opinions::assignment_id.eq(assignment_id)))).get_result(conn).await
}

pub async fn update_draft(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    body: &str,
    doc_no: Option<&str>,
) -> QueryResult<OpinionRow> {
    diesel::update(opinions::table.filter(opinions::id.eq(id)))
        .set((
            opinions::body.eq(body),
            opinions::doc_no.eq(doc_no),
            opinions::version.eq(opinions::version + 1),
            opinions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(OpinionRow::as_returning())
        .get_result(conn)
        .await
}

/// A move of the state machine, with what it records.
pub struct Move<'a> {
    pub state: OpinionState,
    pub doc_no: Option<&'a str>,
    pub submitted: bool,
    pub delivery: Option<(DateTime<Utc>, DeliveryChannel, Option<&'a str>, Uuid)>,
}

pub async fn move_opinion(conn: &mut AsyncPgConnection, id: Uuid, m: Move<'_>) -> QueryResult<OpinionRow> {
    let (delivered_at, channel, note, by) = match m.delivery {
        Some((at, channel, note, by)) => (Some(at), Some(channel), note, Some(by)),
        None => (None, None, None, None),
    };
    let row = diesel::update(opinions::table.filter(opinions::id.eq(id)))
        .set((
            opinions::state.eq(m.state),
            opinions::version.eq(opinions::version + 1),
            opinions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(OpinionRow::as_returning())
        .get_result(conn)
        .await?;
    if let Some(doc_no) = m.doc_no {
        diesel::update(opinions::table.filter(opinions::id.eq(id)))
            .set(opinions::doc_no.eq(doc_no))
            .execute(conn)
            .await?;
    }
    if m.submitted {
        diesel::update(opinions::table.filter(opinions::id.eq(id)))
            .set(opinions::submitted_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
    }
    if delivered_at.is_some() {
        diesel::update(opinions::table.filter(opinions::id.eq(id)))
            .set((
                opinions::delivered_at.eq(delivered_at),
                opinions::delivery_channel.eq(channel),
                opinions::delivery_note.eq(note),
                opinions::delivered_by.eq(by),
            ))
            .execute(conn)
            .await?;
    }
    if m.doc_no.is_some() || m.submitted || delivered_at.is_some() {
        return opinions::table.select(OpinionRow::as_select()).filter(opinions::id.eq(id)).first(conn).await;
    }
    Ok(row)
}

pub async fn insert_decision(
    conn: &mut AsyncPgConnection,
    opinion_id: Uuid,
    stage: OpinionStage,
    decision: Decision,
    comment: Option<&str>,
    opinion_version: i32,
    by: Uuid,
) -> QueryResult<DecisionRow> {
    diesel::insert_into(opinion_decisions::table)
        .values((
            opinion_decisions::id.eq(Uuid::now_v7()),
            opinion_decisions::opinion_id.eq(opinion_id),
            opinion_decisions::stage.eq(stage),
            opinion_decisions::decision.eq(decision),
            opinion_decisions::comment.eq(comment),
            opinion_decisions::opinion_version.eq(opinion_version),
            opinion_decisions::decided_by.eq(by),
        ))
        .returning(DecisionRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn decisions_of(conn: &mut AsyncPgConnection, opinion_ids: &[Uuid]) -> QueryResult<Vec<DecisionRow>> {
    opinion_decisions::table
        .select(DecisionRow::as_select())
        .filter(opinion_decisions::opinion_id.eq_any(opinion_ids))
        .order((opinion_decisions::decided_at.asc(), opinion_decisions::id.asc()))
        .load(conn)
        .await
}

/// The next number of a unit's series for a year (one statement; concurrent callers get
/// distinct numbers).
pub async fn next_doc_no(conn: &mut AsyncPgConnection, unit_id: Uuid, kind: DocNoKind, year: i32) -> QueryResult<i32> {
    diesel::insert_into(doc_no_series::table)
        .values((
            doc_no_series::unit_id.eq(unit_id),
            doc_no_series::kind.eq(kind),
            doc_no_series::year.eq(year),
            doc_no_series::last.eq(1),
        ))
        .on_conflict((doc_no_series::unit_id, doc_no_series::kind, doc_no_series::year))
        .do_update()
        .set(doc_no_series::last.eq(doc_no_series::last + 1))
        .returning(doc_no_series::last)
        .get_result(conn)
        .await
}

pub async fn unit_name(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<String> {
    units::table.filter(units::id.eq(id)).select(units::name).first(conn).await
}

pub async fn suggestion_year(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<i32> {
    suggestions::table.filter(suggestions::id.eq(id)).select(suggestions::year).first(conn).await
}

pub async fn insert_waiver(
    conn: &mut AsyncPgConnection,
    assignment_id: Uuid,
    suggestion_id: Uuid,
    reason: &str,
    by: Uuid,
) -> QueryResult<Option<WaiverRow>> {
    diesel::insert_into(opinion_waivers::table)
        .values((
            opinion_waivers::assignment_id.eq(assignment_id),
            opinion_waivers::suggestion_id.eq(suggestion_id),
            opinion_waivers::reason.eq(reason),
            opinion_waivers::waived_by.eq(by),
        ))
        .on_conflict_do_nothing()
        .returning(WaiverRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn waivers_of(conn: &mut AsyncPgConnection, suggestion_id: Uuid) -> QueryResult<Vec<WaiverRow>> {
    opinion_waivers::table
        .select(WaiverRow::as_select())
        .filter(opinion_waivers::suggestion_id.eq(suggestion_id))
        .load(conn)
        .await
}

/// A suggestion's live co-handling assignments: id, unit, unit name, round, due date,
/// state.
pub async fn co_assignments(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
) -> QueryResult<Vec<(Uuid, Uuid, String, i32, NaiveDate, AssignmentState)>> {
    assignments::table
        .inner_join(units::table.on(units::id.eq(assignments::unit_id)))
        .filter(assignments::suggestion_id.eq(suggestion_id))
        .filter(assignments::role.eq(HandlingRole::Co))
        .filter(assignments::state.ne(AssignmentState::Reassigned))
        .select((
            assignments::id,
            assignments::unit_id,
            units::name,
            assignments::round,
            assignments::due_on,
            assignments::state,
        ))
        .order((assignments::round.asc(), units::name.asc()))
        .load(conn)
        .await
}

/// The delivered opinions' assignments among these.
pub async fn delivered_assignments(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, Uuid)>> {
    opinions::table
        .filter(opinions::assignment_id.eq_any(ids))
        .filter(opinions::state.eq(OpinionState::Delivered))
        .select((opinions::assignment_id, opinions::id))
        .load(conn)
        .await
}

/// The lead assignment's unit and section of a suggestion's round (whom an opinion goes to).
pub async fn lead_of(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    round: i32,
) -> QueryResult<Option<(Uuid, Option<Uuid>)>> {
    assignments::table
        .filter(assignments::suggestion_id.eq(suggestion_id))
        .filter(assignments::round.eq(round))
        .filter(assignments::role.eq(HandlingRole::Lead))
        .filter(assignments::state.ne(AssignmentState::Reassigned))
        .select((assignments::unit_id, assignments::section_id))
        .first(conn)
        .await
        .optional()
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = contacts)]
pub struct NewContactRow<'a> {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub kind: ContactKind,
    pub channel: ContactChannel,
    pub contacted_on: NaiveDate,
    pub face_to_face: bool,
    pub staff: &'a [String],
    pub deputy_ids: &'a [Uuid],
    pub others: &'a [String],
    pub summary: &'a str,
    pub internal_note: Option<&'a str>,
    pub extension_id: Option<Uuid>,
    pub recorded_by: Uuid,
}

pub async fn insert_contact(conn: &mut AsyncPgConnection, new: &NewContactRow<'_>) -> QueryResult<ContactRow> {
    diesel::insert_into(contacts::table).values(new).returning(ContactRow::as_returning()).get_result(conn).await
}

/// Which contacts a caller may read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactScope {
    pub all: bool,
    /// A unit or section: the contacts of the assignments it handles.
    pub unit: Option<Uuid>,
    /// A deputy: the contacts they took part in.
    pub deputy: Option<Uuid>,
}

type ContactCondition = Box<dyn BoxableExpression<contacts::table, Pg, SqlType = Bool>>;

fn contact_condition(scope: ContactScope) -> Option<ContactCondition> {
    if scope.all {
        return None;
    }
    let mut parts: Vec<ContactCondition> = Vec::new();
    if let Some(u) = scope.unit {
        let handles = assignments::table
            .filter(assignments::id.eq(contacts::assignment_id))
            .filter(assignments::unit_id.eq(u).or(assignments::section_id.eq(u).assume_not_null()));
        parts.push(Box::new(contacts::unit_id.eq(u).or(exists(handles))));
    }
    if let Some(d) = scope.deputy {
        parts.push(Box::new(contacts::deputy_ids.contains(vec![d])));
    }
    Some(parts.into_iter().reduce(|a, b| Box::new(a.or(b))).unwrap_or_else(|| Box::new(false.into_sql::<Bool>())))
}

pub async fn contacts_of(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    scope: ContactScope,
) -> QueryResult<Vec<ContactRow>> {
    let mut q =
        contacts::table.select(ContactRow::as_select()).filter(contacts::suggestion_id.eq(suggestion_id)).into_boxed();
    if let Some(c) = contact_condition(scope) {
        q = q.filter(c);
    }
    q.order((contacts::contacted_on.asc(), contacts::id.asc())).limit(1000).load(conn).await
}

pub async fn contact(conn: &mut AsyncPgConnection, id: Uuid, scope: ContactScope) -> QueryResult<Option<ContactRow>> {
    let mut q = contacts::table.select(ContactRow::as_select()).filter(contacts::id.eq(id)).into_boxed();
    if let Some(c) = contact_condition(scope) {
        q = q.filter(c);
    }
    q.first(conn).await.optional()
}

/// The contacts of one handling: kind, day, face to face.
pub async fn contacts_of_assignment(
    conn: &mut AsyncPgConnection,
    assignment_id: Uuid,
) -> QueryResult<Vec<(ContactKind, NaiveDate, bool)>> {
    contacts::table
        .filter(contacts::assignment_id.eq(assignment_id))
        .select((contacts::kind, contacts::contacted_on, contacts::face_to_face))
        .load(conn)
        .await
}

/// The days an assignment's extensions were approved on.
pub async fn extensions_approved_on(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<Vec<NaiveDate>> {
    let at: Vec<Option<DateTime<Utc>>> = extensions::table
        .filter(extensions::assignment_id.eq(assignment_id))
        .filter(extensions::status.eq(ExtensionStatus::Approved))
        .select(extensions::decided_at)
        .load(conn)
        .await?;
    // The day of the decision where the bureau is, not in UTC.
    Ok(at.into_iter().flatten().map(crate::calendar::days::local_date).collect())
}

/// The assignment an extension belongs to.
pub async fn extension_assignment(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Uuid>> {
    extensions::table.filter(extensions::id.eq(id)).select(extensions::assignment_id).first(conn).await.optional()
}

/// Deputies' names and whether each asked for confidentiality.
pub async fn deputy_names(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String, bool)>> {
    use crate::db::schema::deputies;
    deputies::table
        .filter(deputies::id.eq_any(ids))
        .select((deputies::id, deputies::name, deputies::confidential))
        .load(conn)
        .await
}

/// A suggestion's proposer, co-signers and whether it is key.
pub async fn proposers(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
) -> QueryResult<(Option<Uuid>, Vec<Uuid>, bool)> {
    suggestions::table
        .filter(suggestions::id.eq(suggestion_id))
        .select((suggestions::proposer_id, suggestions::co_signer_ids, suggestions::is_key))
        .first(conn)
        .await
}

/// Whether a unit is the bureau or one of its sections.
/// What an opinion letter names of its suggestion: source, session, number.
pub async fn heading(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
) -> QueryResult<(Source, Option<String>, String)> {
    suggestions::table
        .filter(suggestions::id.eq(suggestion_id))
        .select((suggestions::source, suggestions::session_label, suggestions::external_no))
        .first(conn)
        .await
}

/// The round of an assignment.
pub async fn round_of(conn: &mut AsyncPgConnection, assignment_id: Uuid) -> QueryResult<i32> {
    assignments::table.filter(assignments::id.eq(assignment_id)).select(assignments::round).first(conn).await
}

/// A unit's liaison and phone.
pub async fn liaison(conn: &mut AsyncPgConnection, unit_id: Uuid) -> QueryResult<(Option<String>, Option<String>)> {
    units::table.filter(units::id.eq(unit_id)).select((units::liaison_name, units::liaison_phone)).first(conn).await
}

pub async fn is_bureau_unit(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    use crate::db::enums::UnitKind;
    let kind: UnitKind = units::table.filter(units::id.eq(id)).select(units::kind).first(conn).await?;
    Ok(kind != UnitKind::External)
}
