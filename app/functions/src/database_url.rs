//! Where a function finds the shop's database URL: once, at cold start.
//!
//! The URL carries the database password (`mysql://shop:<password>@host/shop`),
//! so in AWS it is kept in Secrets Manager (`terraform/envs/aws/database.tf`).
//! A Lambda function's environment variables are not the place for it: anyone
//! allowed `lambda:GetFunctionConfiguration` reads them in clear. So a
//! function can be told *which secret* holds the URL instead of the URL:
//!
//! | the environment | the URL | used by |
//! |---|---|---|
//! | `DATABASE_URL` set (not blank) | that value, as before; the secret is not read | the lab, the tests, a local run |
//! | else `SHOP_DATABASE_URL_SECRET` set (a secret's name or ARN) | the secret's `SecretString`, from one `GetSecretValue` | AWS (`terraform/envs/aws/functions.tf`) |
//! | neither | none: each function decides | `image-resize` resizes without recording; `stock-report` and `order-mail` refuse to start |
//!
//! `DATABASE_URL` wins so that nothing changes where it is given today: the
//! lab's scripts and every test pass the URL itself, and a developer can
//! point a function at another database without touching a secret.
//!
//! **Once per process.** [`from_env`] is called by the functions' `from_env`
//! constructors, which run during the function's init (before Lambda's
//! runtime loop starts, `crate::function::main`), never per invocation: one
//! Secrets Manager call per execution environment, paid in the cold start,
//! not in every invocation's latency or in Secrets Manager's request quota.
//! The flip side: a password rotated in Secrets Manager reaches an instance
//! only when Lambda starts a new one; a warm instance keeps the URL it read.
//!
//! **The client.** The AWS SDK's usual chain, as for the shop's other AWS
//! clients ([`shop_core::aws::sdk_config`]): credentials (the function's role
//! in Lambda), region, and the endpoint: `AWS_ENDPOINT_URL_SECRETS_MANAGER`,
//! else `AWS_ENDPOINT_URL`, else AWS's (the lab points it at LocalStack). The
//! call is traced as the shop traces every AWS call (as
//! [`shop_core::aws::call`] does): a client span
//! `SecretsManager.GetSecretValue` with the request id and, on failure, the
//! error's class; never what the secret holds.
//!
//! **The value stays out of telemetry.** The URL is held in a
//! [`DatabaseUrl`], whose `Debug` prints no value and which has no
//! `Display`; the caller hands [`DatabaseUrl::expose`] to `Db::connect` and
//! nothing else. Errors and log lines name the secret's id (a name, not a
//! secret) and what went wrong, never what the secret holds. The SDK's own
//! `tracing` output is kept out of the function's telemetry during the call
//! (`without_telemetry`), and the SDK marks `SecretString` sensitive anyway
//! (the output's `Debug` redacts it).
//!
//! **Failures are init errors** ([`StartError::Config`]): the secret does not
//! exist, the role may not read it, the endpoint does not answer, or the
//! secret holds no text URL. The function then exits with code 2 and the
//! message on stderr, which Lambda shows as the init failure.

use std::fmt;

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use shop_core::aws::{self, client_span};
use telemetry_api::export::without_telemetry;

use crate::function::StartError;

/// The URL itself (the lab's, the tests', a local run's).
pub const DATABASE_URL: &str = "DATABASE_URL";

/// The name or ARN of the Secrets Manager secret holding the URL.
pub const SECRET_ID: &str = "SHOP_DATABASE_URL_SECRET";

/// What a function that needs the database says when neither is set.
pub const MISSING: &str = "neither DATABASE_URL (the shop's database: sqlite://… or mysql://…) nor SHOP_DATABASE_URL_SECRET (the name or ARN of the Secrets Manager secret that holds it) is set";

/// The shop's database URL. It holds the password, so its `Debug` shows no
/// value and it has no `Display`: formatting it into a log line or an error
/// by mistake prints `DatabaseUrl(<redacted>)`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL, for the one place that needs it: `Db::connect`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseUrl(<redacted>)")
    }
}

/// Where the URL comes from, decided from the environment alone (no
/// network): the precedence of the module's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `DATABASE_URL`, with the secret's id when `SHOP_DATABASE_URL_SECRET`
    /// is set too (not read: said in the log, so nobody wonders why a
    /// changed secret changes nothing).
    Environment {
        url: DatabaseUrl,
        ignored_secret: Option<String>,
    },
    /// `SHOP_DATABASE_URL_SECRET`: the secret to read.
    Secret { secret_id: String },
    /// Neither.
    Unset,
}

impl Source {
    /// The decision, with `var` reading a variable (`std::env::var` in a
    /// function; a table in the tests). A blank value counts as unset, so an
    /// empty `DATABASE_URL=` left in a template does not hide the secret.
    pub fn decide(var: impl Fn(&str) -> Option<String>) -> Source {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let secret = set(SECRET_ID).map(|id| id.trim().to_owned());
        match set(DATABASE_URL) {
            Some(url) => Source::Environment {
                url: DatabaseUrl(url),
                ignored_secret: secret,
            },
            None => match secret {
                Some(secret_id) => Source::Secret { secret_id },
                None => Source::Unset,
            },
        }
    }

    /// `environment`, `secret` or `unset`, for the log line.
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Environment { .. } => "environment",
            Source::Secret { .. } => "secret",
            Source::Unset => "unset",
        }
    }
}

/// The shop's database URL from this process's environment (see the module
/// documentation): `DATABASE_URL`, else the secret `SHOP_DATABASE_URL_SECRET`
/// names (one `GetSecretValue`), else `None`. Call it once, during init.
pub async fn from_env() -> Result<Option<DatabaseUrl>, StartError> {
    let source = Source::decide(|name| std::env::var(name).ok());
    let url = match &source {
        Source::Environment {
            url,
            ignored_secret,
        } => {
            if let Some(secret_id) = ignored_secret {
                tracing::info!(
                    shop.database_url.source = source.as_str(),
                    aws.secretsmanager.secret_id = secret_id.as_str(),
                    "DATABASE_URL is set, so SHOP_DATABASE_URL_SECRET is not read"
                );
            }
            Some(url.clone())
        }
        Source::Secret { secret_id } => {
            let url = fetch(secret_id).await?;
            tracing::info!(
                shop.database_url.source = source.as_str(),
                aws.secretsmanager.secret_id = secret_id.as_str(),
                "database URL read from Secrets Manager"
            );
            Some(url)
        }
        Source::Unset => None,
    };
    Ok(url)
}

/// [`from_env`] for a function that cannot run without the database: `None`
/// is the init error [`MISSING`].
pub async fn required() -> Result<DatabaseUrl, StartError> {
    from_env()
        .await?
        .ok_or_else(|| StartError::Config(MISSING.to_owned()))
}

/// One `GetSecretValue` of `secret_id` with the SDK's usual chain, traced
/// as the shop traces an AWS call (the span from [`client_span!`], the
/// SDK's own `tracing` kept out, the request id or the failure recorded).
async fn fetch(secret_id: &str) -> Result<DatabaseUrl, StartError> {
    let sdk = aws::sdk_config(&aws::Settings::default()).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let region = aws::region_of(&sdk);
    let span = client_span!("SecretsManager", "GetSecretValue", region.as_str());
    let sent = without_telemetry(client.get_secret_value().secret_id(secret_id).send()).await;
    let out = match sent {
        Ok(out) => {
            aws::record_output(&span, &out);
            out
        }
        Err(e) => {
            aws::record_failure(&span, "SecretsManager", "GetSecretValue", &e);
            // No value here: a failed call returned none.
            return Err(StartError::Config(format!(
                "{SECRET_ID}={secret_id:?}: GetSecretValue failed: {}{}",
                describe(&e),
                hint(&e)
            )));
        }
    };
    from_secret_string(secret_id, out.secret_string())
}

/// A failed call in one line: the service's code and message when it
/// answered, else the causes (`dispatch failure: io error: … Connection
/// refused`). Not the SDK's `DisplayErrorContext`, which appends the whole
/// raw response.
fn describe(e: &SdkError<GetSecretValueError, HttpResponse>) -> String {
    if let Some(service) = e.as_service_error() {
        return format!(
            "{}: {}",
            service.code().unwrap_or("service error"),
            service.message().unwrap_or("no message")
        );
    }
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// What to check, for the failures a deployment meets.
fn hint(e: &SdkError<GetSecretValueError, HttpResponse>) -> &'static str {
    match e {
        SdkError::ServiceError(s) => match s.err().code().unwrap_or("") {
            "ResourceNotFoundException" => {
                " (no such secret: check the name or ARN, and that AWS_REGION is the secret's region)"
            }
            "AccessDeniedException" => {
                " (the function's role needs secretsmanager:GetSecretValue on this secret, and kms:Decrypt on its key when that is a customer-managed one)"
            }
            _ => "",
        },
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            " (Secrets Manager did not answer: its endpoint is AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL, else AWS's, which a function in a VPC reaches through a NAT gateway or an interface endpoint)"
        }
        _ => "",
    }
}

/// The URL in a secret's `SecretString`, checked enough that a wrong secret
/// is an init error naming it, not a database error later. The errors
/// describe the value's shape, never the value.
pub fn from_secret_string(
    secret_id: &str,
    secret_string: Option<&str>,
) -> Result<DatabaseUrl, StartError> {
    let refuse = |why: &str| {
        StartError::Config(format!(
            "{SECRET_ID}={secret_id:?}: the secret {why}; it must hold the shop's database URL as text (sqlite://… or mysql://…)"
        ))
    };
    // Trimmed: a secret written from a file (`--secret-string file://…`) often ends in a newline,
    // which no URL does.
    let value = match secret_string.map(str::trim) {
        None => return Err(refuse("holds no SecretString (a binary secret?)")),
        Some("") => return Err(refuse("is empty")),
        Some(v) => v,
    };
    if value.starts_with('{') {
        // RDS-managed secrets and the console's "credentials for a database" are JSON objects of
        // user, password, host…; the shop reads one URL.
        return Err(refuse(
            "holds a JSON object (like RDS's managed credentials), not a URL",
        ));
    }
    if !has_scheme(value) {
        return Err(refuse(
            "does not hold a URL (no scheme such as sqlite: or mysql:)",
        ));
    }
    Ok(DatabaseUrl(value.to_owned()))
}

/// Whether `value` starts with a URL scheme (RFC 3986: a letter, then
/// letters, digits, `+`, `-`, `.`, then `:`). Not `://`: the shop also takes
/// `sqlite:shop.db`. Which schemes `Db::connect` supports is its business.
fn has_scheme(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn decide(vars: &[(&str, &str)]) -> Source {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Source::decide(|name| vars.get(name).cloned())
    }

    const URL: &str = "mysql://shop:s3cr3t-pw@db.internal:3306/shop";
    const ARN: &str =
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod/database-url-AbCdEf";

    #[test]
    fn database_url_wins_and_the_secret_is_then_not_read() {
        assert_eq!(
            decide(&[(DATABASE_URL, URL)]),
            Source::Environment {
                url: DatabaseUrl(URL.to_owned()),
                ignored_secret: None
            }
        );
        assert_eq!(
            decide(&[(DATABASE_URL, URL), (SECRET_ID, ARN)]),
            Source::Environment {
                url: DatabaseUrl(URL.to_owned()),
                ignored_secret: Some(ARN.to_owned())
            }
        );
    }

    #[test]
    fn without_database_url_the_secret_is_read() {
        assert_eq!(
            decide(&[(SECRET_ID, ARN)]),
            Source::Secret {
                secret_id: ARN.to_owned()
            }
        );
        // Blank is unset: an empty DATABASE_URL= does not hide the secret; the id is trimmed.
        assert_eq!(
            decide(&[(DATABASE_URL, ""), (SECRET_ID, " shop/prod/database-url\n")]),
            Source::Secret {
                secret_id: "shop/prod/database-url".to_owned()
            }
        );
        assert_eq!(
            decide(&[(DATABASE_URL, "  "), (SECRET_ID, ARN)]).as_str(),
            "secret"
        );
    }

    #[test]
    fn neither_is_unset() {
        assert_eq!(decide(&[]), Source::Unset);
        assert_eq!(
            decide(&[(DATABASE_URL, ""), (SECRET_ID, " ")]),
            Source::Unset
        );
        assert_eq!(decide(&[("OTHER", URL)]).as_str(), "unset");
    }

    #[test]
    fn the_url_never_shows_in_debug_output() {
        let source = decide(&[(DATABASE_URL, URL)]);
        let shown = format!("{source:?} {:?}", DatabaseUrl(URL.to_owned()));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("DatabaseUrl(<redacted>)"), "{shown}");
    }

    #[test]
    fn a_secret_string_is_the_url_trimmed() {
        let url = from_secret_string(ARN, Some(&format!("{URL}\n"))).unwrap();
        assert_eq!(url.expose(), URL);
        for sqlite in ["sqlite:///tmp/shop.db?mode=rwc", "sqlite:shop.db"] {
            assert_eq!(
                from_secret_string(ARN, Some(sqlite)).unwrap().expose(),
                sqlite
            );
        }
    }

    #[test]
    fn a_secret_that_holds_no_url_is_refused_naming_the_secret_not_its_value() {
        for (value, why) in [
            (None, "no SecretString"),
            (Some(""), "is empty"),
            (Some(" \n"), "is empty"),
            (
                Some(r#"{"username":"shop","password":"s3cr3t-pw","host":"db"}"#),
                "JSON object",
            ),
            (Some("db.internal/shop?password=s3cr3t-pw"), "no scheme"),
            (Some("//shop:s3cr3t-pw@db/shop"), "no scheme"),
        ] {
            let e = from_secret_string(ARN, value).unwrap_err().to_string();
            assert!(e.contains(why), "{value:?}: {e}");
            assert!(e.starts_with(&format!("{SECRET_ID}=\"{ARN}\"")), "{e}");
            assert!(!e.contains("s3cr3t"), "the value leaked: {e}");
        }
    }

    #[test]
    fn the_missing_message_names_both_variables() {
        assert!(MISSING.contains(DATABASE_URL) && MISSING.contains(SECRET_ID));
    }
}
