-- Who may read a suggestion because of a step of its handling. Each step grants its units
-- access through `auth::access`, in the transaction of its change, and withdraws it the
-- same way; reads join this table instead of the later steps' own tables.
CREATE TABLE suggestion_access (
    unit_id        uuid NOT NULL REFERENCES units (id),
    -- 'unit': the unit or section handles it; 'co': the unit co-handles it.
    kind           text NOT NULL CHECK (kind IN ('unit', 'co')),
    suggestion_id  uuid NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    -- The row of the step that granted it (an assignment, …), to withdraw it by.
    granted_by     uuid NOT NULL,
    PRIMARY KEY (unit_id, kind, suggestion_id, granted_by)
);
CREATE INDEX suggestion_access_granted_by_idx ON suggestion_access (granted_by);
CREATE INDEX suggestion_access_suggestion_id_idx ON suggestion_access (suggestion_id);

-- What the assignments granted so far.
INSERT INTO suggestion_access (unit_id, kind, suggestion_id, granted_by)
SELECT unit_id, 'unit', suggestion_id, id FROM assignments WHERE state <> 'reassigned'
UNION
SELECT section_id, 'unit', suggestion_id, id FROM assignments WHERE state <> 'reassigned' AND section_id IS NOT NULL
UNION
SELECT unit_id, 'co', suggestion_id, id FROM assignments WHERE state <> 'reassigned' AND role = 'co';

-- Every enum column names its values.
ALTER TABLE sessions ADD CONSTRAINT sessions_grant_type_check
    CHECK (grant_type IN ('password', 'refresh_token', 'client_credentials'));
ALTER TABLE suggestions ADD CONSTRAINT suggestions_status_check
    CHECK (status IN ('registered', 'assigned', 'handling', 'replied', 'completed'));
ALTER TABLE disputes ADD CONSTRAINT disputes_state_before_check
    CHECK (state_before IN ('assigned', 'accepted', 'in_progress', 'disputed', 'reassigned', 'replied',
                            'opinion_given', 'completed'));
