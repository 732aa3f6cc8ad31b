//! The `otel` build end to end through a real collector: the shop (built
//! with `--features otel`, run as a process) → a private rotel → an
//! in-process OTLP capture receiver that decodes with the official proto
//! types. Black box: only HTTP in, OTLP out (and the shop's own stats).
//!
//! Needs rotel (PyPI, installed into the lab's venv by
//! `scripts/lab/rotel.sh install`, which these tests run): no test is
//! skipped when it cannot be installed; they fail saying why.

mod common;

#[path = "otel/lab.rs"]
mod lab;

#[path = "otel/traces.rs"]
mod traces;

#[path = "otel/xray.rs"]
mod xray;

#[path = "otel/faults.rs"]
mod faults;

#[path = "otel/xray_export.rs"]
mod xray_export;

#[path = "otel/sampling.rs"]
mod sampling;
