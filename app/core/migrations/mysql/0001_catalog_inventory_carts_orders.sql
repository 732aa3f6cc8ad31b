-- The shop's first schema: catalog, inventory, carts, orders (MySQL 8 / MariaDB 10.11).
-- Mirrors migrations/sqlite/0001. Types are limited to what sqlx's Any driver
-- maps on both engines: BIGINT (not INT/TINYINT/BOOLEAN), VARCHAR/TEXT, no DECIMAL.

CREATE TABLE categories (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug        VARCHAR(64)  NOT NULL UNIQUE,
    name        VARCHAR(100) NOT NULL,
    description VARCHAR(500) NOT NULL DEFAULT '',
    parent_id   BIGINT       NULL,
    sort_order  BIGINT       NOT NULL DEFAULT 0,
    CONSTRAINT categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE products (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku         VARCHAR(32)   NOT NULL UNIQUE,
    name        VARCHAR(200)  NOT NULL,
    description TEXT          NOT NULL,
    price_cents BIGINT        NOT NULL CHECK (price_cents >= 0),
    currency    VARCHAR(3)    NOT NULL DEFAULT 'USD',
    category_id BIGINT        NOT NULL,
    image_url   VARCHAR(500)  NOT NULL DEFAULT '',
    created_at  BIGINT        NOT NULL,
    updated_at  BIGINT        NOT NULL,
    KEY products_category (category_id),
    KEY products_price (price_cents),
    KEY products_created (created_at),
    CONSTRAINT products_category_fk FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE inventory (
    product_id          BIGINT NOT NULL PRIMARY KEY,
    quantity            BIGINT NOT NULL CHECK (quantity >= 0),
    low_stock_threshold BIGINT NOT NULL DEFAULT 5,
    updated_at          BIGINT NOT NULL,
    CONSTRAINT inventory_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE inventory_movements (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id BIGINT      NOT NULL,
    delta      BIGINT      NOT NULL,
    reason     VARCHAR(32) NOT NULL,
    reference  VARCHAR(64) NULL,
    created_at BIGINT      NOT NULL,
    KEY inventory_movements_product (product_id, created_at),
    CONSTRAINT inventory_movements_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE carts (
    id         VARCHAR(36) NOT NULL PRIMARY KEY,
    status     VARCHAR(16) NOT NULL DEFAULT 'open',
    created_at BIGINT      NOT NULL,
    updated_at BIGINT      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE cart_items (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    cart_id    VARCHAR(36) NOT NULL,
    product_id BIGINT      NOT NULL,
    quantity   BIGINT      NOT NULL CHECK (quantity > 0),
    added_at   BIGINT      NOT NULL,
    UNIQUE KEY cart_items_cart_product (cart_id, product_id),
    CONSTRAINT cart_items_cart FOREIGN KEY (cart_id) REFERENCES carts (id) ON DELETE CASCADE,
    CONSTRAINT cart_items_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE orders (
    id                   VARCHAR(36)  NOT NULL PRIMARY KEY,
    cart_id              VARCHAR(36)  NOT NULL,
    idempotency_key      VARCHAR(255) NOT NULL,
    request_hash         VARCHAR(64)  NOT NULL,
    status               VARCHAR(16)  NOT NULL,
    email                VARCHAR(254) NOT NULL,
    shipping_name        VARCHAR(200) NOT NULL,
    shipping_line1       VARCHAR(200) NOT NULL,
    shipping_line2       VARCHAR(200) NOT NULL DEFAULT '',
    shipping_city        VARCHAR(100) NOT NULL,
    shipping_postal_code VARCHAR(20)  NOT NULL,
    shipping_country     VARCHAR(2)   NOT NULL,
    subtotal_cents       BIGINT       NOT NULL,
    shipping_cents       BIGINT       NOT NULL,
    total_cents          BIGINT       NOT NULL,
    currency             VARCHAR(3)   NOT NULL,
    payment_reference    VARCHAR(64)  NOT NULL,
    created_at           BIGINT       NOT NULL,
    UNIQUE KEY orders_idempotency_key (idempotency_key),
    KEY orders_cart (cart_id),
    CONSTRAINT orders_cart_fk FOREIGN KEY (cart_id) REFERENCES carts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE order_items (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id         VARCHAR(36)  NOT NULL,
    product_id       BIGINT       NOT NULL,
    product_name     VARCHAR(200) NOT NULL,
    unit_price_cents BIGINT       NOT NULL,
    quantity         BIGINT       NOT NULL,
    line_total_cents BIGINT       NOT NULL,
    KEY order_items_order (order_id),
    CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_items_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
