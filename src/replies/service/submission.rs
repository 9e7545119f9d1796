//! Submission (报送): the office submits a signed reply to the municipal system; the sync
//! role pages through what is pending and marks each sent, acknowledged (with the remote
//! reference) or failed (with the reason). A mark that repeats one already made changes
//! nothing and answers 200, so that a sync job can retry any call; each move is an event.
//! The office sends a failed one again.

use std::collections::HashMap;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::ReplyState;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies::model::{Submission, SubmissionRow};
use crate::replies::queries::{self, SubmissionChanges};
use crate::replies::rules::{self, SubmissionMove, SubmissionStep};

/// The office and the sync role read submissions.
pub fn may_read(principal: &Principal) -> Result<(), AppError> {
    if principal.scope(Operation::Submit).is_empty() && principal.scope(Operation::MarkAcknowledged).is_empty() {
        return Err(AppError::forbidden("your roles do not allow this operation"));
    }
    Ok(())
}

/// Submissions as answers show them (one query for their facts).
pub async fn to_submissions(
    conn: &mut AsyncPgConnection,
    rows: Vec<SubmissionRow>,
) -> Result<Vec<Submission>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.reply_id).collect();
    let mut facts: HashMap<Uuid, _> = queries::submission_facts(conn, &ids).await?.into_iter().collect();
    rows.into_iter()
        .map(|r| {
            let f = facts.remove(&r.reply_id).ok_or_else(|| AppError::internal("a submission without its reply"))?;
            Ok(Submission::new(r, f))
        })
        .collect()
}

pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Submission, AppError> {
    may_read(principal)?;
    let row = queries::submission(conn, id).await?.ok_or_else(|| AppError::not_found("submission"))?;
    Ok(to_submissions(conn, vec![row]).await?.remove(0))
}

async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&SubmissionRow>,
    after: &SubmissionRow,
    kind: &'static str,
) -> Result<(), AppError> {
    let snap = |s: &SubmissionRow| json!({"state": s.state, "attempts": s.attempts, "remote_ref": s.remote_ref, "failure_reason": s.failure_reason});
    let payload = json!({
        "id": after.id, "reply_id": after.reply_id, "suggestion_id": after.suggestion_id, "state": after.state,
        "attempts": after.attempts, "version": after.version,
    });
    let snaps = (before.map(snap), snap(after));
    Ok(audit::record_with_event(conn, actor, action, ("submission", after.id, after.version), snaps, kind, payload)
        .await?)
}

/// The office submits a signed reply (once).
pub async fn submit(conn: &mut AsyncPgConnection, principal: &Principal, reply_id: Uuid) -> Result<Uuid, AppError> {
    principal.require(Operation::Submit)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let reply = queries::for_update(conn, reply_id)
            .await?
            .filter(|r| r.submitted_at.is_some())
            .ok_or_else(|| AppError::not_found("reply"))?;
        if reply.state != ReplyState::Signed {
            return Err(AppError::conflict(
                "not_signed",
                format!("the reply is {}: a reply is submitted once its signed scan is attached", reply.state.as_str()),
            ));
        }
        let row = queries::insert_submission(conn, &reply, principal.user_id).await.map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("already_submitted", "this reply is submitted already")
            }
            e => e.into(),
        })?;
        record(conn, &actor, "submission.create", None, &row, "submission.created").await?;
        Ok(row.id)
    })
    .await
}

/// A mark by the sync role, or the office's retry.
pub async fn mark(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    mv: SubmissionMove<'_>,
    reason: Option<&str>,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    match mv {
        SubmissionMove::Retry => principal.require(Operation::Submit)?,
        _ => principal.require(Operation::MarkAcknowledged)?,
    };
    let reason = match reason {
        Some(r) => Some(
            text::optional_prose("reason", Some(r), 2000)
                .map_err(|e| AppError::validation(vec![e]))?
                .ok_or_else(|| AppError::field("reason", "required", "a failure says why"))?,
        ),
        None => None,
    };
    if let SubmissionMove::Acknowledged(r) = mv {
        text::name("remote_ref", r, 100).map_err(|e| AppError::validation(vec![e]))?;
    }
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before =
            queries::submission_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("submission"))?;
        let to = match rules::submission_next(before.state, before.remote_ref.as_deref(), &mv) {
            SubmissionStep::To(to) => to,
            // A repeated mark: nothing to do, whatever version the caller read.
            SubmissionStep::Repeat => return Ok(()),
            SubmissionStep::NotNow => {
                let detail = format!("not possible while the submission is {}", before.state.as_str());
                return Err(AppError::conflict("illegal_transition", detail).with_extra("state", before.state.as_str()));
            }
        };
        if_match.check(before.version)?;
        let now = Utc::now();
        let mut changes = SubmissionChanges::default();
        let (action, kind) = match &mv {
            SubmissionMove::Sent => {
                changes.attempts = Some(before.attempts + 1);
                changes.sent_at = Some(now);
                ("submission.sent", "submission.sent")
            }
            SubmissionMove::Acknowledged(r) => {
                changes.remote_ref = Some(Some(r));
                changes.failure_reason = Some(None);
                changes.acknowledged_at = Some(now);
                ("submission.acknowledge", "submission.acknowledged")
            }
            SubmissionMove::Failed => {
                changes.failure_reason = Some(reason.as_deref());
                changes.failed_at = Some(now);
                ("submission.fail", "submission.failed")
            }
            SubmissionMove::Retry => {
                changes.failure_reason = Some(None);
                ("submission.retry", "submission.retried")
            }
        };
        let after = queries::move_submission(conn, id, to, &changes).await?;
        record(conn, &actor, action, Some(&before), &after, kind).await
    })
    .await
}
