//! The Observability Shop Lab's shop: catalog, cart and checkout over an
//! HTTP API, instrumented once against `telemetry-api`. The database, the
//! metric instruments and time live in `shop_core` (`app/core`).
//!
//! Map of the crate:
//! - [`config`]: command-line flags and environment variables;
//! - [`telemetry`]: choosing the backend;
//! - [`startup`]: building the application (database, router) and serving it;
//! - [`http`]: one module per resource, the error type, the observing middleware;
//! - [`clients`]: instrumented calls to other services (split mode);
//! - [`payments`]: the mock payment provider.

pub mod clients;
pub mod config;
pub mod http;
pub mod payments;
pub mod startup;
pub mod telemetry;
