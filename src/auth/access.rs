//! Who may read a suggestion because of the steps of its handling — one home for access
//! that many steps grant. A step grants its units access in the transaction of its change
//! (an assignment: its unit and section; a co-handling one also as co-handler) and
//! withdraws it the same way (a reassignment); reads filter by `reachable`. Earlier steps
//! thus never read a later step's tables, and a new step adds grants, not conditions.

use diesel::dsl::auto_type;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::enums::AccessKind;
use crate::db::schema::suggestion_access;

/// Access to one suggestion, for one unit, granted by one row of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Insertable)]
#[diesel(table_name = suggestion_access)]
pub struct AccessGrant {
    pub unit_id: Uuid,
    pub kind: AccessKind,
    pub suggestion_id: Uuid,
    /// The step's row (an assignment's id, …), by which it is withdrawn.
    pub granted_by: Uuid,
}

/// Grants access (one statement; a grant that exists already is kept).
pub async fn grant(conn: &mut AsyncPgConnection, grants: &[AccessGrant]) -> QueryResult<usize> {
    let mut written = 0;
    // Four parameters a row; PostgreSQL takes at most 65,535 in one statement.
    for chunk in grants.chunks(10_000) {
        written +=
            diesel::insert_into(suggestion_access::table).values(chunk).on_conflict_do_nothing().execute(conn).await?;
    }
    Ok(written)
}

/// Withdraws what these rows of a step granted.
pub async fn withdraw(conn: &mut AsyncPgConnection, granted_by: &[Uuid]) -> QueryResult<usize> {
    diesel::delete(suggestion_access::table.filter(suggestion_access::granted_by.eq_any(granted_by)))
        .execute(conn)
        .await
}

/// The suggestions a unit may read with this kind of access, as a subquery for
/// `suggestions::id.eq_any(…)`.
#[auto_type(no_type_alias)]
pub fn reachable(unit: Uuid, kind: AccessKind) -> _ {
    suggestion_access::table
        .filter(suggestion_access::unit_id.eq(unit))
        .filter(suggestion_access::kind.eq(kind))
        .select(suggestion_access::suggestion_id)
}

/// Whether a unit may reach a suggestion with one of these kinds of access.
pub async fn reaches(
    conn: &mut AsyncPgConnection,
    unit: Uuid,
    kinds: &[AccessKind],
    suggestion_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        suggestion_access::table
            .filter(suggestion_access::unit_id.eq(unit))
            .filter(suggestion_access::kind.eq_any(kinds))
            .filter(suggestion_access::suggestion_id.eq(suggestion_id)),
    ))
    .get_result(conn)
    .await
}
