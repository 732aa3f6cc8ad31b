-- Pictures uploaded by admins (A-PROD-05): one row per product, revision and size. The revision
-- is part of the URL (/images/products/{id}/{revision}/{size}.png) and is derived from the
-- pictures' bytes, so a URL's bytes never change (they are served as immutable for a year).
-- S3 holds every object (object_key); `bytes` is the database's copy, which the shop serves from
-- so that every service of the split topology answers without a call to S3. NULL: not copied
-- yet (e.g. written by a resizing function elsewhere); the shop then reads S3 and fills it in.
-- Deleting a product (the back office's catalog) deletes its rows; its S3 objects stay, unreferenced
-- (a deleted id is never reused, so no URL can name them again).

CREATE TABLE product_image_uploads (
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    revision     TEXT    NOT NULL,
    size         TEXT    NOT NULL,
    object_key   TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    etag         TEXT    NOT NULL,
    bytes        BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (product_id, revision, size)
);
