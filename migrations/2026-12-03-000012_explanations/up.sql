-- A formal explanation (书面说明) to a proposer who is unsatisfied again after re-handling:
-- with a face-to-face consultation, one of the two ways an item closes after it.
CREATE TABLE explanations (
    id             uuid PRIMARY KEY,
    suggestion_id  uuid NOT NULL REFERENCES suggestions (id),
    round          integer NOT NULL,
    text           text NOT NULL,
    recorded_by    uuid NOT NULL REFERENCES users (id),
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX explanations_suggestion_id_idx ON explanations (suggestion_id, round);
CREATE INDEX explanations_recorded_by_idx ON explanations (recorded_by);
