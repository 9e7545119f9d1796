//! Document operations: the streamed upload (type by content, size limit, SHA-256 on the
//! way), reads, deletion, attaching to a later step's object, and the sweep of blobs no
//! row points at.
//!
//! An upload notes its key for sweeping before the first byte goes to the store and
//! forgets it in the transaction that writes the row, so that a blob is never left behind
//! without a row: a refused or broken upload deletes what it wrote, and a crash between
//! the store and the row leaves a key that the sweep job deletes.

use std::time::Duration;

use actix_multipart::{Field, Multipart};
use bytes::Bytes;
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::auth::access;
use crate::auth::{Operation, Principal};
use crate::db::enums::{AccessKind, DocumentKind};
use crate::db::{self, DbPool};
use crate::documents::model::{Document, DocumentRow};
use crate::documents::queries::{self, DocumentScope, NewDocument};
use crate::documents::rules::{self, Sniffer, Verdict};
use crate::documents::store::Files;
use crate::error::AppError;
use crate::http::etag::IfMatch;
use crate::suggestions;

/// How long an upload may take before the sweep job may take its blob.
const UPLOAD_GRACE: Duration = Duration::from_secs(3600);
/// Parts an upload may have in flight to the store.
const IN_FLIGHT: usize = 2;

/// What the caller may read.
pub fn read_scope(principal: &Principal) -> Result<DocumentScope, AppError> {
    let s = principal.require(Operation::DocumentRead)?;
    Ok(DocumentScope { all: s.all, unit: principal.unit_id.filter(|_| s.own_unit || s.own_co) })
}

/// The unit an upload by the caller belongs to, once the caller may reach the suggestion
/// (else 404): checked before the body is read.
pub async fn uploading_unit(pool: &DbPool, principal: &Principal, suggestion_id: Uuid) -> Result<Uuid, AppError> {
    let mut conn = db::conn(pool).await?;
    let conn = &mut *conn;
    let s = principal.require(Operation::DocumentWrite)?;
    let unit = principal.unit_id.ok_or_else(|| AppError::forbidden("uploads are made for a unit; you have none"))?;
    let mut kinds = Vec::new();
    if s.own_unit {
        kinds.push(AccessKind::Unit);
    }
    if s.own_co {
        kinds.push(AccessKind::Co);
    }
    let reach = if s.all {
        suggestions::queries::exists(conn, suggestion_id).await?
    } else {
        access::reaches(conn, unit, &kinds, suggestion_id).await?
    };
    if !reach {
        return Err(AppError::not_found("suggestion"));
    }
    Ok(unit)
}

/// A file as it arrived: type, size, checksum, where it is.
struct Stored {
    key: String,
    kind: DocumentKind,
    size: u64,
    sha256: String,
    name: Option<String>,
}

fn too_large(limit: u64) -> AppError {
    AppError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("a document is at most {limit} bytes"),
    )
    .with_extra("limit", limit)
}

fn wrong_type() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_file_type",
        format!("the content is none of the allowed types: {}", rules::ALLOWED),
    )
    .with_extra("allowed", rules::ALLOWED.split(", ").collect::<Vec<_>>())
}

fn broken(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request("unreadable_body", format!("the upload could not be read: {e}"))
}

/// The part named `file`; any other part is refused.
async fn file_part(form: &mut Multipart) -> Result<Field, AppError> {
    match form.next().await {
        Some(Ok(field)) if field.name() == Some("file") => Ok(field),
        Some(Ok(field)) => {
            Err(AppError::field(field.name().unwrap_or("(unnamed)"), "unknown", "the form takes one part, named file"))
        }
        Some(Err(e)) => Err(broken(e)),
        None => Err(AppError::field("file", "required", "the form has no part named file")),
    }
}

/// Reads the start of the file until its type is known (or refused): nothing is stored
/// for a file of the wrong type.
/// Read so far: the chunks, their size, and whether the part has ended (a finished part
/// must not be polled again).
struct Head {
    chunks: Vec<Bytes>,
    size: u64,
    ended: bool,
}

async fn sniffed(field: &mut Field, sniffer: &mut Sniffer, limit: u64) -> Result<Head, AppError> {
    let mut head = Vec::new();
    let mut size = 0u64;
    while size < rules::HEAD as u64 {
        let Some(chunk) = field.next().await else {
            return Ok(Head { chunks: head, size, ended: true });
        };
        let chunk = chunk.map_err(broken)?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        let v = sniffer.feed(&chunk);
        head.push(chunk);
        match v {
            Verdict::Reject => return Err(wrong_type()),
            Verdict::Accept(_) => break,
            Verdict::Pending => {}
        }
    }
    Ok(Head { chunks: head, size, ended: false })
}

/// Streams the rest of the file to the store, hashing it on the way.
async fn stream_to_store(
    files: &Files,
    field: &mut Field,
    sniffer: &mut Sniffer,
    head: Head,
    limit: u64,
    key: &str,
) -> Result<Stored, AppError> {
    let Head { chunks, mut size, ended } = head;
    let name = field.content_disposition().and_then(|d| d.get_filename().map(str::to_string));
    let upload = files.store().put_multipart(&Path::from(key)).await.map_err(store_error)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, files.part_size);
    let mut hasher = Sha256::new();
    for chunk in chunks {
        hasher.update(&chunk);
        writer.put(chunk);
    }
    let result: Result<(), AppError> = async {
        if ended {
            return Ok(());
        }
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large(limit));
            }
            if sniffer.feed(&chunk) == Verdict::Reject {
                return Err(wrong_type());
            }
            hasher.update(&chunk);
            writer.wait_for_capacity(IN_FLIGHT).await.map_err(store_error)?;
            writer.put(chunk);
        }
        Ok(())
    }
    .await;
    let kind = match (result, sniffer.finish()) {
        (Err(e), _) => {
            let _ = writer.abort().await;
            return Err(e);
        }
        (Ok(()), Verdict::Accept(kind)) => kind,
        (Ok(()), _) => {
            let _ = writer.abort().await;
            return Err(wrong_type());
        }
    };
    writer.finish().await.map_err(store_error)?;
    Ok(Stored { key: key.to_string(), kind, size, sha256: hex(&hasher.finalize()), name })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn store_error(e: object_store::Error) -> AppError {
    log::error!("document store: {e}");
    AppError::unavailable("the document store is not available")
}

/// What an upload is for: the suggestion, the caller, their unit (`uploading_unit`).
pub struct Upload<'a> {
    pub suggestion_id: Uuid,
    pub principal: &'a Principal,
    pub unit_id: Uuid,
    pub limit: u64,
}

/// Takes an upload: streams the one file part to the store (refusing a wrong type or an
/// over-size body with nothing left behind), then writes the row, its audit row and
/// event. No connection is held while the file streams.
pub async fn upload(pool: &DbPool, files: &Files, up: Upload<'_>, mut form: Multipart) -> Result<Document, AppError> {
    let Upload { suggestion_id, principal, unit_id, limit } = up;
    let mut field = file_part(&mut form).await?;
    let mut sniffer = Sniffer::default();
    let head = sniffed(&mut field, &mut sniffer, limit).await?;
    let key = Files::new_key();
    {
        let mut conn = db::conn(pool).await?;
        queries::sweep_later(&mut conn, &key, Utc::now() + UPLOAD_GRACE).await?;
    }
    let stored = match stream_to_store(files, &mut field, &mut sniffer, head, limit, &key).await {
        Ok(s) => s,
        Err(e) => {
            forget(pool, files, &key).await;
            return Err(e);
        }
    };
    // One part only: a second part is refused, and the blob with it. (The multipart reader
    // moves to the next part only once the last one is dropped.)
    drop(field);
    if let Some(Ok(extra)) = form.next().await {
        forget(pool, files, &key).await;
        return Err(AppError::field(
            extra.name().unwrap_or("(unnamed)"),
            "unknown",
            "the form takes one part, named file",
        ));
    }
    match record(pool, principal, suggestion_id, unit_id, &stored).await {
        Ok(doc) => Ok(doc),
        Err(e) => {
            forget(pool, files, &key).await;
            Err(e)
        }
    }
}

/// Deletes a blob that no row will point at, and its sweep note (the sweep job does it
/// later when this fails).
async fn forget(pool: &DbPool, files: &Files, key: &str) {
    if let Err(e) = files.delete(key).await {
        log::warn!("the blob {key} stays for the sweep job: {e}");
        return;
    }
    if let Ok(mut conn) = db::conn(pool).await {
        let _ = queries::forget_sweep(&mut conn, key).await;
    }
}

async fn record(
    pool: &DbPool,
    principal: &Principal,
    suggestion_id: Uuid,
    unit_id: Uuid,
    s: &Stored,
) -> Result<Document, AppError> {
    let name = rules::clean_name(s.name.as_deref(), s.kind);
    let size = i64::try_from(s.size).map_err(|_| AppError::internal("size"))?;
    let mut conn = db::conn(pool).await?;
    let actor = principal.actor();
    let row = db::transaction(&mut conn, async |conn| {
        let new = NewDocument {
            id: Uuid::now_v7(),
            suggestion_id,
            unit_id,
            name: &name,
            kind: s.kind,
            size,
            sha256: &s.sha256,
            storage_key: &s.key,
            uploaded_by: principal.user_id,
        };
        let row = queries::insert(conn, &new).await?;
        queries::forget_sweep(conn, &s.key).await?;
        record_change(conn, &actor, "document.upload", None, Some(&row), "document.uploaded").await?;
        Ok(row)
    })
    .await?;
    Ok(row.into())
}

fn snapshot(row: &DocumentRow) -> serde_json::Value {
    json!({
        "suggestion_id": row.suggestion_id, "unit_id": row.unit_id, "name": row.name, "kind": row.kind,
        "size": row.size, "sha256": row.sha256, "owner_type": row.owner_type, "owner_id": row.owner_id,
        "deleted": row.deleted_at.is_some(),
    })
}

async fn record_change(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    before: Option<&DocumentRow>,
    after: Option<&DocumentRow>,
    kind: &'static str,
) -> Result<(), AppError> {
    let row = after.or(before).ok_or_else(|| AppError::internal("a change without a row"))?;
    audit::record(conn, actor, action, "document", &row.id.to_string(), before.map(snapshot), after.map(snapshot))
        .await?;
    // The payload names no file: a name can carry a person's name.
    let payload = json!({
        "id": row.id, "suggestion_id": row.suggestion_id, "unit_id": row.unit_id, "kind": row.kind,
        "size": row.size, "sha256": row.sha256, "version": row.version,
    });
    audit::emit(
        conn,
        &[Event { kind, entity_type: "document", entity_id: row.id, version: Some(row.version), payload }],
    )
    .await?;
    Ok(())
}

/// One document the caller may read, or 404.
pub async fn read(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<DocumentRow, AppError> {
    let scope = read_scope(principal)?;
    queries::get(conn, id, scope).await?.ok_or_else(|| AppError::not_found("document"))
}

/// Deletes a document (its unit, or the office) that no step has attached: the row is
/// kept, marked deleted, with its audit row; the blob goes when no live row points at it.
pub async fn delete(
    pool: &DbPool,
    files: &Files,
    principal: &Principal,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    let s = principal.require(Operation::DocumentWrite)?;
    let mut conn = db::conn(pool).await?;
    let actor = principal.actor();
    let key = db::transaction(&mut conn, async |conn| {
        let row = queries::for_update(conn, id)
            .await?
            .filter(|r| s.all || principal.unit_id == Some(r.unit_id))
            .ok_or_else(|| AppError::not_found("document"))?;
        if_match.check(row.version)?;
        if let Some(owner) = &row.owner_type {
            return Err(AppError::conflict(
                "document_attached",
                format!("the document belongs to a {owner}; it goes with it, not alone"),
            ));
        }
        let after = queries::mark_deleted(conn, id, principal.user_id).await?;
        queries::sweep_later(conn, &row.storage_key, Utc::now()).await?;
        record_change(conn, &actor, "document.delete", Some(&row), Some(&after), "document.deleted").await?;
        Ok(row.storage_key)
    })
    .await?;
    if files.delete(&key).await.is_ok() {
        let _ = queries::forget_sweep(&mut conn, &key).await;
    }
    Ok(())
}

/// Attaches documents the unit uploaded for the suggestion to a later step's object (in
/// that step's transaction); 422 naming any that cannot be.
pub async fn attach(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    ids: &[Uuid],
    suggestion_id: Uuid,
    unit_id: Uuid,
    owner_type: &'static str,
    owner_id: Uuid,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = queries::attachable(conn, ids, suggestion_id, unit_id).await?;
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| r.id == **id)) {
        return Err(AppError::field(
            "document_ids",
            "not_attachable",
            format!("document {missing} is not an unattached upload of your unit for this suggestion"),
        ));
    }
    queries::set_owner(conn, ids, owner_type, owner_id).await?;
    let changes: Vec<audit::Change> = rows
        .iter()
        .map(|r| audit::Change {
            action: "document.attach",
            entity_type: "document",
            entity_id: r.id.to_string(),
            before: None,
            after: Some(json!({"owner_type": owner_type, "owner_id": owner_id})),
        })
        .collect();
    audit::record_many(conn, actor, &changes).await?;
    Ok(())
}

/// Lets units read an object's documents (a delivered opinion's, for the lead).
pub async fn grant(conn: &mut AsyncPgConnection, owner_id: Uuid, units: &[Uuid]) -> Result<(), AppError> {
    let ids: Vec<Uuid> = queries::of_owners(conn, &[owner_id]).await?.iter().map(|d| d.id).collect();
    queries::grant(conn, &ids, units, owner_id).await?;
    Ok(())
}

/// The documents attached to objects, as answers show them.
pub async fn of_owners(conn: &mut AsyncPgConnection, owners: &[Uuid]) -> Result<Vec<Document>, AppError> {
    Ok(queries::of_owners(conn, owners).await?.into_iter().map(Document::from).collect())
}

/// The sweep job: deletes the blobs due for sweeping that no live row points at.
pub async fn sweep(pool: &DbPool, files: &Files) -> Result<usize, AppError> {
    let mut conn = db::conn(pool).await?;
    let mut swept = 0;
    for (key, live) in queries::due_sweeps(&mut conn, 1000).await? {
        if !live {
            if let Err(e) = files.delete(&key).await {
                log::warn!("sweep: {key}: {e}");
                continue;
            }
            swept += 1;
        }
        queries::forget_sweep(&mut conn, &key).await?;
    }
    Ok(swept)
}
