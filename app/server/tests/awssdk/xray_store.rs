//! What moto's X-Ray store keeps when several writers send the segments of
//! the same traces at once: stock moto loses some, the lab's does not
//! ([docs/lab.md](../../../../docs/lab.md#gap-moto-xray-race)).
//!
//! Stock moto (5.2.5) creates a trace's entry on its first segment without a
//! lock, and serves each request on its own thread: when two calls bring the
//! first segments of one trace together, one of them is lost although its call
//! reported nothing unprocessed. The lab starts moto through
//! `scripts/lab/moto_server.py`, which serialises that one function.
//!
//! Each test runs its own moto (the lab script, a private state directory
//! and port) with a tiny thread switch interval, so that moto's threads
//! interleave often and the race shows in seconds rather than hours.

use std::process::Command;

use aws_sdk_xray::Client;

use crate::common::{self, TempDir};

/// Concurrent writers: each sends one segment of every trace of a round.
const WRITERS: usize = 8;
/// Traces per round (one `PutTraceSegments` call per writer carries one
/// segment of each).
const TRACES_PER_ROUND: usize = 50;

/// A moto of its own, started and stopped by `scripts/lab/moto.sh`.
struct PrivateMoto {
    state: TempDir,
    port: u16,
    stock: bool,
}

impl PrivateMoto {
    fn start(stock: bool) -> PrivateMoto {
        let moto = PrivateMoto {
            state: TempDir::new(),
            port: common::free_port(),
            stock,
        };
        let out = moto.script("start");
        assert!(
            out.status.success(),
            "moto.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        moto
    }

    fn script(&self, verb: &str) -> std::process::Output {
        Command::new(common::repo_root().join("scripts/lab/moto.sh"))
            .arg(verb)
            .env("SHOP_LAB_STATE", self.state.path())
            .env("SHOP_LAB_MOTO_PORT", self.port.to_string())
            .env("SHOP_LAB_MOTO_STOCK", if self.stock { "1" } else { "0" })
            .env("SHOP_LAB_MOTO_SWITCH_INTERVAL", "0.000001")
            .output()
            .unwrap()
    }

    fn client(&self) -> Client {
        Client::from_conf(
            aws_sdk_xray::Config::builder()
                .behavior_version(aws_sdk_xray::config::BehaviorVersion::latest())
                .region(aws_sdk_xray::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_xray::config::Credentials::new(
                    "test", "test", None, None, "lab",
                ))
                .endpoint_url(format!("http://127.0.0.1:{}", self.port))
                .build(),
        )
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.script("stop");
    }
}

/// One round: fresh traces, every writer sends its segment of each at the
/// same moment. Returns the segments moto accepted (its answers listed none
/// as unprocessed) and the segments it returns from `BatchGetTraces`.
async fn round(client: &Client, round: usize) -> (usize, usize) {
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let traces: Vec<String> = (0..TRACES_PER_ROUND)
        .map(|i| format!("1-{epoch:08x}-{round:012x}{i:012x}"))
        .collect();
    let start = epoch as f64;
    let mut calls = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let docs: Vec<String> = traces
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": format!("writer-{w}"),
                    "id": format!("{:016x}", w + 1),
                    "trace_id": t,
                    "start_time": start + w as f64 * 0.001,
                    "end_time": start + 0.1,
                })
                .to_string()
            })
            .collect();
        let call = client
            .put_trace_segments()
            .set_trace_segment_documents(Some(docs));
        calls.spawn(call.send());
    }
    let mut accepted = 0;
    while let Some(answer) = calls.join_next().await {
        let answer = answer.unwrap().expect("PutTraceSegments");
        assert!(
            answer.unprocessed_trace_segments().is_empty(),
            "moto refused segments: {:?}",
            answer.unprocessed_trace_segments()
        );
        accepted += TRACES_PER_ROUND;
    }
    let mut stored = 0;
    for ids in traces.chunks(5) {
        let got = client
            .batch_get_traces()
            .set_trace_ids(Some(ids.to_vec()))
            .send()
            .await
            .expect("BatchGetTraces");
        stored += got
            .traces()
            .iter()
            .map(|t| t.segments().len())
            .sum::<usize>();
    }
    (accepted, stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_motos_xray_loses_segments_that_concurrent_writers_sent_and_the_labs_keeps_them() {
    // Stock moto: rounds until a segment it accepted is missing. One round
    // in 30 to 300 loses one here (it depends on how busy the machine is);
    // 2000 rounds without a loss would mean the race is gone (a newer moto),
    // and this gap can be closed.
    let stock = PrivateMoto::start(true);
    let client = stock.client();
    let mut lost_in_stock = None;
    for r in 0..2000 {
        let (accepted, stored) = round(&client, r).await;
        assert!(stored <= accepted, "round {r}: {stored} > {accepted}");
        if stored < accepted {
            lost_in_stock = Some((r + 1, accepted - stored));
            break;
        }
    }
    drop(stock);
    let (rounds, lost) = lost_in_stock.expect(
        "stock moto kept every segment of 2000 rounds of concurrent writers: \
         the race of docs/lab.md#gap-moto-xray-race may be fixed upstream",
    );
    eprintln!("stock moto lost {lost} segment(s) in round {rounds}");

    // The lab's moto, same writers: nothing lost over 300 rounds (more than
    // stock moto needed to lose one in the runs recorded in docs/lab.md).
    let lab = PrivateMoto::start(false);
    let client = lab.client();
    let (mut accepted, mut stored) = (0, 0);
    for r in 0..300 {
        let (a, s) = round(&client, r).await;
        accepted += a;
        stored += s;
    }
    assert_eq!(
        stored,
        accepted,
        "the lab's moto lost {} of {accepted} segments",
        accepted - stored
    );
}
