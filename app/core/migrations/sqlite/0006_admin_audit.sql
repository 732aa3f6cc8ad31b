-- The back office (A-AUTH-01..08) and the audit log (O-AUDIT-01). Admins are not customers: their
-- own table, roles, TOTP and recovery codes, sessions with an idle and an absolute lifetime and a
-- step-up deadline, and single-use invitations. Tokens and recovery codes are stored as SHA-256
-- hashes, passwords as argon2id PHC strings. The TOTP secret is stored as it must be used (base32):
-- the database is the secret's home, so it never appears in any log, span or API answer after
-- enrolment. Times are epoch milliseconds.

CREATE TABLE admins (
    id             TEXT    PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    -- Comma-separated role names (admin::Role::as_str), e.g. "catalog_manager,viewer".
    roles          TEXT    NOT NULL,
    disabled_at    INTEGER,
    totp_secret    TEXT,
    -- Set when the admin proved the app works (first code accepted): MFA is then enforced.
    totp_enrolled_at INTEGER,
    -- The TOTP time step of the last accepted code: older or equal steps are replays.
    totp_last_step INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE admin_recovery_codes (
    admin_id  TEXT    NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (admin_id, code_hash)
);

CREATE TABLE admin_sessions (
    token_hash     TEXT    PRIMARY KEY,
    admin_id       TEXT    NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    csrf_hash      TEXT    NOT NULL,
    -- A short public id to list and revoke sessions by (never the token).
    public_id      TEXT    NOT NULL UNIQUE,
    -- 0 after the password, 1 once the second factor was given.
    mfa_passed     INTEGER NOT NULL DEFAULT 0,
    elevated_until INTEGER,
    client_address TEXT,
    user_agent     TEXT,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

CREATE TABLE admin_invitations (
    token_hash  TEXT    PRIMARY KEY,
    email       TEXT    NOT NULL,
    roles       TEXT    NOT NULL,
    invited_by  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- Append-only, hash-chained (shop_core::audit::chain). `seq` starts at 1 with no gaps.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    actor_kind     TEXT,
    actor          TEXT,
    action         TEXT,
    target         TEXT,
    outcome        TEXT,
    before_json    TEXT,
    after_json     TEXT,
    client_address TEXT,
    request_id     TEXT,
    trace_id       TEXT,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- The chain's head, one row: appends serialise on it (a locking read on MariaDB, the write lock
-- on SQLite), and `shop audit verify` checks the chain really ends there.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
