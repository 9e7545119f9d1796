-- Evaluations (评价) by each proposer, per round, on the handling work and on the result;
-- a change is a new revision. And the completion (办结) of a suggestion with its basis.
CREATE TABLE evaluations (
    id            uuid PRIMARY KEY,
    suggestion_id uuid NOT NULL REFERENCES suggestions (id),
    round         integer NOT NULL CHECK (round >= 1),
    deputy_id     uuid NOT NULL REFERENCES deputies (id),
    revision      integer NOT NULL CHECK (revision >= 1),
    work          text NOT NULL CHECK (work IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    result        text NOT NULL CHECK (result IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    comment       text,
    -- The sync role records it on the proposer's behalf (from the municipal system).
    on_behalf     boolean NOT NULL,
    recorded_by   uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX evaluations_revision_key ON evaluations (suggestion_id, round, deputy_id, revision);
CREATE INDEX evaluations_deputy_id_idx ON evaluations (deputy_id);
CREATE INDEX evaluations_recorded_by_idx ON evaluations (recorded_by);

CREATE TABLE completions (
    suggestion_id  uuid PRIMARY KEY REFERENCES suggestions (id),
    round          integer NOT NULL,
    -- Every proposer evaluated, or the evaluation receipt window passed.
    basis          text NOT NULL CHECK (basis IN ('evaluated', 'receipt_window')),
    completed_by   uuid NOT NULL REFERENCES users (id),
    completed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX completions_completed_by_idx ON completions (completed_by);
