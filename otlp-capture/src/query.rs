//! Flattened views of the captured OTLP data, and small helpers for
//! attributes and ids, so assertions read like the data model.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;

/// A span with the resource attributes and scope name it came with.
#[derive(Clone, Debug)]
pub struct FlatSpan {
    pub resource: Vec<KeyValue>,
    pub scope: String,
    pub span: Span,
}

/// A log record with its resource attributes and scope name.
#[derive(Clone, Debug)]
pub struct FlatLog {
    pub resource: Vec<KeyValue>,
    pub scope: String,
    pub record: LogRecord,
}

/// A metric (as of one export) with its resource attributes and scope name.
#[derive(Clone, Debug)]
pub struct FlatMetric {
    pub resource: Vec<KeyValue>,
    pub scope: String,
    pub metric: Metric,
}

pub(crate) fn flat_spans(reqs: &[ExportTraceServiceRequest]) -> Vec<FlatSpan> {
    let mut out = Vec::new();
    for rs in reqs.iter().flat_map(|r| &r.resource_spans) {
        let resource = rs
            .resource
            .as_ref()
            .map(|r| r.attributes.clone())
            .unwrap_or_default();
        for ss in &rs.scope_spans {
            let scope = ss
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for span in &ss.spans {
                out.push(FlatSpan {
                    resource: resource.clone(),
                    scope: scope.clone(),
                    span: span.clone(),
                });
            }
        }
    }
    out
}

pub(crate) fn flat_logs(reqs: &[ExportLogsServiceRequest]) -> Vec<FlatLog> {
    let mut out = Vec::new();
    for rl in reqs.iter().flat_map(|r| &r.resource_logs) {
        let resource = rl
            .resource
            .as_ref()
            .map(|r| r.attributes.clone())
            .unwrap_or_default();
        for sl in &rl.scope_logs {
            let scope = sl
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for record in &sl.log_records {
                out.push(FlatLog {
                    resource: resource.clone(),
                    scope: scope.clone(),
                    record: record.clone(),
                });
            }
        }
    }
    out
}

pub(crate) fn flat_metrics(reqs: &[ExportMetricsServiceRequest]) -> Vec<FlatMetric> {
    let mut out = Vec::new();
    for rm in reqs.iter().flat_map(|r| &r.resource_metrics) {
        let resource = rm
            .resource
            .as_ref()
            .map(|r| r.attributes.clone())
            .unwrap_or_default();
        for sm in &rm.scope_metrics {
            let scope = sm
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for metric in &sm.metrics {
                out.push(FlatMetric {
                    resource: resource.clone(),
                    scope: scope.clone(),
                    metric: metric.clone(),
                });
            }
        }
    }
    out
}

/// Lowercase hex of an id (`trace_id`, `span_id`, `parent_span_id`).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of attribute `key`.
pub fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

/// A string attribute.
pub fn attr_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attributes, key) {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

/// An integer attribute.
pub fn attr_i64(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attributes, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

impl FlatSpan {
    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }
    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }
    /// Empty for a root span.
    pub fn parent_span_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        attr_str(&self.span.attributes, key)
    }
    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        attr_i64(&self.span.attributes, key)
    }
    pub fn resource_str(&self, key: &str) -> Option<&str> {
        attr_str(&self.resource, key)
    }
}

impl FlatLog {
    pub fn trace_id(&self) -> String {
        hex(&self.record.trace_id)
    }
    pub fn span_id(&self) -> String {
        hex(&self.record.span_id)
    }
    /// The body, when it is a string.
    pub fn body(&self) -> Option<&str> {
        match self.record.body.as_ref().and_then(|b| b.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => Some(s),
            _ => None,
        }
    }
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        attr_str(&self.record.attributes, key)
    }
    pub fn resource_str(&self, key: &str) -> Option<&str> {
        attr_str(&self.resource, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0x0a, 0xf7, 0x00]), "0af700");
        assert_eq!(hex(&[]), "");
    }
}
