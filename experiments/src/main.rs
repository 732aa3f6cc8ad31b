//! `shop-experiments`: the comparison lab's command line.
//!
//! ```text
//! shop-experiments run [--mode full|quick] [--seed N] [--only CONFIG,...] [--no-pin]
//!                      [--repeats N] [--arrivals fixed|poisson] [--points embedded,split]
//!                      [--resume]
//!     build the variants, start the lab, run overhead, fidelity and cost
//!     experiments, write report/results.json and REPORT.md
//! shop-experiments render
//!     rewrite REPORT.md from report/results.json (no measuring)
//! shop-experiments history
//!     rebuild report/history.json from git (every committed full run) and
//!     rewrite REPORT.md
//! shop-experiments chaos [--only EXPERIMENT,...] [--backends awssdk,otel]
//!     the fault experiments (docs/chaos.md): print each verdict, write
//!     report/chaos.md and report/chaos.json, and REPORT.md again
//! ```
//!
//! `make report` runs the full mode and writes `REPORT.md` and `report/` at
//! the top of the repository; `make report-quick` (CI) runs the quick one
//! and writes them under `target/experiments/quick/`, so that a quick run
//! never replaces the committed report. Nor does a partial full run (`--only`,
//! `--points` or `--repeats`): it writes under `target/experiments/partial/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shop_experiments::load::Arrivals;
use shop_experiments::plan::{Mode, Plan};
use shop_experiments::{chaos, report, results::Results, runner};

#[derive(Parser)]
#[command(about = "The comparison lab: identical load through the noop, awssdk and otel builds")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Measure everything and write the report.
    Run {
        /// `full` (make report) or `quick` (CI: short, 100 % configs only).
        #[arg(long, value_enum, default_value_t = Mode::Full)]
        mode: Mode,
        /// Seed of the scenario (the same seed gives the same requests).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Only these configs (comma-separated ids; `noop` is always kept).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Do not pin the shop and the rest to separate CPUs.
        #[arg(long)]
        no_pin: bool,
        /// Repeats of each overhead run (default: the mode's).
        #[arg(long)]
        repeats: Option<usize>,
        /// How open-loop sessions are spaced (default: the mode's, `poisson`).
        #[arg(long, value_enum)]
        arrivals: Option<Arrivals>,
        /// Only these operating points of the overhead runs (comma-separated:
        /// `embedded`, `split`; default: both).
        #[arg(long, value_delimiter = ',')]
        points: Vec<String>,
        /// Keep the overhead runs an interrupted invocation of the same plan
        /// and commit journaled (target/experiments/runs/journal-MODE.jsonl) and
        /// measure only the rest.
        #[arg(long)]
        resume: bool,
    },
    /// The fault experiments (docs/chaos.md): print each verdict, write report/chaos.md and
    /// report/chaos.json, and rewrite REPORT.md (which includes them) when its results exist.
    /// A partial run (`--only`, `--backends`) writes under target/experiments/chaos instead.
    Chaos {
        /// Only these experiments (comma-separated: inventory-slow, inventory-down, sink-down,
        /// database-down; default: all).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Only these backends (comma-separated: awssdk, otel; default: both).
        #[arg(long, value_delimiter = ',')]
        backends: Vec<String>,
    },
    /// Where each build's CPU goes (docs/targets.md, #13): `perf` samples of noop, awssdk-100 and
    /// otel-100 at saturation on the embedded point, bucketed; saved as
    /// report/profiles/LABEL.json, and REPORT.md rewritten when its results exist.
    Profile {
        /// The run's name in the report and its file name (e.g. `before`, `after-batching`).
        #[arg(long, default_value = "latest")]
        label: String,
        /// Seconds each build is sampled for (after a 5 s warm-up).
        #[arg(long, default_value_t = 20)]
        secs: u64,
    },
    /// Rebuild report/history.json from git (every committed full run's figures and the
    /// commits between the runs) and rewrite REPORT.md.
    History,
    /// Rewrite REPORT.md from report/results.json.
    Render {
        /// The directory holding REPORT.md and report/ (default: the repository).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("experiments/ is inside the repository")
        .to_owned()
}

/// Where a run's report goes: the repository for a whole full run; a scratch directory for
/// quick runs and for partial ones (some configs, points or repeats), which must never
/// replace the committed report.
fn out_dir(repo: &std::path::Path, mode: Mode, partial: bool) -> PathBuf {
    match mode {
        Mode::Full if !partial => repo.to_owned(),
        Mode::Full => repo.join("target").join("experiments").join("partial"),
        Mode::Quick => repo.join("target").join("experiments").join("quick"),
    }
}

/// Writes REPORT.md and its charts from `results` (which `render` only reads:
/// re-serialising it would change the last digit of some floats).
fn render(repo: &std::path::Path, out: &std::path::Path, results: &Results) -> anyhow::Result<()> {
    let assets = out.join("report");
    std::fs::create_dir_all(&assets)?;
    let criterion = repo.join("target").join("criterion");
    report::write(
        results,
        &out.join("REPORT.md"),
        &assets,
        Some(criterion.as_path()).filter(|p| p.exists()),
    )
}

/// Writes `report/history.json` from git's history of the committed results
/// and `current` (the results in the working tree, maybe not committed yet).
fn write_history(repo: &std::path::Path, current: Option<&Results>) -> anyhow::Result<usize> {
    let runs = report::history::from_git(repo, current)?;
    let file = repo.join("report").join("history.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&runs)?)?;
    eprintln!("wrote {} ({} runs)", file.display(), runs.len());
    Ok(runs.len())
}

/// Runs `work` (a run of the lab) on a runtime of its own until it ends, or until Ctrl-C or
/// SIGTERM. On an error or an interruption the shops and the private lab, which are separate
/// processes and would otherwise outlive the harness, are stopped.
fn interruptible<T>(
    repo: &std::path::Path,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = work => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
            _ = term.recv() => Err(anyhow::anyhow!("terminated")),
        }
    });
    if outcome.is_err() {
        shop_experiments::shop::terminate_all();
        shop_experiments::lab::stop_private_lab(repo, &shop_experiments::lab::state_dir(repo));
    }
    outcome
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = repo_root();
    let outcome = match cli.command.unwrap_or(Command::Render { dir: None }) {
        Command::Render { dir } => (|| -> anyhow::Result<bool> {
            let out = dir.unwrap_or_else(|| repo.clone());
            let path = out.join("report").join("results.json");
            let results: Results = serde_json::from_slice(&std::fs::read(&path).map_err(|e| {
                anyhow::anyhow!("{}: {e} (run `make report` first)", path.display())
            })?)?;
            render(&repo, &out, &results)?;
            Ok(true)
        })(),
        Command::History => (|| -> anyhow::Result<bool> {
            let file = repo.join("report").join("results.json");
            let current: Option<Results> = match std::fs::read(&file) {
                Ok(bytes) => Some(serde_json::from_slice(&bytes)?),
                Err(_) => None,
            };
            write_history(&repo, current.as_ref())?;
            if let Some(results) = &current {
                render(&repo, &repo, results)?;
                eprintln!(
                    "wrote {} (with the history)",
                    repo.join("REPORT.md").display()
                );
            }
            Ok(true)
        })(),
        Command::Chaos { only, backends } => (|| -> anyhow::Result<bool> {
            let timing = chaos::Timing::default();
            let verdicts = interruptible(&repo, chaos::run(&repo, &only, &backends, timing))?;
            // A partial run (some experiments, one backend) never replaces the report's section.
            let partial = !only.is_empty() || !backends.is_empty();
            let assets = if partial {
                repo.join("target").join("experiments").join("chaos")
            } else {
                repo.join("report")
            };
            std::fs::create_dir_all(&assets)?;
            let when = std::process::Command::new("date")
                .args(["-u", "+%Y-%m-%d %H:%M UTC"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default();
            std::fs::write(
                assets.join("chaos.md"),
                chaos::markdown(&verdicts, &when, &timing),
            )?;
            std::fs::write(
                assets.join("chaos.json"),
                serde_json::to_vec_pretty(&verdicts)?,
            )?;
            eprintln!("wrote {}", assets.join("chaos.md").display());
            let results = assets.join("results.json");
            if !partial && results.exists() {
                let results: Results = serde_json::from_slice(&std::fs::read(&results)?)?;
                render(&repo, &repo, &results)?;
                eprintln!(
                    "wrote {} (with the chaos section)",
                    repo.join("REPORT.md").display()
                );
            }
            let failed = verdicts.iter().filter(|v| !v.passed()).count();
            println!(
                "chaos: {} of {} experiments held their hypothesis",
                verdicts.len() - failed,
                verdicts.len()
            );
            if failed > 0 {
                anyhow::bail!("{failed} experiment(s) did not hold (report/chaos.md)");
            }
            Ok(true)
        })(),
        Command::Profile { label, secs } => (|| -> anyhow::Result<bool> {
            anyhow::ensure!(
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "--label: letters, digits, - and _ only (it names a file), not {label:?}"
            );
            let timing = shop_experiments::profile::Timing {
                window: std::time::Duration::from_secs(secs.max(1)),
                ..Default::default()
            };
            let run = interruptible(&repo, shop_experiments::profile::run(&repo, &label, timing))?;
            let dir = repo.join("report").join("profiles");
            std::fs::create_dir_all(&dir)?;
            let file = dir.join(format!("{label}.json"));
            std::fs::write(&file, serde_json::to_vec_pretty(&run)?)?;
            eprintln!("wrote {}", file.display());
            println!(
                "{}",
                shop_experiments::profile::markdown(std::slice::from_ref(&run))
            );
            let results = repo.join("report").join("results.json");
            if results.exists() {
                let results: Results = serde_json::from_slice(&std::fs::read(&results)?)?;
                render(&repo, &repo, &results)?;
                eprintln!(
                    "wrote {} (with where the time goes)",
                    repo.join("REPORT.md").display()
                );
            }
            Ok(true)
        })(),
        Command::Run {
            mode,
            seed,
            only,
            no_pin,
            repeats,
            arrivals,
            points,
            resume,
        } => (|| -> anyhow::Result<bool> {
            let partial = !only.is_empty() || !points.is_empty() || repeats.is_some();
            let mut plan = Plan::new(mode, seed);
            plan.only(&only);
            plan.only_points(&points)?;
            if let Some(r) = repeats {
                plan.repeats = r.max(1);
            }
            if let Some(a) = arrivals {
                plan.arrivals = a;
            }
            let results = interruptible(&repo, runner::run(&repo, &plan, !no_pin, resume))?;
            let out = out_dir(&repo, mode, partial);
            let assets = out.join("report");
            std::fs::create_dir_all(&assets)?;
            std::fs::write(
                assets.join("results.json"),
                serde_json::to_vec_pretty(&results)?,
            )?;
            // A whole full run joins the history (the others are not comparable). Without git
            // (an unpacked tarball) the report keeps the history it has.
            if out == repo
                && let Err(e) = write_history(&repo, Some(&results))
            {
                eprintln!("shop-experiments: the history was not updated: {e:#}");
            }
            render(&repo, &out, &results)?;
            eprintln!("wrote {}", out.join("REPORT.md").display());
            Ok(runner::verdict(&results))
        })(),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("shop-experiments: fidelity below 100 % (see REPORT.md, section Fidelity)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("shop-experiments: {e:#}");
            ExitCode::from(2)
        }
    }
}
