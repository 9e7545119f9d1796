//! Deadline rules as data — what a rule applies to, where it counts from, how long, and
//! how far it may be extended — and the pure computation of a due date that explains
//! itself.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::calendar::model::RuleFields;
use crate::calendar::{Calendar, NotedDay, add_months};
use crate::error::FieldError;
use crate::http::dates::Day;

pub use crate::db::enums::{DeadlineKind, Period, StartPoint};
use crate::db::enums::{HandlingRole, Source};

/// A deadline rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::deadline_rules)]
pub struct DeadlineRule {
    pub id: Uuid,
    pub kind: DeadlineKind,
    /// The suggestions' source it applies to; null: either.
    pub source: Option<Source>,
    /// The assignments' role it applies to; null: any.
    pub role: Option<HandlingRole>,
    pub start_point: StartPoint,
    /// The session's closing day (`session_closed`), or the batch deadline (`fixed`).
    pub start_date: Option<NaiveDate>,
    #[schema(example = 3)]
    pub amount: i32,
    pub period: Period,
    /// How far extensions may take the deadline past the rule's date; null: no extensions.
    pub extension_cap: Option<i32>,
    pub extension_cap_period: Option<Period>,
    pub version: i32,
}

/// The rule for `kind` that fits a suggestion's source and an assignment's role best: an
/// exact source and role before a rule for any.
pub fn select(rules: &[DeadlineRule], kind: DeadlineKind, source: Source, role: HandlingRole) -> Option<&DeadlineRule> {
    rules
        .iter()
        .filter(|r| r.kind == kind)
        .filter(|r| r.source.is_none_or(|s| s == source))
        .filter(|r| r.role.is_none_or(|x| x == role))
        .max_by_key(|r| (r.source.is_some() as u8) * 2 + r.role.is_some() as u8)
}

/// The dates a deadline may count from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Starts {
    pub received_on: Option<NaiveDate>,
    pub assigned_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
}

/// A rule from its fields, checked: amounts within bounds, a date where the start point
/// needs one.
pub fn rule_from(id: Uuid, version: i32, f: &RuleFields) -> Result<DeadlineRule, Vec<FieldError>> {
    let mut errors = Vec::new();
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
        return Err(errors);
    }
    Ok(DeadlineRule {
        id,
        kind: f.kind,
        source: f.source,
        role: f.role,
        start_point: f.start_point,
        start_date: f.start_date.map(Day::get),
        amount: f.amount,
        period: f.period,
        extension_cap: f.extension_cap,
        extension_cap_period: f.extension_cap_period,
        version,
    })
}

/// How a due date came about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Explanation {
    pub rule: DeadlineRule,
    /// The day counting starts from, per the rule's start point.
    pub start_date: NaiveDate,
    /// The date the amount lands on, before moving off a non-working day.
    pub counted_to: NaiveDate,
    /// Set when `counted_to` was not a working day and the deadline moved to the next one.
    pub moved_to_working_day: Option<NaiveDate>,
    /// Holidays, 调休 working weekends and weekends between the start and the due date.
    pub noted_days: Vec<NotedDay>,
    /// The due date by the rule alone.
    pub rule_due_on: NaiveDate,
    /// An approved extension's new date, when there is one.
    pub extended_to: Option<NaiveDate>,
    /// The due date.
    pub due_on: NaiveDate,
    /// The latest date an extension may reach (the rule's cap counted from the rule's
    /// start, then moved to a working day); null when the rule allows none.
    pub extension_limit: Option<NaiveDate>,
}

/// Why a rule could not give a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// The rule counts from a date the item does not have yet.
    MissingStart(StartPoint),
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleError::MissingStart(p) => {
                write!(f, "the deadline rule counts from `{}`, which is not known", p.as_str())
            }
        }
    }
}

fn count(calendar: &Calendar, start: NaiveDate, amount: i32, period: Period) -> NaiveDate {
    let amount = amount.max(0) as u32;
    match period {
        Period::CalendarMonths => add_months(start, amount),
        Period::CalendarDays => start + Duration::days(amount as i64),
        Period::WorkingDays => calendar.add_working_days(start, amount),
    }
}

/// The due date a rule gives, explained. A calendar deadline that falls on a day off
/// moves to the next working day; an approved extension replaces the rule's date.
pub fn due_date(
    rule: &DeadlineRule,
    starts: Starts,
    extended_to: Option<NaiveDate>,
    calendar: &Calendar,
) -> Result<Explanation, RuleError> {
    let missing = || RuleError::MissingStart(rule.start_point);
    let start = match rule.start_point {
        StartPoint::Received => starts.received_on.ok_or_else(missing)?,
        StartPoint::Assigned => starts.assigned_on.ok_or_else(missing)?,
        StartPoint::Replied => starts.replied_on.ok_or_else(missing)?,
        StartPoint::SessionClosed | StartPoint::Fixed => rule.start_date.ok_or_else(missing)?,
    };
    let counted_to = match rule.start_point {
        StartPoint::Fixed => start,
        _ => count(calendar, start, rule.amount, rule.period),
    };
    let rule_due_on = calendar.next_working_day(counted_to);
    let due_on = extended_to.map_or(rule_due_on, |e| e.max(rule_due_on));
    let extension_limit = extension_limit(rule, start, counted_to, calendar);
    Ok(Explanation {
        rule: rule.clone(),
        start_date: start,
        counted_to,
        moved_to_working_day: (rule_due_on != counted_to).then_some(rule_due_on),
        noted_days: calendar.days_noted(start, due_on),
        rule_due_on,
        extended_to,
        due_on,
        extension_limit,
    })
}

/// The latest date an extension may reach (none: no extension is allowed). The cap counts
/// from the rule's start — 3 months plus 3 is 6 months from the assignment — and only then
/// moves to a working day, so that a holiday at the rule's own date does not stretch it. A
/// cap in another unit than the rule's counts on from the rule's date before it moved.
fn extension_limit(
    rule: &DeadlineRule,
    start: NaiveDate,
    counted_to: NaiveDate,
    calendar: &Calendar,
) -> Option<NaiveDate> {
    let cap = rule.extension_cap.filter(|c| *c > 0)?;
    let period = rule.extension_cap_period.unwrap_or(rule.period);
    let limit = if period == rule.period && rule.start_point != StartPoint::Fixed {
        count(calendar, start, rule.amount.max(0) + cap, period)
    } else {
        count(calendar, counted_to, cap, period)
    };
    Some(calendar.next_working_day(limit))
}

/// What tests of due dates build on: a date from text, and a rule counted from the
/// assignment (a three-month cap on replies).
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub fn rule(
        kind: DeadlineKind,
        source: Option<Source>,
        role: Option<HandlingRole>,
        amount: i32,
        period: Period,
    ) -> DeadlineRule {
        DeadlineRule {
            id: Uuid::now_v7(),
            kind,
            source,
            role,
            start_point: StartPoint::Assigned,
            start_date: None,
            amount,
            period,
            extension_cap: (kind == DeadlineKind::Reply).then_some(3),
            extension_cap_period: Some(Period::CalendarMonths),
            version: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{d, rule};
    use super::*;
    use crate::calendar::{DayKind, SpecialDay};

    fn may_day_2023() -> Calendar {
        let mut days: Vec<(NaiveDate, SpecialDay)> =
            ["2023-04-29", "2023-04-30", "2023-05-01", "2023-05-02", "2023-05-03"]
                .into_iter()
                .map(|x| (d(x), SpecialDay { kind: DayKind::Holiday, name: "劳动节".into() }))
                .collect();
        for x in ["2023-04-23", "2023-05-06"] {
            days.push((d(x), SpecialDay { kind: DayKind::Workday, name: "劳动节调休上班".into() }));
        }
        Calendar::new(days)
    }

    #[test]
    fn rule_fields_are_checked() {
        let fields = RuleFields {
            kind: DeadlineKind::Reply,
            source: None,
            role: None,
            start_point: StartPoint::Fixed,
            start_date: None,
            amount: 1001,
            period: Period::CalendarMonths,
            extension_cap: Some(-1),
            extension_cap_period: None,
        };
        let codes: Vec<String> = rule_from(Uuid::nil(), 1, &fields).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(codes, ["amount", "extension_cap", "start_date"]);
        let fine = RuleFields { start_point: StartPoint::Assigned, amount: 3, extension_cap: Some(3), ..fields };
        assert_eq!(rule_from(Uuid::nil(), 2, &fine).unwrap().version, 2);
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = vec![
            rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths),
            rule(DeadlineKind::Reply, Some(Source::Cppcc), None, 5, Period::CalendarMonths),
            rule(DeadlineKind::Reply, Some(Source::Cppcc), Some(HandlingRole::Split), 4, Period::CalendarMonths),
            rule(DeadlineKind::CoOpinion, None, Some(HandlingRole::Co), 1, Period::CalendarMonths),
        ];
        let pick = |kind, source, role| select(&rules, kind, source, role).map(|r| r.amount);
        assert_eq!(pick(DeadlineKind::Reply, Source::Npc, HandlingRole::Lead), Some(3));
        assert_eq!(pick(DeadlineKind::Reply, Source::Cppcc, HandlingRole::Lead), Some(5));
        assert_eq!(pick(DeadlineKind::Reply, Source::Cppcc, HandlingRole::Split), Some(4));
        assert_eq!(pick(DeadlineKind::CoOpinion, Source::Npc, HandlingRole::Co), Some(1));
        assert_eq!(pick(DeadlineKind::Dispute, Source::Npc, HandlingRole::Lead), None);
    }

    #[test]
    fn three_months_from_the_assignment() {
        let r = rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths);
        let starts = Starts { assigned_on: Some(d("2023-02-22")), ..Default::default() };
        let e = due_date(&r, starts, None, &Calendar::default()).unwrap();
        assert_eq!((e.start_date, e.due_on), (d("2023-02-22"), d("2023-05-22")));
        assert!(e.moved_to_working_day.is_none());
    }

    #[test]
    fn a_deadline_on_a_holiday_moves_to_the_next_working_day() {
        let r = rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths);
        let starts = Starts { assigned_on: Some(d("2023-02-01")), ..Default::default() };
        let e = due_date(&r, starts, None, &may_day_2023()).unwrap();
        assert_eq!(e.counted_to, d("2023-05-01"));
        assert_eq!(e.due_on, d("2023-05-04"));
        assert_eq!(e.moved_to_working_day, Some(d("2023-05-04")));
        assert!(e.noted_days.iter().any(|n| n.date == d("2023-04-23") && n.name.as_deref() == Some("劳动节调休上班")));
    }

    #[test]
    fn working_days_skip_the_holiday_and_count_the_worked_weekend() {
        let mut r = rule(DeadlineKind::Dispute, None, None, 5, Period::WorkingDays);
        r.extension_cap = None;
        let starts = Starts { assigned_on: Some(d("2023-04-27")), ..Default::default() };
        // Fri 28 Apr, (29 Apr–3 May off), Thu 4, Fri 5, Sat 6 (worked), Mon 8.
        let e = due_date(&r, starts, None, &may_day_2023()).unwrap();
        assert_eq!(e.due_on, d("2023-05-08"));
        assert_eq!(e.extension_limit, None);
    }

    #[test]
    fn fixed_and_session_dates_come_from_the_rule() {
        let mut r = rule(DeadlineKind::Reply, Some(Source::Npc), None, 3, Period::CalendarMonths);
        r.start_point = StartPoint::Fixed;
        r.start_date = Some(d("2023-04-16"));
        assert_eq!(
            due_date(&r, Starts::default(), None, &Calendar::default()).unwrap().due_on,
            d("2023-04-17"),
            "a Sunday moves"
        );
        r.start_point = StartPoint::SessionClosed;
        r.start_date = Some(d("2023-01-10"));
        assert_eq!(due_date(&r, Starts::default(), None, &Calendar::default()).unwrap().due_on, d("2023-04-10"));
        r.start_point = StartPoint::Received;
        assert_eq!(
            due_date(&r, Starts::default(), None, &Calendar::default()),
            Err(RuleError::MissingStart(StartPoint::Received))
        );
    }

    #[test]
    fn extensions_are_capped_and_never_shorten() {
        let r = rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths);
        let starts = Starts { assigned_on: Some(d("2023-02-22")), ..Default::default() };
        let c = Calendar::default();
        let e = due_date(&r, starts, Some(d("2023-07-31")), &c).unwrap();
        assert_eq!((e.rule_due_on, e.due_on), (d("2023-05-22"), d("2023-07-31")));
        assert_eq!(e.extension_limit, Some(d("2023-08-22")), "six months in all");
        let e = due_date(&r, starts, Some(d("2023-03-01")), &c).unwrap();
        assert_eq!(e.due_on, d("2023-05-22"));
    }
}
