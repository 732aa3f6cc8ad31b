//! LocalStack dies in the middle of a stream of orders and comes back
//! without its state (the open-source LocalStack keeps none across a
//! restart: the bus, queues, topics and the SES identity are gone). Every
//! order still gets exactly one confirmation mail: checkouts keep working,
//! the outbox keeps the events and retries, the shop provisions the
//! resources again, and events the restarted emulator swallowed (it accepts
//! `PutEvents` for a bus that does not exist) are published again when no
//! consumer acknowledged them.
//!
//! This test runs a LocalStack of its own (the lab script with a private
//! state directory and port), so killing it disturbs no other test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, TempDir};
use crate::support::*;

struct PrivateLocalStack {
    state: TempDir,
    port: u16,
}

impl PrivateLocalStack {
    fn new() -> PrivateLocalStack {
        PrivateLocalStack {
            state: TempDir::new(),
            port: common::free_port(),
        }
    }

    fn script(&self, verb: &str) {
        let out = Command::new(common::repo_root().join("scripts/lab/localstack.sh"))
            .arg(verb)
            .env("SHOP_LAB_STATE", self.state.path())
            .env("SHOP_LAB_LOCALSTACK_PORT", self.port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "localstack.sh {verb}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Kills it the hard way (a crash, not a stop: nothing is cleaned up).
    fn kill(&self) {
        let pid = std::fs::read_to_string(self.state.path().join("run/localstack.pid"))
            .expect("the pid file");
        let pid = pid.trim();
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{pid}")])
            .status();
        let _ = Command::new("kill").args(["-9", pid]).status();
        for _ in 0..50 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("LocalStack (pid {pid}) did not die");
    }

    /// Where LocalStack writes each sent mail as JSON (its SES
    /// "retrospection" files; a new instance clears the folder as it starts).
    fn ses_dir(&self) -> PathBuf {
        self.state
            .path()
            .join("localstack/tmp/localstack/state/ses")
    }

    /// Every mail in the SES folder, by SES message id.
    fn mails(&self) -> BTreeMap<String, Value> {
        let Ok(dir) = std::fs::read_dir(self.ses_dir()) else {
            return BTreeMap::new();
        };
        dir.filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
            .map(|m| (m["Id"].as_str().unwrap_or_default().to_owned(), m))
            .collect()
    }
}

impl Drop for PrivateLocalStack {
    fn drop(&mut self) {
        let _ = Command::new(common::repo_root().join("scripts/lab/localstack.sh"))
            .arg("stop")
            .env("SHOP_LAB_STATE", self.state.path())
            .env("SHOP_LAB_LOCALSTACK_PORT", self.port.to_string())
            .output();
    }
}

/// Confirmation mails by recipient.
fn confirmations(mails: &BTreeMap<String, Value>) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    for m in mails.values() {
        if !m["Subject"]
            .as_str()
            .unwrap_or_default()
            .ends_with("is confirmed")
        {
            continue;
        }
        for to in m["Destination"]["ToAddresses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            *by.entry(to.as_str().unwrap_or_default().to_owned())
                .or_insert(0) += 1;
        }
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_gets_exactly_one_confirmation_across_a_localstack_crash_and_restart() {
    let ls = PrivateLocalStack::new();
    ls.script("start");
    let mut events = lab_events();
    events.aws.endpoint = Some(format!("http://127.0.0.1:{}", ls.port));
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.events = Some(events);
    let app = spawn_with(opts).await;

    let run = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
    let mut orders = Vec::new();
    let mut place = async |n: usize| {
        let email = format!("stream-{run}-{n}@example.com");
        let cart = app.create_cart().await;
        // Products with plenty of stock (the seed sells out every 12th, and keeps every 12th + 5 low).
        let product = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11][n % 10];
        expect_json(app.add_item(&cart, product, 1).await, 201).await;
        let mut body = order_body(&cart);
        body["email"] = serde_json::json!(email);
        // The shop answers as usual whatever LocalStack is doing.
        expect_json(app.checkout(&format!("stream-{run}-{n}"), &body).await, 201).await;
        email
    };

    // Ten orders while everything is up; their mails go out.
    for n in 0..10 {
        orders.push(place(n).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut caught_up = false;
    for _ in 0..300 {
        if confirmations(&ls.mails()).len() == orders.len() {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "the first ten confirmations went out");

    // The crash: taken when no mail is being sent. SES has no idempotency key,
    // so a crash between SES keeping a mail and the worker hearing so is the
    // one moment a mail can go out twice (docs/events.md, "Delivery").
    ls.kill();
    let before_crash = ls.mails();
    for n in 10..20 {
        orders.push(place(n).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE topic = 'order.placed' AND published_at IS NULL",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(
        pending >= 5,
        "the outbox keeps what the bus could not take ({pending})"
    );

    // Back, empty.
    ls.script("start");
    for n in 20..30 {
        orders.push(place(n).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Every order gets its mail (the acknowledgement timeout is 5 s here).
    let expected: BTreeSet<String> = orders.iter().cloned().collect();
    let mut all = before_crash.clone();
    for _ in 0..900 {
        all.extend(ls.mails());
        let got: BTreeSet<String> = confirmations(&all).into_keys().collect();
        if got.is_superset(&expected) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And nothing more arrives: wait past another acknowledgement timeout.
    tokio::time::sleep(Duration::from_secs(7)).await;
    all.extend(ls.mails());
    let by = confirmations(&all);
    let missing: Vec<&String> = expected.iter().filter(|e| !by.contains_key(*e)).collect();
    let doubled: Vec<(&String, &usize)> = by.iter().filter(|(_, n)| **n > 1).collect();
    let stats: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(CASE WHEN acked_at IS NOT NULL THEN 1 END), COALESCE(SUM(republished), 0) \
         FROM outbox WHERE topic = 'order.placed'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    eprintln!(
        "order.placed events: {} written, {} acknowledged, {} republications",
        stats.0, stats.1, stats.2
    );
    assert!(
        missing.is_empty(),
        "no mail for {missing:?} (outbox placed/acked/republished: {stats:?})"
    );
    assert!(doubled.is_empty(), "two mails for {doubled:?}");
    assert_eq!(by.len(), 30);
    assert_eq!(
        (stats.0, stats.1),
        (30, 30),
        "every order.placed event acknowledged"
    );
    app.stop().await;
}
