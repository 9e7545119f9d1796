-- Supervision: the weights of the per-unit yearly score (on time, contact, satisfaction;
-- percentages that add up to 100), the annual report's next steps as the office writes
-- them, and an index for statistics over a date range of assignment.
ALTER TABLE settings
    ADD COLUMN score_weight_on_time integer NOT NULL DEFAULT 40
        CONSTRAINT settings_score_weight_on_time_check CHECK (score_weight_on_time BETWEEN 0 AND 100),
    ADD COLUMN score_weight_contact integer NOT NULL DEFAULT 20
        CONSTRAINT settings_score_weight_contact_check CHECK (score_weight_contact BETWEEN 0 AND 100),
    ADD COLUMN score_weight_satisfaction integer NOT NULL DEFAULT 40
        CONSTRAINT settings_score_weight_satisfaction_check CHECK (score_weight_satisfaction BETWEEN 0 AND 100),
    ADD CONSTRAINT settings_score_weights_sum_check
        CHECK (score_weight_on_time + score_weight_contact + score_weight_satisfaction = 100);

CREATE TABLE report_notes (
    year        integer PRIMARY KEY CHECK (year BETWEEN 1949 AND 2200),
    next_steps  text NOT NULL CHECK (length(next_steps) <= 20000),
    version     integer NOT NULL DEFAULT 1,
    updated_by  uuid NOT NULL REFERENCES users (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_notes_updated_by_idx ON report_notes (updated_by);

CREATE INDEX assignments_assigned_on_idx ON assignments (assigned_on);
