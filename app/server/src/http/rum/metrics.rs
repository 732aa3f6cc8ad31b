//! Browser metrics (OTLP) → the shop's own instruments.
//!
//! The intake keeps a fixed list of browser metrics ([`METRICS`]): the Web
//! Vitals, page views and time on page, errors, clicks on named elements,
//! cart changes, the purchase funnel and component render times. Each has
//! a shape (histogram or counter) and a few dimensions, each a closed list
//! ([`super::routes`], [`super::catalogue`]). Anything else is refused:
//! another metric name or an unknown dimension value is a rejected point
//! (OTLP's `partialSuccess`), a wrong shape or temporality a 400.
//!
//! Everything arrives as *delta*: each export carries what the page
//! measured since its previous one, so a page that goes away loses nothing
//! it already sent, and recording each point once adds the pages up.
//! Cumulative points are refused: recording them again at every export
//! would count a page view many times.
//!
//! A histogram point carrying several values (`count > 1`) is recorded as
//! its mean, `count` times: exact for the usual single value (one Web Vital
//! per page view), and the sum and count stay right either way. A counter
//! point is added as it is.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue as OtlpKeyValue;
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, metric, number_data_point};
use telemetry_api::metrics::{Counter, Histogram, Meter, Unit};
use telemetry_api::{KeyValue, Resource, Value};

use super::catalogue::{self as c};
use super::{Converted, MAX_ITEMS, Window, invalid};
use crate::http::error::ApiError;

/// Most values one histogram point may stand for.
const MAX_COUNT: u64 = 64;
/// The most one counter point may add (a page's clicks in one export interval).
const MAX_ADD: u64 = 1000;

/// Bucket boundaries for the millisecond vitals around Google's thresholds
/// (LCP 2.5 s / 4 s, INP 200 / 500 ms, FCP 1.8 / 3 s, TTFB 0.8 / 1.8 s).
const MS_BOUNDARIES: &[f64] = &[
    50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1000.0, 1800.0, 2500.0, 3000.0, 4000.0, 6000.0,
    10000.0,
];
/// For CLS (good ≤ 0.1, poor > 0.25).
const CLS_BOUNDARIES: &[f64] = &[0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0];
/// Time on a page: from a glance to a long read.
const DWELL_BOUNDARIES: &[f64] = &[
    1000.0, 3000.0, 10000.0, 30000.0, 60000.0, 120000.0, 300000.0, 600000.0, 1800000.0,
];
/// Next.js's hydration and route changes.
const NEXT_BOUNDARIES: &[f64] = &[10.0, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0];
/// An API call, in the browser and in the shop.
const API_BOUNDARIES: &[f64] = &[
    5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
];
/// A back-office task: seconds to minutes.
const TASK_BOUNDARIES: &[f64] = &[
    1000.0, 3000.0, 10000.0, 30000.0, 60000.0, 120000.0, 300000.0, 600000.0,
];
/// A picture upload, with its processing.
const UPLOAD_BOUNDARIES: &[f64] = &[
    250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 15000.0, 30000.0, 60000.0, 120000.0,
];
/// An upload's speed (bytes a second): 64 KiB/s to 64 MiB/s.
const THROUGHPUT_BOUNDARIES: &[f64] = &[
    65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0,
];
/// From an event in the shop to its notification on an admin's screen: the long poll's wait is
/// at most 25 s, a function's run can add minutes.
const NOTIFICATION_BOUNDARIES: &[f64] = &[
    100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 30000.0, 60000.0, 300000.0,
];
/// A component's render: a frame is 16 ms; 50 ms is a long task.
const RENDER_BOUNDARIES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 33.0, 50.0, 100.0, 250.0, 500.0];

/// The values a dimension keeps.
#[derive(Clone, Copy)]
enum Values {
    /// One of the UI's pages; anything else (or nothing) is `other`.
    Route,
    /// One of a closed list; anything else rejects the point.
    OneOf(&'static [&'static str]),
}

#[derive(Clone, Copy)]
enum Shape {
    /// A histogram with these bucket boundaries, and the largest believable value.
    Histogram {
        boundaries: &'static [f64],
        max: f64,
    },
    /// A monotonic counter.
    Counter,
}

/// One browser metric the shop keeps.
pub struct BrowserMetric {
    pub name: &'static str,
    unit: Unit,
    description: &'static str,
    shape: Shape,
    /// Its dimensions: each point must carry every one.
    dimensions: &'static [(&'static str, Values)],
}

const RATINGS: &[&str] = &["good", "needs-improvement", "poor"];
const VITAL_DIMENSIONS: &[(&str, Values)] = &[
    ("page.route", Values::Route),
    ("web_vital.rating", Values::OneOf(RATINGS)),
];
const ROUTE_ONLY: &[(&str, Values)] = &[("page.route", Values::Route)];

const fn vital(name: &'static str, description: &'static str) -> BrowserMetric {
    BrowserMetric {
        name,
        unit: Unit::MILLISECONDS,
        description,
        shape: Shape::Histogram {
            boundaries: MS_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: VITAL_DIMENSIONS,
    }
}

/// Every browser metric the intake keeps (docs/rum.md lists them for learners).
pub const METRICS: &[BrowserMetric] = &[
    vital(
        "browser.web_vital.lcp",
        "Largest Contentful Paint: when the page's main content was drawn",
    ),
    vital(
        "browser.web_vital.inp",
        "Interaction to Next Paint: the slowest response to a click or key",
    ),
    BrowserMetric {
        name: "browser.web_vital.cls",
        unit: Unit::DIMENSIONLESS,
        description: "Cumulative Layout Shift: how much the page moved while it loaded",
        shape: Shape::Histogram {
            boundaries: CLS_BOUNDARIES,
            max: 100.0,
        },
        dimensions: VITAL_DIMENSIONS,
    },
    vital(
        "browser.web_vital.fcp",
        "First Contentful Paint: when anything was first drawn",
    ),
    vital(
        "browser.web_vital.ttfb",
        "Time to First Byte: when the page's first byte arrived",
    ),
    BrowserMetric {
        name: "browser.page.views",
        unit: Unit::count("{view}"),
        description: "Pages shown in the browser (a load or a client-side route change), by route",
        shape: Shape::Counter,
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.page.dwell_time",
        unit: Unit::MILLISECONDS,
        description: "How long a page stayed on screen before the shopper moved on or left, by route",
        shape: Shape::Histogram {
            boundaries: DWELL_BOUNDARIES,
            max: 86_400_000.0,
        },
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.errors",
        unit: Unit::count("{error}"),
        description: "JS errors and unhandled rejections in the browser, by route and where they were caught",
        shape: Shape::Counter,
        dimensions: &[
            ("page.route", Values::Route),
            ("error.source", Values::OneOf(c::ERROR_SOURCES)),
        ],
    },
    BrowserMetric {
        name: "browser.interactions",
        unit: Unit::count("{click}"),
        description: "Clicks on the UI's named elements, by element",
        shape: Shape::Counter,
        dimensions: &[("ui.element.name", Values::OneOf(c::ELEMENTS))],
    },
    BrowserMetric {
        name: "browser.cart.actions",
        unit: Unit::count("{action}"),
        description: "Cart changes the shopper made in the browser, by action and outcome",
        shape: Shape::Counter,
        dimensions: &[
            ("cart.action", Values::OneOf(c::CART_ACTIONS)),
            ("outcome", Values::OneOf(c::OUTCOMES)),
        ],
    },
    BrowserMetric {
        name: "browser.funnel.steps",
        unit: Unit::count("{step}"),
        description: "Purchase-funnel steps reached in the browser, by step",
        shape: Shape::Counter,
        dimensions: &[("funnel.step", Values::OneOf(c::FUNNEL_STEPS))],
    },
    BrowserMetric {
        name: "browser.render.duration",
        unit: Unit::MILLISECONDS,
        description: "From a component's first render to its commit to the page, by component",
        shape: Shape::Histogram {
            boundaries: RENDER_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: &[("ui.component", Values::OneOf(c::COMPONENTS))],
    },
    BrowserMetric {
        name: "browser.next.hydration",
        unit: Unit::MILLISECONDS,
        description: "Next.js: from before the app hydrates to its first commit, by landing route",
        shape: Shape::Histogram {
            boundaries: NEXT_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.next.route_change_to_render",
        unit: Unit::MILLISECONDS,
        description: "Next.js: from a client-side navigation's start to the commit of the new route, by route",
        shape: Shape::Histogram {
            boundaries: NEXT_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.api.duration",
        unit: Unit::MILLISECONDS,
        description: "The shop's API calls as the page saw them (to the response's headers), by the page's route",
        shape: Shape::Histogram {
            boundaries: API_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.api.server_duration",
        unit: Unit::MILLISECONDS,
        description: "The same calls' time in the shop (its Server-Timing header), by the page's route",
        shape: Shape::Histogram {
            boundaries: API_BOUNDARIES,
            max: 600_000.0,
        },
        dimensions: ROUTE_ONLY,
    },
    BrowserMetric {
        name: "browser.admin.tasks",
        unit: Unit::count("{task}"),
        description: "Back-office tasks (a form's job) completed or abandoned, by task",
        shape: Shape::Counter,
        dimensions: &[
            ("admin.task", Values::OneOf(c::ADMIN_TASKS)),
            ("admin.task.outcome", Values::OneOf(c::TASK_OUTCOMES)),
        ],
    },
    BrowserMetric {
        name: "browser.admin.task.duration",
        unit: Unit::MILLISECONDS,
        description: "How long a completed back-office task took, from the form's first focus, by task",
        shape: Shape::Histogram {
            boundaries: TASK_BOUNDARIES,
            max: 86_400_000.0,
        },
        dimensions: &[("admin.task", Values::OneOf(c::ADMIN_TASKS))],
    },
    BrowserMetric {
        name: "browser.admin.task.refusals",
        unit: Unit::count("{refusal}"),
        description: "Submissions of a back-office form that were refused, by task",
        shape: Shape::Counter,
        dimensions: &[("admin.task", Values::OneOf(c::ADMIN_TASKS))],
    },
    BrowserMetric {
        name: "browser.uploads",
        unit: Unit::count("{upload}"),
        description: "Picture uploads from the back office, by outcome",
        shape: Shape::Counter,
        dimensions: &[("outcome", Values::OneOf(c::OUTCOMES))],
    },
    BrowserMetric {
        name: "browser.upload.duration",
        unit: Unit::MILLISECONDS,
        description: "A picture upload from its start to the shop's answer and its processing, by outcome",
        shape: Shape::Histogram {
            boundaries: UPLOAD_BOUNDARIES,
            max: 3_600_000.0,
        },
        dimensions: &[("outcome", Values::OneOf(c::OUTCOMES))],
    },
    BrowserMetric {
        name: "browser.upload.throughput",
        unit: Unit("By/s"),
        description: "A successful picture upload's transfer speed",
        shape: Shape::Histogram {
            boundaries: THROUGHPUT_BOUNDARIES,
            max: 1.0e10,
        },
        dimensions: &[],
    },
    BrowserMetric {
        name: "browser.notification.delay",
        unit: Unit::MILLISECONDS,
        description: "From an event in the shop (an order, low stock, a function's result) to its notification in the back office, by type",
        shape: Shape::Histogram {
            boundaries: NOTIFICATION_BOUNDARIES,
            max: 86_400_000.0,
        },
        dimensions: &[("notification.type", Values::OneOf(c::NOTIFICATION_TYPES))],
    },
];

/// Per release (F-DEPLOY-02): each Web Vital is recorded a second time, into a histogram of the
/// same unit and buckets named here, with one attribute: `service.version`, the release whose
/// pages were measured (the intake takes records only from pages of its own release:
/// `check_producer`). That is five series per release, enough to set a release's p75 beside the
/// one before it; the per-page histograms by release would be thirty times as many (page ×
/// rating × release), each a CloudWatch metric billed by the month (docs/rum.md).
pub const RELEASE_VITALS: &[(&str, &str)] = &[
    ("browser.web_vital.lcp", "browser.release.web_vital.lcp"),
    ("browser.web_vital.inp", "browser.release.web_vital.inp"),
    ("browser.web_vital.cls", "browser.release.web_vital.cls"),
    ("browser.web_vital.fcp", "browser.release.web_vital.fcp"),
    ("browser.web_vital.ttfb", "browser.release.web_vital.ttfb"),
];

enum Instrument {
    Histogram(Histogram),
    Counter(Counter),
}

/// The shop's instruments for [`METRICS`], made once.
#[derive(Clone)]
pub struct Instruments(Arc<Inner>);

struct Inner {
    /// One per [`METRICS`] entry, in its order.
    metrics: Vec<Instrument>,
    /// Per [`METRICS`] entry: its per-release histogram ([`RELEASE_VITALS`]), if it has one.
    releases: Vec<Option<Histogram>>,
    /// The per-release histograms' one attribute.
    release: [KeyValue; 1],
}

impl Instruments {
    /// The instruments on `meter`; `service_version` names the release the per-release
    /// histograms record.
    pub fn new(meter: &Meter, service_version: &str) -> Instruments {
        let metrics = METRICS
            .iter()
            .map(|m| match m.shape {
                Shape::Histogram { boundaries, .. } => Instrument::Histogram(meter.histogram(
                    m.name,
                    m.unit,
                    m.description,
                    Some(boundaries),
                )),
                Shape::Counter => Instrument::Counter(meter.counter(m.name, m.unit, m.description)),
            })
            .collect();
        let releases = METRICS
            .iter()
            .map(|m| {
                let &(_, name) = RELEASE_VITALS.iter().find(|(v, _)| *v == m.name)?;
                let Shape::Histogram { boundaries, .. } = m.shape else {
                    return None;
                };
                Some(meter.histogram(
                    name,
                    m.unit,
                    "A Web Vital by release alone: the page's release (service.version)",
                    Some(boundaries),
                ))
            })
            .collect();
        Instruments(Arc::new(Inner {
            metrics,
            releases,
            release: [KeyValue::new(
                telemetry_api::semconv::SERVICE_VERSION,
                service_version.to_owned(),
            )],
        }))
    }
}

/// One checked data point, ready to record.
pub struct Measurement {
    metric: usize,
    value: f64,
    count: u64,
    attributes: Vec<KeyValue>,
}

impl Measurement {
    pub fn record(&self, instruments: &Instruments) {
        let inner = &instruments.0;
        match &inner.metrics[self.metric] {
            Instrument::Histogram(h) => {
                for _ in 0..self.count {
                    h.record(self.value, &self.attributes);
                }
            }
            Instrument::Counter(c) => c.add(self.value as u64, &self.attributes),
        }
        if let Some(h) = &inner.releases[self.metric] {
            for _ in 0..self.count {
                h.record(self.value, &inner.release);
            }
        }
    }
}

/// A point as read from OTLP: (value, count, time, attributes).
type Point<'a> = (f64, u64, u64, &'a [OtlpKeyValue]);

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
                let Some(index) = METRICS.iter().position(|b| b.name == m.name) else {
                    out.reject(format!(
                        "{at}: {:?} is not a browser metric the intake keeps",
                        m.name
                    ));
                    continue;
                };
                let values = read_points(&METRICS[index], &m.data, &at)?;
                points += values.len();
                if points > MAX_ITEMS {
                    return Err(invalid(
                        "resourceMetrics",
                        format!("over {MAX_ITEMS} data points in one request"),
                    ));
                }
                for (n, point) in values.into_iter().enumerate() {
                    match measurement(index, point, window) {
                        Ok(Some(m)) => out.items.push(m),
                        Ok(None) => {}
                        Err(reason) => out.reject(format!("{at}.dataPoints[{n}]: {reason}")),
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The points of a metric whose data has the shape its catalogue entry says.
fn read_points<'a>(
    metric: &BrowserMetric,
    data: &'a Option<metric::Data>,
    at: &str,
) -> Result<Vec<Point<'a>>, ApiError> {
    let delta = |temporality: i32, field: &str| {
        if temporality == AggregationTemporality::Delta as i32 {
            Ok(())
        } else {
            Err(invalid(
                &format!("{at}.{field}.aggregationTemporality"),
                "must be DELTA (1): each page's measurements are sent once",
            ))
        }
    };
    match (metric.shape, data) {
        (Shape::Histogram { .. }, Some(metric::Data::Histogram(h))) => {
            delta(h.aggregation_temporality, "histogram")?;
            Ok(h.data_points
                .iter()
                .filter(|p| p.count > 0)
                .map(|p| {
                    let mean = p.sum.unwrap_or(f64::NAN) / p.count as f64;
                    (mean, p.count, p.time_unix_nano, &p.attributes[..])
                })
                .collect())
        }
        // A gauge of single values is a histogram's input too (an SDK that reports a vital as a gauge).
        (Shape::Histogram { .. }, Some(metric::Data::Gauge(g))) => Ok(g
            .data_points
            .iter()
            .map(|p| (number(&p.value), 1, p.time_unix_nano, &p.attributes[..]))
            .collect()),
        (Shape::Counter, Some(metric::Data::Sum(s))) => {
            delta(s.aggregation_temporality, "sum")?;
            if !s.is_monotonic {
                return Err(invalid(
                    &format!("{at}.sum.isMonotonic"),
                    "must be true: a count only goes up",
                ));
            }
            Ok(s.data_points
                .iter()
                .map(|p| (number(&p.value), 1, p.time_unix_nano, &p.attributes[..]))
                .collect())
        }
        (Shape::Histogram { .. }, _) => Err(invalid(
            at,
            format!("{} must be a histogram (or a gauge)", metric.name),
        )),
        (Shape::Counter, _) => Err(invalid(
            at,
            format!("{} must be a sum (a counter)", metric.name),
        )),
    }
}

fn number(value: &Option<number_data_point::Value>) -> f64 {
    match value {
        Some(number_data_point::Value::AsDouble(d)) => *d,
        Some(number_data_point::Value::AsInt(i)) => *i as f64,
        None => f64::NAN,
    }
}

/// A checked point; `None` for a counter point that adds nothing.
fn measurement(
    index: usize,
    (value, count, nanos, attributes): Point<'_>,
    window: &Window,
) -> Result<Option<Measurement>, String> {
    let metric = &METRICS[index];
    match metric.shape {
        Shape::Histogram { max, .. } => {
            if !(0.0..=max).contains(&value) {
                return Err(format!("value {value} is out of range"));
            }
            if count > MAX_COUNT {
                return Err(format!("count {count} is over {MAX_COUNT}"));
            }
        }
        Shape::Counter => {
            if !(0.0..=MAX_ADD as f64).contains(&value) || value.fract() != 0.0 {
                return Err(format!(
                    "value {value} is not a whole number from 0 to {MAX_ADD}"
                ));
            }
            if value == 0.0 {
                return Ok(None);
            }
        }
    }
    if nanos != 0 {
        window.check(super::time(nanos))?;
    }
    let mut kept = Vec::with_capacity(metric.dimensions.len());
    for (key, values) in metric.dimensions {
        let sent = super::attributes::string(attributes, key);
        let value = match values {
            Values::Route => super::routes::bounded(sent.unwrap_or_default()),
            Values::OneOf(list) => sent.and_then(|s| c::find(list, s)).ok_or_else(|| {
                format!(
                    "{key} must be one of {list:?} (got {:?})",
                    sent.unwrap_or_default()
                )
            })?,
        };
        kept.push(KeyValue {
            key,
            value: Value::from(value),
        });
    }
    Ok(Some(Measurement {
        metric: index,
        value,
        count,
        attributes: kept,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_unique_name_and_bounded_dimensions() {
        let mut names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
        for m in METRICS {
            assert!(m.name.starts_with("browser."), "{}", m.name);
            assert!(m.dimensions.len() <= 2, "{}", m.name);
            // The series a metric can have: the product of its dimensions' values.
            let series: usize = m
                .dimensions
                .iter()
                .map(|(_, v)| match v {
                    Values::Route => super::super::routes::ROUTES.len() + 1,
                    Values::OneOf(list) => list.len(),
                })
                .product();
            assert!(series <= 200, "{}: {series} series", m.name);
        }
    }

    #[test]
    fn every_web_vital_and_only_they_have_a_histogram_by_release() {
        let vitals: Vec<&str> = METRICS
            .iter()
            .map(|m| m.name)
            .filter(|n| n.starts_with("browser.web_vital."))
            .collect();
        assert_eq!(
            RELEASE_VITALS.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            vitals
        );
        for (vital, by_release) in RELEASE_VITALS {
            assert_eq!(
                by_release.strip_prefix("browser.release."),
                vital.strip_prefix("browser."),
                "{by_release}"
            );
            assert!(
                METRICS.iter().all(|m| m.name != *by_release),
                "{by_release} is derived, never sent by the browser"
            );
        }
    }
}
