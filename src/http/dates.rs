//! Dates and years in requests, one rule everywhere: from 1949 to 2200. A value outside
//! is refused where it is read (400 in a path or query, 422 in a body) and never reaches
//! PostgreSQL; the spec states the bounds (a pattern for dates, minimum and maximum for
//! years), so that generated clients and fuzzers stay inside them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

pub const FIRST_YEAR: i32 = 1949;
pub const LAST_YEAR: i32 = 2200;

/// Dates from 1949-01-01 to 2200-12-31 (the day itself is checked too).
pub const DATE_PATTERN: &str = r"^(19(49|[5-9][0-9])|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// The year part of a date-time from 1949 to 2200.
pub const DATE_TIME_PATTERN: &str = r"^(19(49|[5-9][0-9])|2[01][0-9]{2}|2200)-";

fn year_in_range(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

/// A calendar day from 1949 to 2200, as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Day(pub NaiveDate);

impl Day {
    pub fn get(self) -> NaiveDate {
        self.0
    }

    /// The day, when it is within the years the service works with.
    pub fn new(day: NaiveDate) -> Option<Day> {
        year_in_range(day.year()).then_some(Day(day))
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> NaiveDate {
        d.0
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        let day = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date YYYY-MM-DD")))?;
        Day::new(day).ok_or_else(|| {
            serde::de::Error::custom(format!("{text} is outside {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"))
        })
    }
}

impl PartialSchema for Day {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(DATE_PATTERN))
            .description(Some(format!("A date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")))
            .examples([serde_json::json!("2023-03-06")])
            .into()
    }
}

impl ToSchema for Day {}

/// A year from 1949 to 2200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Year(pub i32);

impl Year {
    pub fn get(self) -> i32 {
        self.0
    }
}

impl std::fmt::Display for Year {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let year = i32::deserialize(de)?;
        if year_in_range(year) {
            Ok(Year(year))
        } else {
            Err(serde::de::Error::custom(format!("{year} is outside {FIRST_YEAR} to {LAST_YEAR}")))
        }
    }
}

impl PartialSchema for Year {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(FIRST_YEAR))
            .maximum(Some(LAST_YEAR))
            .examples([serde_json::json!(2023)])
            .into()
    }
}

impl ToSchema for Year {}

/// A moment from 1949 to 2200 (RFC 3339).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Moment(pub DateTime<Utc>);

impl Moment {
    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let at = DateTime::<Utc>::deserialize(de)?;
        if year_in_range(at.year()) {
            Ok(Moment(at))
        } else {
            Err(serde::de::Error::custom(format!("{at} is outside the years {FIRST_YEAR} to {LAST_YEAR}")))
        }
    }
}

impl PartialSchema for Moment {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .pattern(Some(DATE_TIME_PATTERN))
            .description(Some(format!("A moment (RFC 3339) in the years {FIRST_YEAR} to {LAST_YEAR}")))
            .into()
    }
}

impl ToSchema for Moment {}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(json: &str) -> Result<Day, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn days_from_1949_to_2200() {
        assert_eq!(day("\"2023-03-06\"").unwrap().to_string(), "2023-03-06");
        assert!(day("\"1949-01-01\"").is_ok() && day("\"2200-12-31\"").is_ok());
        for bad in
            ["\"1948-12-31\"", "\"2201-01-01\"", "\"-5000-01-01\"", "\"0000-01-01\"", "\"2023-02-30\"", "\"2023-3-6\""]
        {
            assert!(day(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Year>("1949").is_ok());
        assert!(serde_json::from_str::<Year>("-10736").is_err());
        assert!(serde_json::from_str::<Year>("200000").is_err());
        assert!(serde_json::from_str::<Moment>("\"2023-03-06T08:00:00Z\"").is_ok());
        assert!(serde_json::from_str::<Moment>("\"+10000-01-01T00:00:00Z\"").is_err());
    }
}
