//! Circuit breakers and retries for the shop's calls to other services
//! (O-ERROR-01; docs/resilience.md): the inventory service (split mode) and
//! SES.
//!
//! A **circuit breaker** stops calling a service that keeps failing. After
//! `failures` failed calls in a row it *opens*: calls are refused at once,
//! without trying, so a request that needs the service answers a fast 503
//! (with `Retry-After`) instead of waiting for timeouts, and the struggling
//! service is not hammered. After a while (`open_for`, jittered) it lets calls
//! through again (*half-open*); the first success *closes* it, a failure opens
//! it again for twice as long (up to `max_open`).
//!
//! The state machine is the `failsafe` crate's. What this module adds is what
//! the lab wants to see: every change of state is a log line (in the trace of
//! the call that caused it) and a count in `shop.circuit.transitions`, and
//! every refused call a count in `shop.circuit.rejected`, both by
//! `shop.circuit.name`.
//!
//! A **retry** repeats a call that failed on the way (a refused connection)
//! after a short, jittered, growing delay, and only where repeating it is
//! harmless (an idempotent read: the stock check). The delays are `backon`'s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use backon::ExponentialBuilder;
use failsafe::StateMachine;
use failsafe::failure_policy::ConsecutiveFailures;
use telemetry_api::metrics::Counter;
use telemetry_api::{KeyValue, semconv};

use crate::instruments::Instruments;

/// When a breaker opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Failed calls in a row that open the breaker (at least 1).
    pub failures: u32,
    /// How long it stays open the first time: between half and all of it
    /// (jitter, so that many shops do not all try again at one instant).
    /// At least one second.
    pub open_for: Duration,
    /// The longest it stays open, however often the trial call fails.
    pub max_open: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 5,
            open_for: Duration::from_secs(10),
            max_open: Duration::from_secs(60),
        }
    }
}

impl BreakerSettings {
    /// `failures` failed calls in a row open it for about `open_seconds`
    /// (the longest stay is six times that).
    pub fn new(failures: u32, open_seconds: u64) -> BreakerSettings {
        let open = open_seconds.max(1);
        BreakerSettings {
            failures: failures.max(1),
            open_for: Duration::from_secs(open),
            max_open: Duration::from_secs(open.saturating_mul(6)),
        }
    }
}

/// The state a breaker is in, as `shop.circuit.state` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls go through.
    Closed,
    /// Calls are refused without trying.
    Open,
    /// Calls go through to see whether the service is back.
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }

    fn from_u8(v: u8) -> CircuitState {
        match v {
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            _ => CircuitState::Closed,
        }
    }
}

type Machine = StateMachine<ConsecutiveFailures<OpenPeriods>, Signals>;

/// How long the breaker stays open each time in a row: `open_for`, then
/// doubled up to `max_open`, each drawn between half and all of it.
///
/// Written here rather than taken from `failsafe::backoff`: those count in
/// whole seconds, and their "equal jitter" of one second is zero seconds
/// (half of 1 s, rounded down, plus a draw below 1), which would leave the
/// lab's one-second breakers never open.
#[derive(Debug, Clone)]
pub struct OpenPeriods {
    next: Duration,
    max: Duration,
}

impl OpenPeriods {
    pub fn new(first: Duration, max: Duration) -> OpenPeriods {
        OpenPeriods {
            next: first,
            max: max.max(first),
        }
    }
}

impl Iterator for OpenPeriods {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let full = self.next;
        self.next = (full * 2).min(self.max);
        Some(full / 2 + full.mul_f64(rand::random::<f64>() / 2.0))
    }
}

/// A circuit breaker around the calls to one service. Cheap to clone: the
/// clones share one state.
#[derive(Clone)]
pub struct Breaker {
    machine: Machine,
    signals: Arc<SignalState>,
    name: &'static str,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish()
    }
}

impl Breaker {
    /// A closed breaker named `name` (the service it guards: `shop.circuit.name`).
    pub fn new(
        name: &'static str,
        settings: BreakerSettings,
        instruments: &Instruments,
    ) -> Breaker {
        let open_for = settings.open_for.max(Duration::from_secs(1));
        let backoff = OpenPeriods::new(open_for, settings.max_open);
        let policy =
            failsafe::failure_policy::consecutive_failures(settings.failures.max(1), backoff);
        let state = Arc::new(SignalState {
            state: AtomicU8::new(0),
            built: AtomicBool::new(false),
        });
        let signals = Signals {
            name,
            transitions: instruments.circuit_transitions.clone(),
            rejected: instruments.circuit_rejected.clone(),
            state: state.clone(),
        };
        let machine = failsafe::Config::new()
            .failure_policy(policy)
            .instrument(signals)
            .build();
        Breaker {
            machine,
            signals: state,
            name,
        }
    }

    /// The service this breaker guards.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether a call may go out now. `false` while the breaker is open: the
    /// call is refused (and counted in `shop.circuit.rejected`). Once the
    /// open period is over this turns the breaker half-open and says yes.
    pub fn permits(&self) -> bool {
        self.machine.is_call_permitted()
    }

    /// The state, without changing it (a look, not a call).
    pub fn state(&self) -> CircuitState {
        CircuitState::from_u8(self.signals.state.load(Ordering::Relaxed))
    }

    /// The call went through and the service answered (even with a refusal
    /// of its own: it is up).
    pub fn succeeded(&self) {
        self.machine.on_success();
    }

    /// The call failed in a way that says the service is down or failing.
    pub fn failed(&self) {
        self.machine.on_error();
    }
}

/// The breaker's state as its instrument last saw it (failsafe keeps its
/// own private), and whether it has been built (failsafe reports "closed"
/// once at construction, which is not a change of state).
struct SignalState {
    state: AtomicU8,
    built: AtomicBool,
}

/// What a breaker reports at each change of state: a log line and a count.
struct Signals {
    name: &'static str,
    transitions: Counter,
    rejected: Counter,
    state: Arc<SignalState>,
}

impl Signals {
    fn changed(&self, to: CircuitState) {
        self.state.state.store(to as u8, Ordering::Relaxed);
        self.transitions.add(
            1,
            &[
                KeyValue::new(semconv::SHOP_CIRCUIT_NAME, self.name),
                KeyValue::new(semconv::SHOP_CIRCUIT_STATE, to.as_str()),
            ],
        );
    }
}

impl failsafe::Instrument for Signals {
    fn on_call_rejected(&self) {
        self.rejected
            .add(1, &[KeyValue::new(semconv::SHOP_CIRCUIT_NAME, self.name)]);
    }

    fn on_open(&self) {
        tracing::warn!(
            shop.circuit.name = self.name,
            shop.circuit.state = "open",
            "circuit opened: calls to {} are refused without trying for a while",
            self.name
        );
        self.changed(CircuitState::Open);
    }

    fn on_half_open(&self) {
        tracing::info!(
            shop.circuit.name = self.name,
            shop.circuit.state = "half_open",
            "circuit half-open: calls to {} go through again, to see whether it is back",
            self.name
        );
        self.changed(CircuitState::HalfOpen);
    }

    fn on_closed(&self) {
        if !self.state.built.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::info!(
            shop.circuit.name = self.name,
            shop.circuit.state = "closed",
            "circuit closed: {} answers again",
            self.name
        );
        self.changed(CircuitState::Closed);
    }
}

// `as u8` above relies on this order.
const _: () = {
    assert!(CircuitState::Closed as u8 == 0);
    assert!(CircuitState::Open as u8 == 1);
    assert!(CircuitState::HalfOpen as u8 == 2);
};

/// The retry schedule of an idempotent call to another service: at most
/// `retries` more tries, the first after about 50 ms, each later delay
/// doubled, jittered, never above 400 ms — short, because a person waits for
/// the answer.
pub fn quick_retries(retries: usize) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_millis(400))
        .with_max_times(retries)
        .with_jitter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    fn breaker(failures: u32) -> Breaker {
        let telemetry = telemetry_api::Telemetry::builder(
            telemetry_api::noop::backend(),
            telemetry_api::Resource::new("test", "0"),
        )
        .build()
        .unwrap();
        Breaker::new(
            "test",
            BreakerSettings::new(failures, 1),
            &Instruments::new(&telemetry),
        )
    }

    #[test]
    fn it_opens_after_the_failures_in_a_row_and_a_success_resets_the_count() {
        let b = breaker(3);
        assert_eq!(b.state(), CircuitState::Closed);
        b.failed();
        b.failed();
        b.succeeded();
        b.failed();
        b.failed();
        assert!(b.permits(), "two in a row after a success: still closed");
        b.failed();
        assert_eq!(b.state(), CircuitState::Open);
        assert!(!b.permits(), "open: refused without trying");
    }

    #[test]
    fn after_the_open_period_a_trial_success_closes_it() {
        let b = breaker(1);
        b.failed();
        assert!(!b.permits());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(b.permits(), "the open period (at most 1 s) is over");
        assert_eq!(b.state(), CircuitState::HalfOpen);
        b.succeeded();
        assert_eq!(b.state(), CircuitState::Closed);
        assert!(b.permits());
    }

    #[test]
    fn a_failed_trial_opens_it_again() {
        let b = breaker(1);
        b.failed();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(b.permits());
        b.failed();
        assert_eq!(b.state(), CircuitState::Open);
        assert!(!b.permits());
    }

    #[test]
    fn open_periods_double_up_to_the_cap_with_jitter() {
        let periods: Vec<Duration> =
            OpenPeriods::new(Duration::from_secs(1), Duration::from_secs(6))
                .take(5)
                .collect();
        for (p, full) in periods.iter().zip([1.0, 2.0, 4.0, 6.0, 6.0]) {
            let s = p.as_secs_f64();
            assert!(s >= full / 2.0 && s <= full, "{periods:?}");
        }
    }

    #[test]
    fn settings_keep_at_least_one_failure_and_one_second() {
        let s = BreakerSettings::new(0, 0);
        assert_eq!(s.failures, 1);
        assert_eq!(s.open_for, Duration::from_secs(1));
        assert_eq!(s.max_open, Duration::from_secs(6));
    }

    #[test]
    fn quick_retries_are_few_short_and_growing() {
        let delays: Vec<Duration> = quick_retries(3).build().collect();
        assert_eq!(delays.len(), 3);
        for d in &delays {
            assert!(*d >= Duration::from_millis(50), "{delays:?}");
            // 400 ms cap plus at most as much jitter.
            assert!(*d <= Duration::from_millis(800), "{delays:?}");
        }
    }
}
