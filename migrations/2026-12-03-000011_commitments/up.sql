-- Commitments (落实): what a B-class reply promised, with due dates, progress updates, and
-- how each ended — done, or explained when it could not be delivered.
CREATE TABLE commitments (
    id            uuid PRIMARY KEY,
    reply_id      uuid NOT NULL REFERENCES replies (id),
    suggestion_id uuid NOT NULL REFERENCES suggestions (id),
    text          text NOT NULL,
    due_on        date NOT NULL,
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'explained')),
    outcome       text,
    closed_at     timestamptz,
    closed_by     uuid REFERENCES users (id),
    created_by    uuid NOT NULL REFERENCES users (id),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'open') = (outcome IS NULL))
);
CREATE INDEX commitments_reply_id_idx ON commitments (reply_id);
CREATE INDEX commitments_suggestion_id_idx ON commitments (suggestion_id);
-- Open commitments by due date (the due states).
CREATE INDEX commitments_open_idx ON commitments (due_on) WHERE state = 'open';
CREATE INDEX commitments_closed_by_idx ON commitments (closed_by);
CREATE INDEX commitments_created_by_idx ON commitments (created_by);

CREATE TABLE commitment_progress (
    id             uuid PRIMARY KEY,
    commitment_id  uuid NOT NULL REFERENCES commitments (id),
    note           text NOT NULL,
    reported_on    date NOT NULL,
    recorded_by    uuid NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX commitment_progress_commitment_id_idx ON commitment_progress (commitment_id, reported_on);
CREATE INDEX commitment_progress_recorded_by_idx ON commitment_progress (recorded_by);
