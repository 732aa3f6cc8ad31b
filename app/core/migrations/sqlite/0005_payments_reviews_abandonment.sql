-- Payment methods (C-SHOP-03), reviews (C-BROWSE-08), related products (C-BROWSE-06) and cart
-- abandonment (O-METRIC-06). Times are epoch milliseconds, as everywhere.

-- How an order is paid: `card`, `wallet` or `cash_on_delivery`. Orders before this were cards.
-- No token is stored: only the method and the provider's reference (payment_reference).
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'card';

-- One review per customer and product, only by a customer who bought it. `status` is
-- `published` or `held` (kept back by the automatic moderation for a person to read).
CREATE TABLE reviews (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, user_id)
);
CREATE INDEX reviews_product ON reviews (product_id, status, created_at);

-- The product's rating aggregate over its published reviews, kept in the review's transaction
-- so a listing never has to count reviews.
ALTER TABLE products ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN rating_sum   INTEGER NOT NULL DEFAULT 0;

-- "Bought together" reads order lines by product.
CREATE INDEX order_items_product ON order_items (product_id, order_id);

-- When a cart was counted as abandoned (open, with items, untouched for the window); NULL until
-- then, so each cart is counted once, by whichever process gets there first.
ALTER TABLE carts ADD COLUMN abandoned_at INTEGER;
CREATE INDEX carts_status_updated ON carts (status, updated_at);

-- Social login (C-USER-05). A login waiting at the identity provider: found by the SHA-256 of its
-- `state`, used once, ten minutes at most. The nonce and PKCE verifier are needed in clear to finish
-- the login; they are worthless once it is finished or expired.
CREATE TABLE oidc_logins (
    state_hash    TEXT    PRIMARY KEY,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    redirect_url  TEXT    NOT NULL,
    cart_id       TEXT,
    expires_at    INTEGER NOT NULL
);

-- Which identity provider account (issuer, subject) logs in as which user.
CREATE TABLE user_identities (
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
