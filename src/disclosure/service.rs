//! Disclosure operations: the office's decision (public, summary, withheld), the deputy's
//! consent, publishing with its deadline; and the public's reads of what is published,
//! with confidential names covered. Each change writes its audit row and event.

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{Operation, Principal};
use crate::calendar::Clock;
use crate::db;
use crate::db::enums::{DisclosureMode, ReplyState};
use crate::disclosure::model::*;
use crate::disclosure::queries::{self, PublicQuery};
use crate::disclosure::rules;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies;
use crate::replies::model::ReplyRow;

async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&DisclosureRow>,
    after: &DisclosureRow,
    kind: &'static str,
) -> Result<(), AppError> {
    let snap = |d: &DisclosureRow| {
        json!({"mode": d.mode, "summary": d.summary, "withheld_reason": d.withheld_reason, "consent": d.consent,
            "published_at": d.published_at})
    };
    let payload = json!({"reply_id": after.reply_id, "mode": after.mode, "consent": after.consent,
        "published": after.published_at.is_some(), "version": after.version});
    let snaps = (before.map(snap), snap(after));
    Ok(audit::record_with_event(
        conn,
        actor,
        action,
        ("disclosure", after.reply_id, after.version),
        snaps,
        kind,
        payload,
    )
    .await?)
}

/// The reply, locked, when the office may decide on its disclosure: sent to review at least once.
async fn reply_for_office(conn: &mut AsyncPgConnection, reply_id: Uuid) -> Result<ReplyRow, AppError> {
    replies::queries::for_update(conn, reply_id)
        .await?
        .filter(|r| r.submitted_at.is_some())
        .ok_or_else(|| AppError::not_found("reply"))
}

fn published_already() -> AppError {
    AppError::conflict("published", "the reply is published; its disclosure no longer changes")
}

/// The office decides how a reply is disclosed (during review or after). `If-Match`: the
/// disclosure's ETag, or `*` for the first decision.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    reply_id: Uuid,
    input: &DisclosureInput,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::Submit)?;
    let mut errors = Vec::new();
    let summary =
        text::optional_prose("summary", input.summary.as_deref(), 5000).map_err(|e| errors.push(e)).ok().flatten();
    let reason = text::optional_prose("withheld_reason", input.withheld_reason.as_deref(), 2000)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if let Err((field, code)) = rules::check_mode(input.mode, summary.as_deref(), reason.as_deref()) {
        let message = if code == "required" { "required for this mode" } else { "only with its own mode" };
        return Err(AppError::field(field, code, message));
    }
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        reply_for_office(conn, reply_id).await?;
        let before = queries::for_update(conn, reply_id).await?;
        if let Some(b) = &before {
            if_match.check(b.version)?;
            if b.published_at.is_some() {
                return Err(published_already());
            }
        }
        let after =
            queries::decide(conn, reply_id, input.mode, summary.as_deref(), reason.as_deref(), principal.user_id)
                .await?;
        record(conn, &actor, "disclosure.decide", before.as_ref(), &after, "disclosure.decided").await
    })
    .await
}

/// The deputy's answer to whether the reply may be published, as the office records it.
pub async fn consent(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    reply_id: Uuid,
    input: &ConsentInput,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::Submit)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        reply_for_office(conn, reply_id).await?;
        let before = queries::for_update(conn, reply_id).await?.ok_or_else(|| AppError::not_found("disclosure"))?;
        if_match.check(before.version)?;
        if before.published_at.is_some() {
            return Err(published_already());
        }
        let after = queries::set_consent(conn, reply_id, input.consent).await?;
        record(conn, &actor, "disclosure.consent", Some(&before), &after, "disclosure.consent_recorded").await
    })
    .await
}

/// The office publishes a signed reply: never a withheld one, nor one the deputy refused.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    reply_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::Submit)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let reply = reply_for_office(conn, reply_id).await?;
        let before = queries::for_update(conn, reply_id).await?.ok_or_else(|| {
            AppError::conflict("no_disclosure", "decide how the reply is disclosed before publishing it")
        })?;
        if_match.check(before.version)?;
        if before.published_at.is_some() {
            return Err(published_already());
        }
        if reply.state != ReplyState::Signed {
            return Err(AppError::conflict("not_signed", "a reply is published once signed"));
        }
        if let Err(code) = rules::publishable(before.mode, before.consent) {
            let detail = match code {
                "withheld" => "a withheld reply is never published",
                _ => "the deputy refused publication",
            };
            return Err(AppError::conflict(code, detail));
        }
        let after = queries::publish(conn, reply_id, principal.user_id).await?;
        record(conn, &actor, "disclosure.publish", Some(&before), &after, "disclosure.published").await
    })
    .await
}

/// A disclosure, for those who read the reply (not a deputy), with its deadline.
pub async fn read(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    reply_id: Uuid,
    clock: &Clock,
) -> Result<Disclosure, AppError> {
    let scope = replies::service::reader(conn, principal).await?;
    if !(scope.submitted || scope.unit.is_some()) {
        return Err(AppError::not_found("reply"));
    }
    let reply = replies::queries::reply(conn, reply_id, scope).await?.ok_or_else(|| AppError::not_found("reply"))?;
    let d = queries::get(conn, reply_id).await?.ok_or_else(|| AppError::not_found("disclosure"))?;
    let due_on = match (reply.signed_on, d.mode) {
        (Some(signed), m) if m != DisclosureMode::Withheld => {
            let deadline_rules = crate::calendar::queries::rules(conn).await?;
            let facts = replies::queries::letter_facts(conn, reply.suggestion_id).await?;
            let source = facts.first().map(|f| f.source).ok_or_else(|| AppError::not_found("suggestion"))?;
            rules::publication_due(&deadline_rules, source, signed, &clock.calendar)
        }
        _ => None,
    };
    let due_state = due_on.filter(|_| d.published_at.is_none()).map(|day| clock.due_state(day));
    Ok(Disclosure {
        reply_id: d.reply_id,
        mode: d.mode,
        summary: d.summary,
        withheld_reason: d.withheld_reason,
        consent: d.consent,
        consent_at: d.consent_at,
        decided_by: d.decided_by,
        published_at: d.published_at,
        published_by: d.published_by,
        due_on,
        due_state,
        version: d.version,
        updated_at: d.updated_at,
    })
}

/// Published replies as the public reads them: the reply's text or summary, with every
/// confidential proposer's name covered (two queries).
pub async fn published(conn: &mut AsyncPgConnection, q: &PublicQuery) -> Result<Vec<PublicReply>, AppError> {
    let rows = queries::published(conn, q).await?;
    let ids: Vec<Uuid> = rows.iter().flat_map(|r| r.deputy_ids.iter().copied()).collect();
    let hidden = queries::confidential_names(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let text = replies::body::text_of(rules::public_text(r.mode, &r.body, r.summary.as_deref()));
            PublicReply {
                id: r.reply_id,
                title: replies::rules::letter_title(r.source, r.session_label.as_deref(), &r.external_no),
                suggestion_title: rules::redact(&r.title, &hidden),
                source: r.source,
                year: r.year,
                external_no: r.external_no,
                unit: r.unit_name,
                class: r.class,
                doc_no: r.doc_no,
                mode: r.mode,
                text: rules::redact(&text, &hidden),
                replied_on: r.signed_on,
                published_at: r.published_at,
            }
        })
        .collect())
}
