//! The rules of evaluation and completion (办结), as plain functions.

use uuid::Uuid;

use crate::db::enums::{CompletionBasis, Rating};

/// An evaluation is unsatisfied when the work or the result is.
pub fn unsatisfied(work: Rating, result: Rating) -> bool {
    work == Rating::Unsatisfied || result == Rating::Unsatisfied
}

/// What an unsatisfied evaluation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterUnsatisfied {
    /// The first: a new round for the same units (rule `re_handling`).
    NewRound,
    /// Again: a face-to-face consultation before the item can close.
    Consultation,
}

pub fn after_unsatisfied(round: i32) -> AfterUnsatisfied {
    if round <= 1 { AfterUnsatisfied::NewRound } else { AfterUnsatisfied::Consultation }
}

/// Where a round stands for completion.
#[derive(Debug, Clone, Default)]
pub struct RoundFacts {
    pub round: i32,
    /// Every lead and split reply of the round is submitted and acknowledged.
    pub replies_submitted: bool,
    /// The proposers (proposer and co-signers).
    pub proposers: Vec<Uuid>,
    /// Each proposer's latest evaluation in the round: unsatisfied or not.
    pub latest: Vec<(Uuid, bool)>,
    /// The evaluation receipt window (rule `evaluation_receipt`) has passed.
    pub receipt_passed: bool,
    /// A face-to-face consultation followed an unsatisfied evaluation in a later round.
    pub consulted: bool,
}

/// Whether the round completes the suggestion, and on what basis; or what is missing.
pub fn completion(f: &RoundFacts) -> Result<CompletionBasis, &'static str> {
    if !f.replies_submitted {
        return Err("replies_not_submitted");
    }
    let unsatisfied = f.latest.iter().any(|(_, u)| *u);
    if unsatisfied && (after_unsatisfied(f.round) == AfterUnsatisfied::NewRound || !f.consulted) {
        return Err("unsatisfied");
    }
    let all = f.proposers.iter().all(|p| f.latest.iter().any(|(d, _)| d == p));
    if all && !f.proposers.is_empty() {
        Ok(CompletionBasis::Evaluated)
    } else if f.receipt_passed {
        Ok(CompletionBasis::ReceiptWindow)
    } else {
        Err("evaluations_missing")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RoundFacts {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        RoundFacts {
            round: 1,
            replies_submitted: true,
            proposers: vec![a, b],
            latest: vec![(a, false), (b, false)],
            ..Default::default()
        }
    }

    #[test]
    fn every_proposer_satisfied_completes_it() {
        assert_eq!(completion(&facts()), Ok(CompletionBasis::Evaluated));
        assert!(unsatisfied(Rating::Satisfied, Rating::Unsatisfied));
        assert!(!unsatisfied(Rating::BasicallySatisfied, Rating::Satisfied));
    }

    #[test]
    fn a_missing_evaluation_waits_for_the_receipt_window() {
        let mut f = facts();
        f.latest.pop();
        assert_eq!(completion(&f), Err("evaluations_missing"));
        f.receipt_passed = true;
        assert_eq!(completion(&f), Ok(CompletionBasis::ReceiptWindow));
    }

    #[test]
    fn nothing_completes_before_the_replies_are_submitted() {
        let f = RoundFacts { replies_submitted: false, ..facts() };
        assert_eq!(completion(&f), Err("replies_not_submitted"));
    }

    #[test]
    fn unsatisfied_opens_a_round_then_needs_a_consultation() {
        let mut f = facts();
        f.latest[0].1 = true;
        assert_eq!(completion(&f), Err("unsatisfied"));
        assert_eq!(after_unsatisfied(1), AfterUnsatisfied::NewRound);
        f.round = 2;
        assert_eq!(after_unsatisfied(2), AfterUnsatisfied::Consultation);
        assert_eq!(completion(&f), Err("unsatisfied"));
        f.consulted = true;
        assert_eq!(completion(&f), Ok(CompletionBasis::Evaluated));
    }
}
