-- Events and notifications (issue #16). Times are epoch milliseconds.
--
-- The outbox (created in 0003) becomes a real transactional outbox:
-- - `event_id`: the event's id (a UUID), the key consumers dedupe by. Rows written before this
--   migration have none; the dispatcher names them `outbox-{id}`.
-- - `trace_context`: where in its trace the event was written (`trace_id-span_id-sampled`, hex),
--   so the dispatcher and the consumers continue that trace.
-- - `attempts`, `next_attempt_at`, `last_error`: the dispatcher's retries (backoff with jitter).
-- - `acked_at`, `republished`: a consumer that handled the event acknowledges it here; an event
--   that should have been handled and was not after the acknowledgement timeout is published
--   again (bounded), which recovers an event a broker lost. Consumers dedupe, so nothing doubles.
ALTER TABLE outbox ADD COLUMN event_id TEXT;
ALTER TABLE outbox ADD COLUMN trace_context TEXT;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN acked_at INTEGER;
ALTER TABLE outbox ADD COLUMN republished INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX outbox_event_id ON outbox (event_id);
CREATE INDEX outbox_unacked ON outbox (acked_at, published_at);

-- What each consumer has handled, by event id: the dedupe record, written in the same
-- transaction as the consumer's own effects (or right after a side effect the database cannot
-- share, such as a sent mail). `outcome` is `sent`, `skipped` (nothing to do) or `failed`
-- (a permanent failure, e.g. a refused address; not retried). `detail` names the mail's
-- message id or the reason; never personal data.
CREATE TABLE processed_events (
    consumer     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    topic        TEXT    NOT NULL,
    processed_at INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    detail       TEXT,
    PRIMARY KEY (consumer, event_id)
);

-- Back-in-stock subscriptions (C-NOTIF-03): a signed-in customer asks to be told when a sold-out
-- product is back. One open subscription per customer and product; `notified_at` is set when the
-- mail went out, which closes it.
CREATE TABLE stock_subscriptions (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    notified_at INTEGER
);
CREATE INDEX stock_subscriptions_open ON stock_subscriptions (product_id, notified_at);
CREATE INDEX stock_subscriptions_user ON stock_subscriptions (user_id, product_id);

-- Sale notices (C-NOTIF-04) go only to customers who asked for them.
ALTER TABLE users ADD COLUMN sale_notices INTEGER NOT NULL DEFAULT 0;
