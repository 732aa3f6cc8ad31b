-- The shop's first schema: catalog, inventory, carts, orders.
-- Money is integer cents; times are epoch milliseconds (both engines agree on BIGINT).

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    parent_id   INTEGER REFERENCES categories (id),
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    currency    TEXT    NOT NULL DEFAULT 'USD',
    category_id INTEGER NOT NULL REFERENCES categories (id),
    image_url   TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_price ON products (price_cents);
CREATE INDEX products_created ON products (created_at);

CREATE TABLE inventory (
    product_id          INTEGER PRIMARY KEY REFERENCES products (id),
    quantity            INTEGER NOT NULL CHECK (quantity >= 0),
    low_stock_threshold INTEGER NOT NULL DEFAULT 5,
    updated_at          INTEGER NOT NULL
);

-- Every change of stock, with why (seed, order, restock, adjustment).
CREATE TABLE inventory_movements (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    delta      INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    reference  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX inventory_movements_product ON inventory_movements (product_id, created_at);

CREATE TABLE carts (
    id         TEXT    PRIMARY KEY,
    status     TEXT    NOT NULL DEFAULT 'open',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cart_items (
    id         INTEGER PRIMARY KEY,
    cart_id    TEXT    NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   INTEGER NOT NULL,
    UNIQUE (cart_id, product_id)
);

CREATE TABLE orders (
    id                   TEXT    PRIMARY KEY,
    cart_id              TEXT    NOT NULL REFERENCES carts (id),
    idempotency_key      TEXT    NOT NULL UNIQUE,
    request_hash         TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    email                TEXT    NOT NULL,
    shipping_name        TEXT    NOT NULL,
    shipping_line1       TEXT    NOT NULL,
    shipping_line2       TEXT    NOT NULL DEFAULT '',
    shipping_city        TEXT    NOT NULL,
    shipping_postal_code TEXT    NOT NULL,
    shipping_country     TEXT    NOT NULL,
    subtotal_cents       INTEGER NOT NULL,
    shipping_cents       INTEGER NOT NULL,
    total_cents          INTEGER NOT NULL,
    currency             TEXT    NOT NULL,
    payment_reference    TEXT    NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX orders_cart ON orders (cart_id);

CREATE TABLE order_items (
    id               INTEGER PRIMARY KEY,
    order_id         TEXT    NOT NULL REFERENCES orders (id),
    product_id       INTEGER NOT NULL REFERENCES products (id),
    product_name     TEXT    NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    quantity         INTEGER NOT NULL,
    line_total_cents INTEGER NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);
