-- Product pictures (C-BROWSE-02): PNG bytes per product and size, kept in the database so
-- every service of the split topology (which share a database, not a disk) serves the same
-- bytes with the same ETag. Products gain a thumbnail URL beside image_url.

CREATE TABLE product_images (
    product_id   INTEGER NOT NULL REFERENCES products (id),
    size         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    etag         TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (product_id, size)
);

ALTER TABLE products ADD COLUMN thumbnail_url TEXT NOT NULL DEFAULT '';

-- Databases seeded before this migration point at SVG files that were never served.
UPDATE products
SET image_url     = '/images/products/' || id || '/large.png',
    thumbnail_url = '/images/products/' || id || '/thumb.png'
WHERE image_url = '/images/products/' || id || '.svg';
