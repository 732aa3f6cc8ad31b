-- Customer accounts (C-USER-01..04): users, server-side sessions, saved addresses, failed-login
-- counters, password-reset tokens, the transactional outbox, and the owner of an order.
-- Secrets are never stored: sessions, CSRF and reset tokens are kept as SHA-256 hashes, passwords
-- as argon2id PHC strings. Times are epoch milliseconds, as everywhere.

CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    cart_id       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_hash    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE addresses (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    line1       TEXT    NOT NULL,
    line2       TEXT    NOT NULL DEFAULT '',
    city        TEXT    NOT NULL,
    postal_code TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id);

-- One row per failed login; the limiter counts rows in a sliding window. Keys are SHA-256 hashes
-- of the normalised e-mail and of the client address, so this table holds neither.
CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    account_key TEXT    NOT NULL,
    client_key  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_key, created_at);
CREATE INDEX login_failures_client ON login_failures (client_key, created_at);

CREATE TABLE password_resets (
    token_hash TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- The transactional outbox: messages written in the same transaction as the change they announce,
-- drained later by the notifications worker.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    topic        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX outbox_unpublished ON outbox (published_at, id);

-- The customer who placed an order (NULL: a guest checkout).
ALTER TABLE orders ADD COLUMN user_id TEXT REFERENCES users (id);
CREATE INDEX orders_user ON orders (user_id, created_at);
