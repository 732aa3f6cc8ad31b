//! The `otel` build end to end through a real collector: the shop (built
//! with `--features otel`, run as a process) → a private rotel → an
//! in-process OTLP capture receiver that decodes with the official proto
//! types. Black box: only HTTP in, OTLP out (and the shop's own stats).
//!
//! Needs rotel (PyPI, installed into the lab's venv by
//! `scripts/lab/rotel.sh install`, which these tests run): no test is
//! skipped when it cannot be installed; they fail saying why.
//!
//! Laid out like `tests/awssdk/main.rs`, one module per concern:
//!
//! | module | |
//! |---|---|
//! | `lab` | rotel, the capture receiver, the shop under test, span trees |
//! | `traces` | a W3C checkout trace across two services over OTLP/HTTP (`lab::w3c_checkout`) |
//! | `metrics` | that run's metric totals |
//! | `logs` | that run's log records joined to their spans |
//! | `sampling` | `OTEL_TRACES_SAMPLER`, upstream decisions |
//! | `propagation` | `OTEL_PROPAGATORS=xray` across two services over OTLP/gRPC; an `X-Amzn-Trace-Id` without a `Parent` (an ALB's) |
//! | `faults` | the collector dies mid-run, or never answers |
//! | `xray_export` | what survives rotel's conversion into X-Ray (moto) |

#[path = "../common/mod.rs"]
mod common;
mod lab;

mod faults;
mod logs;
mod metrics;
mod propagation;
mod sampling;
mod traces;
mod xray_export;
