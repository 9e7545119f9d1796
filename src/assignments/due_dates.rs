//! An assignment's dates, computed in one place: its reply (or co-handling opinion) due
//! date with any extension and how far it may be extended, and its dispute window — from
//! the suggestion's facts, the assignment's source, role and round, the deadline rules and
//! the working-day calendar. Assigning, the task table, recomputing after a calendar or
//! rule change, the extension decision and `GET …/deadline` all call `dates`.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::calendar::Calendar;
use crate::calendar::rules::{DeadlineKind, DeadlineRule, Explanation, RuleError, Starts, due_date, select};
use crate::db::enums::{HandlingRole, Source};
use crate::error::AppError;

/// What an assignment's dates are computed from.
#[derive(Debug, Clone, Copy)]
pub struct DueFacts {
    /// The suggestion's source.
    pub source: Source,
    pub role: HandlingRole,
    pub round: i32,
    /// The suggestion's receipt.
    pub received_on: Option<NaiveDate>,
    pub assigned_on: NaiveDate,
    /// An approved extension.
    pub extended_to: Option<NaiveDate>,
    /// The rule the assignment was given when made; `None` for a new assignment (the rule
    /// that fits best is chosen).
    pub rule_id: Option<Uuid>,
}

/// An assignment's dates.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentDates {
    /// The due date, explained (its rule, `rule_due_on`, `due_on`, `extension_limit`).
    pub due: Explanation,
    /// The last day to dispute the assignment (none without a dispute rule).
    pub dispute_until: Option<NaiveDate>,
}

/// Why an assignment has no dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueDateError {
    /// No rule fits the assignment.
    NoRule(DeadlineKind),
    /// The rule the assignment was given no longer exists.
    RuleGone(Uuid),
    /// The rule cannot give a date for this assignment.
    Unusable(RuleError),
}

impl From<DueDateError> for AppError {
    fn from(e: DueDateError) -> Self {
        match e {
            DueDateError::NoRule(kind) => {
                AppError::unprocessable("no_deadline_rule", format!("no deadline rule for {}", kind.as_str()))
            }
            DueDateError::RuleGone(id) => AppError::internal(format!("deadline rule {id} of an assignment is gone")),
            DueDateError::Unusable(e) => AppError::unprocessable("deadline_rule_unusable", e.to_string()),
        }
    }
}

/// The deadline kind of an assignment: a reply (or a new round's reply), or an opinion.
pub fn deadline_kind(role: HandlingRole, round: i32) -> DeadlineKind {
    match (role, round) {
        (HandlingRole::Co, _) => DeadlineKind::CoOpinion,
        (_, 1) => DeadlineKind::Reply,
        _ => DeadlineKind::ReHandling,
    }
}

/// An assignment's dates. The due date comes from the assignment's own rule (or, for a new
/// one, the rule that fits its kind, source and role best); the dispute window from the
/// dispute rule that fits its source and role.
pub fn dates(rules: &[DeadlineRule], calendar: &Calendar, f: &DueFacts) -> Result<AssignmentDates, DueDateError> {
    let rule = match f.rule_id {
        Some(id) => rules.iter().find(|r| r.id == id).ok_or(DueDateError::RuleGone(id))?,
        None => {
            let kind = deadline_kind(f.role, f.round);
            select(rules, kind, f.source, f.role).ok_or(DueDateError::NoRule(kind))?
        }
    };
    let starts = Starts { received_on: f.received_on, assigned_on: Some(f.assigned_on), replied_on: None };
    let due = due_date(rule, starts, f.extended_to, calendar).map_err(DueDateError::Unusable)?;
    let dispute_until = select(rules, DeadlineKind::Dispute, f.source, f.role)
        .and_then(|r| due_date(r, starts, None, calendar).ok())
        .map(|e| e.due_on);
    Ok(AssignmentDates { due, dispute_until })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::rules::testing::{d, rule};
    use crate::calendar::{DayKind, SpecialDay};
    use crate::db::enums::Period;

    fn rules() -> Vec<DeadlineRule> {
        vec![
            rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths),
            rule(DeadlineKind::CoOpinion, None, None, 1, Period::CalendarMonths),
            rule(DeadlineKind::ReHandling, None, None, 2, Period::CalendarMonths),
            rule(DeadlineKind::Dispute, None, None, 5, Period::WorkingDays),
            rule(DeadlineKind::Dispute, Some(Source::Cppcc), None, 10, Period::WorkingDays),
            rule(DeadlineKind::Dispute, None, Some(HandlingRole::Co), 8, Period::WorkingDays),
        ]
    }

    /// National Day 2024: 1–7 October off, 29 September and 12 October worked.
    fn days_2024() -> Vec<(NaiveDate, SpecialDay)> {
        let day = |kind, name: &str| SpecialDay { kind, name: name.into() };
        let off = (1..=7).map(|n| (d(&format!("2024-10-{n:02}")), day(DayKind::Holiday, "国庆节")));
        let worked = ["2024-09-29", "2024-10-12"].map(|x| (d(x), day(DayKind::Workday, "国庆节调休上班")));
        off.chain(worked).collect()
    }

    fn calendar_2024() -> Calendar {
        Calendar::new(days_2024())
    }

    fn facts(source: Source, role: HandlingRole) -> DueFacts {
        DueFacts {
            source,
            role,
            round: 1,
            received_on: None,
            assigned_on: d("2024-09-02"),
            extended_to: None,
            rule_id: None,
        }
    }

    #[test]
    fn each_assignment_gets_the_rules_that_fit_its_source_and_role() {
        let (rules, c) = (rules(), Calendar::default());
        let at = |source, role| dates(&rules, &c, &facts(source, role)).unwrap();
        let npc_lead = at(Source::Npc, HandlingRole::Lead);
        assert_eq!((npc_lead.due.due_on, npc_lead.dispute_until), (d("2024-12-02"), Some(d("2024-09-09"))));
        assert_eq!(npc_lead.due.rule.kind, DeadlineKind::Reply);
        let npc_co = at(Source::Npc, HandlingRole::Co);
        assert_eq!((npc_co.due.due_on, npc_co.dispute_until), (d("2024-10-02"), Some(d("2024-09-12"))));
        assert_eq!(at(Source::Cppcc, HandlingRole::Lead).dispute_until, Some(d("2024-09-16")), "a source beats a role");
        assert_eq!(at(Source::Cppcc, HandlingRole::Co).dispute_until, Some(d("2024-09-16")));
        let second = DueFacts { round: 2, ..facts(Source::Npc, HandlingRole::Split) };
        assert_eq!(dates(&rules, &c, &second).unwrap().due.rule.kind, DeadlineKind::ReHandling);
    }

    #[test]
    fn a_recompute_keeps_the_assignments_rule_and_its_extension() {
        let (mut rules, c) = (rules(), calendar_2024());
        let first = dates(&rules, &c, &facts(Source::Cppcc, HandlingRole::Lead)).unwrap();
        // A CPPCC rule added later applies to new assignments only.
        rules.push(rule(DeadlineKind::Reply, Some(Source::Cppcc), None, 5, Period::CalendarMonths));
        let kept = DueFacts {
            rule_id: Some(first.due.rule.id),
            extended_to: Some(d("2025-01-15")),
            ..facts(Source::Cppcc, HandlingRole::Lead)
        };
        let again = dates(&rules, &c, &kept).unwrap();
        assert_eq!((again.due.rule_due_on, again.due.due_on), (d("2024-12-02"), d("2025-01-15")));
        assert_eq!(again.dispute_until, first.dispute_until);
        let gone = DueFacts { rule_id: Some(Uuid::now_v7()), ..kept };
        assert!(matches!(dates(&rules, &c, &gone), Err(DueDateError::RuleGone(_))));
    }

    #[test]
    fn the_extension_cap_counts_from_the_start_not_from_a_moved_due_date() {
        let (rules, c) = (rules(), calendar_2024());
        let f = DueFacts { assigned_on: d("2024-07-01"), ..facts(Source::Npc, HandlingRole::Lead) };
        let e = dates(&rules, &c, &f).unwrap().due;
        assert_eq!((e.counted_to, e.due_on), (d("2024-10-01"), d("2024-10-08")));
        // Six months from 1 July end on 1 January (a holiday here only when listed).
        assert_eq!(e.extension_limit, Some(d("2025-01-01")));
        let new_year = (d("2025-01-01"), SpecialDay { kind: DayKind::Holiday, name: "元旦".into() });
        let holidays = Calendar::new(days_2024().into_iter().chain([new_year]));
        assert_eq!(dates(&rules, &holidays, &f).unwrap().due.extension_limit, Some(d("2025-01-02")));
    }

    #[test]
    fn without_a_rule_there_is_no_date() {
        let c = Calendar::default();
        let only_reply = vec![rule(DeadlineKind::Reply, None, None, 3, Period::CalendarMonths)];
        assert_eq!(
            dates(&only_reply, &c, &facts(Source::Npc, HandlingRole::Co)),
            Err(DueDateError::NoRule(DeadlineKind::CoOpinion))
        );
        assert_eq!(dates(&only_reply, &c, &facts(Source::Npc, HandlingRole::Lead)).unwrap().dispute_until, None);
    }
}
