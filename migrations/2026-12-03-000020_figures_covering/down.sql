DROP INDEX suggestions_groups_idx;
CREATE INDEX assignments_year_idx ON assignments (year, suggestion_id, round, role) WHERE state <> 'reassigned';
DROP INDEX assignments_year_facts_idx;
