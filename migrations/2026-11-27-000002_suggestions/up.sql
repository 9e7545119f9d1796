-- Deputies and members, suggestions, and the outbox of events.

CREATE TABLE deputies (
    id            uuid PRIMARY KEY,
    body          text NOT NULL CHECK (body IN ('npc', 'cppcc')),
    name          text NOT NULL,
    -- 代表团 for a deputy, 界别 (sector) for a CPPCC member.
    delegation    text,
    -- Personal data: shown only to the office, admins and the deputy.
    phone         text,
    email         text,
    address       text,
    -- The deputy asked that their identity be kept confidential.
    confidential  boolean NOT NULL DEFAULT false,
    user_id       uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX deputies_identity_key ON deputies (body, name, coalesce(delegation, ''));

CREATE TABLE suggestions (
    id             uuid PRIMARY KEY,
    source         text NOT NULL CHECK (source IN ('npc', 'cppcc')),
    year           integer NOT NULL CHECK (year BETWEEN 1949 AND 2200),
    external_no    text NOT NULL,
    session_label  text,
    title          text NOT NULL,
    body           text NOT NULL DEFAULT '',
    category       text,
    keywords       text[] NOT NULL DEFAULT '{}',
    proposer_id    uuid REFERENCES deputies (id),
    co_signer_ids  uuid[] NOT NULL DEFAULT '{}',
    is_key         boolean NOT NULL DEFAULT false,
    received_on    date,
    merged_into    uuid REFERENCES suggestions (id),
    status         text NOT NULL DEFAULT 'registered',
    version        integer NOT NULL DEFAULT 1,
    -- SHA-256 of the content a sync or an import writes: the same payload again is a no-op.
    content_hash   bytea NOT NULL,
    -- Character bigrams of title, keywords and body (lexemes only: matching), and of title
    -- (A) and keywords (B) with positions (ranking, similar suggestions); built by the service.
    search         tsvector NOT NULL,
    title_search   tsvector NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suggestions_external_no_key UNIQUE (source, year, external_no)
);
-- Keep heap rows narrow (~0.5 KB): the body and the matching vector go out of line, so
-- that lists and searches, which visit many rows but need neither, read few pages.
ALTER TABLE suggestions SET (toast_tuple_target = 700);
CREATE INDEX suggestions_year_idx ON suggestions (year, source, id DESC);
CREATE INDEX suggestions_status_idx ON suggestions (status, id DESC);
CREATE INDEX suggestions_category_idx ON suggestions (category, id DESC);
CREATE INDEX suggestions_received_on_idx ON suggestions (received_on, id DESC);
CREATE INDEX suggestions_proposer_id_idx ON suggestions (proposer_id);
CREATE INDEX suggestions_co_signer_ids_idx ON suggestions USING gin (co_signer_ids);
CREATE INDEX suggestions_merged_into_idx ON suggestions (merged_into);
CREATE INDEX suggestions_key_idx ON suggestions (id DESC) WHERE is_key;
CREATE INDEX suggestions_search_idx ON suggestions USING gin (search);
CREATE INDEX suggestions_title_search_idx ON suggestions USING gin (title_search);

-- The outbox: one row per change, written in the change's transaction. Readers page by
-- `seq`; `xact_id` lets a reader skip past rows of transactions still in flight.
CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type         text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    version      integer,
    payload      jsonb NOT NULL,
    xact_id      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_entity_idx ON events (entity_type, entity_id, seq);

-- Bulk imports: a large pending list lets GIN take new entries without merging them one
-- row at a time; the service merges it right after an import (gin_clean_pending_list),
-- autovacuum otherwise. lz4 compresses the large columns several times faster than the
-- default where the server was built with it.
ALTER INDEX suggestions_search_idx SET (gin_pending_list_limit = 65536);
DO $$
BEGIN
    ALTER TABLE suggestions ALTER COLUMN body SET COMPRESSION lz4,
                            ALTER COLUMN search SET COMPRESSION lz4;
    ALTER TABLE audit_log ALTER COLUMN before SET COMPRESSION lz4,
                          ALTER COLUMN after SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; keeping the default compression';
END $$;
