-- Order tracking (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0004: the status machine's
-- names and a timestamped history of every status an order has had.

ALTER TABLE orders MODIFY status VARCHAR(32) NOT NULL;
UPDATE orders SET status = 'paid' WHERE status = 'confirmed';

CREATE TABLE order_status_history (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id    VARCHAR(36) NOT NULL,
    from_status VARCHAR(32) NULL,
    status      VARCHAR(32) NOT NULL,
    created_at  BIGINT      NOT NULL,
    KEY order_status_history_order (order_id, id),
    CONSTRAINT order_status_history_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

INSERT INTO order_status_history (order_id, from_status, status, created_at)
SELECT id, NULL, 'placed', created_at FROM orders;
INSERT INTO order_status_history (order_id, from_status, status, created_at)
SELECT id, 'placed', 'paid', created_at FROM orders;

-- Coupons (C-SHOP-06): mirrors migrations/sqlite/0004.
CREATE TABLE coupons (
    id                 BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code               VARCHAR(32) NOT NULL,
    kind               VARCHAR(16) NOT NULL,
    amount             BIGINT      NOT NULL,
    min_subtotal_cents BIGINT      NOT NULL DEFAULT 0,
    valid_from         BIGINT      NULL,
    valid_until        BIGINT      NULL,
    max_redemptions    BIGINT      NULL,
    per_customer_limit BIGINT      NULL,
    redeemed_count     BIGINT      NOT NULL DEFAULT 0,
    created_at         BIGINT      NOT NULL,
    UNIQUE KEY coupons_code (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE coupon_customer_uses (
    coupon_id    BIGINT      NOT NULL,
    customer_key VARCHAR(80) NOT NULL,
    uses         BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (coupon_id, customer_key),
    CONSTRAINT coupon_customer_uses_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE coupon_redemptions (
    id             BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    coupon_id      BIGINT      NOT NULL,
    order_id       VARCHAR(36) NOT NULL,
    customer_key   VARCHAR(80) NOT NULL,
    discount_cents BIGINT      NOT NULL,
    created_at     BIGINT      NOT NULL,
    KEY coupon_redemptions_coupon (coupon_id),
    CONSTRAINT coupon_redemptions_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id),
    CONSTRAINT coupon_redemptions_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

ALTER TABLE orders
    ADD COLUMN coupon_code    VARCHAR(32) NULL,
    ADD COLUMN discount_cents BIGINT      NOT NULL DEFAULT 0;
