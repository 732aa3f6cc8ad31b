//! `shop`: serve the shop, or run its database chores. See `shop --help`.

use std::process::ExitCode;

use clap::Parser;
use shop::config::{Cli, Command, Config};
use shop::startup::backend::{self, TelemetryChoice};
use shop::startup::{Application, shutdown_signal};
use shop::telemetry;
use shop_core::catalog::image_store;
use shop_core::db;
use shop_core::instruments::Instruments;

/// What this invocation does, once the command line is validated.
enum Job {
    Serve(TelemetryChoice),
    Chores { seed: bool },
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
        Command::Serve => match backend::resolve(config.telemetry) {
            Ok(choice) => Job::Serve(choice),
            Err(e) => {
                eprintln!("shop: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Migrate => Job::Chores { seed: false },
        Command::Seed => Job::Chores { seed: true },
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
            Job::Serve(choice) => serve(config, choice).await,
            Job::Chores { seed } => chores(config, seed).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, choice: TelemetryChoice) -> anyhow::Result<()> {
    let resource = telemetry::resource(&config);
    let exporter = backend::build(choice, &resource).await?;
    let telemetry = telemetry::build(&config, exporter, resource)?;
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

/// `migrate` and `seed`: no server, no telemetry backend; logs to stdout.
async fn chores(config: Config, seed: bool) -> anyhow::Result<()> {
    let resource = telemetry::resource(&config);
    let telemetry = telemetry::build(&config, telemetry_api::noop::backend(), resource)?;
    telemetry.install_global()?;
    let instruments = Instruments::new(&telemetry);
    let db = db::Db::connect(&config.database_url, 2, instruments.db_duration.clone()).await?;
    db.migrate().await?;
    tracing::info!(db.system.name = db.system().as_str(), "migrations applied");
    if seed {
        if !db::seed::seed_if_empty(&db).await? {
            tracing::info!("the database already has a catalog; nothing seeded");
        }
        db::seed::seed_coupons_if_empty(&db).await?;
        // The explicit chore leaves a database that carries every product
        // picture (a server seeding its own database draws them lazily
        // instead: see shop_core::catalog::image_store).
        let rendered = image_store::render_missing(&db).await?;
        tracing::info!(pictures = rendered, "product pictures rendered and stored");
    }
    Ok(())
}
