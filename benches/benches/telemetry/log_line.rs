//! `log/json_line`: one log record rendered as the JSON line that goes to
//! stdout and, in the `awssdk` build, to CloudWatch Logs
//! (`telemetry_api::logs::to_json_line`), next to the way it was rendered
//! before: a `serde_json::Map` of owned strings, then text
//! (`map_then_text`, kept here only as the reference point).

use std::borrow::Cow;
use std::hint::black_box;
use std::sync::Arc;
use std::time::SystemTime;

use criterion::Criterion;
use serde_json::{Map, Value as Json};
use telemetry_api::context::{SpanContext, SpanId, TraceId};
use telemetry_api::value::{KeyValue, Value};
use telemetry_api::{LogRecord, logs};

/// The shop's access-log line: a message, four fields, in a sampled span.
fn access_log() -> LogRecord {
    LogRecord {
        timestamp: SystemTime::now(),
        level: tracing::Level::INFO,
        target: "shop::http::observe",
        message: "request completed".to_owned(),
        attributes: vec![
            KeyValue {
                key: "http.request.method",
                value: Value::Str(Cow::Owned("GET".to_owned())),
            },
            KeyValue {
                key: "http.route",
                value: Value::Str(Cow::Owned("/api/products/{id}".to_owned())),
            },
            KeyValue {
                key: "http.response.status_code",
                value: Value::I64(200),
            },
            KeyValue {
                key: "duration_ms",
                value: Value::F64(1.25),
            },
        ],
        span_context: Some(SpanContext {
            trace_id: TraceId(0x5f2a_0c3e_9b1d_4e6f_a7b8_c9d0_e1f2_a3b4),
            span_id: SpanId(0x1a2b_3c4d_5e6f_7081),
            sampled: true,
            is_remote: false,
            trace_state: None,
        }),
        request_id: Some(Arc::from("0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0")),
        relayed_for: None,
    }
}

/// The rendering before `to_json_line`: a map of owned strings, then text.
fn map_then_text(r: &LogRecord, service: &str) -> String {
    let mut m = Map::with_capacity(8 + r.attributes.len());
    m.insert(
        "timestamp".into(),
        Json::String(humantime::format_rfc3339_micros(r.timestamp).to_string()),
    );
    m.insert("level".into(), Json::String(r.level.as_str().to_owned()));
    m.insert("message".into(), Json::String(r.message.clone()));
    m.insert("target".into(), Json::String(r.target.to_owned()));
    m.insert("service".into(), Json::String(service.to_owned()));
    if let Some(id) = &r.request_id {
        m.insert("request_id".into(), Json::String(id.to_string()));
    }
    if let Some(ctx) = &r.span_context {
        m.insert("trace_id".into(), Json::String(ctx.trace_id.to_hex()));
        m.insert("span_id".into(), Json::String(ctx.span_id.to_hex()));
        m.insert("trace_sampled".into(), Json::Bool(ctx.sampled));
    }
    for kv in &r.attributes {
        let v = match &kv.value {
            Value::Bool(b) => Json::Bool(*b),
            Value::I64(i) => Json::from(*i),
            Value::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
        };
        m.entry(kv.key.to_owned()).or_insert(v);
    }
    Json::Object(m).to_string()
}

pub fn bench(c: &mut Criterion) {
    let record = access_log();
    // The two renderings agree (a bench of the wrong thing would be worse
    // than none).
    assert_eq!(
        logs::to_json_line(&record, "shop", |t| t.to_hex()),
        map_then_text(&record, "shop")
    );
    let mut g = c.benchmark_group("log/json_line");
    g.bench_function("to_json_line", |b| {
        b.iter(|| logs::to_json_line(black_box(&record), "shop", |t| t.to_hex()))
    });
    g.bench_function("map_then_text", |b| {
        b.iter(|| map_then_text(black_box(&record), "shop"))
    });
    g.finish();
}
