-- Ids of deleted products and categories (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0009.
-- InnoDB's AUTO_INCREMENT already never reuses an id (persistent since MariaDB 10.2.4); the table
-- keeps both engines' schemas alike and records what was deleted.
CREATE TABLE catalog_tombstones (
    kind       VARCHAR(16)  NOT NULL,
    id         BIGINT       NOT NULL,
    label      VARCHAR(100) NOT NULL,
    deleted_at BIGINT       NOT NULL,
    PRIMARY KEY (kind, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
