//! Support shared by the test targets that run the real `shop` binary
//! (`cli`, `awssdk`, `otel`): spawn it on a random port with a fresh SQLite
//! data dir and a chosen environment, read its JSON log lines, stop it with
//! SIGTERM; and start the lab's real components (emulators, collector)
//! through the project's own scripts.
//!
//! Each test target includes this with `mod common;` and uses what it needs.
#![allow(dead_code)]

pub mod browser;
pub mod service_map;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The repository's root: this crate lives at `app/server/`.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("app/server is two levels below the repository root")
        .to_path_buf()
}

/// The `shop` binary with a clean environment: a developer's `SHOP_*`,
/// `AWS_*` and `OTEL_*` settings do not leak into tests.
pub fn shop_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shop"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SHOP_")
            || k.starts_with("AWS_")
            || k.starts_with("OTEL_")
            || k == "DATABASE_URL"
        {
            c.env_remove(k);
        }
    }
    c
}

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("shop-test-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port that was free a moment ago (for components that need a fixed
/// port before they start, such as an emulator a fault test restarts).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `shop` process.
pub struct ShopProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    lines: Receiver<serde_json::Value>,
    /// Every stdout line read so far (JSON log records).
    seen: Vec<serde_json::Value>,
    _dir: Option<TempDir>,
}

/// How to start a [`ShopProcess`].
pub struct ShopOptions {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The data dir (SQLite file); a fresh temporary one when `None`.
    pub data_dir: Option<PathBuf>,
}

impl ShopOptions {
    pub fn new() -> ShopOptions {
        ShopOptions {
            args: Vec::new(),
            env: Vec::new(),
            data_dir: None,
        }
    }
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn envs<I: IntoIterator<Item = (String, String)>>(mut self, vars: I) -> Self {
        self.env.extend(vars);
        self
    }
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Starts the shop (`serve`, `--listen 127.0.0.1:0`, JSON logs on stdout)
    /// and waits for its "listening" line.
    pub fn start(self) -> ShopProcess {
        let (dir, owned) = match self.data_dir {
            Some(d) => (d, None),
            None => {
                let t = TempDir::new();
                (t.path().to_path_buf(), Some(t))
            }
        };
        let mut child = shop_command()
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .args(&self.args)
            .envs(self.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the shop binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                let _ = child.kill();
                let status = child.wait();
                panic!("the shop did not log that it is listening (exit: {status:?})");
            };
            let addr = line["message"]
                .as_str()
                .and_then(|m| m.strip_prefix("shop listening on "))
                .map(str::to_owned);
            seen.push(line);
            if let Some(address) = addr {
                return ShopProcess {
                    child,
                    address,
                    lines: rx,
                    seen,
                    _dir: owned,
                };
            }
        }
    }
}

impl ShopProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Waits up to `timeout` for a stdout line matching `pred` (lines read
    /// earlier count too) and returns it.
    pub fn wait_line(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        if let Some(l) = self.seen.iter().find(|l| pred(l)) {
            return Some(l.clone());
        }
        let deadline = Instant::now() + timeout;
        while let Ok(l) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let hit = pred(&l);
            self.seen.push(l.clone());
            if hit {
                return Some(l);
            }
        }
        None
    }

    /// Every stdout line read so far, after draining what is buffered.
    pub fn lines(&mut self) -> &[serde_json::Value] {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        &self.seen
    }

    /// Sends SIGTERM and waits (up to 30 s) for the process to exit; then
    /// drains its remaining stdout.
    pub fn terminate(&mut self) -> ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader thread ends at EOF; collect what it had left.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
                    self.seen.push(l);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the shop did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a lab component (`localstack`, `moto`, `mariadb`, ...) with
/// `scripts/lab/<name>.sh start` (idempotent; installs what is missing) once
/// per test process, and returns the variables its `env` verb prints.
/// Panics with the script's output when it fails: tests that need a real
/// component never skip silently.
pub fn lab_component(name: &str) -> BTreeMap<String, String> {
    static STARTED: OnceLock<Mutex<BTreeMap<String, BTreeMap<String, String>>>> = OnceLock::new();
    let started = STARTED.get_or_init(Default::default);
    let mut started = started.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(env) = started.get(name) {
        return env.clone();
    }
    let script = repo_root().join(format!("scripts/lab/{name}.sh"));
    let out = Command::new(&script)
        .arg("start")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} start failed ({}):\n{}{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let env = lab_env(name);
    started.insert(name.to_owned(), env.clone());
    env
}

/// The `export VAR=value` lines of `scripts/lab/<name>.sh env`, parsed.
pub fn lab_env(name: &str) -> BTreeMap<String, String> {
    let script = repo_root().join(format!("scripts/lab/{name}.sh"));
    let out = Command::new(&script)
        .arg("env")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} env: {e}", script.display()));
    assert!(out.status.success(), "{} env failed", script.display());
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

/// The path of an executable in one of the lab's Python venvs (installed by
/// `scripts/lab/<venv>.sh install`), for tests that run a private instance
/// of a component, e.g. to stop it mid-run.
pub fn lab_venv_bin(venv: &str, bin: &str) -> PathBuf {
    let cache = std::env::var_os("SHOP_LAB_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
            base.join("shop-lab")
        });
    cache.join("venvs").join(venv).join("bin").join(bin)
}

/// Runs `scripts/lab/<name>.sh install` (idempotent; the script serialises
/// concurrent installs across processes) once per test process, and panics
/// on failure.
pub fn lab_install(name: &str) {
    static DONE: OnceLock<Mutex<std::collections::BTreeSet<String>>> = OnceLock::new();
    let mut done = DONE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if done.contains(name) {
        return;
    }
    let script = repo_root().join(format!("scripts/lab/{name}.sh"));
    let out = Command::new(&script)
        .arg("install")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} install failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    done.insert(name.to_owned());
}

/// The body of a valid checkout (`POST /api/orders`) for `cart`, shared by
/// every test target that places an order.
pub fn order_body(cart: &str) -> serde_json::Value {
    serde_json::json!({
        "cart_id": cart,
        "email": "learner@example.com",
        "shipping_address": {
            "name": "Aiko Tanaka",
            "line1": "1-2-3 Marunouchi",
            "city": "Tokyo",
            "postal_code": "100-0005",
            "country": "JP"
        },
        "payment": { "token": "tok_visa" }
    })
}
