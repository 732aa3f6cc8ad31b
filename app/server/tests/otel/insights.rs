//! The otel backend's saved Logs Insights queries (terraform/modules/observability/queries/otel,
//! O-LOG-05): their syntax and their meaning, over the log events the collector's
//! `awscloudwatchlogs` exporter would write for the records the lab's collector delivered.
//!
//! No otel log record reaches CloudWatch Logs in the lab: its collector is built without the AWS
//! exporters (collector/aws.yaml, docs/lab.md), and LocalStack's Logs Insights would ignore
//! `filter` and `stats` anyway (docs/lab.md#gap-logs-insights). So, black box from HTTP in to
//! OTLP out: the shop is driven through the real pipeline (shop → the lab's collector → the
//! capture receiver, which decodes with the official OTLP types), every delivered record is
//! turned into the JSON document the exporter writes for it ([`cw_log`]), the document's fields
//! are named as Logs Insights discovers them ([`discovered_fields`]), and each query runs
//! through the project's evaluator (`tests/insights_eval`, the one the awssdk queries run
//! through).
//!
//! The conversion is the only hand-written part: it follows the exporter's `logToCWLog` and its
//! struct `cwLogBody` (`exporter/awscloudwatchlogsexporter/exporter.go` of
//! opentelemetry-collector-contrib, commit `d82fcbbc67000fe10b4636831b9fb97d7ab284dc`, as
//! docs/dashboards.md#log-derived-counts-and-saved-queries-per-backend records it), and
//! [`the_conversion_writes_what_the_exporters_own_test_expects`] holds it to the documents the
//! exporter's own test expects.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::{Map, Value, json};

use crate::common::{ShopOptions, ShopProcess, TempDir};
use crate::insights_eval::{Query, compare, saved_queries};
use crate::lab::{Http, Pipeline, order_body};

// --- the exporter's document, and the fields Logs Insights finds in it -------------------------

/// A value as the exporter writes it: pdata's `Value.AsRaw()` encoded by Go's `encoding/json`.
/// `None` where `json.Marshal` fails (a NaN or an infinity): the exporter then skips the record
/// ("Failed to convert to CloudWatch Log").
///
/// Two differences of spelling, not of value, remain: Go writes a whole double as `1` where
/// serde writes `1.0`, and escapes `<`, `>` and `&` as `\u003c`…; Logs Insights reads the same
/// number and the same string from either.
fn raw(value: Option<&AnyValue>) -> Option<Value> {
    use any_value::Value as V;
    Some(match value.and_then(|v| v.value.as_ref()) {
        // An empty value is Go's nil. The profiling signal's string-table reference means
        // nothing outside profiles (the proto says to treat it as absent).
        None | Some(V::StringValueStrindex(_)) => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => json!(i),
        Some(V::DoubleValue(d)) => Value::Number(serde_json::Number::from_f64(*d)?),
        Some(V::ArrayValue(a)) => Value::Array(
            a.values
                .iter()
                .map(|v| raw(Some(v)))
                .collect::<Option<_>>()?,
        ),
        Some(V::KvlistValue(kv)) => raw_map(&kv.values)?.unwrap_or_default().into(),
        // Go writes a []byte as base64; no record of the shop or of its browser carries bytes,
        // so rather than write an encoder for nothing, say so if one ever does.
        Some(V::BytesValue(_)) => panic!("a bytes value: the conversion does not model it"),
    })
}

/// The exporter's `attrsValue`: the attributes as an object, keys sorted (Go writes a map's keys
/// in order), or `None` for none at all (`omitempty` then leaves the member out). The outer
/// `Option` is `raw`'s: a value `json.Marshal` refuses.
fn raw_map(attributes: &[KeyValue]) -> Option<Option<Map<String, Value>>> {
    if attributes.is_empty() {
        return Some(None);
    }
    let sorted: std::collections::BTreeMap<&str, Value> = attributes
        .iter()
        .map(|kv| Some((kv.key.as_str(), raw(kv.value.as_ref())?)))
        .collect::<Option<_>>()?;
    Some(Some(
        sorted.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    ))
}

/// The log event the `awscloudwatchlogs` exporter (`raw_log: false`, as collector/aws.yaml sets
/// it) writes for one record: its timestamp in milliseconds (`time_unix_nano / 1e6`, truncated)
/// and its message, the JSON of `cwLogBody`. Members in the struct's order; each one `omitempty`
/// (a zero number, an empty string, a nil map or value is left out); ids as lower-case hex, left
/// out when all zero; `scope` only for a named scope. `None` when the exporter would skip the
/// record (see [`raw`]).
fn cw_log(
    resource: &[KeyValue],
    scope: Option<&InstrumentationScope>,
    record: &LogRecord,
) -> Option<(i64, String)> {
    let mut doc = Map::new();
    let body = raw(record.body.as_ref())?;
    if !body.is_null() {
        doc.insert("body".into(), body);
    }
    if record.severity_number != 0 {
        doc.insert("severity_number".into(), json!(record.severity_number));
    }
    if !record.severity_text.is_empty() {
        doc.insert("severity_text".into(), json!(record.severity_text));
    }
    if record.dropped_attributes_count != 0 {
        doc.insert(
            "dropped_attributes_count".into(),
            json!(record.dropped_attributes_count),
        );
    }
    if record.flags != 0 {
        doc.insert("flags".into(), json!(record.flags));
    }
    let hex = |id: &[u8]| {
        id.iter()
            .any(|b| *b != 0)
            .then(|| otlp_capture::query::hex(id))
    };
    if let Some(id) = hex(&record.trace_id) {
        doc.insert("trace_id".into(), json!(id));
    }
    if let Some(id) = hex(&record.span_id) {
        doc.insert("span_id".into(), json!(id));
    }
    if let Some(attributes) = raw_map(&record.attributes)? {
        doc.insert("attributes".into(), attributes.into());
    }
    if let Some(scope) = scope.filter(|s| !s.name.is_empty()) {
        let mut s = Map::new();
        s.insert("name".into(), json!(scope.name));
        if !scope.version.is_empty() {
            s.insert("version".into(), json!(scope.version));
        }
        if let Some(attributes) = raw_map(&scope.attributes)? {
            s.insert("attributes".into(), attributes.into());
        }
        doc.insert("scope".into(), s.into());
    }
    if let Some(resource) = raw_map(resource)? {
        doc.insert("resource".into(), resource.into());
    }
    let millis = (record.time_unix_nano / 1_000_000) as i64;
    Some((millis, serde_json::to_string(&doc).unwrap()))
}

/// Every record of `requests`, walked as the exporter's `pushLogsToCWLogs` walks them (resource,
/// then scope, then record), as its log event.
fn cw_events(requests: &[ExportLogsServiceRequest]) -> Vec<(i64, String)> {
    requests
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|rl| {
            let resource = rl
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or_default();
            rl.scope_logs.iter().flat_map(move |sl| {
                sl.log_records
                    .iter()
                    .filter_map(move |r| cw_log(resource, sl.scope.as_ref(), r))
            })
        })
        .collect()
}

/// The fields Logs Insights discovers in a JSON log event: each member, and a nested object's
/// members under `outer.inner`, keys as they are, dots and all. (AWS's "Supported logs and
/// discovered fields" shows it with a key that has a dot: `"EC2.InstanceId"` under
/// `"Attributes"` is `Attributes.EC2.InstanceId`; so `attributes` → `{"http.route": …}` is the
/// field `attributes.http.route`.) How it names an array's members is not modelled: no shop
/// record has an array, and one that did would fail here rather than be guessed at.
fn discovered_fields(message: &str) -> Map<String, Value> {
    fn walk(prefix: &str, object: &Map<String, Value>, out: &mut Map<String, Value>) {
        for (key, value) in object {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                Value::Object(inner) => walk(&name, inner, out),
                Value::Array(_) => panic!("{name} is an array: its fields are not modelled"),
                _ => assert!(
                    out.insert(name.clone(), value.clone()).is_none(),
                    "two members are both the field {name}"
                ),
            }
        }
    }
    let doc: Map<String, Value> = serde_json::from_str(message)
        .unwrap_or_else(|e| panic!("not a JSON object ({e}): {message}"));
    let mut fields = Map::new();
    walk("", &doc, &mut fields);
    // "You can only parse JSON log events that include no more than 200 log event fields"
    // (the `parse` command's page, of JSON flattened at ingestion): a record past that might
    // not have every field the queries read, which this test would not see.
    assert!(
        fields.len() <= 200,
        "{} fields: more than Logs Insights takes from one event: {message}",
        fields.len()
    );
    fields
}

/// What the capture receiver holds, as the events the queries run over: `(@timestamp, fields)`.
fn events_of(requests: &[ExportLogsServiceRequest]) -> Vec<(i64, Map<String, Value>)> {
    cw_events(requests)
        .iter()
        .map(|(ts, message)| (*ts, discovered_fields(message)))
        .collect()
}

// --- the queries' syntax, and the conversion against the exporter's own test -------------------

#[test]
fn every_otel_saved_query_is_in_the_evaluators_subset() {
    let otel = saved_queries("queries/otel");
    let awssdk = saved_queries("queries");
    // The same eleven names for both backends (docs/dashboards.md: separate definitions per
    // backend, one file each).
    assert_eq!(
        otel.keys().collect::<Vec<_>>(),
        awssdk.keys().collect::<Vec<_>>()
    );
    assert_eq!(otel.len(), 11, "{otel:?}");
    for (name, text) in &otel {
        Query::parse(text).unwrap_or_else(|e| panic!("otel/{name}: {e}"));
    }
}

/// The exporter's `TestLogToCWLog` (exporter_test.go, commit
/// `463d7730f8e1117416fa30d6d2c467a091e6811a`): a record with severity 5 `debug`, 4 dropped
/// attributes, body `hello world`, attributes `key1` = 1 and `key2` = `attr2`, trace id bytes
/// 1…16, span id bytes 1…8, the sampled flag, time 1609719139000000 ns; resource `host` =
/// `abc123`, `node` = 5. Its expected messages are compared here as exact text.
#[test]
fn the_conversion_writes_what_the_exporters_own_test_expects() {
    let s = |v: &str| AnyValue {
        value: Some(any_value::Value::StringValue(v.into())),
    };
    let i = |v: i64| AnyValue {
        value: Some(any_value::Value::IntValue(v)),
    };
    let kv = |k: &str, v: AnyValue| KeyValue {
        key: k.into(),
        value: Some(v),
        ..Default::default()
    };
    let record = LogRecord {
        time_unix_nano: 1_609_719_139_000_000,
        severity_number: 5,
        severity_text: "debug".into(),
        body: Some(s("hello world")),
        attributes: vec![kv("key1", i(1)), kv("key2", s("attr2"))],
        dropped_attributes_count: 4,
        flags: 1,
        trace_id: (1..=16).collect(),
        span_id: (1..=8).collect(),
        ..Default::default()
    };
    let resource = vec![kv("host", s("abc123")), kv("node", i(5))];

    // "basic"
    let (ts, message) = cw_log(&resource, None, &record).unwrap();
    assert_eq!(ts, 1_609_719_139);
    assert_eq!(
        message,
        r#"{"body":"hello world","severity_number":5,"severity_text":"debug","dropped_attributes_count":4,"flags":1,"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","attributes":{"key1":1,"key2":"attr2"},"resource":{"host":"abc123","node":5}}"#
    );
    // "no resource"
    assert_eq!(
        cw_log(&[], None, &record).unwrap().1,
        r#"{"body":"hello world","severity_number":5,"severity_text":"debug","dropped_attributes_count":4,"flags":1,"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","attributes":{"key1":1,"key2":"attr2"}}"#
    );
    // "no trace" (nor flags)
    let untraced = LogRecord {
        trace_id: Vec::new(),
        span_id: vec![0; 8],
        flags: 0,
        ..record.clone()
    };
    assert_eq!(
        cw_log(&resource, None, &untraced).unwrap().1,
        r#"{"body":"hello world","severity_number":5,"severity_text":"debug","dropped_attributes_count":4,"attributes":{"key1":1,"key2":"attr2"},"resource":{"host":"abc123","node":5}}"#
    );

    // The scope member (PR #30316, after that test was written): only for a named scope, its
    // empty version and attributes left out, like the shop's (a module path as the name).
    let named = InstrumentationScope {
        name: "shop::http::observe".into(),
        ..Default::default()
    };
    let (_, message) = cw_log(&resource, Some(&named), &record).unwrap();
    assert!(
        message.contains(r#""scope":{"name":"shop::http::observe"},"resource":"#),
        "{message}"
    );
    let unnamed = InstrumentationScope::default();
    assert_eq!(
        cw_log(&resource, Some(&unnamed), &record).unwrap().1,
        cw_log(&resource, None, &record).unwrap().1
    );
    // A NaN cannot be written: the exporter skips the record.
    let nan = LogRecord {
        body: Some(AnyValue {
            value: Some(any_value::Value::DoubleValue(f64::NAN)),
        }),
        ..record.clone()
    };
    assert_eq!(cw_log(&resource, None, &nan), None);

    // And the fields Logs Insights finds in the shop's shape of document.
    let shop = vec![
        kv("service.name", s("shop")),
        kv("service.version", s("1.2.3")),
    ];
    let access = LogRecord {
        attributes: vec![kv("http.route", s("/api/orders")), kv("duration_ms", i(31))],
        ..record.clone()
    };
    let (_, message) = cw_log(&shop, Some(&named), &access).unwrap();
    let fields = discovered_fields(&message);
    assert_eq!(
        Value::Object(fields),
        json!({
            "body": "hello world", "severity_number": 5, "severity_text": "debug",
            "dropped_attributes_count": 4, "flags": 1,
            "trace_id": "0102030405060708090a0b0c0d0e0f10", "span_id": "0102030405060708",
            "attributes.duration_ms": 31, "attributes.http.route": "/api/orders",
            "scope.name": "shop::http::observe",
            "resource.service.name": "shop", "resource.service.version": "1.2.3",
        })
    );
}

// --- the queries' meaning -----------------------------------------------------------------------

/// A new cart with one unit of `product` in it (two requests, two access-log records, one
/// `item added to cart`); the cart's id and the trace of the add.
fn cart_with(http: &Http, shop: &ShopProcess, product: u32) -> (String, String) {
    cart_of(http, shop, product, 1)
}

/// A new cart with `quantity` units of `product` in it, added in one request; the cart's id and
/// the trace of the add.
fn cart_of(http: &Http, shop: &ShopProcess, product: u32, quantity: u32) -> (String, String) {
    let cart = http.post(&shop.url("/api/carts"), &json!({}));
    assert_eq!(cart.status, 201, "{}", cart.body);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    let add = http.post(
        &shop.url(&format!("/api/carts/{cart}/items")),
        &json!({"product_id": product, "quantity": quantity}),
    );
    assert_eq!(add.status, 201, "adding product {product}: {}", add.body);
    (cart, add.header("x-trace-id").to_owned())
}

/// Flushes the shop; the number of log records it has sent to the collector, every one it made
/// (none dropped: the queries' counts rest on it).
fn flush(http: &Http, shop: &ShopProcess) -> u64 {
    let flushed = http.post(&shop.url("/api/telemetry/flush"), &json!({}));
    assert_eq!(flushed.status, 200, "{}", flushed.body);
    let logs = &flushed.body["export"]["logs"];
    assert_eq!(logs["dropped"], 0, "{}", flushed.body);
    assert_eq!(logs["received"], logs["sent"], "{}", flushed.body);
    logs["sent"].as_u64().unwrap()
}

/// Waits until the capture receiver holds at least `sent` log records, and returns its export
/// requests as they arrived (the collector's `batch/logs` holds records up to 5 s).
fn delivered(pipeline: &Pipeline, sent: u64) -> Vec<ExportLogsServiceRequest> {
    pipeline.wait(&format!("the {sent} log records sent"), |s| {
        s.logs().len() as u64 >= sent
    });
    pipeline.capture.store().log_requests()
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// One row as the evaluator answers it, from a JSON object.
fn row(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Drives requests whose records each saved otel query is meant to find (the awssdk test's
/// scenario, plus a registered customer so that a security event names a pseudonym), then runs
/// every query over the exporter-shaped events of what the collector delivered and checks it
/// finds exactly those.
#[test]
fn each_otel_saved_query_finds_what_it_is_named_for_in_the_exporters_documents() {
    let started = now_millis();
    let pipeline = Pipeline::start();
    let data = TempDir::new();
    let faults = data.path().join("faults.json");
    let shop = ShopOptions::new()
        .args(["--telemetry", "otel"])
        .envs(pipeline.shop_env("http/protobuf"))
        .data_dir(data.path())
        .start();
    let http = Http::new();
    // The fault flags are picked up within a second or two (docs/faults.md).
    let set_flags = |json: &str| {
        std::fs::write(&faults, json).unwrap();
        std::thread::sleep(Duration::from_millis(2500));
    };
    let apart = || std::thread::sleep(Duration::from_millis(20));

    // Fast, successful requests: in none of the results but their own trace's and
    // product-views' (product 5 seen twice, product 3 once; the unknown product's 404 is no view).
    for path in [
        "/api/products",
        "/api/products/3",
        "/api/products/5",
        "/api/products/5",
    ] {
        assert_eq!(http.get(&shop.url(path)).status, 200, "{path}");
    }
    assert_eq!(http.get(&shop.url("/api/products/999999")).status, 404);
    // Two failed checkouts (the injected 500): errors-by-route counts them on /api/orders.
    set_flags(r#"{"checkout_failure_percent": 100}"#);
    let mut failed_trace = String::new();
    for i in 0..2 {
        let (cart, _) = cart_with(&http, &shop, 2);
        let r = http.send(
            http.request(reqwest::Method::POST, &shop.url("/api/orders"))
                .header("Idempotency-Key", format!("otel-insights-{i}"))
                .json(&order_body(&cart)),
        );
        assert_eq!(r.status, 500, "{}", r.body);
        failed_trace = r.header("x-trace-id").to_owned();
    }
    assert_eq!(failed_trace.len(), 32, "W3C's spelling: {failed_trace}");
    // One slow request (inventory 1.1 s late): slow-requests lists it alone.
    set_flags(r#"{"inventory_latency_ms": 1100}"#);
    let (slow_cart, slow_trace) = cart_with(&http, &shop, 4);
    set_flags("{}");
    // Two orders placed (product-purchases): the slow cart's one unit of product 4, and three
    // units of product 2.
    let (bulk_cart, _) = cart_of(&http, &shop, 2, 3);
    for (i, cart) in [slow_cart, bulk_cart].iter().enumerate() {
        let r = http.send(
            http.request(reqwest::Method::POST, &shop.url("/api/orders"))
                .header("Idempotency-Key", format!("otel-insights-placed-{i}"))
                .json(&order_body(cart)),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // Security events: a failed login of nobody, one of a registered customer (whose pseudonym
    // the event names), and a failed admin login, which is also an admin action. Apart in time,
    // so that newest-first has one answer.
    let email = format!("insights-{:08x}@example.com", rand::random::<u32>());
    let registered = http.post(
        &shop.url("/api/auth/register"),
        &json!({"email": email, "password": "a-long-passphrase-1", "name": "Insights Learner"}),
    );
    assert_eq!(registered.status, 201, "{}", registered.body);
    let register_trace = registered.header("x-trace-id").to_owned();
    let mut login_traces = Vec::new();
    for (path, email) in [
        ("/api/auth/login", "nobody@example.com"),
        ("/api/auth/login", email.as_str()),
        ("/api/admin/login", "nobody@example.com"),
    ] {
        apart();
        let r = http.post(
            &shop.url(path),
            &json!({"email": email, "password": "not-the-password-1"}),
        );
        assert_eq!(r.status, 401, "{path} {email}: {}", r.body);
        login_traces.push(r.header("x-trace-id").to_owned());
    }

    // Two browser sessions through the RUM intake: one arrives on the home page, goes on to a
    // product and adds it to the cart; the other comes to the product from the home page.
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let (a, b) = ("session-a", "session-b");
    for item in crate::common::browser::TWO_SESSIONS {
        let body = crate::common::browser::session_event_log(item, &trace);
        let r = http.post(&shop.url("/api/rum/v1/logs"), &body);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({}), "kept whole");
        // Apart in time, so that each session's first and last differ.
        apart();
    }

    let sent = flush(&http, &shop);
    let requests = delivered(&pipeline, sent);
    let events = events_of(&requests);
    let finished = now_millis();
    // Every record became an event (none skipped), at the time it was made: the @timestamp the
    // queries sort by. (Counted in the same snapshot: the flush's own access line may arrive
    // after it.)
    let records = || {
        requests
            .iter()
            .flat_map(|r| &r.resource_logs)
            .flat_map(|rl| &rl.scope_logs)
            .flat_map(|sl| &sl.log_records)
    };
    assert_eq!(
        events.len(),
        records().count(),
        "records the exporter would skip"
    );
    assert!(
        events
            .iter()
            .all(|(ts, _)| (started..=finished).contains(ts)),
        "an event outside the run ({started}…{finished})"
    );
    let saved = saved_queries("queries/otel");
    let run = |name: &str| Query::parse(&saved[name]).unwrap().run(&events);

    // errors-by-route: one row, the two failed checkouts.
    let rows = run("errors-by-route");
    assert_eq!(
        rows,
        vec![row(
            json!({"attributes.http.route": "/api/orders", "errors": 2})
        )],
        "{rows:#?}"
    );

    // slow-requests: the slow add to the cart, nothing else.
    let rows = run("slow-requests");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["attributes.http.route"], "/api/carts/{id}/items");
    assert!(rows[0]["attributes.duration_ms"].as_f64().unwrap() > 1000.0);
    assert_eq!(rows[0]["trace_id"], slow_trace.as_str());

    // one-trace: every record of the last failed checkout, oldest first, and only those. The
    // expected number is counted on the OTLP records themselves, not on the converted events.
    let text = saved["one-trace"].replace("REPLACE-WITH-TRACE-ID", &failed_trace);
    let rows = Query::parse(&text).unwrap().run(&events);
    let expected = records()
        .filter(|r| otlp_capture::query::hex(&r.trace_id) == failed_trace)
        .count();
    assert!(
        expected >= 2,
        "the failed checkout logged its failure and its access line"
    );
    assert_eq!(rows.len(), expected, "{rows:#?}");
    assert!(
        rows.windows(2)
            .all(|w| compare(w[0].get("@timestamp"), w[1].get("@timestamp"))
                != std::cmp::Ordering::Greater)
    );
    assert!(
        rows.iter()
            .any(|r| r["body"] == "request failed" && r["severity_text"] == "ERROR"),
        "{rows:#?}"
    );
    assert!(
        rows.iter()
            .all(|r| r["resource.service.name"] == "shop" && r["span_id"].is_string()),
        "{rows:#?}"
    );

    // security-events: the three failed logins, newest first, each in its request's trace; the
    // registered customer's names the pseudonym their registration was logged with.
    let pseudonym = events
        .iter()
        .find(|(_, e)| {
            e["body"] == "account registered" && e["trace_id"] == register_trace.as_str()
        })
        .and_then(|(_, e)| e.get("attributes.enduser.pseudo.id"))
        .and_then(Value::as_str)
        .expect("the registration's record names the customer's pseudonym")
        .to_owned();
    assert!(pseudonym.starts_with("u_"), "{pseudonym}");
    let rows = run("security-events");
    let got: Vec<(&Value, &Value, Option<&Value>)> = rows
        .iter()
        .map(|r| {
            (
                &r["attributes.shop.security.event.kind"],
                &r["trace_id"],
                r.get("attributes.enduser.pseudo.id"),
            )
        })
        .collect();
    let (nobody, customer, admin) = (
        json!(login_traces[0]),
        json!(login_traces[1]),
        json!(login_traces[2]),
    );
    let pseudonym = json!(pseudonym);
    assert_eq!(
        got,
        vec![
            (&json!("admin_login_failed"), &admin, None),
            (&json!("login_failed"), &customer, Some(&pseudonym)),
            (&json!("login_failed"), &nobody, None),
        ],
        "{rows:#?}"
    );

    // browser-sessions: the two tabs, the last seen first, with their records and their span.
    let rows = run("browser-sessions");
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[0]["attributes.session.id"], b);
    assert_eq!(rows[0]["records"], 1);
    assert_eq!(rows[1]["attributes.session.id"], a);
    assert_eq!(rows[1]["records"], 3);
    assert!(
        rows[1]["started"].as_i64().unwrap() < rows[1]["ended"].as_i64().unwrap(),
        "{rows:#?}"
    );

    // browser-paths: home → product, twice; the first page (no referrer) is no step.
    let rows = run("browser-paths");
    assert_eq!(
        rows,
        vec![row(json!({
            "attributes.page.referrer_route": "/",
            "attributes.page.route": "/product/",
            "views": 2
        }))],
        "{rows:#?}"
    );

    // products-added-to-cart: product 2 three times (the two failed checkouts' carts and the
    // bulk cart), product 4 once.
    let rows = run("products-added-to-cart");
    assert_eq!(
        rows,
        vec![
            row(json!({"attributes.shop.product.id": 2, "additions": 3})),
            row(json!({"attributes.shop.product.id": 4, "additions": 1})),
        ],
        "{rows:#?}"
    );

    // product-views: product 5 twice, product 3 once, from their access-log records.
    let rows = run("product-views");
    assert_eq!(
        rows,
        vec![
            row(json!({"attributes.shop.product.id": 5, "views": 2})),
            row(json!({"attributes.shop.product.id": 3, "views": 1})),
        ],
        "{rows:#?}"
    );

    // product-purchases: the placed orders only: three units of product 2, one of product 4.
    let rows = run("product-purchases");
    assert_eq!(
        rows,
        vec![
            row(json!({"attributes.shop.product.id": 2, "units": 3, "orders": 1})),
            row(json!({"attributes.shop.product.id": 4, "units": 1, "orders": 1})),
        ],
        "{rows:#?}"
    );

    // admin-actions: the failed admin login, in its trace, by no known admin.
    let rows = run("admin-actions");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["attributes.shop.admin.action"], "admin.login");
    assert_eq!(rows[0]["attributes.shop.admin.outcome"], "failed");
    assert_eq!(rows[0]["trace_id"], admin);
    assert!(!rows[0].contains_key("attributes.enduser.pseudo.id"));
}

/// F-DEPLOY-02 on the otel backend: two releases of one service through one collector, the
/// second with a slower inventory (the fault flag, 150 ms); `otel/by-version` puts each
/// release's requests per route side by side, in the order they were first seen, and the second
/// release's add-to-cart is the slower one.
#[test]
fn otel_by_version_sets_a_release_beside_the_one_before_it() {
    let pipeline = Pipeline::start();
    let http = Http::new();
    let mut sent = 0;
    for (version, flags) in [
        ("2026.12.1", "{}"),
        ("2026.12.2", r#"{"inventory_latency_ms": 150}"#),
    ] {
        let data = TempDir::new();
        std::fs::write(data.path().join("faults.json"), flags).unwrap();
        let shop = ShopOptions::new()
            .args(["--telemetry", "otel"])
            .envs(pipeline.shop_env("http/protobuf"))
            .env("SHOP_SERVICE_VERSION", version)
            .data_dir(data.path())
            .start();
        for product in 1..=4 {
            cart_with(&http, &shop, product);
        }
        sent += flush(&http, &shop);
    }
    let events = events_of(&delivered(&pipeline, sent));
    let rows = Query::parse(&saved_queries("queries/otel")["by-version"])
        .unwrap()
        .run(&events);
    let row = |version: &str, route: &str| {
        rows.iter()
            .find(|r| {
                r["attributes.service.version"] == version && r["attributes.http.route"] == route
            })
            .unwrap_or_else(|| panic!("no row for {version} {route}: {rows:#?}"))
    };
    let items = "/api/carts/{id}/items";
    for version in ["2026.12.1", "2026.12.2"] {
        assert_eq!(row(version, "/api/carts")["requests"], 4, "{rows:#?}");
        assert_eq!(row(version, items)["requests"], 4, "{rows:#?}");
    }
    let (before, after) = (row("2026.12.1", items), row("2026.12.2", items));
    let ms = |r: &Map<String, Value>, k: &str| r[k].as_f64().unwrap();
    assert!(ms(after, "mean_ms") >= 150.0, "{after:?}");
    assert!(ms(before, "p99_ms") < 150.0, "{before:?}");
    assert!(ms(after, "p99_ms") > ms(before, "p99_ms"), "{rows:#?}");
    assert!(ms(after, "max_ms") >= ms(after, "p99_ms"), "{after:?}");
    // Oldest release first: the rows of 2026.12.1 come before those of 2026.12.2.
    let first_new = rows
        .iter()
        .position(|r| r["attributes.service.version"] == "2026.12.2")
        .unwrap();
    assert!(
        rows[..first_new]
            .iter()
            .all(|r| r["attributes.service.version"] == "2026.12.1")
            && rows[first_new..]
                .iter()
                .all(|r| r["attributes.service.version"] == "2026.12.2"),
        "{rows:#?}"
    );
}
