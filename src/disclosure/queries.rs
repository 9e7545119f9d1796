//! Disclosures, and the public's reads of published replies, in the database.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::enums::{Consent, DisclosureMode};
use crate::db::schema::{deputies, disclosures};
use crate::db::sql::Prepared;
use crate::disclosure::model::{DisclosureRow, PublishedRow, UnitFigures};

pub async fn get(conn: &mut AsyncPgConnection, reply_id: Uuid) -> QueryResult<Option<DisclosureRow>> {
    disclosures::table
        .select(DisclosureRow::as_select())
        .filter(disclosures::reply_id.eq(reply_id))
        .first(conn)
        .await
        .optional()
}

pub async fn for_update(conn: &mut AsyncPgConnection, reply_id: Uuid) -> QueryResult<Option<DisclosureRow>> {
    disclosures::table
        .select(DisclosureRow::as_select())
        .filter(disclosures::reply_id.eq(reply_id))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Sets the decision (a new row, or the existing one changed).
pub async fn decide(
    conn: &mut AsyncPgConnection,
    reply_id: Uuid,
    mode: DisclosureMode,
    summary: Option<&str>,
    reason: Option<&str>,
    by: Uuid,
) -> QueryResult<DisclosureRow> {
    diesel::insert_into(disclosures::table)
        .values((
            disclosures::reply_id.eq(reply_id),
            disclosures::mode.eq(mode),
            disclosures::summary.eq(summary),
            disclosures::withheld_reason.eq(reason),
            disclosures::decided_by.eq(by),
        ))
        .on_conflict(disclosures::reply_id)
        .do_update()
        .set((
            disclosures::mode.eq(mode),
            disclosures::summary.eq(summary),
            disclosures::withheld_reason.eq(reason),
            disclosures::decided_by.eq(by),
            disclosures::version.eq(disclosures::version + 1),
            disclosures::updated_at.eq(diesel::dsl::now),
        ))
        .returning(DisclosureRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_consent(conn: &mut AsyncPgConnection, reply_id: Uuid, consent: Consent) -> QueryResult<DisclosureRow> {
    diesel::update(disclosures::table.filter(disclosures::reply_id.eq(reply_id)))
        .set((
            disclosures::consent.eq(consent),
            disclosures::consent_at.eq(diesel::dsl::now),
            disclosures::version.eq(disclosures::version + 1),
            disclosures::updated_at.eq(diesel::dsl::now),
        ))
        .returning(DisclosureRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn publish(conn: &mut AsyncPgConnection, reply_id: Uuid, by: Uuid) -> QueryResult<DisclosureRow> {
    diesel::update(disclosures::table.filter(disclosures::reply_id.eq(reply_id)))
        .set((
            disclosures::published_at.eq(diesel::dsl::now),
            disclosures::published_by.eq(by),
            disclosures::version.eq(disclosures::version + 1),
            disclosures::updated_at.eq(diesel::dsl::now),
        ))
        .returning(DisclosureRow::as_returning())
        .get_result(conn)
        .await
}

/// What the public may filter by.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    pub year: Option<i32>,
    pub unit_id: Option<Uuid>,
    /// A tsquery (from `suggestions::search::query`).
    pub tsquery: Option<String>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub id: Option<Uuid>,
    pub limit: i64,
}

/// Published replies, newest first, in one round trip (partial indexes on `published_at`,
/// alone and after the year or the unit, serve the order). The statement names only the filters given — one of a
/// few dozen texts, each a cached prepared statement whose generic plan fits (with
/// `$1 IS NULL OR …` PostgreSQL would plan every call anew).
pub async fn published(conn: &mut AsyncPgConnection, q: &PublicQuery) -> QueryResult<Vec<PublishedRow>> {
    let mut sql = String::from(
        "SELECT d.reply_id, d.published_at, d.mode, d.summary, s.title, s.external_no, s.year, s.source, \
                s.session_label, u.name AS unit_name, v.class, v.doc_no, v.body, r.signed_on, \
                array_remove(s.proposer_id || s.co_signer_ids, NULL) AS deputy_ids \
         FROM disclosures d \
         JOIN replies r ON r.id = d.reply_id \
         JOIN suggestions s ON s.id = r.suggestion_id \
         JOIN units u ON u.id = r.unit_id \
         JOIN reply_revisions v ON v.reply_id = r.id AND v.revision = r.revision \
         WHERE d.published_at IS NOT NULL AND d.mode <> 'withheld'",
    );
    let mut n = 0;
    let mut param = || {
        n += 1;
        n
    };
    if q.year.is_some() {
        sql += &format!(" AND d.year = ${}", param());
    }
    if q.unit_id.is_some() {
        sql += &format!(" AND d.unit_id = ${}", param());
    }
    if q.tsquery.is_some() {
        sql += &format!(" AND s.search @@ ${}::tsquery", param());
    }
    if q.after.is_some() {
        sql += &format!(" AND (d.published_at, d.reply_id) < (${}, ${})", param(), param());
    }
    if q.id.is_some() {
        sql += &format!(" AND d.reply_id = ${}", param());
    }
    // The limit is written into the text: with `LIMIT $n` PostgreSQL's generic plan cannot
    // know the page is small, keeps planning each call anew, and spends more time planning
    // than running. It is a checked integer (1 to 201), so the texts stay few.
    sql += &format!(" ORDER BY d.published_at DESC, d.reply_id DESC LIMIT {}", q.limit.clamp(1, 1000));
    let mut query = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
    if let Some(year) = q.year {
        query = query.bind::<Int4, _>(year);
    }
    if let Some(unit) = q.unit_id {
        query = query.bind::<SqlUuid, _>(unit);
    }
    if let Some(t) = &q.tsquery {
        query = query.bind::<Text, _>(t.clone());
    }
    if let Some((at, id)) = q.after {
        query = query.bind::<Timestamptz, _>(at).bind::<SqlUuid, _>(id);
    }
    if let Some(id) = q.id {
        query = query.bind::<SqlUuid, _>(id);
    }
    Prepared(query).load(conn).await
}

/// The names of the confidential deputies among these.
pub async fn confidential_names(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<String>> {
    deputies::table
        .filter(deputies::id.eq_any(ids))
        .filter(deputies::confidential.eq(true))
        .select(deputies::name)
        .load(conn)
        .await
}

/// Each unit's figures for a year: suggestions led, split, co-handled, replies signed and
/// published.
pub async fn unit_figures(conn: &mut AsyncPgConnection, year: i32) -> QueryResult<Vec<UnitFigures>> {
    diesel::sql_query(
        "SELECT u.name AS unit, \
                count(*) FILTER (WHERE a.role = 'lead') AS lead, \
                count(*) FILTER (WHERE a.role = 'split') AS split, \
                count(*) FILTER (WHERE a.role = 'co') AS co, \
                count(r.id) FILTER (WHERE r.state = 'signed') AS replied, \
                count(d.reply_id) FILTER (WHERE d.published_at IS NOT NULL) AS published \
         FROM assignments a \
         JOIN suggestions s ON s.id = a.suggestion_id \
         JOIN units u ON u.id = a.unit_id \
         LEFT JOIN replies r ON r.assignment_id = a.id \
         LEFT JOIN disclosures d ON d.reply_id = r.id \
         WHERE s.year = $1 AND a.state <> 'reassigned' \
         GROUP BY u.name ORDER BY count(*) DESC, u.name",
    )
    .bind::<Int4, _>(year)
    .load(conn)
    .await
}
