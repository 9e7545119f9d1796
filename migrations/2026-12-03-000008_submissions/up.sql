-- Submission (报送) of a signed reply to the municipal suggestion system: the office
-- submits; the sync role reads what is pending and marks each sent, acknowledged (with the
-- remote reference) or failed (with the reason); the office retries a failed one.
CREATE TABLE submissions (
    id               uuid PRIMARY KEY,
    reply_id         uuid NOT NULL REFERENCES replies (id),
    suggestion_id    uuid NOT NULL REFERENCES suggestions (id),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'acknowledged', 'failed')),
    -- How many times it was sent (a retry sends it again).
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    remote_ref       text,
    failure_reason   text,
    submitted_by     uuid NOT NULL REFERENCES users (id),
    submitted_at     timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    acknowledged_at  timestamptz,
    failed_at        timestamptz,
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'acknowledged') = (remote_ref IS NOT NULL)),
    CHECK ((state = 'failed') = (failure_reason IS NOT NULL))
);
CREATE UNIQUE INDEX submissions_reply_id_key ON submissions (reply_id);
-- The sync role's queue: what is in a state, oldest first.
CREATE INDEX submissions_state_idx ON submissions (state, id);
CREATE INDEX submissions_suggestion_id_idx ON submissions (suggestion_id);
CREATE INDEX submissions_submitted_by_idx ON submissions (submitted_by);
