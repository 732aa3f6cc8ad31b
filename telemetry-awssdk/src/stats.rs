//! Export statistics: what each signal received, sent, dropped and retried,
//! and what it put on the wire.
//!
//! The counters themselves are the contract's [`SignalCounters`], one set
//! per signal, filled where things happen: `received` by the request side,
//! `sent`/`dropped` by the workers ([`crate::export::worker`]),
//! `retries`/`errors` by [`crate::export::retry::with_retries`] (the SDK's
//! own retries are turned off, so every retry is ours and counted), and API
//! calls and request bytes by [`WireCounter`], an interceptor on each
//! signal's SDK client, once per attempt, after signing, as sent: counted,
//! not estimated. The same interceptor fails every call while the injected
//! fault `telemetry_sink_down` is on ([`telemetry_api::export::sink_down`]).

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use telemetry_api::export::{PerSignal, SignalCounters};

/// Counts every HTTP request an SDK client puts on the wire, and its body
/// size, into a signal's counters.
#[derive(Debug, Clone)]
pub struct WireCounter(pub Arc<SignalCounters>);

impl Intercept for WireCounter {
    fn name(&self) -> &'static str {
        "shop-lab-wire-counter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let bytes = context.request().body().bytes().map_or(0, <[u8]>::len);
        SignalCounters::add(&self.0.api_calls, 1);
        SignalCounters::add(&self.0.bytes, bytes as u64);
        // The injected outage (`telemetry_sink_down`, docs/faults.md): the
        // call fails here, after it was counted as sent, as a connection to
        // an unreachable endpoint would. The SDK turns an interceptor's error
        // before transmit into a dispatch failure, which
        // `export::retry::with_retries` retries and counts like any other,
        // and the batch ends up `dropped` as in a real outage.
        if telemetry_api::export::sink_down() {
            return Err(telemetry_api::export::SINK_DOWN_MESSAGE.into());
        }
        Ok(())
    }
}

/// The counters of the three signals; the exporter's
/// [`telemetry_api::Exporter::stats`] reads them.
pub type Stats = PerSignal<SignalCounters>;
