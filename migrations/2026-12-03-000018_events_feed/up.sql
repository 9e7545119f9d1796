-- The events feed's order. `seq` is taken when a row is written, and a transaction that
-- wrote seq 100 may commit after one that wrote seq 101: a reader that moved past 101
-- would never see 100. So each transaction's events are given their `position` as it
-- commits (a deferred trigger), in seq order, under the lock of the one row of
-- `events_head`, held until the commit ends: whoever sees a position sees every smaller
-- one, and a reader paging by position skips nothing. The commit then notifies
-- `jianyi_events` for the long-polling readers.
CREATE TABLE events_head (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position  bigint NOT NULL
);

ALTER TABLE events ADD COLUMN position bigint;
UPDATE events e SET position = o.position
FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS position FROM events) o WHERE o.seq = e.seq;
INSERT INTO events_head (position) SELECT coalesce(max(position), 0) FROM events;
CREATE UNIQUE INDEX events_position_idx ON events (position);
-- What a committing transaction has still to place (empty between commits).
CREATE INDEX events_unplaced_idx ON events (xact_id, seq) WHERE position IS NULL;

CREATE FUNCTION events_place() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    placed bigint;
    last bigint;
BEGIN
    -- One call places every row of the transaction; the other rows' calls find theirs done.
    IF NOT EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq AND position IS NULL) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO placed FROM events WHERE xact_id = pg_current_xact_id() AND position IS NULL;
    UPDATE events_head SET position = position + placed RETURNING position INTO last;
    UPDATE events e SET position = last - placed + o.n
    FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events
          WHERE xact_id = pg_current_xact_id() AND position IS NULL) o
    WHERE e.seq = o.seq;
    PERFORM pg_notify('jianyi_events', last::text);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER events_place AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION events_place();
