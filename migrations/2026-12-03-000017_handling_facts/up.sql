-- The facts of each handling that the ledger and the figures count, kept on the
-- assignment by the steps' tables as they change, so that a year's figures are one scan of
-- its assignments (an index led by the year) rather than a lookup per handling into
-- replies, opinions, contacts, evaluations and commitments:
--   year, external_no the suggestion's year and number (the ledger's order);
--   answered_on       the signed reply's date, or for a co-handling the opinion's delivery
--                     (Beijing time);
--   answer_class      the signed reply's class (A/B/C…);
--   contacted         a pre-handling contact (办前沟通) recorded;
--   face_to_face      a contact in person (面商) recorded;
--   rated, work_satisfied, result_satisfied
--                     of the suggestion's proposers, how many have rated it (each one's
--                     latest rating), and how many of those not as unsatisfied, for the
--                     work and for the result;
--   latest_result     the suggestion's latest rating of the result (the ledger's column);
--   open_commitments  the reply's promises still open.
-- Only the triggers below write them.
ALTER TABLE assignments
    ADD COLUMN year integer,
    ADD COLUMN external_no text,
    ADD COLUMN answered_on date,
    ADD COLUMN answer_class text,
    ADD COLUMN contacted boolean NOT NULL DEFAULT false,
    ADD COLUMN face_to_face boolean NOT NULL DEFAULT false,
    ADD COLUMN rated integer NOT NULL DEFAULT 0,
    ADD COLUMN work_satisfied integer NOT NULL DEFAULT 0,
    ADD COLUMN result_satisfied integer NOT NULL DEFAULT 0,
    ADD COLUMN latest_result text,
    ADD COLUMN open_commitments integer NOT NULL DEFAULT 0;

-- A suggestion's ratings: each proposer's latest (by round, then revision), counted.
CREATE FUNCTION rating_facts(sid uuid, OUT rated integer, OUT work_satisfied integer, OUT result_satisfied integer,
                             OUT latest_result text)
LANGUAGE sql STABLE AS $$
    SELECT count(*)::int, (count(*) FILTER (WHERE l.work <> 'unsatisfied'))::int,
           (count(*) FILTER (WHERE l.result <> 'unsatisfied'))::int,
           (SELECT e.result FROM evaluations e WHERE e.suggestion_id = sid
             ORDER BY e.round DESC, e.created_at DESC, e.revision DESC, e.id DESC LIMIT 1)
    FROM (SELECT DISTINCT ON (e.deputy_id) e.work, e.result FROM evaluations e WHERE e.suggestion_id = sid
          ORDER BY e.deputy_id, e.round DESC, e.revision DESC) l
$$;

-- The same facts computed from the steps' tables: what the triggers below keep, written
-- once; the backfill reads it, and a test compares it with what the triggers kept.
CREATE VIEW assignment_facts AS
    SELECT a.id, s.year, s.external_no,
           CASE WHEN a.role = 'co' THEN o.answered_on ELSE r.signed_on END AS answered_on,
           CASE WHEN r.state = 'signed' THEN v.class END AS answer_class,
           coalesce(c.contacted, false) AS contacted, coalesce(c.face_to_face, false) AS face_to_face,
           coalesce(e.rated, 0) AS rated, coalesce(e.work_satisfied, 0) AS work_satisfied,
           coalesce(e.result_satisfied, 0) AS result_satisfied, l.result AS latest_result,
           coalesce(k.open, 0) AS open_commitments
    FROM assignments a
    JOIN suggestions s ON s.id = a.suggestion_id
    LEFT JOIN replies r ON r.assignment_id = a.id
    LEFT JOIN reply_revisions v ON v.reply_id = r.id AND v.revision = r.revision
    LEFT JOIN (SELECT assignment_id, min((delivered_at AT TIME ZONE 'Asia/Shanghai')::date) AS answered_on
               FROM opinions WHERE delivered_at IS NOT NULL GROUP BY assignment_id) o ON o.assignment_id = a.id
    LEFT JOIN (SELECT assignment_id, bool_or(kind = 'pre_handling') AS contacted, bool_or(face_to_face) AS face_to_face
               FROM contacts GROUP BY assignment_id) c ON c.assignment_id = a.id
    LEFT JOIN (SELECT suggestion_id, count(*)::int AS rated,
                      (count(*) FILTER (WHERE work <> 'unsatisfied'))::int AS work_satisfied,
                      (count(*) FILTER (WHERE result <> 'unsatisfied'))::int AS result_satisfied
               FROM (SELECT DISTINCT ON (suggestion_id, deputy_id) suggestion_id, work, result FROM evaluations
                     ORDER BY suggestion_id, deputy_id, round DESC, revision DESC) x
               GROUP BY suggestion_id) e ON e.suggestion_id = a.suggestion_id
    LEFT JOIN (SELECT DISTINCT ON (suggestion_id) suggestion_id, result FROM evaluations
               ORDER BY suggestion_id, round DESC, created_at DESC, revision DESC, id DESC) l ON l.suggestion_id = a.suggestion_id
    LEFT JOIN (SELECT reply_id, count(*)::int AS open FROM commitments WHERE state = 'open' GROUP BY reply_id) k
           ON k.reply_id = r.id;

UPDATE assignments a SET year = f.year, external_no = f.external_no, answered_on = f.answered_on,
       answer_class = f.answer_class,
       contacted = f.contacted, face_to_face = f.face_to_face, rated = f.rated, work_satisfied = f.work_satisfied,
       result_satisfied = f.result_satisfied, latest_result = f.latest_result, open_commitments = f.open_commitments
FROM assignment_facts f WHERE f.id = a.id;
ALTER TABLE assignments ALTER COLUMN year SET NOT NULL, ALTER COLUMN external_no SET NOT NULL;

-- A new assignment: its suggestion's year, number and ratings; nothing answered, contacted or
-- promised yet (whatever the row brought).
CREATE FUNCTION assignments_facts_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.year, s.external_no INTO NEW.year, NEW.external_no FROM suggestions s WHERE s.id = NEW.suggestion_id;
    NEW.answered_on := NULL;
    NEW.answer_class := NULL;
    NEW.contacted := false;
    NEW.face_to_face := false;
    NEW.open_commitments := 0;
    SELECT f.rated, f.work_satisfied, f.result_satisfied, f.latest_result
        INTO NEW.rated, NEW.work_satisfied, NEW.result_satisfied, NEW.latest_result
        FROM rating_facts(NEW.suggestion_id) f;
    RETURN NEW;
END $$;
CREATE TRIGGER assignments_facts_fill BEFORE INSERT ON assignments FOR EACH ROW EXECUTE FUNCTION assignments_facts_fill();

-- A suggestion moved to another year, or renumbered, takes its handlings along.
CREATE FUNCTION suggestions_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET year = NEW.year, external_no = NEW.external_no WHERE suggestion_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER suggestions_facts AFTER UPDATE OF year, external_no ON suggestions FOR EACH ROW
    WHEN ((OLD.year, OLD.external_no) IS DISTINCT FROM (NEW.year, NEW.external_no))
    EXECUTE FUNCTION suggestions_facts();

-- A reply signed (or its revision or date changed): its handling's answer.
CREATE FUNCTION replies_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    class text;
BEGIN
    IF NEW.state = 'signed' THEN
        class := (SELECT v.class FROM reply_revisions v WHERE v.reply_id = NEW.id AND v.revision = NEW.revision);
    END IF;
    UPDATE assignments SET answered_on = NEW.signed_on, answer_class = class
        WHERE id = NEW.assignment_id AND role <> 'co'
          AND (answered_on, answer_class) IS DISTINCT FROM (NEW.signed_on, class);
    RETURN NULL;
END $$;
CREATE TRIGGER replies_facts AFTER INSERT OR UPDATE ON replies FOR EACH ROW EXECUTE FUNCTION replies_facts();

-- A co-handling's opinion delivered: its handling's answer.
CREATE FUNCTION opinions_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    answered date := (NEW.delivered_at AT TIME ZONE 'Asia/Shanghai')::date;
BEGIN
    UPDATE assignments SET answered_on = answered
        WHERE id = NEW.assignment_id AND role = 'co' AND answered_on IS DISTINCT FROM answered;
    RETURN NULL;
END $$;
CREATE TRIGGER opinions_facts AFTER INSERT OR UPDATE OF delivered_at ON opinions FOR EACH ROW
    EXECUTE FUNCTION opinions_facts();

-- A contact recorded, changed or removed: its handling's contacted and face-to-face.
CREATE FUNCTION contacts_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    aid uuid;
BEGIN
    FOR aid IN SELECT DISTINCT x FROM unnest(ARRAY[
            CASE WHEN TG_OP <> 'INSERT' THEN OLD.assignment_id END,
            CASE WHEN TG_OP <> 'DELETE' THEN NEW.assignment_id END]) x WHERE x IS NOT NULL LOOP
        UPDATE assignments a SET contacted = f.contacted, face_to_face = f.face_to_face
        FROM (SELECT coalesce(bool_or(c.kind = 'pre_handling'), false) AS contacted,
                     coalesce(bool_or(c.face_to_face), false) AS face_to_face
              FROM contacts c WHERE c.assignment_id = aid) f
        WHERE a.id = aid AND (a.contacted, a.face_to_face) IS DISTINCT FROM (f.contacted, f.face_to_face);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_facts AFTER INSERT OR UPDATE OR DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION contacts_facts();

-- A rating recorded: every handling of the suggestion.
CREATE FUNCTION evaluations_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.suggestion_id ELSE NEW.suggestion_id END;
BEGIN
    UPDATE assignments a SET rated = f.rated, work_satisfied = f.work_satisfied,
           result_satisfied = f.result_satisfied, latest_result = f.latest_result
    FROM rating_facts(sid) f
    WHERE a.suggestion_id = sid;
    RETURN NULL;
END $$;
CREATE TRIGGER evaluations_facts AFTER INSERT OR UPDATE OR DELETE ON evaluations FOR EACH ROW
    EXECUTE FUNCTION evaluations_facts();

-- A promise made, kept or explained: its reply's handling's open promises.
CREATE FUNCTION commitments_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rid uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.reply_id ELSE NEW.reply_id END;
BEGIN
    UPDATE assignments a
        SET open_commitments = (SELECT count(*) FROM commitments c WHERE c.reply_id = rid AND c.state = 'open')
        FROM replies r WHERE r.id = rid AND a.id = r.assignment_id;
    RETURN NULL;
END $$;
CREATE TRIGGER commitments_facts AFTER INSERT OR UPDATE OF state OR DELETE ON commitments FOR EACH ROW
    EXECUTE FUNCTION commitments_facts();

-- A year's live handlings, by suggestion and in the order that picks each suggestion's
-- first (round, then role): the figures' scan, without a sort.
CREATE INDEX assignments_year_idx ON assignments (year, suggestion_id, round, role) WHERE state <> 'reassigned';
-- A year's live handlings in the ledger's order (number, then assignment): a page is a
-- range of it.
CREATE INDEX assignments_ledger_idx ON assignments (year, external_no, id) WHERE state <> 'reassigned';
