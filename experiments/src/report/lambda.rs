//! The report's section on the Lambda functions (see [`crate::lambda`]):
//! what each backend costs `image-resize` per cold start and per invocation.

use std::fmt::Write as _;

use super::text;
use crate::lambda::{BackendSummary, LambdaResults, Measure};
use crate::stats::{Direction, Estimate, Verdict};

/// T-RSS (docs/targets.md): resident memory a backend may add over `noop`, MiB.
const RSS_BUDGET_MIB: f64 = 10.0;

/// A value of `m` as the tables print it.
fn value(m: Measure, v: f64) -> String {
    match m.unit() {
        "" => text::num(v),
        unit => format!("{} {unit}", text::num(v)),
    }
}

/// A signed difference of `m`: `+10.9 ms`, `−0.3 MiB`.
fn signed(m: Measure, v: f64) -> String {
    let magnitude = value(m, v.abs());
    if magnitude.starts_with('0') && !magnitude.starts_with("0.") {
        magnitude
    } else if v < 0.0 {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

/// Whether an added cost is told apart from zero: the three-way reading of a paired
/// interval where there is no target to hold it against.
fn against_zero(e: &Estimate) -> &'static str {
    match e.ci95 {
        Some((low, _)) if low > 0.0 => "▲ more than noop",
        Some((_, high)) if high < 0.0 => "▼ less than noop",
        Some(_) => "❔ not told apart from noop",
        None => "❔ no interval",
    }
}

fn summary<'a>(r: &'a LambdaResults, backend: &str) -> Option<&'a BackendSummary> {
    r.summary.iter().find(|s| s.backend == backend)
}

/// `## Lambda functions: cold start and per-invocation overhead`, or nothing when the run had
/// no such stage.
pub(crate) fn section(o: &mut String, r: &LambdaResults) {
    if r.processes.is_empty() {
        return;
    }
    let backends: Vec<&BackendSummary> = r.summary.iter().collect();
    let with_backend: Vec<&BackendSummary> = backends
        .iter()
        .copied()
        .filter(|b| b.backend != "noop")
        .collect();
    let warm = r.processes.first().map_or(0, |p| p.warm);
    let per_backend = backends.first().map_or(0, |b| b.processes);
    let _ = writeln!(
        o,
        "## Lambda functions: cold start and per-invocation overhead\n"
    );
    let _ = writeln!(
        o,
        "The shop's `image-resize` function (docs/functions.md) resizing a {}×{} JPEG from the \
         private LocalStack's S3 into three pictures, under `cargo lambda watch \
         --only-lambda-apis` (cargo-lambda's Invoke and runtime APIs; the harness starts each \
         function process itself, as Lambda does) and invoked with the AWS SDK's Lambda \
         client. Per backend, {per_backend} fresh processes, each with one cold invocation \
         (sent as the process starts, so the invoker waits for its init) and {warm} warm ones; \
         each repeat visits the backends in a rotated order, so drift in the machine hits them \
         alike. `awssdk` exports to moto and LocalStack, `otel` to the lab's collector over \
         OTLP/HTTP, each through counting pass-throughs of this stage's own. Build: {}{}.\n",
        crate::lambda::ORIGINAL.0,
        crate::lambda::ORIGINAL.1,
        if r.separate_builds {
            format!(
                "`{}` profile, one build per backend (`noop` has no backend compiled in)",
                r.profile
            )
        } else {
            format!(
                "`{}` profile, one binary with both backends picked by `SHOP_TELEMETRY` (quick \
                 mode: `noop` is not a true baseline, least of all for memory)",
                r.profile
            )
        },
        if r.pinned {
            "; the function process on the shop's CPU, cargo-lambda and the sinks on the other"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "Medians over the processes, with their 95 % bootstrap interval (warm figures: each \
         process's median over its warm invocations). Duration, FlushDuration, InitDuration and \
         MaxMemoryUsed are what the function's EMF line says; the round trip is the invoker's.{}\n",
        if per_backend < 5 {
            format!(
                " With {per_backend} processes per backend an interval is little more than the \
                 range of a few pairs: read the verdicts as indications (`make report` runs more)."
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "| | {} |",
        backends
            .iter()
            .map(|b| format!("`{}`", b.backend))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "|---|{}", "---|".repeat(backends.len()));
    for m in Measure::ALL {
        if backends.iter().all(|b| b.measure(m).is_none()) {
            continue;
        }
        let cells: Vec<String> = backends
            .iter()
            .map(|b| {
                b.measure(m).map_or_else(
                    || "n/a".to_owned(),
                    |s| text::estimate(&s.value, |v| value(m, v)),
                )
            })
            .collect();
        let _ = writeln!(o, "| {} | {} |", m.label(), cells.join(" | "));
    }
    let _ = writeln!(o);
    if with_backend.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "**Added per invocation against `noop`**: each process's value minus that of the `noop` \
         process of the same repeat, median and 95 % interval. There is no target for a \
         function's time; *more* / *less than noop* means the whole interval is on that side \
         of zero. Memory is held to T-RSS (≤ {RSS_BUDGET_MIB:.0} MiB over `noop`).\n"
    );
    let _ = writeln!(
        o,
        "| | {} |",
        with_backend
            .iter()
            .map(|b| format!("`{}`", b.backend))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "|---|{}", "---|".repeat(with_backend.len()));
    for m in Measure::ALL
        .into_iter()
        .filter(|m| *m != Measure::ExportRequestsWarm)
    {
        let cells: Vec<String> = with_backend
            .iter()
            .map(|b| match b.measure(m).and_then(|s| s.added.as_ref()) {
                Some(e) => {
                    let reading = if m == Measure::MaxMemoryUsed {
                        Verdict::of(e, RSS_BUDGET_MIB, Direction::AtMost).label()
                    } else {
                        against_zero(e)
                    };
                    format!("{} {reading}", text::estimate(e, |v| signed(m, v)))
                }
                None => "n/a".to_owned(),
            })
            .collect();
        if cells.iter().all(|c| c == "n/a") {
            continue;
        }
        let _ = writeln!(o, "| {} | {} |", m.label(), cells.join(" | "));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| backend | export requests per warm invocation, by endpoint | request bytes per warm invocation |"
    );
    let _ = writeln!(o, "|---|---|---:|");
    for b in &with_backend {
        let endpoints: Vec<String> = b
            .endpoints_per_invocation
            .iter()
            .map(|(k, v)| format!("`{}` ×{}", text::md(k), text::num(*v)))
            .collect();
        let bytes: Vec<f64> = r
            .processes
            .iter()
            .filter(|p| p.backend == b.backend)
            .map(|p| p.warm_export_bytes)
            .collect();
        let _ = writeln!(
            o,
            "| `{}` | {} | {} |",
            b.backend,
            if endpoints.is_empty() {
                "none".to_owned()
            } else {
                endpoints.join(", ")
            },
            text::bytes(crate::stats::median(&bytes))
        );
    }
    let _ = writeln!(o);
    dominates(o, r, &with_backend);
    let _ = writeln!(
        o,
        "**Caveats.** cargo-lambda is not Lambda: no microVM, no CPU share that scales with the \
         memory setting, no extensions API (the ADOT layer's collector would run as one), and \
         its Invoke API adds its own hop to the round trip. Lambda **freezes** an execution \
         environment between invocations and may thaw it minutes later; here the process keeps \
         running, so warm invocations find their connections open, which after a real thaw \
         they may not be, and a background export would have worked here where Lambda would \
         stall it (which is why the functions flush). **Memory** is the function process's own \
         peak RSS (`VmHWM`); Lambda's *Max Memory Used* is the whole environment's, runtime \
         included, and reads higher. InitDuration is the process's own (start to the runtime \
         loop: telemetry and the S3 client); Lambda's *Init Duration* also covers starting the \
         runtime. Every sink is on loopback here; in AWS, `awssdk`'s calls go to regional \
         endpoints over TLS, while `otel` would export to a collector in the same \
         environment.\n"
    );
}

/// The services an export endpoint belongs to, as a reader knows them.
fn service(endpoint: &str) -> &'static str {
    match endpoint {
        "/TraceSegments" => "X-Ray",
        "PutLogEvents" | "CreateLogStream" | "CreateLogGroup" => "CloudWatch Logs",
        "PutMetricData" => "CloudWatch",
        e if e.starts_with("/v1/") => "the OTLP endpoint",
        _ => "another endpoint",
    }
}

/// The paragraph that says what the figures show, from the figures: how much of each
/// backend's added round trip its flush is, what the flush calls, and what else differs.
fn dominates(o: &mut String, r: &LambdaResults, with_backend: &[&BackendSummary]) {
    let mut sentences = Vec::new();
    let mut flush_dominates = true;
    // Whether the flush is the one added cost the data tells apart from noise: it is above
    // noop's for every backend, and the handler's own Duration is not.
    let mut only_flush_stands_out = true;
    for b in with_backend {
        let median = |m: Measure| b.measure(m).map(|s| s.value.median);
        let added = |m: Measure| b.measure(m).and_then(|s| s.added);
        let (Some(flush), Some(trip)) = (median(Measure::FlushWarm), added(Measure::RoundTripWarm))
        else {
            continue;
        };
        let mut services: Vec<&str> = b
            .endpoints_per_invocation
            .keys()
            .map(|k| service(k))
            .collect();
        services.dedup();
        let share = if trip.median > 0.0 {
            flush / trip.median
        } else {
            f64::NAN
        };
        flush_dominates &= share >= 0.5;
        let above = |m: Measure| added(m).is_some_and(|e| e.ci95.is_some_and(|(low, _)| low > 0.0));
        only_flush_stands_out &= above(Measure::FlushWarm) && !above(Measure::DurationWarm);
        let mut s = format!(
            "`{}` adds {} to the warm round trip ({}); its flush takes {}{}, {} requests to {} \
             per invocation",
            b.backend,
            signed(Measure::RoundTripWarm, trip.median),
            against_zero(&trip).trim_start_matches(['▲', '▼', '❔', ' ']),
            value(Measure::FlushWarm, flush),
            if share.is_finite() && share > 0.0 && share <= 1.0 {
                format!(" ({} of it)", text::pct(share))
            } else if share > 1.0 {
                " (more than the whole difference)".to_owned()
            } else {
                String::new()
            },
            text::num(median(Measure::ExportRequestsWarm).unwrap_or(0.0)),
            services.join(" and "),
        );
        if let Some(cold) = median(Measure::FlushCold) {
            let _ = write!(
                s,
                " ({} on the cold invocation)",
                value(Measure::FlushCold, cold)
            );
        }
        if let Some(d) = added(Measure::DurationWarm)
            && d.ci95.is_some_and(|(low, _)| low > 0.0)
        {
            let _ = write!(
                s,
                "; the handler's own Duration is longer too, by {} (the part of the telemetry \
                 that runs inside it: its spans and log lines)",
                signed(Measure::DurationWarm, d.median)
            );
        }
        if let Some(init) = added(Measure::InitDuration)
            && init.ci95.is_some_and(|(low, high)| low > 0.0 || high < 0.0)
        {
            let _ = write!(
                s,
                "; its cold start changes InitDuration by {}",
                signed(Measure::InitDuration, init.median)
            );
        }
        s.push('.');
        sentences.push(s);
    }
    if sentences.is_empty() {
        return;
    }
    let lead = if only_flush_stands_out {
        "The one cost the backends add that stands out from the noise is the end-of-invocation \
         flush, which the invoker waits for: the handler's own Duration is not told apart from \
         `noop`'s."
    } else if flush_dominates {
        "What a backend adds to an invocation is mostly the end-of-invocation flush, which the \
         invoker waits for."
    } else {
        "The end-of-invocation flush, which the invoker waits for, is only part of what a backend \
         adds to an invocation here."
    };
    let awssdk = summary(r, "awssdk").and_then(|b| b.measure(Measure::FlushWarm));
    let otel = summary(r, "otel").and_then(|b| b.measure(Measure::FlushWarm));
    let comparison = match (awssdk, otel) {
        (Some(a), Some(t)) if t.value.median > 0.0 => format!(
            " Between the two, `awssdk`'s flush takes {}× what `otel`'s does ({} against {}): \
             `awssdk` signs and sends one request per AWS service (concurrently), `otel` one per \
             signal to the collector; both sinks are on loopback here.",
            text::num(a.value.median / t.value.median),
            value(Measure::FlushWarm, a.value.median),
            value(Measure::FlushWarm, t.value.median)
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "**What dominates.** {lead} {}{comparison}\n",
        sentences.join(" ")
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::lambda::{LambdaProcess, summarise};

    fn process(backend: &str, repeat: usize, flush: f64, trip: f64, memory: f64) -> LambdaProcess {
        LambdaProcess {
            backend: backend.into(),
            repeat,
            warm: 3,
            init_ms: 30.0,
            cold_duration_ms: 150.0,
            cold_flush_ms: flush * 2.0,
            cold_round_trip_ms: 250.0,
            warm_duration_ms: 120.0,
            warm_flush_ms: flush,
            warm_round_trip_ms: trip,
            max_memory_mb: Some(memory),
            cold_export_requests: 3,
            warm_export_requests: if backend == "noop" { 0.0 } else { 3.0 },
            warm_export_bytes: if backend == "noop" { 0.0 } else { 2048.0 },
            warm_endpoints: if backend == "noop" {
                BTreeMap::new()
            } else {
                BTreeMap::from([("/TraceSegments".to_owned(), 3)])
            },
        }
    }

    fn results() -> LambdaResults {
        let mut processes = Vec::new();
        for r in 0..3 {
            let d = r as f64;
            processes.push(process("noop", r, 0.0, 130.0 + d, 20.0 + d));
            processes.push(process("awssdk", r, 10.0 + d, 141.0 + 2.0 * d, 40.0 + d));
        }
        LambdaResults {
            profile: "dev".into(),
            separate_builds: false,
            pinned: true,
            summary: summarise(&processes),
            processes,
        }
    }

    #[test]
    fn the_section_shows_medians_added_costs_and_what_dominates() {
        let mut o = String::new();
        section(&mut o, &results());
        assert!(o.contains("## Lambda functions: cold start and per-invocation overhead"));
        assert!(
            o.contains("3 fresh processes, each with one cold invocation"),
            "{o}"
        );
        assert!(o.contains("| | `noop` | `awssdk` |"), "{o}");
        assert!(
            o.contains("| FlushDuration warm | 0 ms <sub>[0 ms–0 ms]</sub> | 11.0 ms <sub>["),
            "{o}"
        );
        // Memory: +20 MiB in every repeat misses T-RSS; the round trip is told apart from zero.
        assert!(
            o.contains("| MaxMemoryUsed | +20.0 MiB <sub>[+20.0 MiB–+20.0 MiB]</sub> ❌ missed |"),
            "{o}"
        );
        assert!(o.contains("| round trip warm | +12.0 ms <sub>["), "{o}");
        assert!(o.contains("▲ more than noop"), "{o}");
        assert!(o.contains("| `awssdk` | `/TraceSegments` ×1.00 | "), "{o}");
        assert!(
            o.contains(
                "**What dominates.** The one cost the backends add that stands out from the \
                 noise is the end-of-invocation flush, which the invoker waits for: the handler's \
                 own Duration is not told apart from `noop`'s. `awssdk` adds +12.0 ms to \
                 the warm round trip (more than noop); its flush takes 11.0 ms (91.7 % of it), \
                 3.00 requests to X-Ray per invocation (22.0 ms on the cold invocation)."
            ),
            "{o}"
        );
        assert!(o.contains("**Caveats.**"));
        let mut empty = String::new();
        section(&mut empty, &LambdaResults::default());
        assert!(empty.is_empty());
    }

    #[test]
    fn signs_and_readings() {
        assert_eq!(signed(Measure::FlushWarm, 10.9), "+10.9 ms");
        assert_eq!(signed(Measure::MaxMemoryUsed, -0.3), "−0.300 MiB");
        assert_eq!(signed(Measure::FlushWarm, 0.0), "0 ms");
        let e = |lo, hi| Estimate {
            median: 0.0,
            ci95: Some((lo, hi)),
            n: 3,
        };
        assert_eq!(against_zero(&e(1.0, 2.0)), "▲ more than noop");
        assert_eq!(against_zero(&e(-2.0, -1.0)), "▼ less than noop");
        assert_eq!(against_zero(&e(-1.0, 1.0)), "❔ not told apart from noop");
    }
}
