//! Who may do what, and on which objects: one table, as data (DESIGN.md, Roles).

pub use crate::db::enums::Role;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read users, units, deadline rules and the calendar.
    DirectoryRead,
    /// Create, change and delete users, units, rules and the calendar.
    DirectoryWrite,
    /// Read deputies and members (their contact details only for the office, admins and
    /// the deputy).
    DeputyRead,
    /// Register and change deputies and members.
    DeputyWrite,
    /// Register or change a suggestion.
    SuggestionWrite,
    /// Upsert a suggestion by its external number (the municipal system).
    SuggestionUpsert,
    SuggestionRead,
    /// Assign, reassign, decide disputes and extensions.
    Assign,
    /// Read assignments: units, roles, due dates, states (a deputy: of their own
    /// suggestions).
    AssignmentRead,
    /// Read the bureau's handling of assignments: deadlines explained, disputes,
    /// extensions, reminders, the task table, due counts (never a deputy's).
    HandlingRead,
    /// Sign in an assignment, dispute it, ask for an extension.
    AssignmentRespond,
    Remind,
    ContactWrite,
    ContactRead,
    /// Give a co-handling opinion or sign off a draft.
    OpinionWrite,
    OpinionRead,
    /// Upload documents for a suggestion; delete an unattached one of the unit's.
    DocumentWrite,
    /// Read documents and download their content.
    DocumentRead,
    ReplyDraft,
    /// Read replies: the drafting unit every state, reviewers once submitted, a deputy
    /// the signed replies to their own suggestions.
    ReplyRead,
    /// Answer a sign-off (会签) request of the lead's draft.
    SignOff,
    ReviewSection,
    ReviewOffice,
    ReviewLeader,
    /// Submit replies to the municipal system and publish them.
    Submit,
    /// Mark a submission acknowledged (the municipal system).
    MarkAcknowledged,
    Evaluate,
    /// Ledger, statistics, the annual report, the dashboard.
    SupervisionRead,
    /// Write the annual report's next steps (下步打算).
    ReportWrite,
    EventsRead,
    /// Manage webhook subscriptions, read their deliveries, redeliver.
    WebhooksManage,
    AuditRead,
}

impl Operation {
    pub const ALL: [Operation; 32] = [
        Operation::DirectoryRead,
        Operation::DirectoryWrite,
        Operation::DeputyRead,
        Operation::DeputyWrite,
        Operation::SuggestionWrite,
        Operation::SuggestionUpsert,
        Operation::SuggestionRead,
        Operation::Assign,
        Operation::AssignmentRead,
        Operation::HandlingRead,
        Operation::AssignmentRespond,
        Operation::Remind,
        Operation::ContactWrite,
        Operation::ContactRead,
        Operation::OpinionWrite,
        Operation::OpinionRead,
        Operation::DocumentWrite,
        Operation::DocumentRead,
        Operation::ReplyDraft,
        Operation::ReplyRead,
        Operation::SignOff,
        Operation::ReviewSection,
        Operation::ReviewOffice,
        Operation::ReviewLeader,
        Operation::Submit,
        Operation::MarkAcknowledged,
        Operation::Evaluate,
        Operation::SupervisionRead,
        Operation::ReportWrite,
        Operation::EventsRead,
        Operation::WebhooksManage,
        Operation::AuditRead,
    ];
}

/// On which objects an allowed operation applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// Every object.
    All,
    /// Objects the leader is responsible for (the head of the bureau: all).
    Responsible,
    /// Objects assigned to the caller's unit.
    OwnUnit,
    /// Objects the caller's unit co-handles.
    OwnCo,
    /// The deputy's own suggestions.
    Own,
}

use Operation as O;
use Reach::*;
use Role as R;

/// The policy: for each operation, which roles may perform it and on what.
pub const POLICY: &[(Operation, &[(Role, Reach)])] = &[
    (
        O::DirectoryRead,
        &[(R::Admin, All), (R::Office, All), (R::Leader, All), (R::SectionHead, All), (R::Handler, All)],
    ),
    (O::DirectoryWrite, &[(R::Admin, All)]),
    (O::DeputyRead, &[(R::Admin, All), (R::Office, All), (R::Deputy, Own)]),
    (O::DeputyWrite, &[(R::Admin, All), (R::Office, All)]),
    (O::SuggestionWrite, &[(R::Office, All)]),
    (O::SuggestionUpsert, &[(R::Sync, All)]),
    (
        O::SuggestionRead,
        &[
            (R::Admin, All),
            (R::Office, All),
            (R::Leader, All),
            (R::SectionHead, OwnUnit),
            (R::Handler, OwnUnit),
            (R::CoHandler, OwnCo),
            (R::Deputy, Own),
            (R::Sync, All),
        ],
    ),
    (O::Assign, &[(R::Office, All)]),
    (
        O::AssignmentRead,
        &[
            (R::Admin, All),
            (R::Office, All),
            (R::Leader, Responsible),
            (R::SectionHead, OwnUnit),
            (R::Handler, OwnUnit),
            (R::CoHandler, OwnCo),
            (R::Deputy, Own),
            (R::Sync, All),
        ],
    ),
    (
        O::HandlingRead,
        &[
            (R::Admin, All),
            (R::Office, All),
            (R::Leader, Responsible),
            (R::SectionHead, OwnUnit),
            (R::Handler, OwnUnit),
            (R::CoHandler, OwnCo),
            (R::Sync, All),
        ],
    ),
    (O::AssignmentRespond, &[(R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::CoHandler, OwnCo)]),
    (O::Remind, &[(R::Office, All), (R::Leader, Responsible)]),
    (O::ContactWrite, &[(R::Office, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit)]),
    (
        O::ContactRead,
        &[(R::Office, All), (R::Leader, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::Deputy, Own)],
    ),
    (O::OpinionWrite, &[(R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::CoHandler, OwnCo)]),
    (
        O::OpinionRead,
        &[(R::Office, All), (R::Leader, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::CoHandler, OwnCo)],
    ),
    (O::DocumentWrite, &[(R::Office, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::CoHandler, OwnCo)]),
    (
        O::DocumentRead,
        &[(R::Office, All), (R::Leader, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::CoHandler, OwnCo)],
    ),
    (O::ReplyDraft, &[(R::SectionHead, OwnUnit), (R::Handler, OwnUnit)]),
    (
        O::ReplyRead,
        &[(R::Office, All), (R::Leader, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit), (R::Deputy, Own)],
    ),
    (O::SignOff, &[(R::CoHandler, OwnCo)]),
    (O::ReviewSection, &[(R::SectionHead, OwnUnit)]),
    (O::ReviewOffice, &[(R::Office, All)]),
    (O::ReviewLeader, &[(R::Leader, Responsible)]),
    (O::Submit, &[(R::Office, All)]),
    (O::MarkAcknowledged, &[(R::Sync, All)]),
    (O::Evaluate, &[(R::Deputy, Own), (R::Sync, All)]),
    (
        O::SupervisionRead,
        &[(R::Admin, All), (R::Office, All), (R::Leader, All), (R::SectionHead, OwnUnit), (R::Handler, OwnUnit)],
    ),
    (O::ReportWrite, &[(R::Office, All)]),
    (O::EventsRead, &[(R::Admin, All), (R::Sync, All)]),
    (O::WebhooksManage, &[(R::Admin, All)]),
    (O::AuditRead, &[(R::Admin, All)]),
];

/// The reaches a set of roles has for an operation, widest first; empty means not allowed.
pub fn reaches(roles: &[Role], op: Operation) -> Vec<Reach> {
    let mut out: Vec<Reach> = POLICY
        .iter()
        .filter(|(o, _)| *o == op)
        .flat_map(|(_, grants)| grants.iter())
        .filter(|(role, _)| roles.contains(role))
        .map(|(_, reach)| *reach)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The caller's reach for an operation, as a filter the queries apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub all: bool,
    pub responsible: bool,
    pub own_unit: bool,
    pub own_co: bool,
    pub own: bool,
}

impl Scope {
    pub fn of(reaches: &[Reach]) -> Scope {
        let mut s = Scope::default();
        for r in reaches {
            match r {
                All => s.all = true,
                Responsible => s.responsible = true,
                OwnUnit => s.own_unit = true,
                OwnCo => s.own_co = true,
                Own => s.own = true,
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        *self == Scope::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN.md's table, cell by cell (deputies: issue 3 — the office and admins manage
    /// them, a deputy reads their own record): admin, office, leader, section_head, handler,
    /// co_handler, deputy, sync ("-" = not allowed).
    const EXPECTED: &[(Operation, [&str; 8])] = &[
        (O::DirectoryRead, ["all", "all", "all", "all", "all", "-", "-", "-"]),
        (O::DirectoryWrite, ["all", "-", "-", "-", "-", "-", "-", "-"]),
        (O::DeputyRead, ["all", "all", "-", "-", "-", "-", "own", "-"]),
        (O::DeputyWrite, ["all", "all", "-", "-", "-", "-", "-", "-"]),
        (O::SuggestionWrite, ["-", "all", "-", "-", "-", "-", "-", "-"]),
        (O::SuggestionUpsert, ["-", "-", "-", "-", "-", "-", "-", "all"]),
        (O::SuggestionRead, ["all", "all", "all", "unit", "unit", "co", "own", "all"]),
        (O::Assign, ["-", "all", "-", "-", "-", "-", "-", "-"]),
        (O::AssignmentRead, ["all", "all", "resp", "unit", "unit", "co", "own", "all"]),
        (O::HandlingRead, ["all", "all", "resp", "unit", "unit", "co", "-", "all"]),
        (O::AssignmentRespond, ["-", "-", "-", "unit", "unit", "co", "-", "-"]),
        (O::Remind, ["-", "all", "resp", "-", "-", "-", "-", "-"]),
        (O::ContactWrite, ["-", "all", "-", "unit", "unit", "-", "-", "-"]),
        (O::ContactRead, ["-", "all", "all", "unit", "unit", "-", "own", "-"]),
        (O::OpinionWrite, ["-", "-", "-", "unit", "unit", "co", "-", "-"]),
        (O::OpinionRead, ["-", "all", "all", "unit", "unit", "co", "-", "-"]),
        (O::DocumentWrite, ["-", "all", "-", "unit", "unit", "co", "-", "-"]),
        (O::DocumentRead, ["-", "all", "all", "unit", "unit", "co", "-", "-"]),
        (O::ReplyDraft, ["-", "-", "-", "unit", "unit", "-", "-", "-"]),
        (O::ReplyRead, ["-", "all", "all", "unit", "unit", "-", "own", "-"]),
        (O::SignOff, ["-", "-", "-", "-", "-", "co", "-", "-"]),
        (O::ReviewSection, ["-", "-", "-", "unit", "-", "-", "-", "-"]),
        (O::ReviewOffice, ["-", "all", "-", "-", "-", "-", "-", "-"]),
        (O::ReviewLeader, ["-", "-", "resp", "-", "-", "-", "-", "-"]),
        (O::Submit, ["-", "all", "-", "-", "-", "-", "-", "-"]),
        (O::MarkAcknowledged, ["-", "-", "-", "-", "-", "-", "-", "all"]),
        (O::Evaluate, ["-", "-", "-", "-", "-", "-", "own", "all"]),
        (O::SupervisionRead, ["all", "all", "all", "unit", "unit", "-", "-", "-"]),
        (O::ReportWrite, ["-", "all", "-", "-", "-", "-", "-", "-"]),
        (O::EventsRead, ["all", "-", "-", "-", "-", "-", "-", "all"]),
        (O::WebhooksManage, ["all", "-", "-", "-", "-", "-", "-", "-"]),
        (O::AuditRead, ["all", "-", "-", "-", "-", "-", "-", "-"]),
    ];

    fn cell(reaches: &[Reach]) -> &'static str {
        match reaches {
            [] => "-",
            [All] => "all",
            [Responsible] => "resp",
            [OwnUnit] => "unit",
            [OwnCo] => "co",
            [Own] => "own",
            _ => "many",
        }
    }

    #[test]
    fn the_policy_is_the_design_table_cell_by_cell() {
        assert_eq!(EXPECTED.len(), Operation::ALL.len(), "every operation has a row");
        for op in Operation::ALL {
            let (_, row) = EXPECTED.iter().find(|(o, _)| *o == op).expect("a row per operation");
            for (role, want) in Role::ALL.iter().zip(row.iter()) {
                assert_eq!(cell(&reaches(&[*role], op)), *want, "{op:?} for {role:?}");
            }
        }
    }

    #[test]
    fn every_operation_appears_once_in_the_policy() {
        for op in Operation::ALL {
            assert_eq!(POLICY.iter().filter(|(o, _)| *o == op).count(), 1, "{op:?}");
        }
    }

    #[test]
    fn several_roles_combine() {
        let r = reaches(&[Role::Handler, Role::Deputy], O::SuggestionRead);
        assert_eq!(r, vec![OwnUnit, Own]);
        let s = Scope::of(&r);
        assert!(s.own_unit && s.own && !s.all);
        assert!(Scope::of(&reaches(&[Role::Deputy], O::AuditRead)).is_empty());
    }

    #[test]
    fn roles_round_trip_as_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}
