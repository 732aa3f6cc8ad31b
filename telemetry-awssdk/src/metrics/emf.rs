//! Metrics as Embedded Metric Format lines (`SHOP_CW_METRICS=emf`): one JSON
//! log line per dimension set and interval, sent through CloudWatch Logs
//! (a log shipper of its own, counted as metrics), which CloudWatch turns
//! into metrics. The `_aws.CloudWatchMetrics` block names the namespace,
//! the dimensions and each metric's unit; the values sit beside it, a
//! histogram's as its samples (at most 100 per line, continuation lines
//! beyond).

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Map, Value as Json, json};
use telemetry_api::export::SignalCounters;
use telemetry_api::semconv;

use super::{Agg, Dims, MAX_EMF_VALUES, Point, Worker, standard_unit};
use crate::logs::LogItem;

impl Worker {
    /// EMF: one line per dimension set (all metrics sharing it), plus
    /// continuation lines while a histogram has more than 100 samples.
    pub(super) fn write_emf(&mut self, points: Vec<Point>, now: SystemTime) {
        let Some(emf) = &self.emf else {
            SignalCounters::add(
                &self.counters.dropped,
                points.iter().map(|p| p.series.measurements).sum(),
            );
            self.drops.failed();
            return;
        };
        // Handed to the shipper: delivered as far as this worker can know (super::dropped).
        self.drops.delivered();
        let ts = crate::logs::millis(now);
        let mut groups: BTreeMap<Dims, Vec<Point>> = BTreeMap::new();
        for p in points {
            groups.entry(p.dims.clone()).or_default().push(p);
        }
        for (dims, points) in groups {
            let mut remaining: Vec<(&Point, Vec<f64>)> = Vec::new();
            let mut line_points: Vec<(&Point, Json)> = Vec::new();
            let mut count = 0;
            for p in &points {
                count += p.series.measurements;
                match &p.series.agg {
                    Agg::Sum(s) => line_points.push((p, json!(s))),
                    Agg::Last(v) => line_points.push((p, json!(v))),
                    Agg::Hist { samples, .. } => {
                        let (first, more) = samples.split_at(samples.len().min(MAX_EMF_VALUES));
                        line_points.push((p, json!(first)));
                        if !more.is_empty() {
                            remaining.push((p, more.to_vec()));
                        }
                    }
                }
            }
            emf.send(LogItem::Line {
                timestamp_ms: ts,
                line: self.emf_line(ts, &dims, &line_points),
                count,
            });
            // Continuation lines: the same dimensions, only the histograms.
            while !remaining.is_empty() {
                let mut next = Vec::new();
                let mut lp = Vec::new();
                for (p, samples) in remaining {
                    let (first, more) = samples.split_at(samples.len().min(MAX_EMF_VALUES));
                    lp.push((p, json!(first)));
                    if !more.is_empty() {
                        next.push((p, more.to_vec()));
                    }
                }
                emf.send(LogItem::Line {
                    timestamp_ms: ts,
                    line: self.emf_line(ts, &dims, &lp),
                    count: 0,
                });
                remaining = next;
            }
        }
    }

    fn emf_line(&self, ts: i64, dims: &Dims, points: &[(&Point, Json)]) -> String {
        let mut dim_names: Vec<&str> = vec![semconv::SERVICE_NAME];
        dim_names.extend(dims.iter().map(|(k, _)| *k));
        let metrics: Vec<Json> = points
            .iter()
            .map(|(p, _)| {
                let mut m = Map::new();
                m.insert("Name".into(), json!(p.name));
                m.insert("Unit".into(), json!(standard_unit(p.unit).as_str()));
                if self.config.high_resolution {
                    m.insert("StorageResolution".into(), json!(1));
                }
                Json::Object(m)
            })
            .collect();
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": ts,
                "CloudWatchMetrics": [{
                    "Namespace": self.config.namespace,
                    "Dimensions": [dim_names],
                    "Metrics": metrics,
                }],
            }),
        );
        line.insert(semconv::SERVICE_NAME.into(), json!(self.config.service));
        for (k, v) in dims {
            line.insert((*k).into(), json!(v));
        }
        for (p, v) in points {
            line.insert(p.name.into(), v.clone());
            let _ = p.kind;
        }
        Json::Object(line).to_string()
    }
}
