//! The rules of coordination as pure functions: an opinion's state machine (the bureau's
//! own through its section head and the office; an external unit's straight to the lead),
//! which co-handling opinions a lead still waits for, and the contacts a handling owes the
//! deputy (before handling, progress feedback after an extension, face to face for key
//! suggestions).

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::enums::Source;

pub use crate::db::enums::{ContactKind, Decision, OpinionStage, OpinionState};

/// What can happen to an opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpinionAction {
    Edit,
    Submit,
    ApproveSection,
    ReturnSection,
    ApproveOffice,
    ReturnOffice,
    Deliver,
}

impl OpinionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OpinionAction::Edit => "edit",
            OpinionAction::Submit => "submit",
            OpinionAction::ApproveSection => "approve_section",
            OpinionAction::ReturnSection => "return_section",
            OpinionAction::ApproveOffice => "approve_office",
            OpinionAction::ReturnOffice => "return_office",
            OpinionAction::Deliver => "deliver",
        }
    }

    /// The review action of a stage's decision.
    pub fn of_decision(stage: OpinionStage, decision: Decision) -> OpinionAction {
        match (stage, decision) {
            (OpinionStage::Section, Decision::Approve) => OpinionAction::ApproveSection,
            (OpinionStage::Section, Decision::Return) => OpinionAction::ReturnSection,
            (OpinionStage::Office, Decision::Approve) => OpinionAction::ApproveOffice,
            (OpinionStage::Office, Decision::Return) => OpinionAction::ReturnOffice,
        }
    }
}

/// The state machine: from, action, for the bureau's own opinions (`Some(true)`), an
/// external unit's (`Some(false)`) or both, to.
const TRANSITIONS: &[(OpinionState, OpinionAction, Option<bool>, OpinionState)] = {
    use OpinionAction as A;
    use OpinionState as S;
    &[
        (S::Draft, A::Edit, None, S::Draft),
        (S::Draft, A::Submit, Some(true), S::SectionReview),
        (S::Draft, A::Submit, Some(false), S::Delivered),
        (S::SectionReview, A::ApproveSection, Some(true), S::OfficeReview),
        (S::SectionReview, A::ReturnSection, Some(true), S::Draft),
        (S::OfficeReview, A::ApproveOffice, Some(true), S::Approved),
        (S::OfficeReview, A::ReturnOffice, Some(true), S::Draft),
        (S::Approved, A::Deliver, Some(true), S::Delivered),
    ]
};

/// The actions allowed in a state.
pub fn allowed(state: OpinionState, internal: bool) -> Vec<OpinionAction> {
    TRANSITIONS
        .iter()
        .filter(|(from, _, who, _)| *from == state && who.is_none_or(|i| i == internal))
        .map(|(_, a, _, _)| *a)
        .collect()
}

/// Where an action leads, or the actions allowed instead.
pub fn next(state: OpinionState, internal: bool, action: OpinionAction) -> Result<OpinionState, Vec<OpinionAction>> {
    TRANSITIONS
        .iter()
        .find(|(from, a, who, _)| *from == state && *a == action && who.is_none_or(|i| i == internal))
        .map(|(_, _, _, to)| *to)
        .ok_or_else(|| allowed(state, internal))
}

/// The stage whose decision an opinion waits for.
pub fn stage_of(state: OpinionState) -> Option<OpinionStage> {
    match state {
        OpinionState::SectionReview => Some(OpinionStage::Section),
        OpinionState::OfficeReview => Some(OpinionStage::Office),
        _ => None,
    }
}

/// A document number from a unit's series: `{unit}协〔{year}〕{n}号`.
pub fn opinion_doc_no(unit_name: &str, year: i32, n: i32) -> String {
    format!("{unit_name}协〔{year}〕{n}号")
}

/// A letter's title about a suggestion: 关于市十六届人大二次会议第183050号代表建议的{what}
/// (协办意见, 答复).
pub fn letter_title(source: Source, session_label: Option<&str>, external_no: &str, what: &str) -> String {
    let kind = match source {
        Source::Npc => "代表建议",
        Source::Cppcc => "提案",
    };
    format!("关于{}第{external_no}号{kind}的{what}", session_label.unwrap_or(""))
}

/// The opinion's paragraphs: its text, a paragraph a line.
pub fn opinion_blocks(body: &str) -> Vec<crate::letters::Block> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| crate::letters::Block::Paragraph(l.to_string()))
        .collect()
}

/// Where a co-handling unit's opinion stands for the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpinionStatus {
    /// Delivered to the lead.
    Given,
    /// The office excused it, with a reason.
    Waived,
    /// Not (yet) in.
    Missing,
}

/// An opinion's status from whether it was delivered and whether it was waived.
pub fn opinion_status(delivered: bool, waived: bool) -> OpinionStatus {
    match (delivered, waived) {
        (true, _) => OpinionStatus::Given,
        (false, true) => OpinionStatus::Waived,
        (false, false) => OpinionStatus::Missing,
    }
}

/// The contact rules, each a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactRules {
    pub require_pre_handling_contact: bool,
    pub progress_feedback_months: u32,
    pub key_requires_face_to_face: bool,
    /// The follow-up visit is due this many months after the reply (0: not required).
    pub follow_up_visit_months: u32,
}

/// A contact a handling owes the deputy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// 办前沟通, before the reply.
    PreHandling,
    /// 办中反馈 every N months after an approved extension, until the reply.
    ProgressFeedback,
    /// 面商 for a key suggestion, before the reply.
    FaceToFace,
    /// 办后回访, a visit after the reply.
    FollowUpVisit,
}

/// What the later steps know of a handling after its reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AfterReply {
    /// The date on the reply (none: not answered yet).
    pub replied_on: Option<NaiveDate>,
    /// Promises made in the reply (落实) are still open: progress feedback stays owed.
    pub commitments_open: bool,
}

/// What the plan is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handling {
    pub is_key: bool,
    /// The assignment is still being handled (no reply yet).
    pub open: bool,
    pub due_on: NaiveDate,
    /// The days the extensions were approved on.
    pub extensions_approved_on: Vec<NaiveDate>,
    /// The contacts recorded: kind, day, face to face.
    pub contacts: Vec<(ContactKind, NaiveDate, bool)>,
    pub after_reply: AfterReply,
}

/// One obligation: by when, and when it was met (none yet: still owed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub obligation: Obligation,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// The contacts a lead or split handling owes its deputy under the rules.
pub fn contact_plan(rules: &ContactRules, h: &Handling) -> Vec<Owed> {
    let mut out = Vec::new();
    let first = |pred: &dyn Fn(&(ContactKind, NaiveDate, bool)) -> bool| {
        h.contacts.iter().filter(|c| pred(c)).map(|c| c.1).min()
    };
    if rules.require_pre_handling_contact {
        let done_on = first(&|c| c.0 == ContactKind::PreHandling);
        out.push(Owed { obligation: Obligation::PreHandling, due_on: h.due_on, done_on });
    }
    if rules.key_requires_face_to_face && h.is_key {
        let done_on = first(&|c| c.2);
        out.push(Owed { obligation: Obligation::FaceToFace, due_on: h.due_on, done_on });
    }
    // Progress feedback every N months: while an extended handling is open (from the
    // approval), and after the reply while its promises are open (from the reply); each
    // feedback starts the next period.
    let months = Months::new(rules.progress_feedback_months.max(1));
    let feedback_since = |since: NaiveDate| {
        h.contacts.iter().filter(|c| c.0 == ContactKind::ProgressFeedback && c.1 >= since).map(|c| c.1).max()
    };
    let promised = h.after_reply.replied_on.filter(|_| h.after_reply.commitments_open && !h.open);
    if let Some(since) = h.extensions_approved_on.iter().min() {
        let last = feedback_since(*since);
        let from = last.unwrap_or(*since);
        let due_on = from.checked_add_months(months).unwrap_or(from);
        if h.open {
            out.push(Owed { obligation: Obligation::ProgressFeedback, due_on, done_on: None });
        } else if let (Some(done), None) = (last, promised) {
            out.push(Owed { obligation: Obligation::ProgressFeedback, due_on: done, done_on: Some(done) });
        }
    }
    if let Some(since) = promised {
        let from = feedback_since(since).unwrap_or(since);
        let due_on = from.checked_add_months(months).unwrap_or(from);
        out.push(Owed { obligation: Obligation::ProgressFeedback, due_on, done_on: None });
    }
    if let (Some(replied), m @ 1..) = (h.after_reply.replied_on, rules.follow_up_visit_months) {
        let due_on = replied.checked_add_months(Months::new(m)).unwrap_or(replied);
        let done_on = first(&|c| c.0 == ContactKind::FollowUpVisit && c.1 >= replied);
        out.push(Owed { obligation: Obligation::FollowUpVisit, due_on, done_on });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use OpinionAction as A;
    use OpinionState as S;

    #[test]
    fn the_bureaus_opinion_passes_its_section_head_and_the_office_then_is_delivered() {
        let mut s = S::Draft;
        for a in [A::Edit, A::Submit, A::ApproveSection, A::ApproveOffice, A::Deliver] {
            s = next(s, true, a).unwrap();
        }
        assert_eq!(s, S::Delivered);
        assert_eq!(next(S::SectionReview, true, A::ReturnSection), Ok(S::Draft));
        assert_eq!(next(S::OfficeReview, true, A::ReturnOffice), Ok(S::Draft));
        assert_eq!(next(S::Draft, true, A::Deliver), Err(vec![A::Edit, A::Submit]));
        assert_eq!(next(S::Delivered, true, A::Edit), Err(vec![]));
    }

    #[test]
    fn an_external_units_opinion_goes_straight_to_the_lead() {
        assert_eq!(next(S::Draft, false, A::Submit), Ok(S::Delivered));
        assert!(next(S::Draft, false, A::ApproveSection).is_err());
        assert_eq!(allowed(S::Draft, false), vec![A::Edit, A::Submit]);
    }

    #[test]
    fn decisions_map_to_actions_and_stages() {
        assert_eq!(OpinionAction::of_decision(OpinionStage::Office, Decision::Return), A::ReturnOffice);
        assert_eq!(stage_of(S::SectionReview), Some(OpinionStage::Section));
        assert_eq!(stage_of(S::Approved), None);
        assert_eq!(opinion_doc_no("市自然资源和规划局", 2023, 3), "市自然资源和规划局协〔2023〕3号");
    }

    #[test]
    fn a_missing_opinion_is_given_or_waived() {
        assert_eq!(opinion_status(true, true), OpinionStatus::Given);
        assert_eq!(opinion_status(false, true), OpinionStatus::Waived);
        assert_eq!(opinion_status(false, false), OpinionStatus::Missing);
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const RULES: ContactRules = ContactRules {
        require_pre_handling_contact: true,
        progress_feedback_months: 3,
        key_requires_face_to_face: true,
        follow_up_visit_months: 1,
    };

    #[test]
    fn the_plan_owes_a_pre_handling_contact_and_for_key_items_a_face_to_face_one() {
        let h = Handling {
            is_key: true,
            open: true,
            due_on: d("2023-06-06"),
            extensions_approved_on: vec![],
            contacts: vec![],
            after_reply: AfterReply::default(),
        };
        let plan = contact_plan(&RULES, &h);
        assert_eq!(plan.len(), 2);
        assert!(plan.iter().all(|o| o.done_on.is_none() && o.due_on == d("2023-06-06")));
        let met = Handling {
            contacts: vec![
                (ContactKind::PreHandling, d("2023-03-10"), false),
                (ContactKind::Other, d("2023-04-02"), true),
            ],
            ..h
        };
        let plan = contact_plan(&RULES, &met);
        assert_eq!(
            plan[0],
            Owed { obligation: Obligation::PreHandling, due_on: d("2023-06-06"), done_on: Some(d("2023-03-10")) }
        );
        assert_eq!(plan[1].done_on, Some(d("2023-04-02")));
        let off = ContactRules { require_pre_handling_contact: false, key_requires_face_to_face: false, ..RULES };
        assert!(contact_plan(&off, &met).is_empty());
    }

    #[test]
    fn an_extension_schedules_progress_feedback_every_n_months_until_the_reply() {
        let h = Handling {
            is_key: false,
            open: true,
            due_on: d("2023-09-06"),
            extensions_approved_on: vec![d("2023-05-20")],
            contacts: vec![(ContactKind::PreHandling, d("2023-03-10"), false)],
            after_reply: AfterReply::default(),
        };
        let feedback = |h: &Handling| *contact_plan(&RULES, h).last().unwrap();
        assert_eq!(feedback(&h).due_on, d("2023-08-20"));
        let mut fed = h.clone();
        fed.contacts.push((ContactKind::ProgressFeedback, d("2023-07-01"), false));
        assert_eq!(feedback(&fed).due_on, d("2023-10-01"), "each feedback starts the next period");
        fed.open = false;
        assert_eq!(feedback(&fed).done_on, Some(d("2023-07-01")));
        let monthly = ContactRules { progress_feedback_months: 1, ..RULES };
        assert_eq!(contact_plan(&monthly, &h).last().unwrap().due_on, d("2023-06-20"));
    }

    #[test]
    fn after_the_reply_a_follow_up_visit_is_due_and_open_promises_keep_the_feedback_running() {
        let replied = Handling {
            is_key: false,
            open: false,
            due_on: d("2023-06-06"),
            extensions_approved_on: vec![],
            contacts: vec![(ContactKind::PreHandling, d("2023-03-10"), false)],
            after_reply: AfterReply { replied_on: Some(d("2023-05-16")), commitments_open: true },
        };
        let rules = ContactRules { require_pre_handling_contact: false, ..RULES };
        let plan = contact_plan(&rules, &replied);
        assert_eq!(
            plan,
            vec![
                Owed { obligation: Obligation::ProgressFeedback, due_on: d("2023-08-16"), done_on: None },
                Owed { obligation: Obligation::FollowUpVisit, due_on: d("2023-06-16"), done_on: None },
            ]
        );
        // A visit before the reply is not the follow-up; one after it is.
        let mut visited = replied.clone();
        visited.contacts.push((ContactKind::FollowUpVisit, d("2023-05-01"), true));
        assert_eq!(contact_plan(&rules, &visited)[1].done_on, None);
        visited.contacts.push((ContactKind::FollowUpVisit, d("2023-06-20"), true));
        assert_eq!(contact_plan(&rules, &visited)[1].done_on, Some(d("2023-06-20")));
        // Feedback given moves the next one; promises kept end it.
        visited.contacts.push((ContactKind::ProgressFeedback, d("2023-07-01"), false));
        assert_eq!(contact_plan(&rules, &visited)[0].due_on, d("2023-10-01"));
        visited.after_reply.commitments_open = false;
        assert_eq!(contact_plan(&rules, &visited).len(), 1);
        // No follow-up visit required.
        assert!(contact_plan(&ContactRules { follow_up_visit_months: 0, ..rules }, &visited).is_empty());
    }
}
