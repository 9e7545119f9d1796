ALTER TABLE disputes DROP CONSTRAINT disputes_state_before_check;
ALTER TABLE suggestions DROP CONSTRAINT suggestions_status_check;
ALTER TABLE sessions DROP CONSTRAINT sessions_grant_type_check;
DROP TABLE suggestion_access;
