//! The Observability Shop Lab's shop: catalog, cart and checkout over an
//! HTTP API, instrumented once against `telemetry-api`.
//!
//! Map of the crate:
//! - [`config`]: command-line flags and environment variables;
//! - [`telemetry`]: choosing the backend, and the shop's metric instruments;
//! - [`startup`]: building the application (database, router) and serving it;
//! - [`db`]: the pool, migrations, seed data, and database spans;
//! - [`http`]: one module per resource, the error type, the observing middleware;
//! - [`clients`]: instrumented calls to other services (split mode);
//! - [`payments`]: the mock payment provider.

pub mod clients;
pub mod config;
pub mod db;
pub mod http;
pub mod payments;
pub mod startup;
pub mod telemetry;
pub mod time;
