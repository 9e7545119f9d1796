//! The year's figures in one statement, and the key suggestions' measures.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::prelude::*;

use crate::db::schema::report_notes;
use diesel::sql_types::{Array, BigInt, Date, Int4, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// One figure: what it counts (`total`, `role`, `status`, …), under which key, and for the
/// rates the denominator.
#[derive(Debug, Clone, QueryableByName)]
pub struct Figure {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub d: i64,
}

/// The bureau's own live handlings (its and its sections' assignments) of a period — a
/// year's suggestions (`$1`), handlings assigned from `$3` to `$4`, or both — or one
/// section's (`$2`), with the facts the steps keep on them (migration 000017: answered,
/// contacted, rated, …); a merged suggestion's are not counted. By year, the scan of the
/// index led by it.
macro_rules! handlings {
    () => {
        "FROM assignments a \
         WHERE a.state <> 'reassigned' AND a.unit_id IN (SELECT u.id FROM units u WHERE u.kind = 'bureau') \
           AND ($1::int IS NULL OR a.year = $1) \
           AND ($3::date IS NULL OR a.assigned_on >= $3) AND ($4::date IS NULL OR a.assigned_on <= $4) \
           AND ($2::uuid IS NULL OR a.section_id = $2 OR a.unit_id = $2) \
           AND NOT EXISTS (SELECT 1 FROM suggestions m WHERE m.id = a.suggestion_id AND m.merged_into IS NOT NULL)"
    };
}

/// What the figures count: a year, a range of assignment dates, or both; the bureau's or a
/// section's.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub year: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub unit: Option<Uuid>,
}

/// Every figure of a period of the bureau's handling; `today` decides what is overdue.
/// One round trip, one pass over the period's handlings: each suggestion counted once, by
/// its first handling (round, then role); each grouping (role, source, status, category,
/// section of the suggestions; class and month of answer of the handlings) a grouping set.
pub async fn figures(conn: &mut AsyncPgConnection, p: Period, today: NaiveDate) -> diesel::QueryResult<Vec<Figure>> {
    diesel::sql_query(concat!(
        "WITH h AS (SELECT a.suggestion_id, a.role, a.state, a.due_on, a.section_id, a.answered_on, \
                a.answer_class, a.contacted, a.face_to_face, a.rated, a.work_satisfied, a.result_satisfied, \
                to_char(a.answered_on, 'YYYY-MM') AS month, \
                row_number() OVER (PARTITION BY a.suggestion_id ORDER BY a.round, a.role) = 1 AS first ",
        handlings!(),
        "), g AS (SELECT CASE WHEN grouping(h.role) = 0 THEN 'role' WHEN grouping(s.source) = 0 THEN 'source' \
                WHEN grouping(s.status) = 0 THEN 'status' WHEN grouping(s.category) = 0 THEN 'category' \
                WHEN grouping(h.section_id) = 0 THEN 'unit' WHEN grouping(h.answer_class) = 0 THEN 'class' \
                WHEN grouping(h.month) = 0 THEN 'month' ELSE 'all' END AS kind, \
                h.first, coalesce(h.role, s.source, s.status, s.category, h.answer_class, h.month, '') AS key, \
                h.section_id, count(*) AS n, count(*) FILTER (WHERE h.first) AS suggestions, \
                count(*) FILTER (WHERE h.first AND s.status = 'completed') AS completed, \
                count(*) FILTER (WHERE h.first AND s.status IN ('replied', 'completed')) AS answered, \
                coalesce(sum(h.rated) FILTER (WHERE h.first), 0)::bigint AS rated, \
                coalesce(sum(h.work_satisfied) FILTER (WHERE h.first), 0)::bigint AS work_satisfied, \
                coalesce(sum(h.result_satisfied) FILTER (WHERE h.first), 0)::bigint AS result_satisfied, \
                count(*) FILTER (WHERE h.answered_on <= h.due_on) AS on_time, count(h.answered_on) AS answered_on, \
                count(*) FILTER (WHERE h.role <> 'co') AS own, \
                count(*) FILTER (WHERE h.role <> 'co' AND h.contacted) AS contacted, \
                count(*) FILTER (WHERE h.role <> 'co' AND h.face_to_face) AS face_to_face, \
                count(*) FILTER (WHERE h.state IN ('assigned', 'accepted', 'in_progress', 'disputed') \
                                   AND h.due_on < $5) AS overdue \
            FROM h JOIN suggestions s ON s.id = h.suggestion_id \
            GROUP BY GROUPING SETS ((h.first, h.role), (h.first, s.source), (h.first, s.status), \
                (h.first, s.category), (h.first, h.section_id), (h.answer_class), (h.month), ())) \
         SELECT g.kind, g.key, g.n, 0::bigint AS d FROM g \
            WHERE (g.first AND g.kind IN ('role', 'source', 'status', 'category')) \
               OR (g.kind IN ('class', 'month') AND g.key <> '') \
         UNION ALL SELECT 'unit', coalesce(u.name, ''), sum(g.n)::bigint, 0 FROM g LEFT JOIN units u ON u.id = g.section_id \
            WHERE g.kind = 'unit' AND g.first GROUP BY u.name \
         UNION ALL SELECT v.kind, '', v.n, v.d FROM g, LATERAL (VALUES ('total', g.suggestions, 0::bigint), \
                ('completion', g.completed, g.suggestions), ('answered', g.answered, g.suggestions), \
                ('satisfaction_work', g.work_satisfied, g.rated), ('satisfaction_result', g.result_satisfied, g.rated), \
                ('on_time', g.on_time, g.answered_on), ('contact', g.contacted, g.own), \
                ('face_to_face', g.face_to_face, g.own), ('overdue', g.overdue, 0)) v(kind, n, d) \
            WHERE g.kind = 'all'"
    ))
    .bind::<Nullable<Int4>, _>(p.year)
    .bind::<Nullable<SqlUuid>, _>(p.unit)
    .bind::<Nullable<Date>, _>(p.from)
    .bind::<Nullable<Date>, _>(p.to)
    .bind::<Date, _>(today)
    .load(conn)
    .await
}

/// One unit's parts of its yearly score.
#[derive(Debug, Clone, QueryableByName)]
pub struct UnitFigures {
    #[diesel(sql_type = SqlUuid)]
    pub unit_id: Uuid,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = BigInt)]
    pub handled: i64,
    #[diesel(sql_type = BigInt)]
    pub on_time_n: i64,
    #[diesel(sql_type = BigInt)]
    pub on_time_d: i64,
    #[diesel(sql_type = BigInt)]
    pub contact_n: i64,
    #[diesel(sql_type = BigInt)]
    pub contact_d: i64,
    #[diesel(sql_type = BigInt)]
    pub satisfied_n: i64,
    #[diesel(sql_type = BigInt)]
    pub satisfied_d: i64,
}

/// Each handling unit's (a section, or the bureau for what it handles itself) handlings
/// of the period: answered on time, contacted before answering (lead and split), and the
/// proposers' latest ratings of its work (lead and split). One round trip, one pass.
pub async fn unit_figures(conn: &mut AsyncPgConnection, p: Period) -> diesel::QueryResult<Vec<UnitFigures>> {
    diesel::sql_query(concat!(
        "WITH per AS (SELECT coalesce(a.section_id, a.unit_id) AS unit_id, count(*) AS handled, \
                count(*) FILTER (WHERE a.answered_on <= a.due_on) AS on_time_n, count(a.answered_on) AS on_time_d, \
                count(*) FILTER (WHERE a.role <> 'co' AND a.contacted) AS contact_n, \
                count(*) FILTER (WHERE a.role <> 'co') AS contact_d, \
                coalesce(sum(a.work_satisfied) FILTER (WHERE a.role <> 'co'), 0)::bigint AS satisfied_n, \
                coalesce(sum(a.rated) FILTER (WHERE a.role <> 'co'), 0)::bigint AS satisfied_d ",
        handlings!(),
        " GROUP BY 1) \
         SELECT p.*, u.name AS unit FROM per p JOIN units u ON u.id = p.unit_id ORDER BY u.name"
    ))
    .bind::<Nullable<Int4>, _>(p.year)
    .bind::<Nullable<SqlUuid>, _>(p.unit)
    .bind::<Nullable<Date>, _>(p.from)
    .bind::<Nullable<Date>, _>(p.to)
    .load(conn)
    .await
}

/// A key suggestion the bureau answered, with its reply's class and points and the
/// promises recorded on it.
#[derive(Debug, Clone, QueryableByName)]
pub struct KeyRow {
    #[diesel(sql_type = Text)]
    pub external_no: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub class: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub points: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub commitments: Vec<String>,
}

/// The year's key suggestions the bureau led or split (or the section's), by number.
pub async fn key_items(
    conn: &mut AsyncPgConnection,
    year: i32,
    unit: Option<Uuid>,
) -> diesel::QueryResult<Vec<KeyRow>> {
    diesel::sql_query(
        "SELECT s.external_no, s.title, v.class, coalesce(v.points, '{}') AS points, \
                coalesce((SELECT array_agg(c.text || coalesce('（' || c.outcome || '）', '') ORDER BY c.due_on, c.id) \
                          FROM commitments c WHERE c.reply_id = r.id), '{}') AS commitments \
         FROM suggestions s \
         JOIN assignments a ON a.suggestion_id = s.id AND a.role <> 'co' AND a.state <> 'reassigned' \
         JOIN units u ON u.id = a.unit_id AND u.kind = 'bureau' \
         LEFT JOIN replies r ON r.assignment_id = a.id \
         LEFT JOIN reply_revisions v ON v.reply_id = r.id AND v.revision = r.revision \
         WHERE s.year = $1 AND s.is_key AND s.merged_into IS NULL \
           AND ($2::uuid IS NULL OR a.section_id = $2 OR a.unit_id = $2) \
         ORDER BY s.external_no, a.round DESC",
    )
    .bind::<Int4, _>(year)
    .bind::<Nullable<SqlUuid>, _>(unit)
    .load(conn)
    .await
}

/// A ledger row as read.
#[derive(Debug, Clone, QueryableByName)]
pub struct LedgerRecord {
    #[diesel(sql_type = SqlUuid)]
    pub assignment_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub suggestion_id: Uuid,
    #[diesel(sql_type = Text)]
    pub external_no: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub proposer: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub confidential: bool,
    #[diesel(sql_type = Text)]
    pub role: crate::db::enums::HandlingRole,
    #[diesel(sql_type = Nullable<Text>)]
    pub section: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub leader: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub liaison: Option<String>,
    #[diesel(sql_type = Date)]
    pub assigned_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub state: crate::db::enums::AssignmentState,
    #[diesel(sql_type = Nullable<Text>)]
    pub reply_class: Option<crate::db::enums::ReplyClass>,
    #[diesel(sql_type = Nullable<Text>)]
    pub submission: Option<crate::db::enums::SubmissionState>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub evaluation: Option<crate::db::enums::Rating>,
    #[diesel(sql_type = BigInt)]
    pub open_commitments: i64,
}

/// The ledger's filters beyond the year: the role, the state, open handlings due in a
/// range of dates (a due state, turned into dates by the clock), the leader.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerFilter {
    pub role: Option<crate::db::enums::HandlingRole>,
    pub state: Option<crate::db::enums::AssignmentState>,
    /// Only open handlings, due from and to these dates (either end open).
    pub open_due: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    pub leader_id: Option<Uuid>,
}

/// The year's ledger in number order after `after` (number, assignment), at most `limit`
/// rows: the bureau's handlings, or a section's, as filtered. One round trip: a range of
/// the index of the year's handlings in this order, a lookup per row.
pub async fn ledger(
    conn: &mut AsyncPgConnection,
    year: i32,
    unit: Option<Uuid>,
    f: LedgerFilter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> diesel::QueryResult<Vec<LedgerRecord>> {
    let (after_no, after_id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
    diesel::sql_query(
        "SELECT a.id AS assignment_id, s.id AS suggestion_id, s.external_no, s.title, d.name AS proposer, \
                coalesce(d.confidential, false) AS confidential, a.role, sec.name AS section, \
                ld.display_name AS leader, li.display_name AS liaison, a.assigned_on, a.due_on, a.state, \
                v.class AS reply_class, sub.state AS submission, dis.published_at, \
                a.latest_result AS evaluation, a.open_commitments::bigint AS open_commitments \
         FROM assignments a \
         JOIN suggestions s ON s.id = a.suggestion_id \
         JOIN units u ON u.id = a.unit_id AND u.kind = 'bureau' \
         LEFT JOIN deputies d ON d.id = s.proposer_id \
         LEFT JOIN units sec ON sec.id = a.section_id \
         LEFT JOIN users ld ON ld.id = a.leader_id \
         LEFT JOIN users li ON li.id = a.liaison_id \
         LEFT JOIN replies r ON r.assignment_id = a.id \
         LEFT JOIN reply_revisions v ON v.reply_id = r.id AND v.revision = r.revision \
         LEFT JOIN submissions sub ON sub.reply_id = r.id \
         LEFT JOIN disclosures dis ON dis.reply_id = r.id \
         WHERE a.year = $1 AND a.state <> 'reassigned' AND s.merged_into IS NULL \
           AND ($2::uuid IS NULL OR a.section_id = $2 OR a.unit_id = $2) \
           AND ($3::text IS NULL OR (a.external_no >= $3 AND (a.external_no, a.id) > ($3, $4))) \
           AND ($6::text IS NULL OR a.role = $6) AND ($7::text IS NULL OR a.state = $7) \
           AND (NOT $8 OR a.state IN ('assigned', 'accepted', 'in_progress', 'disputed')) \
           AND ($9::date IS NULL OR a.due_on >= $9) AND ($10::date IS NULL OR a.due_on <= $10) \
           AND ($11::uuid IS NULL OR a.leader_id = $11) \
         ORDER BY a.external_no, a.id LIMIT $5",
    )
    .bind::<Int4, _>(year)
    .bind::<Nullable<SqlUuid>, _>(unit)
    .bind::<Nullable<Text>, _>(after_no)
    .bind::<Nullable<SqlUuid>, _>(after_id)
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<Text>, _>(f.role.map(|r| r.as_str()))
    .bind::<Nullable<Text>, _>(f.state.map(|s| s.as_str()))
    .bind::<diesel::sql_types::Bool, _>(f.open_due.is_some())
    .bind::<Nullable<Date>, _>(f.open_due.and_then(|d| d.0))
    .bind::<Nullable<Date>, _>(f.open_due.and_then(|d| d.1))
    .bind::<Nullable<SqlUuid>, _>(f.leader_id)
    .load(conn)
    .await
}

/// The office's next steps of a year's report.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_notes)]
pub struct ReportNote {
    pub next_steps: String,
    pub version: i32,
    pub updated_by: Uuid,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub async fn next_steps(conn: &mut AsyncPgConnection, year: i32) -> diesel::QueryResult<Option<ReportNote>> {
    report_notes::table.find(year).select(ReportNote::as_select()).first(conn).await.optional()
}

pub async fn next_steps_for_update(conn: &mut AsyncPgConnection, year: i32) -> diesel::QueryResult<Option<ReportNote>> {
    report_notes::table.find(year).select(ReportNote::as_select()).for_update().first(conn).await.optional()
}

/// Writes the text, a version up (1 when new).
pub async fn put_next_steps(
    conn: &mut AsyncPgConnection,
    year: i32,
    text: &str,
    by: Uuid,
) -> diesel::QueryResult<ReportNote> {
    diesel::insert_into(report_notes::table)
        .values((report_notes::year.eq(year), report_notes::next_steps.eq(text), report_notes::updated_by.eq(by)))
        .on_conflict(report_notes::year)
        .do_update()
        .set((
            report_notes::next_steps.eq(text),
            report_notes::updated_by.eq(by),
            report_notes::updated_at.eq(diesel::dsl::now),
            report_notes::version.eq(report_notes::version + 1),
        ))
        .returning(ReportNote::as_returning())
        .get_result(conn)
        .await
}

/// An open handling for the dashboard's lists.
#[derive(Debug, Clone, QueryableByName)]
pub struct OpenHandling {
    #[diesel(sql_type = SqlUuid)]
    pub assignment_id: Uuid,
    #[diesel(sql_type = Text)]
    pub external_no: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub role: crate::db::enums::HandlingRole,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
}

/// The bureau's (or a section's) open handlings due by `until`, soonest first, at most
/// `limit` — on the partial index of open handlings by due date.
pub async fn open_handlings(
    conn: &mut AsyncPgConnection,
    unit: Option<Uuid>,
    until: NaiveDate,
    limit: i64,
) -> diesel::QueryResult<Vec<OpenHandling>> {
    diesel::sql_query(
        "SELECT a.id AS assignment_id, s.external_no, s.title, coalesce(sec.name, u.name) AS unit, a.role, a.due_on \
         FROM assignments a JOIN units u ON u.id = a.unit_id AND u.kind = 'bureau' \
         JOIN suggestions s ON s.id = a.suggestion_id LEFT JOIN units sec ON sec.id = a.section_id \
         WHERE a.state NOT IN ('reassigned', 'replied', 'opinion_given', 'completed') AND a.due_on <= $1 \
           AND ($2::uuid IS NULL OR a.section_id = $2 OR a.unit_id = $2) \
         ORDER BY a.due_on, a.id LIMIT $3",
    )
    .bind::<Date, _>(until)
    .bind::<Nullable<SqlUuid>, _>(unit)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// A signed reply of the bureau's not yet published (nor withheld).
#[derive(Debug, Clone, QueryableByName)]
pub struct Unpublished {
    #[diesel(sql_type = SqlUuid)]
    pub reply_id: Uuid,
    #[diesel(sql_type = Text)]
    pub external_no: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub source: crate::db::enums::Source,
    #[diesel(sql_type = Date)]
    pub signed_on: NaiveDate,
}

/// The bureau's (or a section's) signed replies waiting for publication: decided and not
/// published, or signed since `since` with no decision yet; oldest first, at most `limit`.
pub async fn unpublished(
    conn: &mut AsyncPgConnection,
    unit: Option<Uuid>,
    since: NaiveDate,
    limit: i64,
) -> diesel::QueryResult<Vec<Unpublished>> {
    diesel::sql_query(
        "WITH waiting AS ( \
            SELECT d.reply_id FROM disclosures d WHERE d.published_at IS NULL AND d.mode <> 'withheld' \
            UNION SELECT r.id FROM replies r WHERE r.state = 'signed' AND r.signed_on >= $2 \
              AND NOT EXISTS (SELECT 1 FROM disclosures d WHERE d.reply_id = r.id)) \
         SELECT r.id AS reply_id, s.external_no, s.title, coalesce(sec.name, u.name) AS unit, s.source, r.signed_on \
         FROM waiting w JOIN replies r ON r.id = w.reply_id AND r.state = 'signed' AND r.signed_on IS NOT NULL \
         JOIN assignments a ON a.id = r.assignment_id JOIN units u ON u.id = a.unit_id AND u.kind = 'bureau' \
         JOIN suggestions s ON s.id = r.suggestion_id LEFT JOIN units sec ON sec.id = a.section_id \
         WHERE ($1::uuid IS NULL OR a.section_id = $1 OR a.unit_id = $1) \
         ORDER BY r.signed_on, r.id LIMIT $3",
    )
    .bind::<Nullable<SqlUuid>, _>(unit)
    .bind::<Date, _>(since)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
