//! A fault-injecting pass-through (in the style of toxiproxy) that sits in
//! front of the *real* emulators: it forwards every request unchanged, and
//! on demand delays it, answers 503 instead, or answers with the service's
//! own throttling error. It never invents a successful answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What the pass-through does to each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward unchanged.
    None,
    /// Wait this long, then forward (the client's attempt timeout is shorter).
    Slow(Duration),
    /// Answer 503 Service Unavailable without forwarding.
    Unavailable,
    /// Answer with the AWS throttling error of the protocol in use.
    Throttle,
}

#[derive(Clone)]
struct Shared {
    target: String,
    fault: Arc<Mutex<Fault>>,
    client: reqwest::Client,
}

/// A running pass-through.
pub struct Chaos {
    pub url: String,
    fault: Arc<Mutex<Fault>>,
}

impl Chaos {
    /// Starts a pass-through to `target` (e.g. `http://127.0.0.1:4566`).
    pub async fn start(target: &str) -> Chaos {
        let fault = Arc::new(Mutex::new(Fault::None));
        let shared = Shared {
            target: target.trim_end_matches('/').to_owned(),
            fault: fault.clone(),
            client: reqwest::Client::new(),
        };
        let app = axum::Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Chaos { url, fault }
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }
}

async fn forward(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = *s.fault.lock().unwrap();
    match fault {
        Fault::Unavailable => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Fault::Throttle => return throttled(&headers),
        Fault::Slow(d) => tokio::time::sleep(d).await,
        Fault::None => {}
    }
    otlp_capture::passthrough::forward(&s.client, &s.target, method, &uri, &headers, body, &[])
        .await
}

/// The throttling answer each AWS protocol defines: X-Ray (REST-JSON) a
/// 429 with `x-amzn-errortype`; CloudWatch Logs (JSON 1.1) a 400 with
/// `__type`; CloudWatch (RPC v2 CBOR) gets a 503 here, which its SDK also
/// classifies as retryable.
fn throttled(headers: &HeaderMap) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if target.starts_with("Logs_") {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
            .into_response();
    }
    if headers.contains_key("smithy-protocol") {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("content-type", "application/json"),
            ("x-amzn-errortype", "ThrottledException"),
        ],
        r#"{"message":"Rate exceeded"}"#,
    )
        .into_response()
}
