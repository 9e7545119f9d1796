//! Reading the outbox in position order.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{events, events_head};
use crate::sync::model::FeedEvent;

/// The last position given to a committed transaction's events.
pub async fn head(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    events_head::table.select(events_head::position).first(conn).await
}

/// Up to `limit` events after `after` and at most `head`, of `types` (all when empty), in
/// position order (the index on position).
pub async fn page(
    conn: &mut AsyncPgConnection,
    after: i64,
    head: i64,
    types: &[String],
    limit: i64,
) -> QueryResult<Vec<FeedEvent>> {
    let mut query = events::table
        .filter(events::position.gt(after))
        .filter(events::position.le(head))
        .order(events::position)
        .limit(limit)
        .select(FeedEvent::as_select())
        .into_boxed();
    if !types.is_empty() {
        query = query.filter(events::type_.eq_any(types));
    }
    query.load(conn).await
}
