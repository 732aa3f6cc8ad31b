//! `OTEL_TRACES_SAMPLER` is honoured: with `always_off` no span is exported,
//! yet every log record still carries the (unsampled) trace id, and an
//! upstream `traceparent` decision does not override a non-parent-based
//! sampler.

use crate::lab::{Http, Pipeline};

#[test]
fn always_off_exports_no_spans_but_logs_keep_their_trace_ids() {
    let (pipeline, mut shop) = Pipeline::with_shop(&[("OTEL_TRACES_SAMPLER", "always_off")]);
    let http = Http::new();
    let stats = http.get(&shop.url("/api/telemetry/stats")).body;
    assert_eq!(stats["sampler"], "always_off", "{stats}");

    let plain = http.get(&shop.url("/api/products/3"));
    assert_eq!(plain.status, 200);
    let upstream = "4bf92f3577b34da6a3ce929d0e0e4736";
    let sampled_upstream = http.send(
        http.request(reqwest::Method::GET, &shop.url("/api/products/3"))
            .header("traceparent", format!("00-{upstream}-00f067aa0ba902b7-01")),
    );
    assert_eq!(sampled_upstream.header("x-trace-id"), upstream);
    let ids = [plain.header("x-trace-id").to_owned(), upstream.to_owned()];
    assert!(shop.terminate().success());

    pipeline.wait("the access log lines of both requests", |s| {
        let logs = s.logs();
        ids.iter().all(|id| {
            logs.iter()
                .any(|l| &l.trace_id() == id && l.body() == Some("request completed"))
        })
    });
    let store = pipeline.capture.store();
    assert!(store.spans().is_empty(), "{} spans", store.spans().len());
    for l in store.logs().iter().filter(|l| ids.contains(&l.trace_id())) {
        assert_eq!(l.record.flags & 1, 0, "not sampled: {:?}", l.body());
        assert_eq!(l.span_id().len(), 16);
    }
}
