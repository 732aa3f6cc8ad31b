//! Support for the functions' tests: the lab's real components started
//! through the project's scripts (LocalStack, moto, cargo-lambda), a
//! private `cargo lambda watch` serving the Invoke API and the runtime API,
//! and the function binaries this test build made, attached to it as
//! Lambda would start them.
//!
//! Why the binaries are attached rather than built by `cargo lambda watch`:
//! it builds a function with `cargo run` on its first invocation, a second
//! build of the crate with another feature set (measured in
//! docs/functions.md); the tests' own build already made the binaries, with
//! exactly the features under test. `--only-lambda-apis` is cargo-lambda's
//! mode for that ("start your function yourself"): the Invoke API, the
//! runtime API and what they hand the function are still cargo-lambda's.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The repository's root: this crate lives at `app/functions/`.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("app/functions is two levels below the repository root")
        .to_path_buf()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

fn script(name: &str, verb: &str) -> std::process::Output {
    let script = repo_root().join(format!("scripts/lab/{name}.sh"));
    Command::new(&script)
        .arg(verb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()))
}

/// Starts a lab component with `scripts/lab/<name>.sh start` (idempotent;
/// installs what is missing) once per test process and returns the
/// variables its `env` verb prints. Panics with the script's output when it
/// fails: these tests never skip.
pub fn lab_component(name: &str) -> BTreeMap<String, String> {
    static STARTED: OnceLock<Mutex<BTreeMap<String, BTreeMap<String, String>>>> = OnceLock::new();
    let mut started = STARTED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(env) = started.get(name) {
        return env.clone();
    }
    let out = script(name, "start");
    assert!(
        out.status.success(),
        "scripts/lab/{name}.sh start failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let env = lab_env(name);
    started.insert(name.to_owned(), env.clone());
    env
}

/// The `export VAR=value` lines of `scripts/lab/<name>.sh env`.
pub fn lab_env(name: &str) -> BTreeMap<String, String> {
    let out = script(name, "env");
    assert!(out.status.success(), "scripts/lab/{name}.sh env failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                v.trim_matches('"').trim_matches('\'').to_owned(),
            )
        })
        .collect()
}

/// LocalStack's and moto's variables, both started once per process.
pub fn emulators() -> BTreeMap<String, String> {
    let mut env = lab_component("localstack");
    env.extend(lab_component("moto"));
    env
}

/// The cargo-lambda executable, installed by `scripts/lab/cargo-lambda.sh install`.
pub fn cargo_lambda() -> PathBuf {
    let out = script("cargo-lambda", "install");
    assert!(
        out.status.success(),
        "scripts/lab/cargo-lambda.sh install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = script("cargo-lambda", "path");
    assert!(
        out.status.success(),
        "scripts/lab/cargo-lambda.sh path failed"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A command with a clean environment: a developer's `SHOP_*`, `AWS_*`,
/// `OTEL_*` and `DATABASE_URL` do not leak into the functions under test.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
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
    c
}

/// A child process whose stdout lines are collected.
pub struct Process {
    pub child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Process {
    fn spawn(mut command: Command) -> Process {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Every stdout line so far.
    pub fn lines(&mut self) -> &[String] {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        &self.seen
    }

    /// Every stdout line so far that is a JSON object.
    pub fn json_lines(&mut self) -> Vec<serde_json::Value> {
        self.lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v.is_object())
            .collect()
    }

    /// Waits up to `timeout` for a JSON stdout line matching `pred`.
    pub fn wait_json(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(hit) = self.json_lines().into_iter().find(|l| pred(l)) {
                return Some(hit);
            }
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(l) => self.seen.push(l),
                Err(_) => return None,
            }
        }
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed when the test is done with it (a poller such as
/// `lab-event-source`, whose output the test does not read).
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private `cargo lambda watch --only-lambda-apis` on a free port.
pub struct Watch {
    pub process: Process,
    pub port: u16,
}

impl Watch {
    pub fn start() -> Watch {
        let bin = cargo_lambda();
        let port = free_port();
        let mut command = clean_command(&bin);
        command
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
            ])
            .arg(port.to_string())
            .arg("--manifest-path")
            .arg(repo_root().join("app/functions/Cargo.toml"));
        let mut process = Process::spawn(command);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                process.running(),
                "cargo lambda watch exited: {:?}",
                process.lines()
            );
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {port} in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Watch { process, port }
    }

    /// The Invoke API's endpoint (`AWS_ENDPOINT_URL_LAMBDA`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts function binary `bin` as Lambda would for function `name`:
    /// the runtime API's address, the function's name, version and memory,
    /// and `env`.
    pub fn attach(&self, name: &str, bin: &Path, env: &BTreeMap<String, String>) -> Process {
        let mut command = clean_command(bin);
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt/{name}", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .envs(env);
        Process::spawn(command)
    }
}

/// A Lambda client for the Invoke API at `endpoint`.
pub fn lambda(endpoint: &str, env: &BTreeMap<String, String>) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new(
                env["AWS_REGION"].clone(),
            ))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(endpoint)
            .timeout_config(
                aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            )
            .build(),
    )
}

/// A fresh bucket in LocalStack.
pub async fn bucket(lab: &BTreeMap<String, String>) -> String {
    let name = unique("fn-images");
    s3(lab)
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateBucket: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    name
}

pub fn s3(env: &BTreeMap<String, String>) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(env["AWS_REGION"].clone()))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&env["AWS_ENDPOINT_URL_S3"])
            .force_path_style(true)
            .build(),
    )
}

pub fn sqs(env: &BTreeMap<String, String>) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new(env["AWS_REGION"].clone()))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&env["AWS_ENDPOINT_URL_SQS"])
            .build(),
    )
}

pub fn xray(env: &BTreeMap<String, String>) -> aws_sdk_xray::Client {
    aws_sdk_xray::Client::from_conf(
        aws_sdk_xray::Config::builder()
            .behavior_version(aws_sdk_xray::config::BehaviorVersion::latest())
            .region(aws_sdk_xray::config::Region::new(env["AWS_REGION"].clone()))
            .credentials_provider(aws_sdk_xray::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&env["AWS_ENDPOINT_URL_XRAY"])
            .build(),
    )
}

/// The segment documents X-Ray (moto) holds for `trace_id`, parsed; waits
/// up to `timeout` for at least one.
pub async fn segments(
    env: &BTreeMap<String, String>,
    trace_id: &str,
    timeout: Duration,
) -> Vec<serde_json::Value> {
    let client = xray(env);
    let deadline = Instant::now() + timeout;
    loop {
        let out = client
            .batch_get_traces()
            .trace_ids(trace_id)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "BatchGetTraces: {}",
                    aws_sdk_xray::error::DisplayErrorContext(e)
                )
            });
        let docs: Vec<serde_json::Value> = out
            .traces()
            .iter()
            .flat_map(|t| t.segments())
            .filter_map(|s| s.document())
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        if !docs.is_empty() || Instant::now() > deadline {
            return docs;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A JPEG photo of `w` × `h` pixels.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A PNG's dimensions.
pub fn png_dimensions(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("a PNG");
    (img.width(), img.height())
}

/// A fresh X-Ray trace header as a caller would send it: a new Root, a
/// parent segment id, sampled.
pub fn caller_trace_header() -> (String, String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let root = format!(
        "1-{secs:08x}-{:024x}",
        rand::random::<u128>() & ((1u128 << 96) - 1)
    );
    let parent = format!("{:016x}", rand::random::<u64>() | 1);
    (
        format!("Root={root};Parent={parent};Sampled=1"),
        root,
        parent,
    )
}
