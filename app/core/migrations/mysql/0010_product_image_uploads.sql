-- Pictures uploaded by admins (A-PROD-05). Mirrors migrations/sqlite/0010.
-- MEDIUMBLOB (up to 16 MiB), as for product_images: a resized picture is far below it.

CREATE TABLE product_image_uploads (
    product_id   BIGINT       NOT NULL,
    revision     VARCHAR(32)  NOT NULL,
    size         VARCHAR(8)   NOT NULL,
    object_key   VARCHAR(255) NOT NULL,
    content_type VARCHAR(64)  NOT NULL,
    etag         VARCHAR(80)  NOT NULL,
    bytes        MEDIUMBLOB   NULL,
    created_at   BIGINT       NOT NULL,
    PRIMARY KEY (product_id, revision, size),
    CONSTRAINT product_image_uploads_product FOREIGN KEY (product_id) REFERENCES products (id)
        ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
