//! The shop's side of the `order-mail` tests, for both backends: a migrated,
//! seeded SQLite database the function shares, orders placed with the
//! shop's own checkout code (`shop_core::orders`), the messaging provisioned
//! with the shop's own provisioning (a random prefix per test), the shop's
//! dispatcher, and LocalStack's SES mailbox (`GET /_aws/ses`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use serde_json::{Value, json};
use shop_core::accounts::UserType;
use shop_core::cart::{CartId, Carts, Quantity};
use shop_core::catalog::ids::ProductId;
use shop_core::db::Db;
use shop_core::email::EmailAddress;
use shop_core::events::dispatcher::{Dispatcher, Settings as DispatcherSettings};
use shop_core::events::provision;
use shop_core::instruments::Instruments;
use shop_core::inventory::Inventory;
use shop_core::inventory::client::InventoryClient;
use shop_core::orders::{Address, Checkout, IdempotencyKey, Orders, Placed, ShippingAddress};
use shop_core::payments::{CashOnDelivery, MockProvider, Payment, Simulation};
use telemetry_api::Telemetry;

use crate::common::{self, Process};

pub const MAIL_FROM: &str = "shop@example.com";
pub const PUBLIC_URL: &str = "http://shop.test";

/// The shop's side of a test: its database, its provisioned messaging, and
/// LocalStack's mailbox.
pub struct Shop {
    pub env: BTreeMap<String, String>,
    pub dir: std::path::PathBuf,
    pub url: String,
    pub db: Db,
    pub instruments: Instruments,
    pub sdk: aws_config::SdkConfig,
    pub resources: provision::Settings,
    pub queues: std::collections::HashMap<String, String>,
    pub http: reqwest::Client,
}

impl Shop {
    /// A migrated, seeded SQLite database and the messaging of `prefix`,
    /// provisioned with a 2-second visibility timeout and 2 receives before
    /// the dead-letter queue (so a poison message gets there in seconds).
    pub async fn start(prefix: &str) -> Shop {
        let env = common::emulators();
        let dir = std::env::temp_dir().join(common::unique("fn-mail"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("shop.db").display());
        let telemetry = Telemetry::builder(
            telemetry_api::noop::backend(),
            telemetry_api::Resource::new("test", "0"),
        )
        .build()
        .unwrap();
        let instruments = Instruments::new(&telemetry);
        let db = Db::connect(&url, 2, instruments.db_duration.clone())
            .await
            .unwrap();
        db.migrate().await.unwrap();
        shop_core::db::seed::seed_if_empty(&db).await.unwrap();
        let sdk = shop_core::aws::sdk_config(&shop_core::aws::Settings {
            endpoint: Some(env["AWS_ENDPOINT_URL_SQS"].clone()),
            region: Some(env["AWS_REGION"].clone()),
            credentials: Some(shop_core::objects::StaticCredentials {
                access_key_id: "test".to_owned(),
                secret_access_key: "test".to_owned(),
            }),
        })
        .await;
        let resources = provision::Settings {
            prefix: prefix.to_owned(),
            max_receive_count: 2,
            visibility_timeout_secs: 2,
            mail_from: MAIL_FROM.to_owned(),
        };
        let provisioned = provision::provision(&sdk, &resources)
            .await
            .unwrap_or_else(|e| panic!("provisioning {prefix}: {e}"));
        Shop {
            env,
            dir,
            url,
            db,
            instruments,
            sdk,
            resources,
            queues: provisioned.queues,
            http: reqwest::Client::new(),
        }
    }

    pub fn queue_url(&self, name: &str) -> String {
        self.queues
            .get(name)
            .unwrap_or_else(|| panic!("{name} was provisioned: {:?}", self.queues))
            .clone()
    }

    /// What `order-mail` needs besides telemetry: the shop's database,
    /// sender and address.
    pub fn function_settings(&self) -> Vec<(&str, &str)> {
        vec![
            ("DATABASE_URL", self.url.as_str()),
            ("SHOP_MAIL_FROM", MAIL_FROM),
            ("SHOP_PUBLIC_URL", PUBLIC_URL),
        ]
    }

    /// A guest's cash-on-delivery order for one unit of product 2, placed
    /// with the shop's checkout: the order and its `order.placed` outbox row
    /// in one transaction. Returns the order id.
    pub async fn place_order(&self, email: &str) -> String {
        let inventory = InventoryClient::Local(Inventory::new(self.db.clone()));
        let carts = Carts::new(self.db.clone(), inventory.clone(), self.instruments.clone());
        let cart = CartId::random();
        carts.create(&cart).await.unwrap();
        carts
            .add_item(
                &cart,
                ProductId::parse(2).unwrap(),
                Quantity::parse(1).unwrap(),
                UserType::Guest,
            )
            .await
            .unwrap();
        let orders = Orders::new(
            self.db.clone(),
            inventory,
            MockProvider::new(Simulation::default(), self.instruments.clone()),
            self.instruments.clone(),
        );
        let checkout = Checkout {
            cart_id: cart,
            email: EmailAddress::parse(email).unwrap(),
            shipping_address: ShippingAddress::try_from(Address {
                name: "Aiko Tanaka".to_owned(),
                line1: "1-2-3 Marunouchi".to_owned(),
                line2: String::new(),
                city: "Tokyo".to_owned(),
                postal_code: "100-0005".to_owned(),
                country: "JP".to_owned(),
            })
            .unwrap(),
            payment: Payment::CashOnDelivery(CashOnDelivery),
            coupon: None,
        };
        let key = IdempotencyKey::parse(Some(common::unique("checkout").as_bytes())).unwrap();
        match orders.place(&key, &checkout, None).await.unwrap() {
            Placed::Created(order) => order.id,
            Placed::Replayed(_) => panic!("a fresh key replayed an order"),
        }
    }

    /// Publishes what the outbox holds, with the shop's dispatcher.
    pub async fn dispatch(&self) {
        let telemetry = Telemetry::builder(
            telemetry_api::noop::backend(),
            telemetry_api::Resource::new("test", "0"),
        )
        .build()
        .unwrap();
        let dispatcher = Dispatcher::new(
            self.db.clone(),
            &self.sdk,
            telemetry,
            self.instruments.clone(),
            DispatcherSettings {
                bus: self.resources.bus(),
                ..DispatcherSettings::default()
            },
            None,
        );
        let published = dispatcher.drain_once().await.unwrap();
        assert!(published >= 1, "the dispatcher published the order's event");
    }

    /// The `order.placed` event of `order_id` as EventBridge delivers it to
    /// the mail queue (the rule's SQS target: the event itself), its detail
    /// read from the outbox row, with `trace` as the detail's carrier.
    pub async fn delivered_event(&self, order_id: &str, trace: Value) -> String {
        let (event_id, payload, created_at): (String, String, i64) = sqlx::query_as(
            "SELECT event_id, payload, created_at FROM outbox WHERE topic = 'order.placed' AND payload LIKE ?",
        )
        .bind(format!("%{order_id}%"))
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        json!({
            "version": "0", "id": common::unique("eb"), "detail-type": "order.placed", "source": "shop",
            "account": "000000000000", "time": "2026-12-02T12:00:00Z", "region": self.env["AWS_REGION"],
            "resources": [],
            "detail": {
                "event_id": event_id, "type": "order.placed", "occurred_at": created_at,
                "data": serde_json::from_str::<Value>(&payload).unwrap(), "trace": trace,
            }
        })
        .to_string()
    }

    /// Every mail LocalStack's SES recorded for `to`.
    pub async fn mails_to(&self, to: &str) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/_aws/ses", self.env["AWS_ENDPOINT_URL_SES"]))
            .send()
            .await
            .unwrap();
        // Before the first SES call after a LocalStack start it answers 404.
        if r.status() == 404 {
            return Vec::new();
        }
        let all: Value = r.json().await.unwrap();
        all["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["Destination"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == to))
            })
            .cloned()
            .collect()
    }

    /// Waits up to a minute until `to` has a mail; returns them all.
    pub async fn wait_for_mail(&self, to: &str, function: &mut Process) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mails = self.mails_to(to).await;
            if !mails.is_empty() {
                return mails;
            }
            assert!(
                function.running() && Instant::now() < deadline,
                "no mail to {to} within a minute; the function said: {:#?}",
                function.lines()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn send(&self, queue: &str, body: &str) {
        common::sqs(&self.env)
            .send_message()
            .queue_url(self.queue_url(queue))
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    /// Messages in a queue, visible or in flight (SQS's approximation).
    pub async fn depth(&self, queue: &str) -> i64 {
        let out = common::sqs(&self.env)
            .get_queue_attributes()
            .queue_url(self.queue_url(queue))
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let a = out.attributes().cloned().unwrap_or_default();
        [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .filter_map(|k| a.get(k).and_then(|v| v.parse::<i64>().ok()))
        .sum()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A customer address no other test (or earlier run) uses.
pub fn customer() -> String {
    format!("{}@example.com", common::unique("fn-mail"))
}

/// One SQS message as a queue hands it out, for a hand-made batch.
pub fn message(id: &str, body: &str, receives: u32) -> Message {
    Message::builder()
        .message_id(id)
        .receipt_handle(format!("rh-{id}"))
        .body(body)
        .attributes(
            MessageSystemAttributeName::ApproximateReceiveCount,
            receives.to_string(),
        )
        .attributes(MessageSystemAttributeName::SentTimestamp, "1796221671635")
        .build()
}
