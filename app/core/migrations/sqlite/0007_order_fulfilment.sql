-- The back office's order fulfilment (A-ORDER-01..03): the carrier's tracking number, set when an
-- order ships, and the refund of a returned order (the mock provider's refund: the amount and when).
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
ALTER TABLE orders ADD COLUMN refunded_cents INTEGER;
ALTER TABLE orders ADD COLUMN refunded_at INTEGER;
CREATE INDEX orders_status ON orders (status, created_at);
