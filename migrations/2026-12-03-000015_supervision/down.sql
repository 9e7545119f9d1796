DROP INDEX assignments_assigned_on_idx;
DROP TABLE report_notes;
ALTER TABLE settings
    DROP CONSTRAINT settings_score_weights_sum_check,
    DROP COLUMN score_weight_on_time,
    DROP COLUMN score_weight_contact,
    DROP COLUMN score_weight_satisfaction;
