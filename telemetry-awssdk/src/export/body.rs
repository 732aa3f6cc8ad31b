//! A request body the exporter serialises itself, put in place of the one
//! the SDK wrote, for the two calls that carry JSON inside JSON.
//!
//! A segment document (`PutTraceSegments`) and a log line (`PutLogEvents`)
//! are JSON texts sent as JSON *strings*, so every quote in them is escaped
//! on the way out. The SDK's serialiser (`aws-smithy-json`) escapes byte by
//! byte into a buffer it then has to grow; `serde_json` copies the runs
//! between escapes in bulk. In `make profile` the SDK's escaping was the
//! largest single function of the `awssdk` build's export thread: 182 of
//! its 655 samples, about 20 µs per request, 161 of them for the ~5 KiB of
//! segment documents a request makes.
//!
//! So the exporter serialises the call's input with `serde_json` once per
//! batch, gives the SDK an empty list (its serialiser then has nothing to
//! escape), and swaps the body in with the SDK's own per-call hook,
//! `customize().mutate_request(..)`, which runs before the request is
//! signed. Everything else stays the SDK's: endpoint, signing, sending, the
//! answer and its errors. Each attempt reuses the same bytes (before, a
//! retry copied the input again). The JSON is the same as the SDK's, as a
//! test in `traces` and in `logs` shows by serialising both ways.

use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use serde::Serialize;

/// A serialised JSON body, shared by every attempt of one call.
pub struct JsonBody {
    bytes: SdkBody,
    len: usize,
}

impl JsonBody {
    /// Serialises `input` (the call's input, with the service's member
    /// names).
    pub fn new(input: &impl Serialize) -> JsonBody {
        // The inputs are strings, numbers and lists: serialising cannot fail.
        let json = serde_json::to_vec(input).unwrap_or_else(|_| b"{}".to_vec());
        JsonBody {
            len: json.len(),
            bytes: SdkBody::from(json),
        }
    }

    /// Puts this body, and its length, in place of the SDK's.
    pub fn install(&self, request: &mut Request) {
        if let Some(bytes) = self.bytes.try_clone() {
            *request.body_mut() = bytes;
            request
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, self.len.to_string());
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.bytes().unwrap_or_default()
    }
}

/// For tests: a hook for `mutate_request` that keeps the body the SDK
/// wrote, and a config whose calls fail at once (a closed port, one
/// attempt), so a test can compare the SDK's JSON with [`JsonBody`]'s.
#[cfg(test)]
pub mod sdk_json {
    use std::sync::{Arc, Mutex};

    use super::Request;

    pub type Seen = Arc<Mutex<Vec<u8>>>;

    /// The hook, and where it puts the body.
    pub fn capture() -> (Seen, impl Fn(&mut Request) + Send + Sync + 'static) {
        let seen = Seen::default();
        let hook = {
            let seen = seen.clone();
            move |request: &mut Request| {
                let body = request.body().bytes().unwrap_or_default().to_vec();
                *seen.lock().unwrap() = body;
            }
        };
        (seen, hook)
    }

    /// Region, static credentials, an endpoint nobody listens on, no retries.
    pub fn config() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_xray::config::SharedCredentialsProvider::new(
                aws_sdk_xray::config::Credentials::new("AKIDTEST", "secret", None, None, "test"),
            ))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build()
    }
}
