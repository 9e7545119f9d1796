-- Coordination: co-handling opinions (协办意见) with the bureau's own approval and their
-- delivery to the lead, the office's waiver of a missing one, contacts with deputies
-- (沟通记录), the rules that govern them as settings, and each unit's liaison (联络员).

-- The service's settings: one row, each rule with its default.
CREATE TABLE settings (
    id                              boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- A reply passes office review only after a pre-handling contact (enforced by the reply).
    require_pre_handling_contact    boolean NOT NULL DEFAULT true,
    -- Approved extensions (and B-class replies) call for progress feedback every N months.
    progress_feedback_months        integer NOT NULL DEFAULT 3 CHECK (progress_feedback_months BETWEEN 1 AND 24),
    -- Key suggestions need a face-to-face contact (面商).
    key_requires_face_to_face       boolean NOT NULL DEFAULT true,
    version                         integer NOT NULL DEFAULT 1,
    updated_at                      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings DEFAULT VALUES;

-- Every unit names a liaison with a phone.
ALTER TABLE units ADD COLUMN liaison_name text, ADD COLUMN liaison_phone text;

-- Each unit's own series of document numbers (文号), per kind and year.
CREATE TABLE doc_no_series (
    unit_id  uuid NOT NULL REFERENCES units (id),
    kind     text NOT NULL CHECK (kind IN ('opinion', 'reply')),
    year     integer NOT NULL,
    last     integer NOT NULL,
    PRIMARY KEY (unit_id, kind, year)
);

CREATE TABLE opinions (
    id                uuid PRIMARY KEY,
    -- The co-handling assignment it answers (one opinion each).
    assignment_id     uuid NOT NULL REFERENCES assignments (id),
    suggestion_id     uuid NOT NULL REFERENCES suggestions (id),
    -- The co-handling unit, and its section when the bureau co-handles.
    unit_id           uuid NOT NULL REFERENCES units (id),
    section_id        uuid REFERENCES units (id),
    -- The bureau's own opinion: approved by the section head and the office, and its
    -- delivery to the (often external) lead recorded.
    internal          boolean NOT NULL,
    body              text NOT NULL,
    doc_no            text,
    state             text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'section_review', 'office_review',
                          'approved', 'delivered')),
    drafted_by        uuid NOT NULL REFERENCES users (id),
    submitted_at      timestamptz,
    delivered_at      timestamptz,
    delivery_channel  text CHECK (delivery_channel IN ('system', 'document_exchange', 'post', 'email', 'by_hand', 'fax')),
    delivery_note     text,
    delivered_by      uuid REFERENCES users (id),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX opinions_assignment_id_key ON opinions (assignment_id);
CREATE UNIQUE INDEX opinions_doc_no_key ON opinions (unit_id, doc_no) WHERE doc_no IS NOT NULL;
CREATE INDEX opinions_suggestion_id_idx ON opinions (suggestion_id);
CREATE INDEX opinions_unit_id_idx ON opinions (unit_id);
CREATE INDEX opinions_section_id_idx ON opinions (section_id);
CREATE INDEX opinions_drafted_by_idx ON opinions (drafted_by);
CREATE INDEX opinions_delivered_by_idx ON opinions (delivered_by);

-- The approval of the bureau's own opinions: who, when, approve or return, on which version.
CREATE TABLE opinion_decisions (
    id               uuid PRIMARY KEY,
    opinion_id       uuid NOT NULL REFERENCES opinions (id),
    stage            text NOT NULL CHECK (stage IN ('section', 'office')),
    decision         text NOT NULL CHECK (decision IN ('approve', 'return')),
    comment          text,
    opinion_version  integer NOT NULL,
    decided_by       uuid NOT NULL REFERENCES users (id),
    decided_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_decisions_opinion_id_idx ON opinion_decisions (opinion_id, decided_at);
CREATE INDEX opinion_decisions_decided_by_idx ON opinion_decisions (decided_by);

-- The office excuses a missing co-handling opinion, with its reason (the reply's office
-- review checks every opinion is in or waived).
CREATE TABLE opinion_waivers (
    assignment_id  uuid PRIMARY KEY REFERENCES assignments (id),
    suggestion_id  uuid NOT NULL REFERENCES suggestions (id),
    reason         text NOT NULL,
    waived_by      uuid NOT NULL REFERENCES users (id),
    waived_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_waivers_suggestion_id_idx ON opinion_waivers (suggestion_id);
CREATE INDEX opinion_waivers_waived_by_idx ON opinion_waivers (waived_by);

-- Contacts with deputies (沟通记录).
CREATE TABLE contacts (
    id              uuid PRIMARY KEY,
    suggestion_id   uuid NOT NULL REFERENCES suggestions (id),
    -- The lead or split assignment whose handling it belongs to.
    assignment_id   uuid NOT NULL REFERENCES assignments (id),
    unit_id         uuid NOT NULL REFERENCES units (id),
    kind            text NOT NULL CHECK (kind IN ('pre_handling', 'progress_feedback', 'follow_up_visit', 'other')),
    channel         text NOT NULL CHECK (channel IN ('phone', 'visit', 'meeting', 'letter', 'online')),
    contacted_on    date NOT NULL,
    -- 面商: the deputy met in person.
    face_to_face    boolean NOT NULL,
    -- Who took part: our staff (names), the deputies, anyone else on their side.
    staff           text[] NOT NULL,
    deputy_ids      uuid[] NOT NULL,
    others          text[] NOT NULL,
    summary         text NOT NULL,
    -- For the office and the unit only; never shown to a deputy.
    internal_note   text,
    -- The extension whose delay this contact explained to the deputy.
    extension_id    uuid REFERENCES extensions (id),
    recorded_by     uuid NOT NULL REFERENCES users (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_suggestion_id_idx ON contacts (suggestion_id, contacted_on);
CREATE INDEX contacts_assignment_id_idx ON contacts (assignment_id);
CREATE INDEX contacts_unit_id_idx ON contacts (unit_id);
CREATE INDEX contacts_deputy_ids_idx ON contacts USING gin (deputy_ids);
CREATE INDEX contacts_extension_id_idx ON contacts (extension_id);
CREATE INDEX contacts_recorded_by_idx ON contacts (recorded_by);
