-- Product pictures (C-BROWSE-02). Mirrors migrations/sqlite/0002.
-- MEDIUMBLOB (up to 16 MiB) because BLOB stops at 65,535 bytes; a large picture is ~25 KB today,
-- but an admin's upload may not be.

CREATE TABLE product_images (
    product_id   BIGINT      NOT NULL,
    size         VARCHAR(8)  NOT NULL,
    content_type VARCHAR(64) NOT NULL,
    etag         VARCHAR(80) NOT NULL,
    bytes        MEDIUMBLOB  NOT NULL,
    created_at   BIGINT      NOT NULL,
    PRIMARY KEY (product_id, size),
    CONSTRAINT product_images_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

ALTER TABLE products ADD COLUMN thumbnail_url VARCHAR(500) NOT NULL DEFAULT '';

-- Databases seeded before this migration point at SVG files that were never served.
UPDATE products
SET image_url     = CONCAT('/images/products/', id, '/large.png'),
    thumbnail_url = CONCAT('/images/products/', id, '/thumb.png')
WHERE image_url = CONCAT('/images/products/', id, '.svg');
