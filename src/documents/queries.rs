//! Documents, their grants and the blobs to sweep, in the database.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::enums::DocumentKind;
use crate::db::schema::{blob_sweeps, document_grants, documents};
use crate::documents::model::DocumentRow;

/// Which documents a caller may read: every one, or their unit's and those granted to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentScope {
    pub all: bool,
    pub unit: Option<Uuid>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = documents)]
pub struct NewDocument<'a> {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub name: &'a str,
    pub kind: DocumentKind,
    pub size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub uploaded_by: Uuid,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewDocument<'_>) -> QueryResult<DocumentRow> {
    diesel::insert_into(documents::table).values(new).returning(DocumentRow::as_returning()).get_result(conn).await
}

type Boxed<'a> = documents::BoxedQuery<'a, diesel::pg::Pg, diesel::dsl::AsSelect<DocumentRow, diesel::pg::Pg>>;

/// Live documents within the scope.
fn visible<'a>(scope: DocumentScope) -> Boxed<'a> {
    let q = documents::table.select(DocumentRow::as_select()).filter(documents::deleted_at.is_null()).into_boxed();
    if scope.all {
        return q;
    }
    let Some(unit) = scope.unit else { return q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("false")) };
    let granted = document_grants::table
        .filter(document_grants::document_id.eq(documents::id))
        .filter(document_grants::unit_id.eq(unit));
    q.filter(documents::unit_id.eq(unit).or(exists(granted)))
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid, scope: DocumentScope) -> QueryResult<Option<DocumentRow>> {
    visible(scope).filter(documents::id.eq(id)).first(conn).await.optional()
}

/// A suggestion's documents within the scope, oldest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    owner_id: Option<Uuid>,
    scope: DocumentScope,
) -> QueryResult<Vec<DocumentRow>> {
    let mut q = visible(scope).filter(documents::suggestion_id.eq(suggestion_id));
    if let Some(owner) = owner_id {
        q = q.filter(documents::owner_id.eq(owner));
    }
    q.order(documents::id.asc()).limit(1000).load(conn).await
}

/// Documents attached to these owners (for the steps that show them).
pub async fn of_owners(conn: &mut AsyncPgConnection, owners: &[Uuid]) -> QueryResult<Vec<DocumentRow>> {
    documents::table
        .select(DocumentRow::as_select())
        .filter(documents::owner_id.eq_any(owners))
        .filter(documents::deleted_at.is_null())
        .order(documents::id.asc())
        .load(conn)
        .await
}

pub async fn for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DocumentRow>> {
    documents::table
        .select(DocumentRow::as_select())
        .filter(documents::id.eq(id))
        .filter(documents::deleted_at.is_null())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Locks the live, unattached documents of a suggestion that a unit uploaded, among `ids`.
pub async fn attachable(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    suggestion_id: Uuid,
    unit_id: Uuid,
) -> QueryResult<Vec<DocumentRow>> {
    documents::table
        .select(DocumentRow::as_select())
        .filter(documents::id.eq_any(ids))
        .filter(documents::suggestion_id.eq(suggestion_id))
        .filter(documents::unit_id.eq(unit_id))
        .filter(documents::deleted_at.is_null())
        .filter(documents::owner_id.is_null())
        .for_update()
        .load(conn)
        .await
}

pub async fn set_owner(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    owner_type: &str,
    owner_id: Uuid,
) -> QueryResult<usize> {
    diesel::update(documents::table.filter(documents::id.eq_any(ids)))
        .set((
            documents::owner_type.eq(owner_type),
            documents::owner_id.eq(owner_id),
            documents::version.eq(documents::version + 1),
        ))
        .execute(conn)
        .await
}

pub async fn mark_deleted(conn: &mut AsyncPgConnection, id: Uuid, by: Uuid) -> QueryResult<DocumentRow> {
    diesel::update(documents::table.filter(documents::id.eq(id)))
        .set((
            documents::deleted_at.eq(diesel::dsl::now),
            documents::deleted_by.eq(by),
            documents::version.eq(documents::version + 1),
        ))
        .returning(DocumentRow::as_returning())
        .get_result(conn)
        .await
}

/// Lets units read documents; `granted_by` is the step's row that withdraws it.
pub async fn grant(conn: &mut AsyncPgConnection, ids: &[Uuid], units: &[Uuid], granted_by: Uuid) -> QueryResult<usize> {
    let rows: Vec<_> = ids
        .iter()
        .flat_map(|d| units.iter().map(move |u| (*d, *u)))
        .map(|(d, u)| {
            (
                document_grants::document_id.eq(d),
                document_grants::unit_id.eq(u),
                document_grants::granted_by.eq(granted_by),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(document_grants::table).values(rows).on_conflict_do_nothing().execute(conn).await
}

/// Notes a blob that may have to go after `not_before` (an upload in progress, a deleted
/// document's blob).
pub async fn sweep_later(conn: &mut AsyncPgConnection, key: &str, not_before: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(blob_sweeps::table)
        .values((blob_sweeps::storage_key.eq(key), blob_sweeps::not_before.eq(not_before)))
        .on_conflict(blob_sweeps::storage_key)
        .do_update()
        .set(blob_sweeps::not_before.eq(not_before))
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn forget_sweep(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(blob_sweeps::table.filter(blob_sweeps::storage_key.eq(key))).execute(conn).await.map(|_| ())
}

/// Blobs due for sweeping, with whether a live document still points at each.
pub async fn due_sweeps(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<(String, bool)>> {
    let live = documents::table
        .filter(documents::storage_key.eq(blob_sweeps::storage_key))
        .filter(documents::deleted_at.is_null());
    blob_sweeps::table
        .filter(blob_sweeps::not_before.le(diesel::dsl::now))
        .select((blob_sweeps::storage_key, not(exists(live))))
        .order(blob_sweeps::not_before.asc())
        .limit(limit)
        .load::<(String, bool)>(conn)
        .await
        .map(|rows| rows.into_iter().map(|(k, orphan)| (k, !orphan)).collect())
}
