//! The asynchronous hops in X-Ray (issue #16): a checkout's trace, read back
//! from moto's X-Ray, runs from the request through the outbox, EventBridge
//! and SQS to the worker's SES call, as segments linked by `parent_id`.
//! LocalStack's EventBridge→SQS drops the X-Ray header, so the worker finds
//! the context in the event's detail (`shop.trace.carrier = event_detail`);
//! in AWS, `AWSTraceHeader` would carry it (docs/events.md).

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TempDir, order_body};
use crate::lab::*;

/// The segment document (or subsegment) whose span is named `name`.
fn spans_named<'a>(docs: &'a [Value], name: &str) -> Vec<&'a Value> {
    docs.iter()
        .flat_map(all_nodes)
        .filter(|n| n["metadata"]["span"]["name"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_trace_runs_through_the_outbox_the_bus_and_the_queue_to_ses() {
    let env = lab_env();
    let data = TempDir::new();
    let prefix = unique("ev");
    let service = unique("shop");
    let shop = awssdk_shop(&service, env)
        .args([
            "--events",
            "--notifications",
            "--events-provision",
            "--events-prefix",
            &prefix,
        ])
        .data_dir(data.path())
        .start();
    let c = http();
    let cart: Value = c
        .post(shop.url("/api/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cart = cart["id"].as_str().unwrap().to_owned();
    let r = c
        .post(shop.url(&format!("/api/carts/{cart}/items")))
        .json(&json!({ "product_id": 2, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let email = format!("{}@example.com", unique("xray"));
    let mut body = order_body(&cart);
    body["email"] = json!(email);
    let (root, header) = xray_header("1");
    let r = c
        .post(shop.url("/api/orders"))
        .header("Idempotency-Key", unique("k"))
        .header("X-Amzn-Trace-Id", header)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // The mail arrives in LocalStack's SES mailbox.
    let ses = env["AWS_ENDPOINT_URL_SES"].clone();
    let mut delivered = false;
    for _ in 0..300 {
        let all: Value = c
            .get(format!("{ses}/_aws/ses"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        if all["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["Destination"]["ToAddresses"][0] == email.as_str())
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "no confirmation mail for {email}");

    // X-Ray: the request's segment, a dispatcher segment per event (placed,
    // paid) and the worker's segment, all in the incoming trace.
    flush(&shop).await;
    let client = xray(env);
    let mut docs = Vec::new();
    for _ in 0..50 {
        docs = wait_trace(&client, &root, 4).await;
        if !spans_named(&docs, &format!("process {prefix}-notifications")).is_empty() {
            break;
        }
        flush(&shop).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let create = spans_named(&docs, "order.placed create");
    assert_eq!(create.len(), 1, "{docs:#?}");
    let create_id = create[0]["id"].as_str().unwrap();
    let send = spans_named(&docs, &format!("send {prefix}-events"))
        .into_iter()
        .find(|s| s["parent_id"] == create_id)
        .unwrap_or_else(|| {
            panic!("the dispatcher's segment under the event's subsegment: {docs:#?}")
        });
    assert!(
        send.get("trace_id").is_some(),
        "the send span is a segment of its own"
    );
    assert_eq!(send["annotations"]["event_type"], "order.placed");
    let put = all_nodes(send)
        .into_iter()
        .find(|n| n["aws"]["operation"] == "PutEvents")
        .expect("the PutEvents subsegment");
    assert_eq!(put["namespace"], "aws");
    assert_eq!(put["name"], "EventBridge");
    let process = spans_named(&docs, &format!("process {prefix}-notifications"));
    assert_eq!(process.len(), 1, "{docs:#?}");
    let process = process[0];
    assert_eq!(
        process["parent_id"], send["id"],
        "the worker continues the send span"
    );
    assert_eq!(
        process["annotations"]["trace_carrier"]
            .as_str()
            .unwrap_or_else(|| panic!("the carrier is an annotation: {process:#}")),
        "event_detail",
        "LocalStack's EventBridge drops the X-Ray header: the detail carries the context"
    );
    let send_email = all_nodes(process)
        .into_iter()
        .find(|n| n["aws"]["operation"] == "SendEmail")
        .expect("the SES subsegment");
    assert_eq!(send_email["namespace"], "aws");
    assert_eq!(send_email["name"], "SES");
    assert!(
        send_email["aws"]["request_id"].is_string(),
        "{send_email:#}"
    );
    let delete = all_nodes(process)
        .into_iter()
        .find(|n| n["aws"]["operation"] == "DeleteMessage")
        .expect("the SQS DeleteMessage subsegment");
    assert!(
        delete["aws"]["queue_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("{prefix}-notifications"))),
        "{delete:#}"
    );
    // The batch's receive segment is a trace of its own; X-Ray has no span
    // links, so the link to the send span is only metadata.
    let send_id = send["id"].as_str().unwrap().to_owned();
    let mut linked = None;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for _ in 0..50 {
        // Raw JSON: moto answers `"Users": {}` where the SDK expects a list,
        // which the SDK's GetTraceSummaries cannot parse.
        let summaries: Value = c
            .post(format!("{}/TraceSummaries", env["AWS_ENDPOINT_URL_XRAY"]))
            // moto routes a request to a service by the credential scope of its
            // (unverified) signature.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/xray/aws4_request, SignedHeaders=host, Signature=0",
            )
            .json(&json!({ "StartTime": now - 300, "EndTime": now + 60 }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<String> = summaries["TraceSummaries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["Id"].as_str().map(str::to_owned))
            .filter(|id| id != &root)
            .collect();
        for id in &ids {
            {
                for d in trace_documents(&client, id).await {
                    if d["metadata"]["span"]["name"] == format!("receive {prefix}-notifications")
                        && d["metadata"]["span"]["links"].as_array().is_some_and(|l| {
                            l.iter()
                                .any(|x| x.as_str().is_some_and(|x| x.ends_with(&send_id)))
                        })
                    {
                        linked = Some(d);
                    }
                }
            }
        }
        if linked.is_some() {
            break;
        }
        flush(&shop).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let linked = linked.expect("a receive segment whose metadata links to the send span");
    assert!(
        linked["metadata"]["span"]["links"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{root}/")),
        "{linked:#}"
    );
    // Nothing personal in what X-Ray holds.
    let all = serde_json::to_string(&docs).unwrap();
    assert!(
        !all.contains(&email) && !all.contains("Aiko Tanaka"),
        "X-Ray holds personal data"
    );
}
