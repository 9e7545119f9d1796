-- Disclosure (政务公开) of replies: during review the office sets each reply public, summary
-- (with the summary's text) or withheld (with the reason); the deputy can be asked whether
-- it may be published and the answer is kept; publishing is the office's explicit act.
CREATE TABLE disclosures (
    reply_id         uuid PRIMARY KEY REFERENCES replies (id),
    mode             text NOT NULL CHECK (mode IN ('public', 'summary', 'withheld')),
    summary          text,
    withheld_reason  text,
    consent          text NOT NULL DEFAULT 'not_asked' CHECK (consent IN ('not_asked', 'asked', 'agreed', 'refused')),
    consent_at       timestamptz,
    decided_by       uuid NOT NULL REFERENCES users (id),
    published_at     timestamptz,
    published_by     uuid REFERENCES users (id),
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((mode = 'summary') = (summary IS NOT NULL)),
    CHECK ((mode = 'withheld') = (withheld_reason IS NOT NULL)),
    CHECK (mode <> 'withheld' OR published_at IS NULL)
);
-- The public list: newest first.
CREATE INDEX disclosures_published_idx ON disclosures (published_at DESC, reply_id) WHERE published_at IS NOT NULL;
CREATE INDEX disclosures_decided_by_idx ON disclosures (decided_by);
CREATE INDEX disclosures_published_by_idx ON disclosures (published_by);
