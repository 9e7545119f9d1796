DROP INDEX assignments_ledger_idx;
DROP INDEX assignments_year_idx;
DROP TRIGGER commitments_facts ON commitments;
DROP FUNCTION commitments_facts();
DROP TRIGGER evaluations_facts ON evaluations;
DROP FUNCTION evaluations_facts();
DROP TRIGGER contacts_facts ON contacts;
DROP FUNCTION contacts_facts();
DROP TRIGGER opinions_facts ON opinions;
DROP FUNCTION opinions_facts();
DROP TRIGGER replies_facts ON replies;
DROP FUNCTION replies_facts();
DROP TRIGGER suggestions_facts ON suggestions;
DROP FUNCTION suggestions_facts();
DROP TRIGGER assignments_facts_fill ON assignments;
DROP FUNCTION assignments_facts_fill();
DROP VIEW assignment_facts;
DROP FUNCTION rating_facts(uuid);
ALTER TABLE assignments DROP COLUMN year, DROP COLUMN external_no, DROP COLUMN answered_on, DROP COLUMN answer_class, DROP COLUMN contacted,
    DROP COLUMN face_to_face, DROP COLUMN rated, DROP COLUMN work_satisfied, DROP COLUMN result_satisfied,
    DROP COLUMN latest_result, DROP COLUMN open_commitments;
