//! Social login (C-USER-05) end to end against a real OpenID Connect provider: panva's
//! oidc-provider from npm (`scripts/lab/oidc.sh`), started by the test on a free port. The test
//! plays the browser: the shop's redirect to the provider, the provider's login page (its
//! development login: any user name), the provider's redirect back with a code, the shop's
//! callback. Then what must be refused: a replayed callback, a forged code, an e-mail that already
//! has an account, an unverified e-mail, a shop without social login.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use shop_core::accounts::social::OidcSettings;
use telemetry_api::semconv::{self, metrics};

use crate::common::{free_port, repo_root};
use crate::support::*;

const SECRET: &str = "shop-lab-test-secret";

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs (once) and starts the provider on `port`, accepting `redirect_uri`; waits until its
/// discovery document answers. Fails loudly: this test never skips.
async fn start_provider(port: u16, redirect_uri: &str) -> Provider {
    let root = repo_root();
    let install = Command::new(root.join("scripts/lab/oidc.sh"))
        .arg("install")
        .status()
        .expect("cannot run scripts/lab/oidc.sh (needs bash, node and npm)");
    assert!(
        install.success(),
        "scripts/lab/oidc.sh install failed: {install}"
    );
    let child = Command::new("node")
        .arg(root.join("scripts/lab/oidc/provider.mjs"))
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_CLIENT_SECRET", SECRET)
        .env("OIDC_REDIRECT_URIS", redirect_uri)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start node");
    let provider = Provider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    };
    let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(&discovery).await
            && r.status().is_success()
        {
            return provider;
        }
        assert!(
            Instant::now() < deadline,
            "the OIDC provider did not answer {discovery} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A shop with social login against a provider (started after the shop, which only discovers it
/// on first use), on `kind`.
async fn shop_with_provider(kind: DbKind) -> (TestApp, Provider) {
    let port = free_port();
    let mut opts = Spawn::new(kind);
    opts.oidc = Some(OidcSettings {
        issuer: format!("http://127.0.0.1:{port}"),
        client_id: "shop-lab".to_owned(),
        client_secret: Some(SECRET.to_owned()),
    });
    opts.web_dir = Some(ui_export());
    let app = spawn_with(opts).await;
    let provider = start_provider(port, &app.url("/api/auth/oidc/callback")).await;
    (app, provider)
}

/// A stand-in for the UI's static export, so the shop serves "the UI" (the callback's browser
/// redirects land on it).
fn ui_export() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "shop-social-ui-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    for file in [
        "index.html",
        "404.html",
        "account/index.html",
        "account/login/index.html",
    ] {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "<!doctype html><title>ui</title>").unwrap();
    }
    dir
}

/// What a browser's navigation asks for.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A client that does not follow redirects (each hop is checked).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response, base: &str) -> String {
    let l = r.headers()["location"].to_str().unwrap().to_owned();
    if l.starts_with('/') {
        format!("{base}{l}")
    } else {
        l
    }
}

/// The browser at the provider: from the authorization URL through the login page (as `login`)
/// to the redirect back to the shop; returns the callback URL the provider sent the browser to.
async fn log_in_at_provider(authorize: &str, issuer: &str, login: &str) -> String {
    let http = no_redirects();
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    let keep = |r: &reqwest::Response, cookies: &mut BTreeMap<String, String>| {
        for v in r.headers().get_all("set-cookie") {
            let pair = v
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim()
                .to_owned();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    };
    let jar = |cookies: &BTreeMap<String, String>| {
        cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut url = authorize.to_owned();
    for _ in 0..8 {
        let r = http
            .get(&url)
            .header("cookie", jar(&cookies))
            .send()
            .await
            .unwrap();
        keep(&r, &mut cookies);
        if r.status().is_redirection() {
            let next = location(&r, issuer);
            if !next.starts_with(issuer) {
                return next; // back to the shop
            }
            url = next;
            continue;
        }
        assert_eq!(r.status(), 200, "the provider's page {url}");
        let html = r.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form on the provider's page:\n{html}"))
            .replace("&amp;", "&");
        let action = if action.starts_with('/') {
            format!("{issuer}{action}")
        } else {
            action
        };
        let r = http
            .post(&action)
            .header("cookie", jar(&cookies))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("prompt=login&login={login}&password=anything"))
            .send()
            .await
            .unwrap();
        keep(&r, &mut cookies);
        assert!(
            r.status().is_redirection(),
            "the login form answered {}",
            r.status()
        );
        url = location(&r, issuer);
    }
    panic!("the provider never sent the browser back to the shop");
}

/// Starts a login at the shop (with `cart`), logs in at the provider as `login`; returns the
/// callback URL.
async fn provider_round_trip(
    app: &TestApp,
    issuer: &str,
    login: &str,
    cart: Option<&str>,
) -> String {
    let start = match cart {
        Some(c) => app.url(&format!("/api/auth/oidc/login?cart_id={c}")),
        None => app.url("/api/auth/oidc/login"),
    };
    let r = no_redirects().get(start).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let authorize = location(&r, &app.base);
    assert!(
        authorize.starts_with(&format!("{issuer}/auth?")),
        "{authorize}"
    );
    for part in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "response_type=code",
        "client_id=shop-lab",
    ] {
        assert!(authorize.contains(part), "{part} missing from {authorize}");
    }
    let callback = log_in_at_provider(&authorize, issuer, login).await;
    assert!(
        callback.starts_with(&app.url("/api/auth/oidc/callback?")),
        "{callback}"
    );
    callback
}

fn query_value(url: &str, key: &str) -> String {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {url}"))
        .to_owned()
}

async fn journey(kind: DbKind) {
    let (app, provider) = shop_with_provider(kind).await;
    let issuer = provider.issuer.clone();

    // A guest fills a cart, then logs in with the provider: a new account, the cart kept.
    let guest = app.create_cart().await;
    expect_json(app.add_item(&guest, 3, 1).await, 201).await;
    let callback = provider_round_trip(&app, &issuer, "aiko", Some(&guest)).await;
    let r = no_redirects().get(&callback).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("shop_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body = expect_json(r, 200).await;
    assert_eq!(body["user"]["email"], "aiko@social.example");
    assert_eq!(body["user"]["name"], "Aiko Social");
    assert_eq!(body["cart_id"], guest);
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = app
        .client
        .get(app.url("/api/account"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(me, 200).await["email"], "aiko@social.example");

    // The same callback again: the login was used up.
    expect_error(
        no_redirects().get(&callback).send().await.unwrap(),
        400,
        "oidc_state_unknown",
        None,
    )
    .await;

    // Again through the provider: the same account, not a new one.
    let again = provider_round_trip(&app, &issuer, "aiko", None).await;
    let body = expect_json(no_redirects().get(&again).send().await.unwrap(), 200).await;
    assert_eq!(body["user"]["email"], "aiko@social.example");
    let created = app.recorder.counter_total(
        metrics::SHOP_REGISTRATIONS,
        &[(semconv::SHOP_REGISTRATION_OUTCOME, "created".into())],
    );
    assert_eq!(created, 1.0);
    assert_eq!(
        app.recorder.counter_total(
            metrics::SHOP_LOGINS,
            &[(semconv::SHOP_LOGIN_OUTCOME, "ok".into())]
        ),
        2.0
    );

    // In a browser (a navigation asks for HTML), the callback ends on the UI's account page, with
    // the session cookie and no token in any URL; the page then asks for the session's CSRF token.
    assert_eq!(
        app.get_json("/api/auth/methods", 200).await["social_login"],
        true
    );
    let in_browser = provider_round_trip(&app, &issuer, "aiko", None).await;
    let r = no_redirects()
        .get(&in_browser)
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/?login=social");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("shop_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let r = app
        .client
        .post(app.url("/api/auth/csrf"))
        .header("cookie", &session)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    let csrf = expect_json(r, 200).await["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .patch(app.url("/api/account"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "name": "Aiko in a browser" }))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(r, 200).await["name"], "Aiko in a browser");

    // The account has no password: a password login is refused like a wrong one.
    let r = app
        .post_json(
            "/api/auth/login",
            &serde_json::json!({ "email": "aiko@social.example", "password": "anything at all" }),
        )
        .await;
    expect_error(r, 401, "invalid_credentials", None).await;

    // An e-mail that already has a password account is not taken over.
    let r = app.post_json("/api/auth/register", &serde_json::json!({ "email": "ben@social.example", "password": "correct horse battery", "name": "Ben" })).await;
    expect_json(r, 201).await;
    let ben = provider_round_trip(&app, &issuer, "ben", None).await;
    expect_error(
        no_redirects().get(&ben).send().await.unwrap(),
        409,
        "email_taken",
        None,
    )
    .await;

    // A provider account without a verified e-mail.
    let unverified = provider_round_trip(&app, &issuer, "unverified-cleo", None).await;
    expect_error(
        no_redirects().get(&unverified).send().await.unwrap(),
        422,
        "oidc_email_unverified",
        None,
    )
    .await;

    // A forged code with a live state: the provider refuses the exchange.
    let r = no_redirects()
        .get(app.url("/api/auth/oidc/login"))
        .send()
        .await
        .unwrap();
    let state = query_value(&location(&r, &app.base), "state");
    let forged = app.url(&format!(
        "/api/auth/oidc/callback?code=forged&state={state}"
    ));
    expect_error(
        no_redirects().get(&forged).send().await.unwrap(),
        401,
        "oidc_rejected",
        None,
    )
    .await;
    // The person declined at the provider.
    let declined = app.url("/api/auth/oidc/callback?error=access_denied&state=x");
    expect_error(
        no_redirects().get(&declined).send().await.unwrap(),
        401,
        "oidc_refused",
        None,
    )
    .await;
    expect_error(
        no_redirects()
            .get(app.url("/api/auth/oidc/callback?state=x"))
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
        Some("code"),
    )
    .await;

    // The provider calls are client spans; no code, state or secret reached telemetry.
    let spans = app.recorder.spans();
    assert!(spans.iter().any(|s| {
        s.attribute("peer.service")
            .and_then(telemetry_api::Value::as_str)
            == Some("identity-provider")
    }));
    let seen = format!("{spans:?}{:?}", app.recorder.logs());
    let code = query_value(&callback, "code");
    for secret in [
        code.as_str(),
        query_value(&callback, "state").as_str(),
        SECRET,
        session.trim_start_matches("shop_session="),
    ] {
        assert!(
            !seen.contains(secret),
            "telemetry carries a secret: {secret}"
        );
    }
    assert!(
        !seen.contains("aiko@social.example"),
        "telemetry carries an e-mail"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_login_end_to_end_against_a_real_provider_sqlite() {
    journey(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_login_end_to_end_against_a_real_provider_mysql() {
    journey(DbKind::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browsers_refused_callback_lands_on_the_uis_login_page() {
    let mut opts = Spawn::new(DbKind::Sqlite);
    // A provider that is never asked: these callbacks are refused before the shop would call it.
    opts.oidc = Some(OidcSettings {
        issuer: format!("http://127.0.0.1:{}", free_port()),
        client_id: "shop-lab".to_owned(),
        client_secret: None,
    });
    opts.web_dir = Some(ui_export());
    let app = spawn_with(opts).await;
    for (query, code) in [
        ("error=access_denied&state=x", "oidc_refused"),
        ("state=x", "validation_failed"),
    ] {
        let url = app.url(&format!("/api/auth/oidc/callback?{query}"));
        let r = no_redirects()
            .get(&url)
            .header("accept", BROWSER_ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{query}");
        assert_eq!(
            r.headers()["location"],
            format!("/account/login/?error={code}").as_str(),
            "{query}"
        );
        assert!(r.headers().get("set-cookie").is_none());
    }
    // An API client keeps the JSON answer.
    let r = no_redirects()
        .get(app.url("/api/auth/oidc/callback?error=access_denied&state=x"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    expect_error(r, 401, "oidc_refused", None).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_social_login_is_a_404() {
    let app = spawn_app(DbKind::Sqlite).await;
    assert_eq!(
        app.get_json("/api/auth/methods", 200).await["social_login"],
        false
    );
    let r = no_redirects()
        .get(app.url("/api/auth/oidc/login"))
        .send()
        .await
        .unwrap();
    expect_error(r, 404, "social_login_not_configured", None).await;
    let r = no_redirects()
        .get(app.url("/api/auth/oidc/callback?code=a&state=b"))
        .send()
        .await
        .unwrap();
    expect_error(r, 404, "social_login_not_configured", None).await;
    let body: Value = app.get_json("/api/openapi.json", 200).await;
    assert!(body["paths"]["/api/auth/oidc/callback"]["get"].is_object());
    app.stop().await;
}
