//! Administering what due dates are computed from — the calendar's days and the deadline
//! rules — each change recomputing the due dates of the open assignments it affects.

use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assignments::service::recompute_due_dates;
use crate::audit::{self, Actor};
use crate::calendar::DayKind;
use crate::calendar::queries::{self as cal, Holiday};
use crate::calendar::rules::{DeadlineKind, DeadlineRule, Period, StartPoint};
use crate::db;
use crate::directory::rules::name;
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;

/// A day of the calendar to set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayChange {
    pub kind: DayKind,
    #[schema(example = "春节")]
    pub name: String,
    /// The notice year it belongs to (default: the day's year).
    pub schedule_year: Option<i32>,
}

/// A calendar change and its effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarChange {
    pub day: Option<Holiday>,
    /// Open assignments whose due dates moved.
    pub recomputed: usize,
}

pub async fn set_day(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    day: NaiveDate,
    if_match: &IfMatch,
    change: &DayChange,
) -> Result<CalendarChange, AppError> {
    let label = name("name", &change.name, 50).map_err(|e| AppError::validation(vec![e]))?;
    db::transaction(conn, async |conn| {
        let before = cal::holiday_for_update(conn, day).await?;
        if let Some(b) = &before {
            if_match.check(b.version)?;
        }
        let saved =
            cal::upsert_holiday(conn, day, change.kind, &label, change.schedule_year.unwrap_or(day.year())).await?;
        let (b, a) = (before.as_ref().and_then(|h| serde_json::to_value(h).ok()), serde_json::to_value(&saved).ok());
        audit::record(conn, actor, "calendar.set", "holiday", &day.to_string(), b, a).await?;
        let recomputed = recompute_due_dates(conn, None).await?;
        Ok(CalendarChange { day: Some(saved), recomputed })
    })
    .await
}

pub async fn remove_day(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    day: NaiveDate,
    if_match: &IfMatch,
) -> Result<CalendarChange, AppError> {
    db::transaction(conn, async |conn| {
        let before = cal::holiday_for_update(conn, day).await?.ok_or_else(|| AppError::not_found("calendar day"))?;
        if_match.check(before.version)?;
        cal::delete_holiday(conn, day).await?;
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
        let recomputed = recompute_due_dates(conn, None).await?;
        Ok(CalendarChange { day: None, recomputed })
    })
    .await
}

/// The fields of a deadline rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFields {
    pub kind: DeadlineKind,
    /// `npc` or `cppcc`; absent: either.
    pub source: Option<String>,
    /// `lead`, `split` or `co`; absent: any.
    pub role: Option<String>,
    pub start_point: StartPoint,
    pub start_date: Option<NaiveDate>,
    #[schema(example = 3)]
    pub amount: i32,
    pub period: Period,
    pub extension_cap: Option<i32>,
    pub extension_cap_period: Option<Period>,
}

/// A rule change and its effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleChange {
    pub rule: DeadlineRule,
    /// Open assignments whose due dates moved.
    pub recomputed: usize,
}

fn check_rule(id: Uuid, version: i32, f: &RuleFields) -> Result<DeadlineRule, AppError> {
    let mut errors = Vec::new();
    if f.source.as_deref().is_some_and(|s| !matches!(s, "npc" | "cppcc")) {
        errors.push(FieldError::new("source", "invalid", "npc or cppcc"));
    }
    if f.role.as_deref().is_some_and(|r| !matches!(r, "lead" | "split" | "co")) {
        errors.push(FieldError::new("role", "invalid", "lead, split or co"));
    }
    if !(0..=1000).contains(&f.amount) {
        errors.push(FieldError::new("amount", "out_of_range", "0 to 1000"));
    }
    if f.extension_cap.is_some_and(|c| !(0..=1000).contains(&c)) {
        errors.push(FieldError::new("extension_cap", "out_of_range", "0 to 1000"));
    }
    if matches!(f.start_point, StartPoint::SessionClosed | StartPoint::Fixed) && f.start_date.is_none() {
        errors.push(FieldError::new("start_date", "required", "the session's closing day, or the fixed deadline"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(DeadlineRule {
        id,
        kind: f.kind,
        source: f.source.clone(),
        role: f.role.clone(),
        start_point: f.start_point,
        start_date: f.start_date,
        amount: f.amount,
        period: f.period,
        extension_cap: f.extension_cap,
        extension_cap_period: f.extension_cap_period,
        version,
    })
}

pub async fn create_rule(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    f: &RuleFields,
) -> Result<DeadlineRule, AppError> {
    let rule = check_rule(Uuid::now_v7(), 1, f)?;
    db::transaction(conn, async |conn| {
        let saved = cal::save_rule(conn, &rule, true).await?;
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
) -> Result<RuleChange, AppError> {
    db::transaction(conn, async |conn| {
        let before = cal::rule_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("deadline rule"))?;
        if_match.check(before.version)?;
        let rule = check_rule(id, before.version, f)?;
        let saved = cal::save_rule(conn, &rule, false).await?;
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
        let recomputed = recompute_due_dates(conn, Some(id)).await?;
        Ok(RuleChange { rule: saved, recomputed })
    })
    .await
}
