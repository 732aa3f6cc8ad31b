-- Order tracking (C-SHOP-05): the status machine's names and a timestamped history of every
-- status an order has had. Times are epoch milliseconds, as everywhere.

-- Checkout authorizes the payment before it writes the order, so a new order is paid at once.
-- What 0001 called `confirmed` is the machine's `paid`.
UPDATE orders SET status = 'paid' WHERE status = 'confirmed';

-- One row per status an order entered; from_status is NULL for the first (placed).
CREATE TABLE order_status_history (
    id          INTEGER PRIMARY KEY,
    order_id    TEXT    NOT NULL REFERENCES orders (id),
    from_status TEXT,
    status      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);

-- Orders placed before this migration get the history checkout now writes.
INSERT INTO order_status_history (order_id, from_status, status, created_at)
SELECT id, NULL, 'placed', created_at FROM orders;
INSERT INTO order_status_history (order_id, from_status, status, created_at)
SELECT id, 'placed', 'paid', created_at FROM orders;

-- Coupons (C-SHOP-06): a percentage (1–100) or a fixed amount in cents off the subtotal, a minimum
-- subtotal, validity bounds (NULL: none), and limits in total and per customer (NULL: none).
-- redeemed_count and coupon_customer_uses.uses are raised by conditional updates inside the
-- order's transaction, so concurrent checkouts never redeem past a limit.
CREATE TABLE coupons (
    id                 INTEGER PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE,
    kind               TEXT    NOT NULL,
    amount             INTEGER NOT NULL,
    min_subtotal_cents INTEGER NOT NULL DEFAULT 0,
    valid_from         INTEGER,
    valid_until        INTEGER,
    max_redemptions    INTEGER,
    per_customer_limit INTEGER,
    redeemed_count     INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL
);

-- Uses per customer: customer_key is `user:<id>` for a logged-in customer, else `email:` and the
-- SHA-256 of the lower-cased e-mail (this table holds no address).
CREATE TABLE coupon_customer_uses (
    coupon_id    INTEGER NOT NULL REFERENCES coupons (id),
    customer_key TEXT    NOT NULL,
    uses         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (coupon_id, customer_key)
);

CREATE TABLE coupon_redemptions (
    id             INTEGER PRIMARY KEY,
    coupon_id      INTEGER NOT NULL REFERENCES coupons (id),
    order_id       TEXT    NOT NULL REFERENCES orders (id),
    customer_key   TEXT    NOT NULL,
    discount_cents INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX coupon_redemptions_coupon ON coupon_redemptions (coupon_id);

-- What the order was discounted by (total_cents = subtotal - discount + shipping).
ALTER TABLE orders ADD COLUMN coupon_code TEXT;
ALTER TABLE orders ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0;
