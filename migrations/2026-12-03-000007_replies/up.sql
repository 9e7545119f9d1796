-- Replies (答复): drafts kept as revisions, sign-off by the co-handlers (会签), the
-- three-level review, the signed scan as the final version, and reply templates.

-- The classes in use (some places use only A/B/C), and whether the head signs key items.
ALTER TABLE settings
    ADD COLUMN reply_classes text[] NOT NULL DEFAULT '{A,B,C,D}'
        CHECK (cardinality(reply_classes) BETWEEN 1 AND 4 AND reply_classes <@ '{A,B,C,D}'),
    ADD COLUMN key_requires_head_signature boolean NOT NULL DEFAULT false;

CREATE TABLE reply_templates (
    id          uuid PRIMARY KEY,
    -- The suggestions' category it serves; null for any.
    category    text,
    name        text NOT NULL,
    body        text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reply_templates_name_key ON reply_templates (name);
CREATE INDEX reply_templates_category_idx ON reply_templates (category);
CREATE INDEX reply_templates_created_by_idx ON reply_templates (created_by);

CREATE TABLE replies (
    id                 uuid PRIMARY KEY,
    -- The lead or split assignment it answers (one reply per assignment, and so per round).
    assignment_id      uuid NOT NULL REFERENCES assignments (id),
    suggestion_id      uuid NOT NULL REFERENCES suggestions (id),
    unit_id            uuid NOT NULL REFERENCES units (id),
    section_id         uuid REFERENCES units (id),
    round              integer NOT NULL,
    state              text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'section_review', 'office_review',
                           'leader_review', 'approved', 'signed')),
    -- The current revision (every save is a new one, in reply_revisions).
    revision           integer NOT NULL DEFAULT 1,
    drafted_by         uuid NOT NULL REFERENCES users (id),
    -- First sent to review: from then on the reviewers see it.
    submitted_at       timestamptz,
    approved_at        timestamptz,
    approved_by        uuid REFERENCES users (id),
    -- The signed and sealed scan, the final version.
    final_document_id  uuid REFERENCES documents (id),
    signed_at          timestamptz,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX replies_assignment_id_key ON replies (assignment_id);
CREATE INDEX replies_suggestion_id_idx ON replies (suggestion_id);
CREATE INDEX replies_unit_id_idx ON replies (unit_id);
CREATE INDEX replies_section_id_idx ON replies (section_id);
CREATE INDEX replies_drafted_by_idx ON replies (drafted_by);
CREATE INDEX replies_approved_by_idx ON replies (approved_by);
CREATE INDEX replies_final_document_id_idx ON replies (final_document_id);

-- Every saved version of a reply, whole.
CREATE TABLE reply_revisions (
    reply_id       uuid NOT NULL REFERENCES replies (id),
    revision       integer NOT NULL CHECK (revision >= 1),
    class          text CHECK (class IN ('A', 'B', 'C', 'D')),
    -- Markdown with no raw HTML, no script and no remote resource (cleaned on the way in).
    body           text NOT NULL,
    doc_no         text,
    signer         text,
    leader_name    text,
    leader_phone   text,
    handler_name   text,
    handler_phone  text,
    -- Copied to (抄送): the co-handlers (added by the service) and the names given.
    cc_units       text[] NOT NULL,
    -- The suggestion's points this version answers.
    points         text[] NOT NULL,
    template_id    uuid REFERENCES reply_templates (id),
    saved_by       uuid NOT NULL REFERENCES users (id),
    saved_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reply_id, revision)
);
CREATE INDEX reply_revisions_saved_by_idx ON reply_revisions (saved_by);
CREATE INDEX reply_revisions_template_id_idx ON reply_revisions (template_id);
CREATE UNIQUE INDEX reply_revisions_doc_no_idx ON reply_revisions (reply_id, doc_no) WHERE doc_no IS NOT NULL;

-- Sign-off (会签): the lead asks each co-handling unit to agree to one revision.
CREATE TABLE reply_signoffs (
    id             uuid PRIMARY KEY,
    reply_id       uuid NOT NULL REFERENCES replies (id),
    revision       integer NOT NULL,
    -- The co-handling assignment of the unit asked.
    assignment_id  uuid NOT NULL REFERENCES assignments (id),
    unit_id        uuid NOT NULL REFERENCES units (id),
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'agreed', 'disagreed', 'escalated',
                       'settled', 'superseded')),
    comment        text,
    requested_by   uuid NOT NULL REFERENCES users (id),
    requested_at   timestamptz NOT NULL DEFAULT now(),
    answered_by    uuid REFERENCES users (id),
    answered_at    timestamptz,
    -- The office's settlement of an escalated disagreement.
    settled_by     uuid REFERENCES users (id),
    settled_at     timestamptz,
    settle_note    text,
    version        integer NOT NULL DEFAULT 1,
    FOREIGN KEY (reply_id, revision) REFERENCES reply_revisions (reply_id, revision)
);
-- One live request per co-handler and reply.
CREATE UNIQUE INDEX reply_signoffs_live_key ON reply_signoffs (reply_id, assignment_id) WHERE state <> 'superseded';
CREATE INDEX reply_signoffs_revision_idx ON reply_signoffs (reply_id, revision);
CREATE INDEX reply_signoffs_unit_id_idx ON reply_signoffs (unit_id, state);
CREATE INDEX reply_signoffs_assignment_id_idx ON reply_signoffs (assignment_id);
CREATE INDEX reply_signoffs_requested_by_idx ON reply_signoffs (requested_by);
CREATE INDEX reply_signoffs_answered_by_idx ON reply_signoffs (answered_by);
CREATE INDEX reply_signoffs_settled_by_idx ON reply_signoffs (settled_by);

-- The review: section head (substance), office (format), leader (direction; signs).
CREATE TABLE reply_decisions (
    id            uuid PRIMARY KEY,
    reply_id      uuid NOT NULL REFERENCES replies (id),
    stage         text NOT NULL CHECK (stage IN ('section', 'office', 'leader')),
    decision      text NOT NULL CHECK (decision IN ('approve', 'return')),
    comment       text,
    revision      integer NOT NULL,
    -- The office may change the class, with its reason.
    class_before  text CHECK (class_before IN ('A', 'B', 'C', 'D')),
    class_after   text CHECK (class_after IN ('A', 'B', 'C', 'D')),
    class_reason  text,
    decided_by    uuid NOT NULL REFERENCES users (id),
    decided_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (reply_id, revision) REFERENCES reply_revisions (reply_id, revision),
    CHECK ((class_after IS NULL) = (class_reason IS NULL))
);
CREATE INDEX reply_decisions_reply_id_idx ON reply_decisions (reply_id, revision);
CREATE INDEX reply_decisions_decided_by_idx ON reply_decisions (decided_by);
