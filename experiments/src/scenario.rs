//! The seeded, deterministic scenario mix and the oracle for what each step
//! must leave in the telemetry.
//!
//! Load is made of *sessions*, each a short, fixed sequence of steps a
//! shopper would take (browse, search, buy, fail). The same seed gives the
//! same sessions, in the same order, with the same request bodies, for every
//! build; only server-made ids (cart and order ids) differ between runs.
//!
//! For each step and the status it answered with, [`expected_tree`] is the
//! span tree the shop must produce: written down from the shop's code (and
//! the otel and awssdk tests, which pin the same trees), so the fidelity
//! oracle compares what arrived against what the shop *did*, not against
//! another backend.

use std::collections::BTreeMap;

/// A tiny fixed-seed generator (SplitMix64). Written here rather than taken
/// from `rand` so that the scenario never changes when a dependency's
/// algorithm does (the same reason as the shop's catalog seed).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The product the inventory pass-through refuses (an injected 5xx): a
/// checkout or cart addition of it gets a 500 from inventory, and the
/// orders service answers 502.
pub const POISON_PRODUCT: i64 = 239;

/// How long the inventory pass-through holds a request naming a slow product, when the
/// tail-sampling comparison switches the delay on ([`crate::wiretap::Wiretap::set_slow`]):
/// above the collector's tail-sampling latency threshold (500 ms, collector/pipeline.yaml), so
/// such a request's trace is a slow trace.
pub const SLOW_DELAY: std::time::Duration = std::time::Duration::from_millis(600);

/// The slow products: one in five (ids 2, 7, 12, …; sellable ones among them), so a buying
/// session meets one now and then. Slow only while the delay is switched on.
pub fn is_slow_product(id: i64) -> bool {
    id % 5 == 2
}

/// How many lab customers the set-up registers and logs in before the load starts
/// ([`setup_sessions`]); the signed-in sessions of the mix act as one of them.
pub const CUSTOMERS: u32 = 16;

/// The coupon the signed-in sessions check out with: the lab seed's unlimited one
/// (docs/orders.md#coupons), so that every such checkout redeems it.
pub const LAB_COUPON: &str = "SHOPLAB";

/// The lab customers' password (they exist only in the experiments' fresh databases).
const CUSTOMER_PASSWORD: &str = "lab-customer-password";

/// Lab customer `c`'s e-mail address.
pub fn customer_email(c: u32) -> String {
    format!("customer{c}@shoplab.example")
}

/// Products sold in the mix: every seeded product except those seeded out of
/// stock or low (index % 12 of 0 and 5, see `app/core/src/db/seed.rs`) and the
/// poisoned one, so that a run of any length keeps checkouts succeeding.
fn sellable(rng: &mut SplitMix64) -> i64 {
    loop {
        let id = 1 + rng.below(238) as i64;
        if id % 12 != 0 && id % 12 != 5 && id != POISON_PRODUCT {
            return id;
        }
    }
}

/// Which of the shop's services answers a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Catalog,
    Orders,
}

/// One request of a session.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    ListProducts {
        page: u32,
    },
    CategoryProducts {
        category: u32,
    },
    Search {
        q: &'static str,
    },
    /// An empty query: 400.
    SearchEmpty,
    Detail {
        product: i64,
    },
    /// A product that does not exist: 404.
    DetailMissing {
        product: i64,
    },
    CreateCart,
    AddItem {
        product: i64,
        quantity: i64,
    },
    /// Adds the poisoned product: the pass-through in front of inventory
    /// answers 500, and orders answers 502 (a bad gateway: its dependency failed).
    AddPoison,
    GetCart,
    /// Places the order; `token` picks the mock payment outcome; `lines`
    /// is the number of cart lines (each line is written in the transaction);
    /// `coupon` sends [`LAB_COUPON`].
    Checkout {
        token: &'static str,
        email_ok: bool,
        lines: usize,
        coupon: bool,
    },
    /// Registers lab customer `customer` (the set-up before the load).
    Register {
        customer: u32,
    },
    /// Logs lab customer `customer` in: 200, a session cookie and its CSRF
    /// token. `first`: the set-up's login, which also gives the account its
    /// own (empty) cart; a later login finds that cart.
    Login {
        customer: u32,
        first: bool,
    },
    /// The signed-in customer's order history.
    AccountOrders,
    /// The signed-in customer reviews a product bought earlier in the session
    /// (the generator never reviews a product twice for one customer, so the
    /// answer does not depend on which of two concurrent sessions runs first).
    Review {
        product: i64,
    },
    /// The lab admin accepts the invitation `shop admin invite` made before
    /// the load (set-up; the token is in [`Vars::invitation`]).
    AdminAccept,
    /// The lab admin's password step: a session cookie and its CSRF token.
    /// `enrolled`: TOTP is already set up, so the answer's `next` is
    /// `verify` (else `enrol`); the two trees are the same.
    AdminLogin {
        enrolled: bool,
    },
    /// Starts TOTP enrolment: the answer's otpauth URI is what the phone scans.
    AdminEnrol,
    /// Confirms enrolment with the phone's code ([`Vars::code`]).
    AdminConfirm,
    /// The second step of a login with TOTP ([`Vars::code`]): 204.
    AdminVerify,
    /// The back office edits a product's description (`session`: the
    /// session's index, which makes every edit a change).
    AdminEditProduct {
        product: i64,
        session: u64,
    },
    /// The back office receives 5 units of a product (never a low-stock
    /// crossing: receiving only adds).
    AdminReceiveStock {
        product: i64,
    },
    /// The back office packs the session's order ([`Vars::order`]).
    AdminPack,
    /// The back office ships the session's order with a tracking number made
    /// from `session`.
    AdminShip {
        session: u64,
    },
}

/// What a session learned from earlier answers, that later requests name:
/// the cart and the order it made, and for the lab admin the invitation
/// token and the current TOTP code.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    pub cart: String,
    pub order: String,
    pub invitation: String,
    pub code: String,
}

/// The lab admin's e-mail address.
pub const ADMIN_EMAIL: &str = "admin@shoplab.example";
/// The lab admin's roles: what the mix's admin sessions do, nothing more.
pub const ADMIN_ROLES: [&str; 3] = ["catalog_manager", "inventory_manager", "order_manager"];
/// The lab admin's password (the admin exists only in the experiments' fresh databases; it
/// passes the shop's admin password policy).
const ADMIN_PASSWORD: &str = "lab admin: brass lantern, quiet fjord, 42 owls";

const QUERIES: [&str; 8] = [
    "lamp", "tea", "deluxe", "earbuds", "chair", "mug", "jacket", "pro",
];

impl Step {
    /// Short name used in the ledger, the mix table and failure messages.
    pub fn name(&self) -> &'static str {
        match self {
            Step::ListProducts { .. } => "list",
            Step::CategoryProducts { .. } => "category",
            Step::Search { .. } => "search",
            Step::SearchEmpty => "search-empty",
            Step::Detail { .. } => "detail",
            Step::DetailMissing { .. } => "detail-missing",
            Step::CreateCart => "cart-create",
            Step::AddItem { .. } => "cart-add",
            Step::AddPoison => "cart-add-poison",
            Step::GetCart => "cart-get",
            Step::Checkout {
                token: "tok_visa",
                email_ok: true,
                coupon: true,
                ..
            } => "checkout-coupon",
            Step::Checkout {
                token: "tok_visa",
                email_ok: true,
                ..
            } => "checkout",
            Step::Checkout {
                email_ok: false, ..
            } => "checkout-invalid",
            Step::Checkout { .. } => "checkout-declined",
            Step::Register { .. } => "register",
            Step::Login { .. } => "login",
            Step::AccountOrders => "account-orders",
            Step::Review { .. } => "review",
            Step::AdminAccept => "admin-accept",
            Step::AdminLogin { .. } => "admin-login",
            Step::AdminEnrol => "admin-enrol",
            Step::AdminConfirm => "admin-confirm",
            Step::AdminVerify => "admin-verify",
            Step::AdminEditProduct { .. } => "admin-edit-product",
            Step::AdminReceiveStock { .. } => "admin-receive-stock",
            Step::AdminPack => "admin-pack",
            Step::AdminShip { .. } => "admin-ship",
        }
    }

    /// Whether the step is a back-office request (it carries the lab admin's
    /// cookie and CSRF token, not a customer's).
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Step::AdminAccept
                | Step::AdminLogin { .. }
                | Step::AdminEnrol
                | Step::AdminConfirm
                | Step::AdminVerify
                | Step::AdminEditProduct { .. }
                | Step::AdminReceiveStock { .. }
                | Step::AdminPack
                | Step::AdminShip { .. }
        )
    }

    pub fn service(&self) -> Service {
        match self {
            Step::ListProducts { .. }
            | Step::CategoryProducts { .. }
            | Step::Search { .. }
            | Step::SearchEmpty
            | Step::Detail { .. }
            | Step::DetailMissing { .. }
            | Step::Review { .. } => Service::Catalog,
            _ => Service::Orders,
        }
    }

    /// The status this step answers with when the shop works.
    pub fn expected_status(&self) -> u16 {
        match self {
            Step::SearchEmpty => 400,
            Step::DetailMissing { .. } => 404,
            Step::CreateCart
            | Step::AddItem { .. }
            | Step::Register { .. }
            | Step::Review { .. }
            | Step::AdminAccept => 201,
            Step::AdminVerify => 204,
            Step::AddPoison => 502,
            Step::Checkout {
                email_ok: false, ..
            } => 400,
            // Both additions were refused (sold out): the body is valid but
            // the cart is empty.
            Step::Checkout { lines: 0, .. } => 422,
            Step::Checkout {
                token: "tok_visa", ..
            } => 201,
            Step::Checkout { .. } => 402,
            _ => 200,
        }
    }

    /// Whether `status` is a correct answer: the expected one, or a 409 for
    /// a cart addition or checkout once a long run has sold a product out
    /// (the seeded stock is finite; the shop refuses correctly). A review is
    /// then right to answer 403: the session's checkout was refused, so
    /// nothing was bought.
    pub fn acceptable(&self, status: u16) -> bool {
        status == self.expected_status()
            || (status == 409 && matches!(self, Step::AddItem { .. } | Step::Checkout { .. }))
            || (status == 403 && matches!(self, Step::Review { .. }))
    }

    /// Method, route template (as the shop names its spans and metrics).
    pub fn route(&self) -> (&'static str, &'static str) {
        match self {
            Step::ListProducts { .. } => ("GET", "/api/products"),
            Step::CategoryProducts { .. } => ("GET", "/api/categories/{id}/products"),
            Step::Search { .. } | Step::SearchEmpty => ("GET", "/api/products/search"),
            Step::Detail { .. } | Step::DetailMissing { .. } => ("GET", "/api/products/{id}"),
            Step::CreateCart => ("POST", "/api/carts"),
            Step::AddItem { .. } | Step::AddPoison => ("POST", "/api/carts/{id}/items"),
            Step::GetCart => ("GET", "/api/carts/{id}"),
            Step::Checkout { .. } => ("POST", "/api/orders"),
            Step::Register { .. } => ("POST", "/api/auth/register"),
            Step::Login { .. } => ("POST", "/api/auth/login"),
            Step::AccountOrders => ("GET", "/api/account/orders"),
            Step::Review { .. } => ("POST", "/api/products/{id}/reviews"),
            Step::AdminAccept => ("POST", "/api/admin/invitations/accept"),
            Step::AdminLogin { .. } => ("POST", "/api/admin/login"),
            Step::AdminEnrol => ("POST", "/api/admin/mfa/enrol"),
            Step::AdminConfirm => ("POST", "/api/admin/mfa/confirm"),
            Step::AdminVerify => ("POST", "/api/admin/mfa/verify"),
            Step::AdminEditProduct { .. } => ("PATCH", "/api/admin/products/{id}"),
            Step::AdminReceiveStock { .. } => {
                ("POST", "/api/admin/inventory/{product_id}/adjustments")
            }
            Step::AdminPack | Step::AdminShip { .. } => ("POST", "/api/admin/orders/{id}/status"),
        }
    }

    /// Path and query of the request; `v` holds the session's cart and order ids.
    pub fn path(&self, v: &Vars) -> String {
        let cart = &v.cart;
        match self {
            Step::ListProducts { page } => format!("/api/products?page={page}&per_page=20"),
            Step::CategoryProducts { category } => {
                format!("/api/categories/{category}/products?page=1")
            }
            Step::Search { q } => format!("/api/products/search?q={q}"),
            Step::SearchEmpty => "/api/products/search?q=".to_owned(),
            Step::Detail { product } | Step::DetailMissing { product } => {
                format!("/api/products/{product}")
            }
            Step::CreateCart => "/api/carts".to_owned(),
            Step::AddItem { .. } | Step::AddPoison => format!("/api/carts/{cart}/items"),
            Step::GetCart => format!("/api/carts/{cart}"),
            Step::Checkout { .. } => "/api/orders".to_owned(),
            Step::Register { .. } => "/api/auth/register".to_owned(),
            Step::Login { .. } => "/api/auth/login".to_owned(),
            Step::AccountOrders => "/api/account/orders".to_owned(),
            Step::Review { product } => format!("/api/products/{product}/reviews"),
            Step::AdminEditProduct { product, .. } => format!("/api/admin/products/{product}"),
            Step::AdminReceiveStock { product } => {
                format!("/api/admin/inventory/{product}/adjustments")
            }
            Step::AdminPack | Step::AdminShip { .. } => {
                format!("/api/admin/orders/{}/status", v.order)
            }
            other => other.route().1.to_owned(),
        }
    }

    /// The JSON body, if the step has one.
    pub fn body(&self, v: &Vars) -> Option<serde_json::Value> {
        let cart = &v.cart;
        match self {
            Step::AddItem { product, quantity } => {
                Some(serde_json::json!({ "product_id": product, "quantity": quantity }))
            }
            Step::AddPoison => {
                Some(serde_json::json!({ "product_id": POISON_PRODUCT, "quantity": 1 }))
            }
            Step::Checkout {
                token,
                email_ok,
                coupon,
                ..
            } => {
                let mut body = serde_json::json!({
                    "cart_id": cart,
                    "email": if *email_ok { "learner@example.com" } else { "not-an-email" },
                    "shipping_address": {
                        "name": "Aiko Tanaka",
                        "line1": "1-2-3 Marunouchi",
                        "city": "Tokyo",
                        "postal_code": "100-0005",
                        "country": "JP"
                    },
                    "payment": { "token": token }
                });
                if *coupon {
                    body["coupon_code"] = LAB_COUPON.into();
                }
                Some(body)
            }
            Step::Register { customer } => Some(serde_json::json!({
                "email": customer_email(*customer),
                "password": CUSTOMER_PASSWORD,
                "name": format!("Lab Customer {customer}"),
            })),
            Step::Login { customer, .. } => Some(serde_json::json!({
                "email": customer_email(*customer),
                "password": CUSTOMER_PASSWORD,
            })),
            Step::Review { product } => Some(serde_json::json!({
                "rating": 1 + product % 5,
                "text": "Arrived quickly and works as described.",
            })),
            Step::AdminAccept => Some(serde_json::json!({
                "token": v.invitation,
                "name": "Lab Admin",
                "password": ADMIN_PASSWORD,
            })),
            Step::AdminLogin { .. } => Some(serde_json::json!({
                "email": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD,
            })),
            Step::AdminEnrol => Some(serde_json::json!({})),
            Step::AdminConfirm | Step::AdminVerify => Some(serde_json::json!({ "code": v.code })),
            Step::AdminEditProduct { session, .. } => Some(serde_json::json!({
                "description": format!("Edited in the back office by lab session {session}."),
            })),
            Step::AdminReceiveStock { .. } => {
                Some(serde_json::json!({ "delta": 5, "reason": "receiving" }))
            }
            Step::AdminPack => Some(serde_json::json!({ "to": "packed" })),
            Step::AdminShip { session } => Some(serde_json::json!({
                "to": "shipped",
                "tracking_number": format!("LAB-{session:010}"),
            })),
            _ => None,
        }
    }
}

/// A shopper's visit: steps run one after another (a step may need the
/// cart the session created).
#[derive(Clone, Debug)]
pub struct Session {
    /// Position in the generated sequence (also makes idempotency keys).
    pub index: u64,
    pub kind: &'static str,
    pub steps: Vec<Step>,
    /// The lab customer whose session cookie the session starts with
    /// (signed-in sessions); `None` for a guest, whose session may still
    /// sign in with a [`Step::Login`] and carry the cookie from then on.
    pub customer: Option<u32>,
}

/// Session indexes of the set-up (far above any generated session's).
pub const SETUP_BASE: u64 = 1 << 40;

/// The set-up before the load: each lab customer registers and logs in
/// once (argon2id makes a login cost tens of milliseconds, so the signed-in
/// sessions of the mix reuse these sessions, as a browser keeps its cookie).
/// Its requests are in the ledger like any other, outside the measured window.
///
/// Then the lab admin, invited by `shop admin invite` before the set-up,
/// accepts the invitation, enrols TOTP (playing the phone), and logs in
/// again with a TOTP code: the admin sessions of the mix keep that session.
pub fn setup_sessions() -> Vec<Session> {
    let admin = Session {
        index: SETUP_BASE + u64::from(CUSTOMERS),
        kind: "setup",
        steps: vec![
            Step::AdminAccept,
            Step::AdminLogin { enrolled: false },
            Step::AdminEnrol,
            Step::AdminConfirm,
            Step::AdminLogin { enrolled: true },
            Step::AdminVerify,
        ],
        customer: None,
    };
    (0..CUSTOMERS)
        .map(|customer| Session {
            index: SETUP_BASE + u64::from(customer),
            kind: "setup",
            steps: vec![
                Step::Register { customer },
                Step::Login {
                    customer,
                    first: true,
                },
            ],
            customer: None,
        })
        .chain([admin])
        .collect()
}

/// The session generator: an endless, deterministic stream.
#[derive(Clone, Debug)]
pub struct Scenario {
    rng: SplitMix64,
    next: u64,
    /// (customer, product) pairs a signed-in session has reviewed.
    reviewed: std::collections::BTreeSet<(u32, i64)>,
}

impl Scenario {
    pub fn new(seed: u64) -> Scenario {
        Scenario {
            rng: SplitMix64::new(seed),
            next: 0,
            reviewed: std::collections::BTreeSet::new(),
        }
    }

    /// The next session. Shares: browse 33 %, admin 1 % (the lab admin edits
    /// a product, receives stock, then packs and ships a guest order the
    /// session places), search 22 %, buy 22 %,
    /// signed-in 12 % (a lab customer buys with a coupon, looks at the order
    /// history and reviews what they bought), sign-in 1 % (a customer logs in
    /// again and looks at the history), error-prone 9 % (half a missing
    /// product, half an injected 5xx).
    pub fn next_session(&mut self) -> Session {
        let r = &mut self.rng;
        let index = self.next;
        self.next += 1;
        let roll = r.below(1000);
        let mut customer = None;
        let (kind, steps) = match roll {
            330..340 => {
                let product = sellable(r);
                (
                    "admin",
                    vec![
                        Step::AdminEditProduct {
                            product,
                            session: index,
                        },
                        Step::AdminReceiveStock { product },
                        Step::CreateCart,
                        Step::AddItem {
                            product,
                            quantity: 1,
                        },
                        Step::Checkout {
                            token: "tok_visa",
                            email_ok: true,
                            lines: 1,
                            coupon: false,
                        },
                        Step::AdminPack,
                        Step::AdminShip { session: index },
                    ],
                )
            }
            0..330 => (
                "browse",
                vec![
                    Step::ListProducts {
                        page: 1 + r.below(12) as u32,
                    },
                    Step::Detail {
                        product: sellable(r),
                    },
                    Step::CategoryProducts {
                        category: 1 + r.below(18) as u32,
                    },
                    Step::Detail {
                        product: sellable(r),
                    },
                ],
            ),
            340..560 => {
                let mut steps = vec![if r.chance(0.2) {
                    Step::SearchEmpty
                } else {
                    Step::Search {
                        q: QUERIES[r.below(QUERIES.len() as u64) as usize],
                    }
                }];
                steps.push(Step::Detail {
                    product: sellable(r),
                });
                ("search", steps)
            }
            560..780 => {
                let first = sellable(r);
                let mut second = sellable(r);
                while second == first {
                    second = sellable(r);
                }
                let pay = r.below(100);
                let (token, email_ok) = match pay {
                    0..8 => ("tok_chargeDeclined", true),
                    8..12 => ("tok_visa", false),
                    _ => ("tok_visa", true),
                };
                let checkout = Step::Checkout {
                    token,
                    email_ok,
                    lines: 2,
                    coupon: false,
                };
                (
                    "buy",
                    vec![
                        Step::Detail { product: first },
                        Step::CreateCart,
                        Step::AddItem {
                            product: first,
                            quantity: 1,
                        },
                        Step::AddItem {
                            product: second,
                            quantity: 1 + r.below(2) as i64,
                        },
                        Step::GetCart,
                        checkout,
                    ],
                )
            }
            780..900 => {
                let c = r.below(u64::from(CUSTOMERS)) as u32;
                customer = Some(c);
                let product = sellable(r);
                let mut steps = vec![
                    Step::Detail { product },
                    Step::CreateCart,
                    Step::AddItem {
                        product,
                        quantity: 1,
                    },
                    Step::Checkout {
                        token: "tok_visa",
                        email_ok: true,
                        lines: 1,
                        coupon: true,
                    },
                    Step::AccountOrders,
                ];
                if self.reviewed.insert((c, product)) {
                    steps.push(Step::Review { product });
                }
                ("signed-in", steps)
            }
            900..910 => (
                "sign-in",
                vec![
                    Step::Login {
                        customer: r.below(u64::from(CUSTOMERS)) as u32,
                        first: false,
                    },
                    Step::AccountOrders,
                ],
            ),
            910..955 => (
                "not-found",
                vec![Step::DetailMissing {
                    product: 10_000 + r.below(90_000) as i64,
                }],
            ),
            _ => ("inventory-fault", vec![Step::CreateCart, Step::AddPoison]),
        };
        Session {
            index,
            kind,
            steps,
            customer,
        }
    }
}

/// The mix as generated: step name → share of requests over `sessions`
/// sessions from `seed` (what the report's method table shows).
pub fn mix(seed: u64, sessions: usize) -> (BTreeMap<String, f64>, f64, f64) {
    let mut s = Scenario::new(seed);
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let (mut total, mut c4, mut c5) = (0.0, 0.0, 0.0);
    for _ in 0..sessions {
        for step in s.next_session().steps {
            *counts.entry(step.name().to_owned()).or_default() += 1.0;
            total += 1.0;
            match step.expected_status() {
                400..500 => c4 += 1.0,
                500.. => c5 += 1.0,
                _ => {}
            }
        }
    }
    for v in counts.values_mut() {
        *v /= total;
    }
    (counts, c4 / total, c5 / total)
}

/// Session kind → share of sessions over `sessions` sessions from `seed`.
pub fn session_mix(seed: u64, sessions: usize) -> BTreeMap<String, f64> {
    let mut s = Scenario::new(seed);
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    for _ in 0..sessions {
        *counts.entry(s.next_session().kind.to_owned()).or_default() += 1.0;
    }
    for v in counts.values_mut() {
        *v /= sessions as f64;
    }
    counts
}

/// One node of an expected tree: depth, service role, span kind and name.
pub type Node = (usize, &'static str, &'static str, &'static str);

const CART_READ: [Node; 2] = [
    (1, "orders", "client", "SELECT carts"),
    (1, "orders", "client", "SELECT cart_items"),
];
const INVENTORY_CHECK: [Node; 3] = [
    (1, "orders", "client", "POST /api/inventory/check"),
    (2, "inventory", "server", "POST /api/inventory/check"),
    (3, "inventory", "client", "SELECT products"),
];

/// A review's checks before it is written: the product exists, the customer bought it.
const REVIEW_CHECKS: [Node; 2] = [
    (1, "catalog", "client", "SELECT products"),
    (1, "catalog", "client", "SELECT orders"),
];

/// An admin request's session look-up: the session, then "last seen".
const ADMIN_SESSION: [Node; 2] = [
    (1, "orders", "client", "SELECT admin_sessions"),
    (1, "orders", "client", "UPDATE admin_sessions"),
];
/// An audit entry appended inside a transaction (the chain's head, locked; the entry; the head).
const AUDIT: [Node; 3] = [
    (1, "orders", "client", "SELECT audit_head"),
    (1, "orders", "client", "INSERT audit_log"),
    (1, "orders", "client", "UPDATE audit_head"),
];
/// The admin login limiter's two counts (account, client) and the account.
const ADMIN_CREDENTIALS: [Node; 3] = [
    (1, "orders", "client", "SELECT login_failures"),
    (1, "orders", "client", "SELECT login_failures"),
    (1, "orders", "client", "SELECT admins"),
];
/// An order as an answer reads it: the order, its lines, its history.
const ORDER_READ: [Node; 3] = [
    (1, "orders", "client", "SELECT orders"),
    (1, "orders", "client", "SELECT order_items"),
    (1, "orders", "client", "SELECT order_status_history"),
];
const BEGIN: [Node; 1] = [(1, "orders", "client", "BEGIN")];
const COMMIT: [Node; 1] = [(1, "orders", "client", "COMMIT")];

fn tree(root: Node, parts: &[&[Node]]) -> Vec<Node> {
    let mut out = vec![root];
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// The span tree a step that answered `status` must produce, depth first,
/// children in start order, as `(depth, service role, kind, name)`; `None`
/// when the scenario has no oracle for that outcome (then the request is
/// counted as unexpected). `signed_in`: the request carried a session
/// cookie, which the service looks up before anything else.
pub fn expected_tree(step: &Step, status: u16, signed_in: bool) -> Option<Vec<Node>> {
    let mut t = step_tree(step, status)?;
    if signed_in {
        let svc = t[0].1;
        t.insert(1, (1, svc, "client", "SELECT sessions"));
    }
    Some(t)
}

/// [`expected_tree`] without the session look-up.
fn step_tree(step: &Step, status: u16) -> Option<Vec<Node>> {
    let (method, route) = step.route();
    let root_name: &'static str = match (method, route) {
        ("GET", "/api/products") => "GET /api/products",
        ("GET", "/api/categories/{id}/products") => "GET /api/categories/{id}/products",
        ("GET", "/api/products/search") => "GET /api/products/search",
        ("GET", "/api/products/{id}") => "GET /api/products/{id}",
        ("POST", "/api/carts") => "POST /api/carts",
        ("POST", "/api/carts/{id}/items") => "POST /api/carts/{id}/items",
        ("GET", "/api/carts/{id}") => "GET /api/carts/{id}",
        ("POST", "/api/auth/register") => "POST /api/auth/register",
        ("POST", "/api/auth/login") => "POST /api/auth/login",
        ("GET", "/api/account/orders") => "GET /api/account/orders",
        ("POST", "/api/products/{id}/reviews") => "POST /api/products/{id}/reviews",
        ("POST", "/api/admin/invitations/accept") => "POST /api/admin/invitations/accept",
        ("POST", "/api/admin/login") => "POST /api/admin/login",
        ("POST", "/api/admin/mfa/enrol") => "POST /api/admin/mfa/enrol",
        ("POST", "/api/admin/mfa/confirm") => "POST /api/admin/mfa/confirm",
        ("POST", "/api/admin/mfa/verify") => "POST /api/admin/mfa/verify",
        ("PATCH", "/api/admin/products/{id}") => "PATCH /api/admin/products/{id}",
        ("POST", "/api/admin/inventory/{product_id}/adjustments") => {
            "POST /api/admin/inventory/{product_id}/adjustments"
        }
        ("POST", "/api/admin/orders/{id}/status") => "POST /api/admin/orders/{id}/status",
        _ => "POST /api/orders",
    };
    let svc = match step.service() {
        Service::Catalog => "catalog",
        Service::Orders => "orders",
    };
    let root: Node = (0, svc, "server", root_name);
    let products: Node = (1, "catalog", "client", "SELECT products");
    let t = match (step, status) {
        (Step::ListProducts { .. }, 200) | (Step::Search { .. }, 200) => {
            tree(root, &[&[products, products]])
        }
        (Step::CategoryProducts { .. }, 200) => tree(
            root,
            &[&[
                (1, "catalog", "client", "SELECT categories"),
                products,
                products,
            ]],
        ),
        (Step::SearchEmpty, 400) => vec![root],
        (Step::Detail { .. }, 200) | (Step::DetailMissing { .. }, 404) => {
            tree(root, &[&[products]])
        }
        (Step::CreateCart, 201) => tree(
            root,
            &[&[(1, "orders", "client", "INSERT carts")], &CART_READ],
        ),
        (Step::AddItem { .. }, 201) => tree(
            root,
            &[
                &CART_READ,
                &[(1, "orders", "client", "SELECT cart_items")],
                &INVENTORY_CHECK,
                &[
                    (1, "orders", "client", "INSERT cart_items"),
                    (1, "orders", "client", "UPDATE carts"),
                ],
                &CART_READ,
            ],
        ),
        // Sold out (a long run at saturation sells products out): refused after
        // the inventory check, nothing written.
        (Step::AddItem { .. }, 409) => tree(
            root,
            &[
                &CART_READ,
                &[(1, "orders", "client", "SELECT cart_items")],
                &INVENTORY_CHECK,
            ],
        ),
        (Step::AddPoison, 502) => tree(
            root,
            &[
                &CART_READ,
                &[(1, "orders", "client", "SELECT cart_items")],
                &INVENTORY_CHECK[..1],
            ],
        ),
        (Step::GetCart, 200) => tree(root, &[&CART_READ]),
        (
            Step::Checkout {
                email_ok: false, ..
            },
            400,
        ) => vec![root],
        // Looked up the idempotency key and the cart, which was empty.
        (Step::Checkout { lines: 0, .. }, 422) => tree(
            root,
            &[&[(1, "orders", "client", "SELECT orders")], &CART_READ],
        ),
        // Sold out by the time of the checkout: refused after the inventory check,
        // before the coupon and the payment. (A checkout that loses the race for
        // the last units inside the transaction also answers 409, after the
        // payment; its tree differs and the oracle does not describe it yet.)
        (Step::Checkout { .. }, 409) => tree(
            root,
            &[
                &[(1, "orders", "client", "SELECT orders")],
                &CART_READ,
                &INVENTORY_CHECK,
            ],
        ),
        (Step::Checkout { .. }, 402) => tree(
            root,
            &[
                &[(1, "orders", "client", "SELECT orders")],
                &CART_READ,
                &INVENTORY_CHECK,
                &[(1, "orders", "internal", "payment.authorize")],
            ],
        ),
        (Step::Register { .. }, 201) => tree(
            root,
            &[&[
                (1, "orders", "client", "INSERT users"),
                (1, "orders", "client", "SELECT users"),
            ]],
        ),
        // The limiter's two counts, the credentials, clearing the account's
        // failures, the session; the account's own cart (made at the first
        // login); the profile.
        (Step::Login { first, .. }, 200) => {
            let mut t = tree(
                root,
                &[&[
                    (1, "orders", "client", "SELECT login_failures"),
                    (1, "orders", "client", "SELECT login_failures"),
                    (1, "orders", "client", "SELECT users"),
                    (1, "orders", "client", "DELETE login_failures"),
                    (1, "orders", "client", "INSERT sessions"),
                    (1, "orders", "client", "SELECT users"),
                ]],
            );
            if *first {
                t.extend_from_slice(&[
                    (1, "orders", "client", "INSERT carts"),
                    (1, "orders", "client", "UPDATE users"),
                ]);
            }
            t.push((1, "orders", "client", "SELECT users"));
            t
        }
        // The orders, then their units.
        (Step::AccountOrders, 200) => tree(
            root,
            &[&[
                (1, "orders", "client", "SELECT orders"),
                (1, "orders", "client", "SELECT order_items"),
            ]],
        ),
        // The product exists; the customer bought it; (published) the
        // product's rating aggregate, the review and its id, in one
        // transaction; the review as written.
        (Step::Review { .. }, 201) => tree(
            root,
            &[
                &REVIEW_CHECKS,
                &[
                    (1, "catalog", "client", "BEGIN"),
                    (1, "catalog", "client", "UPDATE products"),
                    (1, "catalog", "client", "INSERT reviews"),
                    (1, "catalog", "client", "SELECT reviews"),
                    (1, "catalog", "client", "COMMIT"),
                    (1, "catalog", "client", "SELECT reviews"),
                ],
            ],
        ),
        // Not bought (the session's checkout was refused).
        (Step::Review { .. }, 403) => tree(root, &[&REVIEW_CHECKS]),
        // The invitation (read, then locked and used), the admin, the audit entry.
        (Step::AdminAccept, 201) => tree(
            root,
            &[
                &[(1, "orders", "client", "SELECT admin_invitations")],
                &BEGIN,
                &[
                    (1, "orders", "client", "SELECT admin_invitations"),
                    (1, "orders", "client", "UPDATE admin_invitations"),
                    (1, "orders", "client", "INSERT admins"),
                ],
                &AUDIT,
                &COMMIT,
            ],
        ),
        // The limiter and the password, clearing the account's failures, the session, the
        // profile, the audit entry.
        (Step::AdminLogin { .. }, 200) => tree(
            root,
            &[
                &ADMIN_CREDENTIALS,
                &[
                    (1, "orders", "client", "DELETE login_failures"),
                    (1, "orders", "client", "INSERT admin_sessions"),
                    (1, "orders", "client", "SELECT admins"),
                ],
                &BEGIN,
                &AUDIT,
                &COMMIT,
            ],
        ),
        // A new secret, stored (not yet confirmed).
        (Step::AdminEnrol, 200) => tree(
            root,
            &[
                &ADMIN_SESSION,
                &[
                    (1, "orders", "client", "SELECT admins"),
                    (1, "orders", "client", "UPDATE admins"),
                ],
            ],
        ),
        // The code checked (with the limiter), enrolment confirmed with ten recovery codes
        // and the audit entry in one transaction, then the session marked as past MFA.
        (Step::AdminConfirm, 200) => {
            let mut t = tree(
                root,
                &[
                    &ADMIN_SESSION,
                    &ADMIN_CREDENTIALS,
                    &BEGIN,
                    &[
                        (1, "orders", "client", "UPDATE admins"),
                        (1, "orders", "client", "DELETE admin_recovery_codes"),
                    ],
                ],
            );
            t.extend([(1, "orders", "client", "INSERT admin_recovery_codes"); 10]);
            t.extend_from_slice(&AUDIT);
            t.extend_from_slice(&COMMIT);
            t.push((1, "orders", "client", "UPDATE admin_sessions"));
            t
        }
        // The code checked (the limiter; the admin; the step it used, against replays), the
        // audit entry, the session marked as past MFA.
        (Step::AdminVerify, 204) => tree(
            root,
            &[
                &ADMIN_SESSION,
                &ADMIN_CREDENTIALS,
                &[
                    (1, "orders", "client", "SELECT admins"),
                    (1, "orders", "client", "UPDATE admins"),
                ],
                &BEGIN,
                &AUDIT,
                &COMMIT,
                &[(1, "orders", "client", "UPDATE admin_sessions")],
            ],
        ),
        // The change in its own span (O-TRACE-04): the product locked, its category and
        // SKU checked, the update and the audit entry; then the product as answered.
        (Step::AdminEditProduct { .. }, 200) => tree(
            root,
            &[
                &ADMIN_SESSION,
                &[
                    (1, "orders", "internal", "catalog.product.update"),
                    (2, "orders", "client", "BEGIN"),
                    (2, "orders", "client", "SELECT products"),
                    (2, "orders", "client", "SELECT categories"),
                    (2, "orders", "client", "SELECT products"),
                    (2, "orders", "client", "UPDATE products"),
                    (2, "orders", "client", "SELECT audit_head"),
                    (2, "orders", "client", "INSERT audit_log"),
                    (2, "orders", "client", "UPDATE audit_head"),
                    (2, "orders", "client", "COMMIT"),
                    (1, "orders", "client", "SELECT products"),
                ],
            ],
        ),
        // The level locked, updated, its movement, the audit entry (receiving never crosses
        // the low-stock threshold downwards, so no alert).
        (Step::AdminReceiveStock { .. }, 200) => tree(
            root,
            &[
                &ADMIN_SESSION,
                &BEGIN,
                &[
                    (1, "orders", "client", "SELECT inventory"),
                    (1, "orders", "client", "UPDATE inventory"),
                    (1, "orders", "client", "INSERT inventory_movements"),
                ],
                &AUDIT,
                &COMMIT,
            ],
        ),
        // The order read, the move and its history row (shipping also stores the tracking
        // number), the audit entry; the order as answered.
        (Step::AdminPack, 200) | (Step::AdminShip { .. }, 200) => {
            let mut t = tree(
                root,
                &[
                    &ADMIN_SESSION,
                    &ORDER_READ,
                    &BEGIN,
                    &[
                        (1, "orders", "client", "UPDATE orders"),
                        (1, "orders", "client", "INSERT order_status_history"),
                    ],
                ],
            );
            if matches!(step, Step::AdminShip { .. }) {
                // The `order.shipped` event (the shipping notice follows it), then the
                // tracking number.
                t.extend_from_slice(&[
                    (1, "orders", "producer", "order.shipped create"),
                    (2, "orders", "client", "INSERT outbox"),
                    (1, "orders", "client", "UPDATE orders"),
                ]);
            }
            t.extend_from_slice(&AUDIT);
            t.extend_from_slice(&COMMIT);
            t.extend_from_slice(&ORDER_READ);
            t
        }
        (Step::Checkout { lines, coupon, .. }, 201) => {
            let mut t = tree(
                root,
                &[
                    &[(1, "orders", "client", "SELECT orders")],
                    &CART_READ,
                    &INVENTORY_CHECK,
                ],
            );
            if *coupon {
                // The friendly early check: the coupon, and this customer's uses of it.
                t.extend_from_slice(&[
                    (1, "orders", "client", "SELECT coupons"),
                    (1, "orders", "client", "SELECT coupon_customer_uses"),
                ]);
            }
            t.extend_from_slice(&[
                (1, "orders", "internal", "payment.authorize"),
                (1, "orders", "client", "BEGIN"),
                (1, "orders", "client", "INSERT orders"),
                // The status history: placed, then paid (docs/orders.md).
                (1, "orders", "client", "INSERT order_status_history"),
                (1, "orders", "client", "INSERT order_status_history"),
            ]);
            if *coupon {
                // Redeemed in the order's transaction (a conditional update, then the record).
                t.extend_from_slice(&[
                    (1, "orders", "client", "UPDATE coupons"),
                    (1, "orders", "client", "INSERT coupon_redemptions"),
                ]);
            }
            // Each cart line: take the stock, read it back, log the movement, write the line.
            for _ in 0..*lines {
                t.extend_from_slice(&[
                    (1, "orders", "client", "UPDATE inventory"),
                    (1, "orders", "client", "SELECT inventory"),
                    (1, "orders", "client", "INSERT inventory_movements"),
                    (1, "orders", "client", "INSERT order_items"),
                ]);
            }
            t.extend_from_slice(&[
                // Its events, written to the outbox in the same transaction, after the lines
                // (`order.placed` names the products the sale took below their threshold;
                // docs/events.md).
                (1, "orders", "producer", "order.placed create"),
                (2, "orders", "client", "INSERT outbox"),
                (1, "orders", "producer", "order.paid create"),
                (2, "orders", "client", "INSERT outbox"),
                (1, "orders", "client", "UPDATE carts"),
                (1, "orders", "client", "COMMIT"),
                (1, "orders", "client", "SELECT orders"),
                (1, "orders", "client", "SELECT order_items"),
                (1, "orders", "client", "SELECT order_status_history"),
            ]);
            t
        }
        _ => return None,
    };
    Some(t)
}

/// Renders a tree as indented `service kind name` lines (what failure
/// messages show, and what read-back trees are compared as).
pub fn render(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|(d, s, k, n)| format!("{}{s} {k} {n}\n", "  ".repeat(*d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sessions() {
        let mut a = Scenario::new(7);
        let mut b = Scenario::new(7);
        for _ in 0..500 {
            let (x, y) = (a.next_session(), b.next_session());
            assert_eq!(x.steps, y.steps);
        }
        let mut c = Scenario::new(8);
        let differs = (0..50).any(|_| a.next_session().steps != c.next_session().steps);
        assert!(differs);
    }

    #[test]
    fn every_expected_outcome_has_an_oracle() {
        let mut s = Scenario::new(1);
        let sessions = setup_sessions()
            .into_iter()
            .chain((0..2000).map(|_| s.next_session()));
        for session in sessions {
            let mut signed_in = session.customer.is_some();
            for step in session.steps {
                // Every acceptable answer has its tree: the expected one, a sold-out 409,
                // a review refused because nothing was bought.
                let statuses = [step.expected_status(), 409, 403];
                for status in statuses.into_iter().filter(|s| step.acceptable(*s)) {
                    assert!(
                        expected_tree(&step, status, signed_in).is_some(),
                        "{} {status}",
                        step.name()
                    );
                }
                signed_in |= matches!(step, Step::Login { .. });
            }
        }
    }

    #[test]
    fn signed_in_sessions_check_out_with_the_coupon_and_review_what_they_bought() {
        let mut s = Scenario::new(42);
        let signed_in: Vec<Session> = (0..2000)
            .map(|_| s.next_session())
            .filter(|x| x.customer.is_some())
            .collect();
        assert!(
            signed_in.len() > 150,
            "{} signed-in sessions",
            signed_in.len()
        );
        let mut reviews = std::collections::BTreeSet::new();
        for x in &signed_in {
            let c = x.customer.unwrap();
            assert!(c < CUSTOMERS);
            let bought = x.steps.iter().find_map(|st| match st {
                Step::AddItem { product, .. } => Some(*product),
                _ => None,
            });
            let reviewed = x.steps.iter().find_map(|st| match st {
                Step::Review { product } => Some(*product),
                _ => None,
            });
            // What is reviewed was bought in the session, and only once per customer.
            if let Some(p) = reviewed {
                assert_eq!(Some(p), bought);
                assert!(reviews.insert((c, p)), "customer {c} reviews {p} twice");
            } else {
                assert!(reviews.contains(&(c, bought.unwrap())));
            }
            assert!(x.steps.iter().any(|st| st.name() == "checkout-coupon"));
            let vars = Vars {
                cart: "cart".into(),
                ..Vars::default()
            };
            let body = x.steps[3].body(&vars).unwrap();
            assert_eq!(body["coupon_code"], LAB_COUPON);
        }
        // The set-up: every customer registers, then logs in for the first time.
        let setup = setup_sessions();
        assert_eq!(
            setup.len(),
            CUSTOMERS as usize + 1,
            "the customers, then the admin"
        );
        assert!(
            setup[..CUSTOMERS as usize]
                .iter()
                .all(|x| x.index >= SETUP_BASE
                    && matches!(
                        x.steps[..],
                        [Step::Register { .. }, Step::Login { first: true, .. }]
                    ))
        );
        // A signed-in request's tree starts with the session look-up.
        let detail = Step::Detail { product: 3 };
        let t = expected_tree(&detail, 200, true).unwrap();
        assert_eq!(t[1], (1, "catalog", "client", "SELECT sessions"));
        assert_eq!(
            t.len(),
            expected_tree(&detail, 200, false).unwrap().len() + 1
        );
    }

    #[test]
    fn a_checkout_after_every_addition_was_refused_expects_an_empty_cart() {
        let empty = Step::Checkout {
            token: "tok_visa",
            email_ok: true,
            lines: 0,
            coupon: false,
        };
        assert_eq!(empty.expected_status(), 422);
        assert!(expected_tree(&empty, 422, false).is_some());
        // The body is validated before the cart is read.
        let bad_email = Step::Checkout {
            token: "tok_visa",
            email_ok: false,
            lines: 0,
            coupon: false,
        };
        assert_eq!(bad_email.expected_status(), 400);
    }

    #[test]
    fn the_mix_has_the_failures_it_promises() {
        let (mix, c4, c5) = mix(42, 20_000);
        assert!((mix.values().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(c4 > 0.02 && c4 < 0.08, "4xx share {c4}");
        assert!(c5 > 0.01 && c5 < 0.03, "5xx share {c5}");
        assert!(mix["checkout"] > 0.02);
    }

    #[test]
    fn admin_sessions_edit_receive_then_ship_their_own_order() {
        let mut s = Scenario::new(42);
        let admin: Vec<Session> = (0..5000)
            .map(|_| s.next_session())
            .filter(|x| x.kind == "admin")
            .collect();
        assert!(
            (25..100).contains(&admin.len()),
            "{} admin sessions",
            admin.len()
        );
        for x in &admin {
            let names: Vec<&str> = x.steps.iter().map(Step::name).collect();
            assert_eq!(
                names,
                [
                    "admin-edit-product",
                    "admin-receive-stock",
                    "cart-create",
                    "cart-add",
                    "checkout",
                    "admin-pack",
                    "admin-ship"
                ]
            );
            assert!(x.customer.is_none(), "the order is a guest's");
            let vars = Vars {
                order: "o-1".into(),
                ..Vars::default()
            };
            assert_eq!(x.steps[5].path(&vars), "/api/admin/orders/o-1/status");
            let edit = x.steps[0].body(&vars).unwrap();
            assert!(
                edit["description"]
                    .as_str()
                    .unwrap()
                    .contains(&x.index.to_string())
            );
            assert!(
                x.steps
                    .iter()
                    .all(|st| st.is_admin() == st.name().starts_with("admin-"))
            );
        }
        // The set-up ends with the lab admin: accept, enrol, and a login with TOTP.
        let setup = setup_sessions();
        let names: Vec<&str> = setup.last().unwrap().steps.iter().map(Step::name).collect();
        assert_eq!(
            names,
            [
                "admin-accept",
                "admin-login",
                "admin-enrol",
                "admin-confirm",
                "admin-login",
                "admin-verify"
            ]
        );
        let ship = expected_tree(&Step::AdminShip { session: 1 }, 200, false).unwrap();
        let pack = expected_tree(&Step::AdminPack, 200, false).unwrap();
        assert_eq!(
            ship.len(),
            pack.len() + 3,
            "shipping also writes its event (a span and its insert) and stores the tracking number"
        );
    }

    #[test]
    fn sellable_products_avoid_low_stock_and_the_poisoned_one() {
        let mut r = SplitMix64::new(3);
        for _ in 0..5000 {
            let id = sellable(&mut r);
            assert!((1..=238).contains(&id) && id % 12 != 0 && id % 12 != 5);
        }
    }
}
