//! The rules of assignment as pure functions: which units may be assigned together, the
//! assignment's state machine, and the suggestion's status derived from its assignments.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::FieldError;
use crate::suggestions::model::SuggestionStatus;

/// How a unit handles a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingRole {
    /// 主办: writes the reply, gathers the co-handlers' opinions.
    Lead,
    /// 分办: answers its own part and replies itself.
    Split,
    /// 协办: gives its opinion to the lead unit.
    Co,
}

/// Where an assignment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentState {
    /// 已交办: waiting for the unit to sign in.
    Assigned,
    /// 已签收
    Accepted,
    /// 办理中
    InProgress,
    /// 异议中: the unit asked to be reassigned; it keeps the item until the office decides.
    Disputed,
    /// 已改办: the office gave the item to another unit.
    Reassigned,
    /// 已答复 (lead, split)
    Replied,
    /// 已提交协办意见 (co)
    OpinionGiven,
    /// 已办结
    Completed,
}

/// What can happen to an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SignIn,
    Start,
    Dispute,
    AcceptDispute,
    RefuseDispute,
    Reply,
    GiveOpinion,
    Complete,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
text_enum!(HandlingRole { Lead = "lead", Split = "split", Co = "co" });
text_enum!(AssignmentState {
    Assigned = "assigned", Accepted = "accepted", InProgress = "in_progress", Disputed = "disputed",
    Reassigned = "reassigned", Replied = "replied", OpinionGiven = "opinion_given", Completed = "completed",
});
text_enum!(Action {
    SignIn = "sign_in", Start = "start", Dispute = "dispute", AcceptDispute = "accept_dispute",
    RefuseDispute = "refuse_dispute", Reply = "reply", GiveOpinion = "give_opinion", Complete = "complete",
});

impl AssignmentState {
    /// Still being handled: deadlines and reminders apply.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Assigned | Self::Accepted | Self::InProgress | Self::Disputed)
    }

    pub const OPEN: [&'static str; 4] = ["assigned", "accepted", "in_progress", "disputed"];
}

/// The state an action leads to, or the actions allowed instead. `before_dispute` is the
/// state a refused dispute returns to.
pub fn next(
    state: AssignmentState,
    action: Action,
    role: HandlingRole,
    before_dispute: Option<AssignmentState>,
) -> Result<AssignmentState, Vec<Action>> {
    use Action as A;
    use AssignmentState as S;
    let answers = |r: HandlingRole| if r == HandlingRole::Co { S::OpinionGiven } else { S::Replied };
    let to = match (state, action) {
        (S::Assigned, A::SignIn) => S::Accepted,
        (S::Assigned | S::Accepted | S::InProgress, A::Dispute) => S::Disputed,
        (S::Accepted, A::Start) => S::InProgress,
        (S::Accepted | S::InProgress, A::Reply) if role != HandlingRole::Co => answers(role),
        (S::Accepted | S::InProgress, A::GiveOpinion) if role == HandlingRole::Co => answers(role),
        (S::Disputed, A::AcceptDispute) => S::Reassigned,
        (S::Disputed, A::RefuseDispute) => before_dispute.filter(|s| *s != S::Disputed).unwrap_or(S::Accepted),
        (S::Replied | S::OpinionGiven, A::Complete) => S::Completed,
        _ => return Err(allowed(state, role)),
    };
    Ok(to)
}

/// The actions allowed in a state.
pub fn allowed(state: AssignmentState, role: HandlingRole) -> Vec<Action> {
    let all = [
        Action::SignIn,
        Action::Start,
        Action::Dispute,
        Action::AcceptDispute,
        Action::RefuseDispute,
        Action::Reply,
        Action::GiveOpinion,
        Action::Complete,
    ];
    all.into_iter().filter(|a| next_is_allowed(state, *a, role)).collect()
}

fn next_is_allowed(state: AssignmentState, action: Action, role: HandlingRole) -> bool {
    use Action as A;
    use AssignmentState as S;
    match (state, action) {
        (S::Assigned, A::SignIn) => true,
        (S::Assigned | S::Accepted | S::InProgress, A::Dispute) => true,
        (S::Accepted, A::Start) => true,
        (S::Accepted | S::InProgress, A::Reply) => role != HandlingRole::Co,
        (S::Accepted | S::InProgress, A::GiveOpinion) => role == HandlingRole::Co,
        (S::Disputed, A::AcceptDispute | A::RefuseDispute) => true,
        (S::Replied | S::OpinionGiven, A::Complete) => true,
        _ => false,
    }
}

/// The suggestion's status from its assignments (role and state of each).
pub fn suggestion_status(assignments: &[(HandlingRole, AssignmentState)]) -> SuggestionStatus {
    use AssignmentState as S;
    let live: Vec<_> = assignments.iter().filter(|(_, s)| *s != S::Reassigned).collect();
    if live.is_empty() {
        return SuggestionStatus::Registered;
    }
    if live.iter().all(|(_, s)| *s == S::Completed) {
        return SuggestionStatus::Completed;
    }
    let answering: Vec<_> = live.iter().filter(|(r, _)| *r != HandlingRole::Co).collect();
    if !answering.is_empty() && answering.iter().all(|(_, s)| matches!(s, S::Replied | S::Completed)) {
        return SuggestionStatus::Replied;
    }
    if live.iter().all(|(_, s)| *s == S::Assigned) {
        return SuggestionStatus::Assigned;
    }
    SuggestionStatus::Handling
}

/// A unit to assign, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub unit_id: Uuid,
    pub role: HandlingRole,
}

/// Whether new assignments may join a round's live ones: each unit once, at most one
/// lead, co-handlers only beside a lead, and split units not beside a lead (分办 units
/// each answer; a lead answers for all). Errors name `units[i]`.
pub fn check_set(existing: &[Planned], new: &[Planned]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let all: Vec<&Planned> = existing.iter().chain(new.iter()).collect();
    let leads = all.iter().filter(|p| p.role == HandlingRole::Lead).count();
    let has_split = all.iter().any(|p| p.role == HandlingRole::Split);
    for (i, p) in new.iter().enumerate() {
        let field = format!("units[{i}]");
        let earlier = existing.iter().chain(new[..i].iter()).any(|q| q.unit_id == p.unit_id);
        if earlier {
            errors.push(FieldError::new(&field, "duplicate", "the unit is already assigned in this round"));
        }
        match p.role {
            HandlingRole::Lead if leads > 1 => {
                errors.push(FieldError::new(&field, "second_lead", "a suggestion has at most one lead unit"))
            }
            HandlingRole::Lead if has_split => errors.push(FieldError::new(
                &field,
                "lead_with_split",
                "split units answer for themselves; no lead beside them",
            )),
            HandlingRole::Split if leads > 0 => errors.push(FieldError::new(
                &field,
                "lead_with_split",
                "split units answer for themselves; no lead beside them",
            )),
            HandlingRole::Co if leads == 0 => {
                errors.push(FieldError::new(&field, "co_without_lead", "a co-handling unit needs a lead unit"))
            }
            _ => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use AssignmentState as S;
    use HandlingRole as R;

    #[test]
    fn the_happy_paths() {
        let mut s = S::Assigned;
        for (action, want) in
            [(A::SignIn, S::Accepted), (A::Start, S::InProgress), (A::Reply, S::Replied), (A::Complete, S::Completed)]
        {
            s = next(s, action, R::Lead, None).unwrap();
            assert_eq!(s, want);
        }
        let s = next(S::Accepted, A::GiveOpinion, R::Co, None).unwrap();
        assert_eq!(s, S::OpinionGiven);
        assert_eq!(next(s, A::Complete, R::Co, None).unwrap(), S::Completed);
    }

    #[test]
    fn illegal_transitions_list_the_allowed_ones() {
        assert_eq!(next(S::Assigned, A::Reply, R::Lead, None).unwrap_err(), vec![A::SignIn, A::Dispute]);
        assert_eq!(next(S::Accepted, A::GiveOpinion, R::Lead, None).unwrap_err(), vec![A::Start, A::Dispute, A::Reply]);
        assert_eq!(next(S::Accepted, A::Reply, R::Co, None).unwrap_err(), vec![A::Start, A::Dispute, A::GiveOpinion]);
        assert!(next(S::Completed, A::SignIn, R::Lead, None).unwrap_err().is_empty());
        assert!(next(S::Reassigned, A::Dispute, R::Split, None).unwrap_err().is_empty());
        assert_eq!(next(S::Replied, A::Dispute, R::Lead, None).unwrap_err(), vec![A::Complete]);
    }

    #[test]
    fn a_dispute_is_reassigned_or_goes_back() {
        let s = next(S::InProgress, A::Dispute, R::Lead, None).unwrap();
        assert_eq!(s, S::Disputed);
        assert_eq!(next(s, A::AcceptDispute, R::Lead, Some(S::InProgress)).unwrap(), S::Reassigned);
        assert_eq!(next(s, A::RefuseDispute, R::Lead, Some(S::InProgress)).unwrap(), S::InProgress);
        assert_eq!(next(s, A::RefuseDispute, R::Lead, None).unwrap(), S::Accepted);
        assert_eq!(next(s, A::SignIn, R::Lead, None).unwrap_err(), vec![A::AcceptDispute, A::RefuseDispute]);
    }

    #[test]
    fn every_state_and_action_agrees_with_allowed() {
        let states = [
            S::Assigned,
            S::Accepted,
            S::InProgress,
            S::Disputed,
            S::Reassigned,
            S::Replied,
            S::OpinionGiven,
            S::Completed,
        ];
        let actions = [
            A::SignIn,
            A::Start,
            A::Dispute,
            A::AcceptDispute,
            A::RefuseDispute,
            A::Reply,
            A::GiveOpinion,
            A::Complete,
        ];
        for role in [R::Lead, R::Split, R::Co] {
            for s in states {
                for a in actions {
                    let ok = next(s, a, role, Some(S::Accepted)).is_ok();
                    assert_eq!(ok, allowed(s, role).contains(&a), "{s:?} {a:?} {role:?}");
                }
            }
        }
    }

    #[test]
    fn the_suggestion_status_follows_its_assignments() {
        use SuggestionStatus as St;
        assert_eq!(suggestion_status(&[]), St::Registered);
        assert_eq!(suggestion_status(&[(R::Lead, S::Reassigned)]), St::Registered);
        assert_eq!(suggestion_status(&[(R::Lead, S::Assigned), (R::Co, S::Assigned)]), St::Assigned);
        assert_eq!(suggestion_status(&[(R::Lead, S::Assigned), (R::Co, S::Accepted)]), St::Handling);
        assert_eq!(suggestion_status(&[(R::Lead, S::Replied), (R::Co, S::OpinionGiven)]), St::Replied);
        assert_eq!(suggestion_status(&[(R::Split, S::Replied), (R::Split, S::InProgress)]), St::Handling);
        assert_eq!(
            suggestion_status(&[(R::Lead, S::Completed), (R::Co, S::Completed), (R::Lead, S::Reassigned)]),
            St::Completed
        );
        assert_eq!(suggestion_status(&[(R::Co, S::OpinionGiven), (R::Lead, S::Disputed)]), St::Handling);
    }

    #[test]
    fn assignment_sets_follow_the_rules() {
        let u = || Uuid::now_v7();
        let lead = Planned { unit_id: u(), role: R::Lead };
        let co = Planned { unit_id: u(), role: R::Co };
        assert!(check_set(&[], &[lead, co]).is_empty());
        assert!(check_set(&[lead], &[co]).is_empty(), "a co-handler added later");
        assert_eq!(check_set(&[], &[co])[0].code, "co_without_lead");
        let second = Planned { unit_id: u(), role: R::Lead };
        assert_eq!(check_set(&[lead], &[second])[0].code, "second_lead");
        let split = Planned { unit_id: u(), role: R::Split };
        assert!(check_set(&[], &[split, Planned { unit_id: u(), role: R::Split }]).is_empty());
        assert_eq!(check_set(&[lead], &[split])[0].code, "lead_with_split");
        let again = Planned { unit_id: lead.unit_id, role: R::Co };
        let errors = check_set(&[lead], &[again]);
        assert_eq!((errors[0].code.as_str(), errors[0].field.as_str()), ("duplicate", "units[0]"));
    }
}
