//! Where an invocation's trace comes from (docs/functions.md, "The
//! trace-header gap"):
//!
//! - **the gap**: invoked through the real Invoke API with the caller's
//!   `X-Amzn-Trace-Id` and a `ClientContext` carrying it, a function under
//!   `cargo lambda watch` 1.9.2 gets a fresh Root in `_X_AMZN_TRACE_ID` and
//!   no client context at all;
//! - **the lab's carrier**: the same context in the event's member
//!   (`shopTraceContext`) gets through, and the function's segment is in
//!   X-Ray under the caller's trace id, its parent the caller's segment;
//! - **what Lambda does**: run in-process with the runtime API's headers
//!   as Lambda sends them (`Lambda-Runtime-Trace-Id` = the caller's header
//!   continued, `Lambda-Runtime-Client-Context` = the decoded JSON), the
//!   same function code continues the caller's trace from either. These
//!   run in a child process of this test binary (the function installs its
//!   telemetry process-wide and reads the environment).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};
use shop_functions::carrier::Fields;
use shop_functions::invoke::{Carriers, Invoker};

use crate::common::{self, Watch};
use crate::lab;

/// An S3 notification for `key` in `bucket`, as S3 sends it.
fn s3_event(bucket: &str, key: &str) -> Value {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-02T14:13:50.670Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": key, "size": 1}}}]})
}

async fn put_original(env: &BTreeMap<String, String>, bucket: &str, key: &str) {
    common::s3(env)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(common::jpeg(320, 200)))
        .send()
        .await
        .unwrap();
}

fn segment_of<'a>(docs: &'a [Value], name: &str, trace: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name} segment in trace {trace}: {docs:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_lambda_watch_gives_a_fresh_root_and_drops_the_client_context_but_the_event_member_gets_through()
 {
    let env = common::emulators();
    let bucket = lab::bucket(&env).await;
    put_original(&env, &bucket, "originals/products/3/a.jpg").await;
    let watch = Watch::start();
    let mut function = lab::image_resize(&watch, &env, "fn-test-gap", &bucket);
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &env));
    let event = s3_event(&bucket, "originals/products/3/a.jpg");

    // 1. What AWS Lambda reads: the X-Amzn-Trace-Id header and the client context.
    let (header, root, _) = common::caller_trace_header();
    let fields = Fields::new().with("x-amzn-trace-id", header.clone());
    let answer = invoker
        .invoke("image-resize", event.clone(), &fields, Carriers::AWS)
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?}",
        String::from_utf8_lossy(&answer.payload)
    );
    let invocation = &answer.json()["invocation"];
    let given = invocation["lambda_trace_header"]
        .as_str()
        .expect("cargo lambda sets a trace header");
    assert!(given.starts_with("Root=1-"), "{given}");
    assert!(
        !given.contains(&root),
        "cargo lambda watch passed the caller's Root on: {given}"
    );
    // No client context reached the function, so the fresh Root is its trace.
    assert_eq!(
        invocation["trace_source"], "lambda_trace_header",
        "{invocation}"
    );
    assert_eq!(
        invocation["trace_id"].as_str(),
        given
            .strip_prefix("Root=")
            .and_then(|r| r.split(';').next())
    );

    // 2. The lab's carrier: the same context also in the event.
    let (header, root, parent) = common::caller_trace_header();
    let fields = Fields::new().with("x-amzn-trace-id", header);
    let answer = invoker
        .invoke("image-resize", event, &fields, Carriers::ALL)
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?}",
        String::from_utf8_lossy(&answer.payload)
    );
    let invocation = &answer.json()["invocation"];
    assert_eq!(invocation["trace_source"], "event", "{invocation}");
    assert_eq!(invocation["trace_id"], root.as_str());
    let docs = common::segments(&env, &root, Duration::from_secs(10)).await;
    let segment = segment_of(&docs, "fn-test-gap", &root);
    assert_eq!(segment["parent_id"], parent.as_str(), "{segment}");
    assert_eq!(segment["trace_id"], root.as_str());
    let names = crate::resize::subsegment_names(segment);
    assert!(names.iter().any(|n| n == "S3.GetObject"), "{names:?}");
    assert!(function.running());
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_lambdas_own_client_context_header_reaches_the_function_base64_and_stops_its_runtime()
{
    // cargo lambda watch reads a client context only from its own request header
    // `lambda-runtime-client-context` (what `cargo lambda invoke` sends), and hands it to the
    // function base64-encoded; Lambda hands it over as JSON, which is what lambda_runtime parses.
    let env = common::emulators();
    let watch = Watch::start();
    let mut function = lab::image_resize(&watch, &env, "fn-test-cc", "unused-bucket");
    let url = format!(
        "{}/2015-03-31/functions/image-resize/invocations",
        watch.endpoint()
    );
    // The answer never comes (the function is gone): not awaited.
    let post = tokio::spawn(async move {
        post_with_cargo_lambdas_client_context(
            &url,
            r#"{"custom":{"x-amzn-trace-id":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}}"#,
        )
        .await
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while function.running() {
        assert!(
            std::time::Instant::now() < deadline,
            "the function survived a base64 client context"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = function
        .wait_json(Duration::from_secs(2), |l| {
            l["message"] == "the Lambda runtime loop stopped"
        })
        .unwrap_or_else(|| panic!("{:#?}", function.lines()));
    assert!(
        stopped["error"]
            .as_str()
            .unwrap()
            .contains("expected value"),
        "{stopped}"
    );
    post.abort();
}

/// A POST with the `lambda-runtime-client-context` header, over a bare TCP
/// connection (the answer never comes: the function is gone).
async fn post_with_cargo_lambdas_client_context(url: &str, client_context: &str) {
    use tokio::io::AsyncWriteExt;
    let url = url.strip_prefix("http://").unwrap();
    let (host, path) = url.split_once('/').unwrap();
    let body = r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#;
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nlambda-runtime-client-context: {client_context}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut sink).await;
}

/// Runs the ignored test `name` of this binary in a child process with
/// `env`, and returns the JSON it prints after `INNER-RESULT `.
fn run_inner(name: &str, env: &BTreeMap<String, String>) -> Value {
    let out = common::clean_command(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .envs(env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("INNER-RESULT "))
        .unwrap_or_else(|| panic!("{name} printed no result:\n{stdout}"));
    serde_json::from_str(line).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn under_lambda_the_function_continues_the_callers_trace_from_its_trace_header_or_client_context()
 {
    let env = common::emulators();
    let bucket = lab::bucket(&env).await;
    put_original(&env, &bucket, "originals/products/5/b.jpg").await;
    for carrier in ["trace_header", "client_context"] {
        let (header, root, parent) = common::caller_trace_header();
        let mut child = lab::function_env(
            &env,
            &format!("fn-test-lambda-{carrier}"),
            &[("SHOP_IMAGES_BUCKET", &bucket)],
        );
        child.insert("SHOP_TEST_CARRIER".to_owned(), carrier.to_owned());
        child.insert("SHOP_TEST_CALLER_HEADER".to_owned(), header);
        child.insert(
            "SHOP_TEST_KEY".to_owned(),
            "originals/products/5/b.jpg".to_owned(),
        );
        let invocation = run_inner("traces::inner_invocation_as_lambda_sends_it", &child);
        let expected_source = if carrier == "trace_header" {
            "lambda_trace_header"
        } else {
            "client_context"
        };
        assert_eq!(invocation["trace_source"], expected_source, "{invocation}");
        assert_eq!(invocation["trace_id"], root.as_str(), "{invocation}");
        let docs = common::segments(&env, &root, Duration::from_secs(10)).await;
        let segment = segment_of(&docs, &format!("fn-test-lambda-{carrier}"), &root);
        assert_eq!(segment["parent_id"], parent.as_str(), "{segment}");
        assert_eq!(segment["origin"], "AWS::Lambda::Function");
    }
}

/// Not a test on its own: the child of the test above. One invocation of
/// `image-resize` in this process, its runtime-API headers as Lambda sends
/// them: `Lambda-Runtime-Trace-Id` is the caller's header continued by the
/// Lambda service (here the caller's own, as if Lambda's segment were its
/// parent), or `Lambda-Runtime-Client-Context` the invoker's client
/// context, decoded to JSON, beside a trace header of Lambda's own.
#[test]
#[ignore = "run by under_lambda_the_function_continues_the_callers_trace_from_its_trace_header_or_client_context"]
fn inner_invocation_as_lambda_sends_it() {
    use lambda_runtime::{Config, Context, LambdaEvent};
    use shop_functions::function::{Function, Trigger};
    use shop_functions::image_resize::ImageResize;

    let var = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run by the outer test"))
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let invocation = runtime.block_on(async {
        let function = Arc::new(
            Function::start("image-resize", Trigger::Datasource)
                .await
                .unwrap(),
        );
        let resize = ImageResize::from_env().await.unwrap();
        let caller = var("SHOP_TEST_CALLER_HEADER");
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "lambda-runtime-deadline-ms",
            "9999999999999".parse().unwrap(),
        );
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:image-resize"
                .parse()
                .unwrap(),
        );
        if var("SHOP_TEST_CARRIER") == "trace_header" {
            headers.insert("lambda-runtime-trace-id", caller.parse().unwrap());
        } else {
            let (own, _, _) = common::caller_trace_header();
            headers.insert("lambda-runtime-trace-id", own.parse().unwrap());
            let cc = json!({"custom": {"x-amzn-trace-id": caller}});
            headers.insert(
                "lambda-runtime-client-context",
                cc.to_string().parse().unwrap(),
            );
        }
        let context =
            Context::new("inner-request-1", Arc::new(Config::default()), &headers).unwrap();
        let event = s3_event(&var("SHOP_IMAGES_BUCKET"), &var("SHOP_TEST_KEY"));
        let answer = function
            .invoke(LambdaEvent::new(event, context), |e: Value| async move {
                resize.handle(e).await
            })
            .await
            .unwrap();
        let _ = function.telemetry().shutdown(Duration::from_secs(5)).await;
        serde_json::to_value(&answer.invocation).unwrap()
    });
    println!("INNER-RESULT {invocation}");
}
