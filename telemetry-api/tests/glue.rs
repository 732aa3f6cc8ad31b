//! The tracing glue, observed through the recording backend.

use std::sync::Arc;

use http::HeaderMap;
use telemetry_api::recording::{self, Recorder};
use telemetry_api::sampling::{AlwaysOff, ParentBasedRatio};
use telemetry_api::trace::{current_span_context, span_context, with_remote_parent};
use telemetry_api::{
    Resource, SpanContext, SpanId, SpanKind, SpanStatus, Telemetry, TraceId, Value, semconv,
};

fn telemetry() -> (Telemetry, Recorder) {
    telemetry_with(Arc::new(telemetry_api::sampling::AlwaysOn))
}

fn telemetry_with(sampler: Arc<dyn telemetry_api::Sampler>) -> (Telemetry, Recorder) {
    let (backend, recorder) = recording::backend_with_sampler(sampler);
    let t = Telemetry::builder(backend, Resource::new("test", "0"))
        .build()
        .unwrap();
    (t, recorder)
}

#[test]
fn children_inherit_the_trace_and_name_their_parent() {
    let (t, rec) = telemetry();
    tracing::dispatcher::with_default(t.dispatch(), || {
        let root = tracing::info_span!(
            "root",
            span.kind = "server",
            request_id = "req-1",
            http.route = "/x"
        );
        let _g = root.enter();
        let child = tracing::info_span!("child", db.query.text = "SELECT ?");
        child.in_scope(|| tracing::info!(rows = 3u64, "query done"));
    });
    let spans = rec.spans();
    assert_eq!(spans.len(), 2);
    let (child, root) = (&spans[0], &spans[1]);
    assert_eq!(child.name, "child");
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(child.kind, SpanKind::Internal);
    assert_eq!(child.context.trace_id, root.context.trace_id);
    assert_eq!(child.parent_span_id, Some(root.context.span_id));
    assert!(!child.parent_is_remote);
    assert_eq!(root.parent_span_id, None);
    assert!(root.is_local_root() && !child.is_local_root());
    assert_eq!(child.request_id.as_deref(), Some("req-1"));
    // Control fields are consumed, not exported.
    assert!(root.attribute(semconv::SPAN_KIND).is_none());
    assert!(root.attribute(semconv::REQUEST_ID).is_none());
    assert_eq!(
        root.attribute(semconv::HTTP_ROUTE),
        Some(&Value::from("/x"))
    );
    // The event became a log record with the child's context and a span event.
    let logs = rec.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].message, "query done");
    assert_eq!(
        logs[0].span_context.as_ref().unwrap().span_id,
        child.context.span_id
    );
    assert_eq!(logs[0].request_id.as_deref(), Some("req-1"));
    assert_eq!(logs[0].attribute("rows"), Some(&Value::I64(3)));
    assert_eq!(child.events.len(), 1);
    assert_eq!(child.events[0].name, "query done");
}

#[test]
fn a_remote_parent_is_continued() {
    let (t, rec) = telemetry();
    let remote = SpanContext::remote(TraceId(0xabc), SpanId(0xdef), true);
    tracing::dispatcher::with_default(t.dispatch(), || {
        let span = with_remote_parent(Some(remote.clone()), || {
            tracing::info_span!("server", span.kind = "server")
        });
        let ctx = span_context(&span).unwrap();
        assert_eq!(ctx.trace_id, TraceId(0xabc));
        assert_ne!(ctx.span_id, SpanId(0xdef));
        // Only the first root span takes the remote parent.
        let other = tracing::info_span!("unrelated");
        assert_ne!(span_context(&other).unwrap().trace_id, TraceId(0xabc));
    });
    let spans = rec.spans();
    let server = spans.iter().find(|s| s.name == "server").unwrap();
    assert_eq!(server.parent_span_id, Some(SpanId(0xdef)));
    assert!(server.parent_is_remote);
    assert!(server.is_local_root());
}

#[test]
fn a_remote_trace_without_a_parent_is_continued_with_no_parent() {
    // What an ALB sends: a trace id (X-Ray `Root=…`) and a decision, no parent.
    let (t, rec) = telemetry_with(Arc::new(ParentBasedRatio::new(0.0)));
    let remote = SpanContext::remote_trace(TraceId(0xabc), true);
    tracing::dispatcher::with_default(t.dispatch(), || {
        let span = with_remote_parent(Some(remote), || {
            tracing::info_span!("server", span.kind = "server")
        });
        let ctx = span_context(&span).unwrap();
        assert_eq!(ctx.trace_id, TraceId(0xabc), "the caller's trace goes on");
        assert!(ctx.span_id.is_valid() && ctx.sampled && !ctx.is_remote);
        span.in_scope(|| tracing::info_span!("child").in_scope(|| {}));
    });
    let spans = rec.spans();
    assert_eq!(spans.len(), 2, "sampled: the upstream decision is honoured");
    let server = spans.iter().find(|s| s.name == "server").unwrap();
    assert_eq!(server.context.trace_id, TraceId(0xabc));
    assert_eq!(server.parent_span_id, None);
    assert!(!server.parent_is_remote);
    assert!(server.is_local_root());
    let child = spans.iter().find(|s| s.name == "child").unwrap();
    assert_eq!(child.context.trace_id, TraceId(0xabc));
    assert_eq!(child.parent_span_id, Some(server.context.span_id));

    // An invalid trace id is no context at all: a new trace, no parent.
    let (t, rec) = telemetry();
    tracing::dispatcher::with_default(t.dispatch(), || {
        let remote = SpanContext::remote_trace(TraceId::INVALID, true);
        with_remote_parent(Some(remote), || tracing::info_span!("fresh")).in_scope(|| {});
    });
    let fresh = &rec.spans()[0];
    assert!(fresh.context.trace_id.is_valid());
    assert_eq!(fresh.parent_span_id, None);
}

#[test]
fn span_name_kind_and_late_fields_and_error_status() {
    let (t, rec) = telemetry();
    tracing::dispatcher::with_default(t.dispatch(), || {
        let span = tracing::info_span!(
            "HTTP request",
            span.name = "GET /api/products/{id}",
            span.kind = "server",
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        span.record("http.response.status_code", 503u64);
        span.record("error.type", "503");
    });
    let s = &rec.spans()[0];
    assert_eq!(s.name, "GET /api/products/{id}");
    assert_eq!(
        s.attribute(semconv::HTTP_RESPONSE_STATUS_CODE),
        Some(&Value::I64(503))
    );
    assert_eq!(
        s.status,
        SpanStatus::Error {
            description: "503".into()
        }
    );
    assert!(s.end_time >= s.start_time);
}

#[test]
fn unsampled_traces_export_no_spans_but_logs_keep_their_ids() {
    let (t, rec) = telemetry_with(Arc::new(AlwaysOff));
    tracing::dispatcher::with_default(t.dispatch(), || {
        let root = tracing::info_span!("root", request_id = "r-9");
        root.in_scope(|| {
            let ctx = current_span_context().unwrap();
            assert!(!ctx.sampled);
            tracing::info_span!("child").in_scope(|| tracing::warn!("careful"));
        });
    });
    assert!(rec.spans().is_empty());
    let logs = rec.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].request_id.as_deref(), Some("r-9"));
    assert!(logs[0].span_context.as_ref().is_some_and(|c| !c.sampled));
}

/// The request span learns who the customer is part-way through (a session
/// recognised after the span started); the log lines of the spans opened
/// under it from then on carry that pseudonym, sampled or not.
#[test]
fn logs_carry_the_pseudonym_recorded_on_their_request_span() {
    for sampled in [true, false] {
        let sampler: Arc<dyn telemetry_api::Sampler> = if sampled {
            Arc::new(telemetry_api::sampling::AlwaysOn)
        } else {
            Arc::new(AlwaysOff)
        };
        let (t, rec) = telemetry_with(sampler);
        tracing::dispatcher::with_default(t.dispatch(), || {
            let root = tracing::info_span!(
                "root",
                request_id = "r-1",
                enduser.pseudo.id = tracing::field::Empty
            );
            root.in_scope(|| {
                tracing::info_span!("before").in_scope(|| tracing::info!("still a guest"));
                root.record(semconv::ENDUSER_PSEUDO_ID, "u_0123456789abcdef");
                tracing::info_span!("handler")
                    .in_scope(|| tracing::info_span!("db").in_scope(|| tracing::info!("added")));
                tracing::info!(enduser.pseudo.id = "u_named", "names its own");
            });
            tracing::info_span!("another request", request_id = "r-2")
                .in_scope(|| tracing::info!("a guest's line"));
        });
        let logs = rec.logs();
        let user = |message: &str| {
            let log = logs.iter().find(|l| l.message == message).unwrap();
            let users: Vec<_> = log
                .attributes
                .iter()
                .filter(|kv| kv.key == semconv::ENDUSER_PSEUDO_ID)
                .map(|kv| kv.value.as_str().unwrap().to_owned())
                .collect();
            assert!(users.len() <= 1, "{message}: {users:?}");
            users.into_iter().next()
        };
        assert_eq!(user("still a guest"), None, "sampled: {sampled}");
        assert_eq!(user("added").as_deref(), Some("u_0123456789abcdef"));
        assert_eq!(user("names its own").as_deref(), Some("u_named"));
        assert_eq!(user("a guest's line"), None);
        if sampled {
            // The span keeps it as an attribute too.
            let root = rec.spans().into_iter().find(|s| s.name == "root").unwrap();
            assert_eq!(
                root.attribute(semconv::ENDUSER_PSEUDO_ID),
                Some(&Value::from("u_0123456789abcdef"))
            );
        }
    }
}

/// A handler deep in a request reads the request id from the span it runs in.
#[test]
fn the_current_request_id_is_read_from_the_span() {
    let (t, _rec) = telemetry_with(Arc::new(AlwaysOff));
    tracing::dispatcher::with_default(t.dispatch(), || {
        assert_eq!(telemetry_api::trace::current_request_id(), None);
        tracing::info_span!("root", request_id = "r-7").in_scope(|| {
            tracing::info_span!("child").in_scope(|| {
                assert_eq!(
                    telemetry_api::trace::current_request_id().as_deref(),
                    Some("r-7")
                );
            });
        });
    });
}

#[test]
fn the_upstream_sampling_decision_is_honoured() {
    let (t, rec) = telemetry_with(Arc::new(ParentBasedRatio::new(0.0)));
    tracing::dispatcher::with_default(t.dispatch(), || {
        let sampled = SpanContext::remote(TraceId(5), SpanId(6), true);
        with_remote_parent(Some(sampled), || tracing::info_span!("yes")).in_scope(|| {});
        tracing::info_span!("no").in_scope(|| {});
    });
    let names: Vec<_> = rec.spans().iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, ["yes"]);
}

#[test]
fn traceparent_round_trip_and_garbage_is_ignored() {
    let (t, _) = telemetry();
    let mut headers = HeaderMap::new();
    let ctx = SpanContext::remote(
        TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736),
        SpanId(0x00f067aa0ba902b7),
        true,
    );
    t.propagator().inject(&ctx, &mut headers);
    assert_eq!(
        headers["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    );
    assert_eq!(t.propagator().extract(&headers), Some(ctx));
    for bad in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473\u{e9}-00f067aa0ba902b7-01",
    ] {
        let mut h = HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(bad) {
            h.insert("traceparent", v);
        }
        assert_eq!(t.propagator().extract(&h), None, "{bad:?}");
    }
}

#[test]
fn metrics_reach_the_backend_with_their_dimensions() {
    let (t, rec) = telemetry();
    let c = t
        .meter()
        .counter("c", telemetry_api::Unit::count("{x}"), "test");
    let h = t
        .meter()
        .histogram("h", telemetry_api::Unit::SECONDS, "test", None);
    c.add(2, &[telemetry_api::KeyValue::new("k", "a")]);
    c.add(3, &[telemetry_api::KeyValue::new("k", "b")]);
    h.record(0.5, &[]);
    assert_eq!(rec.counter_total("c", &[]), 5.0);
    assert_eq!(rec.counter_total("c", &[("k", Value::from("b"))]), 3.0);
    assert_eq!(rec.histogram_count("h", &[]), 1);
}

#[test]
fn log_records_render_as_json_lines_with_ids() {
    let (t, rec) = telemetry();
    tracing::dispatcher::with_default(t.dispatch(), || {
        tracing::info_span!("root", request_id = "abc")
            .in_scope(|| tracing::error!(code = 7, "boom"));
    });
    let log = &rec.logs()[0];
    let json = telemetry_api::logs::to_json(log, "shop", |id| format!("T{id}"));
    assert_eq!(json["level"], "ERROR");
    assert_eq!(json["message"], "boom");
    assert_eq!(json["service"], "shop");
    assert_eq!(json["request_id"], "abc");
    assert_eq!(json["code"], 7);
    assert!(json["trace_id"].as_str().unwrap().starts_with('T'));
    assert_eq!(json["span_id"].as_str().unwrap().len(), 16);
    assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn links_are_kept_on_sampled_spans_only_and_bounded() {
    let producer = SpanContext::remote(TraceId(0xabc), SpanId(0x12), true);
    let (t, rec) = telemetry();
    tracing::dispatcher::with_default(t.dispatch(), || {
        let receive = tracing::info_span!("receive", span.kind = "consumer");
        telemetry_api::trace::add_link(&receive, producer.clone());
        for i in 0..200u64 {
            telemetry_api::trace::add_link(
                &tracing::Span::none(),
                SpanContext::remote(TraceId(1), SpanId(i + 1), true),
            );
        }
        let many = tracing::info_span!("many");
        for i in 0..200u64 {
            telemetry_api::trace::add_link(
                &many,
                SpanContext::remote(TraceId(1), SpanId(i + 1), true),
            );
        }
    });
    let spans = rec.spans();
    let receive = spans.iter().find(|s| s.name == "receive").unwrap();
    assert_eq!(receive.links, vec![producer.clone()]);
    assert_ne!(
        receive.context.trace_id, producer.trace_id,
        "a link is not a parent"
    );
    let many = spans.iter().find(|s| s.name == "many").unwrap();
    assert_eq!(many.links.len(), telemetry_api::layer::MAX_LINKS_PER_SPAN);

    // An unsampled span keeps none (and nothing is exported anyway).
    let (t, rec) = telemetry_with(Arc::new(AlwaysOff));
    tracing::dispatcher::with_default(t.dispatch(), || {
        let s = tracing::info_span!("receive");
        telemetry_api::trace::add_link(&s, producer.clone());
    });
    assert!(rec.spans().is_empty());
}

/// Debug sampling (O-LOG-06): DEBUG lines are kept for a share of the traces,
/// all of a trace's or none, chosen by trace id as the ratio sampler chooses;
/// INFO lines are always kept.
#[test]
fn debug_lines_are_kept_for_a_share_of_traces_whole_and_info_always() {
    let (backend, rec) = recording::backend();
    let t = Telemetry::builder(backend, Resource::new("test", "0"))
        .filter("debug")
        .debug_log_sampling(0.25)
        .build()
        .unwrap();
    let traces = 400;
    tracing::dispatcher::with_default(t.dispatch(), || {
        for _ in 0..traces {
            let root = tracing::info_span!("request", span.kind = "server");
            let _g = root.enter();
            tracing::info!("handled");
            tracing::debug!(step = 1u64, "detail");
            tracing::debug!(step = 2u64, "detail");
        }
    });
    let logs = rec.logs();
    let info = logs
        .iter()
        .filter(|l| l.level == tracing::Level::INFO)
        .count();
    assert_eq!(info, traces, "INFO is never sampled");
    let mut debug_per_trace: std::collections::HashMap<TraceId, usize> = Default::default();
    for l in logs.iter().filter(|l| l.level == tracing::Level::DEBUG) {
        *debug_per_trace
            .entry(l.span_context.as_ref().unwrap().trace_id)
            .or_default() += 1;
    }
    assert!(
        debug_per_trace.values().all(|&n| n == 2),
        "a trace keeps both its debug lines or neither"
    );
    for trace in debug_per_trace.keys() {
        assert!(telemetry_api::sampling::trace_fraction(*trace) < 0.25);
    }
    // 400 traces at 25 %: 100 expected; 60..140 is more than 4 standard deviations.
    let kept = debug_per_trace.len();
    assert!((60..=140).contains(&kept), "{kept} of {traces} traces kept");

    // Ratio 0: no debug line at all, in a trace or outside one.
    let (backend, rec) = recording::backend();
    let t = Telemetry::builder(backend, Resource::new("test", "0"))
        .filter("debug")
        .debug_log_sampling(0.0)
        .build()
        .unwrap();
    tracing::dispatcher::with_default(t.dispatch(), || {
        tracing::debug!("outside any trace");
        let root = tracing::info_span!("request", span.kind = "server");
        root.in_scope(|| {
            tracing::debug!("inside");
            tracing::warn!("kept");
        });
    });
    let levels: Vec<tracing::Level> = rec.logs().iter().map(|l| l.level).collect();
    assert_eq!(levels, vec![tracing::Level::WARN]);
}
