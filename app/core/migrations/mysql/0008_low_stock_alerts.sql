-- Low-stock alerts (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0008.
CREATE TABLE low_stock_alerts (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    threshold  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    KEY low_stock_alerts_created (created_at),
    CONSTRAINT low_stock_alerts_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
