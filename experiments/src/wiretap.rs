//! A counting pass-through ("wiretap") in front of a sink or a service.
//!
//! Every request is read whole, counted (requests and body bytes, as sent:
//! compressed if the client compressed), and forwarded to the upstream; the
//! upstream's answer goes back unchanged. This is the *wire* side of the cost
//! cross-check: what the backends say they sent is compared with what went
//! through here.
//!
//! Two faults can be switched on, both answered by the pass-through itself
//! and never forwarded:
//! - [`Mode::Down`]: every request gets a 503 (a sink or service outage);
//! - a *poison* rule: a request whose body names [`crate::scenario::POISON_PRODUCT`]
//!   gets a 500 (the injected 5xx of the scenario, in front of inventory: a failure of that
//!   one request, which the orders service neither retries nor counts as inventory being away,
//!   as it would a 503; docs/resilience.md).
//!
//! And one delay, off unless switched on ([`Wiretap::set_slow`]): a request whose body names
//! a *slow product* ([`crate::scenario::is_slow_product`]) is held for
//! [`crate::scenario::SLOW_DELAY`] before it is forwarded (the injected slow dependency of the
//! tail-sampling comparison, in front of inventory).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::results::{PathCount, WireCount};

/// What the pass-through does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Down,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
    refused: AtomicU64,
    /// The same three counts per endpoint (see [`endpoint`]): one pass-through
    /// can carry several signals (OTLP's `/v1/traces`, `/v1/logs`, `/v1/metrics`).
    paths: Mutex<BTreeMap<String, PathCount>>,
}

struct Shared {
    upstream: String,
    down: AtomicBool,
    slow: AtomicBool,
    poison: Option<Vec<u8>>,
    counters: Counters,
    client: reqwest::Client,
}

/// A running pass-through. Dropping it stops it.
pub struct Wiretap {
    name: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Wiretap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Wiretap {
    /// Starts a pass-through named `name` (e.g. `xray`) on a free port, to `upstream`.
    pub async fn start(name: &str, upstream: &str) -> anyhow::Result<Wiretap> {
        Self::start_with(name, upstream, None).await
    }

    /// As [`Wiretap::start`], answering 500 to any request whose body
    /// contains `"product_id":{poison}` (not followed by another digit).
    pub async fn start_poisoned(
        name: &str,
        upstream: &str,
        poison: i64,
    ) -> anyhow::Result<Wiretap> {
        Self::start_with(
            name,
            upstream,
            Some(format!("\"product_id\":{poison}").into_bytes()),
        )
        .await
    }

    async fn start_with(
        name: &str,
        upstream: &str,
        poison: Option<Vec<u8>>,
    ) -> anyhow::Result<Wiretap> {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            down: AtomicBool::new(false),
            slow: AtomicBool::new(false),
            poison,
            counters: Counters::default(),
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(64)
                .build()?,
        });
        // The limit of the receivers it may stand in front of (axum's own default, 2 MiB, once
        // refused the collector's larger log batches: otlp_capture::MAX_BODY_BYTES).
        let app = axum::Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::max(
                otlp_capture::MAX_BODY_BYTES,
            ))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Wiretap {
            name: name.to_owned(),
            addr,
            shared,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        self.shared.down.store(mode == Mode::Down, Ordering::SeqCst);
    }

    /// Switches the slow-product delay on or off.
    pub fn set_slow(&self, on: bool) {
        self.shared.slow.store(on, Ordering::SeqCst);
    }

    /// A handle that can switch the mode from another task.
    pub fn handle(&self) -> Handle {
        Handle(self.shared.clone())
    }

    /// Counts so far.
    pub fn count(&self) -> WireCount {
        let c = &self.shared.counters;
        WireCount {
            sink: self.name.clone(),
            requests: c.requests.load(Ordering::SeqCst),
            bytes: c.bytes.load(Ordering::SeqCst),
            refused: c.refused.load(Ordering::SeqCst),
            paths: c.paths.lock().map(|p| p.clone()).unwrap_or_default(),
        }
    }

    /// Sets the counters back to zero (between runs).
    pub fn reset(&self) {
        let c = &self.shared.counters;
        c.requests.store(0, Ordering::SeqCst);
        c.bytes.store(0, Ordering::SeqCst);
        c.refused.store(0, Ordering::SeqCst);
        if let Ok(mut p) = c.paths.lock() {
            p.clear();
        }
    }
}

/// Switches a [`Wiretap`]'s mode (cheap to clone, `Send`).
#[derive(Clone)]
pub struct Handle(Arc<Shared>);

impl Handle {
    pub fn set(&self, mode: Mode) {
        self.0.down.store(mode == Mode::Down, Ordering::SeqCst);
    }
}

/// The product ids a JSON body names (`"product_id":N`).
fn product_ids(body: &[u8]) -> impl Iterator<Item = i64> + '_ {
    const KEY: &[u8] = b"\"product_id\":";
    let mut from = 0;
    std::iter::from_fn(move || {
        let i = body[from..].windows(KEY.len()).position(|w| w == KEY)?;
        let start = from + i + KEY.len();
        let digits = body[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        from = start;
        std::str::from_utf8(&body[start..start + digits])
            .ok()?
            .parse()
            .ok()
            .or(Some(-1))
    })
}

/// Whether `body` names the poisoned product (and not one whose id merely starts with it).
fn poisoned(body: &[u8], needle: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = body[from..].windows(needle.len()).position(|w| w == needle) {
        let end = from + i + needle.len();
        if !body.get(end).is_some_and(u8::is_ascii_digit) {
            return true;
        }
        from = from + i + 1;
    }
    false
}

/// The endpoint a request is counted under: its path, or for the AWS JSON
/// protocol (every call is `POST /`) the operation its `X-Amz-Target` names.
fn endpoint(uri: &Uri, headers: &HeaderMap) -> String {
    match (
        uri.path(),
        headers.get("x-amz-target").and_then(|v| v.to_str().ok()),
    ) {
        ("/", Some(target)) => target.rsplit('.').next().unwrap_or(target).to_owned(),
        (path, _) => path.to_owned(),
    }
}

async fn forward(
    State(s): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    s.counters.requests.fetch_add(1, Ordering::Relaxed);
    s.counters
        .bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    let down = s.down.load(Ordering::Relaxed);
    let refuse = down || s.poison.as_deref().is_some_and(|p| poisoned(&body, p));
    if let Ok(mut paths) = s.counters.paths.lock() {
        let p = paths.entry(endpoint(&uri, &headers)).or_default();
        p.requests += 1;
        p.bytes += body.len() as u64;
        p.refused += u64::from(refuse);
    }
    if refuse {
        s.counters.refused.fetch_add(1, Ordering::Relaxed);
        return (
            if down {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            [("content-type", "application/json")],
            r#"{"error":{"code":"injected","message":"refused by the lab's pass-through"}}"#,
        )
            .into_response();
    }
    if s.slow.load(Ordering::Relaxed) && product_ids(&body).any(crate::scenario::is_slow_product) {
        tokio::time::sleep(crate::scenario::SLOW_DELAY).await;
    }
    otlp_capture::passthrough::forward(&s.client, &s.upstream, method, &uri, &headers, body, &[])
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poison_matches_the_whole_id_only() {
        let n = b"\"product_id\":239";
        assert!(poisoned(
            br#"{"items":[{"product_id":239,"quantity":1}]}"#,
            n
        ));
        assert!(poisoned(br#"[{"product_id":12},{"product_id":239}]"#, n));
        assert!(!poisoned(br#"{"product_id":2390}"#, n));
        assert!(!poisoned(br#"{"product_id":23}"#, n));
    }

    #[test]
    fn product_ids_are_read_from_a_json_body() {
        let ids: Vec<i64> =
            product_ids(br#"{"items":[{"product_id":21,"quantity":1},{"product_id":7}]}"#)
                .collect();
        assert_eq!(ids, [21, 7]);
        assert_eq!(
            product_ids(br#"{"product_id":"x"}"#).collect::<Vec<_>>(),
            [-1]
        );
        assert_eq!(product_ids(b"{}").count(), 0);
    }

    #[tokio::test]
    async fn holds_requests_for_slow_products_only_when_switched_on() {
        let app = axum::Router::new().fallback(|body: Bytes| async move { body });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let tap = Wiretap::start("t", &upstream).await.unwrap();
        let slow = (1..1000)
            .find(|&id| crate::scenario::is_slow_product(id))
            .unwrap();
        let c = reqwest::Client::new();
        let timed = |body: String| {
            let (c, url) = (c.clone(), format!("{}/x", tap.url()));
            async move {
                let t = std::time::Instant::now();
                let r = c.post(url).body(body).send().await.unwrap();
                assert_eq!(r.status(), 200);
                t.elapsed()
            }
        };
        let body = format!(r#"{{"product_id":{slow}}}"#);
        assert!(timed(body.clone()).await < crate::scenario::SLOW_DELAY);
        tap.set_slow(true);
        assert!(timed(body).await >= crate::scenario::SLOW_DELAY);
        assert!(
            timed(format!(r#"{{"product_id":{}}}"#, slow + 1)).await < crate::scenario::SLOW_DELAY
        );
    }

    #[tokio::test]
    async fn counts_forwards_and_refuses() {
        // Upstream: a real HTTP server (the capture receiver's router would do;
        // a two-line axum echo keeps this test self-contained).
        let app = axum::Router::new().fallback(|body: Bytes| async move { body });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let tap = Wiretap::start_poisoned("t", &upstream, 239).await.unwrap();
        let c = reqwest::Client::new();
        let r = c
            .post(format!("{}/x", tap.url()))
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "hello");
        let r = c
            .post(format!("{}/x", tap.url()))
            .body(r#"{"product_id":239}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        tap.set(Mode::Down);
        let r = c
            .post(format!("{}/x", tap.url()))
            .body("abc")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        let n = tap.count();
        assert_eq!((n.requests, n.bytes, n.refused), (3, 5 + 18 + 3, 2));
        let x = &n.paths["/x"];
        assert_eq!((x.requests, x.bytes, x.refused), (3, 5 + 18 + 3, 2));
        tap.reset();
        assert_eq!(tap.count().requests, 0);
        assert!(tap.count().paths.is_empty());
    }

    #[test]
    fn aws_json_calls_count_under_their_operation() {
        let mut h = HeaderMap::new();
        let root: Uri = "/".parse().unwrap();
        assert_eq!(endpoint(&root, &h), "/");
        h.insert(
            "x-amz-target",
            "Logs_20140328.PutLogEvents".parse().unwrap(),
        );
        assert_eq!(endpoint(&root, &h), "PutLogEvents");
        let traces: Uri = "/v1/traces?x=1".parse().unwrap();
        assert_eq!(endpoint(&traces, &h), "/v1/traces");
    }
}
