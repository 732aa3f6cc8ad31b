//! CloudWatch: metrics (`PutMetricData` or EMF) and logs (`PutLogEvents`).

pub mod logs;
pub mod metrics;
