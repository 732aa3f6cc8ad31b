//! The overhead runs' journal: every finished run is appended to
//! `target/experiments/runs/journal-{mode}.jsonl` as soon as it ends (one
//! file per mode, so that a `make report-quick` never wipes a full report's
//! journal), so that a full
//! `make report` that dies in its second hour (a machine briefly overloaded,
//! a sink that did not start) loses nothing already measured.
//! `shop-experiments run --resume` (`make report-resume`) reads the journal
//! back and measures only the runs it lacks.
//!
//! The first line of the journal names what its runs were measured with:
//! the commit (with `-dirty` when the tree had changes), the mode, the seed,
//! the configs, the points and the repeats. A resume refuses a journal whose
//! first line differs: runs of two different builds must never meet in one
//! report.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::results::LoadRun;

/// What a journal's runs were measured with (its first line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub commit: String,
    pub mode: String,
    pub seed: u64,
    pub configs: Vec<String>,
    pub points: Vec<String>,
    pub repeats: usize,
}

/// One journal line after the header: a finished run and its name.
#[derive(Serialize, Deserialize)]
struct Line {
    name: String,
    run: LoadRun,
}

/// The open journal: the runs read back from it, and the file new ones are appended to.
pub struct Journal {
    path: PathBuf,
    done: BTreeMap<String, LoadRun>,
    file: Mutex<File>,
}

impl Journal {
    /// Opens `dir/journal-{mode}.jsonl`. With `resume`, keeps the runs of a journal
    /// with the same header (an error if the header differs); without, starts
    /// a new journal.
    pub fn open(dir: &Path, header: &Header, resume: bool) -> anyhow::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = path(dir, &header.mode);
        let done = if resume {
            read(&path, header)?
        } else {
            BTreeMap::new()
        };
        if !resume || done.is_empty() {
            let mut f = File::create(&path)?;
            writeln!(f, "{}", serde_json::to_string(header)?)?;
        }
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok(Journal {
            path,
            done,
            file: Mutex::new(file),
        })
    }

    /// How many runs the journal already holds.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether the journal holds no run yet.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// The run named `name`, when an earlier (interrupted) invocation finished it.
    pub fn get(&self, name: &str) -> Option<LoadRun> {
        self.done.get(name).cloned()
    }

    /// Appends a finished run and flushes it to disk.
    pub fn record(&self, name: &str, run: &LoadRun) -> anyhow::Result<()> {
        let line = serde_json::to_string(&Line {
            name: name.to_owned(),
            run: run.clone(),
        })?;
        let mut f = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        writeln!(f, "{line}")?;
        f.sync_data()
            .with_context(|| format!("syncing {}", self.path.display()))
    }
}

/// Where the journal of `mode` is kept in `dir`.
pub fn path(dir: &Path, mode: &str) -> PathBuf {
    dir.join(format!("journal-{mode}.jsonl"))
}

/// The runs of the journal at `path`, if its header is `header`.
fn read(path: &Path, header: &Header) -> anyhow::Result<BTreeMap<String, LoadRun>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut lines = BufReader::new(file).lines();
    let Some(first) = lines.next().transpose()? else {
        return Ok(BTreeMap::new());
    };
    let theirs: Header = serde_json::from_str(&first)
        .with_context(|| format!("{}: the first line is not a journal header", path.display()))?;
    if &theirs != header {
        bail!(
            "{} was measured with {} (mode {}, seed {}, configs {:?}, points {:?}, repeats {}), \
             this run is {} (mode {}, seed {}, configs {:?}, points {:?}, repeats {}): \
             run without --resume to start again",
            path.display(),
            theirs.commit,
            theirs.mode,
            theirs.seed,
            theirs.configs,
            theirs.points,
            theirs.repeats,
            header.commit,
            header.mode,
            header.seed,
            header.configs,
            header.points,
            header.repeats
        );
    }
    let mut done = BTreeMap::new();
    for line in lines {
        let line = line?;
        // The last line may be cut short by the crash the journal is for: skip it.
        if let Ok(l) = serde_json::from_str::<Line>(&line) {
            done.insert(l.name, l.run);
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Shape;

    fn header(commit: &str) -> Header {
        Header {
            commit: commit.into(),
            mode: "full".into(),
            seed: 42,
            configs: vec!["noop".into(), "otel-100".into()],
            points: vec!["embedded".into()],
            repeats: 10,
        }
    }

    fn run(rps: f64) -> LoadRun {
        LoadRun {
            point: "embedded".into(),
            config: "noop".into(),
            shape: Shape::Closed { concurrency: 16 },
            repeat: 0,
            duration_s: 10.0,
            requests: 100,
            unexpected: 0,
            throughput_rps: rps,
            latency: Default::default(),
            processes: Vec::new(),
            stats: Default::default(),
            wire: Vec::new(),
            late_sends: 0,
            cpu_load: Default::default(),
            loadgen_saturated: false,
        }
    }

    #[test]
    fn a_resume_reads_back_the_runs_and_skips_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &header("abc"), false).unwrap();
        j.record("embedded-noop-closed16-r0", &run(1000.0)).unwrap();
        j.record("embedded-noop-closed16-r1", &run(1100.0)).unwrap();
        drop(j);
        // A crash in the middle of a write.
        let mut f = OpenOptions::new()
            .append(true)
            .open(path(dir.path(), "full"))
            .unwrap();
        write!(f, "{{\"name\":\"embedded-noop-clo").unwrap();
        drop(f);

        let j = Journal::open(dir.path(), &header("abc"), true).unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!(
            j.get("embedded-noop-closed16-r1").unwrap().throughput_rps,
            1100.0
        );
        assert!(j.get("embedded-noop-closed16-r2").is_none());
    }

    #[test]
    fn a_resume_refuses_runs_of_another_commit_and_a_new_run_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &header("abc"), false).unwrap();
        j.record("embedded-noop-closed16-r0", &run(1000.0)).unwrap();
        drop(j);
        let err = Journal::open(dir.path(), &header("def-dirty"), true)
            .err()
            .expect("another commit");
        assert!(err.to_string().contains("run without --resume"), "{err}");
        let j = Journal::open(dir.path(), &header("def-dirty"), false).unwrap();
        assert!(j.is_empty());
        drop(j);
        let j = Journal::open(dir.path(), &header("def-dirty"), true).unwrap();
        assert!(j.is_empty());
    }
}
