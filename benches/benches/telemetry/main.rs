//! The telemetry benches: the same scenarios against every way the shop can
//! be built (`benches/README.md` has the list and how to read the table).
//!
//! One binary for all scenarios, so the AWS SDK and OpenTelemetry are linked
//! once. `main` is written out instead of `criterion_main!` because the
//! process first re-runs itself under the bench environment
//! (`shop_benches::env`), and because the backends are built once and shared
//! by every scenario.

mod bodies;
mod encode;
mod log_line;
mod logs;
mod metrics;
mod propagation;
mod reference;
mod spans;
mod unsampled;

use std::process::ExitCode;
use std::time::Duration;

use criterion::Criterion;
use shop_benches::paced::{Pacer, in_flight};
use telemetry_api::{SignalStats, Telemetry};
use tokio::runtime::Runtime;
use tracing::Dispatch;

/// Everything built once per run.
pub struct Setups {
    pub runtime: Runtime,
    pub noop: Telemetry,
    pub glue_discard: Telemetry,
    pub awssdk: Telemetry,
    pub otel: Telemetry,
    /// The real backends again, with a sampler that records no trace
    /// (`request/unsampled`).
    pub awssdk_unsampled: Telemetry,
    pub otel_unsampled: Telemetry,
    pub reference: reference::Reference,
    /// A bare registry: `tracing` with no telemetry layer.
    pub registry_only: Dispatch,
}

/// One row of a `tracing` scenario: a subscriber to run under, and how to
/// pace it.
pub struct Row<'a> {
    pub name: &'static str,
    pub dispatch: &'a Dispatch,
    pub pacer: Pacer<'a>,
    /// Counts the spans ended under the reference (see [`reference`]).
    pub reference: Option<&'a reference::Reference>,
}

impl Setups {
    fn new() -> Setups {
        let runtime = shop_benches::runtime();
        Setups {
            noop: shop_benches::noop(),
            glue_discard: shop_benches::discarding(true),
            awssdk: shop_benches::awssdk(&runtime),
            otel: shop_benches::otel(&runtime),
            awssdk_unsampled: shop_benches::awssdk_unsampled(&runtime),
            otel_unsampled: shop_benches::otel_unsampled(&runtime),
            reference: reference::Reference::new(),
            registry_only: Dispatch::new(tracing_subscriber::Registry::default()),
            runtime,
        }
    }

    /// The rows of the `span/…` and `log/…` tables, in print order.
    pub fn tracing_rows(&self) -> Vec<Row<'_>> {
        let plain = |name, dispatch| Row {
            name,
            dispatch,
            pacer: Pacer::unpaced(),
            reference: None,
        };
        vec![
            plain("registry_only", &self.registry_only),
            plain("noop", self.noop.dispatch()),
            plain("glue_discard", self.glue_discard.dispatch()),
            Row {
                name: "awssdk",
                dispatch: self.awssdk.dispatch(),
                pacer: Pacer::backend(&self.awssdk, &self.runtime),
                reference: None,
            },
            Row {
                name: "otel",
                dispatch: self.otel.dispatch(),
                pacer: Pacer::backend(&self.otel, &self.runtime),
                reference: None,
            },
            Row {
                name: "tracing-opentelemetry",
                dispatch: &self.reference.dispatch,
                // Its batch processor exports (on its own thread) once 512
                // spans wait: flush (to the discarding exporter, quick)
                // before every 500, so that it never runs during a chunk
                // and its queue (2048) never fills.
                pacer: Pacer::settling(500, || self.reference.flush()),
                reference: Some(&self.reference),
            },
        ]
    }

    /// The backends with metrics and propagation: `noop`, `awssdk`, `otel`.
    pub fn backends(&self) -> [(&'static str, &Telemetry); 3] {
        [
            ("noop", &self.noop),
            ("awssdk", &self.awssdk),
            ("otel", &self.otel),
        ]
    }

    /// What the real backends did with what they were given, and whether
    /// the reference's queue kept up (printed once, after the tables).
    fn report(&self) {
        let line = |what: &str, s: &SignalStats| {
            eprintln!(
                "  {what:<6} received {:>9}  dropped {:>9}  sent {:>3}  still queued {:>6}  API calls {:>6}",
                s.received,
                s.dropped,
                s.sent,
                in_flight(s),
                s.api_calls,
            );
        };
        eprintln!(
            "\nexport statistics (every export goes to {} and fails, so what left a queue is \
             counted as dropped; the benches flushed between chunks, so no queue was full):",
            shop_benches::env::DEAD_ENDPOINT
        );
        for (t, sampled) in [
            (&self.awssdk, ""),
            (&self.otel, ""),
            (&self.awssdk_unsampled, " (unsampled)"),
            (&self.otel_unsampled, " (unsampled)"),
        ] {
            let s = t.stats();
            eprintln!("{}{sampled}:", t.backend_name());
            line("spans", &s.spans);
            line("logs", &s.logs);
        }
        self.reference.report();
    }

    fn shutdown(&self) {
        for t in [
            &self.awssdk,
            &self.otel,
            &self.awssdk_unsampled,
            &self.otel_unsampled,
        ] {
            // Fails by design (the last exports fail too); what was lost is
            // in the statistics already printed.
            let _ = self.runtime.block_on(t.shutdown(Duration::from_secs(30)));
        }
        self.reference.shutdown();
    }
}

fn main() -> ExitCode {
    if let Some(code) = shop_benches::env::run_in_bench_env() {
        return code;
    }
    let setups = Setups::new();
    // Defaults for this 2-core machine; criterion's own options after `--`
    // (`--quick`, `--measurement-time`, a name filter, …) override them.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();

    spans::bench(&mut c, &setups);
    logs::bench(&mut c, &setups);
    unsampled::bench(&mut c, &setups);
    log_line::bench(&mut c);
    metrics::bench(&mut c, &setups);
    propagation::bench(&mut c, &setups);
    encode::bench(&mut c);
    bodies::bench(&mut c);

    c.final_summary();
    setups.report();
    setups.shutdown();
    ExitCode::SUCCESS
}
