//! Browser metrics (OTLP) → the shop's Web Vitals histograms.
//!
//! The browser measures each Web Vital once per page view (`web-vitals`)
//! and sends it as a *delta* histogram point. The intake records each
//! point's value into a contract histogram of the same name, with two
//! bounded dimensions: the page's route ([`super::routes`]) and the vital's
//! rating. A point carrying several values (`count > 1`) is recorded as its
//! mean, `count` times: exact for the usual single value, and the sum and
//! count stay right either way. Cumulative points are refused: recording
//! them again at every export would count a page view many times.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue as OtlpKeyValue;
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, metric, number_data_point};
use telemetry_api::metrics::{Histogram, Meter, Unit};
use telemetry_api::{KeyValue, Resource, Value};

use super::{Converted, MAX_ITEMS, Window, invalid};
use crate::http::error::ApiError;

/// Most values one histogram point may stand for.
const MAX_COUNT: u64 = 32;

/// One Web Vital: its metric name, unit, and the largest believable value.
struct Vital {
    name: &'static str,
    unit: Unit,
    max: f64,
    description: &'static str,
}

const VITALS: [Vital; 5] = [
    Vital {
        name: "browser.web_vital.lcp",
        unit: Unit::MILLISECONDS,
        max: 600_000.0,
        description: "Largest Contentful Paint: when the page's main content was drawn",
    },
    Vital {
        name: "browser.web_vital.inp",
        unit: Unit::MILLISECONDS,
        max: 600_000.0,
        description: "Interaction to Next Paint: the slowest response to a click or key",
    },
    Vital {
        name: "browser.web_vital.cls",
        unit: Unit::DIMENSIONLESS,
        max: 100.0,
        description: "Cumulative Layout Shift: how much the page moved while it loaded",
    },
    Vital {
        name: "browser.web_vital.fcp",
        unit: Unit::MILLISECONDS,
        max: 600_000.0,
        description: "First Contentful Paint: when anything was first drawn",
    },
    Vital {
        name: "browser.web_vital.ttfb",
        unit: Unit::MILLISECONDS,
        max: 600_000.0,
        description: "Time to First Byte: when the page's first byte arrived",
    },
];

/// Bucket boundaries for the millisecond vitals around Google's thresholds
/// (LCP 2.5 s / 4 s, INP 200 / 500 ms, FCP 1.8 / 3 s, TTFB 0.8 / 1.8 s).
const MS_BOUNDARIES: &[f64] = &[
    50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1000.0, 1800.0, 2500.0, 3000.0, 4000.0, 6000.0,
    10000.0,
];
/// For CLS (good ≤ 0.1, poor > 0.25).
const CLS_BOUNDARIES: &[f64] = &[0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0];

/// The ratings `web-vitals` gives.
const RATINGS: [&str; 3] = ["good", "needs-improvement", "poor"];

/// The histograms, made once.
#[derive(Clone)]
pub struct Vitals {
    histograms: Vec<Histogram>,
}

impl Vitals {
    pub fn new(meter: &Meter) -> Vitals {
        Vitals {
            histograms: VITALS
                .iter()
                .map(|v| {
                    let boundaries = if v.unit == Unit::DIMENSIONLESS {
                        CLS_BOUNDARIES
                    } else {
                        MS_BOUNDARIES
                    };
                    meter.histogram(v.name, v.unit, v.description, Some(boundaries))
                })
                .collect(),
        }
    }
}

/// One checked measurement, ready to record.
pub struct Measurement {
    vital: usize,
    value: f64,
    count: u64,
    attributes: [KeyValue; 2],
}

impl Measurement {
    pub fn record(&self, vitals: &Vitals) {
        for _ in 0..self.count {
            vitals.histograms[self.vital].record(self.value, &self.attributes);
        }
    }
}

/// Converts and checks a metrics export request.
pub fn convert(
    request: ExportMetricsServiceRequest,
    producer: &Arc<Resource>,
    window: &Window,
) -> Result<Converted<Measurement>, ApiError> {
    let mut out = Converted::default();
    let mut points = 0usize;
    for (i, rm) in request.resource_metrics.into_iter().enumerate() {
        super::check_producer(
            rm.resource.as_ref(),
            producer,
            &format!("resourceMetrics[{i}].resource"),
        )?;
        for (j, sm) in rm.scope_metrics.into_iter().enumerate() {
            for (k, m) in sm.metrics.into_iter().enumerate() {
                let at = format!("resourceMetrics[{i}].scopeMetrics[{j}].metrics[{k}]");
                let Some(vital) = VITALS.iter().position(|v| v.name == m.name) else {
                    out.reject(format!(
                        "{at}: {:?} is not a Web Vital the intake keeps",
                        m.name
                    ));
                    continue;
                };
                // (value, count, time, attributes) of each point.
                let values: Vec<(f64, u64, u64, &[OtlpKeyValue])> = match &m.data {
                    Some(metric::Data::Histogram(h)) => {
                        if h.aggregation_temporality != AggregationTemporality::Delta as i32 {
                            return Err(invalid(
                                &format!("{at}.histogram.aggregationTemporality"),
                                "must be DELTA (1): each page view is sent once",
                            ));
                        }
                        h.data_points
                            .iter()
                            .filter(|p| p.count > 0)
                            .map(|p| {
                                let mean = p.sum.unwrap_or(f64::NAN) / p.count as f64;
                                (mean, p.count, p.time_unix_nano, &p.attributes[..])
                            })
                            .collect()
                    }
                    Some(metric::Data::Gauge(g)) => g
                        .data_points
                        .iter()
                        .map(|p| {
                            let v = match p.value {
                                Some(number_data_point::Value::AsDouble(d)) => d,
                                Some(number_data_point::Value::AsInt(i)) => i as f64,
                                None => f64::NAN,
                            };
                            (v, 1, p.time_unix_nano, &p.attributes[..])
                        })
                        .collect(),
                    _ => {
                        return Err(invalid(&at, "a Web Vital must be a histogram (or a gauge)"));
                    }
                };
                points += values.len();
                if points > MAX_ITEMS {
                    return Err(invalid(
                        "resourceMetrics",
                        format!("over {MAX_ITEMS} data points in one request"),
                    ));
                }
                for (n, (value, count, nanos, attributes)) in values.into_iter().enumerate() {
                    let at = format!("{at}.dataPoints[{n}]");
                    match measurement(vital, value, count, nanos, attributes, window) {
                        Ok(m) => out.items.push(m),
                        Err(reason) => out.reject(format!("{at}: {reason}")),
                    }
                }
            }
        }
    }
    Ok(out)
}

fn measurement(
    vital: usize,
    value: f64,
    count: u64,
    nanos: u64,
    attributes: &[OtlpKeyValue],
    window: &Window,
) -> Result<Measurement, String> {
    if !(0.0..=VITALS[vital].max).contains(&value) {
        return Err(format!("value {value} is out of range"));
    }
    if count > MAX_COUNT {
        return Err(format!("count {count} is over {MAX_COUNT}"));
    }
    if nanos != 0 {
        window.check(super::time(nanos))?;
    }
    let route = super::attributes::string(attributes, "page.route").unwrap_or_default();
    let rating = super::attributes::string(attributes, "web_vital.rating")
        .and_then(|r| RATINGS.iter().copied().find(|x| *x == r))
        .ok_or("web_vital.rating must be good, needs-improvement or poor")?;
    Ok(Measurement {
        vital,
        value,
        count,
        attributes: [
            KeyValue {
                key: "page.route",
                value: Value::from(super::routes::bounded(route)),
            },
            KeyValue {
                key: "web_vital.rating",
                value: Value::from(rating),
            },
        ],
    })
}
