DROP TRIGGER events_place ON events;
DROP FUNCTION events_place();
DROP INDEX events_unplaced_idx;
ALTER TABLE events DROP COLUMN position;
DROP TABLE events_head;
