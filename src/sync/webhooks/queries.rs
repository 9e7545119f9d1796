//! Subscriptions and deliveries in the database, and the worker's statements: turning the
//! feed into deliveries, taking due deliveries, recording what came of them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Interval, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{events, webhook_deliveries, webhook_subscriptions};
use crate::sync::webhooks::model::{DeliveryFilter, DeliveryRow, DeliveryState, SubscriptionRow};

pub async fn insert_subscription(
    conn: &mut AsyncPgConnection,
    row: (&str, &[String], &str, Option<&str>, i64),
) -> QueryResult<SubscriptionRow> {
    let (url, types, secret, description, from_position) = row;
    diesel::insert_into(webhook_subscriptions::table)
        .values((
            webhook_subscriptions::id.eq(Uuid::now_v7()),
            webhook_subscriptions::url.eq(url),
            webhook_subscriptions::event_types.eq(types),
            webhook_subscriptions::secret.eq(secret),
            webhook_subscriptions::description.eq(description),
            webhook_subscriptions::from_position.eq(from_position),
        ))
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn subscription(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    for_update: bool,
) -> QueryResult<Option<SubscriptionRow>> {
    let query = webhook_subscriptions::table.find(id).select(SubscriptionRow::as_select());
    if for_update { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() }
}

/// Newest first, after `after` (created_at, id).
pub async fn subscriptions(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    let mut query = webhook_subscriptions::table
        .order((webhook_subscriptions::created_at.desc(), webhook_subscriptions::id.desc()))
        .limit(limit)
        .select(SubscriptionRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            webhook_subscriptions::created_at
                .lt(at)
                .or(webhook_subscriptions::created_at.eq(at).and(webhook_subscriptions::id.lt(id))),
        );
    }
    query.load(conn).await
}

pub async fn update_subscription(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    change: (&str, &[String], Option<&str>, bool),
) -> QueryResult<SubscriptionRow> {
    let (url, types, description, active) = change;
    diesel::update(webhook_subscriptions::table.find(id))
        .set((
            webhook_subscriptions::url.eq(url),
            webhook_subscriptions::event_types.eq(types),
            webhook_subscriptions::description.eq(description),
            webhook_subscriptions::active.eq(active),
            webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
            webhook_subscriptions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_subscription(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(webhook_subscriptions::table.find(id)).execute(conn).await
}

/// Deliveries with their event's type, newest first, after `after` (created_at, id).
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    filter: &DeliveryFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, String)>> {
    let mut query = webhook_deliveries::table
        .inner_join(events::table)
        .order((webhook_deliveries::created_at.desc(), webhook_deliveries::id.desc()))
        .limit(limit)
        .select((DeliveryRow::as_select(), events::type_))
        .into_boxed();
    if let Some(id) = filter.subscription_id {
        query = query.filter(webhook_deliveries::subscription_id.eq(id));
    }
    if let Some(state) = filter.state {
        query = query.filter(webhook_deliveries::state.eq(state));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            webhook_deliveries::created_at
                .lt(at)
                .or(webhook_deliveries::created_at.eq(at).and(webhook_deliveries::id.lt(id))),
        );
    }
    query.load(conn).await
}

pub async fn delivery(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<(DeliveryRow, String)>> {
    webhook_deliveries::table
        .inner_join(events::table)
        .filter(webhook_deliveries::id.eq(id))
        .select((DeliveryRow::as_select(), events::type_))
        .first(conn)
        .await
        .optional()
}

/// Sends a delivered or dead one again: pending, due now, its attempts counted afresh.
/// A pending one is left as it is (it may be on its way); `None` then.
pub async fn redeliver(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DeliveryRow>> {
    diesel::update(webhook_deliveries::table.find(id).filter(webhook_deliveries::state.ne(DeliveryState::Pending)))
        .set((
            webhook_deliveries::state.eq(DeliveryState::Pending),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
            webhook_deliveries::delivered_at.eq(None::<DateTime<Utc>>),
        ))
        .returning(DeliveryRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    events: i64,
    #[diesel(sql_type = BigInt)]
    deliveries: i64,
}

/// Turns up to `batch` events past the cursor into deliveries and moves the cursor past
/// them, in one transaction; a worker finding the cursor taken by another does nothing.
/// Returns (events read, deliveries made).
pub async fn fan_out(conn: &mut AsyncPgConnection, batch: i64) -> QueryResult<(i64, i64)> {
    use diesel_async::AsyncConnection;
    conn.transaction(async |conn| {
        #[derive(QueryableByName)]
        struct Cursor {
            #[diesel(sql_type = BigInt)]
            position: i64,
        }
        let cursor: Option<Cursor> = diesel::sql_query("SELECT position FROM webhook_cursor FOR UPDATE SKIP LOCKED")
            .get_result(conn)
            .await
            .optional()?;
        let Some(cursor) = cursor else { return Ok((0, 0)) };
        // A later statement: a new snapshot, which sees a prefix of the positions.
        let counted: Counted = diesel::sql_query(
            "WITH ev AS (SELECT seq, position, type FROM events WHERE position > $1 ORDER BY position LIMIT $2),
                  made AS (INSERT INTO webhook_deliveries (id, subscription_id, event_seq)
                           SELECT gen_random_uuid(), s.id, ev.seq FROM ev JOIN webhook_subscriptions s
                             ON s.active AND ev.position > s.from_position
                            AND (cardinality(s.event_types) = 0 OR ev.type = ANY (s.event_types))
                           ON CONFLICT DO NOTHING RETURNING 1),
                  moved AS (UPDATE webhook_cursor SET position = (SELECT max(position) FROM ev)
                            WHERE EXISTS (SELECT 1 FROM ev) RETURNING 1)
             SELECT (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM made) AS deliveries
                    FROM (SELECT count(*) FROM moved) m",
        )
        .bind::<BigInt, _>(cursor.position)
        .bind::<BigInt, _>(batch)
        .get_result(conn)
        .await?;
        Ok((counted.events, counted.deliveries))
    })
    .await
}

/// A delivery taken to send, with its subscription and event.
#[derive(Debug, QueryableByName)]
pub struct Taken {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub position: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = SqlUuid)]
    pub entity_id: Uuid,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Takes up to `n` due deliveries, skipping those another worker holds, and moves each
/// past `lease` (the attempt's longest time): no other worker takes it meanwhile, and if
/// this one dies it is tried again after the lease.
pub async fn take_due(conn: &mut AsyncPgConnection, n: i64, lease: std::time::Duration) -> QueryResult<Vec<Taken>> {
    diesel::sql_query(
        "WITH due AS (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),
              taken AS (UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + $2
                        FROM due WHERE d.id = due.id RETURNING d.id, d.attempts, d.subscription_id, d.event_seq)
         SELECT t.id, t.attempts, s.url, s.secret, e.type AS kind, e.position, e.seq, e.entity_type, e.entity_id,
                e.version, e.payload, e.created_at
         FROM taken t JOIN webhook_subscriptions s ON s.id = t.subscription_id JOIN events e ON e.seq = t.event_seq",
    )
    .bind::<BigInt, _>(n)
    .bind::<Interval, _>(diesel::data_types::PgInterval::from_microseconds(lease.as_micros() as i64))
    .load(conn)
    .await
}

/// What came of attempt `attempt`: delivered (`retry_in` unused), to be tried again after
/// `retry_in`, or, with no `retry_in`, dead. Only the attempt that took it records it.
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    attempt: i32,
    outcome: (bool, Option<i32>, Option<&str>),
    retry_in: Option<std::time::Duration>,
) -> QueryResult<usize> {
    let (delivered, status, error) = outcome;
    let retry = retry_in.map(|d| diesel::data_types::PgInterval::from_microseconds(d.as_micros() as i64));
    diesel::sql_query(
        "UPDATE webhook_deliveries SET
             state = CASE WHEN $3 THEN 'delivered' WHEN $6::interval IS NULL THEN 'dead' ELSE 'pending' END,
             delivered_at = CASE WHEN $3 THEN now() END,
             next_attempt_at = CASE WHEN NOT $3 AND $6::interval IS NOT NULL THEN now() + $6 ELSE next_attempt_at END,
             last_status = $4, last_error = $5
         WHERE id = $1 AND attempts = $2 AND state = 'pending'",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(attempt)
    .bind::<diesel::sql_types::Bool, _>(delivered)
    .bind::<Nullable<Integer>, _>(status)
    .bind::<Nullable<Text>, _>(error)
    .bind::<Nullable<Interval>, _>(retry)
    .execute(conn)
    .await
}

/// Gives back deliveries taken but not finished (the worker is stopping): due now, the
/// attempt not counted.
pub async fn give_back(conn: &mut AsyncPgConnection, taken: &[(Uuid, i32)]) -> QueryResult<usize> {
    let ids: Vec<Uuid> = taken.iter().map(|t| t.0).collect();
    let attempts: Vec<i32> = taken.iter().map(|t| t.1).collect();
    diesel::sql_query(
        "UPDATE webhook_deliveries d SET next_attempt_at = now(), attempts = d.attempts - 1
         FROM unnest($1, $2) AS t(id, attempts)
         WHERE d.id = t.id AND d.attempts = t.attempts AND d.state = 'pending'",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Integer>, _>(attempts)
    .execute(conn)
    .await
}

/// When the next pending delivery is due, if any.
pub async fn next_due(conn: &mut AsyncPgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(DeliveryState::Pending))
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first(conn)
        .await
}
