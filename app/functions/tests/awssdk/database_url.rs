//! The shop's database URL from Secrets Manager (LocalStack's) at cold start,
//! with `DATABASE_URL` unset: what `terraform/envs/aws/functions.tf` gives a
//! function (`SHOP_DATABASE_URL_SECRET`, the secret's ARN). `stock-report`
//! stands for the three functions: they resolve the URL with the same
//! `shop_functions::database_url`, and its invocation is one direct call.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use shop_functions::database_url::SECRET_ID;

use crate::common::{self, Watch};
use crate::lab;
use crate::stock_report::{invoke_scheduled, shop_database};

/// LocalStack's gateway, which serves every service on one port. The lab's
/// environment names an endpoint per service it uses, and none for Secrets
/// Manager: the function gets `AWS_ENDPOINT_URL_SECRETS_MANAGER`, as one
/// would point it at any other endpoint.
fn localstack(env: &BTreeMap<String, String>) -> String {
    env["AWS_ENDPOINT_URL_SQS"].clone()
}

fn secretsmanager(env: &BTreeMap<String, String>) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .region(aws_sdk_secretsmanager::config::Region::new(
                env["AWS_REGION"].clone(),
            ))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(localstack(env))
            .build(),
    )
}

/// The function's environment: the lab's (no `DATABASE_URL` in it), the
/// secret to read and where Secrets Manager is.
fn env_with_secret(
    env: &BTreeMap<String, String>,
    service: &str,
    secret_id: &str,
) -> BTreeMap<String, String> {
    let function_env = lab::function_env(
        env,
        service,
        &[
            (SECRET_ID, secret_id),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &localstack(env)),
        ],
    );
    assert!(
        !function_env.contains_key("DATABASE_URL"),
        "the lab's environment must not give the function DATABASE_URL"
    );
    function_env
}

#[tokio::test(flavor = "multi_thread")]
async fn with_database_url_unset_the_function_reads_it_from_the_secret_and_records_its_run() {
    let env = common::emulators();
    let (dir, url, db) = shop_database("fn-stock-secret").await;
    let secret = secretsmanager(&env)
        .create_secret()
        .name(common::unique("fn-test/database-url"))
        .secret_string(&url)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateSecret: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        });
    let arn = secret.arn().expect("the secret's ARN").to_owned();

    let watch = Watch::start();
    let mut function = watch.attach(
        "stock-report",
        Path::new(env!("CARGO_BIN_EXE_stock-report")),
        &env_with_secret(&env, "fn-test-stock-secret", &arn),
    );
    let (answer, _) = invoke_scheduled(&watch, &env, &mut function).await;

    // The run happened on the database the secret names: recorded in its batch_runs.
    let body = answer.json();
    let run = &body["run"];
    assert_eq!(run["outcome"], "success", "{body}");
    assert_eq!(run["triggered_by"], "schedule");
    let (outcome, trigger): (String, String) =
        sqlx::query_as("SELECT outcome, triggered_by FROM batch_runs WHERE id = ?")
            .bind(run["id"].as_str().unwrap())
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (outcome.as_str(), trigger.as_str()),
        ("success", "schedule")
    );

    // The function says where the URL came from, naming the secret, and never prints the URL.
    let resolved = function
        .wait_json(Duration::from_secs(10), |l| {
            l["message"] == "database URL read from Secrets Manager"
        })
        .unwrap_or_else(|| panic!("{:#?}", function.lines()));
    assert_eq!(resolved["shop.database_url.source"], "secret", "{resolved}");
    assert_eq!(
        resolved["aws.secretsmanager.secret_id"],
        arn.as_str(),
        "{resolved}"
    );
    let db_file = dir.join("shop.db").display().to_string();
    let leaked: Vec<&String> = function
        .lines()
        .iter()
        .filter(|l| l.contains(&db_file))
        .collect();
    assert!(leaked.is_empty(), "the URL in the output: {leaked:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A secret that does not exist is the function's init error: exit code 2
/// (a configuration error, as the shop's) and a message naming the secret
/// and the service's answer, which Lambda would show as the init failure.
/// The process is started without `cargo lambda watch`: init fails before it
/// would ask the runtime API for anything.
#[test]
fn a_secret_that_does_not_exist_fails_the_cold_start_naming_it() {
    let env = common::emulators();
    let missing = common::unique("fn-test/no-such-database-url");
    let out = common::clean_command(env!("CARGO_BIN_EXE_stock-report"))
        .envs(env_with_secret(&env, "fn-test-stock-no-secret", &missing))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{SECRET_ID}=\"{missing}\"")),
        "the init error names the secret: {stderr}"
    );
    assert!(
        stderr.contains("ResourceNotFoundException"),
        "and says why: {stderr}"
    );
    let failed = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "function initialisation failed")
        .unwrap_or_else(|| panic!("no initialisation failure logged: {stdout}"));
    assert!(
        failed["error"].as_str().unwrap_or("").contains(&missing),
        "{failed}"
    );
}
