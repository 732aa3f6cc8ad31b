-- The back office's order fulfilment (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0007.
ALTER TABLE orders ADD COLUMN tracking_number VARCHAR(64) NULL;
ALTER TABLE orders ADD COLUMN refunded_cents BIGINT NULL;
ALTER TABLE orders ADD COLUMN refunded_at BIGINT NULL;
CREATE INDEX orders_status ON orders (status, created_at);
