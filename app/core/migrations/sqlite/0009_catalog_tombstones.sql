-- Ids of deleted products and categories (A-PROD-01..03), so that an id is never given twice.
-- SQLite's `INTEGER PRIMARY KEY` hands out MAX(id) + 1, so deleting the newest product would let
-- the next one reuse its id: its picture URLs (served as immutable for a year) and its audit
-- entries (`product:<id>`) would then name two products. New ids start past these tombstones.
CREATE TABLE catalog_tombstones (
    kind       TEXT    NOT NULL CHECK (kind IN ('product', 'category')),
    id         INTEGER NOT NULL,
    label      TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
