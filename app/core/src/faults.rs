//! Fault flags (O-ALERT-04, "verifying alarms under failure"): a small set of
//! switches, off by default, that make the shop fail or slow down on purpose
//! at a chosen rate, so that an alarm can be shown to fire when the failure
//! it watches for happens (docs/faults.md).
//!
//! | flag | what happens | where |
//! |---|---|---|
//! | `checkout_failure_percent` | that share of `POST /api/orders` answers 500 `injected_fault` before anything is written | the server's order handler |
//! | `payment_decline_percent` | that share of payments is declined as `processor_declined` | [`crate::payments::MockProvider::authorize`] |
//! | `inventory_latency_ms` | every stock check waits that long first | [`crate::inventory::InventoryClient::check`] |
//! | `database_slowdown_ms` | every database statement waits that long first | [`crate::db::Db`]'s one traced path |
//! | `telemetry_sink_down` | the telemetry backend's exports fail as if the sink were unreachable | [`telemetry_api::export::set_sink_down`], checked by each backend |
//!
//! The flags live in a JSON file (`--faults-file`, default
//! `<data dir>/faults.json`); an absent file means everything is off. The
//! shop notices a changed file by itself: at most once a second it compares
//! the file's modification time and size with what it last read (on access,
//! and from a one-second ticker while serving), so an operator's edit, the
//! admin API (`PUT /api/admin/faults`) and the command line
//! (`shop faults set …`) all take effect without a restart.
//!
//! Why a handle ([`Faults`]) and not a global: the API tests run many shops
//! in one process, each with its own flags; a process-wide switch would
//! make one test's injected failures another test's surprise. The handle
//! rides on [`crate::db::Db`] (every part of the shop already holds one),
//! so nothing else needs a new parameter. The one exception is
//! `telemetry_sink_down`: the telemetry backend is process-wide, so its
//! switch is too.
//!
//! Every injected fault is visible as what it is: a `warn` event with the
//! attribute `fault.injected = "<flag>"` in the span where it happens (a
//! span event, and a log line), naming the flag and nothing personal.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validation::Invalid;

/// `checkout_failure_percent`.
pub const CHECKOUT_FAILURE: &str = "checkout_failure_percent";
/// `payment_decline_percent`.
pub const PAYMENT_DECLINE: &str = "payment_decline_percent";
/// `inventory_latency_ms`.
pub const INVENTORY_LATENCY: &str = "inventory_latency_ms";
/// `database_slowdown_ms`.
pub const DATABASE_SLOWDOWN: &str = "database_slowdown_ms";
/// `telemetry_sink_down`.
pub const TELEMETRY_SINK_DOWN: &str = "telemetry_sink_down";

/// Every flag's name, in the order the documentation lists them.
pub const NAMES: [&str; 5] = [
    CHECKOUT_FAILURE,
    PAYMENT_DECLINE,
    INVENTORY_LATENCY,
    DATABASE_SLOWDOWN,
    TELEMETRY_SINK_DOWN,
];

/// The longest delay a latency flag may ask for (a minute: longer than any
/// request timeout, so a slowdown can also be shown to time requests out).
pub const MAX_DELAY_MS: u64 = 60_000;

/// How often, at most, the file's modification time is looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The flags. All off (`0`, `false`) by default; in the file and the API
/// every field is optional and an unknown one is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Flags {
    /// Share of checkouts (`POST /api/orders`) answered 500 `injected_fault`, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub checkout_failure_percent: u32,
    /// Share of payments declined as `processor_declined`, 0–100 (on top of
    /// `--payment-simulation`).
    #[schema(minimum = 0, maximum = 100)]
    pub payment_decline_percent: u32,
    /// Milliseconds every stock check waits first, 0–60000.
    #[schema(minimum = 0, maximum = 60000)]
    pub inventory_latency_ms: u64,
    /// Milliseconds every database statement waits first, 0–60000.
    #[schema(minimum = 0, maximum = 60000)]
    pub database_slowdown_ms: u64,
    /// The telemetry backend's exports fail as if the sink were unreachable.
    pub telemetry_sink_down: bool,
}

impl Flags {
    /// Whether every flag is off.
    pub fn is_off(&self) -> bool {
        *self == Flags::default()
    }

    /// Parses the file's text: a JSON object with any of the flags; empty
    /// (or only whitespace) means all off. The error names the field and
    /// its range.
    pub fn parse(text: &str) -> Result<Flags, Invalid> {
        if text.trim().is_empty() {
            return Ok(Flags::default());
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Invalid::new("faults", format!("not JSON: {e}")))?;
        Flags::default().merged(&value)
    }

    /// These flags with the fields of `value` (a JSON object) set on top,
    /// each validated. Serde's own errors name the type, not the field, so
    /// the fields are checked one by one here; the derived `Deserialize`
    /// (with `deny_unknown_fields`) describes the same shape for the
    /// OpenAPI document.
    pub fn merged(mut self, value: &Value) -> Result<Flags, Invalid> {
        let Value::Object(map) = value else {
            return Err(Invalid::new(
                "faults",
                "must be a JSON object of flags, e.g. {\"checkout_failure_percent\": 10}",
            ));
        };
        for (key, v) in map {
            self.set(key, v)?;
        }
        Ok(self)
    }

    /// Sets one flag from a JSON value, refusing unknown names, wrong types
    /// and out-of-range values.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), Invalid> {
        match key {
            CHECKOUT_FAILURE => self.checkout_failure_percent = percent(key, value)?,
            PAYMENT_DECLINE => self.payment_decline_percent = percent(key, value)?,
            INVENTORY_LATENCY => self.inventory_latency_ms = millis(key, value)?,
            DATABASE_SLOWDOWN => self.database_slowdown_ms = millis(key, value)?,
            TELEMETRY_SINK_DOWN => {
                self.telemetry_sink_down = value
                    .as_bool()
                    .ok_or_else(|| Invalid::new(key, "must be true or false"))?;
            }
            other => {
                return Err(Invalid::new(
                    other,
                    format!("unknown flag; the flags are {}", NAMES.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The flags as the file holds them (pretty JSON, every field).
    pub fn to_json(&self) -> String {
        // Serialising a struct of integers and a bool cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

fn integer(key: &str, value: &Value, max: u64, range: &str) -> Result<u64, Invalid> {
    match value.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ => Err(Invalid::new(
            key,
            format!("must be an integer from {range}"),
        )),
    }
}

fn percent(key: &str, value: &Value) -> Result<u32, Invalid> {
    integer(key, value, 100, "0 to 100").map(|n| n as u32)
}

fn millis(key: &str, value: &Value) -> Result<u64, Invalid> {
    integer(key, value, MAX_DELAY_MS, "0 to 60000 (milliseconds)")
}

/// Draws whether this call is one of the `percent` in a hundred.
fn roll(percent: u32) -> bool {
    percent > 0 && rand::random::<f64>() * 100.0 < f64::from(percent)
}

/// Records an injected fault where it happens: a `warn` event in the
/// current span (a span event with `fault.injected`, and a log line).
fn injected(flag: &'static str) {
    // The field is `semconv::FAULT_INJECTED`, spelled out: `tracing`'s macros
    // want the name as tokens.
    tracing::warn!(
        fault.injected = flag,
        "fault injected: {flag} (docs/faults.md)"
    );
}

/// Why the flags file could not be written or removed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The shop runs with flags in memory only (no file configured).
    #[error("no faults file is configured")]
    NoFile,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The shop's fault flags: cheap to clone, cheap to read. Off unless built
/// from a file ([`Faults::from_file`]) or in memory ([`Faults::in_memory`]).
#[derive(Clone, Default)]
pub struct Faults {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    /// Where the flags live; `None`: in memory only (tests).
    file: Option<PathBuf>,
    /// The flags in force. A lock held for a copy of a few bytes: readers
    /// never wait on file I/O, which happens outside it.
    flags: RwLock<Flags>,
    /// When the file was last looked at, and what it looked like.
    watch: Mutex<Watch>,
}

#[derive(Default)]
struct Watch {
    next_check: Option<Instant>,
    /// Modification time and size of the file last read (`None`: absent).
    seen: Option<(SystemTime, u64)>,
    /// The version of the file last warned about (warn once per bad file).
    warned: Option<(SystemTime, u64)>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("file", &self.file())
            .field("flags", &self.current())
            .finish()
    }
}

impl Faults {
    /// Flags that are always off and cannot be set (the default).
    pub fn off() -> Faults {
        Faults::default()
    }

    /// Flags kept in memory only: the admin API sets them, no file is read
    /// or written.
    pub fn in_memory() -> Faults {
        Faults {
            inner: Some(Arc::new(Inner {
                file: None,
                flags: RwLock::new(Flags::default()),
                watch: Mutex::new(Watch::default()),
            })),
        }
    }

    /// Flags read from `path` (absent: all off), and read again whenever
    /// it changes. A file that does not parse leaves the flags off and is
    /// reported with a warning, as later bad edits are.
    pub fn from_file(path: impl Into<PathBuf>) -> Faults {
        let faults = Faults {
            inner: Some(Arc::new(Inner {
                file: Some(path.into()),
                flags: RwLock::new(Flags::default()),
                watch: Mutex::new(Watch::default()),
            })),
        };
        faults.refresh();
        faults
    }

    /// The file the flags come from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.inner.as_ref()?.file.as_deref()
    }

    /// Whether the flags can be set at all (not [`Faults::off`]).
    pub fn is_configurable(&self) -> bool {
        self.inner.is_some()
    }

    /// The flags in force now, without looking at the file.
    pub fn current(&self) -> Flags {
        match &self.inner {
            Some(inner) => *inner.flags.read().unwrap_or_else(|e| e.into_inner()),
            None => Flags::default(),
        }
    }

    /// The flags in force, after looking at the file if a second has passed
    /// since the last look.
    pub fn flags(&self) -> Flags {
        self.refresh_if_due();
        self.current()
    }

    /// Looks at the file if [`CHECK_INTERVAL`] has passed since the last
    /// look (and nobody else is looking right now). Cheap otherwise: one
    /// uncontended lock and a clock read.
    pub fn refresh_if_due(&self) {
        let Some(inner) = &self.inner else { return };
        if inner.file.is_none() {
            return;
        }
        let Ok(mut watch) = inner.watch.try_lock() else {
            return;
        };
        let now = Instant::now();
        if watch.next_check.is_some_and(|t| now < t) {
            return;
        }
        watch.next_check = Some(now + CHECK_INTERVAL);
        self.reload(inner, &mut watch);
    }

    /// Looks at the file now.
    pub fn refresh(&self) {
        let Some(inner) = &self.inner else { return };
        let mut watch = inner.watch.lock().unwrap_or_else(|e| e.into_inner());
        watch.next_check = Some(Instant::now() + CHECK_INTERVAL);
        self.reload(inner, &mut watch);
    }

    fn reload(&self, inner: &Inner, watch: &mut Watch) {
        let Some(path) = &inner.file else { return };
        let version = std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        // Unchanged since the last read (or still absent): nothing to do.
        if version == watch.seen {
            return;
        }
        let parsed = match version {
            None => Ok(Flags::default()),
            Some(_) => match std::fs::read_to_string(path) {
                Ok(text) => Flags::parse(&text),
                // Vanished between the two calls: as if absent.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Flags::default()),
                Err(e) => Err(Invalid::new("faults", e.to_string())),
            },
        };
        match parsed {
            Ok(flags) => {
                watch.seen = version;
                watch.warned = None;
                self.apply(inner, flags);
            }
            Err(invalid) => {
                // Keep the flags in force; say so once per bad version.
                if watch.warned != version {
                    watch.warned = version;
                    tracing::warn!(
                        faults.file = %path.display(),
                        error = %invalid,
                        "the faults file does not parse; keeping the flags in force"
                    );
                }
                watch.seen = version;
            }
        }
    }

    fn apply(&self, inner: &Inner, flags: Flags) {
        let before = {
            let mut current = inner.flags.write().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *current, flags)
        };
        if before != flags {
            tracing::info!(
                faults = %serde_json::to_string(&flags).unwrap_or_default(),
                "fault flags changed"
            );
        }
        if before.telemetry_sink_down != flags.telemetry_sink_down {
            telemetry_api::export::set_sink_down(flags.telemetry_sink_down);
        }
    }

    /// Replaces the whole set: writes the file atomically (a temporary file
    /// beside it, then a rename, so a reader never sees half a file) and
    /// applies the flags at once. Returns the flags before.
    pub fn replace(&self, flags: Flags) -> Result<Flags, Error> {
        let Some(inner) = &self.inner else {
            return Err(Error::NoFile);
        };
        let mut watch = inner.watch.lock().unwrap_or_else(|e| e.into_inner());
        let before = self.current();
        if let Some(path) = &inner.file {
            write_atomically(path, &flags)?;
            watch.seen = std::fs::metadata(path)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            watch.warned = None;
        }
        watch.next_check = Some(Instant::now() + CHECK_INTERVAL);
        self.apply(inner, flags);
        Ok(before)
    }

    /// Whether this checkout is to fail (`checkout_failure_percent`); when
    /// it is, the current span says so.
    pub fn checkout_fails_now(&self) -> bool {
        let fails = roll(self.flags().checkout_failure_percent);
        if fails {
            injected(CHECKOUT_FAILURE);
        }
        fails
    }

    /// Whether this payment is to be declined (`payment_decline_percent`);
    /// when it is, the current span says so.
    pub fn payment_declines_now(&self) -> bool {
        let declines = roll(self.flags().payment_decline_percent);
        if declines {
            injected(PAYMENT_DECLINE);
        }
        declines
    }

    /// Waits `inventory_latency_ms`, if set, before a stock check.
    pub async fn inventory_delay(&self) {
        self.delay(self.flags().inventory_latency_ms, INVENTORY_LATENCY)
            .await;
    }

    /// Waits `database_slowdown_ms`, if set, before a database statement.
    pub async fn database_delay(&self) {
        // This runs per statement: only the flags in force (one uncontended read lock). The
        // serving shop's one-second ticker looks at the file; a look here would repeat it.
        self.delay(self.current().database_slowdown_ms, DATABASE_SLOWDOWN)
            .await;
    }

    async fn delay(&self, ms: u64, flag: &'static str) {
        if ms > 0 {
            injected(flag);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
}

/// Writes `flags` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, flags: &Flags) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, flags.to_json() + "\n").map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Reads the flags in `path` (absent: all off), for the command line.
pub fn read_file(path: &Path) -> Result<Flags, ReadError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Flags::parse(&text).map_err(ReadError::Invalid),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Flags::default()),
        Err(source) => Err(ReadError::Io(Error::Io {
            path: path.display().to_string(),
            source,
        })),
    }
}

/// Why [`read_file`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(Error),
    #[error("{0}")]
    Invalid(Invalid),
}

/// Removes the flags file (all off); an absent file is fine.
pub fn remove_file(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_file_is_all_off() {
        assert_eq!(Flags::parse("").unwrap(), Flags::default());
        assert_eq!(Flags::parse("  \n").unwrap(), Flags::default());
        assert_eq!(Flags::parse("{}").unwrap(), Flags::default());
        assert!(Flags::parse("{}").unwrap().is_off());
    }

    #[test]
    fn every_flag_parses() {
        let f = Flags::parse(
            r#"{"checkout_failure_percent": 100, "payment_decline_percent": 5,
                "inventory_latency_ms": 250, "database_slowdown_ms": 60000,
                "telemetry_sink_down": true}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Flags {
                checkout_failure_percent: 100,
                payment_decline_percent: 5,
                inventory_latency_ms: 250,
                database_slowdown_ms: 60000,
                telemetry_sink_down: true,
            }
        );
        // What the file holds parses back to the same flags, and serde agrees.
        assert_eq!(Flags::parse(&f.to_json()).unwrap(), f);
        assert_eq!(serde_json::from_str::<Flags>(&f.to_json()).unwrap(), f);
    }

    #[test]
    fn out_of_range_values_name_the_field_and_its_range() {
        for (text, field, range) in [
            (
                r#"{"checkout_failure_percent": 101}"#,
                CHECKOUT_FAILURE,
                "0 to 100",
            ),
            (
                r#"{"payment_decline_percent": -1}"#,
                PAYMENT_DECLINE,
                "0 to 100",
            ),
            (
                r#"{"payment_decline_percent": 2.5}"#,
                PAYMENT_DECLINE,
                "0 to 100",
            ),
            (
                r#"{"inventory_latency_ms": 60001}"#,
                INVENTORY_LATENCY,
                "0 to 60000",
            ),
            (
                r#"{"database_slowdown_ms": "10"}"#,
                DATABASE_SLOWDOWN,
                "0 to 60000",
            ),
        ] {
            let e = Flags::parse(text).unwrap_err();
            assert_eq!(e.field, field, "{text}");
            assert!(e.message.contains(range), "{text}: {e}");
        }
        let e = Flags::parse(r#"{"telemetry_sink_down": 1}"#).unwrap_err();
        assert_eq!(e.field, TELEMETRY_SINK_DOWN);
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        let e = Flags::parse(r#"{"checkout_failure": 10}"#).unwrap_err();
        assert_eq!(e.field, "checkout_failure");
        assert!(e.message.contains("unknown flag"), "{e}");
        assert!(e.message.contains(CHECKOUT_FAILURE), "{e}");
        // The derived Deserialize refuses it too.
        assert!(serde_json::from_str::<Flags>(r#"{"checkout_failure": 10}"#).is_err());
        assert_eq!(Flags::parse("[1]").unwrap_err().field, "faults");
        assert_eq!(Flags::parse("{oops").unwrap_err().field, "faults");
    }

    #[test]
    fn merging_keeps_the_other_flags() {
        let base = Flags {
            inventory_latency_ms: 10,
            ..Flags::default()
        };
        let f = base
            .merged(&json!({ "checkout_failure_percent": 30 }))
            .unwrap();
        assert_eq!(f.inventory_latency_ms, 10);
        assert_eq!(f.checkout_failure_percent, 30);
    }

    #[test]
    fn rolls_at_zero_and_a_hundred_percent_are_certain() {
        assert!((0..1000).all(|_| roll(100)));
        assert!((0..1000).all(|_| !roll(0)));
    }

    #[test]
    fn a_file_is_read_written_and_a_bad_edit_keeps_the_flags() {
        let dir = std::env::temp_dir().join(format!("shop-faults-{}", uuid::Uuid::new_v4()));
        let path = dir.join("faults.json");
        let faults = Faults::from_file(&path);
        assert!(faults.flags().is_off(), "absent file: all off");
        let on = Flags {
            checkout_failure_percent: 100,
            ..Flags::default()
        };
        faults.replace(on).unwrap();
        assert_eq!(faults.current(), on);
        assert_eq!(read_file(&path).unwrap(), on);
        // A bad edit: the flags in force stay.
        std::fs::write(&path, "{not json").unwrap();
        faults.refresh();
        assert_eq!(faults.current(), on);
        // A good one is taken.
        std::fs::write(&path, r#"{"payment_decline_percent": 7}"#).unwrap();
        faults.refresh();
        assert_eq!(faults.current().payment_decline_percent, 7);
        assert_eq!(faults.current().checkout_failure_percent, 0);
        // Removed: all off.
        remove_file(&path).unwrap();
        faults.refresh();
        assert!(faults.current().is_off());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
