//! # shop-functions: the shop's AWS Lambda functions
//!
//! Written with AWS's `lambda_runtime`, reusing `shop-core` (never the HTTP
//! layer), instrumented against `telemetry-api` like the shop, with the
//! backend chosen by cargo feature and `SHOP_TELEMETRY`
//! ([`backend`], the crate's only file that names one).
//!
//! | module | |
//! |---|---|
//! | [`database_url`] | the shop's database URL at cold start: `DATABASE_URL`, else the Secrets Manager secret `SHOP_DATABASE_URL_SECRET` names |
//! | [`function`] | a function's process: telemetry set up once, every invocation wrapped (span, log, flush, EMF) |
//! | [`carrier`] | where an invocation's trace context comes from: client context, the lab's event member, `_X_AMZN_TRACE_ID` |
//! | [`emf`] | CloudWatch Embedded Metric Format lines, by hand |
//! | [`image_resize`] | `image-resize`: S3 original → the catalog's sizes in S3 |
//! | [`stock_report`] | `stock-report`: the A-BATCH-01 job on a schedule |
//! | [`order_mail`] | `order-mail`: the shop's mails from an SQS batch, through the notification worker's own processing; a partial batch response |
//! | [`invoke`] | the Lambda Invoke API with `aws-sdk-lambda`, carrying the trace context |
//! | [`event_source`] | the lab's stand-in for an event-source mapping: an SQS poller that invokes with each S3 notification, or with SQS batches (binary `lab-event-source`) |
//!
//! Binaries (`src/bin/`): `image-resize`, `stock-report`, `order-mail` (the functions),
//! `lab-event-source` (the lab component). README.md says how to run them.

pub mod backend;
pub mod carrier;
pub mod database_url;
pub mod emf;
pub mod event_source;
pub mod function;
pub mod image_resize;
pub mod invoke;
pub mod order_mail;
pub mod stock_report;
