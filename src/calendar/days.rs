//! Working days as pure functions: public holidays and 调休 working weekends, calendar
//! months that end at month ends, working days that skip holiday weeks, due states, and
//! the clock they are judged by.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::db::enums::{DayKind, DueState};

/// A listed date and its name (春节, 劳动节调休上班).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub kind: DayKind,
    pub name: String,
}

/// The calendar: weekdays work, weekends rest, except the listed days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, SpecialDay>,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, SpecialDay)>) -> Self {
        Calendar { days: days.into_iter().collect() }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.days.get(&day).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The first working day on or after `day`.
    pub fn next_working_day(&self, mut day: NaiveDate) -> NaiveDate {
        while !self.is_working_day(day) {
            day += Duration::days(1);
        }
        day
    }

    /// The `n`th working day after `start` (the start day itself does not count).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not later).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The listed days, and the weekends, from `from` (exclusive) to `to` (inclusive): what a
    /// deadline's explanation shows.
    pub fn days_noted(&self, from: NaiveDate, to: NaiveDate) -> Vec<NotedDay> {
        let mut out = Vec::new();
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            match self.days.get(&day) {
                Some(s) => out.push(NotedDay { date: day, kind: NotedKind::from(s.kind), name: Some(s.name.clone()) }),
                None if weekend => out.push(NotedDay { date: day, kind: NotedKind::Weekend, name: None }),
                None => {}
            }
        }
        out
    }
}

/// A day a deadline's count treated specially.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotedDay {
    pub date: NaiveDate,
    pub kind: NotedKind,
    /// The holiday's name (春节, 国庆节调休上班).
    pub name: Option<String>,
}

/// Why a day was noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotedKind {
    /// A public holiday: not counted.
    Holiday,
    /// A weekend day worked instead (调休): counted.
    Workday,
    /// An ordinary weekend day: not counted.
    Weekend,
}

impl From<DayKind> for NotedKind {
    fn from(k: DayKind) -> Self {
        match k {
            DayKind::Holiday => NotedKind::Holiday,
            DayKind::Workday => NotedKind::Workday,
        }
    }
}

/// `day` plus `months` calendar months; a day the target month lacks becomes its last day
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    let total = day.year() * 12 + day.month0() as i32 + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let last = last_day_of_month(year, month0 + 1);
    NaiveDate::from_ymd_opt(year, month0 + 1, day.day().min(last)).unwrap_or(day)
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1).map_or(28, |d| d.pred_opt().map_or(28, |p| p.day()))
}

/// Where today's date comes from: the system clock in Asia/Shanghai (UTC+8 all year:
/// deadlines are dates there), or a fixed day (tests; a demonstration of a past year).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Today {
    #[default]
    Shanghai,
    Fixed(NaiveDate),
}

/// The date in Asia/Shanghai of an instant (a decision's day, say).
pub fn local_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

impl Today {
    pub fn date(self) -> NaiveDate {
        match self {
            Today::Shanghai => local_date(chrono::Utc::now()),
            Today::Fixed(day) => day,
        }
    }
}

/// How due states are judged: the calendar, today, and the warning span.
#[derive(Debug, Clone)]
pub struct Clock {
    pub calendar: Arc<Calendar>,
    pub today: NaiveDate,
    /// Working days before the due date from which an item is due soon.
    pub warn_days: u32,
}

impl Clock {
    pub fn new(calendar: Arc<Calendar>, today: NaiveDate, warn_days: u32) -> Self {
        Clock { calendar, today, warn_days }
    }

    /// The last due date that is due soon today: later ones are on track, earlier ones
    /// (from today) due soon too, before today overdue — what filters in SQL compare with.
    pub fn soon_until(&self) -> NaiveDate {
        self.calendar.add_working_days(self.today, self.warn_days)
    }

    /// The due state today of something due on `due_on`: overdue after the due day, due
    /// soon when at most `warn_days` working days remain.
    pub fn due_state(&self, due_on: NaiveDate) -> DueState {
        if self.today > due_on {
            DueState::Overdue
        } else if due_on <= self.soon_until() {
            DueState::DueSoon
        } else {
            DueState::OnTrack
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_instant_has_its_date_in_shanghai() {
        let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(local_date(at("2026-12-02T15:59:59Z")).to_string(), "2026-12-02");
        assert_eq!(local_date(at("2026-12-02T16:00:00Z")).to_string(), "2026-12-03");
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2023 National Day and Mid-Autumn holiday: 29 Sep to 6 Oct off, 7 and 8 Oct worked.
    fn calendar_2023() -> Calendar {
        let mut days = Vec::new();
        for day in [
            "2023-09-29",
            "2023-09-30",
            "2023-10-01",
            "2023-10-02",
            "2023-10-03",
            "2023-10-04",
            "2023-10-05",
            "2023-10-06",
        ] {
            days.push((d(day), SpecialDay { kind: DayKind::Holiday, name: "中秋节、国庆节".into() }));
        }
        for day in ["2023-10-07", "2023-10-08"] {
            days.push((d(day), SpecialDay { kind: DayKind::Workday, name: "国庆节调休上班".into() }));
        }
        Calendar::new(days)
    }

    #[test]
    fn months_end_at_month_ends() {
        assert_eq!(add_months(d("2023-01-31"), 1), d("2023-02-28"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"), "leap year");
        assert_eq!(add_months(d("2023-11-30"), 3), d("2024-02-29"));
        assert_eq!(add_months(d("2023-02-20"), 3), d("2023-05-20"));
        assert_eq!(add_months(d("2023-12-15"), 1), d("2024-01-15"), "over the year end");
        assert_eq!(add_months(d("2023-08-31"), 6), d("2024-02-29"));
        assert_eq!(add_months(d("2023-03-31"), 0), d("2023-03-31"));
    }

    #[test]
    fn weekends_rest_and_weekdays_work() {
        let c = Calendar::default();
        assert!(c.is_working_day(d("2023-02-20")), "Monday");
        assert!(!c.is_working_day(d("2023-02-25")), "Saturday");
        assert_eq!(c.add_working_days(d("2023-02-24"), 1), d("2023-02-27"), "Friday + 1 = Monday");
        assert_eq!(c.add_working_days(d("2023-02-20"), 5), d("2023-02-27"));
    }

    #[test]
    fn a_holiday_week_is_skipped_and_tiaoxiu_weekends_count() {
        let c = calendar_2023();
        assert!(!c.is_working_day(d("2023-10-02")), "a Monday off");
        assert!(c.is_working_day(d("2023-10-07")), "a Saturday worked");
        // Thursday 28 Sep + 5 working days: 7 Oct (Sat, worked), 8 Oct (Sun, worked), 9, 10, 11 Oct.
        assert_eq!(c.add_working_days(d("2023-09-28"), 5), d("2023-10-11"));
        assert_eq!(c.add_working_days(d("2023-09-28"), 1), d("2023-10-07"));
        assert_eq!(c.working_days_between(d("2023-09-28"), d("2023-10-11")), 5);
        let noted = c.days_noted(d("2023-09-28"), d("2023-10-11"));
        assert_eq!(noted.iter().filter(|n| n.kind == NotedKind::Holiday).count(), 8);
        assert_eq!(noted.iter().filter(|n| n.kind == NotedKind::Workday).count(), 2);
        assert!(noted.iter().all(|n| n.kind != NotedKind::Weekend), "both weekends were holidays or worked");
    }

    #[test]
    fn a_start_on_a_holiday_counts_from_the_next_working_day() {
        let c = calendar_2023();
        assert_eq!(c.add_working_days(d("2023-10-01"), 1), d("2023-10-07"));
        assert_eq!(c.next_working_day(d("2023-10-01")), d("2023-10-07"));
        assert_eq!(c.next_working_day(d("2023-10-09")), d("2023-10-09"));
    }

    #[test]
    fn due_states_warn_by_working_days() {
        let clock = |today: &str, warn| Clock::new(Arc::new(calendar_2023()), d(today), warn);
        // Due 11 Oct: on 28 Sep five working days remain.
        assert_eq!(clock("2023-09-28", 5).due_state(d("2023-10-11")), DueState::DueSoon);
        assert_eq!(clock("2023-09-28", 4).due_state(d("2023-10-11")), DueState::OnTrack);
        assert_eq!(clock("2023-10-11", 10).due_state(d("2023-10-11")), DueState::DueSoon, "due today");
        assert_eq!(clock("2023-10-12", 10).due_state(d("2023-10-11")), DueState::Overdue);
        assert_eq!(clock("2023-09-28", 5).soon_until(), d("2023-10-11"));
        assert_eq!(DueState::parse("due_soon"), Some(DueState::DueSoon));
    }

    /// On every day of a year, for items due from a month before to two months after, the
    /// due state agrees with the working days left and with the bounds the SQL filters use.
    #[test]
    fn due_states_hold_on_every_day_of_a_year() {
        let calendar = Arc::new(calendar_2023());
        let mut today = d("2023-01-01");
        while today < d("2024-01-01") {
            for warn in [0, 5, 10] {
                let clock = Clock::new(calendar.clone(), today, warn);
                let until = clock.soon_until();
                assert!(until >= today && (warn == 0 || calendar.is_working_day(until)), "{today} +{warn} = {until}");
                let mut due = today - Duration::days(31);
                while due < today + Duration::days(62) {
                    let state = clock.due_state(due);
                    let by_sql = if due < today {
                        DueState::Overdue
                    } else if due <= until {
                        DueState::DueSoon
                    } else {
                        DueState::OnTrack
                    };
                    assert_eq!(state, by_sql, "today {today}, due {due}, warn {warn}");
                    // Due dates fall on working days (a rule's date moves to one).
                    if due >= today && calendar.is_working_day(due) {
                        let left = calendar.working_days_between(today, due);
                        assert_eq!(state == DueState::DueSoon, left <= i64::from(warn), "{today} → {due}: {left} left");
                    }
                    due += Duration::days(1);
                }
            }
            today += Duration::days(1);
        }
    }

    #[test]
    fn working_day_arithmetic_agrees_with_itself_every_day_of_a_year() {
        let c = calendar_2023();
        let mut day = d("2023-01-01");
        while day < d("2024-01-01") {
            for n in [1, 5, 20] {
                let due = c.add_working_days(day, n);
                assert!(c.is_working_day(due), "{day} + {n} = {due}, a day off");
                assert_eq!(c.working_days_between(day, due), i64::from(n), "{day} + {n} = {due}");
                assert!(due > day);
            }
            let next = c.next_working_day(day);
            assert!(c.is_working_day(next) && next >= day);
            assert!(day.iter_days().take_while(|x| *x < next).all(|x| !c.is_working_day(x)), "{day} → {next}");
            day = day.succ_opt().unwrap();
        }
    }
}
