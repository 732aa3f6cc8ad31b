//! The asynchronous hops over OTLP (issue #16): with the otel build, a
//! checkout under an incoming `traceparent` reaches the capture receiver as
//! one trace from the request through the outbox's `create` span, the
//! dispatcher's `send` (a producer span with the messaging conventions) and
//! its `PutEvents` client span (`rpc.system = aws-api`), to the worker's
//! `process` consumer span and its SES call. The W3C context crossed
//! EventBridge and SQS inside the event's detail. The worker's `receive`
//! span for the batch links to the producer (OTLP span links).

use std::time::Duration;

use serde_json::json;

use crate::common::{self, ShopOptions};
use crate::lab::{Http, Pipeline, order_body, render_tree};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[test]
fn a_checkout_trace_runs_through_the_outbox_the_bus_and_the_queue_to_ses() {
    let localstack = common::lab_component("localstack");
    let pipeline = Pipeline::start();
    let prefix = format!("ev{:08x}", rand::random::<u32>());
    let shop = ShopOptions::new()
        .args([
            "--telemetry",
            "otel",
            "--events",
            "--notifications",
            "--events-provision",
            "--events-prefix",
            &prefix,
        ])
        .envs(pipeline.shop_env("http/protobuf"))
        .envs(localstack.clone())
        .env("SHOP_SERVICE_NAME", "shop")
        .start();
    let http = Http::new();
    let cart = http.post(&shop.url("/api/carts"), &json!({}));
    assert_eq!(cart.status, 201);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    let added = http.post(
        &shop.url(&format!("/api/carts/{cart}/items")),
        &json!({ "product_id": 2, "quantity": 1 }),
    );
    assert_eq!(added.status, 201);
    let email = format!("otel-{:08x}@example.com", rand::random::<u32>());
    let mut body = order_body(&cart);
    body["email"] = json!(email);
    let placed = http.send(
        http.request(reqwest::Method::POST, &shop.url("/api/orders"))
            .header("Idempotency-Key", format!("otel-{prefix}"))
            .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
            .json(&body),
    );
    assert_eq!(placed.status, 201, "{}", placed.body);

    // The mail arrives in LocalStack's SES mailbox.
    let ses = &localstack["AWS_ENDPOINT_URL_SES"];
    let mut delivered = false;
    for _ in 0..300 {
        let all = http.get(&format!("{ses}/_aws/ses")).body;
        if all["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["Destination"]["ToAddresses"][0] == email.as_str())
        {
            delivered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(delivered, "no confirmation mail for {email}");

    let process_name = format!("process {prefix}-notifications");
    pipeline.wait("the worker's process span", |s| {
        s.spans()
            .iter()
            .any(|x| x.trace_id() == TRACE && x.span.name == process_name)
    });
    let spans = pipeline.capture.store().spans();
    let tree = render_tree(&spans, TRACE);
    let find = |name: &str, parent: Option<&str>| {
        spans
            .iter()
            .find(|s| {
                s.trace_id() == TRACE
                    && s.span.name == name
                    && parent.is_none_or(|p| s.parent_span_id() == p)
            })
            .unwrap_or_else(|| panic!("no {name:?} under {parent:?} in\n{tree}"))
    };
    let server = find("POST /api/orders", Some(PARENT));
    let create = find("order.placed create", Some(&server.span_id()));
    assert_eq!(create.span.kind, 4, "producer");
    assert_eq!(create.attr_str("messaging.operation.type"), Some("create"));
    let send = find(&format!("send {prefix}-events"), Some(&create.span_id()));
    assert_eq!(send.span.kind, 4, "producer");
    assert_eq!(send.attr_str("messaging.system"), Some("aws.eventbridge"));
    assert_eq!(
        send.attr_str("messaging.destination.name"),
        Some(format!("{prefix}-events").as_str())
    );
    assert_eq!(send.attr_str("messaging.operation.type"), Some("send"));
    let event_id = create.attr_str("messaging.message.id").unwrap();
    assert_eq!(send.attr_str("messaging.message.id"), Some(event_id));
    let put = find("EventBridge.PutEvents", Some(&send.span_id()));
    assert_eq!(put.span.kind, 3, "client");
    assert_eq!(put.attr_str("rpc.system"), Some("aws-api"));
    assert_eq!(put.attr_str("rpc.service"), Some("EventBridge"));
    assert_eq!(put.attr_str("rpc.method"), Some("PutEvents"));
    let process = find(&process_name, Some(&send.span_id()));
    assert_eq!(process.span.kind, 5, "consumer");
    assert_eq!(process.attr_str("messaging.system"), Some("aws_sqs"));
    assert_eq!(
        process.attr_str("messaging.operation.type"),
        Some("process")
    );
    assert_eq!(process.attr_str("messaging.message.id"), Some(event_id));
    assert_eq!(process.attr_str("shop.trace.carrier"), Some("event_detail"));
    assert_eq!(process.attr_str("shop.event.outcome"), Some("sent"));
    let ses_call = find("SES.SendEmail", Some(&process.span_id()));
    assert_eq!(ses_call.attr_str("rpc.system"), Some("aws-api"));
    assert!(ses_call.attr_str("aws.request_id").is_some(), "{tree}");
    let delete = find("SQS.DeleteMessage", Some(&process.span_id()));
    assert!(
        delete
            .attr_str("aws.sqs.queue.url")
            .is_some_and(|u| u.ends_with(&format!("{prefix}-notifications"))),
        "{tree}"
    );
    // The batch's receive span (a trace of its own) links to the producer's send span.
    let receive_name = format!("receive {prefix}-notifications");
    let linked = spans.iter().any(|s| {
        s.span.name == receive_name
            && s.span.kind == 5
            && s.attr_str("messaging.operation.type") == Some("receive")
            && s.span.links.iter().any(|l| {
                otlp_capture::query::hex(&l.trace_id) == TRACE
                    && otlp_capture::query::hex(&l.span_id) == send.span_id()
            })
    });
    assert!(linked, "no receive span linked to the send span:\n{tree}");
    let all = format!("{spans:?}");
    assert!(
        !all.contains(&email) && !all.contains("Aiko Tanaka"),
        "OTLP carries personal data"
    );
}
