//! One build of the shop, started at an operating point ([`Point`]) against a
//! fresh database, with its telemetry pointed at the sinks through the
//! counting pass-throughs: split (catalog, orders, inventory: three
//! processes, orders calling inventory over HTTP, on MariaDB) or embedded
//! (one process serving everything, on a SQLite file, as `make run` starts it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::lab::Lab;
use crate::plan::{Point, TelemetryConfig};
use crate::results::SignalStats;
use crate::scenario::{POISON_PRODUCT, Service};
use crate::wiretap::Wiretap;

/// glibc's allocator settings every shop process runs with, as the container image
/// (`Dockerfile`) and `scripts/lab/shop.sh` set them: blocks over 128 KiB are mapped and unmapped,
/// and the heap is trimmed once 128 KiB is free at its top. With glibc's adaptive defaults the
/// threshold rises to the largest block freed, so the backends' export buffers (hundreds of KiB,
/// freed on their own threads) stayed in the heap: at half load the embedded `otel-100` held
/// about 200 MiB more than `noop` and `awssdk-100` about 14; with these settings +6.5 and +13
/// (docs/targets.md#t-rss).
pub const MALLOC_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072";

/// The pass-throughs in front of every sink, shared by all runs (their
/// counters are reset per run).
pub struct Sinks {
    pub xray: Wiretap,
    pub cloudwatch: Wiretap,
    pub logs: Wiretap,
    pub otlp: Wiretap,
    /// Between the collector and the capture receiver, which stands in for CloudWatch's OTLP
    /// endpoints: what the collector sends on (the otel build's cost, `crate::cost::OTLP_EGRESS`).
    pub otlp_egress: Wiretap,
}

impl Sinks {
    /// Starts the pass-throughs, and restarts the lab's collector so that it exports to the
    /// capture receiver through `otlp_egress`.
    pub async fn start(lab: &Lab) -> anyhow::Result<Sinks> {
        let sinks = Sinks {
            xray: Wiretap::start("xray", &lab.moto_url()).await?,
            cloudwatch: Wiretap::start("cloudwatch", &lab.localstack_url()).await?,
            logs: Wiretap::start("logs", &lab.localstack_url()).await?,
            otlp: Wiretap::start("otlp", &lab.otlp_http_url()).await?,
            otlp_egress: Wiretap::start(crate::cost::OTLP_EGRESS, &lab.capture_url()).await?,
        };
        lab.start_collector(&sinks.collector_setup())?;
        Ok(sinks)
    }

    /// The collector as the runs use it: exporting through `otlp_egress`.
    pub fn collector_setup(&self) -> crate::lab::CollectorSetup {
        crate::lab::CollectorSetup {
            capture_endpoint: Some(self.otlp_egress.url()),
            tail_sampling: false,
        }
    }

    pub fn all(&self) -> [&Wiretap; 5] {
        [
            &self.xray,
            &self.cloudwatch,
            &self.logs,
            &self.otlp,
            &self.otlp_egress,
        ]
    }

    pub fn reset(&self) {
        self.all().iter().for_each(|t| t.reset());
    }
}

/// Names a run uses in the sinks (so runs never mix in CloudWatch).
#[derive(Clone, Debug)]
pub struct RunNames {
    pub run: String,
    pub namespace: String,
    pub log_group: String,
    pub emf_log_group: String,
}

impl RunNames {
    pub fn new(run: &str) -> RunNames {
        RunNames {
            run: run.to_owned(),
            namespace: format!("ShopLabExp/{run}"),
            log_group: format!("/shop-lab-exp/{run}"),
            emf_log_group: format!("/shop-lab-exp/{run}/metrics"),
        }
    }
}

/// Pids of the shop processes now running, so that an interrupted run
/// (Ctrl-C) can stop them: they are separate processes and would outlive us.
static RUNNING: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Sends SIGTERM to every shop process still running (after an interrupt).
pub fn terminate_all() {
    for pid in RUNNING.lock().map(|v| v.clone()).unwrap_or_default() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
}

/// Request id suffix of the harness's flush requests (their telemetry is not the ledger's).
pub const FLUSH_SUFFIX: &str = "-flush";

/// Most flush requests per service before the harness reads its counters
/// anyway ([`Shop::flush`]).
pub const FLUSH_ROUNDS: usize = 6;

/// The harness's own requests to a shop (readiness polls, flushes) carry an
/// unsampled trace context in both formats, so that they leave no spans: the
/// ledger does not know them, and under an outage their spans would be drops
/// it cannot account for (an otel shop's first export, holding the readiness
/// polls' spans, once fell inside the outage).
fn unsampled(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header(
        "traceparent",
        "00-5e7a1b0c9d2f4e6a8b1c3d5e7f9a0b2c-1a2b3c4d5e6f7a8b-00",
    )
    .header(
        "x-amzn-trace-id",
        "Root=1-5e7a1b0c-9d2f4e6a8b1c3d5e7f9a0b2c;Parent=1a2b3c4d5e6f7a8b;Sampled=0",
    )
}

struct Proc {
    role: &'static str,
    port: u16,
    child: Child,
}

/// A running shop.
pub struct Shop {
    procs: Vec<Proc>,
    /// The poisoned pass-through between orders and inventory (split only:
    /// in one process there is no call to put it in, so the scenario's
    /// poisoned add-to-cart succeeds like any other).
    pub inventory_tap: Option<Wiretap>,
    /// The MariaDB database to drop at the end (split only; the embedded
    /// SQLite file lives in the run's directory).
    database: Option<String>,
    /// The embedded SQLite file, removed at the end (a full run would keep hundreds).
    sqlite_file: Option<PathBuf>,
    pub names: RunNames,
    pub point: Point,
    /// The shop binary and its database, for the command-line chores
    /// ([`Shop::invite_admin`]).
    bin: PathBuf,
    database_url: String,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Removes a SQLite database file with its write-ahead log and shared-memory index.
fn remove_sqlite(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// Writes the X-Ray sampling rules file for `share` of new traces (no
/// reservoir, so the share is exact in expectation at any rate).
fn rules_file(dir: &Path, share: f64) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("sampling-{share}.json"));
    let rules = serde_json::json!({
        "version": 2,
        "rules": [],
        "default": { "fixed_target": 0, "rate": share }
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&rules)?)?;
    Ok(path)
}

/// The OTLP resource attribute naming the run a shop process belongs to.
pub const RUN_ATTRIBUTE: &str = "shop.lab.run";

/// The environment of every shop process of `config`.
pub(crate) fn telemetry_env(
    config: &TelemetryConfig,
    lab: &Lab,
    sinks: &Sinks,
    names: &RunNames,
    run_dir: &Path,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("SHOP_TELEMETRY", config.backend().to_owned());
    match config.backend() {
        "awssdk" => {
            for (k, v) in [
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("SHOP_XRAY_SAMPLING_SOURCE", "local"),
            ] {
                set(k, v.to_owned());
            }
            set("AWS_ENDPOINT_URL_XRAY", sinks.xray.url());
            set("AWS_ENDPOINT_URL_CLOUDWATCH", sinks.cloudwatch.url());
            set("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", sinks.logs.url());
            set(
                "SHOP_XRAY_SAMPLING_RULES",
                rules_file(run_dir, config.info.sampling)?
                    .display()
                    .to_string(),
            );
            set("SHOP_CW_NAMESPACE", names.namespace.clone());
            set("SHOP_CW_LOG_GROUP", names.log_group.clone());
            set("SHOP_CW_EMF_LOG_GROUP", names.emf_log_group.clone());
        }
        "otel" => {
            // The pass-through speaks HTTP/1: a gRPC exporter goes straight to the
            // collector's gRPC port (its calls and bytes are the exporter's own count).
            set(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                if config.grpc() {
                    lab.otlp_grpc_url()
                } else {
                    sinks.otlp.url()
                },
            );
            // The capture receiver outlives runs, and a stopped shop's last
            // export (through the collector's batch) can land after the next
            // run cleared it. The read-back keeps only resources carrying this
            // run's name. (awssdk runs have their own namespace and log groups.)
            set(
                "OTEL_RESOURCE_ATTRIBUTES",
                format!("{RUN_ATTRIBUTE}={}", names.run),
            );
        }
        _ => {}
    }
    for (k, v) in &config.env {
        set(k, v.clone());
    }
    Ok(env)
}

impl Shop {
    /// Split: starts inventory, then orders and catalog, each on a free port,
    /// and waits until all three answer `/api/health`. Embedded: one process
    /// (`SHOP_ROLE=all`) on a fresh SQLite file in `run_dir`.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        point: Point,
        bin: &Path,
        config: &TelemetryConfig,
        lab: &Lab,
        sinks: &Sinks,
        run: &str,
        run_dir: &Path,
        cpus: Option<&str>,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Shop> {
        std::fs::create_dir_all(run_dir)?;
        let names = RunNames::new(run);
        let env = telemetry_env(config, lab, sinks, &names, run_dir)?;
        let inventory_port = free_port()?;
        let mut sqlite_file = None;
        let (database, database_url, inventory_tap, roles): (_, _, _, &[&'static str]) = match point
        {
            Point::Split => {
                let database = format!("exp_{}", run.replace(['-', '.'], "_"));
                let url = lab.create_database(&database)?;
                let inventory_url = format!("http://127.0.0.1:{inventory_port}");
                let tap =
                    Wiretap::start_poisoned("inventory", &inventory_url, POISON_PRODUCT).await?;
                (
                    Some(database),
                    url,
                    Some(tap),
                    &["inventory", "orders", "catalog"],
                )
            }
            Point::Embedded => {
                let file = run_dir.join("shop.db");
                // A directory left by an earlier run is reused: start from an empty database.
                remove_sqlite(&file);
                let url = format!("sqlite://{}?mode=rwc", file.display());
                sqlite_file = Some(file);
                (None, url, None, &["all"])
            }
        };
        let mut shop = Shop {
            procs: Vec::new(),
            inventory_tap,
            database,
            sqlite_file,
            names,
            point,
            bin: bin.to_owned(),
            database_url: database_url.clone(),
        };
        // A service that does not come up must not outlive the failed start:
        // the ones already started are stopped and the database dropped, so
        // that the harness can try the run again on a clean machine.
        if let Err(e) = shop
            .spawn_all(
                roles,
                bin,
                cpus,
                run_dir,
                inventory_port,
                &database_url,
                &env,
                extra_env,
            )
            .await
        {
            shop.stop(lab).await;
            return Err(e);
        }
        Ok(shop)
    }

    /// Starts each of `roles` in order, each once the one before answers.
    #[allow(clippy::too_many_arguments)]
    async fn spawn_all(
        &mut self,
        roles: &[&'static str],
        bin: &Path,
        cpus: Option<&str>,
        run_dir: &Path,
        inventory_port: u16,
        database_url: &str,
        env: &BTreeMap<String, String>,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<()> {
        for &role in roles {
            let port = if role == "inventory" {
                inventory_port
            } else {
                free_port()?
            };
            let log = std::fs::File::create(run_dir.join(format!("shop-{role}.log")))?;
            let mut cmd = match cpus {
                Some(c) => {
                    let mut c2 = Command::new("taskset");
                    c2.args(["-c", c]).arg(bin);
                    c2
                }
                None => Command::new(bin),
            };
            cmd.env("DATABASE_URL", database_url)
                .env("SHOP_LISTEN", format!("127.0.0.1:{port}"))
                .env("SHOP_ROLE", role)
                .env("SHOP_ENVIRONMENT", "exp")
                // Stdout logs are the same for every build and not what is compared.
                .env("SHOP_STDOUT_LOGS", "false")
                .env("SHOP_LOG", "info,sqlx=warn")
                // Every build runs with the allocator settings it is deployed with (the
                // container image, scripts/lab/shop.sh): with glibc's adaptive thresholds, freed
                // export buffers stayed resident and the memory comparison measured the
                // allocator's retention, not the backend (docs/targets.md#t-rss).
                .env("GLIBC_TUNABLES", MALLOC_TUNABLES)
                .envs(env)
                .envs(extra_env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log);
            if let (Some(tap), "orders") = (&self.inventory_tap, role) {
                cmd.env("SHOP_INVENTORY_URL", tap.url());
            }
            let child = cmd
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            if let Ok(mut r) = RUNNING.lock() {
                r.push(child.id());
            }
            self.procs.push(Proc { role, port, child });
            // Inventory first: it migrates and seeds the fresh database the
            // others then find ready.
            self.wait_healthy(role, run_dir).await?;
        }
        Ok(())
    }

    async fn wait_healthy(&mut self, role: &str, run_dir: &Path) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().no_proxy().build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        let p = self
            .procs
            .iter_mut()
            .find(|p| p.role == role)
            .expect("started");
        let url = format!("http://127.0.0.1:{}/api/health", p.port);
        loop {
            if let Ok(r) = unsampled(client.get(&url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if let Some(status) = p.child.try_wait()? {
                bail!(
                    "shop {role} exited ({status}); see {}",
                    run_dir.join(format!("shop-{role}.log")).display()
                );
            }
            if Instant::now() > deadline {
                bail!("shop {role} not healthy within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Invites the lab admin with the shop's own command line (`shop admin
    /// invite`), as an operator bootstraps the first admin, and returns the
    /// single-use token it prints. Telemetry is off for the chore: it is not
    /// a request of the load, and no compared signal should carry it.
    pub fn invite_admin(&self) -> anyhow::Result<String> {
        let mut cmd = Command::new(&self.bin);
        cmd.env("DATABASE_URL", &self.database_url)
            .env("SHOP_TELEMETRY", "noop")
            .env("SHOP_LOG", "warn")
            .args(["admin", "invite", "--email", crate::scenario::ADMIN_EMAIL]);
        for role in crate::scenario::ADMIN_ROLES {
            cmd.args(["--grant", role]);
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {} admin invite", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "shop admin invite failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // The token is the line after "invitation for …" (see `shop admin invite`'s output;
        // its log lines go to stderr).
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        lines.find(|l| l.starts_with("invitation for"));
        lines
            .next()
            .map(|l| l.trim().to_owned())
            .filter(|t| !t.is_empty())
            .context("shop admin invite printed no token")
    }

    /// The shop's database (what a function that records into it is given).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Base URL of the service answering `service`'s routes.
    pub fn url(&self, service: Service) -> String {
        let role = match (self.point, service) {
            (Point::Embedded, _) => "all",
            (Point::Split, Service::Catalog) => "catalog",
            (Point::Split, Service::Orders) => "orders",
        };
        let p = self.procs.iter().find(|p| p.role == role).expect("role");
        format!("http://127.0.0.1:{}", p.port)
    }

    /// (process name, pid) of the shop's processes: `shop` (embedded) or the three services.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.procs
            .iter()
            .map(|p| match p.role {
                "all" => ("shop".to_owned(), p.child.id()),
                role => (format!("shop-{role}"), p.child.id()),
            })
            .collect()
    }

    /// Every service's export statistics now, per signal, summed over the
    /// services (no flush: `GET /api/telemetry/stats`).
    pub async fn stats(&self) -> anyhow::Result<BTreeMap<String, SignalStats>> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?;
        let mut total: BTreeMap<String, SignalStats> = BTreeMap::new();
        for p in &self.procs {
            let url = format!("http://127.0.0.1:{}/api/telemetry/stats", p.port);
            let v: serde_json::Value = unsampled(client.get(&url)).send().await?.json().await?;
            for signal in ["spans", "metrics", "logs"] {
                let s: SignalStats = serde_json::from_value(v["export"][signal].clone())
                    .with_context(|| format!("stats of {}: {v}", p.role))?;
                *total.entry(signal.to_owned()).or_default() += s;
            }
        }
        Ok(total)
    }

    /// Flushes every service's telemetry; returns the per-signal export
    /// statistics summed over the services, as the flush responses report
    /// them (taken after the flush, not counting the flush request itself).
    pub async fn flush(&self) -> anyhow::Result<BTreeMap<String, SignalStats>> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut total: BTreeMap<String, SignalStats> = BTreeMap::new();
        for p in &self.procs {
            for (signal, s) in self.flush_one(&client, p).await? {
                *total.entry(signal).or_default() += s;
            }
        }
        Ok(total)
    }

    /// Flushes one service until its counters settle, and returns them.
    ///
    /// Two things can make a single flush's answer premature, and neither is
    /// a loss, so the harness asks again (at most [`FLUSH_ROUNDS`] times)
    /// instead of reading too early:
    /// - the shop's flush gives up after 10 s and answers 503: after an
    ///   outage the backend may still be working through its backlog with
    ///   backoff;
    /// - items still in flight (`received > sent + dropped`): a request the
    ///   load generator saw answered can record its last metric points a
    ///   moment after the flush took its snapshot.
    ///
    /// It stops as soon as the counters balance, or when two answers in a
    /// row are the same (nothing moves any more: the accounting check then
    /// reports what is missing).
    async fn flush_one(
        &self,
        client: &reqwest::Client,
        p: &Proc,
    ) -> anyhow::Result<BTreeMap<String, SignalStats>> {
        let url = format!("http://127.0.0.1:{}/api/telemetry/flush", p.port);
        let mut last: Option<BTreeMap<String, SignalStats>> = None;
        let mut refused = String::new();
        for _ in 0..FLUSH_ROUNDS {
            let r = unsampled(client.post(&url))
                .header("x-request-id", format!("{}{FLUSH_SUFFIX}", self.names.run))
                .send()
                .await?;
            let status = r.status();
            let v: serde_json::Value = r.json().await?;
            if !status.is_success() {
                refused = format!("{status}: {v}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let mut stats = BTreeMap::new();
            for signal in ["spans", "metrics", "logs"] {
                let s: SignalStats = serde_json::from_value(v["export"][signal].clone())
                    .with_context(|| format!("flush response of {}: {v}", p.role))?;
                stats.insert(signal.to_owned(), s);
            }
            let settled = stats.values().all(|s| s.received <= s.sent + s.dropped);
            if settled || last.as_ref() == Some(&stats) {
                return Ok(stats);
            }
            last = Some(stats);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        last.ok_or_else(|| {
            anyhow::anyhow!(
                "the flush of {} never completed in {FLUSH_ROUNDS} tries; last answer {refused}",
                p.role
            )
        })
    }

    /// Stops the services (SIGTERM via `kill`, then SIGKILL after 15 s) and drops the database.
    pub async fn stop(mut self, lab: &Lab) {
        for p in &self.procs {
            let _ = Command::new("kill")
                .args(["-TERM", &p.child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for p in &mut self.procs {
            while Instant::now() < deadline {
                if matches!(p.child.try_wait(), Ok(Some(_))) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = p.child.kill();
            let _ = p.child.wait();
            if let Ok(mut r) = RUNNING.lock() {
                r.retain(|pid| *pid != p.child.id());
            }
        }
        if let Some(database) = &self.database {
            lab.drop_database(database);
        }
        if let Some(file) = &self.sqlite_file {
            remove_sqlite(file);
        }
    }
}
