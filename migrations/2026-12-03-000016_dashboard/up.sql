-- The dashboard's one-time tickets: a front end holding a token asks for one and opens
-- the dashboard with it; the ticket, good once and for a minute, becomes a session cookie
-- of the same session. Only its hash is kept.
CREATE TABLE dashboard_tickets (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX dashboard_tickets_session_id_idx ON dashboard_tickets (session_id);
CREATE INDEX dashboard_tickets_expires_at_idx ON dashboard_tickets (expires_at);

-- The dashboard's replies waiting for publication: those decided and not yet published,
-- and those signed without a decision yet.
CREATE INDEX disclosures_unpublished_idx ON disclosures (reply_id) WHERE published_at IS NULL AND mode <> 'withheld';
CREATE INDEX replies_signed_on_idx ON replies (signed_on, id) WHERE state = 'signed';

-- Finding a suggestion by its number alone (the list's `external_no` filter).
CREATE INDEX suggestions_external_no_idx ON suggestions (external_no);

-- The ledger: a year's suggestions in number order (its keyset), so that a page reads
-- only its rows (a seq scan of every assignment before).
CREATE INDEX suggestions_year_external_no_idx ON suggestions (year, external_no, id) WHERE merged_into IS NULL;
