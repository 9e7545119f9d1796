//! The calendar's days and the deadline rules: rows, requests and answers.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::calendar::rules::DeadlineRule;
use crate::db::enums::{DayKind, DeadlineKind, HandlingRole, Period, Source, StartPoint};
use crate::db::schema::holidays;
use crate::http::dates::{Day, Year};

/// A listed date of the calendar.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = holidays)]
pub struct Holiday {
    #[schema(example = "2024-02-10")]
    pub day: NaiveDate,
    /// A day off, or a weekend day worked (调休上班).
    pub kind: DayKind,
    #[schema(example = "春节")]
    pub name: String,
    /// The year of the State Council notice the day belongs to.
    pub schedule_year: i32,
    pub version: i32,
    pub updated_at: chrono::DateTime<Utc>,
}

/// A day of the calendar to set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayChange {
    pub kind: DayKind,
    #[schema(example = "春节", min_length = 1, max_length = 50)]
    pub name: String,
    /// The notice year it belongs to (default: the day's year).
    pub schedule_year: Option<Year>,
}

/// A calendar change and its effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarChange {
    pub day: Option<Holiday>,
    /// Open assignments whose due dates moved.
    pub recomputed: usize,
}

/// The fields of a deadline rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFields {
    pub kind: DeadlineKind,
    /// Absent: either source.
    pub source: Option<Source>,
    /// Absent: any role.
    pub role: Option<HandlingRole>,
    pub start_point: StartPoint,
    /// The session's closing day (`session_closed`), or the batch deadline (`fixed`).
    pub start_date: Option<Day>,
    #[schema(example = 3, minimum = 0, maximum = 1000)]
    #[serde(deserialize_with = "crate::http::json::whole")]
    pub amount: i32,
    pub period: Period,
    #[schema(minimum = 0, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::http::json::optional_whole")]
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

/// A year of the calendar (or all years).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HolidayParams {
    pub year: Option<Year>,
}
