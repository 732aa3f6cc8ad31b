-- Uploads handed to the image-resize function (A-PROD-05 with `--image-resize function`): one row
-- per upload, written `pending` by the shop before it puts the original to
-- `originals/products/{product_id}/{id}` in S3, and moved to `done` (with the revision and the new
-- URLs) or `failed` (with the reason) by the function, in the same transaction as the picture's
-- rows, the product's URLs and the audit entry. The admin page polls it
-- (GET /api/admin/products/{id}/image/uploads/{upload_id}). `admin_id` is who uploaded: the audit
-- entry's actor. Deleting a product deletes its rows.

CREATE TABLE image_upload_jobs (
    id            TEXT    NOT NULL PRIMARY KEY,
    product_id    INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    admin_id      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    reason        TEXT,
    revision      TEXT,
    image_url     TEXT,
    thumbnail_url TEXT,
    trace_id      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX image_upload_jobs_product ON image_upload_jobs (product_id, created_at);
