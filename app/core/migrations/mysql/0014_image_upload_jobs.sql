-- Uploads handed to the image-resize function. Mirrors migrations/sqlite/0014.

CREATE TABLE image_upload_jobs (
    id            VARCHAR(64)  NOT NULL,
    product_id    BIGINT       NOT NULL,
    admin_id      VARCHAR(64)  NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    reason        VARCHAR(512) NULL,
    revision      VARCHAR(32)  NULL,
    image_url     VARCHAR(255) NULL,
    thumbnail_url VARCHAR(255) NULL,
    trace_id      VARCHAR(64)  NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL,
    PRIMARY KEY (id),
    KEY image_upload_jobs_product (product_id, created_at),
    CONSTRAINT image_upload_jobs_product FOREIGN KEY (product_id) REFERENCES products (id)
        ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
