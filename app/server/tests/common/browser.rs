//! What a browser's OpenTelemetry exporters send to the RUM intake, as
//! OTLP/JSON (hex ids, nanosecond times as strings): the tests of every
//! backend post these and look for them in the backend's sink.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

pub fn attr(key: &str, value: &str) -> Json {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// The browser app's resource as its SDK writes it.
pub fn resource(service: &str) -> Json {
    json!({ "attributes": [attr("service.name", service), attr("telemetry.sdk.language", "webjs")] })
}

/// A span that ended just now after 30 ms; `parent` is `""` for a root.
pub fn span(trace: &str, id: &str, parent: &str, name: &str, kind: i32, attrs: Vec<Json>) -> Json {
    let end = now_nanos();
    json!({
        "traceId": trace, "spanId": id, "parentSpanId": parent, "name": name, "kind": kind,
        "startTimeUnixNano": (end - 30_000_000).to_string(),
        "endTimeUnixNano": end.to_string(),
        "attributes": attrs,
        "status": { "code": 0 }
    })
}

/// An `ExportTraceServiceRequest` of `service` with one scope.
pub fn traces(service: &str, scope: &str, spans: Vec<Json>) -> Json {
    json!({ "resourceSpans": [{
        "resource": resource(service),
        "scopeSpans": [{ "scope": { "name": scope, "version": "0.1" }, "spans": spans }]
    }]})
}

/// A click on the named "add to cart" button (the root) and the fetch it
/// made (`fetch`, a client span): what the UI sends for one interaction.
pub fn click_and_fetch(trace: &str, click: &str, fetch: &str, url: &str) -> Json {
    traces(
        "shop-web",
        "@opentelemetry/instrumentation-fetch",
        vec![
            span(
                trace,
                click,
                "",
                "click add-to-cart",
                1,
                vec![
                    attr("event_type", "click"),
                    attr("ui.element.name", "add-to-cart"),
                    attr("session.id", "9d1c2e5f-0a7b"),
                    attr("page.route", "/product/"),
                ],
            ),
            span(
                trace,
                fetch,
                click,
                "HTTP GET",
                3,
                vec![
                    attr("http.method", "GET"),
                    attr("http.url", url),
                    json!({ "key": "http.status_code", "value": { "intValue": "200" } }),
                    // Not on the intake's allowlist: dropped.
                    attr("user.email", "someone@example.com"),
                    attr("http.user_agent", "Mozilla/5.0"),
                ],
            ),
        ],
    )
}

/// An `ExportLogsServiceRequest`: one browser error in `trace`, with its stack.
pub fn error_log(trace: &str, span_id: &str) -> Json {
    json!({ "resourceLogs": [{
        "resource": resource("shop-web"),
        "scopeLogs": [{ "scope": { "name": "shop-web" }, "logRecords": [{
            "timeUnixNano": now_nanos().to_string(),
            "severityNumber": 17, "severityText": "ERROR",
            "body": { "stringValue": "Uncaught Error: the lab's error button" },
            "traceId": trace, "spanId": span_id, "flags": 1,
            "attributes": [
                attr("exception.type", "Error"),
                attr("exception.message", "the lab's error button"),
                attr("exception.stacktrace", "Error: the lab's error button\n    at onClick (page.js:1:42)"),
                attr("page.route", "/lab/faults/"),
                attr("user.name", "someone"),
            ]
        }]}]
    }]})
}

/// A Web Vital as a delta (1) or cumulative (2) histogram metric, one point
/// per `(value, route, rating)`.
pub fn vital(name: &str, temporality: i32, points: Vec<(f64, &str, &str)>) -> Json {
    let t = now_nanos();
    let points: Vec<Json> = points
        .into_iter()
        .map(|(v, route, rating)| {
            json!({
                "startTimeUnixNano": (t - 1_000_000_000).to_string(), "timeUnixNano": t.to_string(),
                "count": "1", "sum": v,
                "attributes": [attr("page.route", route), attr("web_vital.rating", rating)]
            })
        })
        .collect();
    json!({ "name": name, "unit": "ms",
            "histogram": { "aggregationTemporality": temporality, "dataPoints": points } })
}

/// An `ExportMetricsServiceRequest` of the browser app.
pub fn metrics(list: Vec<Json>) -> Json {
    json!({ "resourceMetrics": [{
        "resource": resource("shop-web"),
        "scopeMetrics": [{ "scope": { "name": "shop-web" }, "metrics": list }]
    }]})
}

/// A data point's attributes, as `(key, value)`.
pub type Attrs<'a> = Vec<(&'a str, &'a str)>;

/// A delta sum (a counter) of the browser app: `(value, attributes)` per point.
pub fn counter(name: &str, monotonic: bool, points: Vec<(i64, Attrs<'_>)>) -> Json {
    let t = now_nanos();
    let points: Vec<Json> = points
        .into_iter()
        .map(|(v, attrs)| {
            json!({
                "startTimeUnixNano": (t - 1_000_000_000).to_string(), "timeUnixNano": t.to_string(),
                "asInt": v.to_string(),
                "attributes": attrs.into_iter().map(|(k, v)| attr(k, v)).collect::<Vec<_>>()
            })
        })
        .collect();
    json!({ "name": name, "unit": "1",
            "sum": { "aggregationTemporality": 1, "isMonotonic": monotonic, "dataPoints": points } })
}

/// A delta histogram of the browser app: `(sum, count, attributes)` per point.
pub fn histogram(name: &str, points: Vec<(f64, u64, Attrs<'_>)>) -> Json {
    let t = now_nanos();
    let points: Vec<Json> = points
        .into_iter()
        .map(|(sum, count, attrs)| {
            json!({
                "startTimeUnixNano": (t - 1_000_000_000).to_string(), "timeUnixNano": t.to_string(),
                "count": count.to_string(), "sum": sum,
                "attributes": attrs.into_iter().map(|(k, v)| attr(k, v)).collect::<Vec<_>>()
            })
        })
        .collect();
    json!({ "name": name, "unit": "ms",
            "histogram": { "aggregationTemporality": 1, "dataPoints": points } })
}

/// The saved-query tests' two browser sessions (the awssdk and otel `insights` tests drive the
/// same ones): `session-a` arrives on the home page, goes on to a product and adds it to the
/// cart; `session-b` comes to the product from the home page. Each item is one event through
/// the RUM intake, in order: the session, the event's name, its attributes (the session id is
/// added by [`session_event_log`]).
pub const TWO_SESSIONS: [SessionEvent; 4] = [
    ("session-a", "browser.page_view", &[("page.route", "/")]),
    (
        "session-a",
        "browser.page_view",
        &[("page.route", "/product/"), ("page.referrer_route", "/")],
    ),
    (
        "session-a",
        "browser.cart_change",
        &[("page.route", "/product/"), ("cart.action", "add")],
    ),
    (
        "session-b",
        "browser.page_view",
        &[("page.route", "/product/"), ("page.referrer_route", "/")],
    ),
];

/// One browser event of a session: the session, the event's name, its attributes.
pub type SessionEvent = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// [`event_log`] of one [`TWO_SESSIONS`] item, with its `session.id`.
pub fn session_event_log((session, event, attrs): SessionEvent, trace: &str) -> Json {
    let mut attrs: Attrs<'_> = attrs.to_vec();
    attrs.push(("session.id", session));
    event_log(event, trace, "00f067aa0ba902b7", attrs)
}

/// An `ExportLogsServiceRequest` with one custom event of the UI (`event.name`), in `trace`.
pub fn event_log(name: &str, trace: &str, span_id: &str, attrs: Attrs<'_>) -> Json {
    let mut attributes: Vec<Json> = vec![attr("event.name", name)];
    attributes.extend(attrs.into_iter().map(|(k, v)| attr(k, v)));
    json!({ "resourceLogs": [{
        "resource": resource("shop-web"),
        "scopeLogs": [{ "scope": { "name": "shop-web" }, "logRecords": [{
            "timeUnixNano": now_nanos().to_string(),
            "severityNumber": 9, "severityText": "INFO",
            "body": { "stringValue": name },
            "traceId": trace, "spanId": span_id, "flags": 1,
            "attributes": attributes
        }]}]
    }]})
}

/// What the read-back tests send for a session: two events of the tab `session` (a page view,
/// then a cart change) and one page view of another tab, all in `trace`.
pub fn session_events(session: &str, trace: &str) -> Vec<Json> {
    [
        ("browser.page_view", session),
        ("browser.cart_change", session),
        ("browser.page_view", "another-tab"),
    ]
    .into_iter()
    .map(|(event, session)| {
        event_log(
            event,
            trace,
            "00f067aa0ba902b7",
            vec![("session.id", session), ("page.route", "/product/")],
        )
    })
    .collect()
}
