//! Traces to X-Ray: a bounded queue, the background worker
//! ([`crate::export::worker`]) with a batcher that assembles each request's
//! spans into one segment document ([`segment`]), and batched
//! `PutTraceSegments` calls with retries. Trace ids are X-Ray's ([`ids`]).
//!
//! Spans arrive one by one as they end, children before their parent. The
//! batcher holds children until their local root ends, then builds the whole
//! segment at once. A child that ends after its root (or whose root never
//! ends) is sent on its own as an independent subsegment after
//! `orphan_after`, or at shutdown.

pub mod ids;
pub mod segment;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_xray::Client;
use aws_sdk_xray::types::UnprocessedTraceSegment;
use telemetry_api::export::SignalCounters;
use telemetry_api::{SpanRecord, TraceId};

use crate::export::body::JsonBody;
use crate::export::queue::Inlet;
use crate::export::retry::{self, FailureLog, RetryPolicy, with_retries};
use crate::export::worker::{self, Batcher, Due, InFlight};
use crate::resource::AwsResource;
use segment::{Form, orphan_document_as, segment_documents_as};

/// Documents per `PutTraceSegments` call (what the X-Ray daemon sends).
pub const MAX_DOCUMENTS_PER_CALL: usize = 50;

/// Settings of the trace exporter.
#[derive(Debug, Clone)]
pub struct TraceExportConfig {
    /// Spans waiting to be shipped; more are dropped (and counted).
    pub queue: usize,
    /// Documents per call (1..=50).
    pub batch: usize,
    /// How often a partial batch is sent.
    pub interval: Duration,
    /// How long a child span waits for its local root.
    pub orphan_after: Duration,
    /// Children held at most (more are sent as independent subsegments).
    pub max_pending: usize,
    pub retry: RetryPolicy,
}

impl Default for TraceExportConfig {
    fn default() -> Self {
        TraceExportConfig {
            queue: 4096,
            batch: MAX_DOCUMENTS_PER_CALL,
            interval: Duration::from_secs(1),
            orphan_after: Duration::from_secs(5),
            max_pending: 8192,
            retry: RetryPolicy::default(),
        }
    }
}

/// The request side: hands spans to the background worker.
pub struct TraceExporter {
    inlet: Inlet<SpanRecord>,
    counters: Arc<SignalCounters>,
}

impl TraceExporter {
    /// Starts the background worker on the current Tokio runtime.
    pub fn start(
        client: Client,
        resource: AwsResource,
        config: TraceExportConfig,
        counters: Arc<SignalCounters>,
    ) -> TraceExporter {
        let (queue, interval) = (config.queue, config.interval);
        let batcher = SegmentBatcher {
            client,
            assembler: Assembler::new(resource, config.max_pending),
            config,
            counters: counters.clone(),
            ready: Vec::new(),
            failures: Arc::new(Mutex::new(FailureLog::new("PutTraceSegments"))),
            in_flight: InFlight::default(),
        };
        TraceExporter {
            inlet: worker::start(batcher, queue, interval, counters.clone()),
            counters,
        }
    }

    /// Queues a finished span; never blocks. A full queue or a stopped
    /// exporter drops the span and counts it.
    pub fn export(&self, span: SpanRecord) {
        SignalCounters::add(&self.counters.received, 1);
        self.inlet.offer(span, 1);
    }

    pub async fn flush(&self) {
        self.inlet.flush().await;
    }

    pub async fn shutdown(&self) {
        self.inlet.shutdown().await;
    }
}

/// Documents are written as they travel: escaped, the contents of a JSON
/// string ([`crate::export::body`]).
const FORM: Form = Form::InJsonString;

/// A document ready to send, with how many spans it carries.
struct Doc {
    /// The document in [`FORM`].
    text: String,
    id: String,
    spans: u64,
}

/// Holds children until their local root arrives.
struct Assembler {
    ctx: AwsResource,
    pending: HashMap<TraceId, Vec<(SpanRecord, Instant)>>,
    pending_count: usize,
    max_pending: usize,
}

impl Assembler {
    fn new(ctx: AwsResource, max_pending: usize) -> Assembler {
        Assembler {
            ctx,
            pending: HashMap::new(),
            pending_count: 0,
            max_pending,
        }
    }

    /// Adds a span; returns documents that became ready and the number of
    /// spans that were too big to send.
    fn add(&mut self, span: SpanRecord, out: &mut Vec<Doc>) -> u64 {
        if !span.is_local_root() {
            if self.pending_count >= self.max_pending {
                out.push(self.orphan(&span));
                return 0;
            }
            self.pending_count += 1;
            self.pending
                .entry(span.context.trace_id)
                .or_default()
                .push((span, Instant::now()));
            return 0;
        }
        let mut mine = Vec::new();
        if let Some(waiting) = self.pending.remove(&span.context.trace_id) {
            // The root's descendants: grow the set of known ids until stable.
            let mut ids = vec![span.context.span_id];
            let mut rest: Vec<(SpanRecord, Instant)> = waiting;
            loop {
                let before = rest.len();
                let (found, keep): (Vec<_>, Vec<_>) = rest
                    .into_iter()
                    .partition(|(s, _)| s.parent_span_id.is_some_and(|p| ids.contains(&p)));
                ids.extend(found.iter().map(|(s, _)| s.context.span_id));
                mine.extend(found.into_iter().map(|(s, _)| s));
                rest = keep;
                if rest.len() == before || rest.is_empty() {
                    break;
                }
            }
            self.pending_count -= mine.len();
            if !rest.is_empty() {
                self.pending.insert(span.context.trace_id, rest);
            }
        }
        let (docs, too_big) = segment_documents_as(FORM, &ctx_for(&self.ctx, &span), &span, &mine);
        let spans = 1 + mine.len() as u64 - too_big as u64;
        let id = span.context.span_id.to_hex();
        let n = docs.len() as u64;
        // Attribute the spans to the documents: the first carries the rest.
        for (i, text) in docs.into_iter().enumerate() {
            let carried = if i == 0 { spans - (n - 1) } else { 1 };
            out.push(Doc {
                text,
                id: id.clone(),
                spans: carried,
            });
        }
        too_big as u64
    }

    fn orphan(&self, span: &SpanRecord) -> Doc {
        Doc {
            text: orphan_document_as(FORM, &ctx_for(&self.ctx, span), span, &[]),
            id: span.context.span_id.to_hex(),
            spans: 1,
        }
    }

    /// Sends children that waited longer than `age` on their own.
    fn expire(&mut self, age: Duration, out: &mut Vec<Doc>) {
        let now = Instant::now();
        let ctx = &self.ctx;
        let mut expired = 0;
        self.pending.retain(|_, spans| {
            spans.retain(|(s, at)| {
                if now.duration_since(*at) >= age {
                    out.push(Doc {
                        text: orphan_document_as(FORM, &ctx_for(ctx, s), s, &[]),
                        id: s.context.span_id.to_hex(),
                        spans: 1,
                    });
                    expired += 1;
                    false
                } else {
                    true
                }
            });
            !spans.is_empty()
        });
        self.pending_count -= expired;
    }
}

/// Who a span's document names: the shop, or, for a span it relays (the
/// browser's, from the RUM intake), that producer, so X-Ray shows the
/// browser as its own node (`shop-web`) in front of the shop. A relayed
/// producer has no `origin` of ours.
fn ctx_for<'a>(shop: &'a AwsResource, span: &SpanRecord) -> Cow<'a, AwsResource> {
    match &span.relayed_for {
        None => Cow::Borrowed(shop),
        Some(producer) => Cow::Owned(AwsResource::new(producer, None)),
    }
}

/// The worker's side: assembles spans into segment documents and sends
/// them with `PutTraceSegments`, up to
/// [`MAX_IN_FLIGHT`](crate::export::worker::MAX_IN_FLIGHT) calls at once.
struct SegmentBatcher {
    client: Client,
    assembler: Assembler,
    config: TraceExportConfig,
    counters: Arc<SignalCounters>,
    ready: Vec<Doc>,
    failures: Arc<Mutex<FailureLog>>,
    in_flight: InFlight,
}

impl Batcher for SegmentBatcher {
    type Item = SpanRecord;

    fn count(_span: &SpanRecord) -> u64 {
        1
    }

    /// Holds a child until its root arrives; a root makes its documents.
    fn take(&mut self, span: SpanRecord) {
        let too_big = self.assembler.add(span, &mut self.ready);
        SignalCounters::add(&self.counters.dropped, too_big);
    }

    /// Children whose root did not come go alone: after `orphan_after` on
    /// each tick; on a flush those older than a second (children of
    /// requests still in flight keep waiting); at shutdown all.
    fn before_send_all(&mut self, due: Due) {
        let age = match due {
            Due::Tick => self.config.orphan_after,
            Due::Flush => Duration::from_secs(1),
            Due::Shutdown => Duration::ZERO,
        };
        self.assembler.expire(age, &mut self.ready);
    }

    async fn send(&mut self, all: bool) {
        self.send_ready(all).await;
    }

    async fn settle(&mut self) {
        self.in_flight.settle().await;
    }
}

impl SegmentBatcher {
    /// Starts a call per full batch, and for the partial last one when `all`.
    async fn send_ready(&mut self, all: bool) {
        let batch = self.config.batch.clamp(1, MAX_DOCUMENTS_PER_CALL);
        while self.ready.len() >= batch || (all && !self.ready.is_empty()) {
            let n = self.ready.len().min(batch);
            let docs: Vec<Doc> = self.ready.drain(..n).collect();
            let call = put(
                self.client.clone(),
                self.config.retry,
                self.counters.clone(),
                self.failures.clone(),
                docs,
            );
            self.in_flight.start(call).await;
        }
    }
}

/// One `PutTraceSegments` call (with retries) for `docs`; counts the spans
/// they carry as sent, or as dropped when X-Ray refuses them or the call
/// fails.
async fn put(
    client: Client,
    policy: RetryPolicy,
    counters: Arc<SignalCounters>,
    failures: Arc<Mutex<FailureLog>>,
    docs: Vec<Doc>,
) {
    let total: u64 = docs.iter().map(|d| d.spans).sum();
    // The texts become the request body once; ids and counts stay to account
    // for documents X-Ray refuses.
    let (texts, docs): (Vec<String>, Vec<(String, u64)>) =
        docs.into_iter().map(|d| (d.text, (d.id, d.spans))).unzip();
    let body = Arc::new(put_body(&texts));
    drop(texts);
    let result = with_retries(policy, &counters, || {
        // The SDK gets an empty list; our body replaces its body before
        // signing ([`crate::export::body`]).
        let body = body.clone();
        client
            .put_trace_segments()
            .set_trace_segment_documents(Some(Vec::new()))
            .customize()
            .mutate_request(move |request| body.install(request))
            .send()
    })
    .await;
    match result {
        Ok(out) => {
            // X-Ray may refuse single documents (bad format, too old).
            let refused = refused_spans(out.unprocessed_trace_segments(), &docs).min(total);
            SignalCounters::add(&counters.sent, total - refused);
            SignalCounters::add(&counters.dropped, refused);
            if let Some(first) = out.unprocessed_trace_segments().first() {
                failures
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .report(refused, &refused_reason(first));
            }
        }
        Err(e) => {
            SignalCounters::add(&counters.dropped, total);
            failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .report(total, &retry::describe(&e));
        }
    }
}

/// The spans in the documents X-Ray refused. It names a refused document
/// by the `id` inside it; one it could not read (not JSON: no id to name)
/// or whose id matches none of ours still carried at least one span, so
/// each such refusal counts one: a floor, never a silent "sent".
fn refused_spans(refusals: &[UnprocessedTraceSegment], docs: &[(String, u64)]) -> u64 {
    refusals
        .iter()
        .map(|u| {
            let named: u64 = u.id().map_or(0, |id| {
                docs.iter()
                    .filter(|(doc_id, _)| doc_id == id)
                    .map(|(_, spans)| spans)
                    .sum()
            });
            named.max(1)
        })
        .sum()
}

/// What the failure log says of a refusal: X-Ray's code and message.
fn refused_reason(u: &UnprocessedTraceSegment) -> String {
    format!(
        "document {} refused: {} {}",
        u.id().unwrap_or("(no id)"),
        u.error_code().unwrap_or("-"),
        u.message().unwrap_or("")
    )
}

/// The body of one `PutTraceSegments` call carrying `documents`, each
/// already written as the contents of a JSON string
/// ([`Form::InJsonString`]): `{"TraceSegmentDocuments":["…","…"]}`, as the
/// trace worker sends it ([`crate::export::body`]). Public for the benches.
pub fn put_body(documents: &[String]) -> JsonBody {
    const HEAD: &[u8] = b"{\"TraceSegmentDocuments\":[";
    let len = documents.iter().map(|d| d.len() + 3).sum::<usize>();
    let mut json = Vec::with_capacity(HEAD.len() + len + 2);
    json.extend_from_slice(HEAD);
    for (i, d) in documents.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.push(b'"');
        json.extend_from_slice(d.as_bytes());
        json.push(b'"');
    }
    json.extend_from_slice(b"]}");
    JsonBody::from_json(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use telemetry_api::{Resource, SpanContext, SpanId, SpanKind, SpanStatus};

    fn span(id: u64, parent: Option<u64>, relayed_for: Option<Arc<Resource>>) -> SpanRecord {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        SpanRecord {
            context: SpanContext {
                trace_id: TraceId(0x6559_0000_0000_0000_0000_0000_0000_0001),
                span_id: SpanId(id),
                sampled: true,
                is_remote: false,
                trace_state: None,
            },
            parent_span_id: parent.map(SpanId),
            parent_is_remote: false,
            name: format!("span {id}").into(),
            kind: SpanKind::Internal,
            target: "rum",
            start_time: t0,
            end_time: t0 + Duration::from_millis(5),
            attributes: Vec::new(),
            events: Vec::new(),
            dropped_events: 0,
            status: SpanStatus::Unset,
            request_id: None,
            links: Vec::new(),
            relayed_for,
        }
    }

    /// A document in [`FORM`] read back: the string's contents, then JSON.
    fn json(d: &Doc) -> serde_json::Value {
        let text: String = serde_json::from_str(&format!("\"{}\"", d.text)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_relayed_trace_is_a_segment_named_for_its_producer_and_the_shops_are_the_shops() {
        let shop = Resource::new("shop", "1.0.0");
        let mut browser = Resource::new("shop-web", "1.0.0");
        browser.instance_id = String::new();
        let browser = Arc::new(browser);
        let mut assembler = Assembler::new(
            AwsResource::new(&shop, Some("AWS::EC2::Instance".into())),
            16,
        );
        let mut out = Vec::new();
        assembler.add(span(2, Some(1), Some(browser.clone())), &mut out);
        assembler.add(span(1, None, Some(browser)), &mut out);
        assembler.add(span(3, None, None), &mut out);
        let docs: Vec<serde_json::Value> = out.iter().map(json).collect();
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert_eq!(docs[0]["name"], "shop-web");
        assert!(docs[0].get("origin").is_none(), "{}", docs[0]);
        assert_eq!(docs[0]["subsegments"][0]["id"], "0000000000000002");
        assert_eq!(docs[1]["name"], "shop");
        assert_eq!(docs[1]["origin"], "AWS::EC2::Instance");
    }

    #[test]
    fn refused_documents_count_their_spans_and_an_unnamed_refusal_counts_at_least_one() {
        let docs = vec![("a".to_owned(), 10), ("b".to_owned(), 1)];
        let named = UnprocessedTraceSegment::builder()
            .id("a")
            .error_code("InvalidParameterException")
            .build();
        // moto's answer to a document that is not JSON: no id.
        let unreadable = UnprocessedTraceSegment::builder()
            .error_code("JSONFormatError")
            .message("Bad JSON data")
            .build();
        let unknown = UnprocessedTraceSegment::builder().id("zzz").build();
        assert_eq!(refused_spans(std::slice::from_ref(&named), &docs), 10);
        assert_eq!(refused_spans(std::slice::from_ref(&unreadable), &docs), 1);
        assert_eq!(
            refused_spans(&[named, unreadable.clone(), unknown], &docs),
            12
        );
        assert_eq!(refused_spans(&[], &docs), 0);
        assert_eq!(
            refused_reason(&unreadable),
            "document (no id) refused: JSONFormatError Bad JSON data"
        );
    }

    #[tokio::test]
    async fn the_body_is_the_json_the_sdk_writes() {
        use crate::export::body::sdk_json;
        // Documents with what needs escaping: quotes, backslashes, control
        // characters, non-ASCII.
        let texts = vec![
            r#"{"name":"shop","id":"0000000000000001","sql":{"sanitized_query":"SELECT \"a\" FROM t\n"}}"#.to_owned(),
            "{\"name\":\"caf\u{e9} \u{1f6d2}\",\"tab\":\"a\tb\u{1}\"}".to_owned(),
        ];
        let (seen, hook) = sdk_json::capture();
        let client = Client::new(&sdk_json::config());
        let sent = client
            .put_trace_segments()
            .set_trace_segment_documents(Some(texts.clone()))
            .customize()
            .mutate_request(hook)
            .send()
            .await;
        let sdk = sdk_json::written(&seen, sent.is_err());
        // Ours: the documents as the worker writes them (escaped, without
        // the quotes around them), framed by `put_body`.
        let nested: Vec<String> = texts
            .iter()
            .map(|t| {
                serde_json::to_string(t)
                    .unwrap()
                    .trim_matches('"')
                    .to_owned()
            })
            .collect();
        let ours = put_body(&nested);
        let ours: serde_json::Value = serde_json::from_slice(ours.bytes()).unwrap();
        assert_eq!(ours, sdk);
        assert_eq!(ours["TraceSegmentDocuments"][0], texts[0].as_str());
    }
}
