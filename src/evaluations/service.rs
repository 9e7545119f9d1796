//! Evaluation operations: a proposer (or the sync role on their behalf) rates the round
//! once its replies are signed; a first unsatisfied opens a new round for the same units
//! (rule `re_handling`); a later one needs a face-to-face consultation before the item
//! closes. Completion (办结) follows when the replies are submitted and every proposer has
//! evaluated — or, at the office's word, once the evaluation receipt window has passed.

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::assignments::model::{AssignmentRow, NewAssignments, UnitAssignment};
use crate::assignments::rules::Action;
use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::calendar::days::local_date;
use crate::calendar::rules::{self as deadlines, Starts};
use crate::db;
use crate::db::enums::{AssignmentState, CompletionBasis, DeadlineKind, HandlingRole, Source};
use crate::directory;
use crate::error::AppError;
use crate::evaluations::model::*;
use crate::evaluations::queries;
use crate::evaluations::rules::{self, AfterUnsatisfied, RoundFacts};
use crate::http::dates::Day;
use crate::http::text;

/// The current round's live assignments (the highest round).
fn current_round(live: &[AssignmentRow]) -> (i32, Vec<&AssignmentRow>) {
    let round = live.iter().map(|a| a.round).max().unwrap_or(1);
    (round, live.iter().filter(|a| a.round == round).collect())
}

fn answering<'a>(round: &[&'a AssignmentRow]) -> Vec<&'a AssignmentRow> {
    round.iter().copied().filter(|a| a.role != HandlingRole::Co).collect()
}

/// The facts of the round for completion, from the suggestion's evaluations (oldest first).
async fn round_facts(
    conn: &mut AsyncPgConnection,
    suggestion_id: Uuid,
    proposers: Vec<Uuid>,
    (round, rows): (i32, &[&AssignmentRow]),
    evaluations: &[Evaluation],
    clock: &Clock,
) -> Result<RoundFacts, AppError> {
    let ids: Vec<Uuid> = answering(rows).iter().map(|a| a.id).collect();
    let acknowledged = queries::acknowledged(conn, &ids).await?;
    let mut latest: Vec<(Uuid, bool)> = Vec::new();
    let mut last_unsatisfied = None;
    for e in evaluations.iter().filter(|e| e.round == round) {
        let u = rules::unsatisfied(e.work, e.result);
        latest.retain(|(d, _)| *d != e.deputy_id);
        latest.push((e.deputy_id, u));
        if u {
            last_unsatisfied = Some(e.created_at);
        }
    }
    // After an unsatisfied evaluation: a face-to-face consultation, or a formal explanation.
    let consulted = match last_unsatisfied {
        Some(at) => {
            queries::consulted_since(conn, &ids, local_date(at)).await?
                || queries::explained_since(conn, suggestion_id, round, at).await?
        }
        None => false,
    };
    let receipt_passed = match queries::last_replied(conn, &ids).await? {
        Some(replied_on) => {
            let rules = crate::calendar::queries::rules(conn).await?;
            match deadlines::select(&rules, DeadlineKind::EvaluationReceipt, Source::Npc, HandlingRole::Lead) {
                Some(rule) => {
                    let starts = Starts { replied_on: Some(replied_on), ..Default::default() };
                    deadlines::due_date(rule, starts, None, &clock.calendar).is_ok_and(|e| clock.today > e.due_on)
                }
                None => false,
            }
        }
        None => false,
    };
    Ok(RoundFacts {
        round,
        replies_submitted: !ids.is_empty() && acknowledged == ids.len() as i64,
        proposers,
        latest,
        receipt_passed,
        consulted,
    })
}

/// Completes the round's answered assignments (replied, or opinion given).
async fn end_round(conn: &mut AsyncPgConnection, actor: &Actor, rows: &[&AssignmentRow]) -> Result<(), AppError> {
    for a in rows.iter().filter(|a| matches!(a.state, AssignmentState::Replied | AssignmentState::OpinionGiven)) {
        assignments::service::assigning::complete_by_step(conn, actor, a.id, Action::Complete).await?;
    }
    Ok(())
}

/// Completes the round's assignments and records the completion.
async fn complete(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    suggestion_id: Uuid,
    round: i32,
    rows: &[&AssignmentRow],
    basis: CompletionBasis,
    by: Uuid,
) -> Result<Completion, AppError> {
    end_round(conn, actor, rows).await?;
    let c = queries::insert_completion(conn, suggestion_id, round, basis, by).await?;
    let snap = json!({"round": round, "basis": basis});
    let payload = json!({"suggestion_id": suggestion_id, "round": round, "basis": basis});
    audit::record_with_event(
        conn,
        actor,
        "suggestion.complete",
        ("completion", suggestion_id, 1),
        (None, snap),
        "suggestion.completed",
        payload,
    )
    .await?;
    Ok(c)
}

/// Opens the next round for the same units (rule `re_handling` gives its due dates).
async fn new_round(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    suggestion_id: Uuid,
    round: i32,
    rows: &[&AssignmentRow],
    clock: &Clock,
) -> Result<(), AppError> {
    end_round(conn, actor, rows).await?;
    let units = rows
        .iter()
        .map(|a| UnitAssignment {
            unit_id: a.unit_id,
            role: a.role,
            section_id: a.section_id,
            leader_id: a.leader_id,
            liaison_id: a.liaison_id,
        })
        .collect();
    let new = NewAssignments {
        suggestion_id,
        assigned_on: Some(Day(clock.today)),
        round: Some(round + 1),
        units,
        supervisor_id: None,
    };
    assignments::service::assigning::assign(conn, actor, &new, clock.today).await?;
    Ok(())
}

/// A proposer's evaluation of the current round.
pub async fn evaluate(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewEvaluation,
    clock: &Clock,
) -> Result<Evaluation, AppError> {
    let scope = principal.require(Operation::Evaluate)?;
    let comment =
        text::optional_prose("comment", new.comment.as_deref(), 2000).map_err(|e| AppError::validation(vec![e]))?;
    let (deputy_id, on_behalf) = if scope.all {
        (new.deputy_id.ok_or_else(|| AppError::field("deputy_id", "required", "whose evaluation this is"))?, true)
    } else {
        let me = directory::service::viewer(conn, principal)
            .await?
            .deputy_id
            .ok_or_else(|| AppError::not_found("suggestion"))?;
        if new.deputy_id.is_some_and(|d| d != me) {
            return Err(AppError::field("deputy_id", "not_yours", "a deputy evaluates as themselves"));
        }
        (me, false)
    };
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let proposers =
            queries::proposers_for_update(conn, new.suggestion_id).await?.ok_or_else(|| AppError::not_found("suggestion"))?;
        if !proposers.contains(&deputy_id) {
            return Err(if on_behalf {
                AppError::field("deputy_id", "not_a_proposer", "this deputy did not make the suggestion")
            } else {
                AppError::not_found("suggestion")
            });
        }
        if queries::completion(conn, new.suggestion_id).await?.is_some() {
            return Err(AppError::conflict("completed", "the suggestion is completed"));
        }
        let live = queries::live_assignments(conn, new.suggestion_id).await?;
        let (round, rows) = current_round(&live);
        let answering = answering(&rows);
        if answering.is_empty() || answering.iter().any(|a| !matches!(a.state, AssignmentState::Replied | AssignmentState::Completed)) {
            return Err(AppError::conflict("not_replied", "a round is evaluated once its replies are signed"));
        }
        let mut evaluations = queries::of_suggestion(conn, new.suggestion_id).await?;
        let revision = evaluations
            .iter()
            .filter(|e| e.round == round && e.deputy_id == deputy_id)
            .map(|e| e.revision)
            .max()
            .unwrap_or(0)
            + 1;
        let e = queries::insert(
            conn,
            &queries::NewRow {
                id: Uuid::now_v7(),
                suggestion_id: new.suggestion_id,
                round,
                deputy_id,
                revision,
                work: new.work,
                result: new.result,
                comment: comment.as_deref(),
                on_behalf,
                recorded_by: principal.user_id,
            },
        )
        .await?;
        let snap = json!({"round": round, "deputy_id": deputy_id, "revision": revision, "work": e.work, "result": e.result,
            "comment": e.comment, "on_behalf": on_behalf});
        let payload = json!({"id": e.id, "suggestion_id": e.suggestion_id, "round": round, "revision": revision,
            "work": e.work, "result": e.result});
        audit::record_with_event(conn, &actor, "evaluation.record", ("evaluation", e.id, revision), (None, snap), "evaluation.recorded", payload)
            .await?;
        if rules::unsatisfied(e.work, e.result) && rules::after_unsatisfied(round) == AfterUnsatisfied::NewRound {
            new_round(conn, &actor, new.suggestion_id, round, &rows, clock).await?;
            return Ok(e);
        }
        evaluations.push(e.clone());
        let facts = round_facts(conn, new.suggestion_id, proposers, (round, &rows), &evaluations, clock).await?;
        if let Ok(CompletionBasis::Evaluated) = rules::completion(&facts) {
            complete(conn, &actor, new.suggestion_id, round, &rows, CompletionBasis::Evaluated, principal.user_id).await?;
        }
        Ok(e)
    })
    .await
}

/// The office completes a suggestion: every proposer evaluated, or the receipt window
/// passed (the basis is recorded); else 409 saying what is missing.
pub async fn close(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    suggestion_id: Uuid,
    clock: &Clock,
) -> Result<Completion, AppError> {
    principal.require(Operation::Submit)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let proposers = queries::proposers_for_update(conn, suggestion_id)
            .await?
            .ok_or_else(|| AppError::not_found("suggestion"))?;
        if queries::completion(conn, suggestion_id).await?.is_some() {
            return Err(AppError::conflict("completed", "the suggestion is completed"));
        }
        let live = queries::live_assignments(conn, suggestion_id).await?;
        let (round, rows) = current_round(&live);
        let evaluations = queries::of_suggestion(conn, suggestion_id).await?;
        let facts = round_facts(conn, suggestion_id, proposers, (round, &rows), &evaluations, clock).await?;
        let basis = rules::completion(&facts).map_err(|why| {
            let detail = match why {
                "replies_not_submitted" => "not every reply of the round is submitted and acknowledged",
                "unsatisfied" => "a proposer is unsatisfied: a new round, or a face-to-face consultation, comes first",
                _ => "not every proposer has evaluated, and the receipt window has not passed",
            };
            AppError::conflict("not_completable", detail).with_extra("reason", why)
        })?;
        complete(conn, &actor, suggestion_id, round, &rows, basis, principal.user_id).await
    })
    .await
}

/// The office records a formal explanation (书面说明) to a proposer who is unsatisfied
/// again after re-handling; the suggestion then completes as its evaluations allow.
pub async fn explain(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    new: &NewFormalExplanation,
    clock: &Clock,
) -> Result<FormalExplanation, AppError> {
    principal.require(Operation::Submit)?;
    let text = text::optional_prose("text", Some(&new.text), 5000)
        .map_err(|e| AppError::validation(vec![e]))?
        .ok_or_else(|| AppError::field("text", "required", "an explanation says something"))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let proposers = queries::proposers_for_update(conn, new.suggestion_id)
            .await?
            .ok_or_else(|| AppError::not_found("suggestion"))?;
        if queries::completion(conn, new.suggestion_id).await?.is_some() {
            return Err(AppError::conflict("completed", "the suggestion is completed"));
        }
        let live = queries::live_assignments(conn, new.suggestion_id).await?;
        let (round, rows) = current_round(&live);
        let x = queries::insert_explanation(conn, new.suggestion_id, round, &text, principal.user_id).await?;
        let snap = json!({"round": round, "text": x.text});
        let payload = json!({"id": x.id, "suggestion_id": x.suggestion_id, "round": round});
        audit::record_with_event(
            conn,
            &actor,
            "explanation.record",
            ("explanation", x.id, 1),
            (None, snap),
            "explanation.recorded",
            payload,
        )
        .await?;
        let evaluations = queries::of_suggestion(conn, new.suggestion_id).await?;
        let facts = round_facts(conn, new.suggestion_id, proposers, (round, &rows), &evaluations, clock).await?;
        if let Ok(CompletionBasis::Evaluated) = rules::completion(&facts) {
            complete(conn, &actor, new.suggestion_id, round, &rows, CompletionBasis::Evaluated, principal.user_id)
                .await?;
        }
        Ok(x)
    })
    .await
}

/// Who reads evaluations: the office, leaders and admins; a unit those of what it
/// handles; the sync role; a deputy their own suggestions'.
pub async fn list(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    suggestion_id: Uuid,
) -> Result<Vec<Evaluation>, AppError> {
    let supervision = principal.scope(Operation::SupervisionRead);
    let evaluate = principal.scope(Operation::Evaluate);
    if supervision.is_empty() && evaluate.is_empty() {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    let allowed = if supervision.all || evaluate.all {
        true
    } else if let (true, Some(unit)) = (supervision.own_unit, principal.unit_id) {
        crate::auth::access::reaches(conn, unit, &[crate::db::enums::AccessKind::Unit], suggestion_id).await?
    } else {
        let me = directory::service::viewer(conn, principal).await?.deputy_id;
        let proposers = queries::proposers(conn, suggestion_id).await?.unwrap_or_default();
        me.is_some_and(|d| proposers.contains(&d))
    };
    if !allowed {
        return Err(AppError::not_found("suggestion"));
    }
    Ok(queries::of_suggestion(conn, suggestion_id).await?)
}
