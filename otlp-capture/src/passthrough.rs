//! A WORKAROUND for a collector bug, not part of any real pipeline: a
//! pass-through that forwards every request to an upstream URL **without its
//! `content-encoding` header**.
//!
//! Why: rotel 0.0.1a15's AWS X-Ray exporter sends `PutTraceSegments` with
//! `content-encoding: gzip` over an *uncompressed* JSON body. moto (the lab's
//! X-Ray) believes the header, fails to gunzip and answers 500, and rotel
//! retries forever (measured; see `scripts/lab/README.md`). Real X-Ray is
//! not in the lab, so whether it tolerates the same request is unknown.
//! Dropping the header makes the request honest again; moto does not check
//! SigV4 signatures, so the now-stale `SignedHeaders` do not matter there
//! (they would against real AWS: never put this in front of AWS).
//!
//! Everything else (method, path, query, other headers, body) is forwarded
//! as is, and the upstream answer is returned as is.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
}

/// Routes that forward everything to `upstream` (e.g. `http://127.0.0.1:5000`).
pub fn router(upstream: &str) -> Router {
    // Never a lower limit than the receivers it stands in front of.
    Router::new()
        .fallback(handle)
        .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .with_state(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        })
}

async fn handle(
    State(up): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The workaround: drop `content-encoding`.
    forward(
        &up.client,
        &up.base,
        method,
        &uri,
        &headers,
        body,
        &[header::CONTENT_ENCODING],
    )
    .await
}

/// Forwards one request to `base` followed by its path and query, with its
/// headers except those in `skip` (and `host`/`content-length`, which the
/// client recomputes), and returns the upstream's answer as it came; a 502
/// naming the error when the upstream cannot be reached or read. Shared by
/// this workaround, the experiments' counting pass-through and the awssdk
/// tests' fault injector.
pub async fn forward(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    skip: &[HeaderName],
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = client.request(method, format!("{base}{path}"));
    for (name, value) in headers {
        if name == header::HOST || name == header::CONTENT_LENGTH || skip.contains(name) {
            continue;
        }
        request = request.header(name, value);
    }
    match request.body(body).send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut out = HeaderMap::new();
            for (name, value) in answer.headers() {
                if name != header::TRANSFER_ENCODING && name != header::CONTENT_LENGTH {
                    out.append(name, value.clone());
                }
            }
            match answer.bytes().await {
                Ok(bytes) => (status, out, bytes).into_response(),
                Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
            }
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
