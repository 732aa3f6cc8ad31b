-- Payment methods (C-SHOP-03), reviews (C-BROWSE-08), related products (C-BROWSE-06) and cart
-- abandonment (O-METRIC-06) (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0005.

-- How an order is paid: `card`, `wallet` or `cash_on_delivery`. Orders before this were cards.
-- No token is stored: only the method and the provider's reference (payment_reference).
ALTER TABLE orders
    ADD COLUMN payment_method VARCHAR(32) NOT NULL DEFAULT 'card';

-- One review per customer and product, only by a customer who bought it. `status` is
-- `published` or `held` (kept back by the automatic moderation for a person to read).
CREATE TABLE reviews (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id BIGINT      NOT NULL,
    user_id    VARCHAR(36) NOT NULL,
    rating     BIGINT      NOT NULL,
    body       TEXT        NOT NULL,
    status     VARCHAR(16) NOT NULL,
    created_at BIGINT      NOT NULL,
    UNIQUE KEY reviews_product_user (product_id, user_id),
    KEY reviews_product (product_id, status, created_at),
    CONSTRAINT reviews_rating CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT reviews_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT reviews_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The product's rating aggregate over its published reviews, kept in the review's transaction
-- so a listing never has to count reviews.
ALTER TABLE products
    ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN rating_sum   BIGINT NOT NULL DEFAULT 0;

-- "Bought together" reads order lines by product.
CREATE INDEX order_items_product ON order_items (product_id, order_id);

-- When a cart was counted as abandoned (open, with items, untouched for the window); NULL until
-- then, so each cart is counted once, by whichever process gets there first.
ALTER TABLE carts ADD COLUMN abandoned_at BIGINT NULL;
CREATE INDEX carts_status_updated ON carts (status, updated_at);

-- Social login (C-USER-05). A login waiting at the identity provider: found by the SHA-256 of its
-- `state`, used once, ten minutes at most. The nonce and PKCE verifier are needed in clear to finish
-- the login; they are worthless once it is finished or expired.
CREATE TABLE oidc_logins (
    state_hash    VARCHAR(64)  NOT NULL PRIMARY KEY,
    nonce         VARCHAR(128) NOT NULL,
    pkce_verifier VARCHAR(128) NOT NULL,
    redirect_url  VARCHAR(500) NOT NULL,
    cart_id       VARCHAR(36)  NULL,
    expires_at    BIGINT       NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Which identity provider account (issuer, subject) logs in as which user.
CREATE TABLE user_identities (
    issuer     VARCHAR(255) NOT NULL,
    subject    VARCHAR(255) NOT NULL,
    user_id    VARCHAR(36)  NOT NULL,
    created_at BIGINT       NOT NULL,
    PRIMARY KEY (issuer, subject),
    KEY user_identities_user (user_id),
    CONSTRAINT user_identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
