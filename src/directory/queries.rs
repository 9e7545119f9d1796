//! Units, users and deputies in the database.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::enums::{Body, Role, UnitKind, UserKind};
use crate::db::schema::{units, users};
use crate::directory::model::{UnitFilter, UnitRow, UserFilter, UserRow};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// `%text%` for ILIKE, with the pattern characters escaped.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn unit(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UnitRow>> {
    units::table.find(id).select(UnitRow::as_select()).first(conn).await.optional()
}

/// Units by id, in one query (for checking many references at once).
pub async fn units_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<UnitRow>> {
    units::table.filter(units::id.eq_any(ids)).select(UnitRow::as_select()).load(conn).await
}

pub async fn unit_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UnitRow>> {
    units::table.find(id).select(UnitRow::as_select()).for_update().first(conn).await.optional()
}

pub async fn insert_unit(
    conn: &mut AsyncPgConnection,
    name: &str,
    kind: UnitKind,
    parent_id: Option<Uuid>,
) -> QueryResult<UnitRow> {
    diesel::insert_into(units::table)
        .values((
            units::id.eq(Uuid::now_v7()),
            units::name.eq(name),
            units::kind.eq(kind),
            units::parent_id.eq(parent_id),
        ))
        .returning(UnitRow::as_returning())
        .get_result(conn)
        .await
}

/// Names a unit's liaison and phone (without a new version: part of a create or update).
pub async fn set_liaison(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    name: Option<&str>,
    phone: Option<&str>,
) -> QueryResult<UnitRow> {
    diesel::update(units::table.find(id))
        .set((units::liaison_name.eq(name), units::liaison_phone.eq(phone)))
        .returning(UnitRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_unit(conn: &mut AsyncPgConnection, id: Uuid, name: &str, active: bool) -> QueryResult<UnitRow> {
    diesel::update(units::table.find(id))
        .set((
            units::name.eq(name),
            units::active.eq(active),
            units::version.eq(units::version + 1),
            units::updated_at.eq(Utc::now()),
        ))
        .returning(UnitRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_unit(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(units::table.find(id)).execute(conn).await
}

/// Units ordered by name, after `(name, id)`.
pub async fn units(
    conn: &mut AsyncPgConnection,
    f: &UnitFilter,
    after: Option<(String, Uuid)>,
    fetch: i64,
) -> QueryResult<Vec<UnitRow>> {
    let mut q = units::table.select(UnitRow::as_select()).into_boxed();
    if let Some(kind) = f.kind {
        q = q.filter(units::kind.eq(kind));
    }
    if let Some(parent) = f.parent_id {
        q = q.filter(units::parent_id.eq(parent));
    }
    if let Some(active) = f.active {
        q = q.filter(units::active.eq(active));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        q = q.filter(units::name.ilike(contains_pattern(text)));
    }
    if let Some((name, id)) = after {
        q = q.filter(units::name.gt(name.clone()).or(units::name.eq(name).and(units::id.gt(id))));
    }
    q.order((units::name, units::id)).limit(fetch).load(conn).await
}

pub async fn user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()
}

/// Users by id, in one query.
pub async fn users_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<UserRow>> {
    users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn).await
}

pub async fn user_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).for_update().first(conn).await.optional()
}

/// The stored hash of a user's password or client secret.
pub async fn secret_hash(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<String>> {
    users::table.find(id).select(users::secret_hash).first(conn).await.optional().map(Option::flatten)
}

/// The fields of a new user row.
pub struct UserInsert<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    pub is_head: bool,
    pub secret_hash: String,
}

pub async fn insert_user(conn: &mut AsyncPgConnection, u: UserInsert<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::now_v7()),
            users::username.eq(u.username),
            users::display_name.eq(u.display_name),
            users::kind.eq(u.kind),
            users::roles.eq(u.roles),
            users::unit_id.eq(u.unit_id),
            users::is_head.eq(u.is_head),
            users::secret_hash.eq(u.secret_hash),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// The fields a user update writes (all of them; unchanged ones as they were).
pub struct UserUpdate {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    pub is_head: bool,
    pub active: bool,
    pub secret_hash: Option<String>,
}

pub async fn update_user(conn: &mut AsyncPgConnection, id: Uuid, u: UserUpdate) -> QueryResult<UserRow> {
    let row = diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(u.display_name),
            users::roles.eq(u.roles),
            users::unit_id.eq(u.unit_id),
            users::is_head.eq(u.is_head),
            users::active.eq(u.active),
            users::version.eq(users::version + 1),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await?;
    if let Some(hash) = u.secret_hash {
        set_secret_hash(conn, id, &hash).await?;
    }
    Ok(row)
}

pub async fn set_secret_hash(conn: &mut AsyncPgConnection, id: Uuid, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::secret_hash.eq(hash)).execute(conn).await.map(|_| ())
}

pub async fn delete_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(users::table.find(id)).execute(conn).await
}

pub async fn count_users(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn).await
}

/// Users ordered by lower-cased username, after `(username, id)`.
pub async fn users(
    conn: &mut AsyncPgConnection,
    f: &UserFilter,
    after: Option<(String, Uuid)>,
    fetch: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = f.role {
        q = q.filter(users::roles.contains(vec![role]));
    }
    if let Some(unit) = f.unit_id {
        q = q.filter(users::unit_id.eq(unit));
    }
    if let Some(kind) = f.kind {
        q = q.filter(users::kind.eq(kind));
    }
    if let Some(active) = f.active {
        q = q.filter(users::active.eq(active));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = contains_pattern(text);
        q = q.filter(users::username.ilike(pattern.clone()).or(users::display_name.ilike(pattern)));
    }
    if let Some((name, id)) = after {
        q = q.filter(lower(users::username).gt(name.clone()).or(lower(users::username).eq(name).and(users::id.gt(id))));
    }
    q.order((lower(users::username), users::id)).limit(fetch).load(conn).await
}

pub async fn unit_by_name(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<Option<UnitRow>> {
    units::table.filter(units::name.eq(name.trim())).select(UnitRow::as_select()).first(conn).await.optional()
}

use crate::db::schema::deputies;
use crate::directory::model::{DeputyFilter, DeputyRow};

pub async fn deputy(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DeputyRow>> {
    deputies::table.find(id).select(DeputyRow::as_select()).first(conn).await.optional()
}

pub async fn deputy_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DeputyRow>> {
    deputies::table.find(id).select(DeputyRow::as_select()).for_update().first(conn).await.optional()
}

/// The deputy record linked to a user account.
pub async fn deputy_id_of_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Option<Uuid>> {
    deputies::table.filter(deputies::user_id.eq(user_id)).select(deputies::id).first(conn).await.optional()
}

/// The fields of a deputy row as written.
pub struct DeputyFields {
    pub body: String,
    pub name: String,
    pub delegation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub confidential: bool,
    pub user_id: Option<Uuid>,
}

pub async fn insert_deputy(conn: &mut AsyncPgConnection, f: DeputyFields) -> QueryResult<DeputyRow> {
    diesel::insert_into(deputies::table)
        .values((
            deputies::id.eq(Uuid::now_v7()),
            deputies::body.eq(f.body),
            deputies::name.eq(f.name),
            deputies::delegation.eq(f.delegation),
            deputies::phone.eq(f.phone),
            deputies::email.eq(f.email),
            deputies::address.eq(f.address),
            deputies::confidential.eq(f.confidential),
            deputies::user_id.eq(f.user_id),
        ))
        .returning(DeputyRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_deputy(conn: &mut AsyncPgConnection, id: Uuid, f: DeputyFields) -> QueryResult<DeputyRow> {
    diesel::update(deputies::table.find(id))
        .set((
            deputies::name.eq(f.name),
            deputies::delegation.eq(f.delegation),
            deputies::phone.eq(f.phone),
            deputies::email.eq(f.email),
            deputies::address.eq(f.address),
            deputies::confidential.eq(f.confidential),
            deputies::user_id.eq(f.user_id),
            deputies::version.eq(deputies::version + 1),
            deputies::updated_at.eq(Utc::now()),
        ))
        .returning(DeputyRow::as_returning())
        .get_result(conn)
        .await
}

/// Deputies by name, after `(name, id)`; `only` restricts to one record (a deputy's own).
pub async fn deputies(
    conn: &mut AsyncPgConnection,
    f: &DeputyFilter,
    only: Option<Uuid>,
    after: Option<(String, Uuid)>,
    fetch: i64,
) -> QueryResult<Vec<DeputyRow>> {
    let mut q = deputies::table.select(DeputyRow::as_select()).into_boxed();
    if let Some(id) = only {
        q = q.filter(deputies::id.eq(id));
    }
    if let Some(body) = f.body {
        q = q.filter(deputies::body.eq(body));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = contains_pattern(text);
        q = q.filter(deputies::name.ilike(pattern.clone()).or(deputies::delegation.ilike(pattern)));
    }
    if let Some((name, id)) = after {
        q = q.filter(deputies::name.gt(name.clone()).or(deputies::name.eq(name).and(deputies::id.gt(id))));
    }
    q.order((deputies::name, deputies::id)).limit(fetch).load(conn).await
}

/// The ids of a body's deputies with these names (the oldest record when a name repeats).
/// A join with `unnest` rather than `name = ANY(…)`, which a generic plan may turn into a
/// sequential scan probing the whole array for every row.
pub async fn deputy_ids_by_name(
    conn: &mut AsyncPgConnection,
    body: Body,
    names: &[String],
) -> QueryResult<std::collections::HashMap<String, Uuid>> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let rows: Vec<Found> = diesel::sql_query(
        "SELECT DISTINCT ON (d.name) d.name, d.id FROM deputies d \
         JOIN unnest($2::text[]) AS n(name) ON d.name = n.name \
         WHERE d.body = $1 ORDER BY d.name, d.created_at",
    )
    .bind::<diesel::sql_types::Text, _>(body)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(names)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|f| (f.name, f.id)).collect())
}

/// Registers deputies by name alone (body, name) where none exists; returns the new rows.
pub async fn insert_deputies_by_name(
    conn: &mut AsyncPgConnection,
    body: Body,
    names: &[String],
) -> QueryResult<Vec<DeputyRow>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<_> = names
        .iter()
        .map(|n| (deputies::id.eq(Uuid::now_v7()), deputies::body.eq(body), deputies::name.eq(n)))
        .collect();
    diesel::insert_into(deputies::table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(DeputyRow::as_returning())
        .get_results(conn)
        .await
}

/// Whether every id is a deputy of `body`; the ones that are not.
pub async fn missing_deputies(conn: &mut AsyncPgConnection, body: Body, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    let found: Vec<Uuid> = deputies::table
        .filter(deputies::id.eq_any(ids))
        .filter(deputies::body.eq(body))
        .select(deputies::id)
        .load(conn)
        .await?;
    Ok(ids.iter().filter(|id| !found.contains(id)).copied().collect())
}
