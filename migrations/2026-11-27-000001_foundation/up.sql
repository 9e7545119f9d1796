-- Foundation: directory (units, users), sessions and refresh tokens, login throttling,
-- idempotency keys and the append-only audit log.

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('bureau', 'section', 'external')),
    parent_id   uuid REFERENCES units (id),
    active      boolean NOT NULL DEFAULT true,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT units_section_has_parent CHECK ((kind = 'section') = (parent_id IS NOT NULL))
);
CREATE UNIQUE INDEX units_name_key ON units (name);
CREATE INDEX units_parent_id_idx ON units (parent_id);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL,
    display_name   text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('person', 'service')),
    roles          text[] NOT NULL CHECK (roles <@ ARRAY['admin', 'office', 'leader', 'section_head',
                                          'handler', 'co_handler', 'deputy', 'sync']::text[]),
    unit_id        uuid REFERENCES units (id),
    secret_hash    text,
    active         boolean NOT NULL DEFAULT true,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_unit_id_idx ON users (unit_id);

-- A session is one login (a refresh-token family, or one client_credentials grant).
CREATE TABLE sessions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grant_type      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Failed logins per key ('user:<name>' or 'ip:<addr>') within a window.
CREATE TABLE login_failures (
    key                text PRIMARY KEY,
    window_started_at  timestamptz NOT NULL,
    failures           integer NOT NULL
);

-- Answers of creating requests, replayed for a retry with the same key (24 h).
CREATE TABLE idempotency_keys (
    principal_id   uuid NOT NULL,
    key            text NOT NULL,
    request_hash   bytea NOT NULL,
    status         smallint NOT NULL,
    body           jsonb NOT NULL,
    location       text,
    etag           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,
    actor_name   text,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL,
    before       jsonb,
    after        jsonb,
    request_id   text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The audit log is append-only.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
