//! The calendar and the deadline rules in the database.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::calendar::model::Holiday;
use crate::calendar::rules::DeadlineRule;
use crate::calendar::{Calendar, DayKind, SpecialDay};
use crate::db::schema::{deadline_rules, holidays};

/// The calendar for showing due states, read at most once per `ttl`: reads need not query
/// the holiday table each time. This instance's own changes show at once (`invalidate`),
/// another instance's after at most `ttl`. Due dates themselves are always computed from a
/// fresh read inside the changing transaction.
pub struct CalendarCache {
    ttl: std::time::Duration,
    current: std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<Calendar>)>>,
}

impl CalendarCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, current: std::sync::RwLock::new(None) }
    }

    pub async fn get(&self, conn: &mut AsyncPgConnection) -> QueryResult<std::sync::Arc<Calendar>> {
        if let Ok(guard) = self.current.read()
            && let Some((read_at, calendar)) = guard.as_ref()
            && read_at.elapsed() < self.ttl
        {
            return Ok(calendar.clone());
        }
        let calendar = std::sync::Arc::new(calendar(conn).await?);
        if let Ok(mut guard) = self.current.write() {
            *guard = Some((std::time::Instant::now(), calendar.clone()));
        }
        Ok(calendar)
    }

    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.current.write() {
            *guard = None;
        }
    }
}

/// The whole calendar, for computing dates.
pub async fn calendar(conn: &mut AsyncPgConnection) -> QueryResult<Calendar> {
    let rows: Vec<Holiday> = holidays::table.select(Holiday::as_select()).load(conn).await?;
    Ok(Calendar::new(rows.into_iter().map(|h| (h.day, SpecialDay { kind: h.kind, name: h.name }))))
}

pub async fn holidays_of(conn: &mut AsyncPgConnection, year: Option<i32>) -> QueryResult<Vec<Holiday>> {
    let mut q = holidays::table.select(Holiday::as_select()).into_boxed();
    if let Some(y) = year {
        let (from, to) = (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31));
        if let (Some(from), Some(to)) = (from, to) {
            q = q.filter(holidays::day.between(from, to).or(holidays::schedule_year.eq(y)));
        }
    }
    q.order(holidays::day).load(conn).await
}

pub async fn holiday_for_update(conn: &mut AsyncPgConnection, day: NaiveDate) -> QueryResult<Option<Holiday>> {
    holidays::table.find(day).select(Holiday::as_select()).for_update().first(conn).await.optional()
}

pub async fn upsert_holiday(
    conn: &mut AsyncPgConnection,
    day: NaiveDate,
    kind: DayKind,
    name: &str,
    schedule_year: i32,
) -> QueryResult<Holiday> {
    diesel::insert_into(holidays::table)
        .values((
            holidays::day.eq(day),
            holidays::kind.eq(kind),
            holidays::name.eq(name),
            holidays::schedule_year.eq(schedule_year),
        ))
        .on_conflict(holidays::day)
        .do_update()
        .set((
            holidays::kind.eq(kind),
            holidays::name.eq(name),
            holidays::schedule_year.eq(schedule_year),
            holidays::version.eq(holidays::version + 1),
            holidays::updated_at.eq(Utc::now()),
        ))
        .returning(Holiday::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_holiday(conn: &mut AsyncPgConnection, day: NaiveDate) -> QueryResult<usize> {
    diesel::delete(holidays::table.find(day)).execute(conn).await
}

pub async fn rules(conn: &mut AsyncPgConnection) -> QueryResult<Vec<DeadlineRule>> {
    deadline_rules::table
        .select(DeadlineRule::as_select())
        .order((deadline_rules::kind, deadline_rules::id))
        .load(conn)
        .await
}

pub async fn rule_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DeadlineRule>> {
    deadline_rules::table.find(id).select(DeadlineRule::as_select()).for_update().first(conn).await.optional()
}

/// Writes a rule (a new one, or new values for an existing one).
pub async fn save_rule(conn: &mut AsyncPgConnection, r: &DeadlineRule, new: bool) -> QueryResult<DeadlineRule> {
    let values = (
        deadline_rules::kind.eq(r.kind),
        deadline_rules::source.eq(r.source),
        deadline_rules::role.eq(r.role),
        deadline_rules::start_point.eq(r.start_point),
        deadline_rules::start_date.eq(r.start_date),
        deadline_rules::amount.eq(r.amount),
        deadline_rules::period.eq(r.period),
        deadline_rules::extension_cap.eq(r.extension_cap),
        deadline_rules::extension_cap_period.eq(r.extension_cap_period),
    );
    if new {
        diesel::insert_into(deadline_rules::table)
            .values((deadline_rules::id.eq(r.id), values))
            .returning(DeadlineRule::as_returning())
            .get_result(conn)
            .await
    } else {
        diesel::update(deadline_rules::table.find(r.id))
            .set((
                values,
                deadline_rules::version.eq(deadline_rules::version + 1),
                deadline_rules::updated_at.eq(Utc::now()),
            ))
            .returning(DeadlineRule::as_returning())
            .get_result(conn)
            .await
    }
}
