//! The `awssdk` build against the real AWS API emulators (DESIGN §4):
//! LocalStack for CloudWatch and CloudWatch Logs, moto for X-Ray. Each test
//! runs the real `shop` binary with `--telemetry awssdk`, routes the SDK to
//! the emulators with the standard `AWS_ENDPOINT_URL_*` variables, drives
//! requests, flushes, and reads back through the same AWS APIs a user
//! would: BatchGetTraces, GetMetricData, FilterLogEvents.
//!
//! The emulators are installed and started by `scripts/lab/*.sh` when they
//! are not running; a failure to start them fails the tests.

mod chaos;
#[path = "../common/mod.rs"]
mod common;
mod support;

mod faults;
mod logs;
mod metrics;
mod sampling;
mod traces;
