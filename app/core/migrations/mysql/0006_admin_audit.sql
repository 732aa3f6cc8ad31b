-- The back office and the audit log (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0006,
-- which explains each table.

CREATE TABLE admins (
    id               VARCHAR(36)  NOT NULL PRIMARY KEY,
    email            VARCHAR(254) NOT NULL,
    name             VARCHAR(100) NOT NULL,
    password_hash    VARCHAR(255) NOT NULL,
    roles            VARCHAR(255) NOT NULL,
    disabled_at      BIGINT       NULL,
    totp_secret      VARCHAR(64)  NULL,
    totp_enrolled_at BIGINT       NULL,
    totp_last_step   BIGINT       NULL,
    created_at       BIGINT       NOT NULL,
    updated_at       BIGINT       NOT NULL,
    UNIQUE KEY admins_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE admin_recovery_codes (
    admin_id  VARCHAR(36) NOT NULL,
    code_hash VARCHAR(64) NOT NULL,
    used_at   BIGINT      NULL,
    PRIMARY KEY (admin_id, code_hash),
    CONSTRAINT admin_recovery_codes_admin_fk FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE admin_sessions (
    token_hash     VARCHAR(64)  NOT NULL PRIMARY KEY,
    admin_id       VARCHAR(36)  NOT NULL,
    csrf_hash      VARCHAR(64)  NOT NULL,
    public_id      VARCHAR(32)  NOT NULL,
    mfa_passed     BIGINT       NOT NULL DEFAULT 0,
    elevated_until BIGINT       NULL,
    client_address VARCHAR(64)  NULL,
    user_agent     VARCHAR(255) NULL,
    created_at     BIGINT       NOT NULL,
    last_seen_at   BIGINT       NOT NULL,
    expires_at     BIGINT       NOT NULL,
    revoked_at     BIGINT       NULL,
    UNIQUE KEY admin_sessions_public (public_id),
    KEY admin_sessions_admin (admin_id),
    CONSTRAINT admin_sessions_admin_fk FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE admin_invitations (
    token_hash VARCHAR(64)  NOT NULL PRIMARY KEY,
    email      VARCHAR(254) NOT NULL,
    roles      VARCHAR(255) NOT NULL,
    invited_by VARCHAR(36)  NULL,
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    used_at    BIGINT       NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE audit_log (
    seq            BIGINT       NOT NULL PRIMARY KEY,
    at             BIGINT       NOT NULL,
    actor_kind     VARCHAR(16)  NULL,
    actor          VARCHAR(64)  NULL,
    action         VARCHAR(64)  NULL,
    target         VARCHAR(255) NULL,
    outcome        VARCHAR(16)  NULL,
    before_json    MEDIUMTEXT   NULL,
    after_json     MEDIUMTEXT   NULL,
    client_address VARCHAR(64)  NULL,
    request_id     VARCHAR(64)  NULL,
    trace_id       VARCHAR(32)  NULL,
    prev_hash      CHAR(64)     NOT NULL,
    hash           CHAR(64)     NOT NULL,
    KEY audit_log_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE audit_head (
    id   BIGINT   NOT NULL PRIMARY KEY,
    seq  BIGINT   NOT NULL,
    hash CHAR(64) NOT NULL,
    CONSTRAINT audit_head_one_row CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
