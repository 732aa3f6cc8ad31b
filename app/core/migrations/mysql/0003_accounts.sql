-- Customer accounts (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0003: users, server-side
-- sessions, saved addresses, failed-login counters, password-reset tokens, the transactional
-- outbox, and the owner of an order. Only hashes of tokens are stored.

CREATE TABLE users (
    id            VARCHAR(36)  NOT NULL PRIMARY KEY,
    email         VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    name          VARCHAR(100) NOT NULL,
    cart_id       VARCHAR(36)  NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL,
    UNIQUE KEY users_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE sessions (
    token_hash   VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id      VARCHAR(36) NOT NULL,
    csrf_hash    VARCHAR(64) NOT NULL,
    created_at   BIGINT      NOT NULL,
    last_seen_at BIGINT      NOT NULL,
    expires_at   BIGINT      NOT NULL,
    KEY sessions_user (user_id),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE addresses (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     VARCHAR(36)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    line1       VARCHAR(200) NOT NULL,
    line2       VARCHAR(200) NOT NULL DEFAULT '',
    city        VARCHAR(100) NOT NULL,
    postal_code VARCHAR(20)  NOT NULL,
    country     VARCHAR(2)   NOT NULL,
    is_default  BIGINT       NOT NULL DEFAULT 0,
    created_at  BIGINT       NOT NULL,
    KEY addresses_user (user_id),
    CONSTRAINT addresses_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE login_failures (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_key VARCHAR(64) NOT NULL,
    client_key  VARCHAR(64) NOT NULL,
    created_at  BIGINT      NOT NULL,
    KEY login_failures_account (account_key, created_at),
    KEY login_failures_client (client_key, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE password_resets (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id    VARCHAR(36) NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    used_at    BIGINT      NULL,
    KEY password_resets_user (user_id),
    CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE outbox (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    topic        VARCHAR(64) NOT NULL,
    payload      TEXT        NOT NULL,
    created_at   BIGINT      NOT NULL,
    published_at BIGINT      NULL,
    KEY outbox_unpublished (published_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

ALTER TABLE orders
    ADD COLUMN user_id VARCHAR(36) NULL,
    ADD KEY orders_user (user_id, created_at),
    ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
