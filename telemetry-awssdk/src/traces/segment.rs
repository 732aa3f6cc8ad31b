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

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json, json};
use telemetry_api::record::SpanEvent;
use telemetry_api::semconv as sc;
use telemetry_api::value::{KeyValue, Value};
use telemetry_api::{SpanKind, SpanRecord, SpanStatus};

use super::ids::format_trace_id;
use crate::resource::AwsResource;

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
    sc::CLOUD_REGION,
];

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
    let tree = Tree::new(spans);
    let mut doc = span_document(ctx, root, true);
    let children: Vec<Json> = tree
        .children(root)
        .iter()
        .map(|c| tree.subsegment(ctx, c))
        .collect();
    if !children.is_empty() {
        doc.insert("subsegments".into(), Json::Array(children));
    }
    // Serialised in place: the common case (one document) copies nothing.
    let text = serde_json::to_string(&doc).expect("a JSON object with string keys serialises");
    if text.len() <= MAX_DOCUMENT_BYTES {
        return (vec![text], 0);
    }
    // Too big as one document: the segment, then each child tree separately.
    doc.remove("subsegments");
    let mut docs = vec![Json::Object(doc).to_string()];
    let mut too_big = 0;
    for child in tree.children(root) {
        let text = independent_subsegment(ctx, child, &tree);
        if text.len() <= MAX_DOCUMENT_BYTES {
            docs.push(text);
        } else {
            too_big += 1 + tree.descendants(child);
        }
    }
    (docs, too_big)
}

/// A subsegment sent on its own (its segment was sent earlier or will be):
/// `type: subsegment` with the trace and parent ids. Used for spans that
/// end after their local root, and for splitting big segments.
pub fn orphan_document(ctx: &AwsResource, span: &SpanRecord, spans: &[SpanRecord]) -> String {
    independent_subsegment(ctx, span, &Tree::new(spans))
}

fn independent_subsegment(ctx: &AwsResource, span: &SpanRecord, tree: &Tree<'_>) -> String {
    let mut doc = match tree.subsegment(ctx, span) {
        Json::Object(m) => m,
        _ => unreachable!("subsegments are objects"),
    };
    doc.insert("type".into(), json!("subsegment"));
    doc.insert(
        "trace_id".into(),
        json!(format_trace_id(span.context.trace_id)),
    );
    if let Some(parent) = span.parent_span_id {
        doc.insert("parent_id".into(), json!(parent.to_hex()));
    }
    Json::Object(doc).to_string()
}

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

    fn subsegment(&self, ctx: &AwsResource, span: &SpanRecord) -> Json {
        let mut doc = span_document(ctx, span, false);
        let children: Vec<Json> = self
            .children(span)
            .iter()
            .map(|c| self.subsegment(ctx, c))
            .collect();
        if !children.is_empty() {
            doc.insert("subsegments".into(), Json::Array(children));
        }
        Json::Object(doc)
    }
}

/// The fields of one segment (`is_segment`) or subsegment, without children.
fn span_document(ctx: &AwsResource, span: &SpanRecord, is_segment: bool) -> Map<String, Json> {
    let attr = |k: &str| span.attribute(k);
    let str_attr = |k: &str| attr(k).map(|v| v.to_string());
    let status_code = attr(sc::HTTP_RESPONSE_STATUS_CODE).and_then(Value::as_i64);
    let is_db = attr(sc::DB_SYSTEM_NAME).is_some();
    let is_aws = attr(sc::RPC_SYSTEM).and_then(Value::as_str) == Some("aws-api");
    let is_http = attr(sc::HTTP_REQUEST_METHOD).is_some();

    let mut doc = Map::new();
    let name = if is_segment {
        ctx.service_name.clone()
    } else if is_db {
        // X-Ray's convention for SQL subsegments: `database@host`; the shop's
        // database has no host name worth showing, so the system name.
        segment_name(
            &str_attr(sc::DB_NAMESPACE)
                .map(|ns| format!("{ns}@{}", str_attr(sc::DB_SYSTEM_NAME).unwrap_or_default()))
                .unwrap_or_else(|| str_attr(sc::DB_SYSTEM_NAME).unwrap_or_default()),
        )
    } else if is_aws {
        segment_name(&str_attr(sc::RPC_SERVICE).unwrap_or_else(|| span.name.to_string()))
    } else if is_http && span.kind == SpanKind::Client {
        // The remote service's node in the service map.
        segment_name(
            &str_attr(sc::PEER_SERVICE)
                .or_else(|| str_attr(sc::SERVER_ADDRESS))
                .unwrap_or_else(|| span.name.to_string()),
        )
    } else {
        segment_name(&span.name)
    };
    doc.insert("name".into(), json!(name));
    doc.insert("id".into(), json!(span.context.span_id.to_hex()));
    if is_segment {
        doc.insert(
            "trace_id".into(),
            json!(format_trace_id(span.context.trace_id)),
        );
        if let (Some(parent), true) = (span.parent_span_id, span.parent_is_remote) {
            doc.insert("parent_id".into(), json!(parent.to_hex()));
        }
    }
    doc.insert("start_time".into(), json!(epoch_seconds(span.start_time)));
    doc.insert("end_time".into(), json!(epoch_seconds(span.end_time)));
    if !is_segment {
        if is_aws {
            doc.insert("namespace".into(), json!("aws"));
        } else if is_db || (is_http && span.kind == SpanKind::Client) {
            doc.insert("namespace".into(), json!("remote"));
        }
    }

    // Blocks.
    if is_http {
        let mut request = Map::new();
        if let Some(m) = str_attr(sc::HTTP_REQUEST_METHOD) {
            request.insert("method".into(), json!(m));
        }
        if let Some(url) = full_url(span) {
            request.insert("url".into(), json!(url));
        }
        if let Some(ip) = str_attr(sc::CLIENT_ADDRESS) {
            request.insert("client_ip".into(), json!(ip));
        }
        if let Some(ua) = str_attr(sc::USER_AGENT_ORIGINAL) {
            request.insert("user_agent".into(), json!(ua));
        }
        if span.kind == SpanKind::Client {
            // The callee is instrumented and receives our trace header.
            request.insert("traced".into(), json!(true));
        }
        let mut http = Map::new();
        http.insert("request".into(), Json::Object(request));
        if let Some(code) = status_code {
            http.insert("response".into(), json!({ "status": code }));
        }
        doc.insert("http".into(), Json::Object(http));
    }
    if is_db {
        let mut sql = Map::new();
        if let Some(t) = str_attr(sc::DB_SYSTEM_NAME) {
            sql.insert("database_type".into(), json!(t));
        }
        if let Some(q) = str_attr(sc::DB_QUERY_TEXT) {
            sql.insert("sanitized_query".into(), json!(q));
        }
        // sqlx prepares every statement.
        sql.insert("preparation".into(), json!("statement"));
        doc.insert("sql".into(), Json::Object(sql));
    }
    if is_aws {
        let mut aws = Map::new();
        if let Some(op) = str_attr(sc::RPC_METHOD) {
            aws.insert("operation".into(), json!(op));
        }
        if let Some(r) = str_attr(sc::CLOUD_REGION) {
            aws.insert("region".into(), json!(r));
        }
        if let Some(id) = str_attr(sc::AWS_REQUEST_ID) {
            aws.insert("request_id".into(), json!(id));
        }
        doc.insert("aws".into(), Json::Object(aws));
    }
    if is_segment {
        if let Some(origin) = &ctx.origin {
            doc.insert("origin".into(), json!(origin));
        }
        doc.insert("service".into(), json!({ "version": ctx.service_version }));
        doc.insert(
            "aws".into(),
            json!({ "xray": { "sdk": "telemetry-awssdk (hand-written, Rust)", "sdk_version": ctx.sdk_version } }),
        );
    }

    // error / throttle / fault.
    let failed = matches!(span.status, SpanStatus::Error { .. });
    match status_code {
        Some(429) => {
            doc.insert("error".into(), json!(true));
            doc.insert("throttle".into(), json!(true));
        }
        Some(c) if (400..500).contains(&c) => {
            doc.insert("error".into(), json!(true));
        }
        Some(c) if c >= 500 => {
            doc.insert("fault".into(), json!(true));
        }
        _ if failed => {
            doc.insert("fault".into(), json!(true));
        }
        _ => {}
    }
    if let Some(cause) = cause(span, failed) {
        doc.insert("cause".into(), cause);
    }

    // Annotations and metadata.
    let mut annotations = Map::new();
    if is_segment {
        if let Some(c) = status_code {
            annotations.insert("status_class".into(), json!(format!("{}xx", c / 100)));
        }
        if let Some(id) = &span.request_id {
            annotations.insert("request_id".into(), json!(id.as_ref()));
        }
        annotations.insert("environment".into(), json!(ctx.environment));
    }
    let mut metadata = Map::new();
    for KeyValue { key, value } in &span.attributes {
        if let Some((_, name)) = ANNOTATIONS.iter().find(|(k, _)| k == key) {
            annotations.insert((*name).into(), annotation_value(value));
        } else if !IN_BLOCKS.contains(key) {
            metadata.insert((*key).into(), json!(value));
        }
    }
    if !annotations.is_empty() {
        doc.insert("annotations".into(), Json::Object(annotations));
    }
    let mut span_meta = Map::new();
    span_meta.insert("name".into(), json!(span.name));
    span_meta.insert("kind".into(), json!(span.kind.as_str()));
    span_meta.insert("scope".into(), json!(span.target));
    let events: Vec<Json> = span
        .events
        .iter()
        .filter(|e| !e.is_exception())
        .map(event_json)
        .collect();
    if !events.is_empty() {
        span_meta.insert("events".into(), Json::Array(events));
    }
    if span.dropped_events > 0 {
        span_meta.insert("dropped_events".into(), json!(span.dropped_events));
    }
    let mut namespaces = Map::new();
    if !metadata.is_empty() {
        namespaces.insert("attributes".into(), Json::Object(metadata));
    }
    namespaces.insert("span".into(), Json::Object(span_meta));
    doc.insert("metadata".into(), Json::Object(namespaces));
    doc
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

fn event_json(e: &SpanEvent) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(e.name));
    m.insert("time".into(), json!(epoch_seconds(e.timestamp)));
    m.insert("level".into(), json!(e.level.as_str()));
    for kv in &e.attributes {
        m.insert(kv.key.into(), json!(kv.value));
    }
    Json::Object(m)
}

/// Annotation values: strings (at most 1000 characters), numbers, booleans.
fn annotation_value(v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!(b),
        Value::I64(i) => json!(i),
        Value::F64(f) => json!(f),
        Value::Str(s) => json!(s.chars().take(1000).collect::<String>()),
    }
}

/// The request URL: `url.full` on client spans; scheme, host, path and
/// query on server spans.
fn full_url(span: &SpanRecord) -> Option<String> {
    if let Some(u) = span.attribute(sc::URL_FULL) {
        return Some(u.to_string());
    }
    let path = span.attribute(sc::URL_PATH)?.to_string();
    let scheme = span
        .attribute(sc::URL_SCHEME)
        .map_or_else(|| "http".to_owned(), |v| v.to_string());
    let host = span
        .attribute(sc::SERVER_ADDRESS)
        .map_or_else(|| "localhost".to_owned(), |v| v.to_string());
    let query = span
        .attribute(sc::URL_QUERY)
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    Some(format!("{scheme}://{host}{path}{query}"))
}

/// Seconds since the epoch with microseconds, as X-Ray wants times.
pub fn epoch_seconds(t: SystemTime) -> f64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_micros() as f64) / 1e6
}

/// X-Ray names allow Unicode letters and digits, whitespace and `_ . : / %
/// & # = + \ - @`, up to 200 characters; anything else becomes `_`.
pub fn segment_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    if cleaned.is_empty() {
        "unnamed".to_owned()
    } else {
        cleaned
    }
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
    fn names_are_cleaned_for_xray() {
        assert_eq!(
            segment_name("GET /api/products/{id}"),
            "GET /api/products/_id_"
        );
        assert_eq!(segment_name(""), "unnamed");
        assert_eq!(segment_name(&"a".repeat(300)).len(), 200);
    }
}
