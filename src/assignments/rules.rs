//! The rules of assignment as pure functions: which units may be assigned together, the
//! assignment's state machine, and the suggestion's status derived from its assignments.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::FieldError;
use crate::suggestions::model::SuggestionStatus;

pub use crate::db::enums::{AssignmentState, HandlingRole};

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
    /// Another unit's reply, made in its own system, recorded from the municipal system.
    ReplyRemotely,
    Complete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::Start => "start",
            Action::Dispute => "dispute",
            Action::AcceptDispute => "accept_dispute",
            Action::RefuseDispute => "refuse_dispute",
            Action::Reply => "reply",
            Action::GiveOpinion => "give_opinion",
            Action::ReplyRemotely => "reply_remotely",
            Action::Complete => "complete",
        }
    }
}

/// Which handling roles an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Roles {
    Any,
    /// Lead and split units: they answer the deputy.
    Answering,
    Co,
}

impl Roles {
    fn admit(self, role: HandlingRole) -> bool {
        match self {
            Roles::Any => true,
            Roles::Answering => role != HandlingRole::Co,
            Roles::Co => role == HandlingRole::Co,
        }
    }
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    To(AssignmentState),
    /// Back to the state before the dispute (accepted when unknown).
    BeforeDispute,
}

/// The state machine, written once: from which states, which action, for which roles,
/// to where.
const TRANSITIONS: &[(&[AssignmentState], Action, Roles, Target)] = {
    use Action as A;
    use AssignmentState as S;
    use Target::To;
    &[
        (&[S::Assigned], A::SignIn, Roles::Any, To(S::Accepted)),
        (&[S::Accepted], A::Start, Roles::Any, To(S::InProgress)),
        (&[S::Assigned, S::Accepted, S::InProgress], A::Dispute, Roles::Any, To(S::Disputed)),
        (&[S::Accepted, S::InProgress], A::Reply, Roles::Answering, To(S::Replied)),
        (&[S::Accepted, S::InProgress], A::GiveOpinion, Roles::Co, To(S::OpinionGiven)),
        (&[S::Assigned, S::Accepted, S::InProgress], A::ReplyRemotely, Roles::Answering, To(S::Replied)),
        (&[S::Disputed], A::AcceptDispute, Roles::Any, To(S::Reassigned)),
        (&[S::Disputed], A::RefuseDispute, Roles::Any, Target::BeforeDispute),
        (&[S::Replied, S::OpinionGiven], A::Complete, Roles::Any, To(S::Completed)),
    ]
};

fn transitions(state: AssignmentState, role: HandlingRole) -> impl Iterator<Item = (Action, Target)> {
    TRANSITIONS
        .iter()
        .filter(move |(from, _, roles, _)| from.contains(&state) && roles.admit(role))
        .map(|(_, action, _, target)| (*action, *target))
}

/// The state an action leads to, or the actions allowed instead. `before_dispute` is the
/// state a refused dispute returns to.
pub fn next(
    state: AssignmentState,
    action: Action,
    role: HandlingRole,
    before_dispute: Option<AssignmentState>,
) -> Result<AssignmentState, Vec<Action>> {
    match transitions(state, role).find(|(a, _)| *a == action) {
        Some((_, Target::To(to))) => Ok(to),
        Some((_, Target::BeforeDispute)) => {
            Ok(before_dispute.filter(|s| *s != AssignmentState::Disputed).unwrap_or(AssignmentState::Accepted))
        }
        None => Err(allowed(state, role)),
    }
}

/// The actions allowed in a state, in the table's order — but another unit's reply
/// reported from the municipal system, which no caller takes on an assignment.
pub fn allowed(state: AssignmentState, role: HandlingRole) -> Vec<Action> {
    transitions(state, role).map(|(a, _)| a).filter(|a| *a != Action::ReplyRemotely).collect()
}

/// The suggestion's status from its assignments (role and state of each).
pub fn suggestion_status(assignments: &[(HandlingRole, AssignmentState)]) -> SuggestionStatus {
    use AssignmentState as S;
    let live: Vec<_> = assignments.iter().filter(|(_, s)| *s != S::Reassigned).collect();
    if live.is_empty() {
        return SuggestionStatus::Registered;
    }
    let answering: Vec<_> = live.iter().filter(|(r, _)| *r != HandlingRole::Co).collect();
    // Completed (办结) with its replies: a co-handler whose opinion the office waived does
    // not hold it open.
    if !answering.is_empty() && answering.iter().all(|(_, s)| *s == S::Completed) {
        return SuggestionStatus::Completed;
    }
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
        // Another unit's reply reported from the municipal system answers from any open state.
        assert_eq!(next(S::Assigned, A::ReplyRemotely, R::Lead, None), Ok(S::Replied));
        assert!(next(S::Assigned, A::ReplyRemotely, R::Co, None).is_err());
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
        assert_eq!(suggestion_status(&[(R::Lead, S::Completed), (R::Co, S::Accepted)]), St::Completed);
        assert_eq!(
            suggestion_status(&[(R::Lead, S::Completed), (R::Lead, S::Assigned), (R::Co, S::Assigned)]),
            St::Handling,
            "a new round is being handled"
        );
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
