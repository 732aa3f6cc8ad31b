//! `order-mail`: the shop's mail queue → the function → SES, read back from
//! LocalStack's SES mailbox (`GET /_aws/ses`), its queues and moto's X-Ray.
//!
//! The orders are placed with the shop's own code (`shop_core::orders`, in
//! this process, on a SQLite database the function shares), so the outbox
//! row, the dispatcher's `PutEvents` and the EventBridge rule to the mail
//! queue are the shop's. Each test provisions its own bus, queues and
//! dead-letter queues with the shop's provisioning (a random prefix).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{Value, json};
use shop_core::events::provision;
use shop_functions::carrier::Fields;
use shop_functions::event_source;
use shop_functions::invoke::{Carriers, Invoker};

use crate::common::{self, KillOnDrop, Watch};
use crate::lab;
use crate::mail::{MAIL_FROM, PUBLIC_URL, Shop, customer, message};

/// The function's environment: the awssdk backend on the emulators
/// (service `service`), the shop's settings, and `extra`.
fn function_env(shop: &Shop, service: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut settings = shop.function_settings();
    settings.extend_from_slice(extra);
    lab::function_env(&shop.env, service, &settings)
}

/// A segment and all its subsegments, depth first.
pub fn all_nodes(doc: &Value) -> Vec<&Value> {
    let mut out = vec![doc];
    for s in doc["subsegments"].as_array().into_iter().flatten() {
        out.extend(all_nodes(s));
    }
    out
}

/// The nodes (segments or subsegments) of `docs` whose span is `name`.
pub fn spans_named<'a>(docs: &'a [Value], name: &str) -> Vec<&'a Value> {
    docs.iter()
        .flat_map(all_nodes)
        .filter(|n| n["metadata"]["span"]["name"] == name)
        .collect()
}

/// Waits up to 20 s for a span named `name` in trace `trace_id`.
pub async fn wait_for_span(
    env: &BTreeMap<String, String>,
    trace_id: &str,
    name: &str,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let docs = common::segments(env, trace_id, Duration::from_secs(5)).await;
        if !spans_named(&docs, name).is_empty() || Instant::now() > deadline {
            return docs;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The whole lab path: an order placed with the shop's checkout, published
/// by the shop's dispatcher to EventBridge, routed to the mail queue, polled
/// by `lab-event-source` in its `sqs` shape, mailed by `order-mail`.
/// Then the same event again (a redelivery) sends nothing, and a poison
/// message ends in the dead-letter queue instead of coming back forever.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_is_mailed_once_through_the_mail_queue_and_a_poison_message_reaches_the_dlq() {
    let prefix = common::unique("fnm");
    let shop = Shop::start(&prefix).await;
    let queue = shop.resources.notifications_queue();
    let service = common::unique("fn-test-mail");

    let watch = Watch::start();
    let mut function = watch.attach(
        "order-mail",
        Path::new(env!("CARGO_BIN_EXE_order-mail")),
        &function_env(&shop, &service, &[]),
    );
    let mut source = common::clean_command(env!("CARGO_BIN_EXE_lab-event-source"));
    source
        .envs(&shop.env)
        .env("AWS_ENDPOINT_URL_LAMBDA", watch.endpoint())
        .env("SHOP_EVENT_SOURCE_QUEUE_URL", shop.queue_url(&queue))
        .env("SHOP_EVENT_SOURCE_FUNCTION", "order-mail")
        .env("SHOP_EVENT_SOURCE_EVENT", "sqs")
        .env("SHOP_EVENT_SOURCE_WAIT_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    let _source = KillOnDrop(source.spawn().expect("lab-event-source starts"));

    // The checkout, and the dispatcher's PutEvents to the bus.
    let email = customer();
    let order_id = shop.place_order(&email).await;
    let placed = Instant::now();
    shop.dispatch().await;

    let mails = shop.wait_for_mail(&email, &mut function).await;
    let delay = placed.elapsed();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail["Source"], MAIL_FROM);
    assert_eq!(
        mail["Subject"],
        format!("Your order {} is confirmed", &order_id[..8]),
        "{mail:#}"
    );
    assert!(
        mail["Body"]["text_part"]
            .as_str()
            .is_some_and(|t| t.contains(PUBLIC_URL)),
        "the mail links to SHOP_PUBLIC_URL: {mail:#}"
    );
    // The worker's processing acknowledges the event in the outbox, just
    // after the mail.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let acknowledged: Option<i64> = sqlx::query_scalar(
            "SELECT acked_at FROM outbox WHERE topic = 'order.placed' AND payload LIKE ?",
        )
        .bind(format!("%{order_id}%"))
        .fetch_one(shop.db.pool())
        .await
        .unwrap();
        if acknowledged.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the event is acknowledged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The same event delivered again (SQS's at-least-once), this time with
    // a trace context in its detail as the shop's dispatcher writes it.
    let (header, root, parent) = common::caller_trace_header();
    let again = shop
        .delivered_event(&order_id, json!({ "x-amzn-trace-id": header }))
        .await;
    shop.send(&queue, &again).await;
    // And a message that is no shop event at all.
    shop.send(&queue, "this is not a shop event").await;

    // The redelivery: processed as a duplicate under the event's trace, in
    // X-Ray (moto), and no second mail.
    let process_name = format!("process {queue}");
    let docs = wait_for_span(&shop.env, &root, &process_name).await;
    let process = spans_named(&docs, &process_name);
    assert_eq!(process.len(), 1, "{docs:#?}");
    let process = process[0];
    assert_eq!(
        process["trace_id"],
        root.as_str(),
        "a segment of the event's trace"
    );
    assert_eq!(
        process["parent_id"],
        parent.as_str(),
        "under the event's producer"
    );
    assert_eq!(process["name"], service.as_str());
    assert_eq!(process["annotations"]["trace_carrier"], "event_detail");
    assert_eq!(process["annotations"]["event_outcome"], "duplicate");
    assert!(
        all_nodes(process)
            .iter()
            .all(|n| n["aws"]["operation"] != "SendEmail"),
        "a duplicate calls no SES: {process:#}"
    );
    assert_eq!(shop.mails_to(&email).await.len(), 1, "one mail, not two");

    // The poison message: reported as failed at every receive, so SQS keeps
    // it, and after the queue's maxReceiveCount (2) moves it to the DLQ,
    // where the worker's poison goes too. The queue ends up empty.
    let dlq = provision::Settings::dlq_of(&queue);
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let out = common::sqs(&shop.env)
            .receive_message()
            .queue_url(shop.queue_url(&dlq))
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages().first() {
            break m.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the poison message did not reach {dlq} in a minute; the function said: {:#?}",
            function.lines()
        );
    };
    assert_eq!(dead.body(), Some("this is not a shop event"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while shop.depth(&queue).await > 0 {
        assert!(Instant::now() < deadline, "{queue} did not drain");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        function.json_lines().iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unreadable message"))),
        "the worker's poison log line: {:#?}",
        function.lines()
    );
    assert_eq!(shop.mails_to(&email).await.len(), 1);

    // No customer address in anything the function wrote.
    let leaked: Vec<&String> = function
        .lines()
        .iter()
        .filter(|l| l.contains(&email))
        .collect();
    assert!(
        leaked.is_empty(),
        "the address is in the function's output: {leaked:#?}"
    );
    eprintln!("order-mail: checkout to mail through the lab path in {delay:?}");
}

/// The partial batch response, invoked directly (as an event-source mapping
/// would): SES down → the mail's message is in `batchItemFailures`; with SES
/// back, the same message is mailed, a poison message is reported, and a
/// duplicate in the same batch is not; the sent mail's `process` span is in
/// X-Ray under the event's trace, with its SES call, and the batch's
/// `receive` span links to it.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_reports_what_failed_and_what_is_done() {
    let prefix = common::unique("fnm");
    let shop = Shop::start(&prefix).await;
    let queue = shop.resources.notifications_queue();
    let arn = event_source::queue_arn(&shop.queue_url(&queue), &shop.env["AWS_REGION"]);
    let service = common::unique("fn-test-mail");

    let watch = Watch::start();
    let mut function = watch.attach(
        "order-mail",
        Path::new(env!("CARGO_BIN_EXE_order-mail")),
        &function_env(&shop, &service, &[]),
    );
    // The same function with SES unreachable (a port nothing listens on),
    // under a second `cargo lambda watch` (it serves only the crate's
    // binaries, by name).
    let dead_ses = format!("http://127.0.0.1:{}", common::free_port());
    let watch_down = Watch::start();
    let mut ses_down = watch_down.attach(
        "order-mail",
        Path::new(env!("CARGO_BIN_EXE_order-mail")),
        &function_env(&shop, &service, &[("AWS_ENDPOINT_URL_SES", &dead_ses)]),
    );
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &shop.env));
    let invoker_down = Invoker::new(common::lambda(&watch_down.endpoint(), &shop.env));
    let invoke = |invoker: &Invoker, messages: Vec<Message>| {
        let invoker = invoker.clone();
        let event = event_source::sqs_event(&messages, &arn, &shop.env["AWS_REGION"]);
        async move {
            let answer = invoker
                .invoke("order-mail", event, &Fields::new(), Carriers::ALL)
                .await
                .unwrap();
            assert!(
                answer.succeeded(),
                "a message's failure never fails the invocation: {}",
                String::from_utf8_lossy(&answer.payload)
            );
            answer.json()
        }
    };

    let (first, second) = (customer(), customer());
    let first_order = shop.place_order(&first).await;
    let second_order = shop.place_order(&second).await;
    let (header, root, parent) = common::caller_trace_header();
    let first_event = shop
        .delivered_event(&first_order, json!({ "x-amzn-trace-id": header }))
        .await;
    let second_event = shop.delivered_event(&second_order, json!({})).await;

    // SES down: the mail is kept for a retry.
    let answer = invoke(&invoker_down, vec![message("m-2", &second_event, 1)]).await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{ "itemIdentifier": "m-2" }]),
        "{answer:#}; {:#?}",
        ses_down.lines()
    );
    assert_eq!(answer["outcomes"]["m-2"], "retry");
    assert!(shop.mails_to(&second).await.is_empty());

    // SES up: the retried message, a new one, a poison one, and the new one
    // again in the same batch.
    let answer = invoke(
        &invoker,
        vec![
            message("m-1", &first_event, 1),
            message("m-poison", "{\"detail\": \"not a shop event\"}", 1),
            message("m-2", &second_event, 2),
            message("m-1-again", &first_event, 1),
        ],
    )
    .await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{ "itemIdentifier": "m-poison" }]),
        "{answer:#}; {:#?}",
        function.lines()
    );
    assert_eq!(
        answer["outcomes"],
        json!({ "m-1": "sent", "m-poison": "poison", "m-2": "sent", "m-1-again": "duplicate" })
    );
    assert_eq!(shop.mails_to(&first).await.len(), 1);
    assert_eq!(shop.mails_to(&second).await.len(), 1);

    // The first event's trace: the function's process segment under the
    // event's producer, with the SES call as a subsegment.
    let process_name = format!("process {queue}");
    let docs = wait_for_span(&shop.env, &root, &process_name).await;
    let process = spans_named(&docs, &process_name);
    let sent = process
        .iter()
        .find(|p| p["annotations"]["event_outcome"] == "sent")
        .unwrap_or_else(|| panic!("the sent message's process segment: {docs:#?}"));
    assert_eq!(sent["parent_id"], parent.as_str());
    assert_eq!(sent["name"], service.as_str());
    let ses = all_nodes(sent)
        .into_iter()
        .find(|n| n["aws"]["operation"] == "SendEmail")
        .unwrap_or_else(|| panic!("the SES subsegment: {sent:#}"));
    assert_eq!(ses["name"], "SES");

    // The invocation's trace: the invocation segment, and under it the
    // batch's receive span, linked to the first event's producer.
    let invocation_trace = answer["invocation"]["trace_id"].as_str().unwrap();
    let receive_name = format!("receive {queue}");
    let docs = wait_for_span(&shop.env, invocation_trace, &receive_name).await;
    let receive = spans_named(&docs, &receive_name);
    assert_eq!(receive.len(), 1, "{docs:#?}");
    assert!(
        receive[0]["metadata"]["span"]["links"]
            .as_array()
            .is_some_and(|l| l
                .iter()
                .any(|x| x.as_str().is_some_and(|x| x == format!("{root}/{parent}")))),
        "the receive span links to the event's producer: {:#}",
        receive[0]
    );
    for out in [function.lines().to_vec(), ses_down.lines().to_vec()] {
        assert!(
            !out.iter()
                .any(|l| l.contains(&first) || l.contains(&second)),
            "no customer address in the function's output"
        );
    }
}
