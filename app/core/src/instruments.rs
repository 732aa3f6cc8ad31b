//! The shop's metric instruments, created once at start-up and shared by
//! every part that measures something: the HTTP middleware (requests,
//! errors, durations), the database and service-to-service clients, and the
//! domains' business counters (views, cart additions, orders, revenue,
//! logins, registrations, security events, payments, the conversion
//! funnel, abandoned carts, reviews).
//!
//! Instruments come from the `telemetry_api` meter, so whichever backend is
//! running receives them; the names are the contract's (`semconv::metrics`).

use std::ops::Deref;
use std::sync::Arc;

use telemetry_api::metrics::{Counter, Gauge, Histogram};
use telemetry_api::semconv::{self, metrics as names};
use telemetry_api::{KeyValue, Telemetry, Unit};

/// The shop's metric instruments, created once at start-up (O-METRIC-01/03
/// and the business metrics). A handle: cloning it (the middleware and each
/// domain service take one per request) is one reference count, not ten.
#[derive(Clone)]
pub struct Instruments(Arc<InstrumentSet>);

impl Deref for Instruments {
    type Target = InstrumentSet;

    fn deref(&self) -> &InstrumentSet {
        &self.0
    }
}

/// The process's own resource gauges (semantic-convention names, `process.*`).
pub struct ProcessGauges {
    pub cpu_utilization: Gauge,
    pub memory_usage: Gauge,
    pub memory_virtual: Gauge,
    pub open_files: Gauge,
    pub threads: Gauge,
    /// `process.disk.io`, bytes by `disk.io.direction`.
    pub disk_io: Counter,
    /// `system.network.io`, bytes by interface and `network.io.direction`.
    pub network_io: Counter,
}

/// The instruments themselves, reached through [`Instruments`].
pub struct InstrumentSet {
    /// `http.server.requests`: inbound requests by route, method, status.
    pub http_requests: Counter,
    /// `http.server.errors`: requests answered with a 5xx.
    pub http_errors: Counter,
    /// `http.server.request.duration`, seconds.
    pub http_duration: Histogram,
    /// `http.client.request.duration`: service-to-service calls, seconds.
    pub http_client_duration: Histogram,
    /// `db.client.operation.duration`: one per statement, seconds.
    pub db_duration: Histogram,
    /// `db.client.connection.count`: pool connections by state.
    pub db_connections: Gauge,
    /// `process.cpu.utilization`, `process.memory.usage`, `process.memory.virtual`,
    /// `process.open_file_descriptor.count`, `process.thread.count`, `process.disk.io` and
    /// `system.network.io` (O-METRIC-02): the shop process itself (and its network namespace),
    /// sampled beside the pool (`shop::resources`).
    pub process: ProcessGauges,
    /// `shop.product.views`: product detail views.
    pub product_views: Counter,
    /// `shop.cart.additions`: units added to carts, by `shop.user.type` (guest or registered).
    pub cart_additions: Counter,
    /// `shop.orders`: checkout attempts by outcome.
    pub orders: Counter,
    /// `shop.revenue`: cents of placed orders.
    pub revenue: Counter,
    /// `shop.logins`: login attempts by outcome (`ok`, `failed`, `locked`).
    pub logins: Counter,
    /// `shop.registrations`: registrations by outcome (`created`, `email_taken`).
    pub registrations: Counter,
    /// `shop.security.events`: security events by kind (O-SEC-01).
    pub security_events: Counter,
    /// `shop.admin.actions`: back-office actions by action and outcome (O-METRIC-10).
    pub admin_actions: Counter,
    /// `shop.order.transitions`: order status changes by from/to (C-SHOP-05).
    pub order_transitions: Counter,
    /// `shop.coupon.redemptions`: coupons at checkout by outcome/reason (O-METRIC-13).
    pub coupon_redemptions: Counter,
    /// `shop.payments`: payment attempts by method/outcome (C-SHOP-03).
    pub payments: Counter,
    /// `shop.payment.duration`: the payment provider's time, seconds, by method.
    pub payment_duration: Histogram,
    /// `shop.funnel.steps`: conversion-funnel steps (O-METRIC-14).
    pub funnel_steps: Counter,
    /// `shop.carts.abandoned`: carts counted as abandoned (O-METRIC-06).
    pub carts_abandoned: Counter,
    /// `shop.reviews`: reviews written, by outcome (C-BROWSE-08).
    pub reviews: Counter,
    /// `shop.batch.duration`: batch runs, seconds, by job and outcome (A-BATCH-01..03).
    pub batch_duration: Histogram,
    /// `shop.batch.items`: items batch runs handled, by job.
    pub batch_items: Counter,
    /// `shop.batch.runs`: batch runs by job and outcome.
    pub batch_runs: Counter,
    /// `shop.events.published`: outbox events handed to the bus, by type and outcome (#16).
    pub events_published: Counter,
    /// `shop.events.publish_lag`: seconds from an event's outbox write to its publication.
    pub events_publish_lag: Histogram,
    /// `shop.events.consumed`: events consumers handled, by type and outcome.
    pub events_consumed: Counter,
    /// `shop.mails`: mails sent, by template and outcome (C-NOTIF-01..04).
    pub mails: Counter,
    /// `shop.circuit.transitions`: circuit breakers' changes of state (`crate::resilience`).
    pub circuit_transitions: Counter,
    /// `shop.circuit.rejected`: calls a circuit breaker refused without trying.
    pub circuit_rejected: Counter,
}

/// Bucket boundaries (seconds) for batch runs: from a quick maintenance
/// pass to a long export, beyond the HTTP buckets' 10 s.
pub const BATCH_DURATION_BUCKETS_SECONDS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

impl Instruments {
    /// Records a security event (O-SEC-01/03): one count in
    /// `shop.security.events` by kind, and a `WARN` line `security event`
    /// naming the kind and, when known, the person's pseudonym (a customer's
    /// `u_…` or an admin's `a_…`: never an id, an e-mail or a name).
    pub fn security_event(&self, kind: &'static str, pseudonym: Option<&str>) {
        self.security_events
            .add(1, &[KeyValue::new(semconv::SHOP_SECURITY_EVENT_KIND, kind)]);
        match pseudonym {
            Some(p) => tracing::warn!(
                shop.security.event.kind = kind,
                enduser.pseudo.id = p,
                "security event"
            ),
            None => tracing::warn!(shop.security.event.kind = kind, "security event"),
        }
    }

    /// Counts one step of the conversion funnel (O-METRIC-14): `view` (a
    /// product page), `cart` (an item added), `checkout` (a checkout of a
    /// cart with items begins), `paid` (an order placed with its payment
    /// accepted; cash on delivery included).
    pub fn funnel_step(&self, step: &'static str) {
        self.funnel_steps.add(
            1,
            &[telemetry_api::KeyValue::new(
                semconv::SHOP_FUNNEL_STEP,
                step,
            )],
        );
    }

    /// Creates every instrument on `telemetry`'s meter.
    pub fn new(telemetry: &Telemetry) -> Instruments {
        let m = telemetry.meter();
        let buckets = Some(semconv::DURATION_BUCKETS_SECONDS);
        Instruments(Arc::new(InstrumentSet {
            http_requests: m.counter(
                names::HTTP_SERVER_REQUESTS,
                Unit::count("{request}"),
                "Inbound HTTP requests.",
            ),
            http_errors: m.counter(
                names::HTTP_SERVER_ERRORS,
                Unit::count("{error}"),
                "Inbound HTTP requests answered with a 5xx status.",
            ),
            http_duration: m.histogram(
                names::HTTP_SERVER_REQUEST_DURATION,
                Unit::SECONDS,
                "Duration of inbound HTTP requests.",
                buckets,
            ),
            http_client_duration: m.histogram(
                names::HTTP_CLIENT_REQUEST_DURATION,
                Unit::SECONDS,
                "Duration of outbound service-to-service HTTP calls.",
                buckets,
            ),
            db_duration: m.histogram(
                names::DB_CLIENT_OPERATION_DURATION,
                Unit::SECONDS,
                "Duration of database operations.",
                buckets,
            ),
            db_connections: m.gauge(
                names::DB_CLIENT_CONNECTION_COUNT,
                Unit::count("{connection}"),
                "Database pool connections by state.",
            ),
            process: ProcessGauges {
                cpu_utilization: m.gauge(
                    names::PROCESS_CPU_UTILIZATION,
                    Unit::DIMENSIONLESS,
                    "CPU time of the shop process over the last interval, per available CPU.",
                ),
                memory_usage: m.gauge(
                    names::PROCESS_MEMORY_USAGE,
                    Unit::BYTES,
                    "Resident memory of the shop process.",
                ),
                memory_virtual: m.gauge(
                    names::PROCESS_MEMORY_VIRTUAL,
                    Unit::BYTES,
                    "Virtual memory of the shop process.",
                ),
                open_files: m.gauge(
                    names::PROCESS_OPEN_FILE_DESCRIPTOR_COUNT,
                    Unit::count("{file_descriptor}"),
                    "Open file descriptors of the shop process (sockets included).",
                ),
                threads: m.gauge(
                    names::PROCESS_THREAD_COUNT,
                    Unit::count("{thread}"),
                    "Threads of the shop process.",
                ),
                disk_io: m.counter(
                    names::PROCESS_DISK_IO,
                    Unit::BYTES,
                    "Bytes the shop process read from and wrote to storage.",
                ),
                network_io: m.counter(
                    names::SYSTEM_NETWORK_IO,
                    Unit::BYTES,
                    "Bytes received and transmitted per network interface of the shop's network namespace.",
                ),
            },
            product_views: m.counter(
                names::SHOP_PRODUCT_VIEWS,
                Unit::count("{view}"),
                "Product detail views.",
            ),
            cart_additions: m.counter(
                names::SHOP_CART_ADDITIONS,
                Unit::count("{item}"),
                "Units added to carts.",
            ),
            orders: m.counter(
                names::SHOP_ORDERS,
                Unit::count("{order}"),
                "Checkout attempts by outcome.",
            ),
            revenue: m.counter(
                names::SHOP_REVENUE,
                Unit::count("{cent}"),
                "Revenue of placed orders, in cents.",
            ),
            logins: m.counter(
                names::SHOP_LOGINS,
                Unit::count("{login}"),
                "Login attempts by outcome.",
            ),
            registrations: m.counter(
                names::SHOP_REGISTRATIONS,
                Unit::count("{registration}"),
                "Customer registrations by outcome.",
            ),
            security_events: m.counter(
                names::SHOP_SECURITY_EVENTS,
                Unit::count("{event}"),
                "Security events (failed or refused logins, CSRF refusals, revocations) by kind.",
            ),
            admin_actions: m.counter(
                names::SHOP_ADMIN_ACTIONS,
                Unit::count("{action}"),
                "Back-office actions by action and outcome (success, denied, failed).",
            ),
            order_transitions: m.counter(
                names::SHOP_ORDER_TRANSITIONS,
                Unit::count("{transition}"),
                "Order status transitions by from and to status.",
            ),
            coupon_redemptions: m.counter(
                names::SHOP_COUPON_REDEMPTIONS,
                Unit::count("{redemption}"),
                "Coupons presented at checkout by outcome and reason.",
            ),
            payments: m.counter(
                names::SHOP_PAYMENTS,
                Unit::count("{payment}"),
                "Payment attempts by method and outcome.",
            ),
            payment_duration: m.histogram(
                names::SHOP_PAYMENT_DURATION,
                Unit::SECONDS,
                "Time the payment provider took to answer, by method.",
                buckets,
            ),
            funnel_steps: m.counter(
                names::SHOP_FUNNEL_STEPS,
                Unit::count("{step}"),
                "Conversion funnel: product views, cart additions, checkouts, paid orders.",
            ),
            carts_abandoned: m.counter(
                names::SHOP_CARTS_ABANDONED,
                Unit::count("{cart}"),
                "Carts with items and no order once the abandonment window passed.",
            ),
            reviews: m.counter(
                names::SHOP_REVIEWS,
                Unit::count("{review}"),
                "Product reviews written, by outcome.",
            ),
            batch_duration: m.histogram(
                names::SHOP_BATCH_DURATION,
                Unit::SECONDS,
                "Duration of batch runs, by job and outcome.",
                Some(BATCH_DURATION_BUCKETS_SECONDS),
            ),
            batch_items: m.counter(
                names::SHOP_BATCH_ITEMS,
                Unit::count("{item}"),
                "Items handled by batch runs (products, orders, purged rows), by job.",
            ),
            batch_runs: m.counter(
                names::SHOP_BATCH_RUNS,
                Unit::count("{run}"),
                "Batch runs by job and outcome.",
            ),
            events_published: m.counter(
                names::SHOP_EVENTS_PUBLISHED,
                Unit::count("{event}"),
                "Outbox events handed to the event bus, by type and outcome.",
            ),
            events_publish_lag: m.histogram(
                names::SHOP_EVENTS_PUBLISH_LAG,
                Unit::SECONDS,
                "Time from an event's outbox write to its publication on the bus.",
                Some(BATCH_DURATION_BUCKETS_SECONDS),
            ),
            events_consumed: m.counter(
                names::SHOP_EVENTS_CONSUMED,
                Unit::count("{event}"),
                "Events consumers handled, by type and outcome.",
            ),
            mails: m.counter(
                names::SHOP_MAILS,
                Unit::count("{mail}"),
                "Mails sent through SES, by template and outcome.",
            ),
            circuit_transitions: m.counter(
                names::SHOP_CIRCUIT_TRANSITIONS,
                Unit::count("{transition}"),
                "Circuit breakers' changes of state, by the service guarded and the state entered.",
            ),
            circuit_rejected: m.counter(
                names::SHOP_CIRCUIT_REJECTED,
                Unit::count("{call}"),
                "Calls a circuit breaker refused without trying, by the service guarded.",
            ),
        }))
    }
}
