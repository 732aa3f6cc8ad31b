//! The shop's domain core (being extracted from the HTTP server): the
//! database, the metric instruments, time.

pub mod db;
pub mod instruments;
pub mod time;
pub mod validation;

pub use validation::Invalid;
