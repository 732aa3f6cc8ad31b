-- Batch runs (MySQL 8 / MariaDB 10.11). Mirrors migrations/sqlite/0011, which explains the table.
CREATE TABLE batch_runs (
    id           VARCHAR(36) NOT NULL PRIMARY KEY,
    job          VARCHAR(32) NOT NULL,
    triggered_by VARCHAR(16) NOT NULL,
    running_job  VARCHAR(32) NULL,
    started_at   BIGINT      NOT NULL,
    finished_at  BIGINT      NULL,
    items        BIGINT      NOT NULL DEFAULT 0,
    outcome      VARCHAR(16) NOT NULL,
    detail       TEXT        NULL,
    trace_id     VARCHAR(64) NULL,
    UNIQUE KEY batch_runs_running (running_job),
    KEY batch_runs_job_started (job, started_at),
    KEY batch_runs_started (started_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
