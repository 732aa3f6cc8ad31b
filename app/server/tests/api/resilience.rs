//! Circuit breakers and retries (docs/resilience.md): a service that keeps
//! failing is not called for a while, the shopper gets a fast 503 with
//! `Retry-After`, and calls resume by themselves once it is back.
//!
//! The failing service is real (the shop's inventory role; LocalStack's SES)
//! behind a TCP relay that can play "down": it then accepts each connection
//! and closes it at once, like a crashed process behind a load balancer, or
//! answers `503 Service Unavailable` itself, like the load balancer with no
//! healthy target. The relay counts connections, which is how the tests see
//! that an open circuit makes no call at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use shop::config::Role;
use shop_core::resilience::{Breaker, BreakerSettings, CircuitState};
use telemetry_api::{Value, semconv};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

/// What the relay does with a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Relaying {
    /// Closes it at once.
    Drop = 0,
    /// Passes it on to the target.
    Forward = 1,
    /// Answers `503 Service Unavailable` and closes it.
    Unavailable = 2,
}

/// A TCP relay to `target` that can be switched down and up.
struct Relay {
    address: String,
    /// Changing it also closes the connections being forwarded (a pooled
    /// connection would otherwise outlive the change).
    mode: tokio::sync::watch::Sender<u8>,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// A relay to `target` (`host:port`), dropping connections until
    /// [`Relay::set`] says otherwise.
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (mode, watch) = tokio::sync::watch::channel(Relaying::Drop as u8);
        let accepted = Arc::new(AtomicUsize::new(0));
        let a = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                let mut changes = watch.clone();
                let mode = *changes.borrow_and_update();
                let target = target.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    if mode == Relaying::Forward as u8 {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = changes.changed() => {}
                            }
                        }
                    } else if mode == Relaying::Unavailable as u8 {
                        // Read the request's head, then answer for the service.
                        let mut buf = [0u8; 4096];
                        let _ = inbound.read(&mut buf).await;
                        let _ = inbound
                            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                            .await;
                    }
                });
            }
        });
        Relay {
            address,
            mode,
            accepted,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn set(&self, mode: Relaying) {
        self.mode.send_replace(mode as u8);
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn circuit(name: &str) -> [(&str, Value); 1] {
    [(semconv::SHOP_CIRCUIT_NAME, Value::from(name.to_owned()))]
}

fn entered(name: &str, state: &str) -> [(&'static str, Value); 2] {
    [
        (semconv::SHOP_CIRCUIT_NAME, Value::from(name.to_owned())),
        (semconv::SHOP_CIRCUIT_STATE, Value::from(state.to_owned())),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_that_keeps_failing_is_not_called_until_it_is_back() {
    let inventory = spawn_with(Spawn {
        role: Role::Inventory,
        ..Spawn::new(DbKind::Sqlite)
    })
    .await;
    let target = inventory.base.trim_start_matches("http://").to_owned();
    let relay = Relay::start(target).await;
    let orders = spawn_with(Spawn {
        role: Role::Orders,
        inventory_url: Some(relay.url()),
        database: Some(inventory.shared_database()),
        // Three failed calls in a row open it, for at most a second.
        circuit: BreakerSettings::new(3, 1),
        ..Spawn::new(DbKind::Sqlite)
    })
    .await;
    let catalog = spawn_with(Spawn {
        role: Role::Catalog,
        database: Some(inventory.shared_database()),
        ..Spawn::new(DbKind::Sqlite)
    })
    .await;
    let cart = orders.create_cart().await;

    // Down: the stock check is tried, then retried twice (a closed
    // connection is worth another try), and the shopper gets a 503.
    let r = orders.add_item(&cart, 2, 1).await;
    assert_eq!(r.headers()["retry-after"], "5");
    expect_error(r, 503, "service_unavailable", None).await;
    let tries = 1 + shop_core::inventory::remote::RETRIES;
    let tried = relay.accepted();
    assert!(
        tried >= tries,
        "one call and its retries reached the relay: {tried}"
    );
    let calls = orders.recorder.histogram_count(
        semconv::metrics::HTTP_CLIENT_REQUEST_DURATION,
        &[(
            semconv::PEER_SERVICE,
            Value::from(shop_core::inventory::client::INVENTORY_SERVICE),
        )],
    );
    assert_eq!(calls, tries, "each try is a measured call of its own");
    // Three failures in a row: the circuit is open.
    assert_eq!(
        orders.recorder.counter_total(
            semconv::metrics::SHOP_CIRCUIT_TRANSITIONS,
            &entered("shop-inventory", "open")
        ),
        1.0
    );
    assert!(
        orders
            .recorder
            .logs()
            .iter()
            .any(|l| l.message.starts_with("circuit opened")),
        "the opening is logged"
    );

    // Open: refused without a call; the catalog (its own service) is served.
    let r = orders.add_item(&cart, 2, 1).await;
    assert_eq!(r.headers()["retry-after"], "5");
    expect_error(r, 503, "service_unavailable", None).await;
    assert_eq!(relay.accepted(), tried, "an open circuit makes no call");
    assert!(
        orders.recorder.counter_total(
            semconv::metrics::SHOP_CIRCUIT_REJECTED,
            &circuit("shop-inventory")
        ) >= 1.0
    );
    expect_json(catalog.get("/api/products/2").await, 200).await;

    // Back: after the open period a trial call goes through and closes it.
    relay.set(Relaying::Forward);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect_json(orders.add_item(&cart, 2, 1).await, 201).await;
    for state in ["half_open", "closed"] {
        assert_eq!(
            orders.recorder.counter_total(
                semconv::metrics::SHOP_CIRCUIT_TRANSITIONS,
                &entered("shop-inventory", state)
            ),
            1.0,
            "{state}"
        );
    }
    expect_json(orders.add_item(&cart, 3, 1).await, 201).await;

    // Inventory's load balancer with no healthy target: a 503 from upstream,
    // retried, is a 503 with Retry-After for the shopper too (not a 502).
    relay.set(Relaying::Unavailable);
    let before = relay.accepted();
    let r = orders.add_item(&cart, 3, 1).await;
    assert_eq!(r.headers()["retry-after"], "5");
    expect_error(r, 503, "service_unavailable", None).await;
    assert_eq!(relay.accepted() - before, tries, "a 503 is retried");

    catalog.stop().await;
    orders.stop().await;
    inventory.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_not_tried_while_ses_keeps_failing_and_goes_out_once_it_is_back() {
    let lab = lab_events();
    let localstack = lab.aws.endpoint.clone().unwrap();
    let relay = Relay::start(localstack.trim_start_matches("http://").to_owned()).await;
    // The sender identity, as the shop provisions it.
    let direct = shop_core::aws::sdk_config(&lab.aws).await;
    let provisioner =
        shop_core::events::dispatcher::Provisioner::new(direct, lab.resources.clone());
    assert!(provisioner.ensure().await, "the lab's SES identity");

    let (backend, recorder) = telemetry_api::recording::backend();
    let telemetry =
        telemetry_api::Telemetry::builder(backend, telemetry_api::Resource::new("mail", "test"))
            .build()
            .unwrap();
    let instruments = shop_core::instruments::Instruments::new(&telemetry);
    let mut through_relay = lab.aws.clone();
    through_relay.endpoint = Some(relay.url());
    let sdk = shop_core::aws::sdk_config(&through_relay).await;
    let breaker = Breaker::new("ses", BreakerSettings::new(2, 1), &instruments);
    let mailer = shop_core::notifications::mail::Mailer::new(
        &sdk,
        lab.resources.mail_from.clone(),
        breaker.clone(),
    );
    let to = format!("breaker-{:08x}@example.com", rand::random::<u32>());
    let mail = shop_core::notifications::mail::Rendered {
        subject: "Your order".to_owned(),
        text: "Thank you.".to_owned(),
        html: "<p>Thank you.</p>".to_owned(),
    };
    let template = shop_core::notifications::mail::Template::OrderConfirmation;
    use shop_core::notifications::mail::SendError;

    // Down: two sends fail (the SDK tries each a few times), which opens it.
    for _ in 0..2 {
        let e = mailer.send(template, &to, &mail).await.unwrap_err();
        assert!(matches!(e, SendError::Unavailable(_)), "{e}");
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    let tried = relay.accepted();
    assert!(tried >= 2, "{tried}");

    // Open: the next mail is not tried at all.
    match mailer.send(template, &to, &mail).await.unwrap_err() {
        SendError::Unavailable(e) => assert_eq!(e.kind, "circuit_open", "{e}"),
        e => panic!("{e}"),
    }
    assert_eq!(relay.accepted(), tried, "an open circuit makes no call");
    assert_eq!(
        recorder.counter_total(semconv::metrics::SHOP_CIRCUIT_REJECTED, &circuit("ses")),
        1.0
    );

    // Back: the trial send goes out and closes it; SES has the mail.
    relay.set(Relaying::Forward);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let id = mailer.send(template, &to, &mail).await.unwrap();
    assert!(!id.is_empty());
    assert_eq!(breaker.state(), CircuitState::Closed);
    let mailbox: serde_json::Value = reqwest::get(format!("{localstack}/_aws/ses"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delivered = mailbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["Destination"]["ToAddresses"][0] == to.as_str())
        .count();
    assert_eq!(delivered, 1, "only the trial mail reached SES");
    for state in ["open", "half_open", "closed"] {
        assert_eq!(
            recorder.counter_total(
                semconv::metrics::SHOP_CIRCUIT_TRANSITIONS,
                &entered("ses", state)
            ),
            1.0,
            "{state}"
        );
    }
}
