//! The `otel` build end to end through the lab's real collector: the shop
//! (built with `--features otel`, run as a process) → a private
//! OpenTelemetry Collector (built from `collector/builder-config.yaml`,
//! running `collector/pipeline.yaml`) → an in-process OTLP capture receiver
//! that decodes with the official proto types. Black box: only HTTP in, OTLP
//! out (and the shop's own stats).
//!
//! Needs the collector (built from its Go modules by
//! `scripts/lab/collector.sh install`, which these tests run; `make
//! test-deps` builds it first) and, for `xray_export`, rotel (PyPI,
//! `scripts/lab/rotel.sh install`) and moto: no test is skipped when one
//! cannot be installed; they fail saying why.
//!
//! Laid out like `tests/awssdk/main.rs`, one module per concern:
//!
//! | module | |
//! |---|---|
//! | `lab` | the collector, rotel (X-Ray leg), the capture receiver, the shop under test, span trees |
//! | `traces` | a W3C checkout trace across two services over OTLP/HTTP (`lab::w3c_checkout`) |
//! | `metrics` | that run's metric totals |
//! | `logs` | that run's log records joined to their spans |
//! | `insights` | the otel saved Logs Insights queries over the documents the `awscloudwatchlogs` exporter would write |
//! | `sampling` | `OTEL_TRACES_SAMPLER`, upstream decisions |
//! | `propagation` | `OTEL_PROPAGATORS=xray` across two services over OTLP/gRPC; an `X-Amzn-Trace-Id` without a `Parent` (an ALB's) |
//! | `faults` | the collector dies mid-run, or never answers |
//! | `xray_export` | what survives the X-Ray leg's conversion (collector → rotel → moto) |

#[path = "../common/mod.rs"]
mod common;
#[path = "../insights_eval/mod.rs"]
mod insights_eval;
mod lab;

mod events;
mod faults;
mod insights;
mod logs;
mod metrics;
mod propagation;
mod readback;
mod rum;
mod sampling;
mod traces;
mod xray_export;
