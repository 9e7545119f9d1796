-- Documents: files attached to the steps of the work (opinions, contacts, replies, the
-- signed letter), kept in an object store under keys the server makes; the original name
-- is metadata only.
CREATE TABLE documents (
    id             uuid PRIMARY KEY,
    suggestion_id  uuid NOT NULL REFERENCES suggestions (id),
    -- The unit that uploaded it (a section of the bureau, the office, a co-handling unit):
    -- it owns the document until a step attaches it.
    unit_id        uuid NOT NULL REFERENCES units (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- Decided by the content (magic bytes), never by the declared type or the name.
    kind           text NOT NULL CHECK (kind IN ('pdf', 'ofd', 'doc', 'docx', 'xls', 'xlsx', 'jpg', 'png')),
    size           bigint NOT NULL CHECK (size >= 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key    text NOT NULL,
    -- What a later step attached it to (an opinion, a contact, a reply …); attached
    -- documents are frozen with their owner.
    owner_type     text,
    owner_id       uuid,
    uploaded_by    uuid NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    deleted_by     uuid REFERENCES users (id),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT documents_owner CHECK ((owner_type IS NULL) = (owner_id IS NULL))
);
CREATE UNIQUE INDEX documents_storage_key_key ON documents (storage_key);
CREATE INDEX documents_suggestion_id_idx ON documents (suggestion_id, id);
CREATE INDEX documents_unit_id_idx ON documents (unit_id);
CREATE INDEX documents_owner_id_idx ON documents (owner_id);
CREATE INDEX documents_uploaded_by_idx ON documents (uploaded_by);
CREATE INDEX documents_deleted_by_idx ON documents (deleted_by);

-- Units a step lets read a document besides its own (the lead, for a co-handler's
-- delivered opinion); withdrawn by the granting row.
CREATE TABLE document_grants (
    document_id  uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    unit_id      uuid NOT NULL REFERENCES units (id),
    granted_by   uuid NOT NULL,
    PRIMARY KEY (document_id, unit_id, granted_by)
);
CREATE INDEX document_grants_unit_id_idx ON document_grants (unit_id);
CREATE INDEX document_grants_granted_by_idx ON document_grants (granted_by);

-- Blobs that may have to go: an upload in progress (until its row commits) and a deleted
-- document's blob. The sweep job deletes each blob no live document points at, once
-- `not_before` has passed, and then the row.
CREATE TABLE blob_sweeps (
    storage_key  text PRIMARY KEY,
    not_before   timestamptz NOT NULL
);
CREATE INDEX blob_sweeps_not_before_idx ON blob_sweeps (not_before);
