//! Session replay's intake (`POST /api/rum/v1/replay`) and its read-back
//! (`GET /api/lab/sessions/{id}/replay`), with the recordings kept in the
//! lab's LocalStack S3: chunks stored and read back in order, what a shopper
//! typed masked by the intake when the recorder did not, malformed chunks
//! refused naming the field, and the feature off unless a bucket is set.

use serde_json::{Value, json};

use crate::support::*;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A shop that records (the lab's S3, a bucket of its own) and reads back (a capture store
/// nobody listens on: the replay needs read-back on, not the store).
async fn recording_shop() -> TestApp {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.rum.replay = Some(lab_images());
    spawn.rum.replay_sample_ratio = 1.0;
    spawn.readback.capture = Some("http://127.0.0.1:9".to_owned());
    spawn_with(spawn).await
}

async fn send(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/rum/v1/replay"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_is_kept_in_chunks_masked_and_read_back_in_order() {
    let app = recording_shop().await;
    let config = app.get_json("/api/rum/config", 200).await;
    assert_eq!(
        config["replay"],
        json!({"enabled": true, "sample_ratio": 1.0, "endpoint": "/api/rum/v1/replay"}),
        "{config}"
    );
    let session = format!("{:032x}", rand::random::<u128>());
    let t = now_ms();
    // The second chunk arrives first: the read-back orders by time.
    let second = json!({"session_id": session, "sequence": 1, "events": [
        {"type": 3, "timestamp": t + 20, "data": {"source": 5, "id": 7, "text": "ann@example.com"}},
    ]});
    let first = json!({"session_id": session, "sequence": 0, "events": [
        {"type": 4, "timestamp": t, "data": {"href": "http://shop/product/?id=3", "width": 1280, "height": 720}},
        {"type": 2, "timestamp": t + 1, "data": {"node": {"type": 0, "id": 1, "childNodes": []}, "initialOffset": {"top": 0, "left": 0}}},
    ]});
    let r = send(&app, &second).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"events": 1, "masked_by_intake": 1}),
        "the typed address was not masked by the recorder: the intake did it"
    );
    let r = send(&app, &first).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"events": 2, "masked_by_intake": 0})
    );
    // Sent again (a retry): it replaces itself.
    assert_eq!(send(&app, &first).await.status(), 200);

    let replay = app
        .get_json(&format!("/api/lab/sessions/{session}/replay"), 200)
        .await;
    assert_eq!(replay["chunks"], 2, "{replay:#}");
    let types: Vec<i64> = replay["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_i64().unwrap())
        .collect();
    assert_eq!(types, [4, 2, 3], "meta, full snapshot, then the input");
    assert_eq!(replay["events"][2]["data"]["text"], "*".repeat(15));
    assert!(!replay.to_string().contains("ann@example.com"));
    assert!(
        replay["command"]
            .as_str()
            .unwrap()
            .starts_with("aws s3 ls s3://shop-test-"),
        "{replay}"
    );
    // A session with no recording: none, not an error.
    let none = app.get_json("/api/lab/sessions/nobody/replay", 200).await;
    assert_eq!(
        (none["chunks"].clone(), none["events"].clone()),
        (json!(0), json!([]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_chunks_are_refused_naming_the_field_and_nothing_is_kept() {
    let app = recording_shop().await;
    let t = now_ms();
    let ok_event = json!({"type": 2, "timestamp": t, "data": {}});
    for (body, field) in [
        (
            json!({"session_id": "a b", "sequence": 0, "events": [ok_event]}),
            "session_id",
        ),
        (
            json!({"session_id": "tab", "sequence": 100_001, "events": [ok_event]}),
            "sequence",
        ),
        (
            json!({"session_id": "tab", "sequence": 0, "events": []}),
            "events",
        ),
        (
            json!({"session_id": "tab", "sequence": 0, "events": [{"type": 2, "data": {}}]}),
            "events[0].timestamp",
        ),
        (
            json!({"session_id": "tab", "sequence": 0, "events": [ok_event, {"type": 42, "timestamp": t, "data": {}}]}),
            "events[1].type",
        ),
    ] {
        let r = send(&app, &body).await;
        assert_eq!(r.status(), 400, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    // Not a chunk at all, an unknown field, the wrong media type, too large.
    for body in [
        json!([1, 2]),
        json!({"session_id": "tab", "sequence": 0, "events": [ok_event], "user": "ann"}),
    ] {
        let r = send(&app, &body).await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "invalid_replay"
        );
    }
    let r = app
        .client
        .post(app.url("/api/rum/v1/replay"))
        .header("content-type", "application/xml")
        .body("<events/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let huge = json!({"session_id": "tab", "sequence": 0, "events": [
        {"type": 5, "timestamp": t, "data": {"payload": "x".repeat(2 * 1024 * 1024)}}]});
    assert_eq!(send(&app, &huge).await.status(), 413);
    // Nothing of the refused chunks was kept.
    let replay = app.get_json("/api/lab/sessions/tab/replay", 200).await;
    assert_eq!(replay["chunks"], 0, "{replay}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_is_off_unless_a_bucket_is_configured() {
    let app = spawn_app(DbKind::Sqlite).await;
    let config = app.get_json("/api/rum/config", 200).await;
    assert_eq!(config["replay"]["enabled"], false, "{config}");
    let r = send(
        &app,
        &json!({"session_id": "tab", "sequence": 0, "events": [{"type": 2, "timestamp": now_ms(), "data": {}}]}),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "replay_off"
    );
}
