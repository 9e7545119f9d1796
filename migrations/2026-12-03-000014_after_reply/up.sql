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

-- The public list's order is (published_at, reply_id) both descending: an index in that
-- order serves it without an incremental sort.
DROP INDEX disclosures_published_idx;
CREATE INDEX disclosures_published_idx ON disclosures (published_at DESC, reply_id DESC) WHERE published_at IS NOT NULL;

-- The public list filters by year and unit and orders by publication: both are kept on the
-- disclosure (filled from the reply and its suggestion on insert; neither changes), so
-- that an index serves each filter in the list's order.
ALTER TABLE disclosures ADD COLUMN year integer, ADD COLUMN unit_id uuid REFERENCES units (id);
UPDATE disclosures d SET year = s.year, unit_id = r.unit_id
    FROM replies r JOIN suggestions s ON s.id = r.suggestion_id WHERE r.id = d.reply_id;
ALTER TABLE disclosures ALTER COLUMN year SET NOT NULL, ALTER COLUMN unit_id SET NOT NULL;
CREATE FUNCTION disclosures_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.year, r.unit_id INTO NEW.year, NEW.unit_id
        FROM replies r JOIN suggestions s ON s.id = r.suggestion_id WHERE r.id = NEW.reply_id;
    RETURN NEW;
END $$;
CREATE TRIGGER disclosures_fill BEFORE INSERT ON disclosures FOR EACH ROW EXECUTE FUNCTION disclosures_fill();
CREATE INDEX disclosures_year_published_idx ON disclosures (year, published_at DESC, reply_id DESC)
    WHERE published_at IS NOT NULL;
CREATE INDEX disclosures_unit_published_idx ON disclosures (unit_id, published_at DESC, reply_id DESC)
    WHERE published_at IS NOT NULL;
