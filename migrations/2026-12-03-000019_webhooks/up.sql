-- Webhooks: an admin subscribes a URL to event types; the worker follows the events feed
-- (by position, so nothing is skipped), makes one delivery per subscription and event,
-- and sends each, signed, until it is delivered or, after the last attempt, dead.
CREATE TABLE webhook_subscriptions (
    id             uuid PRIMARY KEY,
    url            text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- Empty: every type.
    event_types    text[] NOT NULL DEFAULT '{}',
    -- `whsec_` and the base64 of the key (the Standard Webhooks form); it signs, so it is
    -- kept as it is, and shown only to admins.
    secret         text NOT NULL,
    description    text CHECK (length(description) <= 500),
    active         boolean NOT NULL DEFAULT true,
    -- The feed's head when the subscription was made: it receives what follows.
    from_position  bigint NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    -- Sent as `webhook-id`: the same on every attempt, so that a receiver can drop repeats.
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions ON DELETE CASCADE,
    event_seq        bigint NOT NULL REFERENCES events (seq),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    -- When a pending delivery may be tried next. Taking one moves it past the attempt's
    -- lease, so that a worker that dies while sending leaves it to be tried again.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (subscription_id, event_seq)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (subscription_id, state, created_at DESC, id);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_seq);
CREATE INDEX webhook_deliveries_dead_idx ON webhook_deliveries (created_at DESC, id) WHERE state = 'dead';

-- How far the worker has turned the feed into deliveries (one row; locked by the one
-- worker doing it at a time).
CREATE TABLE webhook_cursor (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position  bigint NOT NULL
);
INSERT INTO webhook_cursor (position) SELECT position FROM events_head;
