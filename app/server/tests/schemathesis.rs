//! The OpenAPI document against the server that serves it, checked by a client generated from the
//! document: schemathesis (`scripts/lab/schemathesis.sh`, a pinned Python venv installed on first
//! use) reads `GET /api/openapi.json`, generates requests from it — valid ones, which the shop
//! must accept, and invalid ones, which it must refuse with a 4xx — and checks every answer against
//! the document: status codes, content types, headers and bodies, never a 5xx.
//!
//! The run is bounded and reproducible: one worker, a fixed seed, a fixed number of examples per
//! operation, no example database carried between runs. Its settings that are not on the command
//! line (the statuses that count as accepting valid data, the stateful phase using only the links
//! the document declares, which warnings fail the run) are in `tests/schemathesis/schemathesis.toml`;
//! `tests/schemathesis/hooks.py` accepts the 400s of the five rules that relate two fields or depend on stored data, which
//! JSON Schema cannot state (see its docstring).
//!
//! A failure prints schemathesis's report, with a `curl` line per failing request.

mod common;

use std::process::Command;

use common::{ShopOptions, TempDir, repo_root};

/// Fixed, so that a failure reproduces: rerun the printed command with the same seed.
const SEED: &str = "20261201";
/// Examples per operation and phase: enough to reach every constraint; the run takes about 20 s.
const MAX_EXAMPLES: &str = "100";

#[test]
fn schemathesis_finds_no_failure_and_no_mismatch_in_the_openapi_document() {
    let shop = ShopOptions::new().args(["--telemetry", "noop"]).start();
    let settings = repo_root().join("app/server/tests/schemathesis");
    // schemathesis writes nothing with these options, but were it to (a report, a cache), it
    // would land in a temporary directory rather than in the repository.
    let scratch = TempDir::new();
    let script = repo_root().join("scripts/lab/schemathesis.sh");
    let mut command = Command::new(&script);
    command
        .arg("run")
        .arg("--config-file")
        .arg(settings.join("schemathesis.toml"))
        .arg(shop.url("/api/openapi.json"))
        .args(["--checks", "all"])
        .args(["--workers", "1"])
        .args(["--seed", SEED])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "10"])
        // Report every failing operation, not just the first, and show requests unredacted.
        .arg("--continue-on-failure")
        .args(["--output-sanitize", "false"])
        .arg("--no-color")
        .env("SCHEMATHESIS_HOOKS", settings.join("hooks.py"))
        .current_dir(scratch.path());
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found failures ({}); command: {command:?}\n{report}",
        out.status
    );
    assert!(
        !report.contains("Schema validation mismatch"),
        "schemathesis reports a schema validation mismatch:\n{report}"
    );
    // Every operation in the document was selected and tested (none skipped or unreachable).
    let selected = summary_value(&report, "Selected:");
    let tested = summary_value(&report, "Tested:");
    let (chosen, total) = selected
        .split_once('/')
        .unwrap_or_else(|| panic!("no 'Selected: N/M' in the summary:\n{report}"));
    assert!(
        chosen == total && tested == total && total != "0",
        "schemathesis selected {selected} and tested {tested} operations:\n{report}"
    );
}

/// The value after `label` on the summary line that starts with it.
fn summary_value<'a>(report: &'a str, label: &str) -> &'a str {
    report
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no '{label}' line in schemathesis's summary:\n{report}"))
}
