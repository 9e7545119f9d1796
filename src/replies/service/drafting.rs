//! Drafting: the section that holds a lead or split assignment drafts its reply; every
//! save is a new revision (a change after sign-off asks the co-handlers again); the
//! revisions can be listed and compared.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments;
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::{AssignmentState, HandlingRole, ReplyClass};
use crate::directory;
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;
use crate::http::text;
use crate::replies::body;
use crate::replies::model::*;
use crate::replies::queries::{self, LetterFacts, NewReplyRow, NewSignoffRow};
use crate::replies::rules::{self, ReplyAction};
use crate::replies::service::{co_handlers, drafts_for, illegal, reader, record};

/// The fields a save may give; absent ones keep the previous revision's.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    pub body: Option<&'a str>,
    pub class: Option<ReplyClass>,
    pub doc_no: Option<&'a str>,
    pub signer: Option<&'a str>,
    pub leader_name: Option<&'a str>,
    pub leader_phone: Option<&'a str>,
    pub handler_name: Option<&'a str>,
    pub handler_phone: Option<&'a str>,
    pub cc_units: Option<&'a [String]>,
    pub points: Option<&'a [String]>,
}

impl<'a> From<&'a NewReply> for Fields<'a> {
    fn from(n: &'a NewReply) -> Self {
        Fields {
            body: n.body.as_deref(),
            class: n.class,
            doc_no: n.doc_no.as_deref(),
            signer: n.signer.as_deref(),
            leader_name: n.leader_name.as_deref(),
            leader_phone: n.leader_phone.as_deref(),
            handler_name: n.handler_name.as_deref(),
            handler_phone: n.handler_phone.as_deref(),
            cc_units: Some(&n.cc_units),
            points: Some(&n.points),
        }
    }
}

impl<'a> From<&'a ReplyPatch> for Fields<'a> {
    fn from(p: &'a ReplyPatch) -> Self {
        Fields {
            body: p.body.as_deref(),
            class: p.class,
            doc_no: p.doc_no.as_deref(),
            signer: p.signer.as_deref(),
            leader_name: p.leader_name.as_deref(),
            leader_phone: p.leader_phone.as_deref(),
            handler_name: p.handler_name.as_deref(),
            handler_phone: p.handler_phone.as_deref(),
            cc_units: p.cc_units.as_deref(),
            points: p.points.as_deref(),
        }
    }
}

/// Checked fields: every error at once.
#[derive(Debug, Default)]
struct Checked {
    body: Option<String>,
    doc_no: Option<Option<String>>,
    signer: Option<Option<String>>,
    leader_name: Option<Option<String>>,
    leader_phone: Option<Option<String>>,
    handler_name: Option<Option<String>>,
    handler_phone: Option<Option<String>>,
    cc_units: Option<Vec<String>>,
    points: Option<Vec<String>>,
}

fn list(
    field: &str,
    values: Option<&[String]>,
    max_items: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let values = values?;
    if values.len() > max_items {
        errors.push(FieldError::new(field, "too_many", format!("at most {max_items}")));
        return None;
    }
    let mut out = Vec::new();
    for v in values {
        match text::name(field, v, max) {
            Ok(v) if !out.contains(&v) => out.push(v),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    Some(out)
}

fn check(f: &Fields<'_>, classes: &[ReplyClass]) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let mut c = Checked::default();
    if let Some(b) = f.body {
        match body::clean(b) {
            Ok(b) => c.body = Some(b.markdown),
            Err("too_long") => {
                errors.push(FieldError::new("body", "too_long", format!("at most {} characters", body::MAX_CHARS)))
            }
            Err(_) => errors.push(FieldError::new("body", "required", "the body has no text")),
        }
    }
    if let Some(class) = f.class
        && !classes.contains(&class)
    {
        let names: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
        errors.push(FieldError::new("class", "not_in_use", format!("the classes in use are {}", names.join(", "))));
    }
    let mut opt = |field: &str, v: Option<&str>, max: usize| -> Option<Option<String>> {
        let v = v?;
        text::optional_text(field, Some(v), max).map_err(|e| errors.push(e)).ok()
    };
    c.doc_no = opt("doc_no", f.doc_no, 100);
    c.signer = opt("signer", f.signer, 50);
    c.leader_name = opt("leader_name", f.leader_name, 50);
    c.handler_name = opt("handler_name", f.handler_name, 50);
    for (field, v, slot) in [
        ("leader_phone", f.leader_phone, &mut c.leader_phone),
        ("handler_phone", f.handler_phone, &mut c.handler_phone),
    ] {
        if let Some(v) = v {
            match directory::rules::phone(Some(v)) {
                Ok(p) => *slot = Some(p),
                Err(e) => errors.push(FieldError::new(field, &e.code, e.message)),
            }
        }
    }
    c.cc_units = list("cc_units", f.cc_units, 20, 100, &mut errors);
    c.points = list("points", f.points, 50, 500, &mut errors);
    if errors.is_empty() { Ok(c) } else { Err(AppError::validation(errors)) }
}

/// The names of the co-handling units of the suggestion in this round.
async fn co_unit_names(conn: &mut AsyncPgConnection, suggestion_id: Uuid, round: i32) -> Result<Vec<String>, AppError> {
    Ok(co_handlers(conn, suggestion_id, round).await?.into_iter().map(|c| c.name).collect())
}

/// The next revision: the checked fields over the previous one.
fn revise(
    prev: &RevisionRow,
    c: Checked,
    facts: &LetterFacts,
    co_units: &[String],
    by: Uuid,
    class: Option<ReplyClass>,
) -> RevisionRow {
    let given = c.cc_units.unwrap_or_else(|| prev.cc_units.clone());
    RevisionRow {
        reply_id: prev.reply_id,
        revision: prev.revision + 1,
        class: class.or(prev.class),
        body: c.body.unwrap_or_else(|| prev.body.clone()),
        doc_no: c.doc_no.unwrap_or_else(|| prev.doc_no.clone()),
        signer: c.signer.unwrap_or_else(|| prev.signer.clone()),
        leader_name: c.leader_name.unwrap_or_else(|| prev.leader_name.clone()),
        leader_phone: c.leader_phone.unwrap_or_else(|| prev.leader_phone.clone()),
        handler_name: c.handler_name.unwrap_or_else(|| prev.handler_name.clone()),
        handler_phone: c.handler_phone.unwrap_or_else(|| prev.handler_phone.clone()),
        cc_units: rules::cc_list(co_units, &given, facts.source),
        points: c.points.unwrap_or_else(|| prev.points.clone()),
        template_id: prev.template_id,
        saved_by: by,
        saved_at: Utc::now(),
    }
}

/// The section drafts a reply on its lead or split assignment (one per assignment).
pub async fn draft(conn: &mut AsyncPgConnection, principal: &Principal, new: &NewReply) -> Result<Uuid, AppError> {
    principal.require(Operation::ReplyDraft)?;
    let settings = directory::settings::get(conn).await?;
    let checked = check(&Fields::from(new), &settings.reply_classes)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let a = assignments::queries::for_update(conn, new.assignment_id)
            .await?
            .filter(|a| matches!(a.role, HandlingRole::Lead | HandlingRole::Split))
            .filter(|a| a.state != AssignmentState::Reassigned)
            .filter(|a| drafts_for(principal, a.unit_id, a.section_id))
            .ok_or_else(|| AppError::not_found("assignment"))?;
        if !matches!(a.state, AssignmentState::Accepted | AssignmentState::InProgress) {
            return Err(AppError::conflict(
                "not_handling",
                format!(
                    "the assignment is {}: a reply is drafted once it is signed in and before it is answered",
                    a.state.as_str()
                ),
            ));
        }
        if queries::exists_for(conn, a.id).await? {
            return Err(AppError::conflict("reply_exists", "this assignment has its reply already; revise it"));
        }
        let facts = queries::letter_facts(conn, a.suggestion_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("suggestion"))?;
        let mut checked = checked;
        let mut template_id = None;
        if checked.body.is_none() {
            let t = match new.template_id {
                Some(t) => queries::template(conn, t)
                    .await?
                    .ok_or_else(|| AppError::field("template_id", "not_found", "no such template"))?,
                None => return Err(AppError::field("body", "required", "give a body or a template")),
            };
            let proposers = super::letters::proposers(conn, &facts).await?;
            let filled = rules::fill_template(
                &t.body,
                &facts.title,
                &facts.external_no,
                &rules::addressee(facts.source, &proposers),
            );
            checked.body = Some(
                body::clean(&filled)
                    .map_err(|_| AppError::field("template_id", "empty", "the template has no text"))?
                    .markdown,
            );
            template_id = Some(t.id);
        }
        let co_units = co_unit_names(conn, a.suggestion_id, a.round).await?;
        let reply = queries::insert(
            conn,
            &NewReplyRow {
                id: Uuid::now_v7(),
                assignment_id: a.id,
                suggestion_id: a.suggestion_id,
                unit_id: a.unit_id,
                section_id: a.section_id,
                round: a.round,
                drafted_by: principal.user_id,
            },
        )
        .await?;
        let empty = RevisionRow {
            reply_id: reply.id,
            revision: 0,
            class: None,
            body: String::new(),
            doc_no: None,
            signer: None,
            leader_name: None,
            leader_phone: None,
            handler_name: None,
            handler_phone: None,
            cc_units: Vec::new(),
            points: Vec::new(),
            template_id,
            saved_by: principal.user_id,
            saved_at: Utc::now(),
        };
        let first = revise(&empty, checked, &facts, &co_units, principal.user_id, new.class);
        queries::insert_revision(conn, &first).await?;
        record(conn, &actor, "reply.draft", None, &reply, "reply.drafted", json!({})).await?;
        Ok(reply.id)
    })
    .await
}

/// Locks a reply the caller drafts for (else 404), checking `If-Match`.
pub(super) async fn locked_own(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<ReplyRow, AppError> {
    let row = queries::for_update(conn, id)
        .await?
        .filter(|r| drafts_for(principal, r.unit_id, r.section_id))
        .ok_or_else(|| AppError::not_found("reply"))?;
    if_match.check(row.version)?;
    Ok(row)
}

/// Saves a new revision of a draft. Sign-offs given on an earlier revision are
/// superseded and the same co-handlers are asked again about the new one.
pub async fn edit(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    patch: &ReplyPatch,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    principal.require(Operation::ReplyDraft)?;
    let settings = directory::settings::get(conn).await?;
    let checked = check(&Fields::from(patch), &settings.reply_classes)?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let before = locked_own(conn, principal, id, if_match).await?;
        let to = rules::next(before.state, ReplyAction::Edit).ok_or_else(|| illegal(before.state))?;
        let prev = queries::revision(conn, id, before.revision)
            .await?
            .ok_or_else(|| AppError::internal("no current revision"))?;
        let facts = queries::letter_facts(conn, before.suggestion_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("suggestion"))?;
        let co_units = co_unit_names(conn, before.suggestion_id, before.round).await?;
        let next = revise(&prev, checked, &facts, &co_units, principal.user_id, patch.class);
        queries::insert_revision(conn, &next).await?;
        let superseded = queries::supersede(conn, id).await?;
        let again: Vec<NewSignoffRow> = superseded
            .iter()
            .map(|s| NewSignoffRow {
                id: Uuid::now_v7(),
                reply_id: id,
                revision: next.revision,
                assignment_id: s.assignment_id,
                unit_id: s.unit_id,
                requested_by: principal.user_id,
            })
            .collect();
        queries::insert_signoffs(conn, &again).await?;
        let changes = queries::ReplyChanges { revision: Some(next.revision), ..Default::default() };
        let after = queries::move_reply(conn, id, to, &changes).await?;
        let extra = json!({"signoffs_asked_again": again.len()});
        record(conn, &actor, "reply.edit", Some(&before), &after, "reply.revised", extra).await
    })
    .await
}

/// The revisions of a reply, oldest first (not for a deputy).
pub async fn revisions(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<Revision>, AppError> {
    let scope = reader(conn, principal).await?;
    let reply = queries::reply(conn, id, scope).await?.ok_or_else(|| AppError::not_found("reply"))?;
    if !(scope.submitted || scope.unit.is_some()) {
        return Err(AppError::not_found("reply"));
    }
    Ok(queries::revisions(conn, reply.id).await?.into_iter().map(Revision::from).collect())
}

fn changed<T: serde::Serialize + PartialEq>(out: &mut Vec<FieldChange>, field: &str, a: &T, b: &T) {
    if a != b {
        out.push(FieldChange { field: field.into(), from: json!(a), to: json!(b) });
    }
}

/// What changed between two revisions: the body's text by line or by character, and the
/// other fields.
pub async fn diff(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    p: &DiffParams,
) -> Result<ReplyDiff, AppError> {
    let all = revisions(conn, principal, id).await?;
    let find = |field: &str, n: i32| {
        all.iter()
            .find(|r| r.revision == n)
            .ok_or_else(|| AppError::field(field, "not_found", format!("no revision {n}")))
    };
    let (a, b) = (find("from", p.from)?, find("to", p.to)?);
    let mut fields = Vec::new();
    changed(&mut fields, "class", &a.class, &b.class);
    changed(&mut fields, "doc_no", &a.doc_no, &b.doc_no);
    changed(&mut fields, "signer", &a.signer, &b.signer);
    changed(&mut fields, "leader_name", &a.leader_name, &b.leader_name);
    changed(&mut fields, "leader_phone", &a.leader_phone, &b.leader_phone);
    changed(&mut fields, "handler_name", &a.handler_name, &b.handler_name);
    changed(&mut fields, "handler_phone", &a.handler_phone, &b.handler_phone);
    changed(&mut fields, "cc_units", &a.cc_units, &b.cc_units);
    changed(&mut fields, "points", &a.points, &b.points);
    let (ta, tb) = (body::text_of(&a.body), body::text_of(&b.body));
    Ok(ReplyDiff {
        from: p.from,
        to: p.to,
        granularity: p.granularity,
        body: rules::diff(&ta, &tb, p.granularity),
        fields,
    })
}
