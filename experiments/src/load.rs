//! The load generator: drives sessions from the [`Scenario`] against a
//! running [`Shop`], open-loop at a fixed rate or closed-loop to saturation,
//! records latency in an HDR histogram and keeps the [`Ledger`] of what it
//! did and saw.
//!
//! Open-loop sessions start on a fixed schedule whether or not earlier ones
//! have finished, and a session's first request is timed from its
//! *intended* start: a stalled shop cannot slow the load down and hide its
//! own latency (the coordinated-omission trap). The schedule is even or,
//! with [`Arrivals::Poisson`], a seeded Poisson process. Later steps of a session
//! depend on earlier answers (the cart id), so they are sent as soon as the
//! previous one returns, with no think time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::time::Instant as TokioInstant;

use crate::results::{Latency, Shape};
use crate::scenario::{self, Scenario, Session, SplitMix64, Step, Vars};
use crate::shop::Shop;

/// How open-loop sessions are spaced in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Arrivals {
    /// Evenly: one session every `1 / rate`.
    Fixed,
    /// A Poisson process: exponential gaps with mean `1 / rate`, from a
    /// seeded generator. Real users do not arrive on a metronome; bursts
    /// queue up and show in the tail latency a fixed schedule smooths over.
    Poisson,
}

impl Arrivals {
    /// `fixed` or `poisson`, as saved in the results.
    pub fn name(self) -> &'static str {
        match self {
            Arrivals::Fixed => "fixed",
            Arrivals::Poisson => "poisson",
        }
    }
}

/// The intended start of every open-loop session, as offsets from the start
/// of the run: an endless iterator, each session at its own time.
pub struct Schedule {
    arrivals: Arrivals,
    mean_gap: f64,
    rng: SplitMix64,
    k: u64,
    next: f64,
}

impl Schedule {
    /// Sessions `mean_gap` apart on average; `seed` fixes the Poisson gaps
    /// (the same seed gives the same schedule).
    pub fn new(arrivals: Arrivals, mean_gap: Duration, seed: u64) -> Schedule {
        Schedule {
            arrivals,
            mean_gap: mean_gap.as_secs_f64(),
            // Its own stream: the gaps must not shift the scenario's draws.
            rng: SplitMix64::new(seed ^ 0xA771_7A15),
            k: 0,
            next: 0.0,
        }
    }
}

impl Iterator for Schedule {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let at = match self.arrivals {
            // k × gap rather than a running sum, so that rounding does not drift.
            Arrivals::Fixed => self.k as f64 * self.mean_gap,
            Arrivals::Poisson => {
                let at = self.next;
                // Inverse transform: −ln(1 − u) is exponential with mean 1, for u uniform in [0, 1).
                let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                self.next += -(1.0 - u).ln() * self.mean_gap;
                at
            }
        };
        self.k += 1;
        Some(Duration::from_secs_f64(at))
    }
}

/// How the generator propagates trace context (fidelity runs only; overhead
/// runs let the shop start and sample its own traces).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Propagate {
    None,
    /// W3C `traceparent`, sampled flag set for `share` of sessions' requests.
    W3c {
        share: f64,
    },
    /// `X-Amzn-Trace-Id` with `Sampled=1` for `share`, else `Sampled=0`.
    XRay {
        share: f64,
    },
}

/// The trace context the generator sent with a request.
#[derive(Clone, Debug)]
pub struct SentContext {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits: the (non-existent) client span the shop's root must name as parent.
    pub parent_id: String,
    pub sampled: bool,
}

/// One request, as the generator did and saw it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub session: u64,
    pub step: Step,
    /// HTTP status, 0 for a transport error.
    pub status: u16,
    pub latency_us: u64,
    /// `x-request-id` the generator sent (the shop keeps it).
    pub request_id: String,
    /// `x-trace-id` the shop answered with (the backend's format).
    pub trace_id: Option<String>,
    pub sent: Option<SentContext>,
    /// Checkout: `total_cents` of the order created.
    pub total_cents: Option<i64>,
    /// Whether the request was in the measured window (not warm-up).
    pub measured: bool,
    /// Whether the request carried a session cookie (and, unless a GET, its CSRF token).
    pub signed_in: bool,
}

impl Entry {
    /// A request of the set-up before the load ([`scenario::setup_sessions`]).
    pub fn is_setup(&self) -> bool {
        self.session >= scenario::SETUP_BASE
    }

    /// Not a correct answer (see [`Step::acceptable`]), or no answer at all.
    pub fn unexpected(&self) -> bool {
        !self.step.acceptable(self.status)
    }
}

/// Everything one load phase did.
#[derive(Debug, Default)]
pub struct Ledger {
    pub entries: Vec<Entry>,
    /// Open-loop sessions that started more than 5 ms after their scheduled time.
    pub late_sends: u64,
}

/// A logged-in lab customer, as a browser holds one: the session cookie's
/// value and the CSRF token the login answered with.
#[derive(Clone, Debug)]
pub struct Auth {
    cookie: String,
    csrf: String,
}

/// What the set-up before the load left: its requests (for the ledger) and
/// each lab customer's session (`None` if its login failed: that customer's
/// sessions then run as a guest's and answer unexpectedly, which the run reports).
pub struct Setup {
    entries: Vec<Entry>,
    customers: Vec<Option<Auth>>,
    /// The lab admin's session after its TOTP login (`None` if any step of
    /// it failed: the admin sessions then answer 401, which the run reports).
    admin: Option<Auth>,
}

impl Setup {
    /// The lab admin's `Cookie` header value and CSRF token, when its login succeeded: what a
    /// browser sends to the back office (the CSRF token on every request but a GET).
    pub fn admin(&self) -> Option<(String, String)> {
        self.admin
            .as_ref()
            .map(|a| (format!("{ADMIN_COOKIE}={}", a.cookie), a.csrf.clone()))
    }
}

struct Shared {
    client: reqwest::Client,
    catalog: String,
    orders: String,
    run: String,
    propagate: Propagate,
    seed: u64,
    ledger: Mutex<Ledger>,
    hist: Mutex<Histogram<u64>>,
    measure_from: Instant,
    stop_at: Instant,
    customers: Mutex<Vec<Option<Auth>>>,
    admin: Mutex<Option<Auth>>,
    /// The lab admin's invitation token (set-up only).
    invitation: String,
}

/// A fresh latency histogram: 1 µs to 60 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// Percentiles and CDF points of a histogram.
pub fn latency(h: &Histogram<u64>) -> Latency {
    let q = |q: f64| h.value_at_quantile(q) as f64;
    let mut cdf = Vec::new();
    if !h.is_empty() {
        // Log-spaced towards the tail: 0.1 .. 0.9, 0.99, 0.999, ... as far as the data goes.
        for i in 1..=9 {
            let quantile = i as f64 / 10.0;
            cdf.push((quantile, q(quantile)));
        }
        let mut tail = 0.9;
        while 1.0 - tail > 1.0 / h.len() as f64 {
            tail = 1.0 - (1.0 - tail) / 10f64.sqrt();
            cdf.push((tail, q(tail)));
        }
        cdf.push((1.0, h.max() as f64));
    }
    Latency {
        count: h.len(),
        mean_us: h.mean(),
        p50_us: q(0.5),
        p90_us: q(0.9),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: h.max() as f64,
        cdf,
    }
}

fn hex(n: u64, digits: usize) -> String {
    format!("{n:0digits$x}")
}

impl Shared {
    /// Trace context for a session (the same for all its requests? no: one
    /// trace per request, as a browser would send), decided by the seed.
    fn context(&self, session: u64, step: usize) -> Option<(String, String, SentContext)> {
        let (share, w3c) = match self.propagate {
            Propagate::None => return None,
            Propagate::W3c { share } => (share, true),
            Propagate::XRay { share } => (share, false),
        };
        let mut r = SplitMix64::new(self.seed ^ (session << 8) ^ step as u64 ^ 0x5EED);
        let sampled = r.chance(share) && share > 0.0;
        let parent_id = hex(r.next_u64() | 1, 16);
        if w3c {
            let trace_id = format!("{}{}", hex(r.next_u64(), 16), hex(r.next_u64(), 16));
            let header = format!(
                "00-{trace_id}-{parent_id}-{}",
                if sampled { "01" } else { "00" }
            );
            Some((
                "traceparent".into(),
                header,
                SentContext {
                    trace_id,
                    parent_id,
                    sampled,
                },
            ))
        } else {
            let epoch = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let unique = format!("{}{}", hex(r.next_u64() >> 32, 8), hex(r.next_u64(), 16));
            let trace_id = format!("{}{unique}", hex(epoch, 8));
            let header = format!(
                "Root=1-{}-{unique};Parent={parent_id};Sampled={}",
                hex(epoch, 8),
                u8::from(sampled)
            );
            Some((
                "x-amzn-trace-id".into(),
                header,
                SentContext {
                    trace_id,
                    parent_id,
                    sampled,
                },
            ))
        }
    }

    /// Runs one session; `intended` is when its first request was due.
    async fn session(&self, s: Session, intended: Instant) {
        let mut vars = Vars {
            invitation: self.invitation.clone(),
            ..Vars::default()
        };
        // The lab admin's session (admin steps only) and, once enrolled, its phone.
        let mut admin = self.admin.lock().expect("admin lock").clone();
        let mut phone: Option<totp_rs::Totp> = None;
        let mut due = intended;
        let mut lines = 0;
        let mut auth: Option<Auth> = s.customer.and_then(|c| {
            self.customers
                .lock()
                .expect("customers lock")
                .get(c as usize)
                .cloned()
                .flatten()
        });
        for (i, step) in s.steps.iter().enumerate() {
            // A checkout writes one row per cart line: as many as were added.
            let step = &match step {
                Step::Checkout {
                    token,
                    email_ok,
                    coupon,
                    ..
                } => Step::Checkout {
                    token,
                    email_ok: *email_ok,
                    lines,
                    coupon: *coupon,
                },
                other => other.clone(),
            };
            if Instant::now() >= self.stop_at {
                return;
            }
            let base = match step.service() {
                crate::scenario::Service::Catalog => &self.catalog,
                crate::scenario::Service::Orders => &self.orders,
            };
            let (method, _) = step.route();
            if matches!(step, Step::AdminPack | Step::AdminShip { .. }) && vars.order.is_empty() {
                return; // the session's checkout placed no order to ship
            }
            // The phone shows the code of the current 30 s step; a login right after
            // enrolment uses the next one (a code is accepted once, within one step either way).
            if let Some(phone) = &phone {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let at = if matches!(step, Step::AdminVerify) {
                    now + 30
                } else {
                    now
                };
                vars.code = phone.generate(at).to_string();
            }
            let url = format!("{base}{}", step.path(&vars));
            let request_id = format!("{}-{}-{i}", self.run, s.index);
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
            let is_get = method == reqwest::Method::GET;
            let mut req = self.client.request(method, &url);
            req = req.header("x-request-id", &request_id);
            if let Some(body) = step.body(&vars) {
                req = req.json(&body);
            }
            if matches!(step, Step::Checkout { .. }) {
                req = req.header("idempotency-key", format!("{}-{}", self.run, s.index));
            }
            // A browser sends the customer's cookie to the shop and the admin's only to the
            // back office (its cookie's path is /api/admin).
            let signed_in = auth.is_some() && !step.is_admin();
            let cookie = if step.is_admin() {
                admin
                    .as_ref()
                    .map(|a| (format!("{ADMIN_COOKIE}={}", a.cookie), &a.csrf))
            } else {
                auth.as_ref()
                    .map(|a| (format!("shop_session={}", a.cookie), &a.csrf))
            };
            if let Some((cookie, csrf)) = cookie {
                req = req.header("cookie", cookie);
                if !is_get {
                    req = req.header("x-csrf-token", csrf);
                }
            }
            let context = self.context(s.index, i);
            if let Some((name, value, _)) = &context {
                req = req.header(name.as_str(), value.as_str());
            }
            let measured = due >= self.measure_from;
            let (status, trace_id, cookie, body) = match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let trace_id = r
                        .headers()
                        .get("x-trace-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let cookie = session_cookie(r.headers(), step.is_admin());
                    let body = r.bytes().await.unwrap_or_default();
                    (status, trace_id, cookie, body)
                }
                Err(_) => (0, None, None, Default::default()),
            };
            let done = Instant::now();
            let latency_us = done.duration_since(due).as_micros() as u64;
            let mut total_cents = None;
            let json = || serde_json::from_slice::<serde_json::Value>(&body).ok();
            if matches!(step, Step::CreateCart) && status == 201 {
                vars.cart = json()
                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
            }
            if matches!(step, Step::Checkout { .. }) && status == 201 {
                vars.order = json()
                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
            }
            if let (Step::AdminLogin { .. }, 200) = (step, status) {
                let csrf = json().and_then(|v| v["csrf_token"].as_str().map(str::to_owned));
                admin = cookie
                    .clone()
                    .zip(csrf)
                    .map(|(cookie, csrf)| Auth { cookie, csrf });
            }
            if let (Step::AdminEnrol, 200) = (step, status) {
                phone = json()
                    .and_then(|v| v["otpauth_uri"].as_str().map(str::to_owned))
                    .and_then(|uri| totp_rs::Totp::from_url_unchecked(uri).ok());
            }
            if let (Step::AdminVerify, 204) = (step, status) {
                *self.admin.lock().expect("admin lock") = admin.clone();
            }
            if matches!(step, Step::AddItem { .. }) && status == 201 {
                lines += 1;
            }
            if matches!(step, Step::Checkout { .. }) && status == 201 {
                total_cents = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["total_cents"].as_i64());
            }
            if let (Step::Login { customer, .. }, 200) = (step, status) {
                let csrf = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["csrf_token"].as_str().map(str::to_owned));
                auth = cookie.zip(csrf).map(|(cookie, csrf)| Auth { cookie, csrf });
                if s.kind == "setup"
                    && let Some(slot) = self
                        .customers
                        .lock()
                        .expect("customers lock")
                        .get_mut(*customer as usize)
                {
                    *slot = auth.clone();
                }
            }
            if measured {
                let _ = self
                    .hist
                    .lock()
                    .expect("histogram lock")
                    .record(latency_us.max(1));
            }
            self.ledger
                .lock()
                .expect("ledger lock")
                .entries
                .push(Entry {
                    session: s.index,
                    step: step.clone(),
                    status,
                    latency_us,
                    request_id,
                    trace_id,
                    sent: context.map(|(_, _, c)| c),
                    total_cents,
                    measured,
                    signed_in,
                });
            due = done;
            if status == 0 || (matches!(step, Step::CreateCart) && vars.cart.is_empty()) {
                return; // the rest of the session cannot go on
            }
        }
    }
}

/// The back office's session cookie (the shop's `shop_admin_session`).
const ADMIN_COOKIE: &str = "shop_admin_session";

/// The value of the `shop_session` cookie (`admin`: `shop_admin_session`) a
/// response sets, if it sets one.
fn session_cookie(headers: &reqwest::header::HeaderMap, admin: bool) -> Option<String> {
    let name = if admin { ADMIN_COOKIE } else { "shop_session" };
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            first
                .strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_owned)
        })
        .filter(|v| !v.is_empty())
}

impl Shared {
    /// A load phase against `shop` measuring from `window.0` and stopping at
    /// `window.1`; its ledger opens with `setup`'s requests and its sessions
    /// sign in with `setup`'s customers.
    fn new(
        shop: &Shop,
        run: &str,
        seed: u64,
        propagate: Propagate,
        window: (Instant, Instant),
        setup: Setup,
    ) -> Shared {
        Shared {
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(256)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            catalog: shop.url(crate::scenario::Service::Catalog),
            orders: shop.url(crate::scenario::Service::Orders),
            run: run.to_owned(),
            propagate,
            seed,
            ledger: Mutex::new(Ledger {
                entries: setup.entries,
                late_sends: 0,
            }),
            hist: Mutex::new(histogram()),
            measure_from: window.0,
            stop_at: window.1,
            customers: Mutex::new(setup.customers),
            admin: Mutex::new(setup.admin),
            invitation: String::new(),
        }
    }
}

/// The set-up before the load: registers and logs in every lab customer
/// ([`scenario::setup_sessions`]), one after another, with the same trace
/// context rules as the load (so the fidelity oracle checks these requests
/// too). Run it before measuring starts: argon2id makes each request cost
/// tens of milliseconds of the shop's CPU.
///
/// The lab admin is invited first with `shop admin invite` (the shop's
/// command line, as an operator bootstraps the first admin); a failed
/// invitation leaves the admin steps to answer unexpectedly, which the run
/// reports, rather than stopping it.
pub async fn setup(shop: &Shop, run: &str, seed: u64, propagate: Propagate) -> Setup {
    // Nothing of the set-up is in a measured window.
    let never = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let invitation = shop.invite_admin().unwrap_or_else(|e| {
        eprintln!("experiments: {e:#}");
        String::new()
    });
    let mut shared = Shared::new(
        shop,
        run,
        seed,
        propagate,
        (never, never),
        Setup {
            entries: Vec::new(),
            customers: vec![None; scenario::CUSTOMERS as usize],
            admin: None,
        },
    );
    shared.invitation = invitation;
    for s in scenario::setup_sessions() {
        shared.session(s, Instant::now()).await;
    }
    Setup {
        entries: shared.ledger.into_inner().expect("ledger").entries,
        customers: shared.customers.into_inner().expect("customers"),
        admin: shared.admin.into_inner().expect("admin"),
    }
}

/// What a load phase returns.
pub struct Outcome {
    pub ledger: Ledger,
    pub histogram: Histogram<u64>,
    /// The measured window (after warm-up).
    pub window: Duration,
}

/// Average requests per session of the mix (to turn a request rate into a session rate).
pub fn steps_per_session(seed: u64) -> f64 {
    let mut s = Scenario::new(seed);
    let n = 10_000;
    (0..n).map(|_| s.next_session().steps.len()).sum::<usize>() as f64 / n as f64
}

/// Drives `shape` against `shop` for `warmup` + `duration`, after `setup`
/// (whose requests open the ledger). `on_tick` is called about every 250 ms
/// with the requests done so far (progress bars).
#[allow(clippy::too_many_arguments)]
pub async fn drive(
    shop: &Shop,
    run: &str,
    seed: u64,
    shape: &Shape,
    warmup: Duration,
    duration: Duration,
    propagate: Propagate,
    arrivals: Arrivals,
    setup: Setup,
    on_tick: &(dyn Fn(u64) + Sync),
) -> Outcome {
    let start = Instant::now();
    let shared = Arc::new(Shared::new(
        shop,
        run,
        seed,
        propagate,
        (start + warmup, start + warmup + duration),
        setup,
    ));
    let scenario = Arc::new(Mutex::new(Scenario::new(seed)));
    let mut tasks = tokio::task::JoinSet::new();
    match *shape {
        Shape::Closed { concurrency } => {
            for _ in 0..concurrency {
                let shared = shared.clone();
                let scenario = scenario.clone();
                tasks.spawn(async move {
                    while Instant::now() < shared.stop_at {
                        let s = scenario.lock().expect("scenario lock").next_session();
                        shared.session(s, Instant::now()).await;
                    }
                });
            }
        }
        Shape::Open { rate } => {
            let per_session = Duration::from_secs_f64(steps_per_session(seed) / rate);
            let shared2 = shared.clone();
            let scenario = scenario.clone();
            tasks.spawn(async move {
                let mut inner = tokio::task::JoinSet::new();
                for offset in Schedule::new(arrivals, per_session, seed) {
                    // Timed from here even if the generator wakes late (coordinated omission).
                    let intended = start + offset;
                    if intended >= shared2.stop_at {
                        break;
                    }
                    tokio::time::sleep_until(TokioInstant::from_std(intended)).await;
                    if Instant::now().duration_since(intended) > Duration::from_millis(5) {
                        shared2.ledger.lock().expect("ledger lock").late_sends += 1;
                    }
                    let s = scenario.lock().expect("scenario lock").next_session();
                    let sh = shared2.clone();
                    inner.spawn(async move { sh.session(s, intended).await });
                    while inner.try_join_next().is_some() {}
                }
                while inner.join_next().await.is_some() {}
            });
        }
    }
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { break },
            _ = tokio::time::sleep(Duration::from_millis(250)) => {
                on_tick(shared.ledger.lock().expect("ledger lock").entries.len() as u64);
            }
        }
    }
    let shared = Arc::try_unwrap(shared).ok().expect("all tasks finished");
    let mut ledger = shared.ledger.into_inner().expect("ledger");
    ledger
        .entries
        .sort_by(|a, b| (a.session, &a.request_id).cmp(&(b.session, &b.request_id)));
    Outcome {
        ledger,
        histogram: shared.hist.into_inner().expect("histogram"),
        window: duration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(arrivals: Arrivals, seed: u64, n: usize) -> Vec<f64> {
        Schedule::new(arrivals, Duration::from_millis(10), seed)
            .take(n)
            .map(|d| d.as_secs_f64())
            .collect()
    }

    #[test]
    fn a_fixed_schedule_is_evenly_spaced() {
        let o = offsets(Arrivals::Fixed, 1, 4);
        assert_eq!(o, vec![0.0, 0.01, 0.02, 0.03]);
    }

    #[test]
    fn poisson_arrivals_keep_the_mean_rate_and_vary_the_gaps() {
        let n = 20_000;
        let o = offsets(Arrivals::Poisson, 7, n + 1);
        assert_eq!(o[0], 0.0);
        assert!(o.windows(2).all(|w| w[1] >= w[0]), "in time order");
        // 20 000 gaps of mean 10 ms: the mean is within 3 % (its standard error is 0.7 %).
        let mean = o[n] / n as f64;
        assert!((mean - 0.01).abs() < 0.0003, "mean gap {mean}");
        // Exponential gaps: standard deviation ≈ mean, and ~37 % of gaps longer than the mean.
        let gaps: Vec<f64> = o.windows(2).map(|w| w[1] - w[0]).collect();
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!((sd / mean - 1.0).abs() < 0.05, "sd/mean {}", sd / mean);
        let long = gaps.iter().filter(|g| **g > mean).count() as f64 / n as f64;
        assert!(
            (long - (-1.0f64).exp()).abs() < 0.02,
            "share over the mean {long}"
        );
    }

    #[test]
    fn the_poisson_schedule_is_deterministic_for_a_seed() {
        assert_eq!(
            offsets(Arrivals::Poisson, 42, 100),
            offsets(Arrivals::Poisson, 42, 100)
        );
        assert_ne!(
            offsets(Arrivals::Poisson, 42, 100),
            offsets(Arrivals::Poisson, 43, 100)
        );
    }
}
