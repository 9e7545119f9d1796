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
