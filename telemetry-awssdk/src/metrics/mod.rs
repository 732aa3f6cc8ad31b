//! Metrics for CloudWatch: aggregated in the process per interval, then
//! sent with `PutMetricData` or written as Embedded Metric Format lines.
//!
//! CloudWatch stores *data points*; sending one per measurement would cost
//! a call per request. So every instrument keeps, per dimension set, what
//! the interval needs (a sum, a statistic set, a last value) and a
//! background task ships the interval's aggregates:
//!
//! - **`PutMetricData`** (default): counters as `Value` (the interval's
//!   sum), histograms as `StatisticValues` (count, sum, min, max: exact, but
//!   no percentiles) or, with `SHOP_CW_HISTOGRAMS=values`, as `Values`/`Counts`
//!   (values rounded to 3 significant digits: CloudWatch can then compute
//!   percentiles; sums are approximate), gauges as `Value` (the last one).
//! - **EMF** (`SHOP_CW_METRICS=emf`): one JSON log line per dimension set
//!   and interval through CloudWatch Logs, which CloudWatch turns into
//!   metrics. Histograms carry their samples (at most 100 per line, as EMF
//!   allows), so nothing is approximated but bytes grow with traffic
//!   ([`emf`]).

pub mod dropped;
pub mod emf;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};
use aws_smithy_types::DateTime;
use foldhash::fast::FixedState;
use telemetry_api::export::{SignalCounters, without_telemetry};
use telemetry_api::metrics::{
    CounterSink, GaugeSink, HistogramSink, InstrumentDescriptor, InstrumentKind, MeterProvider,
};
use telemetry_api::value::{KeyValue, Value};
use telemetry_api::{Unit, semconv};
use tokio::sync::mpsc;

use crate::export::queue::{self, Control};
use crate::export::retry::{self, FailureLog, RetryPolicy, with_retries};
use crate::logs::LogShipper;

/// `PutMetricData` limits: data points per call, request size, dimensions
/// per metric, values per datum.
pub const MAX_DATUMS_PER_CALL: usize = 1000;
pub const MAX_REQUEST_BYTES: usize = 1_000_000;
pub const MAX_DIMENSIONS: usize = 30;
pub const MAX_VALUES_PER_DATUM: usize = 150;
/// EMF: values per metric in one line.
pub const MAX_EMF_VALUES: usize = 100;
/// Samples a histogram keeps per dimension set and interval in EMF mode.
const MAX_SAMPLES: usize = 10_000;

/// How metrics reach CloudWatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    PutMetricData,
    Emf,
}

/// How histograms are sent with `PutMetricData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistogramMode {
    /// `StatisticValues`: exact count/sum/min/max.
    Statistics,
    /// `Values`/`Counts`: a distribution CloudWatch can take percentiles of.
    Values,
}

/// Settings of the metrics pipeline.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub namespace: String,
    pub interval: Duration,
    pub mode: MetricsMode,
    pub histograms: HistogramMode,
    /// 1-second storage resolution (costs more; the default is 60 s).
    pub high_resolution: bool,
    /// Dimension sets per instrument; measurements for more are dropped (and counted).
    pub max_series: usize,
    /// Datums per call (1..=1000).
    pub batch: usize,
    pub retry: RetryPolicy,
    /// Added to every metric's dimensions: the service name.
    pub service: String,
}

/// The interval's aggregate of one dimension set.
#[derive(Debug, Clone)]
enum Agg {
    Sum(u64),
    Hist {
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        /// Rounded value → count (Values mode).
        buckets: BTreeMap<u64, u64>,
        /// Raw samples (EMF mode).
        samples: Vec<f64>,
    },
    Last(f64),
}

#[derive(Debug, Clone)]
struct Series {
    agg: Agg,
    /// Measurements folded into this aggregate.
    measurements: u64,
}

type Dims = Vec<(&'static str, String)>;

/// One instrument and its current interval.
struct Instrument {
    descriptor: InstrumentDescriptor,
    series: Mutex<SeriesMap>,
    counters: Arc<SignalCounters>,
    max_series: usize,
    mode: MetricsMode,
    histograms: HistogramMode,
}

/// The interval's series of one instrument, found by the measurement's
/// attributes as they are: the request path hashes and compares them
/// without allocating; they are turned into CloudWatch dimension strings
/// only when the interval is shipped.
#[derive(Default)]
struct SeriesMap {
    by_hash: HashMap<u64, Vec<(Vec<KeyValue>, Series)>, FixedState>,
    len: usize,
}

/// A hash of the attributes (keys and typed values) a series is keyed by.
///
/// foldhash, not std's SipHash: this runs for every measurement (several per
/// request), the attributes are the shop's own (route templates, methods,
/// status codes; their number is capped by `max_series`), so resistance to
/// chosen collisions buys nothing here. SipHash of three attributes was
/// ~2.8 µs per request in `make profile` (`attributes_hash`, 24 samples).
fn attributes_hash(attributes: &[KeyValue]) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = FixedState::default().build_hasher();
    for kv in attributes {
        kv.key.hash(&mut h);
        match &kv.value {
            Value::Bool(b) => (0u8, *b).hash(&mut h),
            Value::I64(i) => (1u8, *i).hash(&mut h),
            Value::F64(f) => (2u8, f.to_bits()).hash(&mut h),
            Value::Str(s) => (3u8, s.as_ref()).hash(&mut h),
        }
    }
    h.finish()
}

impl Instrument {
    fn update(
        &self,
        attributes: &[KeyValue],
        update: impl FnOnce(&mut Agg),
        empty: impl FnOnce() -> Agg,
    ) {
        SignalCounters::add(&self.counters.received, 1);
        let attributes = &attributes[..attributes.len().min(MAX_DIMENSIONS - 1)];
        let hash = attributes_hash(attributes);
        let mut map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, s)) = map
            .by_hash
            .get_mut(&hash)
            .and_then(|b| b.iter_mut().find(|(a, _)| a.as_slice() == attributes))
        {
            update(&mut s.agg);
            s.measurements += 1;
            return;
        }
        // A new series: only while under the cap (memory stays bounded).
        if map.len >= self.max_series {
            SignalCounters::add(&self.counters.dropped, 1);
            return;
        }
        let mut agg = empty();
        update(&mut agg);
        map.by_hash.entry(hash).or_default().push((
            attributes.to_vec(),
            Series {
                agg,
                measurements: 1,
            },
        ));
        map.len += 1;
    }

    /// Closes the interval: its series with their CloudWatch dimensions.
    fn take(&self) -> Vec<(Dims, Series)> {
        let map = std::mem::take(&mut *self.series.lock().unwrap_or_else(|e| e.into_inner()));
        map.by_hash
            .into_values()
            .flatten()
            .map(|(attributes, series)| {
                let dims = attributes
                    .iter()
                    .map(|kv| (kv.key, dimension_value(&kv.value)))
                    .collect();
                (dims, series)
            })
            .collect()
    }
}

impl CounterSink for Instrument {
    fn add(&self, value: u64, attributes: &[KeyValue]) {
        self.update(
            attributes,
            |a| {
                if let Agg::Sum(s) = a {
                    *s += value;
                }
            },
            || Agg::Sum(0),
        );
    }
}

impl HistogramSink for Instrument {
    fn record(&self, value: f64, attributes: &[KeyValue]) {
        if !value.is_finite() {
            SignalCounters::add(&self.counters.received, 1);
            SignalCounters::add(&self.counters.dropped, 1);
            return;
        }
        let (keep_samples, keep_buckets) = (
            self.mode == MetricsMode::Emf,
            self.mode == MetricsMode::PutMetricData && self.histograms == HistogramMode::Values,
        );
        let mut overflow = false;
        self.update(
            attributes,
            |a| {
                if let Agg::Hist {
                    count,
                    sum,
                    min,
                    max,
                    buckets,
                    samples,
                } = a
                {
                    *count += 1;
                    *sum += value;
                    *min = min.min(value);
                    *max = max.max(value);
                    if keep_buckets {
                        *buckets.entry(round3(value).to_bits()).or_default() += 1;
                    }
                    if keep_samples {
                        if samples.len() < MAX_SAMPLES {
                            samples.push(value);
                        } else {
                            overflow = true;
                        }
                    }
                }
            },
            || Agg::Hist {
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                buckets: BTreeMap::new(),
                samples: Vec::new(),
            },
        );
        if overflow {
            // The sample cannot be written as EMF; count it as lost.
            SignalCounters::add(&self.counters.dropped, 1);
        }
    }
}

impl GaugeSink for Instrument {
    fn set(&self, value: f64, attributes: &[KeyValue]) {
        self.update(attributes, |a| *a = Agg::Last(value), || Agg::Last(value));
    }
}

/// The contract's meter provider for CloudWatch: creates aggregating
/// instruments and ships their intervals in the background.
pub struct CloudWatchMeterProvider {
    instruments: Arc<Mutex<Vec<Arc<Instrument>>>>,
    config: MetricsConfig,
    counters: Arc<SignalCounters>,
    ctl: mpsc::Sender<Control>,
}

impl CloudWatchMeterProvider {
    /// Starts the shipping task. `emf` is the log shipper EMF lines go to
    /// (required in EMF mode); `drops` is the backend's drop report, sent with every interval
    /// ([`dropped`]).
    pub fn start(
        client: Client,
        emf: Option<Arc<LogShipper>>,
        config: MetricsConfig,
        counters: Arc<SignalCounters>,
        drops: Arc<dropped::Report>,
    ) -> CloudWatchMeterProvider {
        let instruments = Arc::new(Mutex::new(Vec::new()));
        let (ctl, ctl_rx) = mpsc::channel(8);
        let worker = Worker {
            client,
            emf,
            instruments: instruments.clone(),
            config: config.clone(),
            counters: counters.clone(),
            failures: FailureLog::new("PutMetricData"),
            drops,
        };
        tokio::spawn(without_telemetry(worker.run(ctl_rx)));
        CloudWatchMeterProvider {
            instruments,
            config,
            counters,
            ctl,
        }
    }

    fn instrument(&self, descriptor: InstrumentDescriptor) -> Arc<Instrument> {
        let i = Arc::new(Instrument {
            descriptor,
            series: Mutex::new(SeriesMap::default()),
            counters: self.counters.clone(),
            max_series: self.config.max_series,
            mode: self.config.mode,
            histograms: self.config.histograms,
        });
        self.instruments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(i.clone());
        i
    }

    pub async fn flush(&self) {
        queue::request(&self.ctl, Control::Flush).await;
    }

    pub async fn shutdown(&self) {
        queue::request(&self.ctl, Control::Shutdown).await;
    }
}

impl MeterProvider for CloudWatchMeterProvider {
    fn counter(&self, descriptor: InstrumentDescriptor) -> Arc<dyn CounterSink> {
        self.instrument(descriptor)
    }
    fn histogram(&self, descriptor: InstrumentDescriptor) -> Arc<dyn HistogramSink> {
        self.instrument(descriptor)
    }
    fn gauge(&self, descriptor: InstrumentDescriptor) -> Arc<dyn GaugeSink> {
        self.instrument(descriptor)
    }
}

/// A closed interval of one instrument and dimension set.
struct Point {
    name: &'static str,
    unit: Unit,
    kind: InstrumentKind,
    dims: Dims,
    series: Series,
    /// The [`dropped`] report's datum: its call's outcome moves the delivered mark.
    carries_drops: bool,
}

struct Worker {
    client: Client,
    emf: Option<Arc<LogShipper>>,
    instruments: Arc<Mutex<Vec<Arc<Instrument>>>>,
    config: MetricsConfig,
    counters: Arc<SignalCounters>,
    failures: FailureLog,
    drops: Arc<dropped::Report>,
}

impl Worker {
    async fn run(mut self, mut ctl: mpsc::Receiver<Control>) {
        let mut tick = tokio::time::interval(self.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate
        loop {
            tokio::select! {
                c = ctl.recv() => {
                    self.ship().await;
                    match c {
                        Some(Control::Flush(ack)) => { let _ = ack.send(()); }
                        Some(Control::Shutdown(ack)) => { let _ = ack.send(()); return; }
                        None => return,
                    }
                }
                _ = tick.tick() => self.ship().await,
            }
        }
    }

    /// Closes the interval of every instrument and ships it.
    async fn ship(&mut self) {
        let instruments = self
            .instruments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut points = Vec::new();
        for i in &instruments {
            for (dims, series) in i.take() {
                points.push(Point {
                    name: i.descriptor.name,
                    unit: i.descriptor.unit,
                    kind: i.descriptor.kind,
                    dims,
                    series,
                    carries_drops: false,
                });
            }
        }
        // The drops not yet delivered ride along; an idle process with none makes no call.
        let pending = self.drops.take();
        if points.is_empty() && pending == 0 {
            return;
        }
        points.push(dropped::point(pending));
        let now = SystemTime::now();
        match self.config.mode {
            MetricsMode::PutMetricData => self.put_metric_data(points, now).await,
            MetricsMode::Emf => self.write_emf(points, now),
        }
    }

    async fn put_metric_data(&mut self, points: Vec<Point>, now: SystemTime) {
        // Each point becomes one or more datums; keep the measurement count
        // with the first so sent/dropped add up, and mark the drop report's.
        let mut datums: Vec<(MetricDatum, u64, usize, bool)> = Vec::new();
        for p in points {
            for (i, d) in self.datums(&p, now).into_iter().enumerate() {
                let size = estimated_size(&d);
                let measurements = if i == 0 { p.series.measurements } else { 0 };
                datums.push((d, measurements, size, p.carries_drops));
            }
        }
        let batch = self.config.batch.clamp(1, MAX_DATUMS_PER_CALL);
        let mut rest = datums.as_slice();
        while !rest.is_empty() {
            let mut n = 0;
            let mut bytes = 0;
            while n < rest.len() && n < batch && bytes + rest[n].2 <= MAX_REQUEST_BYTES {
                bytes += rest[n].2;
                n += 1;
            }
            let n = n.max(1);
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let measurements: u64 = chunk.iter().map(|c| c.1).sum();
            let carries_drops = chunk.iter().any(|c| c.3);
            let data: Vec<MetricDatum> = chunk.iter().map(|c| c.0.clone()).collect();
            let result = with_retries(self.config.retry, &self.counters, || {
                self.client
                    .put_metric_data()
                    .namespace(&self.config.namespace)
                    .set_metric_data(Some(data.clone()))
                    .send()
            })
            .await;
            match result {
                Ok(_) => {
                    SignalCounters::add(&self.counters.sent, measurements);
                    if carries_drops {
                        self.drops.delivered();
                    }
                }
                Err(e) => {
                    SignalCounters::add(&self.counters.dropped, measurements);
                    self.failures.report(measurements, &retry::describe(&e));
                    if carries_drops {
                        self.drops.failed();
                    }
                }
            }
        }
    }

    fn datums(&self, p: &Point, now: SystemTime) -> Vec<MetricDatum> {
        let mut dims: Vec<Dimension> = vec![
            Dimension::builder()
                .name(semconv::SERVICE_NAME)
                .value(&self.config.service)
                .build(),
        ];
        dims.extend(
            p.dims
                .iter()
                .map(|(k, v)| Dimension::builder().name(*k).value(v).build()),
        );
        let base = MetricDatum::builder()
            .metric_name(p.name)
            .set_dimensions(Some(dims))
            .timestamp(DateTime::from(now))
            .unit(standard_unit(p.unit))
            .storage_resolution(if self.config.high_resolution { 1 } else { 60 });
        match &p.series.agg {
            Agg::Sum(s) => vec![base.value(*s as f64).build()],
            Agg::Last(v) => vec![base.value(*v).build()],
            Agg::Hist {
                count,
                sum,
                min,
                max,
                buckets,
                ..
            } => match self.config.histograms {
                HistogramMode::Statistics => vec![
                    base.statistic_values(
                        StatisticSet::builder()
                            .sample_count(*count as f64)
                            .sum(*sum)
                            .minimum(*min)
                            .maximum(*max)
                            .build(),
                    )
                    .build(),
                ],
                HistogramMode::Values => {
                    let pairs: Vec<(f64, f64)> = buckets
                        .iter()
                        .map(|(v, c)| (f64::from_bits(*v), *c as f64))
                        .collect();
                    pairs
                        .chunks(MAX_VALUES_PER_DATUM)
                        .map(|chunk| {
                            base.clone()
                                .set_values(Some(chunk.iter().map(|p| p.0).collect()))
                                .set_counts(Some(chunk.iter().map(|p| p.1).collect()))
                                .build()
                        })
                        .collect()
                }
            },
        }
    }
}

/// CloudWatch's unit for a UCUM unit.
pub fn standard_unit(unit: Unit) -> StandardUnit {
    match unit.0 {
        "s" => StandardUnit::Seconds,
        "ms" => StandardUnit::Milliseconds,
        "us" => StandardUnit::Microseconds,
        "By" => StandardUnit::Bytes,
        "%" => StandardUnit::Percent,
        _ if unit.is_count() => StandardUnit::Count,
        _ => StandardUnit::None,
    }
}

/// A dimension value: CloudWatch wants a non-empty string of at most 1024
/// characters.
fn dimension_value(v: &Value) -> String {
    let s = v.to_string();
    if s.is_empty() {
        "(empty)".to_owned()
    } else {
        s.chars().take(1024).collect()
    }
}

/// Rounds to 3 significant digits (the Values mode's buckets).
fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// A generous estimate of a datum's size on the wire.
fn estimated_size(d: &MetricDatum) -> usize {
    64 + d.metric_name().map_or(0, str::len)
        + d.dimensions()
            .iter()
            .map(|x| 8 + x.name().map_or(0, str::len) + x.value().map_or(0, str::len))
            .sum::<usize>()
        + 18 * (d.values().len() + d.counts().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(max_series: usize) -> Instrument {
        Instrument {
            descriptor: InstrumentDescriptor {
                name: "requests",
                description: "",
                unit: Unit::count("{request}"),
                kind: InstrumentKind::Counter,
                boundaries: None,
            },
            series: Mutex::new(SeriesMap::default()),
            counters: Arc::new(SignalCounters::default()),
            max_series,
            mode: MetricsMode::PutMetricData,
            histograms: HistogramMode::Statistics,
        }
    }

    #[test]
    fn equal_attributes_share_a_series_and_new_ones_stop_at_the_cap() {
        let c = counter(2);
        let get = [
            KeyValue::new("method", "GET"),
            KeyValue::new("status", 200u16),
        ];
        let post = [
            KeyValue::new("method", "POST"),
            KeyValue::new("status", 200u16),
        ];
        let put = [KeyValue::new("method", "PUT")];
        c.add(2, &get);
        c.add(3, &get);
        c.add(1, &post);
        c.add(1, &put); // a third series: over the cap
        let snapshot = c.counters.snapshot();
        assert_eq!((snapshot.received, snapshot.dropped), (4, 1));
        let mut taken = c.take();
        taken.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(taken.len(), 2);
        assert_eq!(
            taken[0].0,
            vec![("method", "GET".to_owned()), ("status", "200".to_owned())]
        );
        assert!(matches!(taken[0].1.agg, Agg::Sum(5)));
        assert_eq!(taken[0].1.measurements, 2);
        assert!(c.take().is_empty(), "taking closes the interval");
    }

    #[test]
    fn rounding_keeps_three_significant_digits() {
        assert_eq!(round3(0.0123456), 0.0123);
        assert_eq!(round3(1234.5), 1230.0);
        assert_eq!(round3(0.0), 0.0);
    }

    #[test]
    fn units_map_to_cloudwatch() {
        assert_eq!(standard_unit(Unit::SECONDS), StandardUnit::Seconds);
        assert_eq!(standard_unit(Unit::count("{request}")), StandardUnit::Count);
        assert_eq!(standard_unit(Unit::BYTES), StandardUnit::Bytes);
        assert_eq!(standard_unit(Unit("furlong")), StandardUnit::None);
    }
}
