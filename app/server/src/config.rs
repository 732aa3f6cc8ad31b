//! Configuration: command-line flags, each with an environment variable
//! (flags win over variables, variables over defaults). `shop --help` lists
//! them all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use shop_core::accounts::social::OidcSettings;
use shop_core::batch::Job;
use shop_core::objects::ObjectStoreSettings;
use shop_core::payments::Simulation;

use crate::startup::backend::TelemetryChoice;

/// The Observability Shop Lab's shop: catalog, cart and checkout, instrumented
/// once and exported through the telemetry backend chosen at start-up.
#[derive(Debug, Parser)]
#[command(name = "shop", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shop (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Apply migrations, insert the demo catalog if the database has none, render and store
    /// every product picture it lacks, and exit.
    Seed,
    /// The back office's chores.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit log's chores.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run a batch job now and exit: 0 when it succeeded, 1 when it failed (docs/admin.md,
    /// "Batch jobs"). Telemetry goes to the backend chosen with --telemetry, as when serving.
    Batch {
        /// The job.
        #[arg(value_enum)]
        job: BatchJob,
    },
    /// Print the OpenAPI document (what `GET /api/openapi.json` serves) and exit; the browser UI's
    /// types are generated from it (`make web-api`).
    Openapi,
    /// The event bus's chores (docs/events.md).
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// The dead-letter queues' chores (docs/events.md, "Poison messages").
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// The fault flags (docs/faults.md): failures and delays injected on purpose, to prove alarms
    /// fire. Reads and writes the flags file (`--faults-file`); a running shop picks changes up
    /// within a second or two. Needs no database.
    Faults {
        #[command(subcommand)]
        command: FaultsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum FaultsCommand {
    /// Print the flags in the file as JSON (all off when there is no file).
    Show,
    /// Set flags, keeping the others: `shop faults set checkout_failure_percent=100
    /// inventory_latency_ms=500`. Flags: checkout_failure_percent (0–100),
    /// payment_decline_percent (0–100), inventory_latency_ms (0–60000),
    /// database_slowdown_ms (0–60000), telemetry_sink_down (true/false).
    Set {
        /// `flag=value`, one or more.
        #[arg(required = true, value_name = "FLAG=VALUE")]
        assignments: Vec<String>,
    },
    /// Turn every flag off (removes the file).
    Off,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Create the event bus, its rules, the queues with their dead-letter queues, the SNS topics
    /// and the SES sender (idempotent; the lab's emulators; in AWS, Terraform owns them). Prints
    /// what exists as JSON.
    Provision,
    /// The outbox's counts (pending, retrying, published, acknowledged) and the queues' depths,
    /// as JSON.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Move every message of a queue's dead-letter queue back to the queue (SQS's message move
    /// task), wait for it to finish, and print what moved as JSON.
    Redrive {
        /// The queue whose dead-letter queue (`<queue>-dlq`) is emptied. Default: the
        /// notifications queue.
        #[arg(long)]
        queue: Option<String>,
    },
}

/// A batch job, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchJob {
    /// Stock levels by status and the products that need attention.
    #[value(name = "stock_report")]
    StockReport,
    /// The orders placed since the last export, as CSV, to the export bucket (S3).
    #[value(name = "orders_export")]
    OrdersExport,
    /// Purge expired carts and sessions, then verify the audit chain (fails if it is broken).
    #[value(name = "maintenance")]
    Maintenance,
}

impl BatchJob {
    /// The core's job.
    pub fn job(self) -> Job {
        match self {
            BatchJob::StockReport => Job::StockReport,
            BatchJob::OrdersExport => Job::OrdersExport,
            BatchJob::Maintenance => Job::Maintenance,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Invite an admin and print the single-use invitation token (valid 72 hours). The first
    /// administrator is invited this way; the invitee accepts with
    /// `POST /api/admin/invitations/accept`.
    Invite {
        /// The invitee's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// A role to grant (repeat `--grant` for several): viewer, catalog_manager, inventory_manager,
        /// order_manager, security_auditor, administrator.
        #[arg(long = "grant", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain: exit 0 if it is intact, 1 naming the first entry that
    /// was edited, removed or re-linked (docs/admin.md, "The audit log").
    Verify,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Address to serve HTTP on (port 0 picks a free port).
    #[arg(
        long,
        env = "SHOP_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// The browser UI's static export (`app/web/out`, built by `make web`), served at every path
    /// that is not `/api/…` or `/images/…`. Without an `index.html` there, the shop serves only
    /// the API, and `/` says how to build the UI.
    #[arg(
        long,
        env = "SHOP_WEB_DIR",
        default_value = "app/web/out",
        global = true
    )]
    pub web_dir: PathBuf,

    /// Directory for the embedded SQLite database (created if missing).
    #[arg(long, env = "SHOP_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// The fault flags' file (docs/faults.md): failures and delays injected on purpose, to prove
    /// alarms fire. Absent file: nothing is injected. Changes are picked up within a second or
    /// two, without a restart. Default: `faults.json` in the data directory.
    #[arg(long, env = "SHOP_FAULTS_FILE", global = true)]
    pub faults_file: Option<PathBuf>,

    /// Database URL: `sqlite://PATH` or `mysql://USER:PASS@HOST:PORT/DB`.
    /// Default: `shop.db` in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Maximum database connections in the pool.
    #[arg(
        long,
        env = "SHOP_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,

    /// Telemetry backend (the possible values are below). Default: the one
    /// backend compiled in (a cargo feature), else `noop`.
    #[arg(long, env = "SHOP_TELEMETRY", global = true)]
    pub telemetry: Option<TelemetryChoice>,

    /// Which part of the shop this process serves. `all` serves everything;
    /// the others split the shop into services that call each other over HTTP.
    #[arg(long, env = "SHOP_ROLE", value_enum, default_value_t = Role::All, global = true)]
    pub role: Role,

    /// Base URL of the inventory service (required with `--role orders`),
    /// e.g. `http://127.0.0.1:8083`.
    #[arg(long, env = "SHOP_INVENTORY_URL", global = true)]
    pub inventory_url: Option<String>,

    /// Circuit breakers (docs/resilience.md): failed calls in a row to the inventory service
    /// or to SES after which calls to it are refused without trying, for a while.
    #[arg(
        long,
        env = "SHOP_CIRCUIT_FAILURES",
        default_value_t = 5,
        global = true
    )]
    pub circuit_failures: u32,

    /// How long, in seconds, an opened circuit refuses calls before it tries one (jittered:
    /// between half and all of it; doubled after each failed try, up to six times this).
    #[arg(
        long,
        env = "SHOP_CIRCUIT_OPEN_SECONDS",
        default_value_t = 10,
        global = true
    )]
    pub circuit_open_seconds: u64,

    /// Service name in telemetry. Default: `shop`, or `shop-<role>` for a split role.
    #[arg(long, env = "SHOP_SERVICE_NAME", global = true)]
    pub service_name: Option<String>,

    /// The release reported in telemetry (`service.version`, and on every
    /// access-log line, so that a release can be compared with the one before
    /// it). Default: the crate's version; a deployment sets its image tag.
    #[arg(long, env = "SHOP_SERVICE_VERSION", global = true)]
    pub service_version: Option<String>,

    /// Deployment environment reported in telemetry.
    #[arg(long, env = "SHOP_ENVIRONMENT", default_value = "local", global = true)]
    pub environment: String,

    /// Log and span filter (tracing `EnvFilter` directives).
    #[arg(long, env = "SHOP_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Share of traces whose DEBUG and TRACE log lines are kept (0 to 1; a trace keeps all its
    /// debug lines or none). Production sets `--log info,shop=debug` with a small share, so a
    /// few traces carry the detail (docs/logging.md).
    #[arg(
        long,
        env = "SHOP_LOG_DEBUG_SAMPLE",
        default_value_t = 1.0,
        global = true
    )]
    pub log_debug_sample: f64,

    /// Write log records to stdout as JSON lines.
    #[arg(long, env = "SHOP_STDOUT_LOGS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub stdout_logs: bool,

    /// Do not insert the demo catalog into an empty database at start-up.
    #[arg(long, env = "SHOP_NO_SEED", global = true)]
    pub no_seed: bool,

    /// Longest a request may take before the shop gives up on it and answers
    /// 503 `request_timeout` (a duration: `30s`, `1500ms`, `2m`).
    #[arg(
        long,
        env = "SHOP_REQUEST_TIMEOUT",
        default_value = "30s",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub request_timeout: Duration,

    /// Seconds to wait for in-flight requests and the telemetry flush at shutdown.
    #[arg(
        long,
        env = "SHOP_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_timeout_secs: u64,

    /// How slow and unreliable the mock payment methods are: comma-separated
    /// `METHOD=LATENCY[:FAILURE_RATE]`, METHOD one of `card`, `wallet`,
    /// `cash_on_delivery` or `*`; LATENCY a duration or a range `20ms..400ms`;
    /// FAILURE_RATE from 0 to 1. Example: `*=20ms..120ms:0.02,wallet=300ms`.
    /// Default: instant, never failing.
    #[arg(
        long,
        env = "SHOP_PAYMENT_SIMULATION",
        default_value = "",
        global = true
    )]
    pub payment_simulation: String,

    /// How long an open cart with items may sit untouched before it counts as
    /// abandoned (`shop.carts.abandoned`, O-METRIC-06): a duration (`30m`), or
    /// `off` to not sweep in this process.
    #[arg(
        long,
        env = "SHOP_CART_ABANDONMENT_AFTER",
        default_value = "30m",
        value_parser = parse_optional_duration,
        global = true
    )]
    pub cart_abandonment_after: OptionalDuration,

    /// Batch jobs to run on a schedule inside this process: comma-separated `JOB=EVERY`, JOB one
    /// of `stock_report`, `orders_export`, `maintenance`, EVERY a duration, e.g.
    /// `stock_report=24h,maintenance=1h`. The first run is one period after start-up. Default:
    /// none (`shop batch <job>` and `POST /api/admin/batch/{job}` run them on demand).
    #[arg(
        long,
        env = "SHOP_BATCH_SCHEDULE",
        default_value = "",
        value_parser = crate::batch::Schedule::parse,
        global = true
    )]
    pub batch_schedule: crate::batch::Schedule,

    /// The S3 bucket the orders export writes to (created if missing), at `--s3-endpoint` and
    /// `--s3-region` like the pictures (default: the AWS SDK's chain, `AWS_ENDPOINT_URL_S3`,
    /// `AWS_REGION`, …; LocalStack in the lab). Unset: the orders export fails, saying so.
    #[arg(long, env = "SHOP_EXPORT_BUCKET", global = true)]
    pub export_bucket: Option<String>,

    /// Social login (C-USER-05): the OpenID Connect provider's issuer URL, e.g.
    /// `http://127.0.0.1:4444` (the lab's, `scripts/lab/oidc.sh`). Unset: social login is off.
    #[arg(long, env = "SHOP_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,

    /// The shop's client id at the provider.
    #[arg(
        long,
        env = "SHOP_OIDC_CLIENT_ID",
        default_value = "shop-lab",
        global = true
    )]
    pub oidc_client_id: String,

    /// The shop's client secret at the provider (unset: a public client, PKCE alone).
    #[arg(
        long,
        env = "SHOP_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub oidc_client_secret: Option<String>,

    /// The callback URL registered at the provider. Default: this shop's
    /// `/api/auth/oidc/callback` at the host the browser used (`Host`, and
    /// `X-Forwarded-Proto` for the scheme).
    #[arg(long, env = "SHOP_OIDC_REDIRECT_URL", global = true)]
    pub oidc_redirect_url: Option<String>,

    /// The S3 bucket for admins' product pictures (A-PROD-05), created if missing. Unset: image
    /// uploads are off (they answer 503 `image_storage_not_configured`); the drawn pictures are
    /// served as always.
    #[arg(long, env = "SHOP_IMAGES_BUCKET", global = true)]
    pub images_bucket: Option<String>,

    /// The S3 endpoint, e.g. `http://127.0.0.1:4566` for the lab's LocalStack. Default: the AWS
    /// SDK's (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS). Addressing is path-style.
    #[arg(long, env = "SHOP_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,

    /// The S3 region. Default: the AWS SDK's (`AWS_REGION`, the profile).
    #[arg(long, env = "SHOP_S3_REGION", global = true)]
    pub s3_region: Option<String>,

    /// Publish the outbox's events to the EventBridge bus from this process (the outbox
    /// dispatcher). Endpoints, region and credentials come from the AWS SDK's chain
    /// (`AWS_ENDPOINT_URL_EVENTBRIDGE`, …; LocalStack in the lab). Off: events wait in the outbox.
    #[arg(long, env = "SHOP_EVENTS", global = true)]
    pub events: bool,

    /// Run the notification worker in this process: consume the mail queues, send mail with SES.
    #[arg(long, env = "SHOP_NOTIFICATIONS", global = true)]
    pub notifications: bool,

    /// Create the messaging resources at start-up and again when they turn out to be missing
    /// (the lab's emulators lose them when restarted). Never in AWS, where Terraform owns them.
    #[arg(long, env = "SHOP_EVENTS_PROVISION", global = true)]
    pub events_provision: bool,

    /// The prefix of the bus, queue and topic names (`shop` → `shop-events`, `shop-notifications`, …).
    #[arg(
        long,
        env = "SHOP_EVENTS_PREFIX",
        default_value = "shop",
        global = true
    )]
    pub events_prefix: String,

    /// How long a consumer has to acknowledge a mail event before the dispatcher publishes it
    /// again (a duration, or `off`).
    #[arg(
        long,
        env = "SHOP_EVENTS_ACK_TIMEOUT",
        default_value = "2m",
        value_parser = parse_optional_duration,
        global = true
    )]
    pub events_ack_timeout: OptionalDuration,

    /// Provisioning: seconds a received message stays invisible before SQS hands it out again.
    #[arg(long, env = "SHOP_EVENTS_VISIBILITY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=43200), global = true)]
    pub events_visibility_timeout: u32,

    /// Provisioning: receives before SQS moves a message to its dead-letter queue.
    #[arg(long, env = "SHOP_EVENTS_MAX_RECEIVES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub events_max_receives: u32,

    /// The sender of the shop's mail (SES must know it; provisioning verifies it).
    #[arg(
        long,
        env = "SHOP_MAIL_FROM",
        default_value = "shop@example.com",
        global = true
    )]
    pub mail_from: String,

    /// The shop's public URL, for links in mails. Default: `http://` + `--listen`.
    #[arg(long, env = "SHOP_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Who resizes an admin's uploaded picture: `inline` (the request does, and answers 200 with
    /// the new URLs) or `function` (the request checks it cheaply, puts the original to
    /// `originals/products/{id}/{upload-id}` in the images bucket and answers 202; the bucket's
    /// notification reaches the `image-resize` Lambda function, which resizes it and records the
    /// new picture in this database; docs/functions.md). With `--events-provision`, the shop sets
    /// up the originals queue and the bucket's notification at start-up.
    #[arg(
        long,
        env = "SHOP_IMAGE_RESIZE",
        value_enum,
        default_value_t = ImageResize::Inline,
        global = true
    )]
    pub image_resize: ImageResize,

    /// The RUM intake's rate limit: requests a minute per client address (each telemetry
    /// export of a browser tab is one; docs/rum.md).
    #[arg(
        long,
        env = "SHOP_RUM_RATE_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub rum_rate_per_minute: u32,

    /// The share of page views the browser traces (0 to 1), told to the UI by `/api/rum/config`.
    #[arg(
        long,
        env = "SHOP_RUM_SAMPLE_RATIO",
        default_value_t = 1.0,
        global = true
    )]
    pub rum_sample_ratio: f64,

    /// Session replay (F-RUM-03): the S3 bucket the browser's recordings go to (same endpoint
    /// and region as the other buckets). Off unless set.
    #[arg(long, env = "SHOP_RUM_REPLAY_BUCKET", global = true)]
    pub rum_replay_bucket: Option<String>,

    /// The share of tab sessions recorded when replay is on (0 to 1).
    #[arg(
        long,
        env = "SHOP_RUM_REPLAY_SAMPLE_RATIO",
        default_value_t = 0.1,
        global = true
    )]
    pub rum_replay_sample_ratio: f64,

    /// CloudWatch RUM's own web client (`aws-rum-web`) beside the shop's intake (F-RUM-01): the
    /// app monitor's id, a UUID (Terraform's `rum_app_monitor_id`). Off unless set; the UI then
    /// loads the client in a chunk of its own (docs/rum.md).
    #[arg(long, env = "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID", global = true)]
    pub cloudwatch_rum_app_monitor_id: Option<String>,

    /// The app monitor's region. Default: `AWS_REGION`.
    #[arg(long, env = "SHOP_CLOUDWATCH_RUM_REGION", global = true)]
    pub cloudwatch_rum_region: Option<String>,

    /// Where the browser sends its `PutRumEvents`. Default: `https://dataplane.rum.<region>.amazonaws.com`.
    #[arg(long, env = "SHOP_CLOUDWATCH_RUM_ENDPOINT", global = true)]
    pub cloudwatch_rum_endpoint: Option<String>,

    /// A Cognito identity pool whose guest credentials sign the browser's calls (with
    /// `--cloudwatch-rum-guest-role-arn`). Unset: the calls go unsigned, which the app monitor
    /// accepts when its resource-based policy allows `rum:PutRumEvents`.
    #[arg(long, env = "SHOP_CLOUDWATCH_RUM_IDENTITY_POOL_ID", global = true)]
    pub cloudwatch_rum_identity_pool_id: Option<String>,

    /// The IAM role the identity pool's guests assume (with `--cloudwatch-rum-identity-pool-id`).
    #[arg(long, env = "SHOP_CLOUDWATCH_RUM_GUEST_ROLE_ARN", global = true)]
    pub cloudwatch_rum_guest_role_arn: Option<String>,

    /// The Lab page reads traces back from X-Ray, and their log lines from CloudWatch Logs
    /// (the AWS SDK's chain: `AWS_ENDPOINT_URL_XRAY`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`). Off by default:
    /// a shop in production does not hand its traces to browsers.
    #[arg(long, env = "SHOP_LAB_READBACK_XRAY", global = true)]
    pub lab_readback_xray: bool,

    /// The log group the read-back looks in for a trace's log lines: the awssdk backend's
    /// (default: `SHOP_CW_LOG_GROUP`, else `/shop-lab/{environment}`, as that backend does).
    #[arg(long, env = "SHOP_LAB_READBACK_LOG_GROUP", global = true)]
    pub lab_readback_log_group: Option<String>,

    /// The Lab page reads traces back from the collector's store: the base URL of the lab's
    /// capture receiver (`otlp-capture`, e.g. `http://127.0.0.1:4319`). Unset: not read.
    #[arg(long, env = "SHOP_LAB_READBACK_CAPTURE", global = true)]
    pub lab_readback_capture: Option<String>,
}

/// Who resizes admins' uploaded pictures (`--image-resize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ImageResize {
    /// In the upload request (200 with the new URLs).
    #[default]
    Inline,
    /// The `image-resize` Lambda function, after the original lands in S3 (202, then poll).
    Function,
}

impl ImageResize {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageResize::Inline => "inline",
            ImageResize::Function => "function",
        }
    }
}

fn is_http_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// CloudWatch RUM's web client (`--cloudwatch-rum-*`): `None` without an app monitor id. Every
/// value given is checked even then, so a typo is found before it is needed; a bad one stops
/// the start-up, since the browser would otherwise fail quietly against AWS, where nobody looks.
fn cloudwatch_rum(
    o: &Options,
) -> Result<Option<crate::http::rum::CloudWatchRumSettings>, ConfigError> {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let region = given(&o.cloudwatch_rum_region);
    if let Some(r) = region.filter(|r| !is_aws_region(r)) {
        return Err(ConfigError::BadCloudWatchRumRegion(r.to_owned()));
    }
    let endpoint = given(&o.cloudwatch_rum_endpoint);
    if let Some(e) = endpoint.filter(|e| !is_http_url(e)) {
        return Err(ConfigError::BadCloudWatchRumEndpoint(e.to_owned()));
    }
    let pool = given(&o.cloudwatch_rum_identity_pool_id);
    if let Some(p) = pool.filter(|p| !is_identity_pool_id(p)) {
        return Err(ConfigError::BadCloudWatchRumIdentityPoolId(p.to_owned()));
    }
    let role = given(&o.cloudwatch_rum_guest_role_arn);
    if let Some(r) = role.filter(|r| !is_iam_role_arn(r)) {
        return Err(ConfigError::BadCloudWatchRumGuestRoleArn(r.to_owned()));
    }
    // Half of a Cognito set-up would make the client fetch credentials it cannot get, or send
    // unsigned calls the operator meant to be signed: either way nothing arrives.
    if pool.is_some() != role.is_some() {
        return Err(ConfigError::CloudWatchRumCredentialsHalfSet);
    }
    let Some(id) = given(&o.cloudwatch_rum_app_monitor_id) else {
        return Ok(None);
    };
    if !is_uuid(id) {
        return Err(ConfigError::BadCloudWatchRumAppMonitorId(id.to_owned()));
    }
    let region = match region {
        Some(r) => r.to_owned(),
        None => match std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()) {
            Some(r) if is_aws_region(&r) => r,
            Some(r) => return Err(ConfigError::BadCloudWatchRumRegionFromEnv(r)),
            None => return Err(ConfigError::MissingCloudWatchRumRegion),
        },
    };
    Ok(Some(crate::http::rum::CloudWatchRumSettings {
        app_monitor_id: id.to_ascii_lowercase(),
        endpoint: endpoint.map_or_else(
            || format!("https://dataplane.rum.{region}.amazonaws.com"),
            |e| e.trim_end_matches('/').to_owned(),
        ),
        region,
        identity_pool_id: pool.map(str::to_owned),
        guest_role_arn: role.map(str::to_owned),
    }))
}

/// `8-4-4-4-12` hex digits, as AWS writes an app monitor's id.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The shape of an AWS region's name: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`. A region
/// that does not exist passes; a URL, a zone (`us-east-1a`) or a blank does not.
fn is_aws_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let Some((number, rest)) = parts.split_last() else {
        return false;
    };
    parts.len() >= 3
        && parts[0].len() == 2
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// A Cognito identity pool id: `<region>:<uuid>`.
fn is_identity_pool_id(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(region, id)| is_aws_region(region) && is_uuid(id))
}

/// `arn:<partition>:iam::<account>:role/<path and name>`.
fn is_iam_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

/// A duration, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalDuration(pub Option<Duration>);

fn parse_optional_duration(s: &str) -> Result<OptionalDuration, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(OptionalDuration(None));
    }
    match humantime::parse_duration(s.trim()) {
        Ok(d) if d.is_zero() => Err("must be longer than zero (or `off`)".to_owned()),
        Ok(d) => Ok(OptionalDuration(Some(d))),
        Err(e) => Err(format!("{e} (a duration like 30m, or `off`)")),
    }
}

/// A process's part of the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Everything in one process (the default).
    All,
    /// Products and categories.
    Catalog,
    /// Carts and orders; calls the inventory service over HTTP.
    Orders,
    /// Stock levels and availability checks.
    Inventory,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Catalog => "catalog",
            Role::Orders => "orders",
            Role::Inventory => "inventory",
        }
    }

    pub fn serves_catalog(self) -> bool {
        matches!(self, Role::All | Role::Catalog)
    }
    pub fn serves_orders(self) -> bool {
        matches!(self, Role::All | Role::Orders)
    }
    pub fn serves_inventory(self) -> bool {
        matches!(self, Role::All | Role::Inventory)
    }
}

/// Start-up configuration errors (reported before anything starts, exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "--role orders needs the inventory service's URL: pass --inventory-url or set SHOP_INVENTORY_URL"
    )]
    MissingInventoryUrl,
    #[error("--inventory-url {0:?} is not an http(s) URL")]
    BadInventoryUrl(String),
    #[error("DATABASE_URL must start with sqlite: or mysql: (got {0:?})")]
    BadDatabaseUrl(String),
    #[error("--request-timeout must be longer than zero")]
    ZeroRequestTimeout,
    #[error("--lab-readback-capture {0:?} is not an http(s) URL")]
    BadReadbackCapture(String),
    #[error("--rum-sample-ratio must be between 0 and 1 (got {0})")]
    BadRumSampleRatio(f64),
    #[error("--rum-replay-sample-ratio must be between 0 and 1 (got {0})")]
    BadRumReplaySampleRatio(f64),
    #[error("--cloudwatch-rum-app-monitor-id {0:?} is not an app monitor id (a UUID)")]
    BadCloudWatchRumAppMonitorId(String),
    #[error(
        "--cloudwatch-rum-app-monitor-id needs the app monitor's region: pass --cloudwatch-rum-region or set SHOP_CLOUDWATCH_RUM_REGION (or AWS_REGION)"
    )]
    MissingCloudWatchRumRegion,
    #[error("--cloudwatch-rum-region {0:?} is not an AWS region (like us-east-1)")]
    BadCloudWatchRumRegion(String),
    #[error("AWS_REGION {0:?} is not an AWS region, and --cloudwatch-rum-region is not set to one")]
    BadCloudWatchRumRegionFromEnv(String),
    #[error("--cloudwatch-rum-endpoint {0:?} is not an http(s) URL")]
    BadCloudWatchRumEndpoint(String),
    #[error(
        "--cloudwatch-rum-identity-pool-id and --cloudwatch-rum-guest-role-arn go together: pass both (signed calls) or neither (unsigned)"
    )]
    CloudWatchRumCredentialsHalfSet,
    #[error(
        "--cloudwatch-rum-identity-pool-id {0:?} is not a Cognito identity pool id (like us-east-1:<uuid>)"
    )]
    BadCloudWatchRumIdentityPoolId(String),
    #[error(
        "--cloudwatch-rum-guest-role-arn {0:?} is not an IAM role ARN (like arn:aws:iam::123456789012:role/name)"
    )]
    BadCloudWatchRumGuestRoleArn(String),
    #[error("--log-debug-sample must be between 0 and 1 (got {0})")]
    BadLogDebugSample(f64),
    #[error("--payment-simulation: {0}")]
    BadPaymentSimulation(String),
    #[error("--oidc-issuer {0:?} is not an http(s) URL")]
    BadOidcIssuer(String),
    #[error("--oidc-redirect-url {0:?} is not an http(s) URL")]
    BadOidcRedirectUrl(String),
    #[error("--s3-endpoint {0:?} is not an http(s) URL")]
    BadS3Endpoint(String),
    #[error("--public-url {0:?} is not an http(s) URL")]
    BadPublicUrl(String),
    #[error("--mail-from: {0}")]
    BadMailFrom(String),
    #[error("--events-prefix {0:?}: letters, digits, `-` and `_` only, 1–40 of them")]
    BadEventsPrefix(String),
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub db_max_connections: u32,
    /// The backend asked for (`--telemetry`); resolved by
    /// [`crate::startup::backend::resolve`].
    pub telemetry: Option<TelemetryChoice>,
    pub role: Role,
    pub inventory_url: Option<String>,
    pub service_name: String,
    /// `--service-version`, or the crate's version.
    pub service_version: String,
    pub environment: String,
    pub log: String,
    /// Share of traces whose debug lines are kept (`--log-debug-sample`).
    pub log_debug_sample: f64,
    pub stdout_logs: bool,
    pub seed: bool,
    /// Longest a request may run (answered 503 `request_timeout` after).
    pub request_timeout: Duration,
    /// The circuit breakers on the inventory service and SES (`--circuit-*`).
    pub circuit: shop_core::resilience::BreakerSettings,
    pub shutdown_timeout: Duration,
    /// The mock payment methods' latency and failure rates.
    pub payment_simulation: Simulation,
    /// When an untouched cart with items counts as abandoned; `None`: off.
    pub cart_abandonment_after: Option<Duration>,
    /// Social login's provider and client; `None`: off.
    pub oidc: Option<OidcSettings>,
    /// The callback URL registered at the provider; `None`: from the request's host.
    pub oidc_redirect_url: Option<String>,
    /// Where admins' product pictures go (S3); `None`: uploads are off.
    pub images: Option<ObjectStoreSettings>,
    /// Batch jobs this process runs on a schedule (empty: none).
    pub batch_schedule: crate::batch::Schedule,
    /// Where the orders export writes (S3); `None`: not configured.
    pub exports: Option<ObjectStoreSettings>,
    /// Events and notifications (docs/events.md).
    pub events: EventsConfig,
    /// Who resizes admins' uploaded pictures (`--image-resize`).
    pub image_resize: ImageResize,
    /// Where the browser UI's static export is (`--web-dir`); served when it is built there.
    pub web_dir: Option<PathBuf>,
    /// The RUM intake (`--rum-*`).
    pub rum: crate::http::rum::RumSettings,
    /// The Lab page's read-back (`--lab-readback-*`).
    pub readback: crate::http::readback::ReadbackSettings,
    /// The fault flags' file (`--faults-file`); `None`: the flags live in
    /// memory only, off until the admin API sets them (the tests' shops).
    pub faults_file: Option<PathBuf>,
}

/// What this process does with events.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Run the outbox dispatcher.
    pub dispatch: bool,
    /// Run the notification worker.
    pub notify: bool,
    /// Create missing messaging resources (the lab).
    pub provision: bool,
    /// Names and limits of the resources.
    pub resources: shop_core::events::provision::Settings,
    pub ack_timeout: Option<Duration>,
    /// The shop's public URL (links in mails).
    pub public_url: String,
    /// Overrides of the AWS SDK's chain (tests); default: the chain
    /// (`AWS_ENDPOINT_URL_*`, `AWS_REGION`, credentials).
    pub aws: shop_core::aws::Settings,
}

impl Config {
    pub fn from_options(o: Options) -> Result<Config, ConfigError> {
        // One S3 place (endpoint, region) for every bucket the shop writes to.
        let endpoint = o.s3_endpoint.clone().filter(|e| !e.is_empty());
        if let Some(url) = endpoint.as_ref().filter(|u| !is_http_url(u)) {
            return Err(ConfigError::BadS3Endpoint(url.clone()));
        }
        let region = o.s3_region.clone().filter(|r| !r.is_empty());
        let s3 = |bucket: Option<String>| -> Result<Option<ObjectStoreSettings>, ConfigError> {
            Ok(bucket.filter(|b| !b.trim().is_empty()).map(|bucket| {
                let mut s = ObjectStoreSettings::new(bucket.trim());
                s.endpoint = endpoint.clone();
                s.region = region.clone();
                s
            }))
        };
        let cloudwatch_rum = cloudwatch_rum(&o)?;
        let inventory_url = match (o.role, o.inventory_url) {
            (_, Some(url)) => {
                let url = url.trim_end_matches('/').to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::BadInventoryUrl(url));
                }
                Some(url)
            }
            (Role::Orders, None) => return Err(ConfigError::MissingInventoryUrl),
            (_, None) => None,
        };
        let database_url = match o.database_url {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("mysql:")
                    || url.starts_with("mariadb:") =>
            {
                url.replacen("mariadb:", "mysql:", 1)
            }
            Some(url) => return Err(ConfigError::BadDatabaseUrl(url)),
            None => format!("sqlite://{}?mode=rwc", o.data_dir.join("shop.db").display()),
        };
        if o.request_timeout.is_zero() {
            return Err(ConfigError::ZeroRequestTimeout);
        }
        if !(0.0..=1.0).contains(&o.log_debug_sample) {
            return Err(ConfigError::BadLogDebugSample(o.log_debug_sample));
        }
        if !(0.0..=1.0).contains(&o.rum_sample_ratio) {
            return Err(ConfigError::BadRumSampleRatio(o.rum_sample_ratio));
        }
        if !(0.0..=1.0).contains(&o.rum_replay_sample_ratio) {
            return Err(ConfigError::BadRumReplaySampleRatio(
                o.rum_replay_sample_ratio,
            ));
        }
        let service_name = o.service_name.unwrap_or_else(|| match o.role {
            Role::All => "shop".to_owned(),
            role => format!("shop-{}", role.as_str()),
        });
        let readback = crate::http::readback::ReadbackSettings {
            xray: o.lab_readback_xray,
            log_group: o.lab_readback_log_group.clone().unwrap_or_else(|| {
                std::env::var("SHOP_CW_LOG_GROUP")
                    .ok()
                    .filter(|g| !g.is_empty())
                    .unwrap_or_else(|| format!("/shop-lab/{}", o.environment))
            }),
            capture: match o.lab_readback_capture.clone().filter(|u| !u.is_empty()) {
                Some(url) if !is_http_url(&url) => {
                    return Err(ConfigError::BadReadbackCapture(url));
                }
                other => other,
            },
        };
        let faults_file = Some(
            o.faults_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| o.data_dir.join("faults.json")),
        );
        Ok(Config {
            faults_file,
            listen: o.listen,
            database_url,
            db_max_connections: o.db_max_connections.max(1),
            telemetry: o.telemetry,
            role: o.role,
            inventory_url,
            service_name,
            service_version: o
                .service_version
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            environment: o.environment,
            log: o.log,
            log_debug_sample: o.log_debug_sample,
            stdout_logs: o.stdout_logs,
            seed: !o.no_seed,
            request_timeout: o.request_timeout,
            circuit: shop_core::resilience::BreakerSettings::new(
                o.circuit_failures,
                o.circuit_open_seconds,
            ),
            shutdown_timeout: Duration::from_secs(o.shutdown_timeout_secs),
            payment_simulation: Simulation::parse(&o.payment_simulation)
                .map_err(|e| ConfigError::BadPaymentSimulation(e.message))?,
            cart_abandonment_after: o.cart_abandonment_after.0,
            oidc: match o.oidc_issuer {
                None => None,
                Some(issuer) if is_http_url(&issuer) => Some(OidcSettings {
                    issuer: issuer.trim_end_matches('/').to_owned(),
                    client_id: o.oidc_client_id,
                    client_secret: o.oidc_client_secret.filter(|s| !s.is_empty()),
                }),
                Some(issuer) => return Err(ConfigError::BadOidcIssuer(issuer)),
            },
            oidc_redirect_url: match o.oidc_redirect_url {
                Some(url) if !is_http_url(&url) => {
                    return Err(ConfigError::BadOidcRedirectUrl(url));
                }
                other => other,
            },
            images: s3(o.images_bucket)?,
            batch_schedule: o.batch_schedule,
            exports: s3(o.export_bucket)?,
            events: EventsConfig {
                dispatch: o.events,
                notify: o.notifications,
                provision: o.events_provision,
                resources: {
                    let prefix = o.events_prefix.trim();
                    if prefix.is_empty()
                        || prefix.len() > 40
                        || !prefix
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    {
                        return Err(ConfigError::BadEventsPrefix(o.events_prefix));
                    }
                    shop_core::events::provision::Settings {
                        prefix: prefix.to_owned(),
                        max_receive_count: o.events_max_receives,
                        visibility_timeout_secs: o.events_visibility_timeout,
                        mail_from: shop_core::email::EmailAddress::parse(&o.mail_from)
                            .map_err(|e| ConfigError::BadMailFrom(e.message.to_string()))?
                            .as_str()
                            .to_owned(),
                    }
                },
                ack_timeout: o.events_ack_timeout.0,
                public_url: match o.public_url {
                    Some(url) if !is_http_url(&url) => return Err(ConfigError::BadPublicUrl(url)),
                    Some(url) => url.trim_end_matches('/').to_owned(),
                    None => format!("http://{}", o.listen),
                },
                aws: shop_core::aws::Settings::default(),
            },
            image_resize: o.image_resize,
            web_dir: Some(o.web_dir),
            rum: crate::http::rum::RumSettings {
                rate_per_minute: o.rum_rate_per_minute,
                sample_ratio: o.rum_sample_ratio,
                replay: s3(o.rum_replay_bucket)?,
                replay_sample_ratio: o.rum_replay_sample_ratio,
                cloudwatch: cloudwatch_rum,
                ..Default::default()
            },
            readback,
        })
    }
}
