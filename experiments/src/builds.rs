//! Builds each variant of the shop once and keeps its binary.
//!
//! Cargo writes every feature set of `shop` to the same path
//! (`target/<profile>/shop`), so each build is copied to
//! `target/experiments/bin/shop-<backend>` before the next one overwrites
//! it. The `noop` build has no backend compiled in at all: it is the true
//! baseline, not a backend switched off at run time.
//!
//! Quick mode (CI) builds one dev binary with every backend and picks the
//! backend with `--telemetry`; its overhead figures are not comparable and
//! the report says so.
//!
//! The Lambda functions' chapter ([`crate::lambda`]) runs `image-resize`,
//! built the same way: per backend with the same profile in full mode
//! (`target/experiments/bin/image-resize-<backend>`), and in quick mode the
//! dev binary the workspace build already made (both backends in it, picked
//! with `SHOP_TELEMETRY`), so quick mode builds nothing more for it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::lambda::FUNCTION;

/// The lab's stand-in for Lambda's event-source mapping (app/functions), which the async
/// stage's uploads go through.
const EVENT_SOURCE: &str = "lab-event-source";

/// The binaries a plan runs.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// backend → shop binary.
    pub shop: Vec<(String, PathBuf)>,
    /// backend → the `image-resize` function binary.
    pub functions: Vec<(String, PathBuf)>,
    /// `lab-event-source` (no telemetry backend of its own: it passes the context on).
    pub event_source: PathBuf,
    pub capture: PathBuf,
}

impl Binaries {
    pub fn shop(&self, backend: &str) -> &Path {
        self.shop
            .iter()
            .find(|(b, _)| b == backend)
            .map(|(_, p)| p.as_path())
            .unwrap_or_else(|| panic!("no build for backend {backend}"))
    }

    /// The `image-resize` binary for `backend`.
    pub fn function(&self, backend: &str) -> &Path {
        self.functions
            .iter()
            .find(|(b, _)| b == backend)
            .map(|(_, p)| p.as_path())
            .unwrap_or_else(|| panic!("no function build for backend {backend}"))
    }
}

fn target_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
}

/// Where cargo writes `profile`'s binaries (`dev` builds go to `debug/`).
fn out_dir(repo: &Path, profile: &str) -> PathBuf {
    target_dir(repo).join(if profile == "dev" { "debug" } else { profile })
}

fn cargo_build(
    repo: &Path,
    profile: &str,
    package: &str,
    bin: Option<&str>,
    features: &[&str],
) -> anyhow::Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(repo)
        .args(["build", "--quiet", "--profile", profile, "-p", package]);
    if let Some(bin) = bin {
        cmd.args(["--bin", bin]);
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running cargo build -p {package}"))?;
    if !status.success() {
        bail!("cargo build -p {package} --features {features:?} failed");
    }
    Ok(())
}

/// Builds what `backends` need with `profile` (`release` or `dev`).
/// `separate`: one build per backend (full mode); otherwise one build with
/// every backend (quick mode).
pub fn build(
    repo: &Path,
    profile: &str,
    backends: &[String],
    separate: bool,
) -> anyhow::Result<Binaries> {
    let out_dir = out_dir(repo, profile);
    let built = out_dir.join("shop");
    let keep = target_dir(repo).join("experiments").join("bin");
    std::fs::create_dir_all(&keep)?;
    let mut shop = Vec::new();
    let mut functions = Vec::new();
    if separate {
        for backend in backends {
            let features: Vec<&str> = match backend.as_str() {
                "noop" => vec![],
                b => vec![b],
            };
            shop.push((backend.clone(), build_shop(repo, profile, backend)?));
            eprintln!("building {FUNCTION} ({profile}, features: {features:?})");
            cargo_build(repo, profile, "shop-functions", Some(FUNCTION), &features)?;
            let function = out_dir.join(FUNCTION);
            functions.push((
                backend.clone(),
                keep_copy(&function, &keep, FUNCTION, backend)?,
            ));
        }
    } else {
        // `--workspace --all-features --bins --tests`: the test targets make cargo
        // resolve features with the dev-dependencies (tokio's `test-util`, for one), as
        // `cargo test --workspace --all-features` does, so CI reuses the binaries its
        // test run already built; `--bins` alone resolves without them and compiles
        // about 80 crates again.
        eprintln!("building shop ({profile}, every backend in one binary)");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(repo)
            .args([
                "build",
                "--quiet",
                "--profile",
                profile,
                "--workspace",
                "--all-features",
                "--bins",
                "--tests",
            ])
            .status()?;
        if !status.success() {
            bail!("cargo build --workspace --all-features --bins --tests failed");
        }
        for backend in backends {
            shop.push((backend.clone(), built.clone()));
            // The same workspace build made it, with every backend: SHOP_TELEMETRY picks one.
            functions.push((backend.clone(), out_dir.join(FUNCTION)));
        }
    }
    let capture = if separate {
        cargo_build(repo, profile, "shop-functions", Some(EVENT_SOURCE), &[])?;
        build_capture(repo, profile)?
    } else {
        out_dir.join("otlp-capture")
    };
    Ok(Binaries {
        shop,
        functions,
        event_source: out_dir.join(EVENT_SOURCE),
        capture,
    })
}

/// Builds the shop with `backend` alone compiled in (`noop`: none) and keeps the binary as
/// `target/experiments/bin/shop-<backend>`; returns its path.
pub fn build_shop(repo: &Path, profile: &str, backend: &str) -> anyhow::Result<PathBuf> {
    let built = out_dir(repo, profile).join("shop");
    let keep = target_dir(repo).join("experiments").join("bin");
    std::fs::create_dir_all(&keep)?;
    let features: Vec<&str> = match backend {
        "noop" => vec![],
        b => vec![b],
    };
    eprintln!("building shop ({profile}, features: {features:?})");
    cargo_build(repo, profile, "shop", None, &features)?;
    keep_copy(&built, &keep, "shop", backend)
}

/// Builds the capture receiver with `profile`; returns its path.
pub fn build_capture(repo: &Path, profile: &str) -> anyhow::Result<PathBuf> {
    cargo_build(repo, profile, "otlp-capture", None, &[])?;
    Ok(out_dir(repo, profile).join("otlp-capture"))
}

/// Copies `built` to `keep/<name>-<backend>` and returns that path: cargo writes every feature
/// set of a binary to the same path, so each build is kept before the next overwrites it.
fn keep_copy(built: &Path, keep: &Path, name: &str, backend: &str) -> anyhow::Result<PathBuf> {
    let dest = keep.join(format!("{name}-{backend}"));
    // Copy to a temporary name and rename, so a running copy is never rewritten in place.
    let tmp = keep.join(format!(".{name}-{backend}.tmp"));
    std::fs::copy(built, &tmp).with_context(|| format!("copying {}", built.display()))?;
    std::fs::rename(&tmp, &dest)?;
    Ok(dest)
}
