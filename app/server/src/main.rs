//! `shop`: serve the shop, or run its database chores. See `shop --help`.

use std::process::ExitCode;

use clap::Parser;
use shop::config::{
    AdminCommand, AuditCommand, BatchJob, Cli, Command, Config, DlqCommand, EventsCommand,
    FaultsCommand,
};
use shop::startup::backend::{self, TelemetryChoice};
use shop::startup::{Application, shutdown_signal};
use shop::telemetry;
use shop_core::audit::{self, Problem, Verdict};
use shop_core::catalog::image_store;
use shop_core::db;
use shop_core::instruments::Instruments;
use telemetry_api::logs::Console;
use utoipa::OpenApi as _;

/// What this invocation does, once the command line is validated.
enum Job {
    Serve(TelemetryChoice),
    Chores { seed: bool },
    AuditVerify,
    AdminInvite { email: String, roles: Vec<String> },
    Batch(TelemetryChoice, BatchJob),
    EventsProvision,
    EventsStatus,
    DlqRedrive { queue: Option<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_options(cli.options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("shop: {e}");
            return ExitCode::from(2);
        }
    };
    // Resolve the backend before anything starts, so a wrong choice is a usage error.
    let job = match cli.command.unwrap_or(Command::Serve) {
        // Needs nothing running: the document is generated from the code.
        Command::Openapi => {
            let doc = shop::http::openapi::ApiDoc::openapi();
            return match serde_json::to_string_pretty(&doc) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("shop: the OpenAPI document did not serialise: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        // Needs nothing running either: the flags are a file.
        Command::Faults { command } => return faults(&config, command),
        Command::Serve => match backend::resolve(config.telemetry) {
            Ok(choice) => Job::Serve(choice),
            Err(e) => {
                eprintln!("shop: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Migrate => Job::Chores { seed: false },
        Command::Seed => Job::Chores { seed: true },
        Command::Audit {
            command: AuditCommand::Verify,
        } => Job::AuditVerify,
        Command::Admin {
            command: AdminCommand::Invite { email, roles },
        } => Job::AdminInvite { email, roles },
        Command::Batch { job } => match backend::resolve(config.telemetry) {
            Ok(choice) => Job::Batch(choice, job),
            Err(e) => {
                eprintln!("shop: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Events {
            command: EventsCommand::Provision,
        } => Job::EventsProvision,
        Command::Events {
            command: EventsCommand::Status,
        } => Job::EventsStatus,
        Command::Dlq {
            command: DlqCommand::Redrive { queue },
        } => Job::DlqRedrive { queue },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("shop: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match job {
            Job::Serve(choice) => serve(config, choice).await.map(|()| ExitCode::SUCCESS),
            Job::Chores { seed } => chores(config, seed).await.map(|()| ExitCode::SUCCESS),
            Job::AuditVerify => audit_verify(config).await,
            Job::AdminInvite { email, roles } => admin_invite(config, &email, &roles).await,
            Job::Batch(choice, job) => batch(config, choice, job).await,
            Job::EventsProvision => events_provision(config).await,
            Job::EventsStatus => events_status(config).await,
            Job::DlqRedrive { queue } => dlq_redrive(config, queue).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, choice: TelemetryChoice) -> anyhow::Result<()> {
    let resource = telemetry::resource(&config);
    let exporter = backend::build(choice, &resource).await?;
    let telemetry = telemetry::build(&config, exporter, resource, Console::Stdout)?;
    telemetry.install_global()?;

    let app = match Application::build(&config, telemetry.clone()).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "start-up failed");
            let _ = telemetry.shutdown(config.shutdown_timeout).await;
            return Err(e);
        }
    };
    tracing::info!(
        listen = %app.local_addr(),
        role = config.role.as_str(),
        service.name = %config.service_name,
        telemetry = telemetry.backend_name(),
        sampler = telemetry.sampler_description(),
        db.system.name = app.state().db.system().as_str(),
        "shop listening on http://{}",
        app.local_addr()
    );
    let served = app.run_until(shutdown_signal()).await;
    if let Err(e) = telemetry.shutdown(config.shutdown_timeout).await {
        eprintln!("shop: telemetry shutdown: {e}");
    }
    served.map_err(Into::into)
}

/// What a chore works with: the database and the instruments (recording
/// nowhere). No server, no telemetry backend; logs go to stderr for as long
/// as this lives (it holds the telemetry, whose drop ends the log writer).
struct Chore {
    db: db::Db,
    instruments: Instruments,
    _telemetry: telemetry_api::Telemetry,
}

async fn chore(config: &Config) -> anyhow::Result<Chore> {
    let resource = telemetry::resource(config);
    let telemetry = telemetry::build(
        config,
        telemetry_api::noop::backend(),
        resource,
        Console::Stderr,
    )?;
    telemetry.install_global()?;
    let instruments = Instruments::new(&telemetry);
    let db = db::Db::connect(&config.database_url, 2, instruments.db_duration.clone()).await?;
    db.migrate().await?;
    tracing::info!(db.system.name = db.system().as_str(), "migrations applied");
    Ok(Chore {
        db,
        instruments,
        _telemetry: telemetry,
    })
}

/// `shop audit verify`: the verdict on stdout; exit 1 when the chain is broken.
async fn audit_verify(config: Config) -> anyhow::Result<ExitCode> {
    let chore = chore(&config).await?;
    match audit::verify(&chore.db).await? {
        Verdict::Intact { entries, head } => {
            match head {
                Some((seq, hash)) => println!(
                    "audit log intact: {entries} entries, the last is #{seq} with hash {hash}"
                ),
                None => println!("audit log intact: no entries yet"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken { seq, problem } => {
            let how = match problem {
                Problem::Edited => "the row no longer matches its hash: it was edited",
                Problem::Unlinked => {
                    "its prev_hash is not the previous entry's hash: an entry before it was edited and re-hashed"
                }
                Problem::Gap => {
                    "entries are missing: removed rows, or a chain that stops before its head"
                }
            };
            println!(
                "audit log BROKEN at entry #{seq} ({}): {how}",
                problem.as_str()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `shop admin invite`: the token on stdout; a bad e-mail or role is a usage error (exit 2).
async fn admin_invite(config: Config, email: &str, roles: &[String]) -> anyhow::Result<ExitCode> {
    let (email, roles) = match (
        shop_core::email::EmailAddress::parse(email),
        shop_core::admin::requested_roles(roles),
    ) {
        (Ok(e), Ok(r)) => (e, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("shop: {}: {}", e.field, e.message);
            return Ok(ExitCode::from(2));
        }
    };
    let chore = chore(&config).await?;
    let admins = shop_core::admin::Admins::new(chore.db.clone(), chore.instruments.clone());
    let invitation = admins
        .invite(None, &email, roles, shop_core::audit::Origin::default())
        .await?;
    println!(
        "invitation for {} ({}), valid until {}:",
        invitation.email,
        invitation
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        shop_core::time::rfc3339(invitation.expires_at)
    );
    println!("{}", invitation.token.expose());
    println!(
        "accept it with: POST /api/admin/invitations/accept {{\"token\": …, \"name\": …, \"password\": …}}"
    );
    Ok(ExitCode::SUCCESS)
}

/// `shop batch <job>`: runs the job with telemetry exported like the
/// server's (its root span, logs and metrics reach the configured backend,
/// flushed before exit), prints the run, and exits 0 when it succeeded, 1
/// when it failed or could not run.
async fn batch(config: Config, choice: TelemetryChoice, job: BatchJob) -> anyhow::Result<ExitCode> {
    let resource = telemetry::resource(&config);
    let exporter = backend::build(choice, &resource).await?;
    let telemetry = telemetry::build(&config, exporter, resource, Console::Stderr)?;
    telemetry.install_global()?;
    let result = async {
        let instruments = Instruments::new(&telemetry);
        let db = db::Db::connect(&config.database_url, 2, instruments.db_duration.clone()).await?;
        db.migrate().await?;
        let runner =
            shop::startup::batch_runner(&config, db, instruments, telemetry.clone()).await?;
        let run = runner
            .run(
                job.job(),
                shop_core::batch::Trigger::Cli,
                shop_core::audit::Origin::default(),
            )
            .await?;
        println!(
            "batch {} {}: {} items, run {}, trace {}",
            run.job,
            run.outcome,
            run.items,
            run.id,
            run.trace_id.as_deref().unwrap_or("-")
        );
        println!("{}", run.detail.clone().unwrap_or_default());
        Ok::<ExitCode, anyhow::Error>(if run.outcome == "success" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
    .await;
    if let Err(e) = telemetry.shutdown(config.shutdown_timeout).await {
        eprintln!("shop: telemetry shutdown: {e}");
    }
    result
}

/// `shop events provision`: creates the messaging resources, prints them.
async fn events_provision(config: Config) -> anyhow::Result<ExitCode> {
    let _chore = quiet_telemetry(&config)?;
    let sdk = shop_core::aws::sdk_config(&config.events.aws).await;
    let made = shop_core::events::provision::provision(&sdk, &config.events.resources).await?;
    println!("{}", serde_json::to_string(&made)?);
    Ok(ExitCode::SUCCESS)
}

/// `shop events status`: the outbox's counts and every queue's depth.
async fn events_status(config: Config) -> anyhow::Result<ExitCode> {
    let chore = chore(&config).await?;
    let outbox =
        shop_core::events::outbox::status(&chore.db, shop_core::time::now_millis()).await?;
    let sdk = shop_core::aws::sdk_config(&config.events.aws).await;
    let r = &config.events.resources;
    let mut queues = serde_json::Map::new();
    for queue in [
        r.notifications_queue(),
        r.sale_notices_queue(),
        r.admin_alerts_queue(),
    ] {
        for name in [
            queue.clone(),
            shop_core::events::provision::Settings::dlq_of(&queue),
        ] {
            let depth = match shop_core::notifications::dlq::depth(&sdk, &name).await {
                Ok(n) => serde_json::json!(n),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            };
            queues.insert(name, depth);
        }
    }
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({ "outbox": outbox, "queues": queues }))?
    );
    Ok(ExitCode::SUCCESS)
}

/// `shop dlq redrive`: moves a dead-letter queue's messages back.
async fn dlq_redrive(config: Config, queue: Option<String>) -> anyhow::Result<ExitCode> {
    let _chore = quiet_telemetry(&config)?;
    let sdk = shop_core::aws::sdk_config(&config.events.aws).await;
    let queue = queue.unwrap_or_else(|| config.events.resources.notifications_queue());
    let moved =
        shop_core::notifications::dlq::redrive(&sdk, &queue, std::time::Duration::from_secs(60))
            .await?;
    println!("{}", serde_json::to_string(&moved)?);
    Ok(
        if moved.status == "COMPLETED" || moved.status == "NOTHING_TO_MOVE" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// `shop faults show | set FLAG=VALUE… | off`: reads or writes the flags
/// file (docs/faults.md); a running shop picks the change up by itself. A
/// bad flag or value is a usage error (exit 2) naming the flag and its range.
fn faults(config: &Config, command: FaultsCommand) -> ExitCode {
    use shop_core::faults::{self, Flags};
    let Some(path) = config.faults_file.as_deref() else {
        eprintln!("shop: no faults file is configured");
        return ExitCode::from(2);
    };
    let current = match faults::read_file(path) {
        Ok(flags) => flags,
        Err(e) => {
            eprintln!("shop: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let written = match command {
        FaultsCommand::Show => {
            println!("{}", current.to_json());
            return ExitCode::SUCCESS;
        }
        FaultsCommand::Off => faults::remove_file(path).map(|()| Flags::default()),
        FaultsCommand::Set { assignments } => {
            let mut flags = current;
            for assignment in &assignments {
                let Some((key, value)) = assignment.split_once('=') else {
                    eprintln!(
                        "shop: {assignment:?}: expected FLAG=VALUE, e.g. checkout_failure_percent=100"
                    );
                    return ExitCode::from(2);
                };
                // `100` and `true` as JSON; anything else as a string, which
                // the flag then refuses with its range.
                let value = serde_json::from_str(value.trim())
                    .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
                if let Err(e) = flags.set(key.trim(), &value) {
                    eprintln!("shop: {e}");
                    return ExitCode::from(2);
                }
            }
            faults::write_atomically(path, &flags).map(|()| flags)
        }
    };
    match written {
        Ok(flags) => {
            println!("{}", flags.to_json());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, no export (for chores that need no database).
fn quiet_telemetry(config: &Config) -> anyhow::Result<telemetry_api::Telemetry> {
    let resource = telemetry::resource(config);
    let telemetry = telemetry::build(
        config,
        telemetry_api::noop::backend(),
        resource,
        Console::Stderr,
    )?;
    telemetry.install_global()?;
    Ok(telemetry)
}

/// `migrate` and `seed`.
async fn chores(config: Config, seed: bool) -> anyhow::Result<()> {
    let chore = chore(&config).await?;
    let db = &chore.db;
    if seed {
        if !db::seed::seed_if_empty(db).await? {
            tracing::info!("the database already has a catalog; nothing seeded");
        }
        db::seed::seed_coupons_if_empty(db).await?;
        // The explicit chore leaves a database that carries every product
        // picture (a server seeding its own database draws them lazily
        // instead: see shop_core::catalog::image_store).
        let rendered = image_store::render_missing(db).await?;
        tracing::info!(pictures = rendered, "product pictures rendered and stored");
    }
    Ok(())
}
