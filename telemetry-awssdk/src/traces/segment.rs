//! Segment documents, written by hand: no maintained crate builds X-Ray's
//! JSON (there is no official X-Ray SDK for Rust).
//!
//! The shop's spans map to X-Ray like this (the crate README has the table):
//!
//! - the local root of a trace in this service (a server span, or a root)
//!   → a **segment** named after the service, with an `http` block, the
//!   `error`/`fault`/`throttle` flags from the status code and a `cause`
//!   built from exception events;
//! - every span below it → a **subsegment**, nested as the spans were:
//!   database spans with a `sql` block (`namespace: remote`), calls to
//!   other services with an `http` block (`namespace: remote`), calls to AWS
//!   services with an `aws` block (`namespace: aws`), the rest plain;
//! - a chosen set of attributes → `annotations` (indexed, searchable with
//!   filter expressions, at most 50); everything else → `metadata` (stored,
//!   not indexed), so nothing the shop recorded is lost.
//!
//! ## Why the documents are streamed, not built
//!
//! A document is written straight to text by [`Serialize`] impls that borrow
//! from the [`SpanRecord`]s: `serde_json` walks them once and escapes each
//! string as it goes. An earlier version built a `serde_json::Value` tree
//! first (one map per object, an owned `String` per key and value) and then
//! wrote that out; for the ~10 spans of a checkout that was about 310,000
//! instructions per request, the largest single cost of the `awssdk` build
//! (`benches/README.md`, "Where the time goes"). The bytes are the same
//! JSON; only the key order may differ, which JSON does not give meaning to.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value as Json, json};
use telemetry_api::record::SpanEvent;
use telemetry_api::semconv as sc;
use telemetry_api::value::{KeyValue, Value};
use telemetry_api::{SpanKind, SpanRecord, SpanStatus, TraceId};

use crate::export::body::InString;
use crate::resource::AwsResource;
use crate::traces::ids::{trace_id_bytes, write_hex};

/// X-Ray's limit on one segment document.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Attributes that become annotations, with the annotation key. Chosen
/// because they are what one filters traces by (`annotation.route =
/// "/api/orders"`), are low-cardinality or are the ids a person has in hand
/// (a request id from a response header or a log line, an order id from a
/// complaint); all other attributes go to metadata.
const ANNOTATIONS: &[(&str, &str)] = &[
    (sc::HTTP_ROUTE, "route"),
    (sc::SHOP_USER_TYPE, "user_type"),
    (sc::SHOP_ORDER_STATUS, "order_status"),
    (sc::SHOP_CHECKOUT_OUTCOME, "checkout_outcome"),
    (sc::SHOP_ORDER_ID, "order_id"),
    (sc::SHOP_PRODUCT_ID, "product_id"),
    (sc::SHOP_CATEGORY_ID, "category_id"),
    (sc::DB_OPERATION_NAME, "db_operation"),
    (sc::ERROR_TYPE, "error_type"),
    // Events (issue #16): filter a trace's hops by what they carried and how.
    (sc::SHOP_EVENT_TYPE, "event_type"),
    (sc::SHOP_EVENT_OUTCOME, "event_outcome"),
    (sc::SHOP_TRACE_CARRIER, "trace_carrier"),
];

/// Attributes already expressed by a block (`http`, `sql`, `aws`) and so not
/// repeated in metadata.
const IN_BLOCKS: &[&str] = &[
    sc::HTTP_REQUEST_METHOD,
    sc::HTTP_RESPONSE_STATUS_CODE,
    sc::URL_FULL,
    sc::URL_PATH,
    sc::URL_QUERY,
    sc::URL_SCHEME,
    sc::SERVER_ADDRESS,
    sc::CLIENT_ADDRESS,
    sc::USER_AGENT_ORIGINAL,
    sc::DB_SYSTEM_NAME,
    sc::DB_QUERY_TEXT,
    sc::RPC_SYSTEM,
    sc::RPC_SERVICE,
    sc::RPC_METHOD,
    sc::AWS_REQUEST_ID,
    sc::AWS_SQS_QUEUE_URL,
    sc::CLOUD_REGION,
];

/// How a document is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// JSON text, as X-Ray reads it.
    Json,
    /// The same text already escaped as the contents of a JSON string (no
    /// surrounding quotes), the way `PutTraceSegments` carries it: written
    /// in one pass ([`crate::export::body::InString`]) instead of written,
    /// then escaped again.
    InJsonString,
}

/// Builds the documents for one segment: the local root `root` and its
/// descendants `spans` (any order; spans that are not descendants of
/// `root` are ignored). Usually one document; when it would exceed
/// [`MAX_DOCUMENT_BYTES`], the segment is sent alone and each top-level
/// subsegment tree as its own document. Returns the documents and the
/// number of spans that could not be sent because even alone they were too
/// big.
pub fn segment_documents(
    ctx: &AwsResource,
    root: &SpanRecord,
    spans: &[SpanRecord],
) -> (Vec<String>, usize) {
    segment_documents_as(Form::Json, ctx, root, spans)
}

/// [`segment_documents`], written in `form`.
pub fn segment_documents_as(
    form: Form,
    ctx: &AwsResource,
    root: &SpanRecord,
    spans: &[SpanRecord],
) -> (Vec<String>, usize) {
    let tree = Tree::new(spans);
    let mut doc = Document {
        ctx,
        span: root,
        tree: &tree,
        shape: Shape::Segment,
        with_children: true,
    };
    let (text, len) = to_text(&doc, 1 + spans.len(), form);
    if len <= MAX_DOCUMENT_BYTES {
        return (vec![text], 0);
    }
    // Too big as one document: the segment, then each child tree separately.
    doc.with_children = false;
    let mut docs = vec![to_text(&doc, 1, form).0];
    let mut too_big = 0;
    for child in tree.children(root) {
        let spans = 1 + tree.descendants(child);
        let (text, len) = to_text(&Document::independent(ctx, child, &tree), spans, form);
        if len <= MAX_DOCUMENT_BYTES {
            docs.push(text);
        } else {
            too_big += spans;
        }
    }
    (docs, too_big)
}

/// A subsegment sent on its own (its segment was sent earlier or will be):
/// `type: subsegment` with the trace and parent ids. Used for spans that
/// end after their local root, and for splitting big segments.
pub fn orphan_document(ctx: &AwsResource, span: &SpanRecord, spans: &[SpanRecord]) -> String {
    orphan_document_as(Form::Json, ctx, span, spans)
}

/// [`orphan_document`], written in `form`.
pub fn orphan_document_as(
    form: Form,
    ctx: &AwsResource,
    span: &SpanRecord,
    spans: &[SpanRecord],
) -> String {
    let tree = Tree::new(spans);
    to_text(
        &Document::independent(ctx, span, &tree),
        1 + spans.len(),
        form,
    )
    .0
}

/// Bytes reserved per span before a document is written: the shop's
/// documents take 300 to 600 per span (a checkout's ~10 spans, ~5 KiB).
const BYTES_PER_SPAN: usize = 640;

/// The document in `form`, and its length as JSON text (what X-Ray's
/// limit counts), written into room for `spans` spans: grown from
/// `serde_json::to_string`'s 128 bytes, a request's document was moved
/// and reallocated about six times (`make profile`).
fn to_text(doc: &Document<'_>, spans: usize, form: Form) -> (String, usize) {
    let mut out = Vec::with_capacity((spans * BYTES_PER_SPAN).min(MAX_DOCUMENT_BYTES + 1));
    let len = match form {
        Form::Json => {
            serde_json::to_writer(&mut out, doc).expect(INFALLIBLE);
            out.len()
        }
        Form::InJsonString => {
            let mut added = 0;
            let mut ser =
                serde_json::Serializer::with_formatter(&mut out, InString::new(&mut added));
            doc.serialize(&mut ser).expect(INFALLIBLE);
            out.len() - added
        }
    };
    (
        String::from_utf8(out).expect("serde_json writes UTF-8"),
        len,
    )
}

const INFALLIBLE: &str = "segment documents have string keys and no failing values";

/// Spans by parent, children in start order.
struct Tree<'a> {
    by_parent: HashMap<u64, Vec<&'a SpanRecord>>,
}

impl<'a> Tree<'a> {
    fn new(spans: &'a [SpanRecord]) -> Tree<'a> {
        let mut by_parent: HashMap<u64, Vec<&SpanRecord>> = HashMap::new();
        for s in spans {
            if let (Some(p), false) = (s.parent_span_id, s.parent_is_remote) {
                by_parent.entry(p.0).or_default().push(s);
            }
        }
        for v in by_parent.values_mut() {
            v.sort_by_key(|s| s.start_time);
        }
        Tree { by_parent }
    }

    fn children(&self, span: &SpanRecord) -> &[&'a SpanRecord] {
        self.by_parent
            .get(&span.context.span_id.0)
            .map_or(&[], Vec::as_slice)
    }

    fn descendants(&self, span: &SpanRecord) -> usize {
        self.children(span)
            .iter()
            .map(|c| 1 + self.descendants(c))
            .sum()
    }
}

/// Which kind of document a span is written as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The local root: the segment, with the trace id and a remote parent.
    Segment,
    /// A subsegment inside its parent's `subsegments` array.
    Nested,
    /// A subsegment in a document of its own (`type: subsegment`, trace
    /// and parent ids).
    Independent,
}

/// One segment or subsegment, written with its descendants.
struct Document<'a> {
    ctx: &'a AwsResource,
    span: &'a SpanRecord,
    tree: &'a Tree<'a>,
    shape: Shape,
    /// False when the children are sent as documents of their own.
    with_children: bool,
}

impl<'a> Document<'a> {
    fn independent(ctx: &'a AwsResource, span: &'a SpanRecord, tree: &'a Tree<'a>) -> Self {
        Document {
            ctx,
            span,
            tree,
            shape: Shape::Independent,
            with_children: true,
        }
    }
}

/// What kind of operation a span describes, read once from its attributes.
struct Facts<'a> {
    status_code: Option<i64>,
    db_system: Option<&'a Value>,
    is_aws: bool,
    is_http: bool,
    failed: bool,
}

impl<'a> Facts<'a> {
    fn of(span: &'a SpanRecord) -> Self {
        Facts {
            status_code: span
                .attribute(sc::HTTP_RESPONSE_STATUS_CODE)
                .and_then(Value::as_i64),
            db_system: span.attribute(sc::DB_SYSTEM_NAME),
            is_aws: span.attribute(sc::RPC_SYSTEM).and_then(Value::as_str) == Some("aws-api"),
            is_http: span.attribute(sc::HTTP_REQUEST_METHOD).is_some(),
            failed: matches!(span.status, SpanStatus::Error { .. }),
        }
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.span;
        let is_segment = self.shape == Shape::Segment;
        let facts = Facts::of(span);
        let is_client_call = facts.is_http && span.kind == SpanKind::Client;
        let mut m = s.serialize_map(None)?;

        m.serialize_entry("name", &self.name(&facts))?;
        m.serialize_entry("id", &Hex16(span.context.span_id.0))?;
        match self.shape {
            Shape::Segment => {
                m.serialize_entry("trace_id", &XrayTraceId(span.context.trace_id))?;
                if let (Some(parent), true) = (span.parent_span_id, span.parent_is_remote) {
                    m.serialize_entry("parent_id", &Hex16(parent.0))?;
                }
            }
            Shape::Independent => {
                m.serialize_entry("type", "subsegment")?;
                m.serialize_entry("trace_id", &XrayTraceId(span.context.trace_id))?;
                if let Some(parent) = span.parent_span_id {
                    m.serialize_entry("parent_id", &Hex16(parent.0))?;
                }
            }
            Shape::Nested => {}
        }
        m.serialize_entry("start_time", &epoch_seconds(span.start_time))?;
        m.serialize_entry("end_time", &epoch_seconds(span.end_time))?;
        if !is_segment {
            if facts.is_aws {
                m.serialize_entry("namespace", "aws")?;
            } else if facts.db_system.is_some() || is_client_call {
                m.serialize_entry("namespace", "remote")?;
            }
        }

        // Blocks.
        if facts.is_http {
            m.serialize_entry(
                "http",
                &HttpBlock {
                    span,
                    status_code: facts.status_code,
                },
            )?;
        }
        if facts.db_system.is_some() {
            m.serialize_entry("sql", &SqlBlock(span))?;
        }
        if is_segment {
            if let Some(origin) = &self.ctx.origin {
                m.serialize_entry("origin", origin)?;
            }
            m.serialize_entry(
                "service",
                &ServiceBlock {
                    version: &self.ctx.service_version,
                },
            )?;
            m.serialize_entry(
                "aws",
                &SdkBlock {
                    xray: SdkInfo {
                        sdk: "telemetry-awssdk (hand-written, Rust)",
                        sdk_version: self.ctx.sdk_version,
                    },
                },
            )?;
        } else if facts.is_aws {
            m.serialize_entry("aws", &AwsCallBlock(span))?;
        }

        // error / throttle / fault.
        match facts.status_code {
            Some(429) => {
                m.serialize_entry("error", &true)?;
                m.serialize_entry("throttle", &true)?;
            }
            Some(c) if (400..500).contains(&c) => m.serialize_entry("error", &true)?,
            Some(c) if c >= 500 => m.serialize_entry("fault", &true)?,
            _ if facts.failed => m.serialize_entry("fault", &true)?,
            _ => {}
        }
        // Rare (failed spans only), so built as a `Value`.
        if let Some(cause) = cause(span, facts.failed) {
            m.serialize_entry("cause", &cause)?;
        }

        let annotations = Annotations {
            ctx: self.ctx,
            span,
            is_segment,
            status_code: facts.status_code,
        };
        if annotations.any() {
            m.serialize_entry("annotations", &annotations)?;
        }
        m.serialize_entry("metadata", &Metadata(span))?;

        let children = if self.with_children {
            self.tree.children(span)
        } else {
            &[]
        };
        if !children.is_empty() {
            m.serialize_entry(
                "subsegments",
                &Subsegments {
                    ctx: self.ctx,
                    tree: self.tree,
                    spans: children,
                },
            )?;
        }
        m.end()
    }
}

impl<'a> Document<'a> {
    /// The node's name in the service map.
    fn name(&self, facts: &Facts<'a>) -> Cow<'a, str> {
        let span = self.span;
        if self.shape == Shape::Segment {
            return Cow::Borrowed(&self.ctx.service_name);
        }
        if let Some(system) = facts.db_system {
            // X-Ray's convention for SQL subsegments: `database@host`; the
            // shop's database has no host name worth showing, so the system
            // name.
            return match span.attribute(sc::DB_NAMESPACE) {
                Some(ns) => Cow::Owned(segment_name(&format!("{ns}@{system}")).into_owned()),
                None => owned_name(text(system)),
            };
        }
        if facts.is_aws {
            return match span.attribute(sc::RPC_SERVICE) {
                Some(service) => owned_name(text(service)),
                None => segment_name(&span.name),
            };
        }
        if facts.is_http && span.kind == SpanKind::Client {
            // The remote service's node in the service map.
            return match span
                .attribute(sc::PEER_SERVICE)
                .or_else(|| span.attribute(sc::SERVER_ADDRESS))
            {
                Some(peer) => owned_name(text(peer)),
                None => segment_name(&span.name),
            };
        }
        segment_name(&span.name)
    }
}

/// A name cleaned for X-Ray, from text that may itself be borrowed or owned.
fn owned_name(t: Cow<'_, str>) -> Cow<'_, str> {
    match t {
        Cow::Borrowed(b) => segment_name(b),
        Cow::Owned(o) => Cow::Owned(segment_name(&o).into_owned()),
    }
}

/// A value as text, borrowed when it is a string.
fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Str(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// A value written as a JSON string, whatever its type.
struct AsText<'a>(&'a Value);

impl Serialize for AsText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Str(v) => s.serialize_str(v),
            other => s.collect_str(other),
        }
    }
}

/// A span id: 16 lowercase hex digits, written without an allocation.
struct Hex16(u64);

impl Serialize for Hex16 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 16];
        write_hex(&mut buf, u128::from(self.0));
        s.serialize_str(std::str::from_utf8(&buf).expect("hex digits are ASCII"))
    }
}

/// X-Ray's form of a trace id, `1-5759e988-bd862e3fe1be46a994272793`: the
/// 128 bits with the first 32 (the epoch seconds) split off.
struct XrayTraceId(TraceId);

impl Serialize for XrayTraceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let buf = trace_id_bytes(self.0);
        s.serialize_str(std::str::from_utf8(&buf).expect("hex digits are ASCII"))
    }
}

/// `http`: the request (method, URL, client, user agent) and the status.
struct HttpBlock<'a> {
    span: &'a SpanRecord,
    status_code: Option<i64>,
}

impl Serialize for HttpBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("request", &HttpRequest(self.span))?;
        if let Some(code) = self.status_code {
            m.serialize_entry("response", &HttpResponse { status: code })?;
        }
        m.end()
    }
}

struct HttpRequest<'a>(&'a SpanRecord);

impl Serialize for HttpRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.0;
        let mut m = s.serialize_map(None)?;
        if let Some(method) = span.attribute(sc::HTTP_REQUEST_METHOD) {
            m.serialize_entry("method", &AsText(method))?;
        }
        if let Some(url) = full_url(span) {
            m.serialize_entry("url", &url)?;
        }
        if let Some(ip) = span.attribute(sc::CLIENT_ADDRESS) {
            m.serialize_entry("client_ip", &AsText(ip))?;
        }
        if let Some(ua) = span.attribute(sc::USER_AGENT_ORIGINAL) {
            m.serialize_entry("user_agent", &AsText(ua))?;
        }
        if span.kind == SpanKind::Client {
            // The callee is instrumented and receives our trace header.
            m.serialize_entry("traced", &true)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct HttpResponse {
    status: i64,
}

/// `sql`: the database type and the query as prepared (sqlx prepares every
/// statement, and the shop binds every value, so the text holds no data).
struct SqlBlock<'a>(&'a SpanRecord);

impl Serialize for SqlBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(t) = self.0.attribute(sc::DB_SYSTEM_NAME) {
            m.serialize_entry("database_type", &AsText(t))?;
        }
        if let Some(q) = self.0.attribute(sc::DB_QUERY_TEXT) {
            m.serialize_entry("sanitized_query", &AsText(q))?;
        }
        m.serialize_entry("preparation", "statement")?;
        m.end()
    }
}

/// `aws` on a call to an AWS service: operation, region, request id.
struct AwsCallBlock<'a>(&'a SpanRecord);

impl Serialize for AwsCallBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (key, attribute) in [
            ("operation", sc::RPC_METHOD),
            ("region", sc::CLOUD_REGION),
            ("request_id", sc::AWS_REQUEST_ID),
            ("queue_url", sc::AWS_SQS_QUEUE_URL),
        ] {
            if let Some(v) = self.0.attribute(attribute) {
                m.serialize_entry(key, &AsText(v))?;
            }
        }
        m.end()
    }
}

#[derive(Serialize)]
struct ServiceBlock<'a> {
    version: &'a str,
}

/// `aws.xray` on a segment: which SDK wrote it.
#[derive(Serialize)]
struct SdkBlock {
    xray: SdkInfo,
}

#[derive(Serialize)]
struct SdkInfo {
    sdk: &'static str,
    sdk_version: &'static str,
}

/// True when no later attribute has the same key, so that a key recorded
/// twice is written once, with its last value.
fn is_last_of_key(attributes: &[KeyValue], i: usize) -> bool {
    let key = attributes[i].key;
    !attributes[i + 1..].iter().any(|kv| kv.key == key)
}

fn annotation_key(key: &str) -> Option<&'static str> {
    ANNOTATIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, name)| *name)
}

/// `annotations`: on a segment the status class, request id and
/// environment; on every document the [`ANNOTATIONS`] attributes.
struct Annotations<'a> {
    ctx: &'a AwsResource,
    span: &'a SpanRecord,
    is_segment: bool,
    status_code: Option<i64>,
}

impl Annotations<'_> {
    fn any(&self) -> bool {
        self.is_segment
            || self
                .span
                .attributes
                .iter()
                .any(|kv| annotation_key(kv.key).is_some())
    }
}

impl Serialize for Annotations<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if self.is_segment {
            if let Some(c) = self.status_code {
                m.serialize_entry("status_class", &StatusClass(c))?;
            }
            if let Some(id) = &self.span.request_id {
                m.serialize_entry("request_id", &**id)?;
            }
            m.serialize_entry("environment", &self.ctx.environment)?;
        }
        let attributes = &self.span.attributes;
        for (i, kv) in attributes.iter().enumerate() {
            if let Some(name) = annotation_key(kv.key)
                && is_last_of_key(attributes, i)
            {
                m.serialize_entry(name, &AnnotationValue(&kv.value))?;
            }
        }
        m.end()
    }
}

/// `2xx`, `4xx`, … from a status code.
struct StatusClass(i64);

impl Serialize for StatusClass {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}xx", self.0 / 100))
    }
}

/// Annotation values: strings (at most 1000 characters), numbers, booleans.
struct AnnotationValue<'a>(&'a Value);

impl Serialize for AnnotationValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Str(v) => s.serialize_str(
                v.char_indices()
                    .nth(1000)
                    .map_or(&**v, |(end, _)| &v[..end]),
            ),
            other => other.serialize(s),
        }
    }
}

/// `metadata`: `attributes` (every attribute not already an annotation or
/// in a block) and `span` (name, kind, scope, events), so nothing the shop
/// recorded is lost.
struct Metadata<'a>(&'a SpanRecord);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.0;
        let mut m = s.serialize_map(None)?;
        if span.attributes.iter().any(is_plain_metadata) {
            m.serialize_entry("attributes", &PlainAttributes(&span.attributes))?;
        }
        m.serialize_entry("span", &SpanMetadata(span))?;
        m.end()
    }
}

fn is_plain_metadata(kv: &KeyValue) -> bool {
    annotation_key(kv.key).is_none() && !IN_BLOCKS.contains(&kv.key)
}

struct PlainAttributes<'a>(&'a [KeyValue]);

impl Serialize for PlainAttributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (i, kv) in self.0.iter().enumerate() {
            if is_plain_metadata(kv) && is_last_of_key(self.0, i) {
                m.serialize_entry(kv.key, &kv.value)?;
            }
        }
        m.end()
    }
}

struct SpanMetadata<'a>(&'a SpanRecord);

impl Serialize for SpanMetadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &span.name)?;
        m.serialize_entry("kind", span.kind.as_str())?;
        m.serialize_entry("scope", span.target)?;
        if span.events.iter().any(|e| !e.is_exception()) {
            m.serialize_entry("events", &Events(&span.events))?;
        }
        if span.dropped_events > 0 {
            m.serialize_entry("dropped_events", &span.dropped_events)?;
        }
        // X-Ray has no span links (a finding of the comparison): they are
        // kept as metadata, `trace_id/span_id` in X-Ray's spelling, which no
        // X-Ray view follows.
        if !span.links.is_empty() {
            m.serialize_entry("links", &Links(&span.links))?;
        }
        m.end()
    }
}

struct Links<'a>(&'a [telemetry_api::SpanContext]);

impl Serialize for Links<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            let t = c.trace_id.0;
            seq.serialize_element(&format!(
                "1-{:08x}-{:024x}/{:016x}",
                t >> 96,
                t & ((1u128 << 96) - 1),
                c.span_id.0
            ))?;
        }
        seq.end()
    }
}

/// The span's events that are not exceptions (those go to `cause`).
struct Events<'a>(&'a [SpanEvent]);

impl Serialize for Events<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for e in self.0.iter().filter(|e| !e.is_exception()) {
            seq.serialize_element(&Event(e))?;
        }
        seq.end()
    }
}

/// One event: `name`, `time`, `level` and its attributes; an attribute
/// with one of those three keys takes the place of the field.
struct Event<'a>(&'a SpanEvent);

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let has = |k: &str| e.attributes.iter().any(|kv| kv.key == k);
        let mut m = s.serialize_map(None)?;
        if !has("name") {
            m.serialize_entry("name", &e.name)?;
        }
        if !has("time") {
            m.serialize_entry("time", &epoch_seconds(e.timestamp))?;
        }
        if !has("level") {
            m.serialize_entry("level", e.level.as_str())?;
        }
        for (i, kv) in e.attributes.iter().enumerate() {
            if is_last_of_key(&e.attributes, i) {
                m.serialize_entry(kv.key, &kv.value)?;
            }
        }
        m.end()
    }
}

/// `subsegments`: the children, each with its own children.
struct Subsegments<'a> {
    ctx: &'a AwsResource,
    tree: &'a Tree<'a>,
    spans: &'a [&'a SpanRecord],
}

impl Serialize for Subsegments<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.spans.len()))?;
        for &span in self.spans {
            seq.serialize_element(&Document {
                ctx: self.ctx,
                span,
                tree: self.tree,
                shape: Shape::Nested,
                with_children: true,
            })?;
        }
        seq.end()
    }
}

/// `cause.exceptions` from exception events; for a failed span without
/// one, a single exception carrying the status description.
fn cause(span: &SpanRecord, failed: bool) -> Option<Json> {
    let mut exceptions: Vec<Json> = span
        .events
        .iter()
        .filter(|e| e.is_exception())
        .map(|e| {
            let get = |k| telemetry_api::value::find(&e.attributes, k).map(|v| v.to_string());
            let mut ex = Map::new();
            ex.insert(
                "id".into(),
                json!(format!("{:016x}", rand::random::<u64>())),
            );
            ex.insert(
                "message".into(),
                json!(get(sc::EXCEPTION_MESSAGE).unwrap_or_else(|| e.name.to_string())),
            );
            if let Some(t) = get(sc::EXCEPTION_TYPE) {
                ex.insert("type".into(), json!(t));
            }
            if let Some(stack) = get(sc::EXCEPTION_STACKTRACE) {
                let frames: Vec<Json> = stack
                    .lines()
                    .take(50)
                    .map(|l| json!({ "label": l.trim() }))
                    .collect();
                ex.insert("stack".into(), Json::Array(frames));
            }
            if span.kind == SpanKind::Client {
                ex.insert("remote".into(), json!(true));
            }
            Json::Object(ex)
        })
        .collect();
    if exceptions.is_empty() {
        let SpanStatus::Error { description } = &span.status else {
            return None;
        };
        if !failed {
            return None;
        }
        exceptions.push(json!({
            "id": format!("{:016x}", rand::random::<u64>()),
            "message": description,
            "type": span.attribute(sc::ERROR_TYPE).map(|v| v.to_string()).unwrap_or_else(|| "error".into()),
            "remote": span.kind == SpanKind::Client,
        }));
    }
    Some(json!({ "exceptions": exceptions }))
}

/// The request URL: `url.full` on client spans; scheme, host, path and
/// query on server spans.
fn full_url(span: &SpanRecord) -> Option<Cow<'_, str>> {
    if let Some(u) = span.attribute(sc::URL_FULL) {
        return Some(text(u));
    }
    let path = span.attribute(sc::URL_PATH)?;
    let scheme = span
        .attribute(sc::URL_SCHEME)
        .map_or(Cow::Borrowed("http"), text);
    let host = span
        .attribute(sc::SERVER_ADDRESS)
        .map_or(Cow::Borrowed("localhost"), text);
    Some(Cow::Owned(match span.attribute(sc::URL_QUERY) {
        Some(q) => format!("{scheme}://{host}{path}?{q}"),
        None => format!("{scheme}://{host}{path}"),
    }))
}

/// Seconds since the epoch with microseconds, as X-Ray wants times.
pub fn epoch_seconds(t: SystemTime) -> f64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_micros() as f64) / 1e6
}

/// X-Ray names allow Unicode letters and digits, whitespace and `_ . : / %
/// & # = + \ - @`, up to 200 characters; anything else becomes `_`. Borrows
/// when the name is already clean.
pub fn segment_name(s: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(
                c,
                '_' | '.' | ':' | '/' | '%' | '&' | '#' | '=' | '+' | '\\' | '-' | '@'
            )
    };
    if s.is_empty() {
        return Cow::Borrowed("unnamed");
    }
    if s.chars()
        .take(201)
        .enumerate()
        .all(|(i, c)| i < 200 && allowed(c))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if allowed(c) { c } else { '_' })
            .take(200)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::time::Duration;
    use telemetry_api::{SpanContext, SpanId, TraceId};

    fn ctx() -> AwsResource {
        AwsResource {
            service_name: "shop-orders".into(),
            service_version: "0.1.0".into(),
            environment: "test".into(),
            origin: Some("AWS::ECS::Container".into()),
            sdk_version: "0.1.0",
        }
    }

    fn span(
        id: u64,
        parent: Option<u64>,
        remote: bool,
        kind: SpanKind,
        attrs: Vec<KeyValue>,
    ) -> SpanRecord {
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
            parent_is_remote: remote,
            name: Cow::Owned(format!("span {id}")),
            kind,
            target: "shop::test",
            start_time: t0 + Duration::from_millis(id),
            end_time: t0 + Duration::from_millis(100 + id),
            attributes: attrs,
            events: Vec::new(),
            dropped_events: 0,
            status: SpanStatus::Unset,
            request_id: Some("req-1".into()),
            links: Vec::new(),
            relayed_for: None,
        }
    }

    #[test]
    fn a_request_becomes_one_segment_with_nested_subsegments() {
        let root = span(
            1,
            Some(0xaa),
            true,
            SpanKind::Server,
            vec![
                KeyValue::new(sc::HTTP_REQUEST_METHOD, "POST"),
                KeyValue::new(sc::HTTP_ROUTE, "/api/orders"),
                KeyValue::new(sc::URL_PATH, "/api/orders"),
                KeyValue::new(sc::SERVER_ADDRESS, "127.0.0.1:8082"),
                KeyValue::new(sc::CLIENT_ADDRESS, "10.0.0.9"),
                KeyValue::new(sc::HTTP_RESPONSE_STATUS_CODE, 409u16),
                KeyValue::new(sc::SHOP_CART_ID, "c-1"),
            ],
        );
        let db = span(
            2,
            Some(1),
            false,
            SpanKind::Client,
            vec![
                KeyValue::new(sc::DB_SYSTEM_NAME, "sqlite"),
                KeyValue::new(sc::DB_QUERY_TEXT, "SELECT * FROM products WHERE id = ?"),
                KeyValue::new(sc::DB_OPERATION_NAME, "SELECT"),
            ],
        );
        let call = span(
            3,
            Some(1),
            false,
            SpanKind::Client,
            vec![
                KeyValue::new(sc::HTTP_REQUEST_METHOD, "POST"),
                KeyValue::new(sc::URL_FULL, "http://127.0.0.1:8083/api/inventory/check"),
                KeyValue::new(sc::PEER_SERVICE, "shop-inventory"),
                KeyValue::new(sc::HTTP_RESPONSE_STATUS_CODE, 503u16),
                KeyValue::new(sc::ERROR_TYPE, "503"),
            ],
        );
        let nested = span(4, Some(3), false, SpanKind::Internal, vec![]);
        let (docs, too_big) = segment_documents(&ctx(), &root, &[nested, call, db]);
        assert_eq!((docs.len(), too_big), (1, 0));
        let d: Json = serde_json::from_str(&docs[0]).unwrap();
        assert_eq!(d["name"], "shop-orders");
        assert_eq!(d["origin"], "AWS::ECS::Container");
        assert_eq!(d["id"], "0000000000000001");
        assert_eq!(d["trace_id"], "1-65590000-000000000000000000000001");
        assert_eq!(d["parent_id"], "00000000000000aa");
        assert_eq!(d["start_time"], 1_700_000_000.001);
        assert_eq!(d["http"]["request"]["method"], "POST");
        assert_eq!(
            d["http"]["request"]["url"],
            "http://127.0.0.1:8082/api/orders"
        );
        assert_eq!(d["http"]["request"]["client_ip"], "10.0.0.9");
        assert_eq!(d["http"]["response"]["status"], 409);
        assert_eq!(d["error"], true);
        assert!(d.get("fault").is_none());
        assert_eq!(d["annotations"]["route"], "/api/orders");
        assert_eq!(d["annotations"]["status_class"], "4xx");
        assert_eq!(d["annotations"]["request_id"], "req-1");
        assert_eq!(d["metadata"]["attributes"]["shop.cart.id"], "c-1");
        assert!(d["metadata"]["attributes"].get(sc::URL_PATH).is_none());

        let subs = d["subsegments"].as_array().unwrap();
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0]["name"], "sqlite");
        assert_eq!(subs[0]["namespace"], "remote");
        assert_eq!(subs[0]["sql"]["database_type"], "sqlite");
        assert_eq!(
            subs[0]["sql"]["sanitized_query"],
            "SELECT * FROM products WHERE id = ?"
        );
        assert_eq!(subs[0]["annotations"]["db_operation"], "SELECT");
        assert_eq!(subs[1]["name"], "shop-inventory");
        assert_eq!(subs[1]["namespace"], "remote");
        assert_eq!(
            subs[1]["http"]["request"]["url"],
            "http://127.0.0.1:8083/api/inventory/check"
        );
        assert_eq!(subs[1]["http"]["response"]["status"], 503);
        assert_eq!(subs[1]["fault"], true);
        assert_eq!(subs[1]["subsegments"][0]["id"], "0000000000000004");
        assert!(subs[1].get("trace_id").is_none());
    }

    #[test]
    fn errors_carry_a_cause_and_aws_calls_an_aws_block() {
        let mut failed = span(
            1,
            None,
            false,
            SpanKind::Server,
            vec![
                KeyValue::new(sc::HTTP_RESPONSE_STATUS_CODE, 500u16),
                KeyValue::new(sc::ERROR_TYPE, "500"),
            ],
        );
        failed.status = SpanStatus::Error {
            description: "500".into(),
        };
        failed.events.push(SpanEvent {
            name: Cow::Borrowed("panic"),
            timestamp: failed.start_time,
            level: tracing::Level::ERROR,
            attributes: vec![
                KeyValue::new(sc::EXCEPTION_TYPE, "panic"),
                KeyValue::new(sc::EXCEPTION_MESSAGE, "boom"),
            ],
        });
        let (docs, _) = segment_documents(&ctx(), &failed, &[]);
        let d: Json = serde_json::from_str(&docs[0]).unwrap();
        assert_eq!(d["fault"], true);
        assert!(d.get("parent_id").is_none());
        assert_eq!(d["cause"]["exceptions"][0]["message"], "boom");
        assert_eq!(d["cause"]["exceptions"][0]["type"], "panic");

        let throttled = span(
            5,
            None,
            false,
            SpanKind::Server,
            vec![KeyValue::new(sc::HTTP_RESPONSE_STATUS_CODE, 429u16)],
        );
        let d: Json =
            serde_json::from_str(&segment_documents(&ctx(), &throttled, &[]).0[0]).unwrap();
        assert_eq!(
            (d["error"].clone(), d["throttle"].clone()),
            (json!(true), json!(true))
        );

        let aws = span(
            7,
            Some(1),
            false,
            SpanKind::Client,
            vec![
                KeyValue::new(sc::RPC_SYSTEM, "aws-api"),
                KeyValue::new(sc::RPC_SERVICE, "SES"),
                KeyValue::new(sc::RPC_METHOD, "SendEmail"),
                KeyValue::new(sc::CLOUD_REGION, "us-east-1"),
            ],
        );
        let orphan: Json = serde_json::from_str(&orphan_document(&ctx(), &aws, &[])).unwrap();
        assert_eq!(orphan["type"], "subsegment");
        assert_eq!(orphan["namespace"], "aws");
        assert_eq!(orphan["name"], "SES");
        assert_eq!(orphan["aws"]["operation"], "SendEmail");
        assert_eq!(orphan["parent_id"], "0000000000000001");
        assert_eq!(orphan["trace_id"], "1-65590000-000000000000000000000001");
    }

    #[test]
    fn oversized_segments_are_split_into_independent_subsegments() {
        let root = span(1, None, false, SpanKind::Server, vec![]);
        let big = "x".repeat(20_000);
        let children: Vec<SpanRecord> = (2..8)
            .map(|i| {
                span(
                    i,
                    Some(1),
                    false,
                    SpanKind::Internal,
                    vec![KeyValue::new(sc::SHOP_CART_ID, big.clone())],
                )
            })
            .collect();
        let (docs, too_big) = segment_documents(&ctx(), &root, &children);
        assert_eq!((docs.len(), too_big), (7, 0));
        for d in &docs {
            assert!(d.len() <= MAX_DOCUMENT_BYTES);
        }
        let sub: Json = serde_json::from_str(&docs[1]).unwrap();
        assert_eq!(sub["type"], "subsegment");
        assert_eq!(sub["parent_id"], "0000000000000001");
    }

    #[test]
    fn the_limit_is_on_the_document_not_on_its_escaped_form() {
        // 20,000 quotes: ~40 KB as JSON text (`\"` each), ~80 KB escaped
        // again for PutTraceSegments. X-Ray counts the document: one.
        let root = span(
            1,
            None,
            false,
            SpanKind::Server,
            vec![KeyValue::new(sc::SHOP_CART_ID, "\"".repeat(20_000))],
        );
        let (docs, _) = segment_documents(&ctx(), &root, &[]);
        let (nested, too_big) = segment_documents_as(Form::InJsonString, &ctx(), &root, &[]);
        assert!(docs[0].len() <= MAX_DOCUMENT_BYTES && nested[0].len() > MAX_DOCUMENT_BYTES);
        assert_eq!((nested.len(), too_big), (1, 0));
        assert_eq!(
            format!("\"{}\"", nested[0]),
            serde_json::to_string(&docs[0]).unwrap()
        );
    }

    #[test]
    fn any_attribute_text_gives_valid_json_with_each_key_once() {
        let long = "é".repeat(1500);
        let mut root = span(
            1,
            None,
            false,
            SpanKind::Server,
            vec![
                KeyValue::new(sc::HTTP_ROUTE, "/api/\"quoted\"\n\\path"),
                KeyValue::new(sc::SHOP_CART_ID, "first"),
                KeyValue::new(sc::SHOP_CART_ID, "second"),
                KeyValue::new(sc::SHOP_ORDER_ID, long),
            ],
        );
        root.events.push(SpanEvent {
            name: Cow::Borrowed("stock reserved"),
            timestamp: root.start_time,
            level: tracing::Level::INFO,
            attributes: vec![KeyValue::new(sc::SHOP_PRODUCT_ID, 7i64)],
        });
        root.dropped_events = 2;
        root.attributes.push(KeyValue::new(
            "shop.note",
            "tab\there, \u{1f} and \u{7f}, a / and 🛒",
        ));
        let (docs, _) = segment_documents(&ctx(), &root, &[]);
        let d: Json = serde_json::from_str(&docs[0]).unwrap();
        assert_eq!(
            d["metadata"]["attributes"]["shop.note"],
            "tab\there, \u{1f} and \u{7f}, a / and 🛒"
        );
        // Written as the contents of a JSON string, it is that text escaped:
        // byte for byte what serialising the text as a string gives.
        let (nested, _) = segment_documents_as(Form::InJsonString, &ctx(), &root, &[]);
        assert_eq!(
            format!("\"{}\"", nested[0]),
            serde_json::to_string(&docs[0]).unwrap()
        );
        assert_eq!(d["annotations"]["route"], "/api/\"quoted\"\n\\path");
        // A key recorded twice is written once, with the value recorded last.
        assert_eq!(d["metadata"]["attributes"][sc::SHOP_CART_ID], "second");
        assert_eq!(docs[0].matches(sc::SHOP_CART_ID).count(), 1);
        // Annotation strings are cut at 1000 characters, not bytes.
        let order_id = d["annotations"]["order_id"].as_str().unwrap();
        assert_eq!(order_id.chars().count(), 1000);
        let meta = &d["metadata"]["span"];
        assert_eq!(
            (
                meta["name"].clone(),
                meta["kind"].clone(),
                meta["scope"].clone()
            ),
            (json!("span 1"), json!("server"), json!("shop::test"))
        );
        assert_eq!(meta["events"][0]["name"], "stock reserved");
        assert_eq!(meta["events"][0]["level"], "INFO");
        assert_eq!(meta["events"][0]["time"], 1_700_000_000.001);
        assert_eq!(meta["events"][0][sc::SHOP_PRODUCT_ID], 7);
        assert_eq!(meta["dropped_events"], 2);
        assert_eq!(d["aws"]["xray"]["sdk_version"], "0.1.0");
        assert_eq!(d["service"]["version"], "0.1.0");
        assert_eq!(d["annotations"]["environment"], "test");
    }

    #[test]
    fn names_are_cleaned_for_xray() {
        assert_eq!(
            segment_name("GET /api/products/{id}"),
            "GET /api/products/_id_"
        );
        assert_eq!(segment_name(""), "unnamed");
        assert_eq!(segment_name(&"a".repeat(300)).len(), 200);
    }
}
