-- Batch runs (A-BATCH-01..03): one row per run of a job (`stock_report`, `orders_export`,
-- `maintenance`), whoever started it (the scheduler, the command line, an admin). `outcome` is
-- `running` until the run ends, then `success` or `failed` (or `abandoned` when a process died
-- mid-run and a later run took over). `detail` is the job's JSON summary (counts, the export's
-- object key, the audit chain's verdict); never personal data.
--
-- `running_job` holds the job's name while it runs and NULL afterwards: its UNIQUE index lets at
-- most one run of a job be running at a time across every process sharing the database (NULLs do
-- not collide, on SQLite or MariaDB). Times are epoch milliseconds.
CREATE TABLE batch_runs (
    id           TEXT    PRIMARY KEY,
    job          TEXT    NOT NULL,
    triggered_by TEXT    NOT NULL,
    running_job  TEXT    UNIQUE,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    items        INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT    NOT NULL,
    detail       TEXT,
    trace_id     TEXT
);
CREATE INDEX batch_runs_job_started ON batch_runs (job, started_at);
CREATE INDEX batch_runs_started ON batch_runs (started_at);
