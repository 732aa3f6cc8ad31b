//! The database: connection pool, migrations, and the one place queries get
//! their client spans (O-TRACE-02).
//!
//! SQLite (embedded, the default) and MySQL/MariaDB share every query through
//! sqlx's `Any` driver: both use `?` placeholders, and the schema sticks to
//! types both map the same way (BIGINT, VARCHAR, TEXT, DOUBLE; money in integer
//! cents, times in epoch milliseconds). Only the DDL differs, so each has its
//! own migrations directory (`app/core/migrations/{sqlite,mysql}`).

pub mod seed;
pub mod statement;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use telemetry_api::export::without_telemetry;
use telemetry_api::metrics::Histogram;
use telemetry_api::{KeyValue, semconv};
use tracing::Instrument;

use statement::StatementInfo;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static MYSQL_MIGRATIONS: Migrator = sqlx::migrate!("migrations/mysql");

/// Which database engine is behind the pool (`db.system.name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbSystem {
    Sqlite,
    Mysql,
    Mariadb,
}

impl DbSystem {
    /// The `db.system.name` value.
    pub fn as_str(self) -> &'static str {
        match self {
            DbSystem::Sqlite => "sqlite",
            DbSystem::Mysql => "mysql",
            DbSystem::Mariadb => "mariadb",
        }
    }

    /// SQLite needs a few statements of its own (upserts, `BEGIN IMMEDIATE`).
    pub fn is_sqlite(self) -> bool {
        self == DbSystem::Sqlite
    }
}

/// The shop's handle on its database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    system: DbSystem,
    namespace: Arc<str>,
    duration: Histogram,
    /// The fault flags (off unless [`Db::with_faults`]): `database_slowdown_ms`
    /// is applied in the one path every statement takes, and the rest of the
    /// shop reaches the flags through the handle it already has.
    faults: crate::faults::Faults,
}

/// How often start-up tries the migrations when the database gives no
/// connection in time ([`Db::migrate`]).
pub const MIGRATE_ATTEMPTS: u32 = 3;

/// A connection-level failure at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Db {
    /// Connects (creating the SQLite file and its directory if needed) and
    /// detects the engine. Does not migrate.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        duration: Histogram,
    ) -> Result<Db, DbSetupError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        if sqlite
            && let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| DbSetupError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                        // WAL lets readers run beside the one writer; the busy
                        // timeout makes concurrent writers queue instead of failing.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(DbSetupError::Connect)?;

        let (system, namespace) = if sqlite {
            (
                DbSystem::Sqlite,
                sqlite_path(url).unwrap_or_else(|| "main".to_owned()),
            )
        } else {
            let (version, name): (String, Option<String>) =
                sqlx::query_as("SELECT VERSION(), DATABASE()")
                    .fetch_one(&pool)
                    .await
                    .map_err(DbSetupError::Connect)?;
            let system = if version.to_ascii_lowercase().contains("mariadb") {
                DbSystem::Mariadb
            } else {
                DbSystem::Mysql
            };
            (system, name.unwrap_or_default())
        };
        Ok(Db {
            pool,
            system,
            namespace: Arc::from(namespace),
            duration,
            faults: crate::faults::Faults::off(),
        })
    }

    /// Applies the migrations for this engine.
    ///
    /// A database that cannot hand out a connection in time (still starting,
    /// or busy: the pool's acquire timeout) delays the start instead of
    /// stopping it: up to [`MIGRATE_ATTEMPTS`] tries, a few seconds apart. A
    /// migration that fails in the database is not retried.
    pub async fn migrate(&self) -> Result<(), DbSetupError> {
        let migrator = if self.system.is_sqlite() {
            &SQLITE_MIGRATIONS
        } else {
            &MYSQL_MIGRATIONS
        };
        let mut attempt = 1;
        loop {
            match migrator.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(sqlx::migrate::MigrateError::Execute(e))
                    if is_unavailable(&e) && attempt < MIGRATE_ATTEMPTS =>
                {
                    tracing::warn!(attempt, error = %e, "the database gave no connection for the migrations; trying again");
                    tokio::time::sleep(std::time::Duration::from_secs(2 * u64::from(attempt)))
                        .await;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The connection pool, for running queries (through [`Db::traced`]).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// This handle with the fault flags `faults` (docs/faults.md); clones
    /// made afterwards share them.
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> Db {
        self.faults = faults;
        self
    }

    /// The fault flags this shop runs with (all off unless configured).
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.faults
    }

    /// The engine behind the pool.
    pub fn system(&self) -> DbSystem {
        self.system
    }

    /// A round trip to the database (`SELECT 1`), as a traced statement:
    /// the health check's question "can the database answer?".
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        const PING: &str = "SELECT 1";
        self.traced(
            PING,
            sqlx::query_scalar::<_, i64>(PING).fetch_one(&self.pool),
        )
        .await
        .map(drop)
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead
    /// of one failing when it tries to upgrade a read lock.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let span = self.span(&describe_cached("BEGIN"));
        let start = Instant::now();
        let result = if self.system.is_sqlite() {
            without_telemetry(self.pool.begin_with("BEGIN IMMEDIATE")).await
        } else {
            without_telemetry(self.pool.begin()).await
        };
        self.finish(&span, "BEGIN", None, start, result.as_ref().err());
        result
    }

    /// Ends a write transaction the way its work went: commits `tx` if
    /// `result` is `Ok`, rolls it back at once (releasing the write lock) if
    /// not, and hands `result` on. A failed commit is the error then.
    pub async fn end_write<T, E: From<sqlx::Error>>(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        result: Result<T, E>,
    ) -> Result<T, E> {
        match result {
            Ok(v) => {
                self.traced("COMMIT", tx.commit()).await?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.traced("ROLLBACK", tx.rollback()).await;
                Err(e)
            }
        }
    }

    /// Runs one query future as a database client span and records its
    /// duration. `sql` must be the statement the future executes.
    ///
    /// The driver itself runs with no `tracing` subscriber: sqlx's SQLite
    /// worker thread would otherwise hold on to the current span after
    /// answering, so a request's spans would end on that thread, late, and
    /// outside the request's dispatcher. The shop's own span around the call
    /// is what tells the story.
    ///
    /// ```text
    /// const SQL: &str = "SELECT name FROM products WHERE id = ?";
    /// let row = db.traced(SQL, sqlx::query(SQL).bind(id).fetch_optional(db.pool())).await?;
    /// ```
    pub async fn traced<T, F>(&self, sql: &str, query: F) -> Result<T, sqlx::Error>
    where
        F: Future<Output = Result<T, sqlx::Error>>,
    {
        self.run(sql, query, |_| None).await
    }

    /// [`Db::traced`] for `fetch_all`: also records `db.response.returned_rows`.
    pub async fn traced_all<T, F>(&self, sql: &str, query: F) -> Result<Vec<T>, sqlx::Error>
    where
        F: Future<Output = Result<Vec<T>, sqlx::Error>>,
    {
        self.run(sql, query, |rows| Some(rows.len() as i64)).await
    }

    async fn run<T, F>(
        &self,
        sql: &str,
        query: F,
        rows: fn(&T) -> Option<i64>,
    ) -> Result<T, sqlx::Error>
    where
        F: Future<Output = Result<T, sqlx::Error>>,
    {
        let info = describe_cached(sql);
        let span = self.span(&info);
        let start = Instant::now();
        // The injected slowdown (`database_slowdown_ms`): inside the
        // statement's span and its duration, as a slow database would be.
        // Every statement passes here (`traced`, `traced_all`, commit and
        // rollback), so this is the one place it needs.
        self.faults.database_delay().instrument(span.clone()).await;
        let result = without_telemetry(query).await;
        if let Some(n) = result.as_ref().ok().and_then(rows) {
            span.record(semconv::DB_RESPONSE_RETURNED_ROWS, n);
        }
        self.finish(
            &span,
            info.operation,
            info.collection.as_deref(),
            start,
            result.as_ref().err(),
        );
        result
    }

    fn span(&self, info: &StatementInfo) -> tracing::Span {
        // The name and sanitised text are computed once per statement (see
        // `describe_cached`); an unsampled span copies neither.
        tracing::info_span!(
            "db.query",
            span.name = info.span_name.as_str(),
            span.kind = "client",
            db.system.name = self.system.as_str(),
            db.namespace = &*self.namespace,
            db.operation.name = info.operation,
            db.collection.name = info.collection.as_deref(),
            db.query.text = info.sanitized.as_str(),
            db.response.returned_rows = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    }

    fn finish(
        &self,
        span: &tracing::Span,
        operation: &'static str,
        collection: Option<&str>,
        start: Instant,
        error: Option<&sqlx::Error>,
    ) {
        let mut attrs = vec![
            KeyValue::new(semconv::DB_SYSTEM_NAME, self.system.as_str()),
            KeyValue::new(semconv::DB_OPERATION_NAME, operation),
        ];
        if let Some(c) = collection {
            attrs.push(KeyValue::new(semconv::DB_COLLECTION_NAME, c.to_owned()));
        }
        if let Some(e) = error {
            let kind = error_type(e);
            span.record(semconv::ERROR_TYPE, kind);
            attrs.push(KeyValue::new(semconv::ERROR_TYPE, kind));
            span.in_scope(|| tracing::warn!(error = %e, "database error"));
        }
        self.duration.record(start.elapsed().as_secs_f64(), &attrs);
    }
}

/// A short error class for `error.type`.
pub fn error_type(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => "unique_violation",
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => "foreign_key_violation",
        sqlx::Error::Database(d) if d.is_check_violation() => "check_violation",
        sqlx::Error::Database(_) => "database_error",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::Io(_) => "io_error",
        _ => "other",
    }
}

/// True for errors worth retrying the whole transaction: SQLite busy/locked
/// (after its busy timeout), MySQL deadlock or lock wait timeout.
pub fn is_transient(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    match d.code().as_deref() {
        // SQLite extended result codes: BUSY, BUSY_SNAPSHOT, LOCKED.
        Some("5" | "517" | "6" | "262") => true,
        // MySQL/MariaDB: SQLSTATE 40001 (deadlock, ER_LOCK_DEADLOCK 1213).
        Some("40001") => true,
        _ => d.message().contains("Lock wait timeout"),
    }
}

/// True when the error means the database cannot be reached at all.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::WorkerCrashed
    )
}

/// Statement descriptions, cached by text: the shop's statements are a small
/// fixed set, so each is parsed once. The cache stops growing at 4096
/// entries (a safety net, not a limit the shop reaches).
fn describe_cached(sql: &str) -> Arc<StatementInfo> {
    static CACHE: OnceLock<RwLock<HashMap<Box<str>, Arc<StatementInfo>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(info) = cache.read().unwrap_or_else(|e| e.into_inner()).get(sql) {
        return info.clone();
    }
    let info = Arc::new(statement::describe(sql));
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    if w.len() < 4096 {
        w.insert(sql.into(), info.clone());
    }
    info
}

/// The file path in a `sqlite:` URL, without query parameters.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}
