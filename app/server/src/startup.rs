//! Building the application (database, state, router) and serving it until
//! shutdown. Tests use the same path with port 0 and their own telemetry.
//!
//! [`backend`] is the one place that chooses and builds the telemetry backend.

pub mod backend;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shop_core::accounts::social::SocialLogin;
use shop_core::batch::Batch;
use shop_core::cart::abandonment;
use shop_core::db::{Db, seed};
use shop_core::events::dispatcher::{Dispatcher, Provisioner, Settings as DispatcherSettings};
use shop_core::faults::Faults;
use shop_core::instruments::Instruments;
use shop_core::inventory::client::INVENTORY_SERVICE;
use shop_core::inventory::{Inventory, InventoryClient, Outbound};
use shop_core::notifications::{Settings as WorkerSettings, Worker};
use shop_core::objects::ObjectStore;
use shop_core::payments::MockProvider;
use shop_core::resilience::Breaker;
use telemetry_api::{KeyValue, Telemetry};
use tokio::net::TcpListener;
use tracing::instrument::WithSubscriber;

use crate::batch::{Schedule, run_schedule};
use crate::config::{Config, ImageResize, Role};
use crate::http::{self, AppState};

/// How often the database pool gauge is sampled.
const POOL_GAUGE_INTERVAL: Duration = Duration::from_secs(10);

/// A built shop, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    request_timeout: Duration,
    shutdown_timeout: Duration,
    /// Carts untouched this long count as abandoned; `None`: not swept here.
    cart_abandonment: Option<Duration>,
    /// Batch jobs run on a schedule here (empty: none).
    batch_schedule: Schedule,
    /// The outbox dispatcher and the notification worker, when this process runs them.
    events: Events,
}

/// The event-driven parts this process runs (docs/events.md).
#[derive(Clone, Default)]
pub struct Events {
    pub dispatcher: Option<Dispatcher>,
    pub worker: Option<Worker>,
    /// Creates the messaging resources (the lab): once before the two start,
    /// and again when either finds them missing.
    pub provisioner: Option<Provisioner>,
}

/// Builds what `config.events` asks for (no network call: the AWS SDK's
/// configuration is read, and resources are provisioned once the tasks run).
pub async fn events(
    config: &Config,
    db: &Db,
    telemetry: &Telemetry,
    instruments: &Instruments,
) -> Events {
    let e = &config.events;
    if !e.dispatch && !e.notify {
        return Events::default();
    }
    let sdk = shop_core::aws::sdk_config(&e.aws).await;
    let provisioner = e
        .provision
        .then(|| Provisioner::new(sdk.clone(), e.resources.clone()));
    let dispatcher = e.dispatch.then(|| {
        Dispatcher::new(
            db.clone(),
            &sdk,
            telemetry.clone(),
            instruments.clone(),
            DispatcherSettings {
                bus: e.resources.bus(),
                ack_timeout: e.ack_timeout,
                ..DispatcherSettings::default()
            },
            provisioner.clone(),
        )
    });
    let worker = e.notify.then(|| {
        Worker::new(
            db.clone(),
            &sdk,
            telemetry.clone(),
            instruments.clone(),
            WorkerSettings {
                ses_breaker: config.circuit,
                ..WorkerSettings::for_provisioned(&e.resources, e.public_url.clone())
            },
            provisioner.clone(),
        )
    });
    Events {
        dispatcher,
        worker,
        provisioner,
    }
}

/// Sets up what carries an uploaded original to the `image-resize` function
/// in the lab (`shop_core::catalog::image_store::provision_originals_queue`:
/// the queue, its dead-letter queue, the bucket's notification). Idempotent;
/// a failure is logged, not fatal (the shop starts, and an upload's original
/// then waits in S3 with nobody told: its status stays `pending`).
pub async fn provision_image_resize(config: &Config, store: &ObjectStore) {
    let sdk = shop_core::aws::sdk_config(&config.events.aws).await;
    let e = &config.events.resources;
    match shop_core::catalog::image_store::provision_originals_queue(
        store,
        &sdk,
        &e.prefix,
        e.max_receive_count,
    )
    .await
    {
        Ok(queue_url) => tracing::info!(
            queue_url = queue_url.as_str(),
            bucket = store.bucket(),
            "image-resize: the bucket notifies the originals queue"
        ),
        Err(err) => tracing::warn!(
            error = %err,
            bucket = store.bucket(),
            "image-resize: could not provision the originals queue and the bucket notification"
        ),
    }
}

/// The batch jobs' runner for `config`: with the export bucket's object
/// store when one is configured (no call to S3 until an export runs).
pub async fn batch_runner(
    config: &Config,
    db: Db,
    instruments: Instruments,
    telemetry: Telemetry,
) -> anyhow::Result<Batch> {
    let batch = Batch::new(db, instruments, telemetry);
    Ok(match &config.exports {
        None => batch,
        Some(settings) => {
            let store = ObjectStore::connect(settings)
                .await
                .map_err(|e| anyhow::anyhow!("--export-bucket {}: {e}", settings.bucket))?;
            batch.with_exports(store)
        }
    })
}

/// The fault flags `config` asks for: its file, or (no file configured, as
/// in the tests) flags in memory that only the admin API sets.
pub fn faults(config: &Config) -> Faults {
    match &config.faults_file {
        Some(path) => Faults::from_file(path),
        None => Faults::in_memory(),
    }
}

impl Application {
    /// Connects to the database, migrates, seeds (unless disabled), and
    /// binds the listen address.
    pub async fn build(config: &Config, telemetry: Telemetry) -> anyhow::Result<Application> {
        let dispatch = telemetry.dispatch().clone();
        async {
            let instruments = Instruments::new(&telemetry);
            let db = Db::connect(
                &config.database_url,
                config.db_max_connections,
                instruments.db_duration.clone(),
            )
            .await?;
            db.migrate().await?;
            if config.seed {
                seed::seed_if_empty(&db).await?;
                seed::seed_coupons_if_empty(&db).await?;
            }
            Application::with_db(config, telemetry, instruments, db).await
        }
        .with_subscriber(dispatch)
        .await
    }

    /// Builds on an already migrated database.
    pub async fn with_db(
        config: &Config,
        telemetry: Telemetry,
        instruments: Instruments,
        db: Db,
    ) -> anyhow::Result<Application> {
        // The fault flags (docs/faults.md) ride on the database handle, which
        // every part of the shop holds; the clients that do not get it too.
        let faults = faults(config);
        let db = db.with_faults(faults.clone());
        let inventory = match (config.role, &config.inventory_url) {
            (Role::Orders, Some(url)) => InventoryClient::Remote {
                outbound: Outbound::new(
                    telemetry.clone(),
                    instruments.http_client_duration.clone(),
                )
                .with_faults(faults.clone())
                .with_breaker(Breaker::new(
                    INVENTORY_SERVICE,
                    config.circuit,
                    &instruments,
                )),
                base_url: Arc::from(url.as_str()),
            },
            _ => InventoryClient::Local(Inventory::new(db.clone())),
        };
        let payments = MockProvider::new(config.payment_simulation.clone(), instruments.clone())
            .with_faults(faults);
        // No call to S3 here: a shop whose S3 is down still starts (uploads then answer 503).
        let images =
            match &config.images {
                Some(settings) => Some(ObjectStore::connect(settings).await.map_err(|e| {
                    anyhow::anyhow!("image storage (bucket {}): {e}", settings.bucket)
                })?),
                None => None,
            };
        let replays = match &config.rum.replay {
            Some(settings) => Some(ObjectStore::connect(settings).await.map_err(|e| {
                anyhow::anyhow!("replay storage (bucket {}): {e}", settings.bucket)
            })?),
            None => None,
        };
        // `--image-resize function` with `--events-provision` (the lab): the originals queue and
        // the bucket's notification, set up idempotently before the first upload can need them.
        if let (ImageResize::Function, true, Some(store)) =
            (config.image_resize, config.events.provision, &images)
        {
            provision_image_resize(config, store).await;
        }
        let batch =
            batch_runner(config, db.clone(), instruments.clone(), telemetry.clone()).await?;
        let events = events(config, &db, &telemetry, &instruments).await;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        Ok(Application {
            listener,
            state: AppState {
                db,
                telemetry,
                instruments,
                inventory,
                payments,
                social: SocialLogin::new(config.oidc.clone()),
                oidc_redirect_url: config
                    .oidc_redirect_url
                    .as_deref()
                    .map(std::sync::Arc::from),
                role: config.role,
                images,
                replays,
                image_resize: config.image_resize,
                batch,
                web: config.web_dir.as_deref().and_then(web_ui),
                rum: config.rum.clone(),
                readback: config.readback.clone(),
            },
            request_timeout: config.request_timeout,
            shutdown_timeout: config.shutdown_timeout,
            // Carts live with the orders service.
            cart_abandonment: config
                .cart_abandonment_after
                .filter(|_| config.role.serves_orders()),
            batch_schedule: config.batch_schedule.clone(),
            events,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// What the handlers share (the database handle, telemetry, …).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// (up to the shutdown timeout) and stops the background tasks.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let gauge = tokio::spawn(
            pool_gauge(self.state.clone(), stop_rx.clone())
                .with_subscriber(self.state.telemetry.dispatch().clone()),
        );
        let faults = tokio::spawn(
            watch_faults(self.state.db.faults().clone(), stop_rx.clone())
                .with_subscriber(self.state.telemetry.dispatch().clone()),
        );
        let sweeper = self.cart_abandonment.map(|window| {
            tokio::spawn(
                abandonment_sweeper(self.state.clone(), window, stop_rx.clone())
                    .with_subscriber(self.state.telemetry.dispatch().clone()),
            )
        });
        let scheduler = (!self.batch_schedule.is_empty()).then(|| {
            tokio::spawn(
                run_schedule(
                    self.state.batch.clone(),
                    self.batch_schedule.clone(),
                    stop_rx.clone(),
                )
                .with_subscriber(self.state.telemetry.dispatch().clone()),
            )
        });
        let events = self.events.clone();
        let events_stop = stop_rx.clone();
        let events = (events.dispatcher.is_some() || events.worker.is_some()).then(|| {
            tokio::spawn(
                async move {
                    if let Some(p) = &events.provisioner {
                        p.ensure().await;
                    }
                    let dispatch = async {
                        if let Some(d) = events.dispatcher {
                            d.run(events_stop.clone()).await;
                        }
                    };
                    let notify = async {
                        if let Some(w) = events.worker {
                            w.run(events_stop.clone()).await;
                        }
                    };
                    tokio::join!(dispatch, notify);
                }
                .with_subscriber(self.state.telemetry.dispatch().clone()),
            )
        });
        let router = http::router(self.state.clone(), self.request_timeout);
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
        let timeout = self.shutdown_timeout;
        let signal = async move {
            shutdown.await;
            let _ = drained_tx.send(());
        };
        let server = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let server = tokio::spawn(async move { server.await });
        let result = tokio::select! {
            r = server => r.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            // Once shutdown starts, in-flight requests get `timeout` to finish.
            _ = async { let _ = drained_rx.await; tokio::time::sleep(timeout).await } => {
                tracing::warn!(timeout_secs = timeout.as_secs(), "requests still in flight at the shutdown timeout; stopping anyway");
                Ok(())
            }
        };
        let _ = stop_tx.send(true);
        let _ = gauge.await;
        let _ = faults.await;
        if let Some(s) = sweeper {
            let _ = s.await;
        }
        // A batch run under way finishes before the shop stops (see crate::batch).
        if let Some(s) = scheduler {
            let _ = s.await;
        }
        // Calls in flight finish; what is left waits in the outbox or the queue.
        if let Some(task) = events {
            let _ = task.await;
        }
        result
    }
}

/// Samples the pool's connections into `db.client.connection.count`, and the process's own
/// CPU, memory, open files and threads into the `process.*` gauges (crate::resources).
async fn pool_gauge(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let system = KeyValue::new(
        telemetry_api::semconv::DB_SYSTEM_NAME,
        state.db.system().as_str(),
    );
    let mut process = crate::resources::ProcessSampler::new();
    loop {
        process.sample(&state.instruments.process);
        let pool = state.db.pool();
        let idle = pool.num_idle() as f64;
        let size = f64::from(pool.size());
        state
            .instruments
            .db_connections
            .set(idle, &[system.clone(), KeyValue::new("state", "idle")]);
        state.instruments.db_connections.set(
            (size - idle).max(0.0),
            &[system.clone(), KeyValue::new("state", "used")],
        );
        tokio::select! {
            _ = tokio::time::sleep(POOL_GAUGE_INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Looks at the fault flags' file every [`shop_core::faults::CHECK_INTERVAL`],
/// so that a change takes effect even while no request reads the flags
/// (`telemetry_sink_down` is read by the backend's export threads, not by
/// requests). Requests also look, throttled to the same interval.
async fn watch_faults(faults: Faults, mut stop: tokio::sync::watch::Receiver<bool>) {
    if faults.file().is_none() {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(shop_core::faults::CHECK_INTERVAL) => {}
            _ = stop.changed() => return,
        }
        faults.refresh_if_due();
    }
}

/// Counts abandoned carts every [`abandonment::SWEEP_EVERY`] (O-METRIC-06).
async fn abandonment_sweeper(
    state: AppState,
    window: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(abandonment::SWEEP_EVERY) => {}
            _ = stop.changed() => return,
        }
        abandonment::sweep(&state.db, &state.instruments, window).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM (what ECS and systemd send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}

/// The browser UI at `dir`, or `None` (said once in the log) when it is not built there.
fn web_ui(dir: &std::path::Path) -> Option<crate::http::web::WebUi> {
    let ui = crate::http::web::WebUi::open(dir);
    match &ui {
        Some(_) => tracing::info!(dir = %dir.display(), "serving the browser UI"),
        None => tracing::info!(
            dir = %dir.display(),
            "the browser UI is not built there: serving the API only (`make web` builds it)"
        ),
    }
    ui
}
