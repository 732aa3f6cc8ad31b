//! CloudWatch Embedded Metric Format (EMF), written by hand: one JSON line
//! per invocation on stdout, which Lambda sends to CloudWatch Logs, where
//! CloudWatch extracts the metrics (LocalStack does not: docs/lab.md).
//!
//! There is no maintained EMF crate for Rust (the AWS-published EMF
//! libraries are for Node.js, Python, Java, .NET and Go), and the format is
//! small: a `_aws` member declaring which members are metrics and which are
//! dimensions, then the members themselves. Every other member is a
//! *property*: kept in the log line, searchable with Logs Insights, not a
//! metric. Reference: the "Specification: Embedded metric format" page of
//! the CloudWatch user guide.
//!
//! ```json
//! {"_aws":{"Timestamp":1764684000000,"CloudWatchMetrics":[{"Namespace":"ShopLab/Functions",
//!   "Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Duration","Unit":"Milliseconds"},…]}]},
//!  "FunctionName":"image-resize","Duration":41.7,"ColdStart":1,"ItemsProcessed":1,"FlushDuration":3.2,
//!  "MaxMemoryUsed":38.4,"MemoryUsed":37.9,
//!  "request_id":"…","trace_id":"1-…","outcome":"success","telemetry":"awssdk"}
//! ```

use std::time::SystemTime;

use serde_json::{Map, Value, json};

/// The namespace when `SHOP_FUNCTIONS_EMF_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "ShopLab/Functions";

/// One EMF record: metrics with their units, dimensions, properties.
#[derive(Debug, Clone)]
pub struct Record {
    namespace: String,
    timestamp: SystemTime,
    dimensions: Vec<(String, String)>,
    metrics: Vec<(String, &'static str, f64)>,
    properties: Map<String, Value>,
}

impl Record {
    pub fn new(namespace: impl Into<String>) -> Record {
        Record {
            namespace: namespace.into(),
            timestamp: SystemTime::now(),
            dimensions: Vec::new(),
            metrics: Vec::new(),
            properties: Map::new(),
        }
    }

    /// A dimension (all dimensions form one dimension set).
    pub fn dimension(mut self, name: &str, value: &str) -> Record {
        self.dimensions.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A metric value with its CloudWatch unit (`Milliseconds`, `Count`,
    /// `Megabytes`, …: one of CloudWatch's `StandardUnit` names, spelt as the
    /// API spells them, or CloudWatch rejects the line's metrics).
    pub fn metric(mut self, name: &str, unit: &'static str, value: f64) -> Record {
        self.metrics.push((name.to_owned(), unit, value));
        self
    }

    /// A property: kept in the line, not a metric.
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Record {
        self.properties.insert(name.to_owned(), value.into());
        self
    }

    /// The record as one line of JSON (no newline).
    pub fn to_line(&self) -> String {
        let millis = self
            .timestamp
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut root = Map::new();
        root.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": millis,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [self.dimensions.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()],
                    "Metrics": self.metrics.iter()
                        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
                        .collect::<Vec<_>>(),
                }],
            }),
        );
        for (k, v) in &self.dimensions {
            root.insert(k.clone(), Value::String(v.clone()));
        }
        for (name, _, value) in &self.metrics {
            root.insert(
                name.clone(),
                serde_json::Number::from_f64(*value).map_or(Value::Null, Value::Number),
            );
        }
        for (k, v) in &self.properties {
            root.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(root).to_string()
    }

    /// Writes the line to stdout (where Lambda collects a function's logs).
    pub fn print(&self) {
        use std::io::Write;
        let mut line = self.to_line();
        line.push('\n');
        // One write under stdout's lock: the line is never split by the
        // log writer's lines.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_declares_its_metrics_and_dimensions_and_carries_the_values() {
        let line = Record::new("NS")
            .dimension("FunctionName", "image-resize")
            .metric("Duration", "Milliseconds", 12.5)
            .metric("ColdStart", "Count", 1.0)
            .property("request_id", "abc")
            .property("FunctionName", "not this one")
            .to_line();
        let v: Value = serde_json::from_str(&line).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "NS");
        assert_eq!(cw["Dimensions"], json!([["FunctionName"]]));
        assert_eq!(
            cw["Metrics"],
            json!([{"Name": "Duration", "Unit": "Milliseconds"}, {"Name": "ColdStart", "Unit": "Count"}])
        );
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!(v["FunctionName"], "image-resize");
        assert_eq!(v["Duration"], 12.5);
        assert_eq!(v["ColdStart"], 1.0);
        assert_eq!(v["request_id"], "abc");
        assert!(!line.contains('\n'));
    }
}
