//! The RUM intake (`/api/rum/…`): the browser's OTLP, checked and relayed
//! through the telemetry contract under the `shop-web` producer. These
//! tests send what the browser's OpenTelemetry exporters send (OTLP/JSON)
//! and assert on what the backend (here the recording one) received.

use serde_json::{Value as Json, json};
use telemetry_api::{SpanKind, TraceId, Value};

use crate::common::browser::*;
use crate::support::*;

async fn post(app: &TestApp, path: &str, body: &Json) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn relayed(app: &TestApp) -> Vec<telemetry_api::SpanRecord> {
    app.recorder
        .spans()
        .into_iter()
        .filter(|s| s.relayed_for.is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_tells_the_browser_the_backends_header_and_where_to_send() {
    let app = spawn_app(DbKind::Sqlite).await;
    let r = app.get("/api/rum/config").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let c: Json = r.json().await.unwrap();
    assert_eq!(c["enabled"], true);
    assert_eq!(c["backend"], "recording");
    assert_eq!(c["service_name"], "shop-web");
    // The recording backend propagates W3C trace context with random ids.
    assert_eq!(c["propagator"], "tracecontext");
    assert_eq!(c["id_generator"], "random");
    assert_eq!(c["sample_ratio"], 1.0);
    assert_eq!(c["endpoints"]["traces"], "/api/rum/v1/traces");
    assert_eq!(c["endpoints"]["logs"], "/api/rum/v1/logs");
    assert_eq!(c["endpoints"]["metrics"], "/api/rum/v1/metrics");
}

/// CloudWatch RUM's own web client (F-RUM-01) is off unless the shop names an app monitor; then
/// the config carries what `aws-rum-web` is started with (docs/rum.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_names_cloudwatch_rums_app_monitor_only_when_the_shop_has_one() {
    let app = spawn_app(DbKind::Sqlite).await;
    let c: Json = app.get("/api/rum/config").await.json().await.unwrap();
    assert_eq!(c["cloudwatch_rum"], Json::Null, "off by default: {c}");

    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.rum.sample_ratio = 0.25;
    opts.rum.cloudwatch = Some(shop::http::rum::CloudWatchRumSettings {
        app_monitor_id: "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081".to_owned(),
        region: "eu-west-1".to_owned(),
        endpoint: "https://dataplane.rum.eu-west-1.amazonaws.com".to_owned(),
        identity_pool_id: None,
        guest_role_arn: None,
    });
    let app = spawn_with(opts).await;
    let c: Json = app.get("/api/rum/config").await.json().await.unwrap();
    assert_eq!(
        c["cloudwatch_rum"],
        json!({
            "app_monitor_id": "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081",
            "region": "eu-west-1",
            "endpoint": "https://dataplane.rum.eu-west-1.amazonaws.com",
            // Unsigned: the app monitor's resource-based policy lets anyone put events.
            "identity_pool_id": null,
            "guest_role_arn": null,
            // The intake's share, so that both clients see the same traffic.
            "session_sample_rate": 0.25,
            "telemetries": ["errors", "performance", "http"],
            // The recording backend propagates W3C trace context: its traces are not X-Ray's.
            "enable_xray": false,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_and_its_fetch_are_relayed_as_shop_web_and_join_the_shops_server_span() {
    let app = spawn_app(DbKind::Sqlite).await;
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let (click, fetch) = ("00f067aa0ba902b7", "53995c3f42cd8ad8");

    // The browser's fetch carries the header its instrumentation wrote.
    let r = app
        .client
        .get(app.url("/api/products"))
        .header("traceparent", format!("00-{trace}-{fetch}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Then the browser exports the click and the fetch.
    let body = click_and_fetch(
        &trace,
        click,
        fetch,
        "http://127.0.0.1/api/products?q=someone@example.com",
    );
    let r = post(&app, "/api/rum/v1/traces", &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Json>().await.unwrap(), json!({}));

    let relayed = relayed(&app);
    assert_eq!(relayed.len(), 2, "{relayed:#?}");
    let producer = relayed[0].relayed_for.as_ref().unwrap();
    assert_eq!(producer.service_name, "shop-web");
    let fetch_span = relayed.iter().find(|s| s.name == "HTTP GET").unwrap();
    let click_span = relayed
        .iter()
        .find(|s| s.name == "click add-to-cart")
        .unwrap();
    assert_eq!(fetch_span.kind, SpanKind::Client);
    assert_eq!(fetch_span.parent_span_id, Some(click_span.context.span_id));
    assert_eq!(click_span.parent_span_id, None);
    assert_eq!(fetch_span.target, "@opentelemetry/instrumentation-fetch");
    assert_eq!(
        fetch_span.attribute("url.full"),
        Some(&Value::from("http://127.0.0.1/api/products"))
    );
    assert_eq!(
        fetch_span.attribute("http.request.method"),
        Some(&Value::from("GET"))
    );
    assert_eq!(
        fetch_span.attribute("http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert!(fetch_span.attribute("user.email").is_none());
    assert!(fetch_span.attribute("http.user_agent").is_none());
    assert_eq!(
        click_span.attribute("page.route"),
        Some(&Value::from("/product/"))
    );

    // One trace: the click, the fetch, and the shop's server span under the fetch.
    let id = TraceId::from_hex(&trace).unwrap();
    let whole = app.recorder.trace(id);
    let server = whole
        .iter()
        .find(|s| s.kind == SpanKind::Server && s.relayed_for.is_none())
        .expect("the shop's server span in the browser's trace");
    assert_eq!(server.parent_span_id, Some(fetch_span.context.span_id));

    // The intake itself is not traced: no server span for the export.
    assert!(
        !app.recorder
            .spans()
            .iter()
            .any(|s| s.name.contains("/api/rum")),
        "the intake made spans of its own"
    );
    assert_eq!(
        app.recorder.counter_total(
            "shop.rum.items",
            &[
                ("signal", Value::from("traces")),
                ("outcome", Value::from("accepted"))
            ]
        ),
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_error_is_relayed_as_a_log_with_its_stack_in_its_trace() {
    let app = spawn_app(DbKind::Sqlite).await;
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let body = error_log(&trace, "1111222233334444");
    let r = post(&app, "/api/rum/v1/logs", &body).await;
    assert_eq!(r.status(), 200);
    let logs: Vec<_> = app
        .recorder
        .logs()
        .into_iter()
        .filter(|l| l.relayed_for.is_some())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    let log = &logs[0];
    assert_eq!(log.level, tracing::Level::ERROR);
    assert_eq!(log.message, "Uncaught Error: the lab's error button");
    let ctx = log.span_context.as_ref().unwrap();
    assert_eq!(ctx.trace_id, TraceId::from_hex(&trace).unwrap());
    assert!(ctx.sampled);
    assert!(
        log.attribute("exception.stacktrace")
            .unwrap()
            .to_string()
            .contains("at onClick (page.js:1:42)")
    );
    assert!(log.attribute("user.name").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_vitals_become_the_shops_histograms_with_bounded_dimensions() {
    let app = spawn_app(DbKind::Sqlite).await;
    let body = metrics(vec![
        vital(
            "browser.web_vital.lcp",
            1,
            vec![
                (1234.5, "/product/", "good"),
                // A made-up route: kept, as `other` (a browser must not mint dimensions).
                (4200.0, "/evil/7f3a9c", "poor"),
            ],
        ),
        vital("browser.web_vital.ttfb", 1, vec![(80.0, "/", "good")]),
        // Not a vital the intake keeps: rejected alone.
        vital("browser.clicks", 1, vec![(1.0, "/", "good")]),
        // A rating `web-vitals` never gives: rejected alone.
        vital("browser.web_vital.fcp", 1, vec![(900.0, "/", "great")]),
    ]);
    let r = post(&app, "/api/rum/v1/metrics", &body).await;
    assert_eq!(r.status(), 200);
    let answer: Json = r.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedDataPoints"], "2",
        "{answer}"
    );
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("browser.clicks"),
        "{answer}"
    );

    let lcp: Vec<_> = app
        .recorder
        .measurements()
        .into_iter()
        .filter(|m| m.name == "browser.web_vital.lcp")
        .collect();
    assert_eq!(lcp.len(), 2);
    assert_eq!(lcp[0].value, 1234.5);
    assert!(lcp[0].matches(&[
        ("page.route", Value::from("/product/")),
        ("web_vital.rating", Value::from("good"))
    ]));
    assert!(lcp[1].matches(&[("page.route", Value::from("other"))]));
    assert_eq!(lcp[0].attributes.len(), 2);
    assert_eq!(
        app.recorder.histogram_count("browser.web_vital.ttfb", &[]),
        1
    );
    assert_eq!(
        app.recorder.histogram_count("browser.web_vital.fcp", &[]),
        0
    );

    // Per release (F-DEPLOY-02): each kept vital again, by the shop's release alone; nothing
    // for the rejected one.
    let config: Json = app.get("/api/rum/config").await.json().await.unwrap();
    let version = config["service_version"].as_str().unwrap().to_owned();
    let by_release: Vec<_> = app
        .recorder
        .measurements()
        .into_iter()
        .filter(|m| m.name == "browser.release.web_vital.lcp")
        .collect();
    assert_eq!(
        by_release.iter().map(|m| m.value).collect::<Vec<_>>(),
        [1234.5, 4200.0]
    );
    assert!(by_release.iter().all(|m| m.attributes.len() == 1
        && m.matches(&[("service.version", Value::from(version.clone()))])));
    assert_eq!(
        app.recorder
            .histogram_count("browser.release.web_vital.ttfb", &[]),
        1
    );
    assert_eq!(
        app.recorder
            .histogram_count("browser.release.web_vital.fcp", &[]),
        0
    );

    // Cumulative points would be counted again at every export: refused.
    let r = post(
        &app,
        "/api/rum/v1/metrics",
        &metrics(vec![vital(
            "browser.web_vital.lcp",
            2,
            vec![(1.0, "/", "good")],
        )]),
    )
    .await;
    let e = expect_json(r, 400).await;
    assert!(
        e["error"]["field"]
            .as_str()
            .unwrap()
            .ends_with("histogram.aggregationTemporality"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uis_own_metrics_are_kept_with_closed_dimensions_and_anything_else_is_refused() {
    let app = spawn_app(DbKind::Sqlite).await;
    let body = metrics(vec![
        counter(
            "browser.page.views",
            true,
            vec![
                (3, vec![("page.route", "/product/")]),
                // A made-up route is kept as `other`, as for the vitals.
                (1, vec![("page.route", "/evil/7f3a9c")]),
            ],
        ),
        counter(
            "browser.funnel.steps",
            true,
            vec![
                (2, vec![("funnel.step", "cart_add")]),
                // Not a step of the funnel: rejected alone.
                (1, vec![("funnel.step", "free-iphone")]),
            ],
        ),
        counter(
            "browser.cart.actions",
            true,
            vec![(1, vec![("cart.action", "remove"), ("outcome", "ok")])],
        ),
        counter(
            "browser.interactions",
            true,
            vec![
                (4, vec![("ui.element.name", "add-to-cart")]),
                // Not a named element of the UI: rejected alone.
                (1, vec![("ui.element.name", "user-42-button")]),
            ],
        ),
        counter(
            "browser.errors",
            true,
            vec![(
                1,
                vec![
                    ("page.route", "/lab/faults/"),
                    ("error.source", "window.error"),
                ],
            )],
        ),
        // Three page visits in one point: recorded as their mean, three times.
        histogram(
            "browser.page.dwell_time",
            vec![(9000.0, 3, vec![("page.route", "/cart/")])],
        ),
        histogram(
            "browser.render.duration",
            vec![(12.5, 1, vec![("ui.component", "product-grid")])],
        ),
        counter(
            "browser.admin.tasks",
            true,
            vec![(
                1,
                vec![
                    ("admin.task", "product_edit"),
                    ("admin.task.outcome", "completed"),
                ],
            )],
        ),
        // A live notification's delay in the back office, by type; a type not on the list is refused.
        histogram(
            "browser.notification.delay",
            vec![
                (
                    1500.0,
                    1,
                    vec![("notification.type", "inventory.low_stock")],
                ),
                (
                    900.0,
                    1,
                    vec![("notification.type", "account.password_reset")],
                ),
            ],
        ),
        // A metric without dimensions: whatever the browser adds is not kept.
        histogram(
            "browser.upload.throughput",
            vec![(2_000_000.0, 1, vec![("session.id", "0123456789abcdef")])],
        ),
    ]);
    let r = post(&app, "/api/rum/v1/metrics", &body).await;
    assert_eq!(r.status(), 200);
    let answer: Json = r.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedDataPoints"], "3",
        "{answer}"
    );
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("funnel.step must be one of"),
        "{answer}"
    );

    let total = |name: &str, filter: &[(&str, Value)]| app.recorder.counter_total(name, filter);
    let measured = |name: &str| -> Vec<_> {
        app.recorder
            .measurements()
            .into_iter()
            .filter(|m| m.name == name)
            .collect()
    };
    assert_eq!(
        total(
            "browser.page.views",
            &[("page.route", Value::from("/product/"))]
        ),
        3.0
    );
    assert_eq!(
        total(
            "browser.page.views",
            &[("page.route", Value::from("other"))]
        ),
        1.0
    );
    assert_eq!(total("browser.funnel.steps", &[]), 2.0);
    assert_eq!(
        total(
            "browser.cart.actions",
            &[
                ("cart.action", Value::from("remove")),
                ("outcome", Value::from("ok"))
            ]
        ),
        1.0
    );
    assert_eq!(total("browser.interactions", &[]), 4.0);
    assert_eq!(
        total(
            "browser.errors",
            &[("error.source", Value::from("window.error"))]
        ),
        1.0
    );
    let dwell = measured("browser.page.dwell_time");
    assert_eq!(dwell.len(), 3);
    assert!(dwell.iter().all(|m| m.value == 3000.0));
    assert_eq!(
        app.recorder.histogram_count(
            "browser.render.duration",
            &[("ui.component", Value::from("product-grid"))]
        ),
        1
    );
    assert_eq!(
        total(
            "browser.admin.tasks",
            &[("admin.task.outcome", Value::from("completed"))]
        ),
        1.0
    );
    assert_eq!(
        app.recorder.histogram_count(
            "browser.notification.delay",
            &[("notification.type", Value::from("inventory.low_stock"))]
        ),
        1
    );
    assert_eq!(measured("browser.notification.delay").len(), 1);
    let throughput = measured("browser.upload.throughput");
    assert_eq!(throughput.len(), 1);
    assert!(throughput[0].attributes.is_empty(), "{throughput:?}");
    // Every series the browser made has only its metric's own dimensions.
    for m in app.recorder.measurements() {
        if m.name.starts_with("browser.") {
            assert!(m.attributes.len() <= 2, "{m:?}");
        }
    }

    // A counter must be a monotonic delta sum; a histogram metric sent as a sum is malformed.
    for (bad, field) in [
        (
            counter(
                "browser.page.views",
                false,
                vec![(1, vec![("page.route", "/")])],
            ),
            "sum.isMonotonic",
        ),
        (
            counter(
                "browser.render.duration",
                true,
                vec![(1, vec![("ui.component", "cart-table")])],
            ),
            "metrics[0]",
        ),
    ] {
        let e = expect_json(
            post(&app, "/api/rum/v1/metrics", &metrics(vec![bad])).await,
            400,
        )
        .await;
        assert!(
            e["error"]["field"].as_str().unwrap().ends_with(field),
            "{e}"
        );
    }
    // A counter point that adds more than a page could: rejected alone.
    let r = post(
        &app,
        "/api/rum/v1/metrics",
        &metrics(vec![counter(
            "browser.page.views",
            true,
            vec![(1_000_000, vec![("page.route", "/")])],
        )]),
    )
    .await;
    let answer: Json = r.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedDataPoints"], "1",
        "{answer}"
    );
    assert_eq!(
        total("browser.page.views", &[("page.route", Value::from("/"))]),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_event_is_relayed_as_a_log_in_its_trace_with_its_closed_attributes() {
    let app = spawn_app(DbKind::Sqlite).await;
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let body = event_log(
        "browser.cart_change",
        &trace,
        "5555666677778888",
        vec![
            ("cart.action", "add"),
            ("outcome", "ok"),
            ("page.route", "/product/"),
            ("session.id", "0123456789abcdef0123456789abcdef"),
            // Not in any list: dropped, the record kept.
            ("funnel.step", "steal-coupons"),
            ("user.email", "someone@example.com"),
        ],
    );
    let r = post(&app, "/api/rum/v1/logs", &body).await;
    assert_eq!(r.status(), 200);
    let logs: Vec<_> = app
        .recorder
        .logs()
        .into_iter()
        .filter(|l| l.relayed_for.is_some())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    let log = &logs[0];
    assert_eq!(log.level, tracing::Level::INFO);
    assert_eq!(log.message, "browser.cart_change");
    assert_eq!(
        log.attribute("event.name"),
        Some(&Value::from("browser.cart_change"))
    );
    assert_eq!(log.attribute("cart.action"), Some(&Value::from("add")));
    assert_eq!(log.attribute("page.route"), Some(&Value::from("/product/")));
    assert!(log.attribute("funnel.step").is_none());
    assert!(log.attribute("user.email").is_none());
    assert_eq!(
        log.span_context.as_ref().unwrap().trace_id,
        TraceId::from_hex(&trace).unwrap()
    );

    // An event name the UI does not have: the record is kept as a log, without the name.
    let r = post(
        &app,
        "/api/rum/v1/logs",
        &event_log("browser.free_money", &trace, "5555666677778888", vec![]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let unnamed = app
        .recorder
        .logs()
        .into_iter()
        .filter(|l| l.relayed_for.is_some())
        .nth(1)
        .unwrap();
    assert!(unnamed.attribute("event.name").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_exports_are_400s_naming_the_field_and_nothing_is_relayed() {
    let app = spawn_app(DbKind::Sqlite).await;
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let good = |id: &str| span(&trace, id, "", "documentLoad", 1, vec![]);
    let cases: Vec<(Json, &str)> = vec![
        (
            traces(
                "shop-web",
                "x",
                vec![
                    good("1111111111111111"),
                    span("00", "2222222222222222", "", "x", 1, vec![]),
                ],
            ),
            "resourceSpans[0].scopeSpans[0].spans[1].traceId",
        ),
        (
            traces(
                "shop-web",
                "x",
                vec![span(&trace, "0000000000000000", "", "x", 1, vec![])],
            ),
            "resourceSpans[0].scopeSpans[0].spans[0].spanId",
        ),
        (
            traces("shop", "x", vec![good("1111111111111111")]),
            "resourceSpans[0].resource.attributes.service.name",
        ),
        (
            traces(
                "shop-web",
                "x",
                vec![span(&trace, "1111111111111111", "", "", 1, vec![])],
            ),
            "resourceSpans[0].scopeSpans[0].spans[0].name",
        ),
    ];
    for (body, field) in cases {
        let r = post(&app, "/api/rum/v1/traces", &body).await;
        let e = expect_json(r, 400).await;
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    // A span that ends before it starts.
    let mut backwards = good("3333333333333333");
    backwards["endTimeUnixNano"] = json!("1");
    let e = expect_json(
        post(
            &app,
            "/api/rum/v1/traces",
            &traces("shop-web", "x", vec![backwards]),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        e["error"]["field"],
        "resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano"
    );

    // Not OTLP at all.
    let r = app
        .client
        .post(app.url("/api/rum/v1/traces"))
        .header("content-type", "application/json")
        .body("{\"resourceSpans\": 7}")
        .send()
        .await
        .unwrap();
    let e = expect_json(r, 400).await;
    assert_eq!(e["error"]["code"], "invalid_otlp", "{e}");
    // An array is no export request (serde alone would read it as an empty one).
    let e = expect_json(post(&app, "/api/rum/v1/metrics", &json!([])).await, 400).await;
    assert_eq!(e["error"]["code"], "invalid_otlp", "{e}");
    // A form.
    let r = app
        .client
        .post(app.url("/api/rum/v1/logs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .unwrap();
    expect_json(r, 415).await;
    // Too big.
    let r = app
        .client
        .post(app.url("/api/rum/v1/traces"))
        .header("content-type", "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    expect_json(r, 413).await;
    // Too many spans.
    let many: Vec<Json> = (1..=513).map(|i| good(&format!("{i:016x}"))).collect();
    let e = expect_json(
        post(&app, "/api/rum/v1/traces", &traces("shop-web", "x", many)).await,
        400,
    )
    .await;
    assert_eq!(e["error"]["field"], "resourceSpans", "{e}");

    assert!(relayed(&app).is_empty(), "a refused request relayed spans");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_from_a_clock_far_off_is_rejected_alone() {
    let app = spawn_app(DbKind::Sqlite).await;
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let mut old = span(&trace, "4444444444444444", "", "documentLoad", 1, vec![]);
    old["startTimeUnixNano"] = json!("1000000000000000000");
    old["endTimeUnixNano"] = json!("1000000000100000000");
    let fine = span(&trace, "5555555555555555", "", "documentLoad", 1, vec![]);
    let r = post(
        &app,
        "/api/rum/v1/traces",
        &traces("shop-web", "x", vec![old, fine]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let answer: Json = r.json().await.unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1", "{answer}");
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("older than 6 hours")
    );
    let relayed = relayed(&app);
    assert_eq!(relayed.len(), 1);
    assert_eq!(relayed[0].context.span_id.to_hex(), "5555555555555555");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_told_to_slow_down() {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.rum.rate_per_minute = 3;
    let app = spawn_with(spawn).await;
    let empty = json!({ "resourceSpans": [] });
    for _ in 0..3 {
        assert_eq!(post(&app, "/api/rum/v1/traces", &empty).await.status(), 200);
    }
    let r = post(&app, "/api/rum/v1/traces", &empty).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let e = expect_json(r, 429).await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("slow down"),
        "{e}"
    );
    // The rest of the shop does not care.
    assert_eq!(app.get("/api/health").await.status(), 200);
}
