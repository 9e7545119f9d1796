//! Suggestions in the database: one query per read (deputies' names come along as JSON),
//! keyset pages, and batch writes for imports.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::access;
use crate::db::enums::{AccessKind, Source, SuggestionStatus};
use crate::db::schema::suggestions;
use crate::suggestions::model::{KeyFacts, SortOrder, SuggestionFilter};
use crate::suggestions::rules::Content;
use crate::suggestions::search::Vectors;

/// A suggestion as read, with its deputies as JSON.
#[derive(Debug, Clone, Queryable)]
pub struct SuggestionRow {
    pub id: Uuid,
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub session_label: Option<String>,
    pub title: String,
    pub category: Option<String>,
    pub keywords: Vec<String>,
    pub is_key: bool,
    pub received_on: Option<NaiveDate>,
    pub merged_into: Option<Uuid>,
    pub status: SuggestionStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub supervisor_id: Option<Uuid>,
    pub body: Option<String>,
    pub proposer: Option<serde_json::Value>,
    pub co_signers: serde_json::Value,
}

/// SQL fragments the read queries select, each a type of its own (`db::sql`).
mod fragments {
    use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate};
    use diesel::pg::Pg;
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::sql_types::{Bool, Json, Nullable, Text};

    use crate::db::schema::sql_types::{Tsquery, Tsvector};
    use crate::db::sql::static_sql;

    static_sql!(
        /// The lead proposer as JSON.
        pub ProposerJson: Nullable<Json> = "(SELECT json_build_object('id', d.id, 'name', d.name, 'delegation', \
        d.delegation, 'confidential', d.confidential) FROM deputies d WHERE d.id = suggestions.proposer_id)"
    );
    static_sql!(
        /// The co-signers as a JSON array, in their order.
        pub CoSignersJson: Json = "(SELECT coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, \
        'delegation', d.delegation, 'confidential', d.confidential) \
        ORDER BY array_position(suggestions.co_signer_ids, d.id)), '[]'::json) \
        FROM deputies d WHERE d.id = ANY(suggestions.co_signer_ids))"
    );
    static_sql!(
        /// The full text.
        pub Body: Nullable<Text> = "suggestions.body"
    );
    static_sql!(
        /// No full text (lists).
        pub NoBody: Nullable<Text> = "NULL::text"
    );

    /// `$n::tsquery`: a query the service built, as a bound parameter.
    #[derive(Debug, Clone, QueryId)]
    pub struct TsQuery(pub String);
    impl Expression for TsQuery {
        type SqlType = Tsquery;
    }
    impl<QS> SelectableExpression<QS> for TsQuery {}
    impl<QS> AppearsOnTable<QS> for TsQuery {}
    impl<G> ValidGrouping<G> for TsQuery {
        type IsAggregate = is_aggregate::Never;
    }
    impl QueryFragment<Pg> for TsQuery {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
            out.push_bind_param::<Text, _>(&self.0)?;
            out.push_sql("::tsquery");
            Ok(())
        }
    }

    diesel::infix_operator!(Matches, " @@ ", Bool, backend: Pg);
    diesel::define_sql_function!(fn ts_rank(vector: Tsvector, query: Tsquery) -> Float);
}

use fragments::{Body, CoSignersJson, Matches, NoBody, ProposerJson, TsQuery, ts_rank};

macro_rules! row_columns {
    ($body:expr) => {
        (
            suggestions::id,
            suggestions::source,
            suggestions::year,
            suggestions::external_no,
            suggestions::session_label,
            suggestions::title,
            suggestions::category,
            suggestions::keywords,
            suggestions::is_key,
            suggestions::received_on,
            suggestions::merged_into,
            suggestions::status,
            suggestions::version,
            suggestions::created_at,
            suggestions::updated_at,
            suggestions::supervisor_id,
            $body,
            ProposerJson,
            CoSignersJson,
        )
    };
}

/// Which suggestions a caller may read: any that one of the present reaches allows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadScope {
    pub all: bool,
    /// A deputy: those they proposed or co-signed.
    pub deputy: Option<Uuid>,
    /// A unit or section: those it handles.
    pub unit: Option<Uuid>,
    /// A co-handling unit: those it co-handles.
    pub co_unit: Option<Uuid>,
}

impl ReadScope {
    pub fn all() -> Self {
        ReadScope { all: true, ..Default::default() }
    }
}

type Condition = Box<dyn BoxableExpression<suggestions::table, Pg, SqlType = Bool>>;

/// Proposed or co-signed by a deputy.
fn by_deputy(d: Uuid) -> Condition {
    Box::new(suggestions::proposer_id.eq(d).or(suggestions::co_signer_ids.contains(vec![d])).assume_not_null())
}

/// The condition of a scope; none for one that reaches everything. Units reach
/// suggestions through the access the steps of handling granted them.
fn scope_condition(scope: &ReadScope) -> Option<Condition> {
    if scope.all {
        return None;
    }
    let mut parts: Vec<Condition> = Vec::new();
    if let Some(d) = scope.deputy {
        parts.push(by_deputy(d));
    }
    if let Some(u) = scope.unit {
        parts.push(Box::new(suggestions::id.eq_any(access::reachable(u, AccessKind::Unit))));
    }
    if let Some(u) = scope.co_unit {
        parts.push(Box::new(suggestions::id.eq_any(access::reachable(u, AccessKind::Co))));
    }
    Some(parts.into_iter().reduce(|a, b| Box::new(a.or(b))).unwrap_or_else(|| Box::new(false.into_sql::<Bool>())))
}

/// One suggestion with its body, if the scope reaches it.
pub async fn get(conn: &mut AsyncPgConnection, id: Uuid, scope: &ReadScope) -> QueryResult<Option<SuggestionRow>> {
    let q = suggestions::table.select(row_columns!(Body)).filter(suggestions::id.eq(id));
    match scope_condition(scope) {
        None => q.first(conn).await.optional(),
        Some(condition) => q.filter(condition).first(conn).await.optional(),
    }
}

/// The stored content of a suggestion, locked for a change.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = suggestions)]
pub struct Stored {
    pub id: Uuid,
    pub version: i32,
    pub content_hash: Vec<u8>,
    pub merged_into: Option<Uuid>,
    pub status: SuggestionStatus,
}

pub async fn stored_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Stored>> {
    suggestions::table.find(id).select(Stored::as_select()).for_update().first(conn).await.optional()
}

/// The stored rows of many keys `(source, year, external_no)`, locked.
pub async fn stored_by_keys_for_update(conn: &mut AsyncPgConnection, keys: &[Key]) -> QueryResult<Vec<(Key, Stored)>> {
    use diesel::sql_types::{Array, Int4};
    #[derive(QueryableByName)]
    #[diesel(table_name = suggestions)]
    struct Found {
        source: Source,
        year: i32,
        external_no: String,
        #[diesel(embed)]
        stored: Stored,
    }
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sources: Vec<Source> = keys.iter().map(|k| k.0).collect();
    let years: Vec<i32> = keys.iter().map(|k| k.1).collect();
    let numbers: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    let found: Vec<Found> = diesel::sql_query(
        "SELECT s.source, s.year, s.external_no, s.id, s.version, s.content_hash, s.merged_into, s.status \
         FROM suggestions s JOIN unnest($1::text[], $2::int4[], $3::text[]) AS k(source, year, external_no) \
         ON s.source = k.source AND s.year = k.year AND s.external_no = k.external_no \
         ORDER BY s.id FOR UPDATE OF s",
    )
    .bind::<Array<Text>, _>(sources)
    .bind::<Array<Int4>, _>(years)
    .bind::<Array<Text>, _>(numbers)
    .load(conn)
    .await?;
    Ok(found.into_iter().map(|f| ((f.source, f.year, f.external_no), f.stored)).collect())
}

/// A suggestion's key: source, year and external number.
pub type Key = (Source, i32, String);

/// The id of the suggestion with this external number, if any.
pub async fn id_by_key(
    conn: &mut AsyncPgConnection,
    source: Source,
    year: i32,
    external_no: &str,
) -> QueryResult<Option<Uuid>> {
    suggestions::table
        .filter(suggestions::source.eq(source))
        .filter(suggestions::year.eq(year))
        .filter(suggestions::external_no.eq(external_no))
        .select(suggestions::id)
        .first(conn)
        .await
        .optional()
}

pub async fn exists(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(suggestions::table.find(id))).get_result(conn).await
}

/// A suggestion to insert, with its content hash and search vector computed once.
pub struct NewRow<'a> {
    pub id: Uuid,
    pub content: &'a Content,
    pub hash: Vec<u8>,
    pub vectors: &'a Vectors,
}

/// Inserts suggestions (one statement); skips keys that exist; returns `(id, key)` of those
/// written.
pub async fn insert_many(conn: &mut AsyncPgConnection, rows: &[NewRow<'_>]) -> QueryResult<Vec<(Uuid, Key)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            let c = r.content;
            (
                suggestions::id.eq(r.id),
                suggestions::source.eq(c.source),
                suggestions::year.eq(c.year),
                suggestions::external_no.eq(&c.external_no),
                suggestions::session_label.eq(&c.session_label),
                suggestions::title.eq(&c.title),
                suggestions::body.eq(&c.body),
                suggestions::category.eq(&c.category),
                suggestions::keywords.eq(&c.keywords),
                suggestions::proposer_id.eq(c.proposer_id),
                suggestions::co_signer_ids.eq(&c.co_signer_ids),
                suggestions::is_key.eq(c.is_key),
                suggestions::received_on.eq(c.received_on),
                suggestions::merged_into.eq(c.merged_into),
                suggestions::content_hash.eq(&r.hash),
                suggestions::search.eq(&r.vectors.matching),
                suggestions::title_search.eq(&r.vectors.ranking),
            )
        })
        .collect();
    diesel::insert_into(suggestions::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning((suggestions::id, (suggestions::source, suggestions::year, suggestions::external_no)))
        .get_results(conn)
        .await
}

/// Writes new content over a suggestion; returns the new version.
pub async fn update_content(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    c: &Content,
    hash: &[u8],
    vectors: &Vectors,
) -> QueryResult<i32> {
    diesel::update(suggestions::table.find(id))
        .set((
            suggestions::session_label.eq(&c.session_label),
            suggestions::title.eq(&c.title),
            suggestions::body.eq(&c.body),
            suggestions::category.eq(&c.category),
            suggestions::keywords.eq(&c.keywords),
            suggestions::proposer_id.eq(c.proposer_id),
            suggestions::co_signer_ids.eq(&c.co_signer_ids),
            suggestions::is_key.eq(c.is_key),
            suggestions::received_on.eq(c.received_on),
            suggestions::merged_into.eq(c.merged_into),
            suggestions::content_hash.eq(hash),
            suggestions::search.eq(&vectors.matching),
            suggestions::title_search.eq(&vectors.ranking),
            suggestions::version.eq(suggestions::version + 1),
            suggestions::updated_at.eq(Utc::now()),
        ))
        .returning(suggestions::version)
        .get_result(conn)
        .await
}

/// The content as stored, to merge a partial change into.
pub async fn content(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Content> {
    suggestions::table.find(id).select(Content::as_select()).first(conn).await
}

/// The content of many suggestions as stored, by id (one query for a batch of updates).
pub async fn contents(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, Content>> {
    let rows: Vec<(Uuid, Content)> = suggestions::table
        .filter(suggestions::id.eq_any(ids))
        .select((suggestions::id, Content::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The keyset position of a list page.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum After {
    Recent(Uuid),
    ExternalNo(i32, Source, String, Uuid),
    Ledger(i32, bool, Source, String, Uuid),
    Relevance(f32, Uuid),
}

fn filtered<'a, ST: 'a>(
    mut q: suggestions::BoxedQuery<'a, Pg, ST>,
    f: &'a SuggestionFilter,
    scope: &ReadScope,
) -> suggestions::BoxedQuery<'a, Pg, ST> {
    if let Some(condition) = scope_condition(scope) {
        q = q.filter(condition);
    }
    if let Some(v) = f.year {
        q = q.filter(suggestions::year.eq(v.get()));
    }
    if let Some(v) = f.source {
        q = q.filter(suggestions::source.eq(v));
    }
    if let Some(v) = f.status {
        q = q.filter(suggestions::status.eq(v));
    }
    if let Some(v) = f.category.as_deref() {
        q = q.filter(suggestions::category.eq(v));
    }
    if let Some(v) = f.external_no.as_deref() {
        q = q.filter(suggestions::external_no.eq(v));
    }
    if let Some(v) = f.is_key {
        q = q.filter(suggestions::is_key.eq(v));
    }
    if let Some(d) = f.deputy_id {
        q = q.filter(by_deputy(d));
    }
    if let Some(v) = f.received_from {
        q = q.filter(suggestions::received_on.ge(v.get()));
    }
    if let Some(v) = f.received_to {
        q = q.filter(suggestions::received_on.le(v.get()));
    }
    q
}

/// A page of suggestions (without bodies) in the requested order.
pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &SuggestionFilter,
    scope: &ReadScope,
    after: Option<After>,
    fetch: i64,
) -> QueryResult<Vec<SuggestionRow>> {
    let mut q = filtered(suggestions::table.select(row_columns!(NoBody)).into_boxed(), f, scope);
    match f.sort.unwrap_or_default() {
        SortOrder::Recent => {
            if let Some(After::Recent(id)) = after {
                q = q.filter(suggestions::id.lt(id));
            }
            q = q.order(suggestions::id.desc());
        }
        SortOrder::ExternalNo => {
            if let Some(After::ExternalNo(year, source, number, id)) = after {
                use suggestions::{external_no, id as sid, source as src, year as y};
                q = q.filter(y.lt(year).or(y.eq(year).and(src.gt(source).or(
                    src.eq(source).and(external_no.gt(number.clone()).or(external_no.eq(number).and(sid.gt(id)))),
                ))));
            }
            q = q.order((suggestions::year.desc(), suggestions::source, suggestions::external_no, suggestions::id));
        }
        SortOrder::Ledger => {
            if let Some(After::Ledger(year, key, source, number, id)) = after {
                use suggestions::{external_no, id as sid, is_key, source as src, year as y};
                let same_key = src
                    .gt(source)
                    .or(src.eq(source).and(external_no.gt(number.clone()).or(external_no.eq(number).and(sid.gt(id)))));
                q = q.filter(y.lt(year).or(y.eq(year).and(is_key.lt(key).or(is_key.eq(key).and(same_key)))));
            }
            q = q.order((
                suggestions::year.desc(),
                suggestions::is_key.desc(),
                suggestions::source,
                suggestions::external_no,
                suggestions::id,
            ));
        }
    }
    q.limit(fetch).load(conn).await
}

/// A page of suggestions matching a tsquery, most relevant first.
pub async fn search(
    conn: &mut AsyncPgConnection,
    f: &SuggestionFilter,
    scope: &ReadScope,
    tsquery: &str,
    after: Option<(f32, Uuid)>,
    fetch: i64,
) -> QueryResult<Vec<(SuggestionRow, f32)>> {
    // Title matches rank by relevance; matches in the body alone (rank 0) by recency.
    let rank = || ts_rank(suggestions::title_search, TsQuery(tsquery.to_string()));
    let mut q = filtered(suggestions::table.select((row_columns!(NoBody), rank())).into_boxed(), f, scope)
        .filter(Matches::new(suggestions::search, TsQuery(tsquery.to_string())));
    if let Some((score, id)) = after {
        q = q.filter(rank().lt(score).or(rank().eq(score).and(suggestions::id.lt(id))));
    }
    q.order((rank().desc(), suggestions::id.desc())).limit(fetch).load(conn).await
}

/// Merges the search index's pending entries (after an import), unless another instance is
/// already doing it.
pub async fn merge_search_index(conn: &mut AsyncPgConnection) -> Result<(), crate::error::AppError> {
    // An arbitrary, fixed advisory-lock key for this job.
    const LOCK: i64 = 0x6a69_616e_7969_0001;
    crate::db::transaction(conn, async |conn| {
        let locked: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!("pg_try_advisory_xact_lock({LOCK})")))
            .get_result(conn)
            .await?;
        if locked {
            diesel::sql_query("SELECT gin_clean_pending_list('suggestions_search_idx')").execute(conn).await?;
        }
        Ok(())
    })
    .await
}

/// Earlier suggestions (by year, then registration) whose title or keywords match a
/// tsquery: the candidates of "similar", most relevant first.
pub async fn earlier_matching(
    conn: &mut AsyncPgConnection,
    scope: &ReadScope,
    tsquery: &str,
    year: i32,
    id: Uuid,
    limit: i64,
) -> QueryResult<Vec<SuggestionRow>> {
    let mut q = suggestions::table.select(row_columns!(NoBody)).into_boxed();
    if let Some(condition) = scope_condition(scope) {
        q = q.filter(condition);
    }
    q.filter(Matches::new(suggestions::title_search, TsQuery(tsquery.to_string())))
        .filter(suggestions::year.lt(year).or(suggestions::year.eq(year).and(suggestions::id.lt(id))))
        .order((ts_rank(suggestions::title_search, TsQuery(tsquery.to_string())).desc(), suggestions::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// What later steps need of suggestions, locked for the caller's transaction when `lock`
/// (in id order, so that two batches never wait on each other in a circle).
pub async fn facts(conn: &mut AsyncPgConnection, ids: &[Uuid], lock: bool) -> QueryResult<Vec<KeyFacts>> {
    let q = suggestions::table.filter(suggestions::id.eq_any(ids)).select(KeyFacts::as_select()).order(suggestions::id);
    if lock { q.for_update().load(conn).await } else { q.load(conn).await }
}

/// Sets derived statuses, many in one statement: `(id, status)`; each is a new version.
/// Returns the new versions.
pub async fn set_statuses(
    conn: &mut AsyncPgConnection,
    rows: &[(Uuid, SuggestionStatus)],
) -> QueryResult<std::collections::HashMap<Uuid, i32>> {
    use diesel::sql_types::{Array, Uuid as SqlUuid};
    #[derive(QueryableByName)]
    #[diesel(table_name = suggestions)]
    struct Versioned {
        id: Uuid,
        version: i32,
    }
    if rows.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let statuses: Vec<SuggestionStatus> = rows.iter().map(|r| r.1).collect();
    let written: Vec<Versioned> = diesel::sql_query(
        "UPDATE suggestions s SET status = n.status, version = s.version + 1, updated_at = now() \
         FROM unnest($1::uuid[], $2::text[]) AS n(id, status) WHERE s.id = n.id RETURNING s.id, s.version",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(statuses)
    .load(conn)
    .await?;
    Ok(written.into_iter().map(|v| (v.id, v.version)).collect())
}

/// Sets the supervising leader (a new version when it changes): `(previous, version)`.
pub async fn set_supervisor(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    supervisor: Option<Uuid>,
) -> QueryResult<(Option<Uuid>, i32)> {
    let (before, version): (Option<Uuid>, i32) =
        suggestions::table.find(id).select((suggestions::supervisor_id, suggestions::version)).first(conn).await?;
    if before == supervisor {
        return Ok((before, version));
    }
    let version = diesel::update(suggestions::table.find(id))
        .set((
            suggestions::supervisor_id.eq(supervisor),
            suggestions::version.eq(suggestions::version + 1),
            suggestions::updated_at.eq(Utc::now()),
        ))
        .returning(suggestions::version)
        .get_result(conn)
        .await?;
    Ok((before, version))
}

/// The source of each of these suggestions.
pub async fn sources_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, Source>> {
    let rows: Vec<(Uuid, Source)> = suggestions::table
        .filter(suggestions::id.eq_any(ids))
        .select((suggestions::id, suggestions::source))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The ids of the suggestions with these keys `(source, year, external_no)`.
pub async fn ids_by_keys(
    conn: &mut AsyncPgConnection,
    keys: &[Key],
) -> QueryResult<std::collections::HashMap<Key, Uuid>> {
    use diesel::sql_types::{Array, Int4};
    #[derive(QueryableByName)]
    #[diesel(table_name = suggestions)]
    struct Found {
        source: Source,
        year: i32,
        external_no: String,
        id: Uuid,
    }
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<Found> = diesel::sql_query(
        "SELECT s.source, s.year, s.external_no, s.id \
         FROM suggestions s JOIN unnest($1::text[], $2::int4[], $3::text[]) AS k(source, year, external_no) \
         ON s.source = k.source AND s.year = k.year AND s.external_no = k.external_no",
    )
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.2.as_str()).collect::<Vec<_>>())
    .load(conn)
    .await?;
    Ok(found.into_iter().map(|f| ((f.source, f.year, f.external_no), f.id)).collect())
}
