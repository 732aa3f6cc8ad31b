-- Events and notifications (issue #16); see the SQLite migration of the same number for what
-- each column means. Times are epoch milliseconds.
ALTER TABLE outbox
    ADD COLUMN event_id        VARCHAR(64)  NULL,
    ADD COLUMN trace_context   VARCHAR(128) NULL,
    ADD COLUMN attempts        INT          NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at BIGINT       NOT NULL DEFAULT 0,
    ADD COLUMN last_error      TEXT         NULL,
    ADD COLUMN acked_at        BIGINT       NULL,
    ADD COLUMN republished     INT          NOT NULL DEFAULT 0,
    ADD UNIQUE KEY outbox_event_id (event_id),
    ADD KEY outbox_unacked (acked_at, published_at);

CREATE TABLE processed_events (
    consumer     VARCHAR(64) NOT NULL,
    event_id     VARCHAR(64) NOT NULL,
    topic        VARCHAR(64) NOT NULL,
    processed_at BIGINT      NOT NULL,
    outcome      VARCHAR(16) NOT NULL,
    detail       TEXT        NULL,
    PRIMARY KEY (consumer, event_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE stock_subscriptions (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id  BIGINT      NOT NULL,
    user_id     VARCHAR(36) NOT NULL,
    created_at  BIGINT      NOT NULL,
    notified_at BIGINT      NULL,
    KEY stock_subscriptions_open (product_id, notified_at),
    KEY stock_subscriptions_user (user_id, product_id),
    CONSTRAINT stock_subscriptions_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT stock_subscriptions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

ALTER TABLE users ADD COLUMN sale_notices TINYINT NOT NULL DEFAULT 0;
