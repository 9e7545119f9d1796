//! The rules of a reply, as plain functions: its state machine, what blocks the review
//! (sign-offs, co-handling opinions, the pre-handling contact), the letter's title,
//! addressee and cc list, the document number, and the comparison of two versions.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::{Decision, ReplyStage, ReplyState, SignoffState, Source, SubmissionState};

/// What can be done to a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyAction {
    /// Save a new revision (the section, while drafting).
    Edit,
    /// Ask the co-handlers to sign off the current revision (会签).
    RequestSignoff,
    /// Send to the section head's review.
    Submit,
    /// The waiting stage's reviewer approves.
    Approve,
    /// The waiting stage's reviewer returns it to the draft, with comments.
    Return,
    /// The office attaches the signed and sealed scan.
    AttachFinal,
}

use ReplyAction as A;
use ReplyState as S;

/// Every move of the state machine, written once: `next` and `allowed` read it.
pub const TRANSITIONS: &[(ReplyState, ReplyAction, ReplyState)] = &[
    (S::Draft, A::Edit, S::Draft),
    (S::Draft, A::RequestSignoff, S::Draft),
    (S::Draft, A::Submit, S::SectionReview),
    (S::SectionReview, A::Approve, S::OfficeReview),
    (S::SectionReview, A::Return, S::Draft),
    (S::OfficeReview, A::Approve, S::LeaderReview),
    (S::OfficeReview, A::Return, S::Draft),
    (S::LeaderReview, A::Approve, S::Approved),
    (S::LeaderReview, A::Return, S::Draft),
    (S::Approved, A::AttachFinal, S::Signed),
];

pub fn next(state: ReplyState, action: ReplyAction) -> Option<ReplyState> {
    TRANSITIONS.iter().find(|(s, a, _)| *s == state && *a == action).map(|(_, _, to)| *to)
}

pub fn allowed(state: ReplyState) -> Vec<ReplyAction> {
    TRANSITIONS.iter().filter(|(s, _, _)| *s == state).map(|(_, a, _)| *a).collect()
}

/// The review stage a state waits for.
pub fn stage_of(state: ReplyState) -> Option<ReplyStage> {
    match state {
        S::SectionReview => Some(ReplyStage::Section),
        S::OfficeReview => Some(ReplyStage::Office),
        S::LeaderReview => Some(ReplyStage::Leader),
        _ => None,
    }
}

pub fn action_of(decision: Decision) -> ReplyAction {
    match decision {
        Decision::Approve => A::Approve,
        Decision::Return => A::Return,
    }
}

/// Whether a sign-off lets the revision it was asked on go ahead.
pub fn signed_off(state: SignoffState) -> bool {
    matches!(state, SignoffState::Agreed | SignoffState::Settled)
}

/// The co-handling assignments whose unit has not signed off `revision`, given each live
/// sign-off as (co-handling assignment, state, revision).
pub fn signoff_gaps(co: &[Uuid], live: &[(Uuid, SignoffState, i32)], revision: i32) -> Vec<Uuid> {
    co.iter().copied().filter(|a| !live.iter().any(|(b, s, r)| b == a && *r == revision && signed_off(*s))).collect()
}

/// What the office review finds missing before it can approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeGaps {
    /// Co-handling units whose opinion is neither given nor waived.
    pub opinions_missing: Vec<String>,
    /// No pre-handling contact with the deputy while the setting asks for one.
    pub pre_handling_missing: bool,
}

impl OfficeGaps {
    pub fn is_empty(&self) -> bool {
        self.opinions_missing.is_empty() && !self.pre_handling_missing
    }

    /// The reasons, for the problem's detail.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.opinions_missing.is_empty() {
            parts.push(format!(
                "the co-handling opinion of {} is neither given nor waived",
                self.opinions_missing.join(", ")
            ));
        }
        if self.pre_handling_missing {
            parts.push("no pre-handling contact with the deputy is recorded".to_string());
        }
        parts.join("; ")
    }
}

/// The office review's checks: every co-handling opinion given or waived (`opinions`:
/// unit name, given or waived), and a pre-handling contact when the setting asks.
pub fn office_gaps(opinions: &[(String, bool)], pre_handling: bool, require_pre_handling: bool) -> OfficeGaps {
    OfficeGaps {
        opinions_missing: opinions.iter().filter(|(_, ok)| !ok).map(|(n, _)| n.clone()).collect(),
        pre_handling_missing: require_pre_handling && !pre_handling,
    }
}

/// The reply's document number from the unit's series: 某局函〔2023〕12号.
pub fn reply_doc_no(unit_name: &str, year: i32, n: i32) -> String {
    format!("{unit_name}函〔{year}〕{n}号")
}

/// The letter's title: 关于市十六届人大二次会议第183050号代表建议的答复.
pub fn letter_title(source: Source, session_label: Option<&str>, external_no: &str) -> String {
    crate::coordination::rules::letter_title(source, session_label, external_no, "答复")
}

/// Whom the letter addresses: every proposer of a joint suggestion, with the title of
/// their body and the closing colon.
pub fn addressee(source: Source, names: &[String]) -> String {
    let title = match source {
        Source::Npc => "代表",
        Source::Cppcc => "委员",
    };
    if names.is_empty() {
        return format!("尊敬的{title}：");
    }
    format!("{}{title}：", names.join("、"))
}

/// The offices every reply is copied to, by source.
pub fn standard_cc(source: Source) -> [&'static str; 2] {
    match source {
        Source::Npc => ["市人大常委会办公厅", "市人民政府办公厅"],
        Source::Cppcc => ["市政协办公厅", "市人民政府办公厅"],
    }
}

/// The cc list: the co-handling units first, then the names given, then the standard
/// offices, each once.
pub fn cc_list(co_units: &[String], given: &[String], source: Source) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let standard = standard_cc(source).map(String::from);
    for name in co_units.iter().chain(given).chain(standard.iter()) {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// Fills a template's placeholders.
pub fn fill_template(body: &str, title: &str, external_no: &str, proposers: &str) -> String {
    body.replace("{{title}}", title).replace("{{external_no}}", external_no).replace("{{proposers}}", proposers)
}

/// A move of a submission (报送) to the municipal system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionMove<'a> {
    /// The sync job sent it.
    Sent,
    /// The municipal system confirmed it, with its reference.
    Acknowledged(&'a str),
    /// The municipal system refused it or could not be reached.
    Failed,
    /// The office sends a failed one again.
    Retry,
}

/// What a move does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionStep {
    /// It moves to this state.
    To(SubmissionState),
    /// It repeats a move already made (a sync job's retry): nothing changes.
    Repeat,
    /// Not possible from here.
    NotNow,
}

/// Where a submission goes.
pub fn submission_next(state: SubmissionState, remote_ref: Option<&str>, mv: &SubmissionMove<'_>) -> SubmissionStep {
    use SubmissionState as St;
    use SubmissionStep::*;
    match (state, mv) {
        (St::Pending, SubmissionMove::Sent) => To(St::Sent),
        (St::Sent | St::Acknowledged, SubmissionMove::Sent) => Repeat,
        (St::Pending | St::Sent | St::Failed, SubmissionMove::Acknowledged(_)) => To(St::Acknowledged),
        (St::Acknowledged, SubmissionMove::Acknowledged(r)) if remote_ref == Some(*r) => Repeat,
        (St::Pending | St::Sent, SubmissionMove::Failed) => To(St::Failed),
        (St::Failed, SubmissionMove::Failed) => Repeat,
        (St::Failed, SubmissionMove::Retry) => To(St::Pending),
        _ => NotNow,
    }
}

/// How finely two versions are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// Line by line (a paragraph is a line).
    #[default]
    Line,
    /// Character by character: the right grain for Chinese text.
    Char,
}

/// One piece of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiffOp {
    /// `equal`, `insert` or `delete`.
    #[schema(example = "insert")]
    pub op: String,
    pub text: String,
}

/// The changes from `old` to `new`, consecutive pieces of one kind joined.
pub fn diff(old: &str, new: &str, by: Granularity) -> Vec<DiffOp> {
    let d = match by {
        Granularity::Line => TextDiff::from_lines(old, new),
        Granularity::Char => TextDiff::from_chars(old, new),
    };
    let mut out: Vec<DiffOp> = Vec::new();
    for change in d.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => out.push(DiffOp { op: op.to_string(), text: change.value().to_string() }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_goes_section_office_leader_and_a_return_goes_back_to_the_draft() {
        let mut s = S::Draft;
        for a in [A::Edit, A::RequestSignoff, A::Submit, A::Approve, A::Approve, A::Approve, A::AttachFinal] {
            s = next(s, a).unwrap_or_else(|| panic!("{a:?} from {s:?}"));
        }
        assert_eq!(s, S::Signed);
        for st in [S::SectionReview, S::OfficeReview, S::LeaderReview] {
            assert_eq!(next(st, A::Return), Some(S::Draft));
            assert_eq!(next(st, A::Edit), None, "nobody edits a reply under review");
        }
        assert_eq!(allowed(S::Signed), vec![]);
        assert_eq!(next(S::Draft, A::Approve), None);
        assert_eq!(stage_of(S::OfficeReview), Some(ReplyStage::Office));
        assert_eq!(stage_of(S::Approved), None);
    }

    #[test]
    fn a_revision_goes_ahead_once_every_co_handler_signed_it_off() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let live = [(a, SignoffState::Agreed, 3), (b, SignoffState::Disagreed, 3)];
        assert_eq!(signoff_gaps(&[a, b], &live, 3), vec![b]);
        let live = [(a, SignoffState::Agreed, 2), (b, SignoffState::Settled, 3)];
        assert_eq!(signoff_gaps(&[a, b], &live, 3), vec![a], "an agreement on an older revision does not count");
        assert!(signoff_gaps(&[], &[], 1).is_empty());
    }

    #[test]
    fn the_office_needs_every_opinion_and_the_pre_handling_contact() {
        let g = office_gaps(&[("市交通运输局".into(), true), ("市水利局".into(), false)], false, true);
        assert_eq!(g.opinions_missing, vec!["市水利局".to_string()]);
        assert!(g.pre_handling_missing);
        assert!(g.describe().contains("市水利局") && g.describe().contains("pre-handling"));
        assert!(office_gaps(&[("市交通运输局".into(), true)], false, false).is_empty());
    }

    #[test]
    fn the_letter_names_its_suggestion_and_its_proposers() {
        assert_eq!(
            letter_title(Source::Npc, Some("市十六届人大二次会议"), "183050"),
            "关于市十六届人大二次会议第183050号代表建议的答复"
        );
        assert_eq!(letter_title(Source::Cppcc, None, "0123"), "关于第0123号提案的答复");
        assert_eq!(addressee(Source::Npc, &["王某".into(), "李某".into()]), "王某、李某代表：");
        assert_eq!(addressee(Source::Cppcc, &["张某".into()]), "张某委员：");
        assert_eq!(reply_doc_no("某局", 2023, 7), "某局函〔2023〕7号");
        let cc = cc_list(&["市交通运输局".into()], &["市政府办公厅".into(), "市交通运输局".into()], Source::Npc);
        assert_eq!(cc, vec!["市交通运输局", "市政府办公厅", "市人大常委会办公厅", "市人民政府办公厅"]);
        assert_eq!(
            fill_template("{{proposers}}：您提出的《{{title}}》收悉。", "关于X的建议", "1", "王某代表"),
            "王某代表：您提出的《关于X的建议》收悉。"
        );
    }

    #[test]
    fn a_submission_moves_forward_and_a_repeated_mark_changes_nothing() {
        use SubmissionMove as M;
        use SubmissionState as St;
        use SubmissionStep::*;
        assert_eq!(submission_next(St::Pending, None, &M::Sent), To(St::Sent));
        assert_eq!(submission_next(St::Sent, None, &M::Sent), Repeat);
        assert_eq!(submission_next(St::Sent, None, &M::Acknowledged("SH-1")), To(St::Acknowledged));
        assert_eq!(submission_next(St::Acknowledged, Some("SH-1"), &M::Acknowledged("SH-1")), Repeat);
        assert_eq!(submission_next(St::Acknowledged, Some("SH-1"), &M::Acknowledged("SH-2")), NotNow);
        assert_eq!(submission_next(St::Acknowledged, Some("SH-1"), &M::Failed), NotNow);
        assert_eq!(submission_next(St::Sent, None, &M::Failed), To(St::Failed));
        assert_eq!(submission_next(St::Failed, None, &M::Failed), Repeat);
        assert_eq!(submission_next(St::Failed, None, &M::Sent), NotNow, "a failed one is retried first");
        assert_eq!(submission_next(St::Failed, None, &M::Retry), To(St::Pending));
        assert_eq!(submission_next(St::Pending, None, &M::Retry), NotNow);
    }

    #[test]
    fn versions_compare_by_line_or_by_character() {
        let lines = diff("第一段\n第二段\n", "第一段\n第二段（修改）\n", Granularity::Line);
        assert_eq!(lines[0], DiffOp { op: "equal".into(), text: "第一段\n".into() });
        assert_eq!(lines[1].op, "delete");
        assert_eq!(lines[2], DiffOp { op: "insert".into(), text: "第二段（修改）\n".into() });
        let chars = diff("增设站点", "增设三个站点", Granularity::Char);
        assert_eq!(
            chars,
            vec![
                DiffOp { op: "equal".into(), text: "增设".into() },
                DiffOp { op: "insert".into(), text: "三个".into() },
                DiffOp { op: "equal".into(), text: "站点".into() },
            ]
        );
    }
}
