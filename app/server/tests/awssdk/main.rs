//! The `awssdk` build against the real AWS API emulators (docs/lab.md):
//! LocalStack for CloudWatch and CloudWatch Logs, moto for X-Ray. Each test
//! runs the real `shop` binary with `--telemetry awssdk`, routes the SDK to
//! the emulators with the standard `AWS_ENDPOINT_URL_*` variables, drives
//! requests, flushes, and reads back through the same AWS APIs a user
//! would: BatchGetTraces, GetMetricData, FilterLogEvents.
//!
//! The emulators are installed and started by `scripts/lab/*.sh` when they
//! are not running; a failure to start them fails the tests.
//!
//! Laid out like `tests/otel/main.rs`, one module per concern:
//!
//! | module | |
//! |---|---|
//! | `lab` | the emulators, the shop under test, reading back through the AWS APIs |
//! | `traces` | segments and subsegments across two services, error and fault flags |
//! | `metrics` | CloudWatch metrics, `PutMetricData` and EMF |
//! | `logs` | CloudWatch Logs lines joined to their traces |
//! | `sampling` | X-Ray rules from a file, upstream decisions |
//! | `propagation` | `X-Amzn-Trace-Id` without a `Parent` (an ALB's) |
//! | `faults` | sinks down, slow, erroring, throttling (`chaos`: the pass-through that injects it) |
//! | `xray_store` | what moto's X-Ray keeps under concurrent writers (a gap, and the lab's fix) |

#[path = "../common/mod.rs"]
mod common;
#[path = "../insights_eval/mod.rs"]
mod insights_eval;
mod lab;

mod chaos;
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
mod xray_store;
