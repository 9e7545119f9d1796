//! Suggestion operations: registering and changing (the office), the municipal system's
//! idempotent upsert and batched imports (one code path), each change with its audit row
//! and its event in the same transaction.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{self, Actor, Change, Event};
use crate::auth::{Operation, Principal};
use crate::db;
use crate::directory;
use crate::directory::model::{Body, DeputyRef, Viewer};
use crate::error::{AppError, FieldError};
use crate::http::dates::Day;
use crate::http::etag::IfMatch;
use crate::suggestions::model::*;
use crate::suggestions::queries::{self, Key, ReadScope, Stored, SuggestionRow};
use crate::suggestions::rules::{self, Content, Texts};
use crate::suggestions::search::Vectors;

/// Rows written per transaction in an import.
pub const BATCH: usize = 1000;

/// What a caller may read, and what personal data they may see.
pub async fn reader(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<(ReadScope, Viewer), AppError> {
    let scope = principal.require(Operation::SuggestionRead)?;
    let viewer = directory::service::viewer(conn, principal).await?;
    // Units reach suggestions through their assignments (交办).
    let read = ReadScope {
        all: scope.all,
        deputy: viewer.deputy_id.filter(|_| scope.own),
        unit: principal.unit_id.filter(|_| scope.own_unit),
        co_unit: principal.unit_id.filter(|_| scope.own_co),
    };
    Ok((read, viewer))
}

fn deputy_ref(viewer: &Viewer, value: Value) -> Option<DeputyRef> {
    serde_json::from_value(value).ok().map(|r| directory::rules::deputy_ref_for(viewer, r))
}

/// A row as this viewer may see it.
pub fn to_suggestion(viewer: &Viewer, row: SuggestionRow, score: Option<f32>) -> Suggestion {
    let co_signers = match row.co_signers {
        Value::Array(items) => items.into_iter().filter_map(|v| deputy_ref(viewer, v)).collect(),
        _ => Vec::new(),
    };
    Suggestion {
        id: row.id,
        source: row.source,
        year: row.year,
        external_no: row.external_no,
        session_label: row.session_label,
        title: row.title,
        body: row.body,
        category: row.category,
        keywords: row.keywords,
        proposer: row.proposer.and_then(|v| deputy_ref(viewer, v)),
        co_signers,
        is_key: row.is_key,
        received_on: row.received_on,
        merged_into: row.merged_into,
        status: row.status,
        supervisor_id: row.supervisor_id,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        score,
    }
}

/// Reads one suggestion as the caller may see it, or 404.
pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<Suggestion, AppError> {
    let (scope, viewer) = reader(conn, principal).await?;
    let row = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("suggestion"))?;
    Ok(to_suggestion(&viewer, row, None))
}

fn event(kind: &'static str, id: Uuid, version: i32, c: &Content, status: SuggestionStatus) -> Event {
    Event {
        kind,
        entity_type: "suggestion",
        entity_id: id,
        version: Some(version),
        payload: json!({
            "id": id, "source": c.source, "year": c.year, "external_no": c.external_no, "title": c.title,
            "is_key": c.is_key, "status": status, "version": version,
        }),
    }
}

/// Content as the audit log keeps it. The full text goes in only when it changed: a
/// creation records its length and SHA-256 (the text itself is version 1 of the row), so
/// that a bulk import does not write every body twice.
fn audited(c: &Content, with_body: bool) -> Option<Value> {
    let mut v = serde_json::to_value(c).ok()?;
    if !with_body && let Value::Object(map) = &mut v {
        use sha2::Digest;
        map.remove("body");
        map.insert("body_chars".into(), c.body.chars().count().into());
        let digest = sha2::Sha256::digest(c.body.as_bytes());
        map.insert("body_sha256".into(), digest.iter().map(|b| format!("{b:02x}")).collect::<String>().into());
    }
    Some(v)
}

fn change(action: &'static str, id: Uuid, before: Option<&Content>, after: &Content) -> Change {
    let body_changed = before.is_some_and(|b| b.body != after.body);
    Change {
        action,
        entity_type: "suggestion",
        entity_id: id.to_string(),
        before: before.and_then(|b| audited(b, body_changed)),
        after: audited(after, body_changed),
    }
}

/// Checks that the deputies exist in the source's body and the merge target exists.
async fn check_references(conn: &mut AsyncPgConnection, c: &Content, id: Option<Uuid>) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let body = c.source.body();
    if let Some(p) = c.proposer_id
        && !directory::queries::missing_deputies(conn, body, &[p]).await?.is_empty()
    {
        errors.push(FieldError::new("proposer_id", "unknown_reference", format!("no {body} deputy with this id")));
    }
    for missing in directory::queries::missing_deputies(conn, body, &c.co_signer_ids).await? {
        let i = c.co_signer_ids.iter().position(|x| *x == missing).unwrap_or(0);
        errors.push(FieldError::new(format!("co_signer_ids[{i}]"), "unknown_reference", "no such deputy"));
    }
    if let Some(target) = c.merged_into {
        if Some(target) == id {
            errors.push(FieldError::new("merged_into", "invalid", "a suggestion is not merged into itself"));
        } else if !queries::exists(conn, target).await? {
            errors.push(FieldError::new("merged_into", "unknown_reference", "no such suggestion"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::validation(errors)) }
}

fn duplicate(existing: Uuid) -> AppError {
    AppError::conflict("duplicate_external_no", "a suggestion with this source, year and external number exists")
        .with_extra("existing_id", existing.to_string())
        .with_errors(vec![FieldError::new("external_no", "taken", format!("already registered as {existing}"))])
}

/// Registers a suggestion (the office); returns its id.
pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, new: &NewSuggestion) -> Result<Uuid, AppError> {
    let texts = rules::texts(&Texts {
        year: new.year,
        external_no: &new.external_no,
        session_label: new.session_label.as_deref(),
        title: &new.title,
        body: &new.body,
        category: new.category.as_deref(),
        keywords: &new.keywords,
    })
    .map_err(AppError::validation)?;
    let co_signer_ids =
        rules::co_signers(new.proposer_id, &new.co_signer_ids).map_err(|e| AppError::validation(vec![e]))?;
    let content = Content {
        source: new.source,
        year: new.year,
        external_no: texts.external_no,
        session_label: texts.session_label,
        title: texts.title,
        body: texts.body,
        category: texts.category,
        keywords: texts.keywords,
        proposer_id: new.proposer_id,
        co_signer_ids,
        is_key: new.is_key,
        received_on: new.received_on.map(Day::get),
        merged_into: new.merged_into,
    };
    check_references(conn, &content, None).await?;
    if let Some(existing) = queries::id_by_key(conn, content.source, content.year, &content.external_no).await? {
        return Err(duplicate(existing));
    }
    let id = Uuid::now_v7();
    let vectors = content.vectors();
    let row = queries::NewRow { id, content: &content, hash: content.hash(), vectors: &vectors };
    if queries::insert_many(conn, &[row]).await?.is_empty() {
        // Registered meanwhile by someone else.
        let existing = queries::id_by_key(conn, content.source, content.year, &content.external_no).await?;
        return Err(duplicate(existing.unwrap_or(id)));
    }
    audit::record_many(conn, actor, &[change("suggestion.create", id, None, &content)]).await?;
    audit::emit(conn, &[event("suggestion.created", id, 1, &content, SuggestionStatus::Registered)]).await?;
    Ok(id)
}

/// Changes a suggestion (the office). A change that changes nothing keeps the version
/// and writes nothing.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    patch: &SuggestionPatch,
) -> Result<(), AppError> {
    db::transaction(conn, async |conn| {
        let stored = queries::stored_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("suggestion"))?;
        if_match.check(stored.version)?;
        let before = queries::content(conn, id).await?;
        let keywords = patch.keywords.clone().unwrap_or_else(|| before.keywords.clone());
        let session_label = patch.session_label.clone().unwrap_or_else(|| before.session_label.clone());
        let category = patch.category.clone().unwrap_or_else(|| before.category.clone());
        let texts = rules::texts(&Texts {
            year: before.year,
            external_no: &before.external_no,
            session_label: session_label.as_deref(),
            title: patch.title.as_deref().unwrap_or(&before.title),
            body: patch.body.as_deref().unwrap_or(&before.body),
            category: category.as_deref(),
            keywords: &keywords,
        })
        .map_err(AppError::validation)?;
        let proposer_id = patch.proposer_id.unwrap_or(before.proposer_id);
        let co = patch.co_signer_ids.clone().unwrap_or_else(|| before.co_signer_ids.clone());
        let co_signer_ids = rules::co_signers(proposer_id, &co).map_err(|e| AppError::validation(vec![e]))?;
        let after = Content {
            session_label: texts.session_label,
            title: texts.title,
            body: texts.body,
            category: texts.category,
            keywords: texts.keywords,
            proposer_id,
            co_signer_ids,
            is_key: patch.is_key.unwrap_or(before.is_key),
            received_on: patch.received_on.map_or(before.received_on, |d| d.map(Day::get)),
            merged_into: patch.merged_into.unwrap_or(before.merged_into),
            ..before.clone()
        };
        if after.hash() == stored.content_hash {
            return Ok(());
        }
        check_references(conn, &after, Some(id)).await?;
        let version = queries::update_content(conn, id, &after, &after.hash(), &after.vectors()).await?;
        audit::record_many(conn, actor, &[change("suggestion.update", id, Some(&before), &after)]).await?;
        audit::emit(conn, &[event("suggestion.updated", id, version, &after, stored.status)]).await?;
        Ok(())
    })
    .await
}

/// A row of a sync or an import, and where it came from.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub line: usize,
    pub row: Result<ImportRow, Vec<FieldError>>,
}

fn rejected(line: usize, external_no: Option<String>, errors: Vec<FieldError>) -> RowReport {
    RowReport { line, external_no, outcome: Outcome::Rejected, id: None, errors, raced: false }
}

/// A checked incoming row with its search vector: all the work that needs no database.
pub struct Prepared {
    line: usize,
    key: Key,
    row: ImportRow,
    texts: rules::CheckedTexts,
    proposer: Option<String>,
    co_signers: Vec<String>,
    vectors: Vectors,
}

fn check(incoming: Incoming) -> Result<Prepared, RowReport> {
    let line = incoming.line;
    let row = incoming.row.map_err(|errors| rejected(line, None, errors))?;
    let no = Some(row.external_no.clone());
    let c = &row.content;
    let texts = rules::texts(&Texts {
        year: row.year,
        external_no: &row.external_no,
        session_label: c.session_label.as_deref(),
        title: &c.title,
        body: &c.body,
        category: c.category.as_deref(),
        keywords: &c.keywords,
    });
    let names = rules::named_deputies(c);
    match (texts, names) {
        (Ok(texts), Ok((proposer, co_signers))) => Ok(Prepared {
            line,
            key: (row.source, row.year, texts.external_no.clone()),
            vectors: Vectors::of(&texts.title, &texts.keywords, &texts.body),
            row,
            texts,
            proposer,
            co_signers,
        }),
        (texts, names) => {
            let mut errors = texts.err().unwrap_or_default();
            errors.extend(names.err().unwrap_or_default());
            Err(rejected(line, no, errors))
        }
    }
}

/// Checks rows and builds their search vectors (CPU only). `seen` carries the keys of
/// earlier rows of the same import, so that a key given twice is refused the second time.
pub fn prepare(incoming: Vec<Incoming>, seen: &mut HashMap<Key, usize>) -> (Vec<RowReport>, Vec<Prepared>) {
    let mut reports = Vec::new();
    let mut rows = Vec::with_capacity(incoming.len());
    for item in incoming {
        match check(item) {
            Err(report) => reports.push(report),
            Ok(p) => match seen.get(&p.key) {
                Some(first) => {
                    let error =
                        FieldError::new("external_no", "duplicate", format!("also on line {first} of this import"));
                    reports.push(rejected(p.line, Some(p.key.2.clone()), vec![error]));
                }
                None => {
                    seen.insert(p.key.clone(), p.line);
                    rows.push(p);
                }
            },
        }
    }
    (reports, rows)
}

/// A row to write: where it is in the batch, the suggestion's id, its content and hash,
/// and its status (for the event).
struct Write {
    index: usize,
    id: Uuid,
    content: Content,
    hash: Vec<u8>,
    status: SuggestionStatus,
}

/// The report of a row written (or found unchanged).
fn written(r: &Prepared, id: Uuid, outcome: Outcome) -> RowReport {
    RowReport { line: r.line, external_no: Some(r.key.2.clone()), outcome, id: Some(id), errors: vec![], raced: false }
}

/// Writes prepared rows in one transaction: each is created, updated, or left unchanged.
pub async fn write(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    rows: Vec<Prepared>,
) -> Result<Vec<RowReport>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    db::transaction(conn, async |conn| {
        // Deputies by name, per body, registering new names.
        let mut ids: HashMap<(Body, String), Uuid> = HashMap::new();
        for body in [Body::Npc, Body::Cppcc] {
            let names: Vec<String> = rows
                .iter()
                .filter(|r| r.row.source.body() == body)
                .flat_map(|r| r.proposer.iter().chain(r.co_signers.iter()).cloned())
                .collect();
            if !names.is_empty() {
                for (name, id) in directory::service::deputies_by_name(conn, actor, body, &names).await? {
                    ids.insert((body, name), id);
                }
            }
        }
        let keys: Vec<Key> = rows.iter().map(|r| r.key.clone()).collect();
        let stored: HashMap<Key, Stored> = queries::stored_by_keys_for_update(conn, &keys).await?.into_iter().collect();

        let mut creates: Vec<Write> = Vec::new();
        let mut updates: Vec<Write> = Vec::new();
        let mut out: Vec<RowReport> = Vec::new();
        for (index, r) in rows.iter().enumerate() {
            let body = r.row.source.body();
            let lookup = |name: &String| ids.get(&(body, name.clone())).copied();
            let existing = stored.get(&r.key);
            let content = Content {
                source: r.row.source,
                year: r.row.year,
                external_no: r.texts.external_no.clone(),
                session_label: r.texts.session_label.clone(),
                title: r.texts.title.clone(),
                body: r.texts.body.clone(),
                category: r.texts.category.clone(),
                keywords: r.texts.keywords.clone(),
                proposer_id: r.proposer.as_ref().and_then(lookup),
                co_signer_ids: r.co_signers.iter().filter_map(lookup).collect(),
                is_key: r.row.content.is_key,
                received_on: r.row.content.received_on.map(Day::get),
                // The office's merge decision is not the municipal system's to undo.
                merged_into: existing.and_then(|s| s.merged_into),
            };
            let hash = content.hash();
            match existing {
                None => creates.push(Write {
                    index,
                    id: Uuid::now_v7(),
                    content,
                    hash,
                    status: SuggestionStatus::Registered,
                }),
                Some(s) if s.content_hash == hash => out.push(written(r, s.id, Outcome::Unchanged)),
                Some(s) => updates.push(Write { index, id: s.id, content, hash, status: s.status }),
            }
        }

        let mut changes = Vec::with_capacity(creates.len() + updates.len());
        let mut events = Vec::with_capacity(creates.len() + updates.len());
        let new_rows: Vec<queries::NewRow<'_>> = creates
            .iter()
            .map(|w| queries::NewRow {
                id: w.id,
                content: &w.content,
                hash: w.hash.clone(),
                vectors: &rows[w.index].vectors,
            })
            .collect();
        let inserted: std::collections::HashSet<Uuid> =
            queries::insert_many(conn, &new_rows).await?.into_iter().map(|(id, _)| id).collect();
        for w in &creates {
            let r = &rows[w.index];
            if inserted.contains(&w.id) {
                changes.push(change("suggestion.create", w.id, None, &w.content));
                events.push(event("suggestion.created", w.id, 1, &w.content, w.status));
                out.push(written(r, w.id, Outcome::Created));
            } else {
                let error = FieldError::new(
                    "external_no",
                    "conflict",
                    "registered at the same moment by another request; retry",
                );
                out.push(RowReport { raced: true, ..rejected(r.line, Some(r.key.2.clone()), vec![error]) });
            }
        }
        let mut stored_contents = queries::contents(conn, &updates.iter().map(|w| w.id).collect::<Vec<_>>()).await?;
        for w in &updates {
            let r = &rows[w.index];
            let before =
                stored_contents.remove(&w.id).ok_or_else(|| AppError::internal("a locked suggestion is gone"))?;
            let version = queries::update_content(conn, w.id, &w.content, &w.hash, &r.vectors).await?;
            changes.push(change("suggestion.update", w.id, Some(&before), &w.content));
            events.push(event("suggestion.updated", w.id, version, &w.content, w.status));
            out.push(written(r, w.id, Outcome::Updated));
        }
        audit::record_many(conn, actor, &changes).await?;
        audit::emit(conn, &events).await?;
        Ok(out)
    })
    .await
}

/// Applies synced rows in one transaction (the municipal upsert: one row).
pub async fn apply(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    incoming: Vec<Incoming>,
) -> Result<Vec<RowReport>, AppError> {
    let (mut reports, rows) = prepare(incoming, &mut HashMap::new());
    reports.extend(write(conn, actor, rows).await?);
    Ok(reports)
}

/// Imports rows in batches of [`BATCH`], each batch in its own transaction: one blocking
/// thread checks and tokenizes batches while two connections write them, so both the
/// service and the database work at once. Afterwards the search index merges its new
/// entries in the background.
pub async fn import(pool: &db::DbPool, actor: &Actor, incoming: Vec<Incoming>) -> Result<ImportReport, AppError> {
    const WRITERS: usize = 2;
    let mut batches: Vec<Vec<Incoming>> = Vec::new();
    let mut rest = incoming;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(BATCH));
        batches.push(std::mem::replace(&mut rest, tail));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<(Vec<RowReport>, Vec<Prepared>)>(WRITERS);
    let preparer = actix_web::rt::task::spawn_blocking(move || {
        let mut seen = HashMap::new();
        for batch in batches {
            if tx.blocking_send(prepare(batch, &mut seen)).is_err() {
                break;
            }
        }
    });
    let rx = tokio::sync::Mutex::new(rx);
    let writer = async || -> Result<Vec<RowReport>, AppError> {
        let mut conn = db::conn(pool).await?;
        let mut out = Vec::new();
        loop {
            let next = rx.lock().await.recv().await;
            let Some((reports, rows)) = next else { return Ok(out) };
            out.extend(reports);
            out.extend(write(&mut conn, actor, rows).await?);
        }
    };
    let results = futures_util::future::join_all((0..WRITERS).map(|_| writer())).await;
    drop(rx);
    preparer.await.map_err(AppError::internal)?;
    let mut report = ImportReport::default();
    for result in results {
        report.rows.extend(result?);
    }
    report.rows.sort_by_key(|r| r.line);
    for r in &report.rows {
        match r.outcome {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Rejected => report.rejected += 1,
        }
    }
    if report.created + report.updated > 0 {
        let pool = pool.clone();
        actix_web::rt::spawn(async move {
            if let Ok(mut conn) = db::conn(&pool).await
                && let Err(e) = queries::merge_search_index(&mut conn).await
            {
                log::warn!("merging the search index after an import: {e}");
            }
        });
    }
    Ok(report)
}

/// Earlier suggestions on the same topic as `id`, best first (at most `limit`).
pub async fn similar(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    limit: usize,
) -> Result<Vec<SimilarSuggestion>, AppError> {
    use crate::suggestions::search;
    let (scope, viewer) = reader(conn, principal).await?;
    let this = queries::get(conn, id, &scope).await?.ok_or_else(|| AppError::not_found("suggestion"))?;
    let topic = search::topic_tokens(&this.title);
    let Some(query) = search::any_of(&topic) else { return Ok(Vec::new()) };
    let candidates = queries::earlier_matching(conn, &scope, &query, this.year, this.id, 50).await?;
    let mut scored: Vec<(f64, SuggestionRow)> = candidates
        .into_iter()
        .map(|row| (search::similarity(&topic, &search::topic_tokens(&row.title)), row))
        .filter(|(score, _)| *score >= 0.2)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
    Ok(scored
        .into_iter()
        .take(limit)
        .map(|(similarity, row)| SimilarSuggestion {
            similarity: (similarity * 1000.0).round() / 1000.0,
            suggestion: to_suggestion(&viewer, row, None),
        })
        .collect())
}

/// The facts of suggestions by id; locked for the caller's transaction when `lock`.
pub async fn facts(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    lock: bool,
) -> Result<HashMap<Uuid, KeyFacts>, AppError> {
    Ok(queries::facts(conn, ids, lock).await?.into_iter().map(|f| (f.id, f)).collect())
}

/// A suggestion's status as it was and as its assignments now make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub id: Uuid,
    pub before: SuggestionStatus,
    pub after: SuggestionStatus,
}

/// Writes the statuses the assignments give suggestions; for each that changed, a new
/// version, an audit row and a `suggestion.status_changed` event.
pub async fn set_statuses(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    changes: &[StatusChange],
) -> Result<(), AppError> {
    let changed: Vec<&StatusChange> = changes.iter().filter(|c| c.before != c.after).collect();
    let rows: Vec<(Uuid, SuggestionStatus)> = changed.iter().map(|c| (c.id, c.after)).collect();
    let versions = queries::set_statuses(conn, &rows).await?;
    let audit_rows: Vec<Change> = changed
        .iter()
        .map(|c| Change {
            action: "suggestion.status",
            entity_type: "suggestion",
            entity_id: c.id.to_string(),
            before: Some(json!({"status": c.before})),
            after: Some(json!({"status": c.after})),
        })
        .collect();
    audit::record_many(conn, actor, &audit_rows).await?;
    let events: Vec<Event> = changed
        .iter()
        .map(|c| Event {
            kind: "suggestion.status_changed",
            entity_type: "suggestion",
            entity_id: c.id,
            version: versions.get(&c.id).copied(),
            payload: json!({"id": c.id, "status": c.after, "previous_status": c.before, "version": versions.get(&c.id)}),
        })
        .collect();
    audit::emit(conn, &events).await?;
    Ok(())
}

/// Names the leader who supervises a key suggestion.
pub async fn set_supervisor(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    supervisor: Option<Uuid>,
) -> Result<(), AppError> {
    let (before, version) = queries::set_supervisor(conn, id, supervisor).await?;
    if before != supervisor {
        let (b, a) = (json!({"supervisor_id": before}), json!({"supervisor_id": supervisor}));
        audit::record(conn, actor, "suggestion.supervisor", "suggestion", &id.to_string(), Some(b), Some(a)).await?;
        let payload = json!({"id": id, "supervisor_id": supervisor, "version": version});
        let event = Event {
            kind: "suggestion.supervisor_changed",
            entity_type: "suggestion",
            entity_id: id,
            version: Some(version),
            payload,
        };
        audit::emit(conn, &[event]).await?;
    }
    Ok(())
}
