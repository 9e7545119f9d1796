-- The date on a signed letter (落款日期), which the office states when it attaches the scan
-- (a scan is often filed days after the signing): deadlines, publication and the evaluation
-- window count from it, not from when the scan was filed.
ALTER TABLE replies ADD COLUMN signed_on date;
UPDATE replies SET signed_on = (signed_at AT TIME ZONE 'Asia/Shanghai')::date WHERE signed_at IS NOT NULL;
ALTER TABLE replies ADD CONSTRAINT replies_signed_on_check CHECK ((signed_at IS NULL) = (signed_on IS NULL));

-- A reply another unit made in its own system (an external lead or split unit answers the
-- suggestion; the bureau co-handled it), as the municipal system reports it: the round's
-- answer for completion, so that a co-handled item closes when its lead's reply is in and
-- evaluated.
CREATE TABLE remote_replies (
    id             uuid PRIMARY KEY,
    assignment_id  uuid NOT NULL REFERENCES assignments (id),
    suggestion_id  uuid NOT NULL REFERENCES suggestions (id),
    doc_no         text NOT NULL,
    class          text NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    replied_on     date NOT NULL,
    remote_ref     text,
    summary        text,
    recorded_by    uuid NOT NULL REFERENCES users (id),
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX remote_replies_assignment_id_key ON remote_replies (assignment_id);
CREATE INDEX remote_replies_suggestion_id_idx ON remote_replies (suggestion_id);
CREATE INDEX remote_replies_recorded_by_idx ON remote_replies (recorded_by);
