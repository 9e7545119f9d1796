-- After the reply: the follow-up visit (办后回访) is due this many months after the reply
-- (0: not required); open commitments keep the progress feedback running and are reminded
-- of, like assignments, once per change of their due state.
ALTER TABLE settings
    ADD COLUMN follow_up_visit_months integer NOT NULL DEFAULT 1 CHECK (follow_up_visit_months BETWEEN 0 AND 12);

ALTER TABLE commitments ADD COLUMN due_state text NOT NULL DEFAULT 'on_track'
    CHECK (due_state IN ('on_track', 'due_soon', 'overdue'));

-- A reminder about a commitment goes to the unit of the reply's assignment.
ALTER TABLE reminders ADD COLUMN commitment_id uuid REFERENCES commitments (id);
CREATE INDEX reminders_commitment_id_idx ON reminders (commitment_id);
DROP INDEX reminders_automatic_key;
CREATE UNIQUE INDEX reminders_automatic_key ON reminders
    (assignment_id, kind, due_on, COALESCE(commitment_id, '00000000-0000-0000-0000-000000000000'))
    WHERE kind <> 'manual';
