//! The comparison lab (O-COMP-01, O-COST-01): identical, seeded load through
//! the `noop`, `awssdk` and `otel` builds of the shop; overhead, fidelity and
//! cost measured in one run; `REPORT.md` written from the results.
//!
//! One concept per module:
//!
//! | module | what it does |
//! |---|---|
//! | [`plan`] | which configs, load shapes, durations and repeats a run has (full and quick) |
//! | [`builds`] | builds each variant of the shop once and keeps its binary |
//! | [`lab`] | the real components (MariaDB, LocalStack, moto, the OTel collector and its X-Ray leg, the capture receiver) |
//! | [`shop`] | one build started at an operating point (embedded: one process on SQLite; split: three services on MariaDB) with a fresh database |
//! | [`wiretap`] | counting pass-through in front of each sink (and outage injection) |
//! | [`scenario`] | the seeded session mix and the span tree each step must produce |
//! | [`load`] | open-loop and closed-loop drivers, HDR latency, the ledger |
//! | [`procstat`] | CPU seconds and peak RSS of every process, from `/proc` |
//! | [`readback`] | what arrived: X-Ray, CloudWatch and Logs APIs; the OTLP capture |
//! | [`fidelity`] | the oracle: ledger against read-back, per signal |
//! | [`cost`] | API calls and bytes per request → dollars with `prices.toml` |
//! | [`runner`] | the order of runs, measuring around each, the summaries |
//! | [`journal`] | each finished overhead run on disk at once, so an interrupted report resumes |
//! | [`lambda`] | the functions' chapter: cold start and per-invocation cost of each backend in `image-resize` under cargo-lambda |
//! | [`tail`] | tail sampling in the collector against head sampling in the shop: what each keeps |
//! | [`stats`] | paired per-repeat estimates, bootstrap intervals, met / missed / undetermined |
//! | [`results`] | the data saved beside the report |
//! | [`report`] | `REPORT.md` and its SVG charts |
//! | [`profile`] | `make profile`: `perf` samples of each build at saturation, bucketed into where the CPU goes |
//! | [`chaos`] | `make chaos`: fault experiments with a hypothesis each, checked for both backends |

pub mod async_hops;
pub mod browser;
pub mod builds;
pub mod chaos;
pub mod cost;
pub mod fidelity;
pub mod journal;
pub mod lab;
pub mod lambda;
pub mod load;
pub mod pipeline;
pub mod plan;
pub mod procstat;
pub mod profile;
pub mod readback;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod shop;
pub mod stats;
pub mod tail;
pub mod uploads;
pub mod wiretap;
