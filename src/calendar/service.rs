//! Administering what due dates are computed from — the calendar's days and the deadline
//! rules. Each change recomputes, in its own transaction, the due dates that depend on it
//! through the hook a later step registers (`Recompute`): the calendar sits below the
//! assignments and never calls them by name.

use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::calendar::model::{CalendarChange, DayChange, RuleChange, RuleFields};
use crate::calendar::queries;
use crate::calendar::rules::{self, DeadlineRule};
use crate::db;
use crate::error::AppError;
use crate::http::dates::Year;
use crate::http::etag::IfMatch;
use crate::http::text::name;

/// Recomputes the due dates that depend on the calendar and the rules, inside the changing
/// transaction, after `rule` changed (`None`: a day of the calendar); returns how many
/// moved.
pub type Recompute =
    for<'c> fn(&'c mut AsyncPgConnection, Option<&'c DeadlineRule>) -> LocalBoxFuture<'c, Result<usize, AppError>>;

pub async fn set_day(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    day: NaiveDate,
    if_match: &IfMatch,
    change: &DayChange,
    recompute: Recompute,
) -> Result<CalendarChange, AppError> {
    let label = name("name", &change.name, 50).map_err(|e| AppError::validation(vec![e]))?;
    db::transaction(conn, async |conn| {
        let before = queries::holiday_for_update(conn, day).await?;
        if let Some(b) = &before {
            if_match.check(b.version)?;
        }
        let saved =
            queries::upsert_holiday(conn, day, change.kind, &label, change.schedule_year.map_or(day.year(), Year::get))
                .await?;
        let (b, a) = (before.as_ref().and_then(|h| serde_json::to_value(h).ok()), serde_json::to_value(&saved).ok());
        audit::record(conn, actor, "calendar.set", "holiday", &day.to_string(), b, a).await?;
        let recomputed = recompute(conn, None).await?;
        Ok(CalendarChange { day: Some(saved), recomputed })
    })
    .await
}

pub async fn remove_day(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    day: NaiveDate,
    if_match: &IfMatch,
    recompute: Recompute,
) -> Result<CalendarChange, AppError> {
    db::transaction(conn, async |conn| {
        let before =
            queries::holiday_for_update(conn, day).await?.ok_or_else(|| AppError::not_found("calendar day"))?;
        if_match.check(before.version)?;
        queries::delete_holiday(conn, day).await?;
        audit::record(
            conn,
            actor,
            "calendar.remove",
            "holiday",
            &day.to_string(),
            serde_json::to_value(&before).ok(),
            None,
        )
        .await?;
        let recomputed = recompute(conn, None).await?;
        Ok(CalendarChange { day: None, recomputed })
    })
    .await
}

pub async fn create_rule(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    f: &RuleFields,
) -> Result<DeadlineRule, AppError> {
    let rule = rules::rule_from(Uuid::now_v7(), 1, f).map_err(AppError::validation)?;
    db::transaction(conn, async |conn| {
        let saved = queries::save_rule(conn, &rule, true).await?;
        audit::record(
            conn,
            actor,
            "deadline_rule.create",
            "deadline_rule",
            &saved.id.to_string(),
            None,
            serde_json::to_value(&saved).ok(),
        )
        .await?;
        Ok(saved)
    })
    .await
}

pub async fn update_rule(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    f: &RuleFields,
    recompute: Recompute,
) -> Result<RuleChange, AppError> {
    db::transaction(conn, async |conn| {
        let before = queries::rule_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("deadline rule"))?;
        if_match.check(before.version)?;
        let rule = rules::rule_from(id, before.version, f).map_err(AppError::validation)?;
        let saved = queries::save_rule(conn, &rule, false).await?;
        audit::record(
            conn,
            actor,
            "deadline_rule.update",
            "deadline_rule",
            &id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&saved).ok(),
        )
        .await?;
        let recomputed = recompute(conn, Some(&saved)).await?;
        Ok(RuleChange { rule: saved, recomputed })
    })
    .await
}
