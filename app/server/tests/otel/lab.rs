//! One private pipeline per test: shop(s) → a private OpenTelemetry
//! Collector (the lab's, built from `collector/builder-config.yaml` and run
//! with `collector/pipeline.yaml`) → an in-process capture receiver, all on
//! free loopback ports, so the tests run in parallel and a fault test can
//! kill its own collector. `xray_export` adds the collector's X-Ray leg: a
//! private rotel (`aws-xray` exporter) behind it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use otlp_capture::{Capture, FlatMetric, FlatSpan};
use serde_json::Value as Json;

use crate::common::{self, ShopOptions, ShopProcess, TempDir};

/// The collector binary the lab builds (`scripts/lab/collector.sh install`:
/// once per manifest, into the lab cache; panics loudly when it cannot be
/// built: nothing here may be skipped).
fn collector_binary() -> PathBuf {
    common::lab_install("collector");
    let script = common::repo_root().join("scripts/lab/collector.sh");
    let out = Command::new(&script)
        .arg("path")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} path: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} path failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A private collector: OTLP in on two free ports, `collector/pipeline.yaml`
/// with the exporter lists and endpoints the test chose, its health_check
/// and its own metrics on free ports too.
pub struct Collector {
    child: Option<Child>,
    pub grpc_port: u16,
    pub http_port: u16,
    health_port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    _dir: TempDir,
}

impl Collector {
    /// Every signal over OTLP/HTTP to `capture` (a capture receiver's URL).
    pub fn start(capture: &str) -> Collector {
        let all = "[otlphttp/capture]";
        Collector::start_with(&[
            ("SHOP_COLLECTOR_TRACES_EXPORTERS", all),
            ("SHOP_COLLECTOR_METRICS_EXPORTERS", all),
            ("SHOP_COLLECTOR_LOGS_EXPORTERS", all),
            ("SHOP_COLLECTOR_CAPTURE_ENDPOINT", capture),
        ])
    }

    /// Traces over the X-Ray leg (`otlphttp/xray-leg`) to `xray_leg`, the
    /// OTLP/HTTP receiver of a rotel converting to X-Ray; metrics and logs to
    /// the debug exporter (its log).
    pub fn start_xray_leg(xray_leg: &str) -> Collector {
        Collector::start_with(&[
            ("SHOP_COLLECTOR_TRACES_EXPORTERS", "[otlphttp/xray-leg]"),
            ("SHOP_COLLECTOR_METRICS_EXPORTERS", "[debug]"),
            ("SHOP_COLLECTOR_LOGS_EXPORTERS", "[debug]"),
            ("SHOP_COLLECTOR_XRAY_LEG_ENDPOINT", xray_leg),
        ])
    }

    fn start_with(exporters: &[(&str, &str)]) -> Collector {
        let dir = TempDir::new();
        let (grpc_port, http_port, health_port) = (
            common::free_port(),
            common::free_port(),
            common::free_port(),
        );
        let mut env: Vec<(String, String)> = [
            (
                "SHOP_COLLECTOR_OTLP_GRPC_ENDPOINT",
                format!("127.0.0.1:{grpc_port}"),
            ),
            (
                "SHOP_COLLECTOR_OTLP_HTTP_ENDPOINT",
                format!("127.0.0.1:{http_port}"),
            ),
            (
                "SHOP_COLLECTOR_HEALTH_ENDPOINT",
                format!("127.0.0.1:{health_port}"),
            ),
            (
                "SHOP_COLLECTOR_TELEMETRY_PORT",
                common::free_port().to_string(),
            ),
            ("SHOP_COLLECTOR_ENVIRONMENT", "lab".to_owned()),
            // The tests read metrics back soon after the shop's flush, which
            // does not flush the collector's batches (60 s as deployed).
            ("SHOP_COLLECTOR_METRICS_BATCH_TIMEOUT", "200ms".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(
            exporters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut c = Collector {
            child: None,
            grpc_port,
            http_port,
            health_port,
            env,
            log: dir.path().join("collector.log"),
            _dir: dir,
        };
        c.spawn();
        c
    }

    fn spawn(&mut self) {
        let bin = collector_binary();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(&bin)
            .arg("--config")
            .arg(common::repo_root().join("collector/pipeline.yaml"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", bin.display()));
        self.child = Some(child);
        // Ready: health_check answers 200 once every pipeline has started.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !(health_ok(self.health_port)
            && port_open(self.grpc_port)
            && port_open(self.http_port))
        {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the collector exited ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "the collector is not healthy after 30 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the collector vanishes mid-run.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `GET /` on the health_check port answers 200.
fn health_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(200),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// The `rotel-agent` binary of the lab's venv and the directory of the
/// shared libpython it links (installs the venv if missing; panics loudly
/// when rotel cannot be installed: nothing here may be skipped).
fn rotel_binary() -> (PathBuf, String) {
    common::lab_install("rotel");
    let python = common::lab_venv_bin("rotel", "python");
    let venv = python.parent().unwrap().parent().unwrap().to_path_buf();
    let lib = std::fs::read_dir(venv.join("lib"))
        .expect("the rotel venv has a lib dir")
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/rotel/rotel-agent"))
        .find(|p| p.exists())
        .expect("rotel-agent is in the rotel venv");
    let out = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or '')",
        ])
        .output()
        .expect("the venv's python runs");
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (lib, libdir)
}

/// A private rotel as the collector's X-Ray leg: OTLP in on two free ports,
/// traces out through its `aws-xray` exporter (the stand-in for the
/// collector's awsxray, which cannot be built here: docs/lab.md).
pub struct Rotel {
    child: Option<Child>,
    grpc_port: u16,
    http_port: u16,
    exporter: Vec<String>,
    log: PathBuf,
    _dir: TempDir,
}

impl Rotel {
    /// Converts traces to X-Ray segments and sends them to `endpoint`.
    pub fn start_xray(endpoint: &str) -> Rotel {
        let dir = TempDir::new();
        let mut r = Rotel {
            child: None,
            grpc_port: common::free_port(),
            http_port: common::free_port(),
            exporter: [
                "--exporter",
                "aws-xray",
                "--xray-exporter-region",
                "us-east-1",
                "--xray-exporter-custom-endpoint",
                endpoint,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            log: dir.path().join("rotel.log"),
            _dir: dir,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let (bin, libdir) = rotel_binary();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(bin)
            .env("LD_LIBRARY_PATH", libdir)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .args([
                "start",
                "--otlp-grpc-endpoint",
                &format!("127.0.0.1:{}", self.grpc_port),
                "--otlp-http-endpoint",
                &format!("127.0.0.1:{}", self.http_port),
                // Forward quickly (default 200 ms).
                "--batch-timeout",
                "50ms",
                "--log-format",
                "text",
            ])
            .args(&self.exporter)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("rotel-agent starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !(port_open(self.grpc_port) && port_open(self.http_port)) {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("rotel exited ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "rotel is not listening after 30 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// The whole private pipeline.
pub struct Pipeline {
    pub capture: Capture,
    pub collector: Collector,
}

impl Pipeline {
    pub fn start() -> Pipeline {
        let capture = Capture::start().expect("the capture receiver listens");
        let collector = Collector::start(&capture.url());
        Pipeline { capture, collector }
    }

    /// Environment for a shop exporting to this pipeline's collector with
    /// `protocol` (`http/protobuf` or `grpc`), exporting fast.
    pub fn shop_env(&self, protocol: &str) -> Vec<(String, String)> {
        let endpoint = match protocol {
            "grpc" => self.collector.grpc_endpoint(),
            _ => self.collector.http_endpoint(),
        };
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// A pipeline and one shop (`--telemetry otel`, OTLP/HTTP) exporting to
    /// it, with the variables `env` on top.
    pub fn with_shop(env: &[(&str, &str)]) -> (Pipeline, common::ShopProcess) {
        let pipeline = Pipeline::start();
        let shop = ShopOptions::new()
            .args(["--telemetry", "otel"])
            .envs(pipeline.shop_env("http/protobuf"))
            .envs(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
            .start();
        (pipeline, shop)
    }

    /// Waits (up to 20 s) until `ready` holds for what was captured; panics
    /// with `what` and the collector's log otherwise.
    pub fn wait(&self, what: &str, ready: impl Fn(&otlp_capture::Store) -> bool) {
        if !self
            .capture
            .store()
            .wait_until(Duration::from_secs(20), ready)
        {
            panic!(
                "the capture receiver never saw {what}; it has {} spans, {} logs, {} metric exports\ncollector log:\n{}",
                self.capture.store().spans().len(),
                self.capture.store().logs().len(),
                self.capture.store().metric_requests().len(),
                self.collector.log_text()
            );
        }
    }
}

impl Pipeline {
    /// Waits until the trace's rendered tree (see [`render_tree`]) is
    /// exactly `expected`; panics showing both otherwise.
    pub fn expect_tree(&self, trace_id: &str, expected: &str) {
        let store = self.capture.store();
        if !store.wait_until(Duration::from_secs(20), |s| {
            render_tree(&s.spans(), trace_id) == expected
        }) {
            panic!(
                "trace {trace_id}:\n--- expected\n{expected}--- captured\n{}",
                render_tree(&store.spans(), trace_id)
            );
        }
    }
}

/// A blocking HTTP client for the tests (the shop processes are driven from
/// plain `#[test]` threads).
pub struct Http {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// An answer: status, headers, JSON body (`Null` when not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Json,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

impl Http {
    pub fn new() -> Http {
        Http {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    pub fn send(&self, r: reqwest::RequestBuilder) -> Answer {
        self.rt.block_on(async {
            let r = r.send().await.expect("the shop answers");
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            let text = r.text().await.unwrap_or_default();
            Answer {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Json::Null),
            }
        })
    }

    pub fn get(&self, url: &str) -> Answer {
        self.send(self.client.get(url))
    }

    pub fn post(&self, url: &str, body: &Json) -> Answer {
        self.send(self.client.post(url).json(body))
    }

    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }
}

pub use crate::common::order_body;

/// The exact tree of a checkout in the split topology (see [`render_tree`]):
/// the orders service's server span with its database spans, the payment,
/// and the call to inventory, under which inventory's own server span and
/// its query hang.
pub fn checkout_tree(orders: &str, inventory: &str) -> String {
    [
        (0, orders, "server POST /api/orders"),
        (1, orders, "client SELECT orders"),
        (1, orders, "client SELECT carts"),
        (1, orders, "client SELECT cart_items"),
        (1, orders, "client POST /api/inventory/check"),
        (2, inventory, "server POST /api/inventory/check"),
        (3, inventory, "client SELECT products"),
        (1, orders, "internal payment.authorize"),
        (1, orders, "client BEGIN"),
        (1, orders, "client INSERT orders"),
        // The status history: placed, then paid (docs/orders.md).
        (1, orders, "client INSERT order_status_history"),
        (1, orders, "client INSERT order_status_history"),
        (1, orders, "client UPDATE inventory"),
        (1, orders, "client SELECT inventory"),
        (1, orders, "client INSERT inventory_movements"),
        (1, orders, "client INSERT order_items"),
        // Its events, written to the outbox in the same transaction (docs/events.md).
        (1, orders, "producer order.placed create"),
        (2, orders, "client INSERT outbox"),
        (1, orders, "producer order.paid create"),
        (2, orders, "client INSERT outbox"),
        (1, orders, "client UPDATE carts"),
        (1, orders, "client COMMIT"),
        (1, orders, "client SELECT orders"),
        (1, orders, "client SELECT order_items"),
        (1, orders, "client SELECT order_status_history"),
    ]
    .iter()
    .map(|(depth, service, span)| format!("{}{service} {span}\n", "  ".repeat(*depth)))
    .collect()
}

/// The spans of one trace, rendered as an indented tree of
/// `service kind name [status]` lines, children in start-time order: the
/// shape a trace view shows, and what the tests compare exactly.
pub fn render_tree(spans: &[FlatSpan], trace_id: &str) -> String {
    let mut trace: Vec<&FlatSpan> = spans.iter().filter(|s| s.trace_id() == trace_id).collect();
    trace.sort_by_key(|s| s.span.start_time_unix_nano);
    let ids: Vec<String> = trace.iter().map(|s| s.span_id()).collect();
    let mut out = String::new();
    fn walk(
        out: &mut String,
        trace: &[&FlatSpan],
        parent: &dyn Fn(&FlatSpan) -> bool,
        depth: usize,
    ) {
        for s in trace.iter().filter(|s| parent(s)) {
            let kind = match s.span.kind {
                1 => "internal",
                2 => "server",
                3 => "client",
                4 => "producer",
                5 => "consumer",
                _ => "unspecified",
            };
            let status = match s.span.status.as_ref().map(|st| st.code) {
                Some(2) => " [error]",
                Some(1) => " [ok]",
                _ => "",
            };
            out.push_str(&format!(
                "{}{} {kind} {}{status}\n",
                "  ".repeat(depth),
                s.resource_str("service.name").unwrap_or("?"),
                s.span.name
            ));
            let id = s.span_id();
            walk(
                out,
                trace,
                &|c: &FlatSpan| c.parent_span_id() == id,
                depth + 1,
            );
        }
    }
    // Roots: no parent, or a parent outside the captured trace (the caller's).
    walk(
        &mut out,
        &trace,
        &|s: &FlatSpan| !ids.contains(&s.parent_span_id()),
        0,
    );
    out
}

/// The total of a counter or the sample count of a histogram of `service`,
/// per value of the data point attribute `key`, over every export, whatever
/// the temporality:
/// cumulative points are totals (keep the latest per series), delta points
/// are increments (add them up).
pub fn totals_by(
    metrics: &[FlatMetric],
    service: &str,
    name: &str,
    key: &str,
) -> BTreeMap<String, u64> {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as N;
    const DELTA: i32 = 1;
    // series (service + attributes) → (time, value) latest, or the running sum.
    let mut latest: BTreeMap<String, (u64, u64, String)> = BTreeMap::new();
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for m in metrics
        .iter()
        .filter(|m| m.metric.name == name && m.resource_str_or("service.name") == service)
    {
        let points: Vec<(String, u64, u64, bool)> = match &m.metric.data {
            Some(Data::Sum(s)) => s
                .data_points
                .iter()
                .map(|p| {
                    let v = match p.value {
                        Some(N::AsInt(i)) => i as u64,
                        Some(N::AsDouble(d)) => d as u64,
                        None => 0,
                    };
                    (
                        series(service, &p.attributes, key),
                        p.time_unix_nano,
                        v,
                        s.aggregation_temporality == DELTA,
                    )
                })
                .collect(),
            Some(Data::Histogram(h)) => h
                .data_points
                .iter()
                .map(|p| {
                    (
                        series(service, &p.attributes, key),
                        p.time_unix_nano,
                        p.count,
                        h.aggregation_temporality == DELTA,
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        for (series, time, value, delta) in points {
            let group = series.split('|').nth(1).unwrap_or_default().to_owned();
            if delta {
                *sums.entry(group).or_default() += value;
            } else {
                let e = latest.entry(series).or_insert((0, 0, group));
                if time >= e.0 {
                    e.0 = time;
                    e.1 = value;
                }
            }
        }
    }
    for (_, (_, value, group)) in latest {
        *sums.entry(group).or_default() += value;
    }
    sums
}

/// `service|<value of key>|<all attributes>`: one time series.
fn series(
    service: &str,
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    key: &str,
) -> String {
    let group = otlp_capture::query::attr_str(attributes, key)
        .map(str::to_owned)
        .or_else(|| otlp_capture::query::attr_i64(attributes, key).map(|i| i.to_string()))
        .unwrap_or_default();
    let mut all: Vec<String> = attributes
        .iter()
        .map(|kv| format!("{}={:?}", kv.key, kv.value))
        .collect();
    all.sort();
    format!("{service}|{group}|{}", all.join(","))
}

/// Resource string lookup that never fails.
trait ResourceStr {
    fn resource_str_or(&self, key: &str) -> String;
}

impl ResourceStr for FlatMetric {
    fn resource_str_or(&self, key: &str) -> String {
        otlp_capture::query::attr_str(&self.resource, key)
            .unwrap_or("?")
            .to_owned()
    }
}

/// The W3C trace id and parent span id the caller of [`w3c_checkout`] sends.
pub const INCOMING_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
pub const INCOMING_PARENT: &str = "b7ad6b7169203331";

/// What [`w3c_checkout`] drove, for the tests that read its traces, metrics
/// and logs (`traces`, `metrics`, `logs`).
pub struct W3cCheckout {
    pub pipeline: Pipeline,
    /// The trace of a `GET` of a missing order (404).
    pub missing_trace: String,
    /// The trace of an item added while inventory was down (503).
    pub down_trace: String,
}

/// The split topology on the otel build: inventory, then orders calling it,
/// on one database. Both get `env`; each also gets its own extra variables.
pub fn start_split(
    env: &[(String, String)],
    inventory_env: &[(String, String)],
    orders_env: &[(String, String)],
    data: &std::path::Path,
) -> (ShopProcess, ShopProcess) {
    let inventory = ShopOptions::new()
        .args(["--telemetry", "otel", "--role", "inventory"])
        .envs(env.iter().chain(inventory_env).cloned())
        .data_dir(data)
        .start();
    let orders = ShopOptions::new()
        .args(["--telemetry", "otel", "--role", "orders", "--inventory-url"])
        .arg(&inventory.address)
        .envs(env.iter().chain(orders_env).cloned())
        .data_dir(data)
        .start();
    (inventory, orders)
}

/// W3C propagation over OTLP/HTTP: orders and inventory (with
/// `OTEL_RESOURCE_ATTRIBUTES`), a cart, an item, the checkout under the
/// caller's `traceparent` and `tracestate`, a 404, then inventory stopped
/// and a 503; a flush and SIGTERM for both shops. Every request and its
/// status is asserted here; what arrived is each test's business.
pub fn w3c_checkout() -> W3cCheckout {
    let pipeline = Pipeline::start();
    let env = pipeline.shop_env("http/protobuf");
    let data = TempDir::new();
    let resource_vars = [(
        "OTEL_RESOURCE_ATTRIBUTES".to_owned(),
        "deployment.environment.name=ci,shop.lab.test=w3c".to_owned(),
    )];
    let (mut inventory, mut orders) =
        start_split(&env, &resource_vars, &resource_vars, data.path());
    let http = Http::new();

    // A cart, one item, and the checkout under the caller's trace.
    let cart = http.post(&orders.url("/api/carts"), &serde_json::json!({}));
    assert_eq!(cart.status, 201);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    let add = http.post(
        &orders.url(&format!("/api/carts/{cart}/items")),
        &serde_json::json!({ "product_id": 2, "quantity": 1 }),
    );
    assert_eq!(add.status, 201, "{}", add.body);
    let checkout = http.send(
        http.request(reqwest::Method::POST, &orders.url("/api/orders"))
            .header("Idempotency-Key", "otel-w3c-1")
            .header(
                "traceparent",
                format!("00-{INCOMING_TRACE}-{INCOMING_PARENT}-01"),
            )
            .header("tracestate", "lab=w3c")
            .json(&order_body(&cart)),
    );
    assert_eq!(checkout.status, 201, "{}", checkout.body);
    assert_eq!(checkout.header("x-trace-id"), INCOMING_TRACE);

    // A client error: 404 leaves a server span's status unset (semconv).
    let missing = http.get(&orders.url("/api/orders/00000000-0000-4000-8000-000000000000"));
    assert_eq!(missing.status, 404);
    let missing_trace = missing.header("x-trace-id").to_owned();

    // Inventory down: orders answers 503 and both its spans say error.
    assert!(inventory.terminate().success());
    let cart2 = http.post(&orders.url("/api/carts"), &serde_json::json!({}));
    let cart2 = cart2.body["id"].as_str().unwrap().to_owned();
    let down = http.post(
        &orders.url(&format!("/api/carts/{cart2}/items")),
        &serde_json::json!({ "product_id": 3, "quantity": 1 }),
    );
    assert_eq!(down.status, 503);
    let down_trace = down.header("x-trace-id").to_owned();

    let flushed = http.post(&orders.url("/api/telemetry/flush"), &serde_json::json!({}));
    assert_eq!(flushed.status, 200, "{}", flushed.body);
    let stats = http.get(&orders.url("/api/telemetry/stats")).body;
    assert_eq!(stats["backend"], "otel");
    assert_eq!(stats["export"]["spans"]["dropped"], 0, "{stats}");
    assert_eq!(stats["export"]["spans"]["errors"], 0, "{stats}");
    assert!(
        stats["export"]["spans"]["sent"].as_u64().unwrap() > 0,
        "{stats}"
    );
    assert!(
        stats["export"]["spans"]["bytes"].as_u64().unwrap() > 0,
        "{stats}"
    );
    // SIGTERM flushes all three signals.
    assert!(orders.terminate().success());
    W3cCheckout {
        pipeline,
        missing_trace,
        down_trace,
    }
}
