DROP INDEX reminders_automatic_key;
ALTER TABLE reminders DROP COLUMN commitment_id;
CREATE UNIQUE INDEX reminders_automatic_key ON reminders (assignment_id, kind, due_on) WHERE kind <> 'manual';
ALTER TABLE commitments DROP COLUMN due_state;
ALTER TABLE settings DROP COLUMN follow_up_visit_months;
