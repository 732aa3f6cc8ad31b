//! Test support in the zero-to-production style: `spawn_app` starts the shop
//! in-process on a random port with a fresh database (SQLite file or a new
//! MariaDB database) and the recording telemetry backend, and tests talk to
//! it over HTTP.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use shop::config::{Config, Role};
use shop::startup::Application;
use shop::startup::backend::TelemetryChoice;
use shop_core::db::Db;
use telemetry_api::recording::{self, Recorder};
use telemetry_api::{Resource, SpanKind, SpanRecord, TraceId};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Mysql,
}

/// A running shop.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub recorder: Recorder,
    pub db: Db,
    /// The shop's metric instruments (for driving background jobs from a test).
    pub instruments: shop_core::instruments::Instruments,
    /// The shop's batch runner (telemetry to `recorder`), for running jobs from a test.
    pub batch: shop_core::batch::Batch,
    pub kind: DbKind,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    database: Arc<DbGuard>,
}

/// Options for [`spawn_with`].
pub struct Spawn {
    pub kind: DbKind,
    pub role: Role,
    pub inventory_url: Option<String>,
    pub service_name: Option<String>,
    /// Reuse another app's database (split services share one): see [`TestApp::shared_database`].
    pub database: Option<Arc<DbGuard>>,
    /// `--request-timeout` (default 30 s).
    pub request_timeout: Duration,
    /// `--payment-simulation` (default: instant, never failing).
    pub payment_simulation: shop_core::payments::Simulation,
    /// `--oidc-issuer` and the client (default: social login off).
    pub oidc: Option<shop_core::accounts::social::OidcSettings>,
    /// `--images-bucket` and the S3 endpoint (default: the lab's LocalStack,
    /// a bucket of this app's own; see [`lab_images`]). Only an upload
    /// touches S3, so tests that upload nothing need no LocalStack.
    pub images: Option<shop_core::objects::ObjectStoreSettings>,
    /// `--batch-schedule` (default: none).
    pub batch_schedule: shop::batch::Schedule,
    /// Events and notifications (default: off; see [`lab_events`]).
    pub events: Option<shop::config::EventsConfig>,
    /// `--image-resize` (default: inline).
    pub image_resize: shop::config::ImageResize,
    /// The browser UI's export to serve (`--web-dir`); `None`: the API only.
    pub web_dir: Option<std::path::PathBuf>,
    /// The RUM intake's settings (default: the shop's).
    pub rum: shop::http::rum::RumSettings,
    pub readback: shop::http::readback::ReadbackSettings,
    /// `--faults-file` (docs/faults.md); `None`: the flags live in memory,
    /// off until the admin API sets them.
    pub faults_file: Option<std::path::PathBuf>,
    /// `--circuit-failures`, `--circuit-open-seconds` (default: the shop's, 5 and 10 s).
    pub circuit: shop_core::resilience::BreakerSettings,
}

impl Spawn {
    pub fn new(kind: DbKind) -> Spawn {
        Spawn {
            kind,
            role: Role::All,
            inventory_url: None,
            service_name: None,
            database: None,
            request_timeout: Duration::from_secs(30),
            payment_simulation: Default::default(),
            oidc: None,
            images: Some(lab_images()),
            batch_schedule: Default::default(),
            events: None,
            image_resize: Default::default(),
            web_dir: None,
            rum: Default::default(),
            readback: Default::default(),
            faults_file: None,
            circuit: shop_core::resilience::BreakerSettings::default(),
        }
    }
}

/// Image storage on the lab's LocalStack (`scripts/lab/localstack.sh env`;
/// a test that uploads starts it with `common::lab_component("localstack")`),
/// in a bucket no other app uses, so two tests' uploads never meet.
pub fn lab_images() -> shop_core::objects::ObjectStoreSettings {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    let endpoint = ENDPOINT.get_or_init(|| {
        crate::common::lab_env("localstack")
            .get("AWS_ENDPOINT_URL_S3")
            .cloned()
            .expect("scripts/lab/localstack.sh env names AWS_ENDPOINT_URL_S3")
    });
    let mut s = shop_core::objects::ObjectStoreSettings::new(format!(
        "shop-test-{:08x}",
        rand::random::<u32>()
    ));
    s.endpoint = Some(endpoint.clone());
    s.region = Some("us-east-1".to_owned());
    s.credentials = Some(shop_core::objects::StaticCredentials {
        access_key_id: "test".to_owned(),
        secret_access_key: "test".to_owned(),
    });
    s
}

/// Events and notifications on the lab's LocalStack: the dispatcher, the
/// worker and provisioning on, with resources of this app's own (a random
/// name prefix, so tests never share a queue), receives and acknowledgements
/// quick enough for tests (visibility 1 s, 3 receives before the DLQ, mail
/// events republished after 5 s without an acknowledgement).
pub fn lab_events() -> shop::config::EventsConfig {
    let env = crate::common::lab_component("localstack");
    let endpoint = env
        .get("AWS_ENDPOINT_URL_SQS")
        .cloned()
        .expect("scripts/lab/localstack.sh env names AWS_ENDPOINT_URL_SQS");
    shop::config::EventsConfig {
        dispatch: true,
        notify: true,
        provision: true,
        resources: shop_core::events::provision::Settings {
            prefix: format!("t{:08x}", rand::random::<u32>()),
            max_receive_count: 3,
            visibility_timeout_secs: 1,
            mail_from: "shop@example.com".to_owned(),
        },
        ack_timeout: Some(Duration::from_secs(5)),
        public_url: "http://shop.test".to_owned(),
        aws: shop_core::aws::Settings {
            endpoint: Some(endpoint),
            region: Some("us-east-1".to_owned()),
            credentials: Some(shop_core::objects::StaticCredentials {
                access_key_id: "test".to_owned(),
                secret_access_key: "test".to_owned(),
            }),
        },
    }
}

/// Events off (what a shop does unless told).
fn no_events() -> shop::config::EventsConfig {
    shop::config::EventsConfig {
        dispatch: false,
        notify: false,
        provision: false,
        resources: Default::default(),
        ack_timeout: None,
        public_url: "http://shop.test".to_owned(),
        aws: Default::default(),
    }
}

pub async fn spawn_app(kind: DbKind) -> TestApp {
    spawn_with(Spawn::new(kind)).await
}

pub async fn spawn_with(opts: Spawn) -> TestApp {
    let database = match opts.database {
        Some(shared) => shared,
        None => Arc::new(fresh_database(opts.kind).await),
    };
    let database_url = database.url().to_owned();
    let service_name = opts.service_name.unwrap_or_else(|| match opts.role {
        Role::All => "shop".to_owned(),
        r => format!("shop-{}", r.as_str()),
    });
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.clone(),
        db_max_connections: 10,
        telemetry: Some(TelemetryChoice::Noop),
        role: opts.role,
        inventory_url: opts.inventory_url,
        service_name: service_name.clone(),
        service_version: "test".to_owned(),
        environment: "test".to_owned(),
        log: "info".to_owned(),
        log_debug_sample: 1.0,
        stdout_logs: std::env::var_os("SHOP_TEST_LOG").is_some(),
        seed: true,
        request_timeout: opts.request_timeout,
        circuit: opts.circuit,
        shutdown_timeout: Duration::from_secs(5),
        payment_simulation: opts.payment_simulation,
        cart_abandonment_after: None,
        oidc: opts.oidc,
        oidc_redirect_url: None,
        images: opts.images,
        // The tests' shops run batch jobs on their own only when a test asks.
        batch_schedule: opts.batch_schedule,
        exports: None,
        events: opts.events.unwrap_or_else(no_events),
        image_resize: opts.image_resize,
        web_dir: opts.web_dir,
        rum: opts.rum,
        readback: opts.readback,
        faults_file: opts.faults_file,
    };
    let (backend, recorder) = recording::backend();
    let telemetry = shop::telemetry::build(
        &config,
        backend,
        Resource::new(service_name, "test"),
        telemetry_api::logs::Console::Stdout,
    )
    .unwrap();
    let app = Application::build(&config, telemetry.clone())
        .await
        .unwrap_or_else(|e| panic!("the shop failed to start on {:?}: {e:#}", opts.kind));
    let address = app.local_addr();
    let db = app.state().db.clone();
    let instruments = app.state().instruments.clone();
    let batch = app.state().batch.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base: format!("http://{address}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        recorder,
        db,
        instruments,
        batch,
        kind: opts.kind,
        shutdown: Some(tx),
        server: Some(server),
        database,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// This app's database, for starting another service on it; it lives
    /// until every app using it is gone.
    pub fn shared_database(&self) -> Arc<DbGuard> {
        self.database.clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// GET, expecting `status`, returning the JSON body.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self.get(path).await;
        expect_json(r, status).await
    }

    pub async fn create_cart(&self) -> String {
        let r = self
            .client
            .post(self.url("/api/carts"))
            .send()
            .await
            .unwrap();
        let body = expect_json(r, 201).await;
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn add_item(&self, cart: &str, product_id: i64, quantity: i64) -> reqwest::Response {
        self.post_json(
            &format!("/api/carts/{cart}/items"),
            &json!({ "product_id": product_id, "quantity": quantity }),
        )
        .await
    }

    /// POST /api/orders with an Idempotency-Key.
    pub async fn checkout(&self, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/orders"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// Sets a product's stock directly in the database.
    pub async fn set_stock(&self, product_id: i64, quantity: i64) {
        sqlx::query("UPDATE inventory SET quantity = ? WHERE product_id = ?")
            .bind(quantity)
            .bind(product_id)
            .execute(self.db.pool())
            .await
            .unwrap();
    }

    pub async fn stock(&self, product_id: i64) -> i64 {
        sqlx::query_scalar("SELECT quantity FROM inventory WHERE product_id = ?")
            .bind(product_id)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// The spans of a trace, once its server span has ended here. A server
    /// span ends when its last child does, and sqlx's SQLite worker thread
    /// drops its handle on a query's span just after answering, so the
    /// server span can end a few microseconds after the response is sent.
    pub async fn trace(&self, trace: TraceId) -> Vec<SpanRecord> {
        for _ in 0..500 {
            let spans = self.recorder.trace(trace);
            if spans.iter().any(|s| s.kind == SpanKind::Server) {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let names: Vec<String> = self
            .recorder
            .trace(trace)
            .iter()
            .map(|s| format!("{} ({:?})", s.name, s.parent_span_id))
            .collect();
        panic!("no server span of trace {trace} arrived within 5 s; spans so far: {names:?}")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A valid checkout body for `cart`.
pub use crate::common::order_body;

/// Asserts the status and returns the JSON body (with the body in the panic message).
pub async fn expect_json(r: reqwest::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Asserts an error response: status, `error.code`, and (if given) `error.field`.
pub async fn expect_error(
    r: reqwest::Response,
    status: u16,
    code: &str,
    field: Option<&str>,
) -> Value {
    let body = expect_json(r, status).await;
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "body: {body}"
    );
    if let Some(f) = field {
        assert_eq!(body["error"]["field"], f, "body: {body}");
    }
    body
}

// --- databases ---------------------------------------------------------------

/// A test database, removed when dropped.
pub enum DbGuard {
    Sqlite {
        url: String,
        _dir: crate::common::TempDir,
    },
    Mysql {
        url: String,
        server: String,
        name: String,
    },
}

impl DbGuard {
    pub fn url(&self) -> &str {
        match self {
            DbGuard::Sqlite { url, .. } | DbGuard::Mysql { url, .. } => url,
        }
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Mysql { server, name, .. } = self {
            let (server, name) = (server.clone(), name.clone());
            // Drop the test database in the background; leftovers of killed
            // runs are swept by `fresh_database` after an hour.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(pool) = mysql_admin(&server).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS `{name}`"
                        )))
                        .execute(&pool)
                        .await;
                    }
                });
            });
        }
    }
}

/// A new, empty database (no migrations applied), removed when dropped.
pub async fn fresh_database(kind: DbKind) -> DbGuard {
    match kind {
        DbKind::Sqlite => {
            let dir = crate::common::TempDir::new();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
            DbGuard::Sqlite { url, _dir: dir }
        }
        DbKind::Mysql => {
            let server = mysql_server_url().to_owned();
            let admin = mysql_admin(&server).await.unwrap_or_else(|e| {
                panic!("cannot connect to MariaDB at {server}: {e}. {MYSQL_HELP}")
            });
            sweep_stale_databases(&admin).await;
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let name = format!("shop_test_{secs}_{:08x}", rand::random::<u32>());
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            )))
            .execute(&admin)
            .await
            .unwrap();
            let url = format!("{}/{name}", server.trim_end_matches('/'));
            DbGuard::Mysql { url, server, name }
        }
    }
}

const MYSQL_HELP: &str = "The mysql variants of the API tests need MariaDB: `make test` installs and starts it \
    (or run `scripts/lab/mariadb.sh start`); set SHOP_TEST_MYSQL_URL=mysql://USER:PASS@HOST:PORT to use another server.";

async fn mysql_admin(server: &str) -> Result<sqlx::AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(server)
        .await
}

/// Drops `shop_test_*` databases older than an hour (left by killed runs).
async fn sweep_stale_databases(admin: &sqlx::AnyPool) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop!_test!_%' ESCAPE '!'",
        )
        .fetch_all(admin)
        .await
        .unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for name in names {
            let created: u64 = name.split('_').nth(2).and_then(|s| s.parse().ok()).unwrap_or(now);
            if now.saturating_sub(created) > 3600 {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
                    .execute(admin)
                    .await;
            }
        }
    })
    .await;
}

/// The MariaDB server to create test databases on: `SHOP_TEST_MYSQL_URL`, or
/// the lab's own instance, started by the project's script if it is not
/// running. Panics with instructions when neither works: the mysql tests are
/// never skipped silently.
fn mysql_server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("SHOP_TEST_MYSQL_URL") {
            return url;
        }
        let script = crate::common::repo_root().join("scripts/lab/mariadb.sh");
        // Several test processes may get here at once (nextest runs each test
        // in its own process); flock serialises the start.
        let lock = std::env::temp_dir().join("shop-lab-mariadb.lock");
        let status = std::process::Command::new("flock")
            .arg(&lock)
            .arg(&script)
            .arg("start")
            .stdout(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "could not start MariaDB with {} start ({other:?}). {MYSQL_HELP}",
                script.display()
            ),
        }
        let out = std::process::Command::new(&script)
            .arg("env")
            .output()
            .unwrap_or_else(|e| panic!("{} env failed: {e}. {MYSQL_HELP}", script.display()));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("export SHOP_TEST_MYSQL_URL="))
            .map(|v| v.trim_matches('"').trim_matches('\'').to_owned())
            .unwrap_or_else(|| {
                panic!(
                    "{} env printed no SHOP_TEST_MYSQL_URL. {MYSQL_HELP}",
                    script.display()
                )
            })
    })
}

/// Runs each test body once against SQLite and once against MariaDB:
/// `name::sqlite` and `name::mysql`.
#[macro_export]
macro_rules! db_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn body($app: $crate::support::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    body($crate::support::spawn_app($crate::support::DbKind::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    body($crate::support::spawn_app($crate::support::DbKind::Mysql).await).await
                }
            }
        )*
    };
}
