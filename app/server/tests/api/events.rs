//! Events and notifications (issue #16) against the lab's LocalStack:
//! checkout → outbox → EventBridge → SQS → worker → SES, read back from
//! LocalStack's SES mailbox (`GET /_aws/ses`) and from the queues. Each test
//! gets its own bus, queues and topics (a random name prefix).

use std::time::Duration;

use serde_json::{Value, json};
use shop_core::admin::Role;
use telemetry_api::{SpanKind, SpanRecord, TraceId, semconv};

use crate::accounts::{log_in, register};
use crate::admin::ready_admin;
use crate::support::*;

const PASSWORD: &str = "correct horse battery";

/// What the lab's LocalStack holds, read with the AWS SDK and its mailbox.
struct Lab {
    endpoint: String,
    http: reqwest::Client,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
}

impl Lab {
    async fn new(config: &shop::config::EventsConfig) -> Lab {
        let sdk = shop_core::aws::sdk_config(&config.aws).await;
        Lab {
            endpoint: config.aws.endpoint.clone().unwrap(),
            http: reqwest::Client::new(),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            events: aws_sdk_eventbridge::Client::new(&sdk),
        }
    }

    /// Every mail SES recorded for `to`, oldest first.
    async fn mails_to(&self, to: &str) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/_aws/ses", self.endpoint))
            .send()
            .await
            .unwrap();
        // Before the first SES call after a restart the mailbox answers 404.
        if r.status() == 404 {
            return Vec::new();
        }
        let all: Value = r.json().await.unwrap();
        all["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["Destination"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == to))
            })
            .cloned()
            .collect()
    }

    /// Waits (up to a minute) until `to` has `n` mails, and returns them.
    async fn wait_for_mails(&self, to: &str, n: usize) -> Vec<Value> {
        for _ in 0..600 {
            let mails = self.mails_to(to).await;
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{to} did not get {n} mails in a minute; got {:#?}",
            self.mails_to(to).await
        );
    }

    async fn queue_url(&self, name: &str) -> String {
        self.sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("queue {name}: {e:?}"))
            .queue_url()
            .unwrap()
            .to_owned()
    }

    /// Visible messages of a queue (SQS's approximation).
    async fn depth(&self, name: &str) -> i64 {
        let url = self.queue_url(name).await;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        out.attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Receives (and deletes) what a queue holds, waiting up to `wait` for
    /// at least `n` messages.
    async fn drain(&self, name: &str, n: usize, wait: Duration) -> Vec<String> {
        let url = self.queue_url(name).await;
        let mut bodies = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while bodies.len() < n && tokio::time::Instant::now() < deadline {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            for m in out.messages() {
                bodies.push(m.body().unwrap_or_default().to_owned());
                self.sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        bodies
    }

    /// A queue of the test's own with a rule that copies every shop event
    /// on `bus` into it: what an archive (or an eavesdropper) on the bus sees.
    async fn tap(&self, bus: &str) -> String {
        let name = format!("{bus}-tap");
        let url = self
            .sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        self.events
            .put_rule()
            .name(&name)
            .event_bus_name(bus)
            .event_pattern(json!({ "source": ["shop"] }).to_string())
            .send()
            .await
            .unwrap();
        self.events
            .put_targets()
            .rule(&name)
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("tap")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        name
    }
}

/// A shop with events on, and a view of its LocalStack resources.
async fn spawn_with_events(kind: DbKind) -> (TestApp, Lab, shop::config::EventsConfig) {
    let events = lab_events();
    let lab = Lab::new(&events).await;
    let mut opts = Spawn::new(kind);
    opts.events = Some(events.clone());
    let app = spawn_with(opts).await;
    // The shop provisions its resources as it starts, queues and topics
    // first, then the rules: wait for the last rule's target (a test that
    // reads the admins' queue before it exists fails on a busy machine).
    let last_rule = format!("{}-low-stock", events.resources.prefix);
    for _ in 0..300 {
        let targets = lab
            .events
            .list_targets_by_rule()
            .rule(&last_rule)
            .event_bus_name(events.resources.bus())
            .send()
            .await;
        if targets.is_ok_and(|t| !t.targets().is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (app, lab, events)
}

fn unique_email(what: &str) -> String {
    format!("{what}-{:08x}@example.com", rand::random::<u32>())
}

async fn place_order(app: &TestApp, email: &str, product: i64) -> Value {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, product, 1).await, 201).await;
    let mut body = order_body(&cart);
    body["email"] = json!(email);
    expect_json(
        app.checkout(&format!("k-{}", rand::random::<u64>()), &body)
            .await,
        201,
    )
    .await
}

/// The span named `name` in `spans`.
fn named<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span {name:?} among {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

/// The child of `parent` named `name`.
fn child<'a>(spans: &'a [SpanRecord], parent: &SpanRecord, name: &str) -> &'a SpanRecord {
    spans
        .iter()
        .find(|s| s.name == name && s.parent_span_id == Some(parent.context.span_id))
        .unwrap_or_else(|| panic!("no {name:?} under {:?}:\n{}", parent.name, render(spans)))
}

/// The tree of `spans`, indented, for failure messages.
fn render(spans: &[SpanRecord]) -> String {
    fn walk(
        spans: &[SpanRecord],
        parent: Option<telemetry_api::SpanId>,
        depth: usize,
        out: &mut String,
    ) {
        for s in spans.iter().filter(|s| {
            s.parent_span_id == parent
                || (parent.is_none()
                    && !spans
                        .iter()
                        .any(|p| Some(p.context.span_id) == s.parent_span_id))
        }) {
            if parent.is_none()
                && s.parent_span_id.is_some()
                && spans
                    .iter()
                    .any(|p| Some(p.context.span_id) == s.parent_span_id)
            {
                continue;
            }
            out.push_str(&format!("{}{} {:?}\n", "  ".repeat(depth), s.name, s.kind));
            walk(spans, Some(s.context.span_id), depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(spans, None, 0, &mut out);
    out
}

/// Waits until the trace holds a span named `name` (the async hops end later).
async fn wait_for_span(app: &TestApp, trace: TraceId, name: &str) -> Vec<SpanRecord> {
    for _ in 0..300 {
        let spans = app.recorder.trace(trace);
        if spans.iter().any(|s| s.name == name) {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no {name:?} in the trace; it holds {:?}",
        app.recorder
            .trace(trace)
            .iter()
            .map(|s| &s.name)
            .collect::<Vec<_>>()
    )
}

async fn confirmation_and_shipping_notice(kind: DbKind) {
    let (app, lab, events) = spawn_with_events(kind).await;
    let email = unique_email("buyer");
    let order = place_order(&app, &email, 3).await;
    let id = order["id"].as_str().unwrap().to_owned();

    // C-NOTIF-01: one confirmation, text and HTML, with the order's lines and total.
    let mails = lab.wait_for_mails(&email, 1).await;
    let m = &mails[0];
    assert_eq!(m["Source"], "shop@example.com");
    assert_eq!(
        m["Subject"],
        format!("Your order {} is confirmed", &id[..8])
    );
    let text = m["Body"]["text_part"].as_str().unwrap();
    let html = m["Body"]["html_part"].as_str().unwrap();
    assert!(text.contains(&id), "{text}");
    let total = order["total_cents"].as_i64().unwrap();
    let money = format!(
        "{} {}.{:02}",
        order["currency"].as_str().unwrap(),
        total / 100,
        total % 100
    );
    assert!(text.contains(&format!("Total      {money}")), "{text}");
    assert!(
        html.contains(&money) && html.starts_with("<!doctype html>"),
        "{html}"
    );
    assert!(
        text.contains(&format!("http://shop.test/order/?id={id}")),
        "{text}"
    );

    // Its trace runs from the checkout to the SES call, through the outbox,
    // the bus and the queue: one connected tree.
    let trace = TraceId::from_hex(order_trace(&app, &id).await.as_str()).unwrap();
    // The consumer's span ends last (after the mail, the acknowledgement and the delete).
    let spans = wait_for_span(
        &app,
        trace,
        &format!("process {}", events.resources.notifications_queue()),
    )
    .await;
    let server = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    let create = named(&spans, "order.placed create");
    let send = spans
        .iter()
        .find(|s| {
            s.name == format!("send {}", events.resources.bus())
                && s.parent_span_id == Some(create.context.span_id)
        })
        .expect("the dispatcher's send span under the event's create span");
    let put = child(&spans, send, "EventBridge.PutEvents");
    let process = spans
        .iter()
        .find(|s| {
            s.name == format!("process {}", events.resources.notifications_queue())
                && s.parent_span_id == Some(send.context.span_id)
        })
        .expect("the worker's process span under the send span");
    assert_eq!(process.kind, SpanKind::Consumer);
    assert_eq!(put.kind, SpanKind::Client);
    let ses = child(&spans, process, "SES.SendEmail");
    assert_eq!(
        ses.attribute(semconv::RPC_SYSTEM).and_then(|v| v.as_str()),
        Some("aws-api")
    );
    assert!(ses.attribute(semconv::AWS_REQUEST_ID).is_some(), "{ses:?}");
    child(&spans, process, "SQS.DeleteMessage");
    assert_eq!(
        create.parent_span_id,
        Some(server.context.span_id),
        "{}",
        render(&spans)
    );
    for s in [create, send, process] {
        assert_eq!(
            s.attribute(semconv::MESSAGING_MESSAGE_ID),
            process.attribute(semconv::MESSAGING_MESSAGE_ID),
            "every hop names the same event"
        );
    }
    // No address, name or street in any span or log line of the trace.
    let seen = format!("{:?}{:?}", spans, app.recorder.logs());
    for secret in [email.as_str(), "Aiko Tanaka", "Marunouchi"] {
        assert!(!seen.contains(secret), "telemetry carries {secret:?}");
    }

    // C-NOTIF-02: packing says nothing; shipping sends the notice with its tracking number.
    let manager = ready_admin(&app, &unique_email("orders"), &[Role::OrderManager]).await;
    let path = format!("/api/admin/orders/{id}/status");
    expect_json(
        manager.post(&app, &path, &json!({ "to": "packed" })).await,
        200,
    )
    .await;
    expect_json(
        manager
            .post(
                &app,
                &path,
                &json!({ "to": "shipped", "tracking_number": "JP123456789" }),
            )
            .await,
        200,
    )
    .await;
    let mails = lab.wait_for_mails(&email, 2).await;
    let notice = &mails[1];
    assert_eq!(
        notice["Subject"],
        format!("Your order {} has shipped", &id[..8])
    );
    assert!(
        notice["Body"]["text_part"]
            .as_str()
            .unwrap()
            .contains("Tracking number: JP123456789")
    );

    // Exactly two mails, each recorded once and acknowledged; nothing waits.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(lab.mails_to(&email).await.len(), 2);
    let handled: Vec<(String, String)> =
        sqlx::query_as("SELECT topic, outcome FROM processed_events ORDER BY processed_at")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        handled,
        [
            ("order.placed".to_owned(), "sent".to_owned()),
            ("order.shipped".to_owned(), "sent".to_owned())
        ]
    );
    let unacked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE topic IN ('order.placed', 'order.shipped') AND acked_at IS NULL",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(unacked, 0);
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(pending, 0, "placed, paid and shipped are all on the bus");
    assert_eq!(lab.depth(&events.resources.notifications_queue()).await, 0);
    app.stop().await;
}

/// The trace of the order's `order.placed` event: found by the event id
/// the outbox row holds, on the span that wrote it.
async fn order_trace(app: &TestApp, order_id: &str) -> String {
    let payloads: Vec<(String, String)> =
        sqlx::query_as("SELECT event_id, payload FROM outbox WHERE topic = 'order.placed'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let event_id = payloads
        .into_iter()
        .find(|(_, p)| p.contains(order_id))
        .map(|(e, _)| e)
        .expect("the order's event in the outbox");
    for _ in 0..100 {
        if let Some(s) = app.recorder.spans().into_iter().find(|s| {
            s.name == "order.placed create"
                && s.attribute(semconv::MESSAGING_MESSAGE_ID)
                    .and_then(|v| v.as_str())
                    == Some(event_id.as_str())
        }) {
            return s.context.trace_id.to_hex();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no order.placed create span for event {event_id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_confirmed_by_mail_and_its_shipment_announced_sqlite() {
    confirmation_and_shipping_notice(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_confirmed_by_mail_and_its_shipment_announced_mysql() {
    confirmation_and_shipping_notice(DbKind::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mail_carries_the_link_and_the_bus_carries_no_personal_data_or_secret() {
    let (app, lab, events) = spawn_with_events(DbKind::Sqlite).await;
    let tap = lab.tap(&events.resources.bus()).await;
    let email = unique_email("forgetful");
    expect_json(
        register(&app, &email, PASSWORD, "Forgetful Fumiko").await,
        201,
    )
    .await;
    assert_eq!(
        app.post_json("/api/auth/password-reset", &json!({ "email": email }))
            .await
            .status(),
        202
    );
    let mails = lab.wait_for_mails(&email, 1).await;
    assert_eq!(mails[0]["Subject"], "Reset your password");
    let text = mails[0]["Body"]["text_part"].as_str().unwrap();
    let token = text
        .split("/account/reset-password/?token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a reset link")
        .to_owned();
    assert_eq!(token.len(), 64, "{text}");
    // The token works once.
    assert_eq!(
        app.post_json(
            "/api/auth/password-reset/confirm",
            &json!({ "token": token, "password": "a new correct horse" })
        )
        .await
        .status(),
        204
    );
    // An order too, so the tap sees an order's events as well.
    place_order(&app, &email, 4).await;
    lab.wait_for_mails(&email, 2).await;
    let seen = lab.drain(&tap, 3, Duration::from_secs(20)).await;
    let types: Vec<String> = seen
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["detail-type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for t in ["account.password_reset", "order.placed", "order.paid"] {
        assert!(
            types.iter().any(|x| x == t),
            "{t} not on the bus: {types:?}"
        );
    }
    let all = seen.join("\n");
    for secret in [
        email.as_str(),
        token.as_str(),
        "Forgetful Fumiko",
        "Aiko Tanaka",
        "Marunouchi",
    ] {
        assert!(!all.contains(secret), "the bus carries {secret:?}: {all}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_in_stock_and_sale_notices_go_to_the_customers_who_asked() {
    let (app, lab, _events) = spawn_with_events(DbKind::Sqlite).await;
    let waiting = unique_email("waiting");
    let bargain = unique_email("bargain");
    let nobody = unique_email("nobody");
    for (email, name) in [
        (&waiting, "Waiting Wataru"),
        (&bargain, "Bargain Ban"),
        (&nobody, "No Mail"),
    ] {
        expect_json(register(&app, email, PASSWORD, name).await, 201).await;
    }
    let w = log_in(&app, &waiting, PASSWORD, None).await;
    let b = log_in(&app, &bargain, PASSWORD, None).await;

    // An alert is only for a sold-out product; asking twice keeps one.
    let in_stock = expect_error(
        w.send(
            &app,
            reqwest::Method::PUT,
            "/api/account/stock-alerts/9",
            None,
            true,
        )
        .await,
        409,
        "product_in_stock",
        None,
    )
    .await;
    assert_eq!(in_stock["error"]["details"]["product_id"], 9);
    expect_error(
        w.send(
            &app,
            reqwest::Method::PUT,
            "/api/account/stock-alerts/99999",
            None,
            true,
        )
        .await,
        404,
        "not_found",
        None,
    )
    .await;
    expect_error(
        w.send(
            &app,
            reqwest::Method::PUT,
            "/api/account/stock-alerts/9",
            None,
            false,
        )
        .await,
        403,
        "csrf_failed",
        None,
    )
    .await;
    app.set_stock(9, 0).await;
    let created = w
        .send(
            &app,
            reqwest::Method::PUT,
            "/api/account/stock-alerts/9",
            None,
            true,
        )
        .await;
    assert_eq!(created.status(), 201);
    let again = w
        .send(
            &app,
            reqwest::Method::PUT,
            "/api/account/stock-alerts/9",
            None,
            true,
        )
        .await;
    assert_eq!(again.status(), 200);
    let alerts = expect_json(w.get(&app, "/api/account/stock-alerts").await, 200).await;
    assert_eq!(alerts.as_array().unwrap().len(), 1);
    assert_eq!(alerts[0]["product_id"], 9);

    // Sale notices are opt-in.
    let profile = expect_json(w.get(&app, "/api/account").await, 200).await;
    assert_eq!(profile["sale_notices"], false);
    let on = expect_json(
        b.send(
            &app,
            reqwest::Method::PATCH,
            "/api/account",
            Some(&json!({ "sale_notices": true })),
            true,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (on["sale_notices"].as_bool(), on["name"].as_str()),
        (Some(true), Some("Bargain Ban"))
    );

    // The back office receives stock (back in stock) and cuts a price (a sale).
    let admin = ready_admin(
        &app,
        &unique_email("admin"),
        &[Role::InventoryManager, Role::CatalogManager],
    )
    .await;
    expect_json(
        admin
            .post(
                &app,
                "/api/admin/inventory/9/adjustments",
                &json!({ "delta": 4, "reason": "receiving" }),
            )
            .await,
        200,
    )
    .await;
    let before = app.get_json("/api/products/11", 200).await["price_cents"]
        .as_i64()
        .unwrap();
    expect_json(
        admin
            .send(
                &app,
                reqwest::Method::PATCH,
                "/api/admin/products/11",
                Some(&json!({ "price_cents": before - 100 })),
            )
            .await,
        200,
    )
    .await;

    let back = lab.wait_for_mails(&waiting, 1).await;
    let name = app.get_json("/api/products/9", 200).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(back[0]["Subject"], format!("Back in stock: {name}"));
    let sale = lab.wait_for_mails(&bargain, 1).await;
    let sale_text = sale[0]["Body"]["text_part"].as_str().unwrap();
    assert!(
        sale_text.contains(&format!("{}.{:02}", before / 100, before % 100)),
        "the old price: {sale_text}"
    );
    // Once only: the alert is closed; nobody else got anything.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        lab.mails_to(&waiting).await.len(),
        1,
        "no sale notice without asking"
    );
    assert_eq!(lab.mails_to(&bargain).await.len(), 1);
    assert!(lab.mails_to(&nobody).await.is_empty());
    let alerts = expect_json(w.get(&app, "/api/account/stock-alerts").await, 200).await;
    assert_eq!(alerts, json!([]), "the alert closed when it was sent");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_stock_crossing_reaches_the_admins_topic() {
    let (app, lab, events) = spawn_with_events(DbKind::Sqlite).await;
    let admin = ready_admin(&app, &unique_email("stock"), &[Role::InventoryManager]).await;
    let on_hand = app.stock(7).await;
    expect_json(
        admin
            .send(
                &app,
                reqwest::Method::PUT,
                "/api/admin/inventory/7/threshold",
                Some(&json!({ "threshold": on_hand - 1 })),
            )
            .await,
        200,
    )
    .await;
    expect_json(
        admin
            .post(
                &app,
                "/api/admin/inventory/7/adjustments",
                &json!({ "delta": -1, "reason": "damage" }),
            )
            .await,
        200,
    )
    .await;
    // The SNS topic delivers to its SQS subscription (raw: the event itself).
    let got = lab
        .drain(
            &events.resources.admin_alerts_queue(),
            1,
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(got.len(), 1, "{got:?}");
    let event: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(event["detail-type"], "inventory.low_stock");
    assert_eq!(event["detail"]["data"]["product_id"], 7);
    assert_eq!(event["detail"]["data"]["quantity"], on_hand - 1);
    app.stop().await;
}

/// A-INV-02 for sales: the checkout that takes a product to its threshold
/// names it in `order.placed`; the event's consumer records one alert and
/// sends `inventory.low_stock` to the admins' topic, in the checkout's
/// trace. The next sale (already below) raises none, and a redelivery of
/// the first event none either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_that_crosses_the_threshold_raises_one_alert_for_the_admins() {
    let (app, lab, events) = spawn_with_events(DbKind::Sqlite).await;
    let admin = ready_admin(&app, &unique_email("stock"), &[Role::InventoryManager]).await;
    let on_hand = app.stock(8).await;
    let threshold = on_hand - 1;
    expect_json(
        admin
            .send(
                &app,
                reqwest::Method::PUT,
                "/api/admin/inventory/8/threshold",
                Some(&json!({ "threshold": threshold })),
            )
            .await,
        200,
    )
    .await;
    let (first, second) = (unique_email("crosses"), unique_email("below"));
    let crossing = place_order(&app, &first, 8).await;
    let crossing_id = crossing["id"].as_str().unwrap();
    place_order(&app, &second, 8).await;
    // Both orders' events handled: their confirmations went out.
    lab.wait_for_mails(&first, 1).await;
    lab.wait_for_mails(&second, 1).await;

    let got = lab
        .drain(
            &events.resources.admin_alerts_queue(),
            2,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(got.len(), 1, "one crossing, one event: {got:?}");
    let event: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(event["detail-type"], "inventory.low_stock");
    let data = &event["detail"]["data"];
    assert_eq!(
        (
            data["product_id"].clone(),
            data["quantity"].clone(),
            data["threshold"].clone(),
            data["order_id"].clone()
        ),
        (
            json!(8),
            json!(threshold),
            json!(threshold),
            json!(crossing_id)
        ),
        "{event}"
    );
    let alerts = expect_json(admin.get(&app, "/api/admin/inventory/alerts").await, 200).await;
    let for_product: Vec<&Value> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["product_id"] == 8)
        .collect();
    assert_eq!(for_product.len(), 1, "{alerts}");
    assert_eq!(for_product[0]["quantity"], threshold);

    // The alert's event was written under the checkout's trace (the worker
    // continued it from the order's event).
    let trace = order_trace(&app, crossing_id).await;
    let spans = wait_for_span(
        &app,
        TraceId::from_hex(&trace).unwrap(),
        "inventory.low_stock create",
    )
    .await;
    assert!(
        spans.iter().any(|s| s.name == "order.placed create"),
        "{}",
        render(&spans)
    );

    // A redelivered `order.placed` records nothing twice.
    let event_id: String =
        sqlx::query_scalar("SELECT event_id FROM processed_events WHERE consumer = 'inventory'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let crossings = shop_core::inventory::alerts::Crossing::from_event(&json!({
        "low_stock": [{ "product_id": 8, "quantity": threshold, "threshold": threshold }],
    }));
    let again = shop_core::inventory::alerts::record_sale_crossings(
        &app.db,
        &event_id,
        crossing_id,
        &crossings,
    )
    .await
    .unwrap();
    assert_eq!(again, 0);
    let alerts = expect_json(admin.get(&app, "/api/admin/inventory/alerts").await, 200).await;
    assert_eq!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["product_id"] == 8)
            .count(),
        1
    );
    app.stop().await;
}

/// A-BATCH-01's delivery: a finished stock report is announced
/// (`inventory.stock_report`, written with the run's record) and mailed to
/// the admins who look after stock, naming the products that need
/// attention; an admin of another role gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_report_is_mailed_to_the_admins_who_look_after_stock() {
    let (app, lab, _events) = spawn_with_events(DbKind::Sqlite).await;
    let (keeper_email, viewer_email) = (unique_email("keeper"), unique_email("viewer"));
    let keeper = ready_admin(&app, &keeper_email, &[Role::InventoryManager]).await;
    ready_admin(&app, &viewer_email, &[Role::Viewer]).await;
    // Running a batch job is an administrator's (who reads the report too).
    let boss_email = unique_email("boss");
    let boss = ready_admin(&app, &boss_email, &[Role::Administrator]).await;
    // One product out of stock, so the report has something to say.
    let on_hand = app.stock(3).await;
    expect_json(
        keeper
            .post(
                &app,
                "/api/admin/inventory/3/adjustments",
                &json!({ "delta": -on_hand, "reason": "damage" }),
            )
            .await,
        200,
    )
    .await;
    let run = expect_json(
        boss.send(
            &app,
            reqwest::Method::POST,
            "/api/admin/batch/stock_report",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(run["outcome"], "success", "{run}");

    let mails = lab.wait_for_mails(&keeper_email, 1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let out = run["detail"]["out_of_stock"].as_i64().unwrap();
    assert!(out >= 1, "{run}");
    assert_eq!(
        mail["Subject"],
        format!(
            "Stock report: {} low, {out} out of stock",
            run["detail"]["low_stock"]
        )
    );
    let text = mail["Body"]["text_part"].as_str().unwrap_or_default();
    let name = app.get_json("/api/products/3", 200).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!("{name} (product 3): 0 left")),
        "{text}"
    );
    assert!(text.contains(run["id"].as_str().unwrap()), "{text}");
    assert!(
        mail["Body"]["html_part"]
            .as_str()
            .unwrap_or_default()
            .contains("Stock report")
    );
    assert_eq!(lab.wait_for_mails(&boss_email, 1).await.len(), 1);
    // The viewer is not a reader of the report.
    assert!(lab.mails_to(&viewer_email).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_reaches_the_dead_letter_queue_and_a_redrive_brings_it_back() {
    let (app, lab, events) = spawn_with_events(DbKind::Sqlite).await;
    let queue = events.resources.notifications_queue();
    let dlq = shop_core::events::provision::Settings::dlq_of(&queue);
    let url = lab.queue_url(&queue).await;
    lab.sqs
        .send_message()
        .queue_url(&url)
        .message_body("this is not an event")
        .send()
        .await
        .unwrap();
    // The worker leaves it; after 3 receives SQS moves it to the DLQ.
    let mut landed = false;
    for _ in 0..300 {
        if lab.depth(&dlq).await == 1 {
            landed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(landed, "the poison message never reached {dlq}");
    let poison: Vec<String> = app
        .recorder
        .spans()
        .iter()
        .filter(|s| s.name == format!("process {queue}"))
        .filter_map(|s| {
            s.attribute(semconv::SHOP_EVENT_OUTCOME)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(
        poison.len() >= 3 && poison.iter().all(|o| o == "poison"),
        "{poison:?}"
    );

    // A redrive moves it back to the queue (where the worker meets it again).
    let sdk = shop_core::aws::sdk_config(&events.aws).await;
    let moved = shop_core::notifications::dlq::redrive(&sdk, &queue, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        (moved.waiting, moved.moved, moved.status.as_str()),
        (1, 1, "COMPLETED")
    );
    let before = poison.len();
    let mut seen_again = false;
    for _ in 0..100 {
        let n = app
            .recorder
            .spans()
            .iter()
            .filter(|s| s.name == format!("process {queue}"))
            .count();
        if n > before {
            seen_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen_again, "the redriven message was not received again");
    let empty =
        shop_core::notifications::dlq::redrive(&sdk, "no-such-queue-x", Duration::from_secs(1))
            .await;
    assert!(empty.unwrap_err().is_missing_resource());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_wait_in_the_outbox_while_the_bus_is_unreachable_and_go_out_later() {
    // A shop whose AWS endpoint is a closed port: checkouts still succeed,
    // the events wait in the outbox with their failed attempts counted.
    let live = lab_events();
    let mut down = live.clone();
    down.aws.endpoint = Some(format!("http://127.0.0.1:{}", crate::common::free_port()));
    down.notify = false;
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.events = Some(down);
    let offline = spawn_with(opts).await;
    let email = unique_email("patient");
    place_order(&offline, &email, 5).await;
    // Each failed `PutEvents` takes up to ~3 s (the SDK's own three tries
    // with its backoff), then the dispatcher waits 1–2 s before its second
    // attempt: ~8 s on an idle machine, so the wait allows 30 s (CI is busy).
    let mut attempts = 0;
    for _ in 0..300 {
        attempts = sqlx::query_scalar::<_, i64>(
            "SELECT MIN(attempts) FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(offline.db.pool())
        .await
        .unwrap();
        if attempts >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        attempts >= 2,
        "the dispatcher retries (backoff 1 s, then 2 s); attempts after 30 s: {attempts}"
    );
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox LIMIT 1")
        .fetch_one(offline.db.pool())
        .await
        .unwrap();
    assert!(error.contains("PutEvents"), "{error}");
    // The shop restarts on the same database with the bus reachable: the
    // mail goes out. (The offline shop stops first: left running, its
    // dispatcher would keep claiming the row and pushing its next attempt
    // further out with each failure.)
    let lab = Lab::new(&live).await;
    let database = offline.shared_database();
    offline.stop().await;
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.database = Some(database);
    opts.events = Some(live);
    let online = spawn_with(opts).await;
    let mails = lab.wait_for_mails(&email, 1).await;
    assert_eq!(mails.len(), 1);
    online.stop().await;
}
