-- Low-stock alerts (A-INV-04): one row each time a product's stock crosses its threshold
-- downwards through a back-office adjustment, with the quantity left and the threshold then.
-- The same transaction puts an `inventory.low_stock` event in the outbox for the events issue's
-- consumer (SNS).
CREATE TABLE low_stock_alerts (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL,
    threshold  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX low_stock_alerts_created ON low_stock_alerts (created_at);
