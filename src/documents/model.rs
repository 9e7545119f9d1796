//! Documents: rows, requests and answers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::enums::DocumentKind;
use crate::db::schema::documents;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub unit_id: Uuid,
    pub name: String,
    pub kind: DocumentKind,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub owner_type: Option<String>,
    pub owner_id: Option<Uuid>,
    pub uploaded_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// A stored file: what it is and where it belongs; the content is at `…/content`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub suggestion_id: Uuid,
    /// The unit that uploaded it.
    pub unit_id: Uuid,
    /// The original file name (metadata only; never part of a storage path).
    #[schema(example = "关于合理设置公交站点的建议的答复.pdf")]
    pub name: String,
    /// The type the content shows (not the declared one).
    pub kind: DocumentKind,
    /// The media type a download carries.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content, hex; the download's `ETag`.
    pub sha256: String,
    /// What a later step attached it to (`opinion`, `contact`, …), if any.
    pub owner_type: Option<String>,
    pub owner_id: Option<Uuid>,
    pub uploaded_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        Document {
            id: r.id,
            suggestion_id: r.suggestion_id,
            unit_id: r.unit_id,
            name: r.name,
            media_type: r.kind.media_type().to_string(),
            kind: r.kind,
            size: r.size,
            sha256: r.sha256,
            owner_type: r.owner_type,
            owner_id: r.owner_id,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
            version: r.version,
        }
    }
}

/// The suggestion an upload belongs to.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    pub suggestion_id: Uuid,
}

/// The `multipart/form-data` body of an upload: one part named `file`, with its file
/// name in the part's `Content-Disposition`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Which documents to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocumentFilter {
    /// The suggestion's documents the caller may see.
    pub suggestion_id: Uuid,
    /// Only those attached to this object (an opinion, a contact, …).
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<Document>,
}
