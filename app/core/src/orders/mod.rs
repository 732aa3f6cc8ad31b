//! Checkout and orders (C-SHOP-02): an order is placed from a cart, once per
//! idempotency key. Stock is decremented in the same database transaction
//! that writes the order, with a conditional update, so concurrent buyers
//! can never oversell.
//!
//! - [`model`]: the order, its lines, the address as written;
//! - [`address`], [`checkout`]: the rules of a checkout request;
//! - [`idempotency`]: keys, request fingerprints, replays;
//! - [`coupon`]: coupon codes, discounts and their rules (C-SHOP-06);
//! - [`status`]: the status machine (C-SHOP-05);
//! - [`store`]: the SQL (the order's transaction, status changes);
//! - [`Orders`]: the operations.

pub mod address;
pub mod checkout;
pub mod coupon;
pub mod id;
pub mod idempotency;
pub mod model;
pub mod sales;
pub mod status;
pub mod store;

use std::time::Duration;

use telemetry_api::{KeyValue, semconv};

use crate::accounts::UserId;
use crate::cart::{self, CartId};
use crate::db::{self, Db};
use crate::instruments::Instruments;
use crate::inventory::{self, InventoryClient, ItemAvailability, StockCheck, StockRequest};
use crate::payments::{Declined, MockProvider};
use crate::validation::Invalid;

pub use address::{CountryCode, PostalCode, ShippingAddress};
pub use checkout::Checkout;
pub use coupon::{CouponCode, Rejection};
pub use id::OrderId;
pub use idempotency::IdempotencyKey;
pub use model::{Address, Order, OrderItem, StatusChange};
pub use status::{IllegalTransition, OrderStatus};

/// How often a checkout transaction that hit a lock conflict is tried.
const MAX_ATTEMPTS: u32 = 4;

/// Why a checkout or an order lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("cart {0} not found")]
    CartNotFound(CartId),
    /// Another checkout placed an order from this cart.
    #[error("cart {0} has already been checked out")]
    CartCheckedOut(String),
    #[error("the cart has no items")]
    CartEmpty,
    /// Inventory's answer before the transaction: these items are short.
    #[error("some items are not in stock in the quantity ordered")]
    InsufficientStock { shortfalls: Vec<ItemAvailability> },
    /// The transaction's conditional update: someone bought the last units.
    #[error("product {product_id} sold out while checking out")]
    SoldOut { product_id: i64, requested: i64 },
    #[error(transparent)]
    PaymentDeclined(#[from] Declined),
    /// The key was used before, for a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The coupon does not apply, and why.
    #[error(transparent)]
    Coupon(#[from] Rejection),
    /// The status machine refuses the move.
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// Inventory could not answer.
    #[error(transparent)]
    Inventory(#[from] inventory::Error),
    /// The database contradicts itself (a bug or a concurrent delete).
    #[error("{0}")]
    Inconsistent(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// How a checkout ended well.
#[derive(Debug)]
pub enum Placed {
    /// A new order.
    Created(Order),
    /// The order an earlier request with the same key and body created.
    Replayed(Order),
}

/// Who asks to change an order: a logged-in customer (their own orders) or
/// a guest (an order placed without an account, with this e-mail).
#[derive(Debug, Clone)]
pub enum Owner {
    Customer(UserId),
    Guest(crate::email::EmailAddress),
}

/// Whose coupon uses a checkout counts against: the logged-in customer's,
/// or a guest's by the lower-cased e-mail (hashed: the key is stored).
fn customer_key(customer: Option<&UserId>, email: &crate::email::EmailAddress) -> String {
    match customer {
        Some(user) => format!("user:{}", user.as_str()),
        None => format!(
            "email:{}",
            crate::accounts::token::sha256_hex(email.as_str().to_lowercase().as_bytes())
        ),
    }
}

/// The orders' operations. Cheap to clone (handles only).
#[derive(Clone)]
pub struct Orders {
    db: Db,
    inventory: InventoryClient,
    payments: MockProvider,
    instruments: Instruments,
}

impl Orders {
    /// Checkout on `db`, asking `inventory` and charging through `payments`.
    pub fn new(
        db: Db,
        inventory: InventoryClient,
        payments: MockProvider,
        instruments: Instruments,
    ) -> Orders {
        Orders {
            db,
            inventory,
            payments,
            instruments,
        }
    }

    /// Places an order from the checkout's cart, once per `key`: check
    /// stock, authorize the payment, then write the order, decrement stock
    /// and close the cart in one transaction. Records the outcome on the
    /// current span and in `shop.orders`. `customer` is the logged-in
    /// customer placing it (their order history lists it), `None` for a guest.
    pub async fn place(
        &self,
        key: &IdempotencyKey,
        checkout: &Checkout,
        customer: Option<&UserId>,
    ) -> Result<Placed, Error> {
        let span = tracing::Span::current();
        let hash = idempotency::fingerprint(checkout);

        if let Some((order_id, stored_hash)) = idempotency::find(&self.db, key).await? {
            span.record(semconv::SHOP_ORDER_ID, order_id.as_str());
            return self.replay(&order_id, &stored_hash, &hash).await;
        }

        let cart = cart::store::load(&self.db, &checkout.cart_id)
            .await?
            .ok_or_else(|| Error::CartNotFound(checkout.cart_id.clone()))?;
        if !cart.is_open() {
            return self.closed_cart(key, &hash, &cart.id).await;
        }
        if cart.items.is_empty() {
            return Err(Error::CartEmpty);
        }
        self.instruments.funnel_step("checkout");

        // Ask inventory first: a fast, friendly refusal with every short item.
        // The conditional update in `store::place` is what actually prevents
        // overselling.
        let requests: Vec<StockRequest> = cart
            .items
            .iter()
            .map(|i| StockRequest {
                product_id: i.product_id,
                quantity: i.quantity,
            })
            .collect();
        let availability = self.inventory.check(&StockCheck::parse(requests)?).await?;
        if !availability.available {
            self.record_outcome("out_of_stock");
            return Err(Error::InsufficientStock {
                shortfalls: availability.shortfalls().into_iter().cloned().collect(),
            });
        }

        let customer_key = customer_key(customer, &checkout.email);
        let coupon = match &checkout.coupon {
            None => None,
            Some(code) => Some(
                self.coupon(code, cart.subtotal_cents, &customer_key)
                    .await?,
            ),
        };
        let discount_cents = coupon.as_ref().map_or(0, |(_, off)| *off);
        let shipping_cents = checkout::shipping_cents(cart.subtotal_cents);
        let total = cart.subtotal_cents - discount_cents + shipping_cents;
        // The detail production keeps for a share of traces (--log-debug-sample).
        tracing::debug!(
            subtotal_cents = cart.subtotal_cents,
            discount_cents,
            shipping_cents,
            total_cents = total,
            lines = cart.items.len() as u64,
            "checkout priced"
        );
        let authorization = match self.payments.authorize(&checkout.payment, total).await {
            Ok(a) => a,
            Err(e) => {
                self.record_outcome("payment_declined");
                return Err(e.into());
            }
        };
        // Cash on delivery pays nothing now: the order stays `placed`.
        let status = if authorization.is_paid() {
            OrderStatus::Paid
        } else {
            OrderStatus::Placed
        };

        let order_id = OrderId::random();
        let address = Address::from(&checkout.shipping_address);
        let new_order = store::NewOrder {
            id: order_id.as_str(),
            key: key.as_str(),
            hash: &hash,
            email: checkout.email.as_str(),
            address: &address,
            cart: &cart,
            shipping_cents,
            payment_reference: authorization.reference(),
            payment_method: checkout.payment.method().name().as_str(),
            status,
            user_id: customer.map(UserId::as_str),
            coupon: coupon.as_ref().map(|(c, off)| store::Redemption {
                coupon_id: c.id,
                code: &c.code,
                discount_cents: *off,
                customer_key: &customer_key,
                max_redemptions: c.max_redemptions,
                per_customer_limit: c.per_customer_limit,
            }),
        };
        let mut attempt = 0;
        let low_stock = loop {
            attempt += 1;
            match store::place(&self.db, &new_order).await {
                Ok(low) => break low,
                Err(store::PlaceError::Db(e)) if db::is_transient(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "checkout transaction conflicted; retrying");
                    tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
                }
                Err(store::PlaceError::Db(e)) => return Err(e.into()),
                Err(store::PlaceError::DuplicateKey) => {
                    // A concurrent request with the same key won the race.
                    let (id, stored) =
                        idempotency::find(&self.db, key).await?.ok_or_else(|| {
                            Error::Inconsistent(
                                "duplicate idempotency key without an order".to_owned(),
                            )
                        })?;
                    return self.replay(&id, &stored, &hash).await;
                }
                Err(store::PlaceError::OutOfStock {
                    product_id,
                    requested,
                }) => {
                    self.record_outcome("out_of_stock");
                    return Err(Error::SoldOut {
                        product_id,
                        requested,
                    });
                }
                Err(store::PlaceError::CartNotOpen) => {
                    return self.closed_cart(key, &hash, &cart.id).await;
                }
                Err(store::PlaceError::Coupon(rejection)) => {
                    // Another checkout took the last use meanwhile.
                    self.record_coupon(Err(rejection));
                    return Err(rejection.into());
                }
            }
        };
        if coupon.is_some() {
            self.record_coupon(Ok(()));
        }

        span.record(semconv::SHOP_ORDER_ID, order_id.as_str());
        span.record(semconv::SHOP_ORDER_STATUS, status.as_str());
        self.record_outcome("placed");
        self.instruments.funnel_step("paid");
        self.instruments.revenue.add(
            total as u64,
            &[KeyValue::new(semconv::SHOP_CURRENCY, cart.currency.clone())],
        );
        tracing::info!(
            shop.order.id = %order_id,
            total_cents = total,
            items = cart.item_count,
            "order placed"
        );
        // A line per product bought (O-METRIC-12): purchases per product are counted from these
        // (the `product-purchases` saved query), not from a metric series per product, which
        // would cost a custom metric per product a month.
        for item in &cart.items {
            tracing::info!(
                shop.order.id = %order_id,
                shop.product.id = item.product_id,
                quantity = item.quantity,
                line_total_cents = item.line_total_cents,
                "product purchased"
            );
        }
        for (product_id, left) in low_stock {
            tracing::warn!(shop.product.id = product_id, quantity = left, "low stock");
        }
        self.load(order_id.as_str()).await.map(Placed::Created)
    }

    /// An order and its lines.
    pub async fn get(&self, id: &OrderId) -> Result<Order, Error> {
        store::load(&self.db, id.as_str())
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// Cancels an order of `owner`'s (C-SHOP-05): legal before packing;
    /// its stock is released exactly once.
    pub async fn cancel(&self, owner: &Owner, id: &OrderId) -> Result<Order, Error> {
        self.check_owner(owner, id).await?;
        self.change_status(id, OrderStatus::Cancelled).await
    }

    /// Asks to return a delivered order of `owner`'s (C-SHOP-05).
    pub async fn request_return(&self, owner: &Owner, id: &OrderId) -> Result<Order, Error> {
        self.check_owner(owner, id).await?;
        self.change_status(id, OrderStatus::ReturnRequested).await
    }

    /// Moves an order to `to` if the status machine allows it from where it
    /// is now. The admin's routes will call this too. Records the transition
    /// on the current span and in `shop.order.transitions`.
    pub async fn change_status(&self, id: &OrderId, to: OrderStatus) -> Result<Order, Error> {
        let span = tracing::Span::current();
        span.record(semconv::SHOP_ORDER_ID, id.as_str());
        let from = self.get(id).await?.status;
        OrderStatus::transition(from, to)?;
        if !store::change_status(&self.db, id.as_str(), from, to).await? {
            // A concurrent request moved it first: judge again from where it is now.
            let now = self.get(id).await?.status;
            return Err(IllegalTransition { from: now, to }.into());
        }
        self.moved(id, from, to).await
    }

    /// The back office's move (A-ORDER-01..03): like [`Orders::change_status`],
    /// plus what fulfilment adds, in the same transaction as the move and its
    /// audit entry (`audit` builds it from the status the order left):
    /// shipping records the carrier's `tracking_number`; accepting a return
    /// (`returned`) puts the units back into stock with `return` movements
    /// and records the refund of the order's total (the mock provider's:
    /// no money moves in the lab).
    pub async fn admin_move(
        &self,
        id: &OrderId,
        to: OrderStatus,
        tracking_number: Option<String>,
        audit: impl FnOnce(OrderStatus) -> crate::audit::AuditEvent,
    ) -> Result<Order, Error> {
        let span = tracing::Span::current();
        span.record(semconv::SHOP_ORDER_ID, id.as_str());
        let order = self.get(id).await?;
        let from = order.status;
        OrderStatus::transition(from, to)?;
        let fulfilment = store::Fulfilment {
            tracking_number,
            refund_cents: (to == OrderStatus::Returned).then_some(order.total_cents),
        };
        if !store::change_status_audited(&self.db, id.as_str(), from, to, &fulfilment, audit(from))
            .await?
        {
            let now = self.get(id).await?.status;
            return Err(IllegalTransition { from: now, to }.into());
        }
        self.moved(id, from, to).await
    }

    /// After a move: the span, the count, the log line, and the order as it is now.
    async fn moved(
        &self,
        id: &OrderId,
        from: OrderStatus,
        to: OrderStatus,
    ) -> Result<Order, Error> {
        let span = tracing::Span::current();
        span.record(semconv::SHOP_ORDER_STATUS, to.as_str());
        self.instruments.order_transitions.add(
            1,
            &[
                KeyValue::new(semconv::SHOP_ORDER_TRANSITION_FROM, from.as_str()),
                KeyValue::new(semconv::SHOP_ORDER_TRANSITION_TO, to.as_str()),
            ],
        );
        tracing::info!(shop.order.id = %id, from = from.as_str(), to = to.as_str(), "order status changed");
        self.get(id).await
    }

    /// Refuses (as "not found", telling nothing about orders the caller may
    /// not see) an order that is not `owner`'s.
    async fn check_owner(&self, owner: &Owner, id: &OrderId) -> Result<(), Error> {
        let theirs = match owner {
            Owner::Customer(user) => {
                crate::accounts::store::owns_order(&self.db, user, id.as_str()).await?
            }
            Owner::Guest(email) => {
                crate::accounts::store::is_guest_order(
                    &self.db,
                    id.as_str(),
                    &email.as_str().to_lowercase(),
                )
                .await?
            }
        };
        if theirs {
            Ok(())
        } else {
            Err(Error::NotFound(id.clone()))
        }
    }

    /// The cart is closed: by a concurrent retry of this very request (then
    /// answer with its order), or by another checkout (then refuse).
    async fn closed_cart(
        &self,
        key: &IdempotencyKey,
        hash: &str,
        cart_id: &str,
    ) -> Result<Placed, Error> {
        match idempotency::find(&self.db, key).await? {
            Some((order_id, stored_hash)) => self.replay(&order_id, &stored_hash, hash).await,
            None => Err(Error::CartCheckedOut(cart_id.to_owned())),
        }
    }

    /// Answers a retried request with the order its key created, or refuses
    /// a key reused for a different request.
    async fn replay(&self, order_id: &str, stored_hash: &str, hash: &str) -> Result<Placed, Error> {
        if stored_hash != hash {
            return Err(Error::KeyReused);
        }
        let order = self.load(order_id).await?;
        self.record_outcome("replayed");
        Ok(Placed::Replayed(order))
    }

    /// An order that must exist (this checkout just wrote or found it).
    async fn load(&self, order_id: &str) -> Result<Order, Error> {
        store::load(&self.db, order_id)
            .await?
            .ok_or_else(|| Error::Inconsistent(format!("order {order_id} vanished")))
    }

    /// The coupon and the cents it takes off, or why it does not apply
    /// (counted in `shop.coupon.redemptions`). The limits are checked again
    /// in the order's transaction; this is the friendly early answer.
    async fn coupon(
        &self,
        code: &CouponCode,
        subtotal_cents: i64,
        customer_key: &str,
    ) -> Result<(coupon::Coupon, i64), Error> {
        let found = store::load_coupon(&self.db, code.as_str()).await?;
        let applied = match found {
            None => Err(Rejection::Unknown),
            Some(c) => {
                let uses = store::customer_uses(&self.db, c.id, customer_key).await?;
                c.apply(subtotal_cents, crate::time::now_millis(), uses)
                    .map(|off| (c, off))
            }
        };
        applied.map_err(|rejection| {
            self.record_coupon(Err(rejection));
            rejection.into()
        })
    }

    /// Counts a coupon's outcome and puts it on the current span (codes are
    /// not personal, but the bounded reason says more to a dashboard).
    fn record_coupon(&self, result: Result<(), Rejection>) {
        let (outcome, reason) = match result {
            Ok(()) => ("redeemed", "none"),
            Err(r) => ("rejected", r.reason()),
        };
        let span = tracing::Span::current();
        span.record(semconv::SHOP_COUPON_OUTCOME, outcome);
        span.record(semconv::SHOP_COUPON_REASON, reason);
        self.instruments.coupon_redemptions.add(
            1,
            &[
                KeyValue::new(semconv::SHOP_COUPON_OUTCOME, outcome),
                KeyValue::new(semconv::SHOP_COUPON_REASON, reason),
            ],
        );
    }

    fn record_outcome(&self, outcome: &'static str) {
        tracing::Span::current().record(semconv::SHOP_CHECKOUT_OUTCOME, outcome);
        self.instruments
            .orders
            .add(1, &[KeyValue::new(semconv::SHOP_CHECKOUT_OUTCOME, outcome)]);
    }
}
