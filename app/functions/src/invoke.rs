//! Invoking a function through the real Lambda Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`) with `aws-sdk-lambda`:
//! AWS Lambda, or in the lab `cargo lambda watch`, whose address is the
//! endpoint (`AWS_ENDPOINT_URL_LAMBDA`, as `scripts/lab/cargo-lambda.sh env`
//! prints it).
//!
//! The caller's trace context goes three ways ([`Invoker::invoke`]):
//!
//! - the `X-Amzn-Trace-Id` header of the Invoke request, when the fields
//!   hold one: Lambda continues it as the invocation's `_X_AMZN_TRACE_ID`;
//! - the Invoke API's `ClientContext` (base64 JSON, `custom` = the fields):
//!   Lambda hands it to the function decoded;
//! - unless [`Carriers::lab`] is off, the event's top-level member
//!   [`crate::carrier::EVENT_MEMBER`]: `cargo lambda watch` 1.9.2 gives the
//!   function a fresh trace header and ignores `ClientContext`
//!   (docs/functions.md), so in the lab only the event gets it through.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use crate::carrier::{EVENT_MEMBER, Fields};

/// A Lambda client.
#[derive(Debug, Clone)]
pub struct Invoker {
    client: aws_sdk_lambda::Client,
}

/// Which carriers an invocation uses for the trace context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carriers {
    /// `X-Amzn-Trace-Id` on the Invoke request (when the fields have one).
    pub trace_header: bool,
    /// The Invoke API's `ClientContext`.
    pub client_context: bool,
    /// The lab's member of the event.
    pub lab: bool,
}

impl Carriers {
    /// All three: what the lab's invokers use.
    pub const ALL: Carriers = Carriers {
        trace_header: true,
        client_context: true,
        lab: true,
    };
    /// Only what AWS Lambda reads: the header and the client context.
    pub const AWS: Carriers = Carriers {
        trace_header: true,
        client_context: true,
        lab: false,
    };
}

/// What an invocation answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: i32,
    /// Set when the function failed (`Unhandled`); the payload then holds
    /// `errorType` and `errorMessage`.
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
}

impl Answer {
    /// The payload as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload).unwrap_or(Value::Null)
    }

    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status) && self.function_error.is_none()
    }
}

/// Why an invocation could not be made (the function's own failure is an
/// [`Answer`] with `function_error`).
#[derive(Debug, thiserror::Error)]
#[error("Lambda Invoke of {function}: {message}")]
pub struct InvokeError {
    pub function: String,
    pub message: String,
}

impl Invoker {
    /// A client from the AWS SDK's chain (region, credentials,
    /// `AWS_ENDPOINT_URL_LAMBDA`), or `endpoint` when given.
    pub async fn from_env(endpoint: Option<&str>) -> Invoker {
        // Bounded like every outbound call (docs/resilience.md): generous,
        // since the first invocation of a function may wait for its cold start.
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(3))
                    .operation_attempt_timeout(std::time::Duration::from_secs(120))
                    .build(),
            )
            .load()
            .await;
        let mut config = aws_sdk_lambda::config::Builder::from(&sdk);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Invoker {
            client: aws_sdk_lambda::Client::from_conf(config.build()),
        }
    }

    pub fn new(client: aws_sdk_lambda::Client) -> Invoker {
        Invoker { client }
    }

    /// Invokes `function` synchronously (`RequestResponse`) with `event`,
    /// the trace context in `fields` put into the `carriers` chosen.
    pub async fn invoke(
        &self,
        function: &str,
        mut event: Value,
        fields: &Fields,
        carriers: Carriers,
    ) -> Result<Answer, InvokeError> {
        if carriers.lab
            && !fields.is_empty()
            && let Some(object) = event.as_object_mut()
        {
            object.insert(
                EVENT_MEMBER.to_owned(),
                serde_json::to_value(&fields.0).unwrap_or_default(),
            );
        }
        let mut request = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(event.to_string()));
        if carriers.client_context && !fields.is_empty() {
            request = request.client_context(fields.client_context());
        }
        let header = fields
            .xray_header()
            .filter(|_| carriers.trace_header)
            .map(str::to_owned);
        let sent = request
            .customize()
            .mutate_request(move |r| {
                if let Some(h) = &header {
                    r.headers_mut().insert("X-Amzn-Trace-Id", h.clone());
                }
            })
            .send()
            .await
            .map_err(|e| InvokeError {
                function: function.to_owned(),
                message: aws_sdk_lambda::error::DisplayErrorContext(e).to_string(),
            })?;
        Ok(Answer {
            status: sent.status_code(),
            function_error: sent.function_error().map(str::to_owned),
            payload: sent
                .payload()
                .map(|p| p.as_ref().to_vec())
                .unwrap_or_default(),
        })
    }
}
