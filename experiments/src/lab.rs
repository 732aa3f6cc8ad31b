//! The real components of a run, started with the lab scripts under a
//! private state directory and private ports, so an experiment never
//! touches (or is disturbed by) a `make lab` the learner has running:
//! MariaDB, LocalStack (CloudWatch, Logs), moto (X-Ray), the lab's
//! OpenTelemetry Collector (built from `collector/builder-config.yaml`)
//! exporting to the capture receiver (`otlp-capture`) and, for traces, over
//! its X-Ray leg (rotel's `aws-xray` exporter → the header-fixing
//! pass-through → moto; docs/lab.md says why).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::procstat;
use crate::results::ProcessRole;

/// Ports of the experiment's private lab (the learner's lab uses 3307, 4566, 5000, 4317/4318,
/// 4319, 5001, 4337/4338, 13133, 8888).
const MYSQL_PORT: u16 = 23307;
const LOCALSTACK_PORT: u16 = 24566;
const MOTO_PORT: u16 = 25000;
const OTLP_GRPC_PORT: u16 = 24317;
const OTLP_HTTP_PORT: u16 = 24318;
const CAPTURE_PORT: u16 = 24319;
const XRAYPASS_PORT: u16 = 25001;
const ROTEL_GRPC_PORT: u16 = 24337;
const ROTEL_HTTP_PORT: u16 = 24338;
const COLLECTOR_HEALTH_PORT: u16 = 24133;
const COLLECTOR_METRICS_PORT: u16 = 24888;

/// The running components.
pub struct Lab {
    repo: PathBuf,
    state: PathBuf,
    capture: Child,
    xraypass: Child,
    /// The CPUs of everything but the shop (when pinned), for a restarted collector.
    rest_cpus: Option<String>,
    /// The harness's otlp-capture binary (the X-Ray leg's pass-through is restarted from it).
    capture_bin: PathBuf,
    /// Held while the lab runs: see [`machine_lock`].
    _lock: std::fs::File,
}

/// One experiment run per machine at a time. The private lab's ports are fixed, and starting
/// it stops whatever holds them (a previous, interrupted run's leftovers): a second harness
/// started beside a running one would kill the first one's components. So the second waits
/// for this lock (an advisory `flock`, released by the kernel when the holder exits).
fn machine_lock() -> anyhow::Result<std::fs::File> {
    let path = std::env::temp_dir().join("shop-lab-experiments.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "another experiment run is using the private lab ({} is locked); waiting for it to end",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// How the collector runs: the lab's default, or with its exports re-routed and its traces
/// pipeline changed (the tail-sampling comparison).
#[derive(Clone, Debug, Default)]
pub struct CollectorSetup {
    /// Where `otlphttp/capture` sends (default: the capture receiver itself).
    pub capture_endpoint: Option<String>,
    /// The traces pipeline holds every trace in `tail_sampling` and keeps errors, slow traces
    /// and a share of the rest (collector/pipeline.yaml).
    pub tail_sampling: bool,
}

impl Lab {
    fn script(&self, name: &str, args: &[&str], env: &[(&str, String)]) -> anyhow::Result<String> {
        script(&self.repo, &self.state, name, args, env)
    }

    /// Starts everything (installing what is missing; idempotent). With
    /// `pinning` = (system under test, the rest): the database joins the shop
    /// on the first CPU list (its work per request is the same for every
    /// build); emulators, collector and capture receiver go to the second.
    pub fn start(
        repo: &Path,
        capture_bin: &Path,
        pinning: Option<(&str, &str)>,
    ) -> anyhow::Result<Lab> {
        let lock = machine_lock()?;
        let state = state_dir(repo);
        std::fs::create_dir_all(&state)?;
        script(
            repo,
            &state,
            "lab",
            &["up", "mariadb", "localstack", "moto"],
            &[],
        )?;
        let capture = spawn_capture(capture_bin, &state)?;
        let xraypass = spawn_xraypass(
            capture_bin,
            &state,
            &format!("http://127.0.0.1:{MOTO_PORT}"),
        )?;
        let lab = Lab {
            repo: repo.to_owned(),
            state,
            capture,
            xraypass,
            rest_cpus: pinning.map(|(_, rest)| rest.to_owned()),
            capture_bin: capture_bin.to_owned(),
            _lock: lock,
        };
        // The collector's X-Ray leg, then the collector (`lab` exporters: traces to the capture
        // receiver and the X-Ray leg, metrics and logs to the capture receiver).
        lab.script(
            "rotel",
            &["start"],
            &[
                ("SHOP_LAB_ROTEL_EXPORTER", "xray".to_owned()),
                (
                    "SHOP_LAB_ROTEL_XRAY_ENDPOINT",
                    format!("http://127.0.0.1:{XRAYPASS_PORT}"),
                ),
            ],
        )?;
        lab.start_collector(&CollectorSetup::default())?;
        if let Some((sut, rest)) = pinning {
            for (name, pid, _) in lab.processes() {
                let cpus = if name == "mariadb" { sut } else { rest };
                for p in procstat::tree(pid) {
                    procstat::pin(p, cpus);
                }
            }
        }
        Ok(lab)
    }

    /// Starts the collector with `setup`; a running one whose configuration differs is
    /// restarted by collector.sh (and pinned again, like at [`Lab::start`]).
    pub fn start_collector(&self, setup: &CollectorSetup) -> anyhow::Result<()> {
        // Metrics leave its batch after 200 ms, not 60 s: the readback waits one second for them.
        let mut env = vec![
            ("SHOP_LAB_COLLECTOR_EXPORTER", "lab".to_owned()),
            (
                "SHOP_LAB_COLLECTOR_METRICS_BATCH_TIMEOUT",
                "200ms".to_owned(),
            ),
        ];
        if let Some(url) = &setup.capture_endpoint {
            env.push(("SHOP_LAB_COLLECTOR_CAPTURE_ENDPOINT", url.clone()));
        }
        if setup.tail_sampling {
            env.push((
                "SHOP_LAB_COLLECTOR_TRACES_PROCESSORS",
                "[memory_limiter, resource, tail_sampling, batch/traces]".to_owned(),
            ));
            // Short enough for a run to end soon after its load; long enough that a checkout's
            // spans (well under a second, or SLOW_DELAY more) are all in before the decision.
            env.push(("SHOP_LAB_COLLECTOR_TAIL_DECISION_WAIT", "3s".to_owned()));
        }
        self.script("collector", &["start"], &env)?;
        if let Some(rest) = &self.rest_cpus {
            for (name, pid, _) in self.processes() {
                if name == "collector" {
                    for p in procstat::tree(pid) {
                        procstat::pin(p, rest);
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends the X-Ray leg (rotel → the header-fixing pass-through) on to `upstream` instead
    /// of straight to moto: the harness puts its counting `xray` pass-through there, so the otel
    /// build's X-Ray traffic is counted where the awssdk build's is.
    pub fn route_xray_leg(&mut self, upstream: &str) -> anyhow::Result<()> {
        let _ = self.xraypass.kill();
        let _ = self.xraypass.wait();
        self.xraypass = spawn_xraypass(&self.capture_bin, &self.state, upstream)?;
        if let Some(rest) = &self.rest_cpus {
            procstat::pin(self.xraypass.id(), rest);
        }
        Ok(())
    }

    /// The cargo-lambda executable, installed (idempotently) by `scripts/lab/cargo-lambda.sh`:
    /// the Lambda functions' chapter starts private `cargo lambda watch` instances with it.
    pub fn cargo_lambda(&self) -> anyhow::Result<PathBuf> {
        self.script("cargo-lambda", &["install"], &[])?;
        let path = self.script("cargo-lambda", &["path"], &[])?;
        let path = PathBuf::from(path.trim());
        if !path.is_file() {
            bail!(
                "scripts/lab/cargo-lambda.sh path named {}, which is not a file",
                path.display()
            );
        }
        Ok(path)
    }

    /// Stops what [`Lab::start`] started.
    /// Stops (`down`) or starts (`up`) one of the private lab's components (`mariadb`, …): the
    /// chaos experiments' "database down" ([`crate::chaos`]).
    pub fn component(&self, verb: &str, name: &str) -> anyhow::Result<()> {
        self.script("lab", &[verb, name], &[]).map(|_| ())
    }

    pub fn stop(self) {
        stop_private_lab(&self.repo, &self.state);
        for mut child in [self.capture, self.xraypass] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Stops the private lab's scripted components (also used after an interrupt).
pub fn stop_private_lab(repo: &Path, state: &Path) {
    let _ = script(repo, state, "collector", &["stop"], &[]);
    let _ = script(repo, state, "rotel", &["stop"], &[]);
    let _ = script(
        repo,
        state,
        "lab",
        &["down", "moto", "localstack", "mariadb"],
        &[],
    );
    let _ = Command::new("pkill")
        .args([
            "-f",
            &format!("otlp-capture --listen 127.0.0.1:{CAPTURE_PORT}"),
        ])
        .status();
    let _ = Command::new("pkill")
        .args(["-f", &xraypass_pattern()])
        .status();
}

/// The private lab's state directory.
pub fn state_dir(repo: &Path) -> PathBuf {
    repo.join("target").join("experiments").join("lab")
}

impl Lab {
    /// `mysql://shop:shop@127.0.0.1:PORT` (no database).
    pub fn mysql_base(&self) -> String {
        format!("mysql://shop:shop@127.0.0.1:{MYSQL_PORT}")
    }

    pub fn localstack_url(&self) -> String {
        format!("http://127.0.0.1:{LOCALSTACK_PORT}")
    }
    pub fn moto_url(&self) -> String {
        format!("http://127.0.0.1:{MOTO_PORT}")
    }

    /// Empties moto (`POST /moto-api/reset`, its documented reset): it keeps
    /// every X-Ray segment it is sent in memory, for good. Over the full
    /// report's 380 overhead runs that reached 22 GB of the machine's 24 and
    /// stalled the runs still to come, so each run starts with an empty moto
    /// (its traces are read back within the run).
    pub async fn reset_moto(&self) -> anyhow::Result<()> {
        let r = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()?
            .post(format!("{}/moto-api/reset", self.moto_url()))
            .send()
            .await
            .context("resetting moto")?;
        if !r.status().is_success() {
            bail!("resetting moto: {}", r.status());
        }
        Ok(())
    }
    /// The collector's OTLP/HTTP receiver (the Go collector's).
    pub fn otlp_http_url(&self) -> String {
        format!("http://127.0.0.1:{OTLP_HTTP_PORT}")
    }
    /// The collector's OTLP/gRPC receiver (the `otel-grpc-100` config exports here directly).
    pub fn otlp_grpc_url(&self) -> String {
        format!("http://127.0.0.1:{OTLP_GRPC_PORT}")
    }
    /// The collector's own metrics (Prometheus text): [`crate::pipeline`].
    pub fn collector_metrics_url(&self) -> String {
        format!("http://127.0.0.1:{COLLECTOR_METRICS_PORT}/metrics")
    }
    pub fn capture_url(&self) -> String {
        format!("http://127.0.0.1:{CAPTURE_PORT}")
    }

    /// A fresh, empty database for one run.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        self.sql(&format!(
            "DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"
        ))?;
        Ok(format!("{}/{name}", self.mysql_base()))
    }

    pub fn drop_database(&self, name: &str) {
        let _ = self.sql(&format!("DROP DATABASE IF EXISTS `{name}`"));
    }

    fn sql(&self, sql: &str) -> anyhow::Result<()> {
        let client = ["mariadb", "mysql"]
            .into_iter()
            .find(|c| {
                Command::new(c)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok()
            })
            .context(
                "no mariadb/mysql client on PATH (scripts/lab/mariadb.sh install provides it)",
            )?;
        let out = Command::new(client)
            .args([
                "-h127.0.0.1",
                &format!("-P{MYSQL_PORT}"),
                "-ushop",
                "-pshop",
                "-e",
                sql,
            ])
            .output()?;
        if !out.status.success() {
            bail!("{client}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// (name, pid, role) of every long-lived component.
    pub fn processes(&self) -> Vec<(String, u32, ProcessRole)> {
        let mut out = Vec::new();
        for (name, role) in [
            ("mariadb", ProcessRole::Sink),
            ("localstack", ProcessRole::Sink),
            ("moto", ProcessRole::Sink),
            ("collector", ProcessRole::Pipeline),
            // The X-Ray leg: in ADOT this conversion runs inside the collector (awsxray).
            ("rotel", ProcessRole::Pipeline),
        ] {
            let pidfile = self.state.join("run").join(format!("{name}.pid"));
            if let Some(pid) = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                out.push((name.to_owned(), pid, role));
            }
        }
        out.push((
            "otlp-capture".to_owned(),
            self.capture.id(),
            ProcessRole::Sink,
        ));
        // The WORKAROUND in front of moto (rotel's gzip header bug): part of the AWS stand-in.
        out.push(("xraypass".to_owned(), self.xraypass.id(), ProcessRole::Sink));
        out
    }

    /// Versions of the components (from the pinned requirements and the binaries).
    pub fn versions(&self) -> BTreeMap<String, String> {
        let mut v = BTreeMap::new();
        let req = self.repo.join("scripts/lab/requirements");
        for (file, pkg) in [
            ("localstack.txt", "localstack-core"),
            ("moto.txt", "moto"),
            ("rotel.txt", "rotel"),
        ] {
            if let Ok(text) = std::fs::read_to_string(req.join(file))
                && let Some(line) = text.lines().find(|l| l.starts_with(&format!("{pkg}==")))
            {
                v.insert(pkg.to_owned(), line[pkg.len() + 2..].trim().to_owned());
            }
        }
        // The collector's build version (`dist.version` of collector/builder-config.yaml).
        if let Ok(path) = Command::new(self.repo.join("scripts/lab/collector.sh"))
            .arg("path")
            .output()
            && path.status.success()
            && let Ok(o) = Command::new(String::from_utf8_lossy(&path.stdout).trim())
                .arg("--version")
                .output()
            && let Some(version) = String::from_utf8_lossy(&o.stdout).split_whitespace().last()
        {
            v.insert("otelcol".to_owned(), version.to_owned());
        }
        for (name, cmd) in [("mariadb", "mariadbd"), ("rustc", "rustc")] {
            if let Ok(o) = Command::new(cmd).arg("--version").output() {
                v.insert(
                    name.to_owned(),
                    String::from_utf8_lossy(&o.stdout).trim().to_owned(),
                );
            }
        }
        v
    }
}

fn script(
    repo: &Path,
    state: &Path,
    name: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> anyhow::Result<String> {
    let path = repo.join("scripts/lab").join(format!("{name}.sh"));
    let mut cmd = Command::new(&path);
    cmd.args(args)
        .env("SHOP_LAB_STATE", state)
        .env("SHOP_LAB_MYSQL_PORT", MYSQL_PORT.to_string())
        .env("SHOP_LAB_LOCALSTACK_PORT", LOCALSTACK_PORT.to_string())
        .env("SHOP_LAB_MOTO_PORT", MOTO_PORT.to_string())
        .env("SHOP_LAB_OTLP_GRPC_PORT", OTLP_GRPC_PORT.to_string())
        .env("SHOP_LAB_OTLP_HTTP_PORT", OTLP_HTTP_PORT.to_string())
        .env("SHOP_LAB_CAPTURE_PORT", CAPTURE_PORT.to_string())
        .env("SHOP_LAB_XRAYPASS_PORT", XRAYPASS_PORT.to_string())
        .env("SHOP_LAB_ROTEL_GRPC_PORT", ROTEL_GRPC_PORT.to_string())
        .env("SHOP_LAB_ROTEL_HTTP_PORT", ROTEL_HTTP_PORT.to_string())
        .env(
            "SHOP_LAB_COLLECTOR_HEALTH_PORT",
            COLLECTOR_HEALTH_PORT.to_string(),
        )
        .env(
            "SHOP_LAB_COLLECTOR_METRICS_PORT",
            COLLECTOR_METRICS_PORT.to_string(),
        )
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running {}", path.display()))?;
    if !out.status.success() {
        bail!(
            "{} {}: exit {}\n{}{}",
            path.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What identifies the private lab's X-Ray pass-through in a process list.
fn xraypass_pattern() -> String {
    format!("otlp-capture xray-passthrough --listen 127.0.0.1:{XRAYPASS_PORT}")
}

/// The header-fixing pass-through between rotel and moto (WORKAROUND: rotel
/// sends `content-encoding: gzip` over a plain body; see scripts/lab/xraypass.sh),
/// run from the harness's own otlp-capture binary, so nothing is built.
fn spawn_xraypass(bin: &Path, state: &Path, upstream: &str) -> anyhow::Result<Child> {
    let _ = Command::new("pkill")
        .args(["-f", &xraypass_pattern()])
        .status();
    std::thread::sleep(Duration::from_millis(200));
    let log = std::fs::File::create(state.join("xraypass.log"))?;
    let mut child = Command::new(bin)
        .args([
            "xray-passthrough",
            "--listen",
            &format!("127.0.0.1:{XRAYPASS_PORT}"),
            "--upstream",
            upstream,
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {} xray-passthrough", bin.display()))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", XRAYPASS_PORT)).is_ok() {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "otlp-capture xray-passthrough exited ({status}); see {}",
                state.join("xraypass.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    bail!("otlp-capture xray-passthrough did not listen on {XRAYPASS_PORT} within 20 s")
}

fn spawn_capture(bin: &Path, state: &Path) -> anyhow::Result<Child> {
    // A capture receiver left by an interrupted run would answer in place of ours.
    let _ = Command::new("pkill")
        .args([
            "-f",
            &format!("otlp-capture --listen 127.0.0.1:{CAPTURE_PORT}"),
        ])
        .status();
    std::thread::sleep(Duration::from_millis(200));
    let log = std::fs::File::create(state.join("otlp-capture.log"))?;
    let mut child = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{CAPTURE_PORT}")])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", CAPTURE_PORT)).is_ok() {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "otlp-capture exited ({status}); see {}",
                state.join("otlp-capture.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    bail!("otlp-capture did not listen on {CAPTURE_PORT} within 20 s")
}
