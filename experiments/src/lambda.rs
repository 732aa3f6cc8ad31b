//! The Lambda functions' chapter (issue #16): what each telemetry backend
//! costs a function per cold start and per invocation.
//!
//! A function pays for telemetry where a server does not: Lambda freezes
//! its process between invocations, so every invocation **flushes** its
//! spans, logs and metrics before it answers (docs/functions.md), and the
//! invoker waits for that. This stage measures it on the real parts the
//! lab has: `image-resize` (the shop's function, resizing a 320 × 200 JPEG
//! from the private LocalStack's S3 into three pictures) under
//! `cargo lambda watch --only-lambda-apis` (cargo-lambda's Invoke API and
//! runtime API; the harness starts the function binary itself, as Lambda
//! would), invoked with the AWS SDK's Lambda client.
//!
//! For each repeat, each backend in a rotated order (as the overhead runs
//! are interleaved, so drift in the machine hits every backend alike) gets a
//! **fresh process**: one cold invocation sent as the process starts, then
//! `warm` warm ones. Per process it keeps what the function's EMF line says
//! (`InitDuration`, `Duration`, `FlushDuration`, `MaxMemoryUsed`), the
//! invoker's round trip, and the export requests at counting pass-throughs
//! of this stage's own (the other stages' collector traffic never crosses
//! them). Repeat *i* of a backend is paired with repeat *i* of `noop`, and
//! the paired differences give the added cost per invocation with a
//! bootstrap interval ([`crate::stats`]).
//!
//! Where the telemetry goes is where the shop's goes in the other stages:
//! `awssdk` to moto (X-Ray) and LocalStack (CloudWatch, Logs), `otel` to the
//! lab's collector over OTLP/HTTP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use indicatif::ProgressBar;

use crate::lab::Lab;
use crate::plan::TelemetryConfig;
use crate::shop::{RunNames, Sinks};
use crate::stats::{self, Estimate};
use crate::wiretap::Wiretap;

/// The function every process runs.
pub const FUNCTION: &str = "image-resize";

/// The original every invocation resizes (pixels), and where it lies in the bucket.
pub const ORIGINAL: (u32, u32) = (320, 200);
const ORIGINAL_KEY: &str = "originals/products/9/lambda-stage.jpg";

/// What one function process measured: one cold invocation, then `warm` warm ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LambdaProcess {
    /// `noop`, `awssdk`, `otel`.
    pub backend: String,
    /// The repeat (a backend's repeat *i* is paired with `noop`'s).
    pub repeat: usize,
    /// Warm invocations after the cold one.
    pub warm: usize,
    /// `InitDuration` of the cold invocation's EMF line (process start to the runtime loop), ms.
    pub init_ms: f64,
    /// `Duration` (the handler) of the cold invocation, ms.
    pub cold_duration_ms: f64,
    /// `FlushDuration` (the end-of-invocation export) of the cold invocation, ms.
    pub cold_flush_ms: f64,
    /// The invoker's round trip of the cold invocation, sent as the process started (so it
    /// waits for the process's init, as a cold start's caller does), ms.
    pub cold_round_trip_ms: f64,
    /// Medians over the warm invocations, ms.
    pub warm_duration_ms: f64,
    pub warm_flush_ms: f64,
    pub warm_round_trip_ms: f64,
    /// `MaxMemoryUsed` of the last invocation (the process's peak RSS), MiB; `None` when the
    /// function did not report it (not Linux).
    pub max_memory_mb: Option<f64>,
    /// Export requests at the pass-throughs during the cold invocation (and the init before it).
    pub cold_export_requests: u64,
    /// Export requests and request-body bytes per warm invocation.
    pub warm_export_requests: f64,
    pub warm_export_bytes: f64,
    /// Export requests during the warm invocations, by endpoint (`/TraceSegments`,
    /// `PutLogEvents`, `/v1/traces`, …).
    pub warm_endpoints: BTreeMap<String, u64>,
}

/// What the report shows of each process, in the order it shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    InitDuration,
    DurationCold,
    DurationWarm,
    FlushCold,
    FlushWarm,
    RoundTripCold,
    RoundTripWarm,
    MaxMemoryUsed,
    ExportRequestsWarm,
}

impl Measure {
    pub const ALL: [Measure; 9] = [
        Measure::InitDuration,
        Measure::DurationCold,
        Measure::DurationWarm,
        Measure::FlushCold,
        Measure::FlushWarm,
        Measure::RoundTripCold,
        Measure::RoundTripWarm,
        Measure::MaxMemoryUsed,
        Measure::ExportRequestsWarm,
    ];

    /// The column head (the EMF metric's name where there is one).
    pub fn label(self) -> &'static str {
        match self {
            Measure::InitDuration => "InitDuration",
            Measure::DurationCold => "Duration cold",
            Measure::DurationWarm => "Duration warm",
            Measure::FlushCold => "FlushDuration cold",
            Measure::FlushWarm => "FlushDuration warm",
            Measure::RoundTripCold => "round trip cold",
            Measure::RoundTripWarm => "round trip warm",
            Measure::MaxMemoryUsed => "MaxMemoryUsed",
            Measure::ExportRequestsWarm => "export requests per warm invocation",
        }
    }

    /// `ms`, `MiB` or empty (a count).
    pub fn unit(self) -> &'static str {
        match self {
            Measure::MaxMemoryUsed => "MiB",
            Measure::ExportRequestsWarm => "",
            _ => "ms",
        }
    }

    /// The process's value, if it has one.
    pub fn of(self, p: &LambdaProcess) -> Option<f64> {
        Some(match self {
            Measure::InitDuration => p.init_ms,
            Measure::DurationCold => p.cold_duration_ms,
            Measure::DurationWarm => p.warm_duration_ms,
            Measure::FlushCold => p.cold_flush_ms,
            Measure::FlushWarm => p.warm_flush_ms,
            Measure::RoundTripCold => p.cold_round_trip_ms,
            Measure::RoundTripWarm => p.warm_round_trip_ms,
            Measure::MaxMemoryUsed => return p.max_memory_mb,
            Measure::ExportRequestsWarm => p.warm_export_requests,
        })
    }
}

/// One measure of one backend over its processes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureSummary {
    pub measure: Measure,
    /// The median over the processes, with its 95 % interval.
    pub value: Estimate,
    /// Paired with `noop` by repeat: this backend's value minus `noop`'s (`None` for `noop`
    /// itself, or when `noop` did not run).
    pub added: Option<Estimate>,
}

/// One backend's summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendSummary {
    pub backend: String,
    pub processes: usize,
    pub measures: Vec<MeasureSummary>,
    /// Export requests per warm invocation by endpoint, over all its processes.
    pub endpoints_per_invocation: BTreeMap<String, f64>,
}

impl BackendSummary {
    pub fn measure(&self, m: Measure) -> Option<&MeasureSummary> {
        self.measures.iter().find(|s| s.measure == m)
    }
}

/// The stage's results (empty in results made before it existed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LambdaResults {
    /// How the function binaries were built: the cargo profile, and whether each backend had a
    /// build of its own (full mode) or one binary held both (quick mode).
    pub profile: String,
    pub separate_builds: bool,
    /// Whether the function processes were pinned to the shop's CPU.
    pub pinned: bool,
    pub processes: Vec<LambdaProcess>,
    pub summary: Vec<BackendSummary>,
}

/// Medians with intervals per backend and measure, and the paired differences against `noop`.
pub fn summarise(processes: &[LambdaProcess]) -> Vec<BackendSummary> {
    let mut backends: Vec<&str> = Vec::new();
    for p in processes {
        if !backends.contains(&p.backend.as_str()) {
            backends.push(&p.backend);
        }
    }
    let per_repeat = |backend: &str, m: Measure| -> Vec<(usize, f64)> {
        processes
            .iter()
            .filter(|p| p.backend == backend)
            .filter_map(|p| m.of(p).map(|v| (p.repeat, v)))
            .collect()
    };
    backends
        .iter()
        .map(|&backend| {
            let mine: Vec<&LambdaProcess> =
                processes.iter().filter(|p| p.backend == backend).collect();
            let measures = Measure::ALL
                .iter()
                .filter_map(|&m| {
                    let values = per_repeat(backend, m);
                    if values.is_empty() {
                        return None;
                    }
                    let plain: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
                    let noop = per_repeat("noop", m);
                    let added = (backend != "noop" && !noop.is_empty())
                        .then(|| stats::estimate(&stats::differences(&values, &noop)))
                        .filter(|e| e.n > 0);
                    Some(MeasureSummary {
                        measure: m,
                        value: stats::estimate(&plain),
                        added,
                    })
                })
                .collect();
            let invocations: usize = mine.iter().map(|p| p.warm).sum();
            let mut endpoints = BTreeMap::new();
            for p in &mine {
                for (k, n) in &p.warm_endpoints {
                    *endpoints.entry(k.clone()).or_insert(0.0) += *n as f64;
                }
            }
            for v in endpoints.values_mut() {
                *v /= invocations.max(1) as f64;
            }
            BackendSummary {
                backend: backend.to_owned(),
                processes: mine.len(),
                measures,
                endpoints_per_invocation: endpoints,
            }
        })
        .collect()
}

/// The S3 notification `image-resize` gets for the original.
pub fn s3_event(bucket: &str) -> serde_json::Value {
    serde_json::json!({"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": ORIGINAL_KEY}},
    }]})
}

/// A JPEG of `w` × `h` pixels: colour gradients, so the resize has real work (a flat picture
/// would encode to almost nothing).
pub fn original_jpeg(w: u32, h: u32) -> anyhow::Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

/// Puts the original into a fresh bucket of the private LocalStack; returns the bucket.
pub async fn put_original(localstack: &str) -> anyhow::Result<String> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(localstack)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("shop-lab-exp-lambda-{}", std::process::id());
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "CreateBucket: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })?;
    s3.put_object()
        .bucket(&bucket)
        .key(ORIGINAL_KEY)
        .content_type("image/jpeg")
        .body(original_jpeg(ORIGINAL.0, ORIGINAL.1)?.into())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("PutObject: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(bucket)
}

/// A command with none of the harness's own `SHOP_*`, `AWS_*`, `OTEL_*` variables: a
/// function gets exactly the environment the stage gives it.
pub(crate) fn clean_command(program: &Path) -> Command {
    let mut c = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("SHOP_")
            || k.starts_with("AWS_")
            || k.starts_with("OTEL_")
            || k.starts_with("_X_AMZN")
            || k == "DATABASE_URL"
        {
            c.env_remove(k);
        }
    }
    c.kill_on_drop(true).stdin(Stdio::null());
    c
}

/// A free local port (the OS's choice).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A private `cargo lambda watch --only-lambda-apis`: the Invoke API and the runtime API on one
/// free port, for one function process. Killed when dropped.
pub struct Watch {
    _child: Child,
    pub port: u16,
}

impl Watch {
    pub async fn start(cargo_lambda: &Path, repo: &Path, log: &Path) -> anyhow::Result<Watch> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)?;
        let mut child = clean_command(cargo_lambda)
            .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(port.to_string())
            .arg("--manifest-path")
            .arg(repo.join("app/functions/Cargo.toml"))
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {} lambda watch", cargo_lambda.display()))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "cargo lambda watch exited ({status}); see {}",
                    log.display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "cargo lambda watch did not listen on {port} within 60 s; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Watch {
            _child: child,
            port,
        })
    }

    /// The Invoke API.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A function process started as Lambda starts one, its stdout read line by line (its log
/// lines and EMF lines). Killed when dropped.
pub struct FunctionProcess {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<serde_json::Value>,
}

impl FunctionProcess {
    /// Starts `bin` for [`FUNCTION`] against `watch`'s runtime API, with `env`, pinned to
    /// `cpus` when given; stderr goes to `log`.
    pub fn start(
        bin: &Path,
        watch: &Watch,
        env: &BTreeMap<String, String>,
        cpus: Option<&str>,
        log: &Path,
    ) -> anyhow::Result<FunctionProcess> {
        let mut command = match cpus {
            Some(c) => {
                let mut t = clean_command(Path::new("taskset"));
                t.args(["-c", c]).arg(bin);
                t
            }
            None => clean_command(bin),
        };
        let mut child = command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt/{FUNCTION}", watch.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("the function's stdout")?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(FunctionProcess {
            child,
            lines: rx,
            seen: Vec::new(),
        })
    }

    /// The EMF line of invocation `request_id` (the function writes it before it answers,
    /// but the pipe may deliver it a moment after the answer); up to 10 s.
    pub async fn emf_line(&mut self, request_id: &str) -> anyhow::Result<serde_json::Value> {
        let is_it = |l: &serde_json::Value| {
            l.get("_aws").is_some() && l["request_id"].as_str() == Some(request_id)
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.seen.iter().position(is_it) {
                return Ok(self.seen.swap_remove(i));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(line)) => {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                        && v.get("_aws").is_some()
                    {
                        self.seen.push(v);
                    }
                }
                Ok(None) => bail!(
                    "{FUNCTION} closed its stdout ({:?}) before the EMF line of {request_id}",
                    self.child.try_wait()?
                ),
                Err(_) => bail!("no EMF line for invocation {request_id} within 10 s"),
            }
        }
    }
}

/// A Lambda client for `watch`'s Invoke API.
pub fn lambda_client(endpoint: &str) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(endpoint)
            .timeout_config(
                aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            )
            // A retried invocation would be a second invocation, timed as one.
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// One invocation as the invoker sees it: its round trip (ms) and the function's request id.
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    event: &serde_json::Value,
) -> anyhow::Result<(f64, String)> {
    let payload = serde_json::to_vec(event)?;
    let clock = Instant::now();
    let out = client
        .invoke()
        .function_name(FUNCTION)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload))
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Invoke {FUNCTION}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    let round_trip = clock.elapsed().as_secs_f64() * 1000.0;
    let body = out
        .payload()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    if let Some(err) = out.function_error() {
        bail!(
            "{FUNCTION} failed ({err}): {}",
            String::from_utf8_lossy(&body)
        );
    }
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("{FUNCTION}'s answer: {}", String::from_utf8_lossy(&body)))?;
    let request_id = answer["invocation"]["request_id"]
        .as_str()
        .with_context(|| format!("no invocation.request_id in {answer}"))?
        .to_owned();
    Ok((round_trip, request_id))
}

/// A number the EMF line must carry.
pub fn emf_number(line: &serde_json::Value, name: &str) -> anyhow::Result<f64> {
    line[name]
        .as_f64()
        .with_context(|| format!("the EMF line has no {name}: {line}"))
}

/// The name of one function process's run: `lambda-<backend>-r<repeat>`.
fn run_name(backend: &str, repeat: usize) -> String {
    if repeat == WARM_UP {
        format!("lambda-{backend}-warm-up")
    } else {
        format!("lambda-{backend}-r{repeat}")
    }
}

/// The directory of one function process's logs.
pub fn process_dir(runs_dir: &Path, backend: &str, repeat: usize) -> PathBuf {
    runs_dir.join(run_name(backend, repeat))
}

/// What the stage needs from the harness.
pub struct Stage<'a> {
    pub repo: &'a Path,
    pub lab: &'a Lab,
    /// Where each process's logs go (`lambda-<backend>-r<repeat>/`).
    pub runs_dir: &'a Path,
    /// The cargo-lambda executable (`scripts/lab/cargo-lambda.sh path`).
    pub cargo_lambda: PathBuf,
    /// The telemetry configs to run (`noop` first), each with its function binary.
    pub configs: Vec<(&'a TelemetryConfig, PathBuf)>,
    /// Fresh processes per backend, and warm invocations per process.
    pub repeats: usize,
    pub warm: usize,
    /// The shop's CPUs (when the harness pins): the function is the system under test here.
    pub cpus: Option<&'a str>,
    pub progress: &'a ProgressBar,
    pub profile: String,
    pub separate_builds: bool,
}

/// Runs the stage: every repeat visits every config in a rotated order, one fresh process each.
/// Any failure (a process that does not start, a failed invocation, a missing EMF line, a
/// backend that exported nothing) fails the stage, and with it the report.
pub async fn run(stage: &Stage<'_>) -> anyhow::Result<LambdaResults> {
    let lab = stage.lab;
    // Pass-throughs of this stage's own: the collector's exports (which go on through the other
    // stages' pass-throughs) never cross these, so what they count is the function's.
    let sinks = Sinks {
        xray: Wiretap::start("xray", &lab.moto_url()).await?,
        cloudwatch: Wiretap::start("cloudwatch", &lab.localstack_url()).await?,
        logs: Wiretap::start("logs", &lab.localstack_url()).await?,
        otlp: Wiretap::start("otlp", &lab.otlp_http_url()).await?,
        otlp_egress: Wiretap::start(crate::cost::OTLP_EGRESS, &lab.capture_url()).await?,
    };
    let bucket = put_original(&lab.localstack_url()).await?;
    let event = s3_event(&bucket);
    let n = stage.configs.len();
    // One unmeasured process per config first: the first start of a binary pages it in from
    // disk (seconds for a dev build), which would land on whichever backend repeat 0 runs first.
    for (config, bin) in &stage.configs {
        one_process(stage, &sinks, config, bin, WARM_UP, &bucket, &event).await?;
    }
    let mut processes = Vec::new();
    for repeat in 0..stage.repeats {
        for i in 0..n {
            let (config, bin) = &stage.configs[(i + repeat) % n];
            processes.push(one_process(stage, &sinks, config, bin, repeat, &bucket, &event).await?);
            stage.progress.inc(1);
        }
    }
    Ok(LambdaResults {
        profile: stage.profile.clone(),
        separate_builds: stage.separate_builds,
        pinned: stage.cpus.is_some(),
        summary: summarise(&processes),
        processes,
    })
}

/// Requests, bytes and requests by endpoint at the stage's pass-throughs so far.
fn counted(sinks: &Sinks) -> (u64, u64, BTreeMap<String, u64>) {
    let (mut requests, mut bytes, mut paths) = (0, 0, BTreeMap::new());
    for tap in sinks.all() {
        let c = tap.count();
        requests += c.requests;
        bytes += c.bytes;
        for (path, n) in c.paths {
            *paths.entry(path).or_insert(0) += n.requests;
        }
    }
    (requests, bytes, paths)
}

/// The repeat number of the unmeasured warm-up processes (their logs go to `lambda-*-rwarm-up/`).
const WARM_UP: usize = usize::MAX;

/// Bounds one invocation: a hung function fails the stage instead of stalling the report.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(90);

#[allow(clippy::too_many_arguments)]
async fn one_process(
    stage: &Stage<'_>,
    sinks: &Sinks,
    config: &TelemetryConfig,
    bin: &Path,
    repeat: usize,
    bucket: &str,
    event: &serde_json::Value,
) -> anyhow::Result<LambdaProcess> {
    let backend = config.backend().to_owned();
    let run = run_name(&backend, repeat);
    let dir = process_dir(stage.runs_dir, &backend, repeat);
    std::fs::create_dir_all(&dir)?;
    stage.progress.set_message(format!("{run}: cold start"));
    // The shop's telemetry settings for this config (the same sinks, the same sampling), and
    // what image-resize itself needs.
    let mut env = crate::shop::telemetry_env(config, stage.lab, sinks, &RunNames::new(&run), &dir)?;
    for (k, v) in [
        ("SHOP_SERVICE_NAME", format!("fn-{run}")),
        ("SHOP_ENVIRONMENT", "exp".to_owned()),
        ("SHOP_IMAGES_BUCKET", bucket.to_owned()),
        ("AWS_ENDPOINT_URL_S3", stage.lab.localstack_url()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ] {
        env.insert(k.to_owned(), v);
    }
    sinks.reset();
    let watch = Watch::start(
        &stage.cargo_lambda,
        stage.repo,
        &dir.join("cargo-lambda.log"),
    )
    .await?;
    let client = lambda_client(&watch.endpoint());
    let log = dir.join(format!("{FUNCTION}.log"));
    let mut function = FunctionProcess::start(bin, &watch, &env, stage.cpus, &log)?;
    let timed_out = |what: &str| {
        anyhow::anyhow!(
            "{run}: {what} took over {INVOKE_TIMEOUT:?}; see {}",
            log.display()
        )
    };
    // The cold invocation goes out as the process starts: it waits for the init, as the
    // caller of a cold start in Lambda does.
    let (cold_round_trip_ms, id) = tokio::time::timeout(INVOKE_TIMEOUT, invoke(&client, event))
        .await
        .map_err(|_| timed_out("the cold invocation"))?
        .with_context(|| format!("{run}: the cold invocation"))?;
    let cold = function
        .emf_line(&id)
        .await
        .with_context(|| format!("{run}: see {}", dir.display()))?;
    let (cold_requests, cold_bytes, cold_paths) = counted(sinks);
    let (mut durations, mut flushes, mut trips) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = cold.clone();
    for i in 0..stage.warm {
        stage
            .progress
            .set_message(format!("{run}: warm invocation {}/{}", i + 1, stage.warm));
        let (trip, id) = tokio::time::timeout(INVOKE_TIMEOUT, invoke(&client, event))
            .await
            .map_err(|_| timed_out(&format!("warm invocation {}", i + 1)))?
            .with_context(|| format!("{run}: warm invocation {}", i + 1))?;
        let line = function.emf_line(&id).await?;
        durations.push(emf_number(&line, "Duration")?);
        flushes.push(emf_number(&line, "FlushDuration")?);
        trips.push(trip);
        last = line;
    }
    let (requests, bytes, paths) = counted(sinks);
    drop(function);
    drop(watch);
    let warm_n = stage.warm.max(1) as f64;
    let warm_endpoints: BTreeMap<String, u64> = paths
        .into_iter()
        .map(|(k, n)| {
            let before = cold_paths.get(&k).copied().unwrap_or(0);
            (k, n - before)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let process = LambdaProcess {
        backend: backend.clone(),
        repeat,
        warm: stage.warm,
        init_ms: emf_number(&cold, "InitDuration")?,
        cold_duration_ms: emf_number(&cold, "Duration")?,
        cold_flush_ms: emf_number(&cold, "FlushDuration")?,
        cold_round_trip_ms,
        warm_duration_ms: stats::median(&durations),
        warm_flush_ms: stats::median(&flushes),
        warm_round_trip_ms: stats::median(&trips),
        // The peak only grows: the last line's is the process's.
        max_memory_mb: last["MaxMemoryUsed"].as_f64(),
        cold_export_requests: cold_requests,
        warm_export_requests: (requests - cold_requests) as f64 / warm_n,
        warm_export_bytes: (bytes - cold_bytes) as f64 / warm_n,
        warm_endpoints,
    };
    // A backend that exported nothing measured nothing: say so rather than report its zero.
    if backend != "noop" && stage.warm > 0 && process.warm_export_requests == 0.0 {
        bail!(
            "{run}: the {backend} function exported nothing during its warm invocations \
             (no request reached the pass-throughs); see {}",
            dir.display()
        );
    }
    stage.progress.suspend(|| {
        eprintln!(
            "{run}: init {:.1} ms; cold {:.1} ms (flush {:.1}); warm {:.1} ms (flush {:.1}), \
             round trip {:.1} ms; peak RSS {} MiB; {:.1} export requests per warm invocation",
            process.init_ms,
            process.cold_duration_ms,
            process.cold_flush_ms,
            process.warm_duration_ms,
            process.warm_flush_ms,
            process.warm_round_trip_ms,
            process
                .max_memory_mb
                .map_or_else(|| "n/a".to_owned(), |m| format!("{m:.1}")),
            process.warm_export_requests,
        )
    });
    Ok(process)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(backend: &str, repeat: usize, flush: f64, memory: f64) -> LambdaProcess {
        LambdaProcess {
            backend: backend.into(),
            repeat,
            warm: 2,
            init_ms: 30.0,
            warm_flush_ms: flush,
            warm_round_trip_ms: 100.0 + flush,
            max_memory_mb: Some(memory),
            warm_endpoints: BTreeMap::from([("PutLogEvents".to_owned(), 2)]),
            ..Default::default()
        }
    }

    #[test]
    fn added_costs_pair_each_backend_with_noop_by_repeat() {
        let processes = vec![
            process("noop", 0, 0.0, 20.0),
            process("awssdk", 0, 10.0, 24.0),
            process("noop", 1, 0.1, 30.0),
            process("awssdk", 1, 12.1, 33.0),
            // A repeat noop does not have is left out of the differences, not of the medians.
            process("awssdk", 2, 50.0, 90.0),
        ];
        let s = summarise(&processes);
        assert_eq!(
            s.iter().map(|b| b.backend.as_str()).collect::<Vec<_>>(),
            ["noop", "awssdk"]
        );
        let awssdk = &s[1];
        assert_eq!(awssdk.processes, 3);
        let flush = awssdk.measure(Measure::FlushWarm).unwrap();
        assert_eq!(flush.value.n, 3);
        assert_eq!(flush.value.median, 12.1);
        let added = flush.added.unwrap();
        assert_eq!(added.n, 2);
        assert!((added.median - 11.0).abs() < 1e-9, "{added:?}");
        let memory = awssdk
            .measure(Measure::MaxMemoryUsed)
            .unwrap()
            .added
            .unwrap();
        assert!((memory.median - 3.5).abs() < 1e-9, "{memory:?}");
        assert!(s[0].measure(Measure::FlushWarm).unwrap().added.is_none());
        // 3 processes × 2 warm invocations, 2 PutLogEvents each.
        assert_eq!(awssdk.endpoints_per_invocation["PutLogEvents"], 1.0);
    }

    #[test]
    fn a_process_without_memory_has_no_memory_row() {
        let mut p = process("noop", 0, 0.0, 0.0);
        p.max_memory_mb = None;
        let s = summarise(&[p]);
        assert!(s[0].measure(Measure::MaxMemoryUsed).is_none());
        assert!(s[0].measure(Measure::InitDuration).is_some());
    }

    #[test]
    fn the_event_names_the_original_and_the_jpeg_is_one() {
        let e = s3_event("b");
        assert_eq!(e["Records"][0]["s3"]["object"]["key"], ORIGINAL_KEY);
        let jpeg = original_jpeg(32, 20).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    }
}
