//! The browser's telemetry through the RUM intake, over the otel backend:
//! the intake relays the browser's spans and logs under the `shop-web`
//! resource, the collector carries them with the shop's own, and one trace
//! holds the click, its fetch, the shop's server span and its SQL
//! (F-CORR-01, O-CORR-02). The Web Vitals become the shop's histograms.

use crate::common::browser::{click_and_fetch, error_log, metrics, vital};
use crate::lab::{Http, Pipeline, render_tree, totals_by};

#[test]
fn a_click_its_fetch_and_the_shops_spans_are_one_trace_in_the_collectors_store() {
    let (pipeline, mut shop) = Pipeline::with_shop(&[]);
    let http = Http::new();
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let (click, fetch) = ("00f067aa0ba902b7", "53995c3f42cd8ad8");

    let config = http.get(&shop.url("/api/rum/config"));
    assert_eq!(config.body["backend"], "otel");
    assert_eq!(config.body["propagator"], "tracecontext");

    // The browser's fetch, with the header its instrumentation wrote…
    let products = http.send(
        http.request(reqwest::Method::GET, &shop.url("/api/products/1"))
            .header("traceparent", format!("00-{trace}-{fetch}-01")),
    );
    assert_eq!(products.status, 200, "{}", products.body);
    // …then its exports: the click and the fetch, an error, two vitals.
    let sent = http.post(
        &shop.url("/api/rum/v1/traces"),
        &click_and_fetch(&trace, click, fetch, "http://shop/api/products/1?ref=mail"),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let sent = http.post(&shop.url("/api/rum/v1/logs"), &error_log(&trace, click));
    assert_eq!(sent.status, 200, "{}", sent.body);
    let sent = http.post(
        &shop.url("/api/rum/v1/metrics"),
        &metrics(vec![vital(
            "browser.web_vital.lcp",
            1,
            vec![(1200.0, "/product/", "good"), (5100.0, "/product/", "poor")],
        )]),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(
        http.post(&shop.url("/api/telemetry/flush"), &serde_json::json!({}))
            .status,
        200
    );

    // One tree: the browser's two spans above the shop's.
    let head = "\
shop-web internal click add-to-cart
  shop-web client HTTP GET
    shop server GET /api/products/{id}
";
    pipeline.wait("the browser's spans above the shop's", |s| {
        render_tree(&s.spans(), &trace).starts_with(head)
    });
    let tree = render_tree(&pipeline.capture.store().spans(), &trace);
    assert!(tree.contains("      shop client SELECT"), "{tree}");

    let spans = pipeline.capture.store().spans();
    let browser = spans
        .iter()
        .find(|s| s.span_id() == fetch)
        .expect("the fetch span");
    // The browser's resource: who it is, nothing of the shop's host.
    assert_eq!(
        browser.resource_str("telemetry.sdk.language"),
        Some("webjs")
    );
    assert_eq!(browser.resource_str("host.name"), None);
    assert_eq!(
        browser.resource_str("service.namespace"),
        Some("observability-shop-lab")
    );
    assert_eq!(
        browser.attr_str("url.full"),
        Some("http://shop/api/products/1")
    );
    assert_eq!(browser.attr_str("user.email"), None);
    assert_eq!(browser.scope, "@opentelemetry/instrumentation-fetch");

    // The error, in the same trace, with its stack, as the browser's log.
    let browsers = |l: &otlp_capture::FlatLog| {
        l.trace_id() == trace && l.resource_str("service.name") == Some("shop-web")
    };
    pipeline.wait("the browser's error log", |s| s.logs().iter().any(browsers));
    let logs = pipeline.capture.store().logs();
    let error = logs.iter().find(|l| browsers(l)).unwrap();
    assert_eq!(error.span_id(), click);
    assert_eq!(error.record.severity_number, 17);
    assert!(
        error
            .attr_str("exception.stacktrace")
            .unwrap()
            .contains("at onClick")
    );

    // The vitals: the shop's histogram, by rating.
    pipeline.wait("the LCP histogram", |s| {
        totals_by(
            &s.metrics(),
            "shop",
            "browser.web_vital.lcp",
            "web_vital.rating",
        )
        .len()
            == 2
    });
    let by_rating = totals_by(
        &pipeline.capture.store().metrics(),
        "shop",
        "browser.web_vital.lcp",
        "web_vital.rating",
    );
    assert_eq!(by_rating["good"], 1, "{by_rating:?}");
    assert_eq!(by_rating["poor"], 1, "{by_rating:?}");
    assert!(shop.terminate().success());
}
