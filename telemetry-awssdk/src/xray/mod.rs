//! X-Ray: trace ids, the `X-Amzn-Trace-Id` header, sampling rules, segment
//! documents and their shipping.

pub mod exporter;
pub mod ids;
pub mod propagation;
pub mod sampling;
pub mod sampling_source;
pub mod segment;
