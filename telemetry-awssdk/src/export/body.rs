//! Request bodies the exporter serialises itself, put in place of the one
//! the SDK wrote, for the two calls that carry JSON inside JSON.
//!
//! A segment document (`PutTraceSegments`) and a log line (`PutLogEvents`)
//! are JSON texts sent as JSON *strings*, so every quote in them is escaped
//! again on the way out. The SDK's serialiser (`aws-smithy-json`) escapes
//! byte by byte into a buffer it then has to grow. In `make profile` that
//! was the largest single function of the `awssdk` build's export thread:
//! 182 of its 655 samples, about 20 µs per request, 161 of them for the
//! ~5 KiB of segment documents a request makes.
//!
//! - Log lines: the call's input is serialised by `serde_json`
//!   ([`JsonBody::new`]), which copies the runs between escapes in bulk.
//! - Segment documents: that alone took the escaping from 176 to 115
//!   samples (a document has a quote every few bytes, so the runs are
//!   short). So the worker writes each document already escaped, in the
//!   same pass that writes it ([`InString`], a `serde_json` formatter), and
//!   only frames them (`traces::put_body`).
//!
//! The SDK is given an empty list (its serialiser then has nothing to
//! escape), and the body is swapped in with the SDK's own per-call hook,
//! `customize().mutate_request(..)`, which runs before the request is
//! signed. Everything else stays the SDK's: endpoint, signing, sending, the
//! answer and its errors. Each attempt reuses the same bytes (before, a
//! retry copied the input again). Tests in `traces` and `logs` serialise
//! the same input both ways and compare.

use std::io::{self, Write};

use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use serde::Serialize;

/// A serialised JSON body, shared by every attempt of one call.
pub struct JsonBody(SdkBody);

impl JsonBody {
    /// Serialises `input` (the call's input, with the service's member
    /// names).
    pub fn new(input: &impl Serialize) -> JsonBody {
        // The inputs are strings, numbers and lists: serialising cannot fail.
        JsonBody::from_json(serde_json::to_vec(input).unwrap_or_else(|_| b"{}".to_vec()))
    }

    /// A body already serialised.
    pub fn from_json(json: Vec<u8>) -> JsonBody {
        JsonBody(SdkBody::from(json))
    }

    /// Puts this body, and its length, in place of the SDK's.
    pub fn install(&self, request: &mut Request) {
        if let Some(body) = self.0.try_clone() {
            let len = self.bytes().len().to_string();
            *request.body_mut() = body;
            request
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, len);
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.0.bytes().unwrap_or_default()
    }
}

/// A `serde_json` formatter that writes a value as the *contents of a JSON
/// string*: what `serde_json::to_string` would write, escaped again, in one
/// pass. So a segment document goes into `PutTraceSegments`' list of
/// strings without being written first and escaped afterwards.
///
/// `serde_json` hands a formatter every piece of its output: the runs of
/// string contents that need no escape (`write_string_fragment`, copied as
/// they are; they hold no quote, backslash or control character), the
/// escapes (`write_char_escape`), the quotes around strings and the
/// punctuation and numbers (which need no escaping). Only the quotes and
/// the escapes change: `"` is written `\"`, and an escape `\n` is written
/// `\\n`. `added` counts the bytes this adds, so the caller knows the
/// length of the text itself (X-Ray's 64 KB limit is on the document).
pub struct InString<'a> {
    added: &'a mut usize,
}

impl<'a> InString<'a> {
    /// A formatter that adds the bytes it adds to `added`.
    pub fn new(added: &'a mut usize) -> InString<'a> {
        InString { added }
    }
}

impl serde_json::ser::Formatter for InString<'_> {
    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        *self.added += 1;
        writer.write_all(b"\\\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        *self.added += 1;
        writer.write_all(b"\\\"")
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape::*;
        // The escape as JSON text writes it (`\n`, `\"`, `\u001f`), with its
        // backslash escaped, and the quote or backslash after it too.
        let escaped: &[u8] = match char_escape {
            Quote => b"\\\\\\\"",
            ReverseSolidus => b"\\\\\\\\",
            Solidus => b"\\\\/",
            Backspace => b"\\\\b",
            FormFeed => b"\\\\f",
            LineFeed => b"\\\\n",
            CarriageReturn => b"\\\\r",
            Tab => b"\\\\t",
            AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                *self.added += 1;
                return writer.write_all(&[
                    b'\\',
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ]);
            }
        };
        // JSON text writes each of these escapes in two bytes.
        *self.added += escaped.len() - 2;
        writer.write_all(escaped)
    }

    fn write_raw_fragment<W: ?Sized + Write>(&mut self, _: &mut W, _: &str) -> io::Result<()> {
        // Raw JSON would need a pass of its own; documents have none.
        Err(io::Error::other(
            "raw JSON values are not written in a string",
        ))
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

    /// The JSON the SDK wrote, once its call has `failed` (as it must: nobody listens).
    pub fn written(seen: &Seen, failed: bool) -> serde_json::Value {
        assert!(failed, "nobody listens on the test endpoint");
        serde_json::from_slice(&seen.lock().unwrap()).expect("the SDK wrote JSON")
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
