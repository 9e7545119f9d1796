-- Assignment (交办): the working-day calendar, deadline rules as data, assignments to units
-- with their due dates, disputes, extensions and reminders.

-- The calendar: every date that is not an ordinary weekday or weekend day. Seeded with
-- the State Council's schedule for 2023 to 2026 (data/cn-holidays-2023-2026.csv);
-- administrators add each later year when its notice is published.
CREATE TABLE holidays (
    day            date PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name           text NOT NULL,
    schedule_year  integer NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO holidays (day, kind, name, schedule_year) VALUES
    ('2022-12-31', 'holiday', '元旦', 2023),
    ('2023-01-01', 'holiday', '元旦', 2023),
    ('2023-01-02', 'holiday', '元旦', 2023),
    ('2023-01-21', 'holiday', '春节', 2023),
    ('2023-01-22', 'holiday', '春节', 2023),
    ('2023-01-23', 'holiday', '春节', 2023),
    ('2023-01-24', 'holiday', '春节', 2023),
    ('2023-01-25', 'holiday', '春节', 2023),
    ('2023-01-26', 'holiday', '春节', 2023),
    ('2023-01-27', 'holiday', '春节', 2023),
    ('2023-01-28', 'workday', '春节调休上班', 2023),
    ('2023-01-29', 'workday', '春节调休上班', 2023),
    ('2023-04-05', 'holiday', '清明节', 2023),
    ('2023-04-23', 'workday', '劳动节调休上班', 2023),
    ('2023-04-29', 'holiday', '劳动节', 2023),
    ('2023-04-30', 'holiday', '劳动节', 2023),
    ('2023-05-01', 'holiday', '劳动节', 2023),
    ('2023-05-02', 'holiday', '劳动节', 2023),
    ('2023-05-03', 'holiday', '劳动节', 2023),
    ('2023-05-06', 'workday', '劳动节调休上班', 2023),
    ('2023-06-22', 'holiday', '端午节', 2023),
    ('2023-06-23', 'holiday', '端午节', 2023),
    ('2023-06-24', 'holiday', '端午节', 2023),
    ('2023-06-25', 'workday', '端午节调休上班', 2023),
    ('2023-09-29', 'holiday', '中秋节、国庆节', 2023),
    ('2023-09-30', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-01', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-02', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-03', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-04', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-05', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-06', 'holiday', '中秋节、国庆节', 2023),
    ('2023-10-07', 'workday', '中秋节、国庆节调休上班', 2023),
    ('2023-10-08', 'workday', '中秋节、国庆节调休上班', 2023),
    ('2023-12-30', 'holiday', '元旦', 2024),
    ('2023-12-31', 'holiday', '元旦', 2024),
    ('2024-01-01', 'holiday', '元旦', 2024),
    ('2024-02-04', 'workday', '春节调休上班', 2024),
    ('2024-02-10', 'holiday', '春节', 2024),
    ('2024-02-11', 'holiday', '春节', 2024),
    ('2024-02-12', 'holiday', '春节', 2024),
    ('2024-02-13', 'holiday', '春节', 2024),
    ('2024-02-14', 'holiday', '春节', 2024),
    ('2024-02-15', 'holiday', '春节', 2024),
    ('2024-02-16', 'holiday', '春节', 2024),
    ('2024-02-17', 'holiday', '春节', 2024),
    ('2024-02-18', 'workday', '春节调休上班', 2024),
    ('2024-04-04', 'holiday', '清明节', 2024),
    ('2024-04-05', 'holiday', '清明节', 2024),
    ('2024-04-06', 'holiday', '清明节', 2024),
    ('2024-04-07', 'workday', '清明节调休上班', 2024),
    ('2024-04-28', 'workday', '劳动节调休上班', 2024),
    ('2024-05-01', 'holiday', '劳动节', 2024),
    ('2024-05-02', 'holiday', '劳动节', 2024),
    ('2024-05-03', 'holiday', '劳动节', 2024),
    ('2024-05-04', 'holiday', '劳动节', 2024),
    ('2024-05-05', 'holiday', '劳动节', 2024),
    ('2024-05-11', 'workday', '劳动节调休上班', 2024),
    ('2024-06-08', 'holiday', '端午节', 2024),
    ('2024-06-09', 'holiday', '端午节', 2024),
    ('2024-06-10', 'holiday', '端午节', 2024),
    ('2024-09-14', 'workday', '中秋节调休上班', 2024),
    ('2024-09-15', 'holiday', '中秋节', 2024),
    ('2024-09-16', 'holiday', '中秋节', 2024),
    ('2024-09-17', 'holiday', '中秋节', 2024),
    ('2024-09-29', 'workday', '国庆节调休上班', 2024),
    ('2024-10-01', 'holiday', '国庆节', 2024),
    ('2024-10-02', 'holiday', '国庆节', 2024),
    ('2024-10-03', 'holiday', '国庆节', 2024),
    ('2024-10-04', 'holiday', '国庆节', 2024),
    ('2024-10-05', 'holiday', '国庆节', 2024),
    ('2024-10-06', 'holiday', '国庆节', 2024),
    ('2024-10-07', 'holiday', '国庆节', 2024),
    ('2024-10-12', 'workday', '国庆节调休上班', 2024),
    ('2025-01-01', 'holiday', '元旦', 2025),
    ('2025-01-26', 'workday', '春节调休上班', 2025),
    ('2025-01-28', 'holiday', '春节', 2025),
    ('2025-01-29', 'holiday', '春节', 2025),
    ('2025-01-30', 'holiday', '春节', 2025),
    ('2025-01-31', 'holiday', '春节', 2025),
    ('2025-02-01', 'holiday', '春节', 2025),
    ('2025-02-02', 'holiday', '春节', 2025),
    ('2025-02-03', 'holiday', '春节', 2025),
    ('2025-02-04', 'holiday', '春节', 2025),
    ('2025-02-08', 'workday', '春节调休上班', 2025),
    ('2025-04-04', 'holiday', '清明节', 2025),
    ('2025-04-05', 'holiday', '清明节', 2025),
    ('2025-04-06', 'holiday', '清明节', 2025),
    ('2025-04-27', 'workday', '劳动节调休上班', 2025),
    ('2025-05-01', 'holiday', '劳动节', 2025),
    ('2025-05-02', 'holiday', '劳动节', 2025),
    ('2025-05-03', 'holiday', '劳动节', 2025),
    ('2025-05-04', 'holiday', '劳动节', 2025),
    ('2025-05-05', 'holiday', '劳动节', 2025),
    ('2025-05-31', 'holiday', '端午节', 2025),
    ('2025-06-01', 'holiday', '端午节', 2025),
    ('2025-06-02', 'holiday', '端午节', 2025),
    ('2025-09-28', 'workday', '国庆节、中秋节调休上班', 2025),
    ('2025-10-01', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-02', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-03', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-04', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-05', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-06', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-07', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-08', 'holiday', '国庆节、中秋节', 2025),
    ('2025-10-11', 'workday', '国庆节、中秋节调休上班', 2025),
    ('2026-01-01', 'holiday', '元旦', 2026),
    ('2026-01-02', 'holiday', '元旦', 2026),
    ('2026-01-03', 'holiday', '元旦', 2026),
    ('2026-01-04', 'workday', '元旦调休上班', 2026),
    ('2026-02-14', 'workday', '春节调休上班', 2026),
    ('2026-02-15', 'holiday', '春节', 2026),
    ('2026-02-16', 'holiday', '春节', 2026),
    ('2026-02-17', 'holiday', '春节', 2026),
    ('2026-02-18', 'holiday', '春节', 2026),
    ('2026-02-19', 'holiday', '春节', 2026),
    ('2026-02-20', 'holiday', '春节', 2026),
    ('2026-02-21', 'holiday', '春节', 2026),
    ('2026-02-22', 'holiday', '春节', 2026),
    ('2026-02-23', 'holiday', '春节', 2026),
    ('2026-02-28', 'workday', '春节调休上班', 2026),
    ('2026-04-04', 'holiday', '清明节', 2026),
    ('2026-04-05', 'holiday', '清明节', 2026),
    ('2026-04-06', 'holiday', '清明节', 2026),
    ('2026-05-01', 'holiday', '劳动节', 2026),
    ('2026-05-02', 'holiday', '劳动节', 2026),
    ('2026-05-03', 'holiday', '劳动节', 2026),
    ('2026-05-04', 'holiday', '劳动节', 2026),
    ('2026-05-05', 'holiday', '劳动节', 2026),
    ('2026-05-09', 'workday', '劳动节调休上班', 2026),
    ('2026-06-19', 'holiday', '端午节', 2026),
    ('2026-06-20', 'holiday', '端午节', 2026),
    ('2026-06-21', 'holiday', '端午节', 2026),
    ('2026-09-20', 'workday', '国庆节调休上班', 2026),
    ('2026-09-25', 'holiday', '中秋节', 2026),
    ('2026-09-26', 'holiday', '中秋节', 2026),
    ('2026-09-27', 'holiday', '中秋节', 2026),
    ('2026-10-01', 'holiday', '国庆节', 2026),
    ('2026-10-02', 'holiday', '国庆节', 2026),
    ('2026-10-03', 'holiday', '国庆节', 2026),
    ('2026-10-04', 'holiday', '国庆节', 2026),
    ('2026-10-05', 'holiday', '国庆节', 2026),
    ('2026-10-06', 'holiday', '国庆节', 2026),
    ('2026-10-07', 'holiday', '国庆节', 2026),
    ('2026-10-10', 'workday', '国庆节调休上班', 2026);

-- Deadline rules: what each applies to, where it counts from, how long, and the cap on
-- extensions. A rule with a null source or role applies to any.
CREATE TABLE deadline_rules (
    id                    uuid PRIMARY KEY,
    kind                  text NOT NULL CHECK (kind IN ('reply', 'co_opinion', 'dispute', 're_handling',
                                                         'evaluation_receipt', 'publication')),
    source                text CHECK (source IN ('npc', 'cppcc')),
    role                  text CHECK (role IN ('lead', 'split', 'co')),
    start_point           text NOT NULL CHECK (start_point IN ('received', 'assigned', 'session_closed', 'fixed', 'replied')),
    start_date            date,
    amount                integer NOT NULL CHECK (amount BETWEEN 0 AND 1000),
    period                text NOT NULL CHECK (period IN ('calendar_months', 'calendar_days', 'working_days')),
    extension_cap         integer CHECK (extension_cap BETWEEN 0 AND 1000),
    extension_cap_period  text CHECK (extension_cap_period IN ('calendar_months', 'calendar_days', 'working_days')),
    version               integer NOT NULL DEFAULT 1,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deadline_rules_dated CHECK (start_point NOT IN ('session_closed', 'fixed') OR start_date IS NOT NULL)
);
CREATE UNIQUE INDEX deadline_rules_scope_key ON deadline_rules (kind, coalesce(source, ''), coalesce(role, ''));
-- The defaults of DOMAIN.md: a reply within 3 months of the assignment (6 at most), a
-- co-handler's opinion within 1 month, a dispute within 5 working days, a new round
-- within 2 months, the evaluation receipt and publication within 20 working days.
INSERT INTO deadline_rules (id, kind, source, role, start_point, amount, period, extension_cap, extension_cap_period) VALUES
    ('0192f0c4-0000-7000-8000-000000000001', 'reply', NULL, NULL, 'assigned', 3, 'calendar_months', 3, 'calendar_months'),
    ('0192f0c4-0000-7000-8000-000000000002', 'co_opinion', NULL, NULL, 'assigned', 1, 'calendar_months', 1, 'calendar_months'),
    ('0192f0c4-0000-7000-8000-000000000003', 'dispute', NULL, NULL, 'assigned', 5, 'working_days', NULL, NULL),
    ('0192f0c4-0000-7000-8000-000000000004', 're_handling', NULL, NULL, 'assigned', 2, 'calendar_months', 1, 'calendar_months'),
    ('0192f0c4-0000-7000-8000-000000000005', 'evaluation_receipt', NULL, NULL, 'replied', 20, 'working_days', NULL, NULL),
    ('0192f0c4-0000-7000-8000-000000000006', 'publication', NULL, NULL, 'replied', 20, 'working_days', NULL, NULL);

-- The head of a unit (for a leader: the head of the bureau, who is responsible for all).
ALTER TABLE users ADD COLUMN is_head boolean NOT NULL DEFAULT false;

-- Key suggestions name the leader who supervises them.
ALTER TABLE suggestions ADD COLUMN supervisor_id uuid REFERENCES users (id);
CREATE INDEX suggestions_supervisor_id_idx ON suggestions (supervisor_id);

CREATE TABLE assignments (
    id               uuid PRIMARY KEY,
    suggestion_id    uuid NOT NULL REFERENCES suggestions (id),
    unit_id          uuid NOT NULL REFERENCES units (id),
    role             text NOT NULL CHECK (role IN ('lead', 'split', 'co')),
    round            integer NOT NULL DEFAULT 1 CHECK (round >= 1),
    -- The bureau's handling section (承办科室), its responsible leader (分管领导), and the
    -- liaison (联络员).
    section_id       uuid REFERENCES units (id),
    leader_id        uuid REFERENCES users (id),
    liaison_id       uuid REFERENCES users (id),
    state            text NOT NULL DEFAULT 'assigned' CHECK (state IN ('assigned', 'accepted', 'in_progress',
                         'disputed', 'reassigned', 'replied', 'opinion_given', 'completed')),
    assigned_on      date NOT NULL,
    rule_id          uuid NOT NULL REFERENCES deadline_rules (id),
    rule_due_on      date NOT NULL,
    extended_to      date,
    due_on           date NOT NULL,
    dispute_until    date,
    -- The due state last seen by the reminder job (a reminder goes out once per change).
    due_state        text NOT NULL DEFAULT 'on_track' CHECK (due_state IN ('on_track', 'due_soon', 'overdue')),
    signed_in_at     timestamptz,
    signed_in_by     uuid REFERENCES users (id),
    reassigned_to    uuid REFERENCES assignments (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one lead, and each unit once, among a round's live assignments.
CREATE UNIQUE INDEX assignments_one_lead_key ON assignments (suggestion_id, round) WHERE role = 'lead' AND state <> 'reassigned';
CREATE UNIQUE INDEX assignments_unit_key ON assignments (suggestion_id, round, unit_id) WHERE state <> 'reassigned';
CREATE INDEX assignments_suggestion_id_idx ON assignments (suggestion_id);
CREATE INDEX assignments_unit_id_idx ON assignments (unit_id, role, id DESC);
CREATE INDEX assignments_section_id_idx ON assignments (section_id, id DESC);
CREATE INDEX assignments_leader_id_idx ON assignments (leader_id, id DESC);
CREATE INDEX assignments_liaison_id_idx ON assignments (liaison_id);
CREATE INDEX assignments_rule_id_idx ON assignments (rule_id);
CREATE INDEX assignments_signed_in_by_idx ON assignments (signed_in_by);
CREATE INDEX assignments_reassigned_to_idx ON assignments (reassigned_to);
CREATE INDEX assignments_open_due_idx ON assignments (due_on, id)
    WHERE state NOT IN ('reassigned', 'replied', 'opinion_given', 'completed');

-- A unit's request to be reassigned (交办异议), and the office's decision.
CREATE TABLE disputes (
    id             uuid PRIMARY KEY,
    assignment_id  uuid NOT NULL REFERENCES assignments (id),
    reason         text NOT NULL,
    -- The unit the requester suggests instead, if any.
    suggested_unit_id uuid REFERENCES units (id),
    requested_by   uuid NOT NULL REFERENCES users (id),
    requested_at   timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'refused')),
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    decision_note  text,
    -- The assignment's state when disputed, where a refusal returns it.
    state_before   text NOT NULL,
    version        integer NOT NULL DEFAULT 1
);
CREATE INDEX disputes_assignment_id_idx ON disputes (assignment_id);
CREATE INDEX disputes_suggested_unit_id_idx ON disputes (suggested_unit_id);
CREATE INDEX disputes_requested_by_idx ON disputes (requested_by);
CREATE INDEX disputes_decided_by_idx ON disputes (decided_by);
CREATE UNIQUE INDEX disputes_one_pending_key ON disputes (assignment_id) WHERE status = 'pending';

-- A unit's request for more time, and the office's decision (capped by the rule).
CREATE TABLE extensions (
    id              uuid PRIMARY KEY,
    assignment_id   uuid NOT NULL REFERENCES assignments (id),
    reason          text NOT NULL,
    requested_until date NOT NULL,
    requested_by    uuid NOT NULL REFERENCES users (id),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    approved_until  date,
    -- What the deputy was told about the delay, and when (required to approve).
    explanation     text,
    explained_on    date,
    decided_by      uuid REFERENCES users (id),
    decided_at      timestamptz,
    decision_note   text,
    version         integer NOT NULL DEFAULT 1
);
CREATE INDEX extensions_assignment_id_idx ON extensions (assignment_id);
CREATE INDEX extensions_requested_by_idx ON extensions (requested_by);
CREATE INDEX extensions_decided_by_idx ON extensions (decided_by);
CREATE UNIQUE INDEX extensions_one_pending_key ON extensions (assignment_id) WHERE status = 'pending';

-- Reminders (催办): sent by the office or a leader, or by the due-state job.
CREATE TABLE reminders (
    id             uuid PRIMARY KEY,
    assignment_id  uuid NOT NULL REFERENCES assignments (id),
    kind           text NOT NULL CHECK (kind IN ('manual', 'due_soon', 'overdue')),
    message        text,
    due_on         date NOT NULL,
    sent_by        uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reminders_assignment_id_idx ON reminders (assignment_id, created_at);
CREATE INDEX reminders_sent_by_idx ON reminders (sent_by);
-- The job's reminders: once per state and due date.
CREATE UNIQUE INDEX reminders_automatic_key ON reminders (assignment_id, kind, due_on) WHERE kind <> 'manual';
