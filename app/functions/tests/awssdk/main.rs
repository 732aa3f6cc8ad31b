//! The functions with the `awssdk` backend against the real lab: LocalStack
//! (S3, SQS), moto (X-Ray), `cargo lambda watch` (the Invoke API and the
//! runtime API). See `tests/common/mod.rs` for how they are started.
//!
//! | module | |
//! |---|---|
//! | `resize` | upload an original → S3 notification → SQS → `lab-event-source` → `image-resize` → the sizes in S3; a message's `AWSTraceHeader` continued |
//! | `traces` | the trace-header gap of `cargo lambda watch`, the lab's carrier, and what Lambda itself would do |
//! | `telemetry` | the JSON log line (request id, trace id) and the EMF line (duration, cold start, items) |
//! | `stock_report` | `stock-report` on a Scheduled Event, recorded as the shop records a batch run |
//! | `database_url` | `DATABASE_URL` unset: the URL read from Secrets Manager at cold start (`SHOP_DATABASE_URL_SECRET`); a missing secret is an init error naming it |
//! | `order_mail` | an order → outbox → EventBridge → mail queue → `lab-event-source` (SQS batches) → `order-mail` → SES; dedupe, poison to the DLQ, the partial batch response, the trace in X-Ray |

#[path = "../common/mod.rs"]
mod common;
mod lab;
#[path = "../common/mail.rs"]
mod mail;

mod database_url;
mod order_mail;
mod resize;
mod stock_report;
mod telemetry;
mod traces;
