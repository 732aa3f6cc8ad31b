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
