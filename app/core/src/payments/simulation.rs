//! How slow and how unreliable each payment method pretends to be
//! (`--payment-simulation`, `SHOP_PAYMENT_SIMULATION`), so that slow and
//! declined payments show up in traces, logs and metrics on purpose.
//!
//! The setting is a comma-separated list of `METHOD=LATENCY[:FAILURE_RATE]`:
//!
//! - `METHOD`: `card`, `wallet`, `cash_on_delivery`, or `*` for every
//!   method not named;
//! - `LATENCY`: a duration (`120ms`, `1s`), or a range `MIN..MAX` from which
//!   each payment draws uniformly (`20ms..400ms`);
//! - `FAILURE_RATE`: the share of payments declined with
//!   `processor_declined`, from `0` to `1` (default `0`).
//!
//! Example: `*=20ms..120ms:0.02,wallet=300ms`. The default (an empty
//! setting) is instant and never fails, which is what the experiments and
//! the tests rely on.

use std::time::Duration;

use super::method::MethodName;
use crate::validation::Invalid;

/// One method's simulated latency and failure rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Behaviour {
    pub min_latency: Duration,
    pub max_latency: Duration,
    /// From 0 (never) to 1 (always).
    pub failure_rate: f64,
}

impl Behaviour {
    /// This payment's latency, drawn uniformly between the bounds.
    pub fn latency(&self) -> Duration {
        if self.max_latency <= self.min_latency {
            return self.min_latency;
        }
        let spread = (self.max_latency - self.min_latency).as_secs_f64();
        self.min_latency + Duration::from_secs_f64(spread * rand::random::<f64>())
    }

    /// Whether this payment fails (drawn at the failure rate).
    pub fn fails_now(&self) -> bool {
        self.failure_rate > 0.0 && rand::random::<f64>() < self.failure_rate
    }
}

/// Every method's behaviour.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simulation {
    default: Behaviour,
    methods: Vec<(MethodName, Behaviour)>,
}

const FIELD: &str = "payment_simulation";

impl Simulation {
    /// Parses the setting; an empty one is instant and never fails.
    pub fn parse(spec: &str) -> Result<Simulation, Invalid> {
        let mut sim = Simulation::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (method, rest) = entry.split_once('=').ok_or_else(|| {
                invalid(format!("{entry:?} is not METHOD=LATENCY[:FAILURE_RATE]"))
            })?;
            let (latency, rate) = match rest.split_once(':') {
                Some((l, r)) => (l.trim(), Some(r.trim())),
                None => (rest.trim(), None),
            };
            let (min_latency, max_latency) = match latency.split_once("..") {
                Some((lo, hi)) => (duration(lo)?, duration(hi)?),
                None => {
                    let d = duration(latency)?;
                    (d, d)
                }
            };
            if max_latency < min_latency {
                return Err(invalid(format!(
                    "{latency:?}: the range's end is before its start"
                )));
            }
            let failure_rate = match rate {
                None => 0.0,
                Some(r) => r
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| {
                        invalid(format!("{r:?}: a failure rate is a number from 0 to 1"))
                    })?,
            };
            let behaviour = Behaviour {
                min_latency,
                max_latency,
                failure_rate,
            };
            match method.trim() {
                "*" => sim.default = behaviour,
                name => {
                    let m = MethodName::parse(name).ok_or_else(|| {
                        invalid(format!(
                            "{name:?} is not a payment method (card, wallet, cash_on_delivery or *)"
                        ))
                    })?;
                    sim.methods.retain(|(k, _)| *k != m);
                    sim.methods.push((m, behaviour));
                }
            }
        }
        Ok(sim)
    }

    /// How `method` behaves: its own entry, else the `*` entry, else
    /// instant and reliable.
    pub fn behaviour(&self, method: MethodName) -> Behaviour {
        self.methods
            .iter()
            .find(|(m, _)| *m == method)
            .map_or(self.default, |(_, b)| *b)
    }
}

fn duration(s: &str) -> Result<Duration, Invalid> {
    humantime::parse_duration(s.trim())
        .map_err(|e| invalid(format!("{s:?} is not a duration like 120ms ({e})")))
}

fn invalid(message: String) -> Invalid {
    Invalid::new(FIELD, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_instant_and_reliable() {
        let sim = Simulation::parse("").unwrap();
        for m in MethodName::ALL {
            let b = sim.behaviour(m);
            assert_eq!(b.latency(), Duration::ZERO);
            assert!(!b.fails_now());
        }
    }

    #[test]
    fn methods_override_the_star() {
        let sim = Simulation::parse(" *=20ms..120ms:0.02 , wallet=300ms ,card=1s:1").unwrap();
        let star = sim.behaviour(MethodName::CashOnDelivery);
        assert_eq!(
            (star.min_latency, star.max_latency, star.failure_rate),
            (Duration::from_millis(20), Duration::from_millis(120), 0.02)
        );
        for _ in 0..100 {
            let l = star.latency();
            assert!(l >= Duration::from_millis(20) && l <= Duration::from_millis(120));
        }
        let wallet = sim.behaviour(MethodName::Wallet);
        assert_eq!(wallet.latency(), Duration::from_millis(300));
        assert_eq!(wallet.failure_rate, 0.0);
        assert!(sim.behaviour(MethodName::Card).fails_now());
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        for (spec, says) in [
            ("card", "is not METHOD=LATENCY"),
            ("bitcoin=1ms", "is not a payment method"),
            ("card=fast", "is not a duration"),
            ("card=2s..1s", "end is before its start"),
            ("card=1ms:1.5", "from 0 to 1"),
            ("card=1ms:-0.1", "from 0 to 1"),
            ("card=1ms:often", "from 0 to 1"),
        ] {
            let e = Simulation::parse(spec).unwrap_err();
            assert_eq!(e.field, FIELD);
            assert!(e.message.contains(says), "{spec}: {}", e.message);
        }
    }
}
