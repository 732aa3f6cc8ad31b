-- The audit log's origin columns, wide enough for what the shop records (MySQL 8 / MariaDB 10.11).
-- 0006 sized `trace_id` for a W3C trace id (32 hex digits), but the trace id is recorded as the
-- backend writes it: with the awssdk backend that is an X-Ray id (`1-5f84c7a5-` and 24 hex
-- digits, 35 characters), which MariaDB's strict mode refused, so every audited back-office
-- action failed with a 500. And the shop accepts a caller's `X-Request-Id` of up to 128
-- characters. SQLite does not enforce lengths; its 0012 changes nothing.
ALTER TABLE audit_log
    MODIFY request_id VARCHAR(128) NULL,
    MODIFY trace_id   VARCHAR(64)  NULL;
