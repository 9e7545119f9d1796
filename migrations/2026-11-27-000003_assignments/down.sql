DROP TABLE reminders;
DROP TABLE extensions;
DROP TABLE disputes;
DROP TABLE assignments;
ALTER TABLE suggestions DROP COLUMN supervisor_id;
ALTER TABLE users DROP COLUMN is_head;
DROP TABLE deadline_rules;
DROP TABLE holidays;
