//! Logs over OTLP/HTTP from the W3C checkout run
//! ([`crate::lab::w3c_checkout`]): every record inside a span joins a
//! captured span of its trace, with the sampled flag, severity and request id.

use crate::lab::{INCOMING_TRACE, W3cCheckout, w3c_checkout};

#[test]
fn every_log_record_of_the_checkout_joins_its_span() {
    let W3cCheckout { pipeline, .. } = w3c_checkout();

    // Logs: every record inside a span joins a captured span of its trace
    // (logs and spans travel in separate batches: wait for both to settle,
    // and for the checkout's records to have arrived at all, since nothing
    // else here waits for the run's export to reach the receiver).
    let joined = |s: &otlp_capture::Store| {
        let spans = s.spans();
        let logs = s.logs();
        logs.iter()
            .filter(|l| !l.record.span_id.is_empty())
            .all(|l| {
                spans
                    .iter()
                    .any(|sp| sp.span_id() == l.span_id() && sp.trace_id() == l.trace_id())
            })
    };
    let arrived = |s: &otlp_capture::Store| {
        let logs = s.logs();
        logs.iter().filter(|l| !l.record.span_id.is_empty()).count() >= 6
            && logs.iter().any(|l| {
                l.trace_id() == INCOMING_TRACE
                    && l.body() == Some("request completed")
                    && l.resource_str("service.name") == Some("shop-orders")
            })
    };
    pipeline.wait("every log record joined to a span", |s| {
        arrived(s) && joined(s)
    });
    let logs = pipeline.capture.store().logs();
    let in_spans: Vec<_> = logs
        .iter()
        .filter(|l| !l.record.span_id.is_empty())
        .collect();
    assert!(
        in_spans.len() >= 6,
        "{} log records in spans",
        in_spans.len()
    );
    for l in &in_spans {
        assert_eq!(l.record.flags & 0xff, 1, "sampled flag on {:?}", l.body());
    }
    let completed = logs
        .iter()
        .find(|l| {
            l.trace_id() == INCOMING_TRACE
                && l.body() == Some("request completed")
                && l.resource_str("service.name") == Some("shop-orders")
        })
        .expect("the access log line of the checkout");
    assert_eq!(completed.record.severity_text, "INFO");
    assert_eq!(completed.record.severity_number, 9);
    assert!(completed.attr_str("shop.request.id").is_some());
}
