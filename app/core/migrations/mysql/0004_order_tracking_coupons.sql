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
