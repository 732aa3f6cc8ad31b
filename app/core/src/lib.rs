//! The shop's domain core: what the shop knows and does, with no HTTP
//! framework in it, so the HTTP server, a worker or a Lambda function can
//! all reuse it. Instrumented once against `telemetry-api` (spans through
//! `tracing`, metrics through [`instruments::Instruments`]).
//!
//! Each domain is a module with its model, its rules (validated types:
//! parse, don't validate) and its data access, and its own error enum with
//! no HTTP status in it; the server maps those errors to responses in one
//! place.
//!
//! Map of the crate:
//! - [`accounts`]: customers: registration, login and sessions, the
//!   login limiter, profile and addresses, password reset, order history,
//!   social login;
//! - [`admin`]: the back office's roles and access matrix, the admin
//!   password policy, TOTP and recovery codes;
//! - [`audit`]: the append-only, hash-chained audit log, and the
//!   compliance report;
//! - [`batch`]: the batch jobs (stock report, orders export,
//!   maintenance), each run a root span with its metrics and record;
//! - [`catalog`]: products, categories, listings and search, product
//!   pictures;
//! - [`cart`]: the server-side cart;
//! - [`orders`]: checkout (with [`orders::idempotency`]) and orders;
//! - [`inventory`]: stock levels, availability checks, and the client the
//!   cart and checkout use to ask inventory (in-process or over HTTP);
//! - [`payments`]: the mock payment provider and card tokens;
//! - [`email`]: email addresses;
//! - [`validation`]: the shape of a broken rule ([`Invalid`]);
//! - [`json_integer`]: JSON Schema's integers (`41.0` is 41) for integer fields of request bodies;
//! - [`objects`]: the object store (S3; LocalStack in the lab): pictures, exports;
//! - [`db`]: the pool, migrations (`app/core/migrations`), seed data, and
//!   a client span per statement;
//! - [`instruments`]: the shop's metric instruments;
//! - [`faults`]: the fault flags that inject failures and delays on purpose,
//!   to prove alarms fire (O-ALERT-04, docs/faults.md);
//! - [`time`]: how times are stored and shown.
//!
//! Room reserved for the domains still to come, each a module like the
//! ones above: `notifications` (the transactional outbox and its
//! consumers).

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod aws;
pub mod batch;
pub mod cart;
pub mod catalog;
pub mod db;
pub mod email;
pub mod events;
pub mod faults;
pub mod instruments;
pub mod inventory;
pub mod json_integer;
pub mod notifications;
pub mod objects;
pub mod orders;
pub mod payments;
pub mod resilience;
pub mod time;
pub mod validation;

pub use validation::Invalid;
