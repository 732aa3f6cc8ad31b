//! Shipping log lines to CloudWatch Logs with `PutLogEvents`: how a record
//! becomes its line ([`Renderer`]), a bounded queue, the background worker
//! ([`crate::export::worker`]) with a batcher that batches lines within the
//! API's limits, and the log group and stream created when missing.
//!
//! Used twice: for the shop's log records (JSON lines with the X-Ray trace
//! id, so a log line leads to its trace) and, in EMF mode, for metrics
//! written as Embedded Metric Format lines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use telemetry_api::LogRecord;
use telemetry_api::TraceId;
use telemetry_api::export::SignalCounters;

use crate::export::body::JsonBody;
use crate::export::queue::Inlet;
use crate::export::retry::{self, FailureLog, RetryPolicy, with_retries};
use crate::export::worker::{self, Batcher, InFlight};

/// `PutLogEvents` limits: events per call, bytes per call (each event
/// counts its UTF-8 message plus 26 bytes), and the time one call may span.
pub const MAX_EVENTS_PER_CALL: usize = 10_000;
pub const MAX_BYTES_PER_CALL: usize = 1_048_576;
pub const EVENT_OVERHEAD_BYTES: usize = 26;
pub const MAX_SPAN_PER_CALL_MS: i64 = 24 * 3600 * 1000;
/// The largest event CloudWatch Logs accepts (longer messages are cut).
pub const MAX_EVENT_BYTES: usize = 256 * 1024 - EVENT_OVERHEAD_BYTES;

/// Settings of one log shipper.
#[derive(Debug, Clone)]
pub struct LogShipConfig {
    pub group: String,
    pub stream: String,
    /// Lines waiting to be shipped; more are dropped (and counted).
    pub queue: usize,
    /// How often a partial batch is sent.
    pub interval: Duration,
    /// Events per call (1..=10 000).
    pub batch: usize,
    pub retry: RetryPolicy,
}

/// What is queued: a ready line, a shop log record's JSON line (rendered by
/// the exporter, [`Renderer`]) or an EMF line.
pub enum LogItem {
    /// `count`: the signal items the line carries (1 for a log record, an
    /// EMF line's measurements).
    Line {
        timestamp_ms: i64,
        line: String,
        count: u64,
    },
}

/// How a record becomes a line.
#[derive(Clone)]
pub struct Renderer {
    pub service: String,
    pub format_trace_id: fn(TraceId) -> String,
}

impl Renderer {
    /// The record as a JSON line ([`telemetry_api::logs::to_json_line`]).
    pub fn render(&self, record: &LogRecord) -> String {
        telemetry_api::logs::to_json_line(record, &self.service, self.format_trace_id)
    }
}

/// The request side of a log shipper.
pub struct LogShipper {
    inlet: Inlet<LogItem>,
}

impl LogShipper {
    /// Starts the shipper's worker on the current Tokio runtime.
    pub fn start(
        client: Client,
        config: LogShipConfig,
        counters: Arc<SignalCounters>,
    ) -> LogShipper {
        let (queue, interval) = (config.queue, config.interval);
        let batcher = LogBatcher {
            shared: Arc::new(Shared {
                client,
                config,
                counters: counters.clone(),
                stream_ready: AtomicBool::new(false),
                failures: Mutex::new(FailureLog::new("PutLogEvents")),
            }),
            buffer: Vec::new(),
            in_flight: InFlight::default(),
        };
        LogShipper {
            inlet: worker::start(batcher, queue, interval, counters),
        }
    }

    /// Queues an item; never blocks. A full queue or a stopped shipper
    /// drops it and counts its items as dropped. (`received` is counted by
    /// the caller: a log record when it arrives, a measurement when it is
    /// recorded.)
    pub fn send(&self, item: LogItem) {
        let count = LogBatcher::count(&item);
        self.inlet.offer(item, count);
    }

    pub async fn flush(&self) {
        self.inlet.flush().await;
    }

    pub async fn shutdown(&self) {
        self.inlet.shutdown().await;
    }
}

/// One rendered event and the signal items it stands for.
struct Event {
    timestamp_ms: i64,
    message: String,
    count: u64,
}

/// The worker's side: renders records into events and sends them with
/// `PutLogEvents`, up to [`MAX_IN_FLIGHT`](crate::export::worker::MAX_IN_FLIGHT)
/// calls at once.
struct LogBatcher {
    shared: Arc<Shared>,
    buffer: Vec<Event>,
    in_flight: InFlight,
}

/// What the batcher and its calls under way share.
struct Shared {
    client: Client,
    config: LogShipConfig,
    counters: Arc<SignalCounters>,
    /// The log group and stream exist (as far as we know).
    stream_ready: AtomicBool,
    failures: Mutex<FailureLog>,
}

impl Batcher for LogBatcher {
    type Item = LogItem;

    fn count(item: &LogItem) -> u64 {
        let LogItem::Line { count, .. } = item;
        *count
    }

    fn take(&mut self, item: LogItem) {
        self.push(item);
    }

    /// A batch is full at `batch` events; then everything buffered goes,
    /// split as the limits require.
    async fn send(&mut self, all: bool) {
        if all || self.buffer.len() >= self.shared.config.batch.clamp(1, MAX_EVENTS_PER_CALL) {
            self.send_all().await;
        }
    }

    async fn settle(&mut self) {
        self.in_flight.settle().await;
    }
}

impl LogBatcher {
    fn push(&mut self, item: LogItem) {
        let LogItem::Line {
            timestamp_ms,
            line: mut message,
            count,
        } = item;
        if message.len() > MAX_EVENT_BYTES {
            let mut cut = MAX_EVENT_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        self.buffer.push(Event {
            timestamp_ms,
            message,
            count,
        });
    }

    /// Starts as many calls as the limits require for the buffer. The log
    /// group and stream are made sure of first, once, before any call.
    async fn send_all(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        // Events in one call must be in chronological order.
        let mut events = std::mem::take(&mut self.buffer);
        events.sort_by_key(|e| e.timestamp_ms);
        if let Err(e) = ensure_stream(&self.shared).await {
            let count: u64 = events.iter().map(|e| e.count).sum();
            SignalCounters::add(&self.shared.counters.dropped, count);
            self.shared.report(count, &e);
            return;
        }
        let batch = self.shared.config.batch.clamp(1, MAX_EVENTS_PER_CALL);
        let mut rest = events;
        while !rest.is_empty() {
            let mut end = 0;
            let mut bytes = 0;
            while end < rest.len()
                && end < batch
                && bytes + rest[end].message.len() + EVENT_OVERHEAD_BYTES <= MAX_BYTES_PER_CALL
                && rest[end].timestamp_ms - rest[0].timestamp_ms < MAX_SPAN_PER_CALL_MS
            {
                bytes += rest[end].message.len() + EVENT_OVERHEAD_BYTES;
                end += 1;
            }
            let tail = rest.split_off(end);
            let call = put(self.shared.clone(), rest);
            self.in_flight.start(call).await;
            rest = tail;
        }
    }
}

impl Shared {
    fn report(&self, items: u64, error: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .report(items, error);
    }
}

/// Creates the log group and stream unless done already. Both calls are
/// retried like a batch (a cold endpoint can be slow on its first call);
/// "already exists" is success, so two calls under way may both do it.
async fn ensure_stream(shared: &Shared) -> Result<(), String> {
    if shared.stream_ready.load(Ordering::Acquire) {
        return Ok(());
    }
    let (client, group, stream) = (&shared.client, &shared.config.group, &shared.config.stream);
    let exists = |code: Option<&str>| code == Some("ResourceAlreadyExistsException");
    let created = with_retries(shared.config.retry, &shared.counters, || async {
        match client.create_log_group().log_group_name(group).send().await {
            Err(e) if !exists(e.code()) => Err(e),
            _ => Ok(()),
        }
    })
    .await;
    if let Err(e) = created {
        return Err(format!("CreateLogGroup {group}: {}", retry::describe(&e)));
    }
    let created = with_retries(shared.config.retry, &shared.counters, || async {
        match client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
        {
            Err(e) if !exists(e.code()) => Err(e),
            _ => Ok(()),
        }
    })
    .await;
    if let Err(e) = created {
        return Err(format!("CreateLogStream {stream}: {}", retry::describe(&e)));
    }
    shared.stream_ready.store(true, Ordering::Release);
    Ok(())
}

/// `PutLogEvents`' input, with CloudWatch Logs' member names.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PutInput<'a> {
    log_group_name: &'a str,
    log_stream_name: &'a str,
    log_events: Vec<EventInput<'a>>,
}

/// One `InputLogEvent`.
#[derive(serde::Serialize)]
struct EventInput<'a> {
    timestamp: i64,
    message: &'a str,
}

impl<'a> From<&'a Event> for EventInput<'a> {
    fn from(e: &'a Event) -> Self {
        EventInput {
            timestamp: e.timestamp_ms,
            message: &e.message,
        }
    }
}

/// One `PutLogEvents` call (with retries) for `events`, in chronological
/// order; counts them as sent, or as dropped when refused or failed.
async fn put(shared: Arc<Shared>, events: Vec<Event>) {
    let count: u64 = events.iter().map(|e| e.count).sum();
    let counters = &shared.counters;
    // Serialised once, for every attempt and round ([`crate::export::body`]).
    let body = Arc::new(JsonBody::new(&PutInput {
        log_group_name: &shared.config.group,
        log_stream_name: &shared.config.stream,
        log_events: events.iter().map(EventInput::from).collect(),
    }));
    // Up to two rounds: the second after creating a group or stream that
    // was deleted behind our back.
    for round in 0..2 {
        if let Err(e) = ensure_stream(&shared).await {
            shared.report(count, &e);
            break;
        }
        let result = with_retries(shared.config.retry, counters, || {
            shared
                .client
                .put_log_events()
                .log_group_name(&shared.config.group)
                .log_stream_name(&shared.config.stream)
                .set_log_events(Some(Vec::new()))
                .customize()
                .mutate_request({
                    let body = body.clone();
                    move |request| body.install(request)
                })
                .send()
        })
        .await;
        match result {
            Ok(out) => {
                let rejected = out
                    .rejected_log_events_info()
                    .map_or(0, |r| rejected_count(r, &events));
                SignalCounters::add(&counters.sent, count - rejected);
                SignalCounters::add(&counters.dropped, rejected);
                return;
            }
            Err(e) if round == 0 && e.code() == Some("ResourceNotFoundException") => {
                shared.stream_ready.store(false, Ordering::Release);
            }
            Err(e) => {
                shared.report(count, &retry::describe(&e));
                break;
            }
        }
    }
    SignalCounters::add(&counters.dropped, count);
}

/// Events CloudWatch refused: before `too_old_end`/`expired_end`, and from
/// `too_new_start` on.
fn rejected_count(
    r: &aws_sdk_cloudwatchlogs::types::RejectedLogEventsInfo,
    events: &[Event],
) -> u64 {
    let n = events.len();
    let mut rejected = vec![false; n];
    for end in [
        r.too_old_log_event_end_index(),
        r.expired_log_event_end_index(),
    ]
    .into_iter()
    .flatten()
    {
        for flag in rejected.iter_mut().take((end.max(0) as usize).min(n)) {
            *flag = true;
        }
    }
    if let Some(start) = r.too_new_log_event_start_index() {
        for flag in rejected.iter_mut().skip(start.max(0) as usize) {
            *flag = true;
        }
    }
    events
        .iter()
        .zip(rejected)
        .filter(|(_, r)| *r)
        .map(|(e, _)| e.count)
        .sum()
}

/// Milliseconds since the epoch.
pub fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::body::sdk_json;

    #[tokio::test]
    async fn the_body_is_the_json_the_sdk_writes() {
        let events = [
            Event {
                timestamp_ms: 1_700_000_000_123,
                message: r#"{"level":"INFO","msg":"a \"quoted\" path\\ and a tab	"}"#.to_owned(),
                count: 1,
            },
            Event {
                timestamp_ms: 1_700_000_000_124,
                message: "caf\u{e9} \u{1f6d2} \u{1}".to_owned(),
                count: 1,
            },
        ];
        let (seen, hook) = sdk_json::capture();
        let client = Client::new(&sdk_json::config());
        let sent = client
            .put_log_events()
            .log_group_name("/shop/app")
            .log_stream_name("i-0123")
            .set_log_events(Some(
                events
                    .iter()
                    .map(|e| {
                        aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                            .timestamp(e.timestamp_ms)
                            .message(&e.message)
                            .build()
                            .unwrap()
                    })
                    .collect(),
            ))
            .customize()
            .mutate_request(hook)
            .send()
            .await;
        let sdk = sdk_json::written(&seen, sent.is_err());
        let ours = JsonBody::new(&PutInput {
            log_group_name: "/shop/app",
            log_stream_name: "i-0123",
            log_events: events.iter().map(EventInput::from).collect(),
        });
        let ours: serde_json::Value = serde_json::from_slice(ours.bytes()).unwrap();
        assert_eq!(ours, sdk);
        assert_eq!(ours["logEvents"][1]["message"], events[1].message.as_str());
    }
}
