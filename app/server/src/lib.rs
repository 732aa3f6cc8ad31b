//! The Observability Shop Lab's shop server: the shop's HTTP API over
//! `shop_core` (`app/core`, the domains with their rules and data access),
//! instrumented once against `telemetry-api`.
//!
//! Map of the crate:
//! - [`config`]: command-line flags and environment variables;
//! - [`batch`]: the batch scheduler (`--batch-schedule`);
//! - [`startup`]: building the application (database, state, router) and
//!   serving it; [`startup::backend`] chooses and builds the telemetry
//!   backend (the one file that names one);
//! - [`telemetry`]: the resource, log filter and stdout logs around it;
//! - [`http`]: one module per resource with its routes and wire types, the
//!   one error type and the mapping of domain errors, the request timeout,
//!   the observing middleware, the lab endpoints.

pub mod batch;
pub mod config;
pub mod http;
pub mod resources;
pub mod startup;
pub mod telemetry;
