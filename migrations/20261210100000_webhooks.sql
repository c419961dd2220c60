-- Webhooks (issue 25, item 3): URLs a poll's creator or a room's host registers, and the
-- outbox of their deliveries. An event's deliveries are written in the transaction of the change
-- that causes it, so a committed change always has them and a rolled-back one never does; a
-- worker on every node sends them (`webhooks::deliver`).

-- One registered URL. Its scope is one poll (`poll_id`), one room (`room_id`) or, with neither,
-- every poll its owner creates and every game they host. No foreign key to polls or rooms: a
-- poll's webhook must outlive the poll long enough to deliver `poll_deleted` (it is retired
-- then, and removed once its deliveries are done).
CREATE TABLE webhooks (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    poll_id     UUID,
    room_id     UUID,
    url         TEXT NOT NULL,
    -- Kept as issued: the server must sign with it. Shown to the owner once, at registration.
    secret      TEXT NOT NULL,
    events      TEXT[] NOT NULL,
    -- The last delivery sequence number taken. Taking one locks this row until the enqueuing
    -- transaction ends, so per webhook, sequence order is commit order.
    next_seq    BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at  TIMESTAMPTZ,
    CHECK (poll_id IS NULL OR room_id IS NULL)
);
CREATE INDEX webhooks_poll_idx ON webhooks (poll_id) WHERE poll_id IS NOT NULL;
CREATE INDEX webhooks_room_idx ON webhooks (room_id) WHERE room_id IS NOT NULL;
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id);

-- The outbox: one row per event per webhook. `state` is pending until a 2xx answer
-- (delivered) or until the retries' maximum age passed (failed). Only the pending row with the
-- lowest `seq` of its webhook is ever sent, so a webhook's events arrive in order.
CREATE TABLE webhook_deliveries (
    id              UUID PRIMARY KEY,
    webhook_id      UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    event           TEXT NOT NULL,
    payload         JSONB NOT NULL,
    -- Set for events that must be enqueued once however often they are noticed (a vote
    -- threshold noticed on two nodes).
    dedupe_key      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A node sending it holds it until then; past it (the node died), another node may.
    leased_until    TIMESTAMPTZ,
    last_status     INT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    UNIQUE (webhook_id, seq)
);
CREATE UNIQUE INDEX webhook_deliveries_dedupe_idx ON webhook_deliveries (webhook_id, dedupe_key)
    WHERE dedupe_key IS NOT NULL;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, seq)
    WHERE state = 'pending';

-- The delivery log: every attempt's answer (status code, or the error when there was none).
-- The worker keeps the last ones per webhook only.
CREATE TABLE webhook_attempts (
    id          BIGSERIAL PRIMARY KEY,
    webhook_id  UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_id UUID NOT NULL,
    event       TEXT NOT NULL,
    attempt     INT NOT NULL,
    status      INT,
    error       TEXT,
    duration_ms INT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, id DESC);
