//! The formal letter (答复函) of a reply: its current revision laid out as a 公文, one
//! letter per suggestion it answers (its own and each handled together with it, 并案),
//! addressed to that suggestion's proposers, as PDF or DOCX.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::AppError;
use crate::letters::Letter;
use crate::replies::body;
use crate::replies::model::LetterTarget;
use crate::replies::queries::{self, LetterFacts};
use crate::replies::rules;
use crate::replies::service::reader;

fn deputies_of(f: &LetterFacts) -> impl Iterator<Item = Uuid> + '_ {
    f.proposer_id.into_iter().chain(f.co_signer_ids.iter().copied())
}

/// The names of a suggestion's proposers: the proposer, then the co-signers.
pub async fn proposers(conn: &mut AsyncPgConnection, f: &LetterFacts) -> Result<Vec<String>, AppError> {
    let ids: Vec<Uuid> = deputies_of(f).collect();
    let names = queries::deputy_names(conn, &ids).await?;
    Ok(ids.iter().filter_map(|d| names.get(d).cloned()).collect())
}

/// The letters replies to these suggestions make, by suggestion (one query for the
/// suggestions, one for the names, however many).
pub async fn targets(
    conn: &mut AsyncPgConnection,
    suggestion_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LetterTarget>>, AppError> {
    let facts = queries::letter_facts_of(conn, suggestion_ids).await?;
    let ids: Vec<Uuid> = facts.iter().flat_map(deputies_of).collect();
    let names = queries::deputy_names(conn, &ids).await?;
    let mut out: HashMap<Uuid, Vec<LetterTarget>> = HashMap::new();
    for f in &facts {
        let who: Vec<String> = deputies_of(f).filter_map(|d| names.get(&d).cloned()).collect();
        let root = f.merged_into.filter(|m| suggestion_ids.contains(m)).unwrap_or(f.id);
        out.entry(root).or_default().push(LetterTarget {
            suggestion_id: f.id,
            external_no: f.external_no.clone(),
            title: rules::letter_title(f.source, f.session_label.as_deref(), &f.external_no),
            addressee: rules::addressee(f.source, &who),
        });
    }
    Ok(out)
}

/// The letter of a reply the caller may read, addressed to the proposers of `suggestion`
/// (the reply's own by default, or one handled together with it).
pub async fn of_reply(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    suggestion: Option<Uuid>,
) -> Result<Letter, AppError> {
    let scope = reader(conn, principal).await?;
    let reply = queries::reply(conn, id, scope).await?.ok_or_else(|| AppError::not_found("reply"))?;
    let facts = queries::letter_facts(conn, reply.suggestion_id).await?;
    let f = match suggestion {
        None => facts.first(),
        Some(s) => facts.iter().find(|f| f.id == s),
    }
    .ok_or_else(|| AppError::field("suggestion_id", "not_answered", "this reply does not answer that suggestion"))?;
    let current = queries::revision(conn, id, reply.revision)
        .await?
        .ok_or_else(|| AppError::internal("a reply without its revision"))?;
    let (_, authority) = queries::authority_of(conn, reply.unit_id).await?;
    let names = proposers(conn, f).await?;
    let mut contacts = Vec::new();
    let line = |role: &str, name: &Option<String>, phone: &Option<String>| {
        name.as_ref().map(|n| match phone {
            Some(p) => format!("{role}：{n}，联系电话：{p}"),
            None => format!("{role}：{n}"),
        })
    };
    contacts.extend(line("分管领导", &current.leader_name, &current.leader_phone));
    contacts.extend(line("联系人", &current.handler_name, &current.handler_phone));
    Ok(Letter {
        authority: authority.clone(),
        doc_no: current.doc_no.clone(),
        class: current.class.map(|c| c.as_str().to_string()),
        title: rules::letter_title(f.source, f.session_label.as_deref(), &f.external_no),
        addressee: rules::addressee(f.source, &names),
        blocks: body::blocks_of(&current.body),
        contacts,
        signature: authority,
        date: queries::letter_date(reply.approved_at),
        cc: current.cc_units.clone(),
    })
}
