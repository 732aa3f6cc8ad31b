//! The one vocabulary of attribute and metric names the shop uses.
//!
//! Names follow the OpenTelemetry semantic conventions (HTTP and database
//! conventions as stabilised in semconv 1.26–1.33) so a learner can look each
//! one up. Each backend maps them to its own wire form: OTLP attributes as they
//! are; X-Ray `http`/`sql` blocks, annotations or metadata. Names that no
//! convention covers are prefixed `shop.` (business attributes) or are one of
//! the three *control fields* at the bottom, which steer the tracing glue and
//! are never exported as attributes.
//!
//! Use them as `tracing` field names:
//!
//! ```
//! let span = tracing::info_span!(
//!     "GET /api/products/{id}",
//!     span.kind = "server",
//!     http.request.method = "GET",
//!     http.route = "/api/products/{id}",
//!     http.response.status_code = tracing::field::Empty,
//! );
//! # drop(span);
//! ```

// --- HTTP (server and client spans) ---------------------------------------
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub const HTTP_ROUTE: &str = "http.route";
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
pub const URL_PATH: &str = "url.path";
pub const URL_QUERY: &str = "url.query";
pub const URL_SCHEME: &str = "url.scheme";
pub const URL_FULL: &str = "url.full";
pub const SERVER_ADDRESS: &str = "server.address";
pub const SERVER_PORT: &str = "server.port";
pub const CLIENT_ADDRESS: &str = "client.address";
pub const USER_AGENT_ORIGINAL: &str = "user_agent.original";
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
/// Logical name of the remote service a client span calls.
pub const PEER_SERVICE: &str = "peer.service";

// --- Errors ------------------------------------------------------------------
/// Set on a span when the operation failed (for HTTP: the status code as a
/// string on 5xx server spans and 4xx/5xx client spans; otherwise a short
/// error class). Its presence is what marks a span's status as an error.
pub const ERROR_TYPE: &str = "error.type";
pub const EXCEPTION_TYPE: &str = "exception.type";
pub const EXCEPTION_MESSAGE: &str = "exception.message";
pub const EXCEPTION_STACKTRACE: &str = "exception.stacktrace";

// --- Database (client spans, O-TRACE-02) -------------------------------------
/// `sqlite`, `mysql` or `mariadb`.
pub const DB_SYSTEM_NAME: &str = "db.system.name";
/// The statement with every literal replaced by `?` (never user data).
pub const DB_QUERY_TEXT: &str = "db.query.text";
pub const DB_OPERATION_NAME: &str = "db.operation.name";
pub const DB_COLLECTION_NAME: &str = "db.collection.name";
pub const DB_NAMESPACE: &str = "db.namespace";
pub const DB_RESPONSE_RETURNED_ROWS: &str = "db.response.returned_rows";

// --- Calls to AWS services (client spans; X-Ray `aws` subsegments) ----------
/// `aws-api` on client spans that call an AWS service.
pub const RPC_SYSTEM: &str = "rpc.system";
/// The AWS service, e.g. `SES`, `SQS`, `DynamoDB`.
pub const RPC_SERVICE: &str = "rpc.service";
/// The API operation, e.g. `SendEmail`.
pub const RPC_METHOD: &str = "rpc.method";
pub const AWS_REQUEST_ID: &str = "aws.request_id";
pub const CLOUD_REGION: &str = "cloud.region";
/// The queue an SQS call addressed (X-Ray's `aws.queue_url`).
pub const AWS_SQS_QUEUE_URL: &str = "aws.sqs.queue.url";
/// The S3 bucket a call is about (OTel's AWS S3 conventions).
pub const AWS_S3_BUCKET: &str = "aws.s3.bucket";
/// The S3 object key a call is about.
pub const AWS_S3_KEY: &str = "aws.s3.key";

// --- Messaging (producer and consumer spans, OTel messaging conventions) -----
/// `aws_sqs`, `aws_sns`, `aws.eventbridge` (no registered value: the AWS SDK
/// instrumentations' choice), or `shop_outbox` for the outbox itself.
pub const MESSAGING_SYSTEM: &str = "messaging.system";
/// The bus, queue or topic name.
pub const MESSAGING_DESTINATION_NAME: &str = "messaging.destination.name";
/// `create` (the outbox row), `send`, `receive` or `process`.
pub const MESSAGING_OPERATION_TYPE: &str = "messaging.operation.type";
/// The event's id (the outbox's `event_id`, what consumers dedupe by).
pub const MESSAGING_MESSAGE_ID: &str = "messaging.message.id";
/// How many messages a batch call carried.
pub const MESSAGING_BATCH_MESSAGE_COUNT: &str = "messaging.batch.message_count";
/// How many times SQS has handed this message out (`ApproximateReceiveCount`).
pub const MESSAGING_DELIVERY_COUNT: &str = "messaging.message.delivery_count";
/// The event's type (`order.placed`, …): the EventBridge detail-type.
pub const SHOP_EVENT_TYPE: &str = "shop.event.type";
/// What a consumer did with an event: `sent`, `duplicate`, `skipped`, `failed`, `retry`.
pub const SHOP_EVENT_OUTCOME: &str = "shop.event.outcome";
/// Where a consumer found its parent's trace context: `aws_trace_header` (SQS's
/// `AWSTraceHeader`), `message_attributes`, `event_detail` (the event's own copy) or `none`.
pub const SHOP_TRACE_CARRIER: &str = "shop.trace.carrier";
/// The mail a notification sent (`order_confirmation`, `shipping_notice`, …).
pub const SHOP_MAIL_TEMPLATE: &str = "shop.mail.template";
/// The service a circuit breaker guards (`shop-inventory`, `ses`).
pub const SHOP_CIRCUIT_NAME: &str = "shop.circuit.name";
/// The state a circuit breaker changed to: `open`, `half_open`, `closed`.
pub const SHOP_CIRCUIT_STATE: &str = "shop.circuit.state";

// --- System and process metrics' attributes ----------------------------------
/// `read` or `write` (`process.disk.io`).
pub const DISK_IO_DIRECTION: &str = "disk.io.direction";
/// `receive` or `transmit` (`system.network.io`).
pub const NETWORK_IO_DIRECTION: &str = "network.io.direction";
/// The interface, e.g. `eth0`, `lo` (`system.network.io`).
pub const NETWORK_INTERFACE_NAME: &str = "network.interface.name";

// --- Resource (who emits) ----------------------------------------------------
pub const SERVICE_NAME: &str = "service.name";
pub const SERVICE_VERSION: &str = "service.version";
pub const SERVICE_NAMESPACE: &str = "service.namespace";
pub const SERVICE_INSTANCE_ID: &str = "service.instance.id";
pub const DEPLOYMENT_ENVIRONMENT_NAME: &str = "deployment.environment.name";
pub const HOST_NAME: &str = "host.name";
pub const PROCESS_PID: &str = "process.pid";

// --- Users -------------------------------------------------------------------
pub const ENDUSER_ID: &str = "enduser.id";
/// A pseudonymous id of the logged-in customer (never an e-mail or a name):
/// the shop's `UserPseudonym`.
pub const ENDUSER_PSEUDO_ID: &str = "enduser.pseudo.id";

// --- The shop's own (business) attributes ------------------------------------
pub const SHOP_PRODUCT_ID: &str = "shop.product.id";
pub const SHOP_CATEGORY_ID: &str = "shop.category.id";
pub const SHOP_CART_ID: &str = "shop.cart.id";
pub const SHOP_ORDER_ID: &str = "shop.order.id";
pub const SHOP_ORDER_STATUS: &str = "shop.order.status";
/// `guest` or `registered`.
pub const SHOP_USER_TYPE: &str = "shop.user.type";
/// Outcome of a checkout: `placed`, `replayed`, `out_of_stock`, `payment_declined`.
pub const SHOP_CHECKOUT_OUTCOME: &str = "shop.checkout.outcome";
pub const SHOP_CURRENCY: &str = "shop.currency";
pub const SHOP_SEARCH_RESULTS: &str = "shop.search.results";
/// Outcome of a login: `ok`, `failed` (wrong e-mail or password), `locked` (refused by the limiter).
pub const SHOP_LOGIN_OUTCOME: &str = "shop.login.outcome";
/// Outcome of a registration: `created`, `email_taken`.
pub const SHOP_REGISTRATION_OUTCOME: &str = "shop.registration.outcome";
/// Kind of a security event (O-SEC-01): `login_failed`, `login_locked`, `csrf_rejected`, …
pub const SHOP_SECURITY_EVENT_KIND: &str = "shop.security.event.kind";
/// The admin operation a back-office request performed (`catalog.write`, `admins.change_roles`…,
/// `shop_core::admin::Operation`) or the back-office security step (`admin.login`, `admin.mfa`,
/// `admin.step_up`): a closed set of about 35 values.
pub const SHOP_ADMIN_ACTION: &str = "shop.admin.action";
/// How an admin action went: `success`, `denied` (role or step-up missing), `failed`.
pub const SHOP_ADMIN_OUTCOME: &str = "shop.admin.outcome";
/// The status an order left in a transition (C-SHOP-05): `placed`, `paid`, … (eight values).
pub const SHOP_ORDER_TRANSITION_FROM: &str = "shop.order.transition.from";
/// The status an order entered in a transition.
pub const SHOP_ORDER_TRANSITION_TO: &str = "shop.order.transition.to";
/// What became of a coupon at checkout (C-SHOP-06): `redeemed` or `rejected`.
pub const SHOP_COUPON_OUTCOME: &str = "shop.coupon.outcome";
/// Why a coupon was rejected, a closed set: `unknown`, `not_yet_valid`, `expired`,
/// `minimum_not_met`, `exhausted`, `customer_limit` (`none` when redeemed).
pub const SHOP_COUPON_REASON: &str = "shop.coupon.reason";
/// How a payment was made (C-SHOP-03): `card`, `wallet`, `cash_on_delivery`.
pub const SHOP_PAYMENT_METHOD: &str = "shop.payment.method";
/// What the payment provider answered: `authorized`, `pending` (cash on delivery), `declined`.
pub const SHOP_PAYMENT_OUTCOME: &str = "shop.payment.outcome";
/// The fault flag that injected a failure or a delay here (O-ALERT-04, docs/faults.md):
/// `checkout_failure_percent`, `payment_decline_percent`, `inventory_latency_ms`,
/// `database_slowdown_ms`. On a `warn` event in the span where it happened.
pub const FAULT_INJECTED: &str = "fault.injected";
/// A step of the conversion funnel (O-METRIC-14): `view`, `cart`, `checkout`, `paid`.
pub const SHOP_FUNNEL_STEP: &str = "shop.funnel.step";
/// What became of a review (C-BROWSE-08): `published`, `held` (for moderation).
pub const SHOP_REVIEW_OUTCOME: &str = "shop.review.outcome";
/// A batch job (A-BATCH-01..03): `stock_report`, `orders_export`, `maintenance`.
pub const SHOP_BATCH_JOB: &str = "shop.batch.job";
/// How a batch run ended: `success` or `failed`.
pub const SHOP_BATCH_OUTCOME: &str = "shop.batch.outcome";
/// What started a batch run: `schedule`, `cli` or `admin`.
pub const SHOP_BATCH_TRIGGER: &str = "shop.batch.trigger";
/// A batch run's id (a UUID): on its span and log lines, never on a metric.
pub const SHOP_BATCH_RUN_ID: &str = "shop.batch.run.id";
/// How many items a batch run handled (products, orders, purged rows), on its span.
pub const SHOP_BATCH_ITEM_COUNT: &str = "shop.batch.item_count";

// --- Control fields (read by the tracing glue, not exported) ------------------
/// Span kind: `server`, `client`, `producer`, `consumer` or `internal` (default).
pub const SPAN_KIND: &str = "span.kind";
/// Overrides the span's name (tracing span names are static; an HTTP server
/// span is named `{method} {route}` at run time).
pub const SPAN_NAME: &str = "span.name";
/// The request id (from `x-request-id` or generated). Set on the server span;
/// inherited by every child span and log record of the request.
pub const REQUEST_ID: &str = "request_id";

/// Field names the glue consumes instead of exporting.
pub const CONTROL_FIELDS: [&str; 3] = [SPAN_KIND, SPAN_NAME, REQUEST_ID];

/// Metric instrument names (with the unit each is recorded in).
pub mod metrics {
    /// Histogram, seconds: duration of inbound HTTP requests, by route/method/status.
    pub const HTTP_SERVER_REQUEST_DURATION: &str = "http.server.request.duration";
    /// Counter, `{request}`: inbound HTTP requests, by route/method/status.
    pub const HTTP_SERVER_REQUESTS: &str = "http.server.requests";
    /// Counter, `{error}`: inbound requests answered with a 5xx, by route/method/status.
    pub const HTTP_SERVER_ERRORS: &str = "http.server.errors";
    /// Histogram, seconds: duration of outbound service-to-service calls.
    pub const HTTP_CLIENT_REQUEST_DURATION: &str = "http.client.request.duration";
    /// Histogram, seconds: duration of database operations.
    pub const DB_CLIENT_OPERATION_DURATION: &str = "db.client.operation.duration";
    /// Gauge, `{connection}`: database pool connections by `state` (`idle`/`used`).
    pub const DB_CLIENT_CONNECTION_COUNT: &str = "db.client.connection.count";
    /// Gauge, `1`: the process's CPU time over the last interval, divided by the interval and the
    /// CPUs available (0 to 1).
    pub const PROCESS_CPU_UTILIZATION: &str = "process.cpu.utilization";
    /// Gauge, bytes: the process's resident memory.
    pub const PROCESS_MEMORY_USAGE: &str = "process.memory.usage";
    /// Gauge, bytes: the process's virtual memory.
    pub const PROCESS_MEMORY_VIRTUAL: &str = "process.memory.virtual";
    /// Gauge, `{file_descriptor}`: the process's open file descriptors (sockets included).
    pub const PROCESS_OPEN_FILE_DESCRIPTOR_COUNT: &str = "process.open_file_descriptor.count";
    /// Gauge, `{thread}`: the process's threads.
    pub const PROCESS_THREAD_COUNT: &str = "process.thread.count";
    /// Counter, bytes: what the process read from and wrote to storage, by
    /// `disk.io.direction` (`read`, `write`).
    pub const PROCESS_DISK_IO: &str = "process.disk.io";
    /// Counter, bytes: what crossed each network interface the process sees, by
    /// `network.interface.name` and `network.io.direction` (`receive`, `transmit`). Per
    /// interface of the process's network namespace, not per process: in a container (an ECS
    /// task) that is the container's traffic; on a laptop, the machine's.
    pub const SYSTEM_NETWORK_IO: &str = "system.network.io";
    /// Counter, `{item}`: spans, log records and metric measurements the telemetry backend
    /// dropped (all signals together), sent by the backend itself, each drop once it can be
    /// delivered (`telemetry_api::dropped`). An alarm watches it.
    pub const SHOP_TELEMETRY_DROPPED: &str = "shop.telemetry.dropped";
    /// Counter, `{view}`: product detail views, by category.
    pub const SHOP_PRODUCT_VIEWS: &str = "shop.product.views";
    /// Counter, `{item}`: units added to carts.
    pub const SHOP_CART_ADDITIONS: &str = "shop.cart.additions";
    /// Counter, `{order}`: checkout attempts, by outcome.
    pub const SHOP_ORDERS: &str = "shop.orders";
    /// Counter, `{cent}`: revenue of placed orders in the smallest currency unit, by currency.
    pub const SHOP_REVENUE: &str = "shop.revenue";
    /// Counter, `{login}`: login attempts by `shop.login.outcome`.
    pub const SHOP_LOGINS: &str = "shop.logins";
    /// Counter, `{registration}`: registrations by `shop.registration.outcome`.
    pub const SHOP_REGISTRATIONS: &str = "shop.registrations";
    /// Counter, `{event}`: security events by `shop.security.event.kind` (O-SEC-01).
    pub const SHOP_SECURITY_EVENTS: &str = "shop.security.events";
    /// Counter, `{action}`: back-office actions by `shop.admin.action` and `shop.admin.outcome`
    /// (O-METRIC-10).
    pub const SHOP_ADMIN_ACTIONS: &str = "shop.admin.actions";
    /// Counter, `{transition}`: order status transitions by `shop.order.transition.from`/`.to`.
    pub const SHOP_ORDER_TRANSITIONS: &str = "shop.order.transitions";
    /// Counter, `{redemption}`: coupons presented at checkout by `shop.coupon.outcome` and
    /// `shop.coupon.reason` (O-METRIC-13).
    pub const SHOP_COUPON_REDEMPTIONS: &str = "shop.coupon.redemptions";
    /// Counter, `{payment}`: payment attempts by `shop.payment.method` and `shop.payment.outcome`
    /// (C-SHOP-03).
    pub const SHOP_PAYMENTS: &str = "shop.payments";
    /// Histogram, seconds: how long the payment provider took, by `shop.payment.method`.
    pub const SHOP_PAYMENT_DURATION: &str = "shop.payment.duration";
    /// Counter, `{step}`: conversion-funnel steps by `shop.funnel.step` (O-METRIC-14).
    pub const SHOP_FUNNEL_STEPS: &str = "shop.funnel.steps";
    /// Counter, `{cart}`: carts with items and no order after the abandonment window
    /// (O-METRIC-06), each counted once.
    pub const SHOP_CARTS_ABANDONED: &str = "shop.carts.abandoned";
    /// Counter, `{review}`: reviews written, by `shop.review.outcome` (C-BROWSE-08).
    pub const SHOP_REVIEWS: &str = "shop.reviews";
    /// Histogram, seconds: how long a batch run took, by `shop.batch.job` and `shop.batch.outcome`.
    pub const SHOP_BATCH_DURATION: &str = "shop.batch.duration";
    /// Counter, `{item}`: items batch runs handled, by `shop.batch.job`.
    pub const SHOP_BATCH_ITEMS: &str = "shop.batch.items";
    /// Counter, `{event}`: outbox events the dispatcher handed to the bus, by `shop.event.type`
    /// and `outcome` (`published`, `retry`).
    pub const SHOP_EVENTS_PUBLISHED: &str = "shop.events.published";
    /// Histogram, seconds: from an event's outbox write to its publication.
    pub const SHOP_EVENTS_PUBLISH_LAG: &str = "shop.events.publish_lag";
    /// Counter, `{event}`: events consumers handled, by `shop.event.type` and
    /// `shop.event.outcome`.
    pub const SHOP_EVENTS_CONSUMED: &str = "shop.events.consumed";
    /// Counter, `{mail}`: mails sent, by `shop.mail.template` and `outcome`.
    pub const SHOP_MAILS: &str = "shop.mails";
    /// Counter, `{run}`: batch runs by `shop.batch.job` and `shop.batch.outcome`.
    pub const SHOP_BATCH_RUNS: &str = "shop.batch.runs";
    /// Counter, `{transition}`: circuit breakers' changes of state, by `shop.circuit.name` and
    /// `shop.circuit.state` (the state entered).
    pub const SHOP_CIRCUIT_TRANSITIONS: &str = "shop.circuit.transitions";
    /// Counter, `{call}`: calls a circuit breaker refused without trying, by `shop.circuit.name`.
    pub const SHOP_CIRCUIT_REJECTED: &str = "shop.circuit.rejected";
}

/// Bucket boundaries (seconds) the HTTP semantic conventions recommend for
/// duration histograms.
pub const DURATION_BUCKETS_SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
