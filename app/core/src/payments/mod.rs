//! Payment (C-SHOP-03): three mock methods behind one trait, and a provider
//! that makes them slow or failing on purpose, so that a declined or slow
//! payment is something a learner can see in a trace and a dashboard.
//!
//! - [`method`]: the [`PaymentMethod`] trait and the customer's choice
//!   ([`Payment`]);
//! - [`card`]: card tokens in Stripe's test-token style (`tok_visa`);
//! - [`wallet`]: a digital wallet's one-time tokens (`wal_…`);
//! - [`cash`]: cash on delivery (nothing to authorize; a limit on the total);
//! - [`simulation`]: the latency and failure rate of each method
//!   (`--payment-simulation`);
//! - [`MockProvider`]: authorizes a payment with its method, applying the
//!   simulation, inside a `payment.authorize` span, and counts it.
//!
//! No real payment network is called, and nothing that looks like a card
//! number is ever accepted or stored: an order keeps its method's name and
//! the provider's reference (`pay_…`), never the token.

pub mod card;
pub mod cash;
pub mod method;
pub mod simulation;
pub mod wallet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use telemetry_api::{KeyValue, semconv};
use tracing::Instrument;

use crate::instruments::Instruments;

pub use card::PaymentToken;
pub use cash::CashOnDelivery;
pub use method::{Authorization, MethodName, Payment, PaymentMethod};
pub use simulation::{Behaviour, Simulation};
pub use wallet::WalletToken;

/// The provider refused the payment; `reason` is its code
/// (`card_declined`, `insufficient_funds`, `expired_card`,
/// `wallet_declined`, `cod_limit_exceeded`, `processor_declined`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment declined: {reason}")]
pub struct Declined {
    pub reason: &'static str,
}

/// The reason given for a failure the simulation injected: what a real
/// processor answers when its issuer or network refuses without saying why.
pub const SIMULATED_DECLINE: &str = "processor_declined";

/// The mock payment provider: every method, with the configured
/// [`Simulation`]. Cheap to clone.
#[derive(Clone)]
pub struct MockProvider {
    simulation: Arc<Simulation>,
    instruments: Instruments,
    /// The fault flags (`payment_decline_percent`, on top of the simulation).
    faults: crate::faults::Faults,
}

impl MockProvider {
    /// A provider that behaves as `simulation` says, counting into
    /// `instruments` (`shop.payments`, `shop.payment.duration`).
    pub fn new(simulation: Simulation, instruments: Instruments) -> MockProvider {
        MockProvider {
            simulation: Arc::new(simulation),
            instruments,
            faults: crate::faults::Faults::off(),
        }
    }

    /// This provider with the fault flags `faults`: `payment_decline_percent`
    /// declines that share of payments as the simulation's failures are
    /// (`processor_declined`), in addition to them (docs/faults.md).
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> MockProvider {
        self.faults = faults;
        self
    }

    /// Authorizes `amount_cents` with the customer's `payment`: waits the
    /// method's simulated latency, fails at its simulated rate, then lets
    /// the method decide. One `payment.authorize` span (method, amount,
    /// outcome) and one count per call, whatever the outcome.
    pub async fn authorize(
        &self,
        payment: &Payment,
        amount_cents: i64,
    ) -> Result<Authorization, Declined> {
        let method = payment.method();
        let name = method.name();
        let span = tracing::info_span!(
            "payment.authorize",
            span.kind = "internal",
            payment.method = name.as_str(),
            payment.amount_cents = amount_cents,
            payment.outcome = tracing::field::Empty,
        );
        let behaviour = self.simulation.behaviour(name);
        let started = Instant::now();
        let result = async {
            let latency = behaviour.latency();
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            // The injected decline (`payment_decline_percent`) is the
            // simulation's decline, drawn on top of its rate: the same
            // reason, span, count and log line, plus the event naming the flag.
            if behaviour.fails_now() || self.faults.payment_declines_now() {
                return Err(Declined {
                    reason: SIMULATED_DECLINE,
                });
            }
            method.authorize(amount_cents)
        }
        .instrument(span.clone())
        .await;
        let outcome = match &result {
            Ok(a) => a.outcome(),
            Err(d) => d.reason,
        };
        span.record("payment.outcome", outcome);
        if let Err(d) = &result {
            let _entered = span.enter();
            tracing::warn!(
                payment.method = name.as_str(),
                reason = d.reason,
                "payment declined"
            );
        }
        self.record(name, &result, started.elapsed());
        result
    }

    /// `shop.payments` by method and outcome (`authorized`, `pending`,
    /// `declined`: the reason is on the span and the log line, not a
    /// dimension), and `shop.payment.duration` by method.
    fn record(&self, name: MethodName, result: &Result<Authorization, Declined>, took: Duration) {
        let outcome = match result {
            Ok(a) => a.outcome(),
            Err(_) => "declined",
        };
        let method = KeyValue::new(semconv::SHOP_PAYMENT_METHOD, name.as_str());
        self.instruments.payments.add(
            1,
            &[
                method.clone(),
                KeyValue::new(semconv::SHOP_PAYMENT_OUTCOME, outcome),
            ],
        );
        self.instruments
            .payment_duration
            .record(took.as_secs_f64(), &[method]);
    }
}
