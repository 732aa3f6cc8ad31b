//! Customer accounts (C-USER-01..04, C-SHOP-04, O-SEC-01, O-METRIC-13):
//! register → log in (guest cart merged) → profile → addresses → checkout →
//! order history; sessions, CSRF, the login limiter, password reset, the
//! guest order lookup, and what telemetry may never carry.

use reqwest::Method;
use serde_json::{Value, json};
use telemetry_api::semconv::{self, metrics};
use telemetry_api::{SpanKind, TraceId};

use crate::db_tests;
use crate::support::*;

const PASSWORD: &str = "correct horse battery";

/// A logged-in client: its session cookie and CSRF token (what a browser
/// and the shop's pages would keep).
pub(crate) struct Client {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    pub(crate) cart_id: String,
}

pub(crate) async fn register(
    app: &TestApp,
    email: &str,
    password: &str,
    name: &str,
) -> reqwest::Response {
    app.post_json(
        "/api/auth/register",
        &json!({ "email": email, "password": password, "name": name }),
    )
    .await
}

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    cart: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({ "email": email, "password": password });
    if let Some(c) = cart {
        body["cart_id"] = json!(c);
    }
    app.post_json("/api/auth/login", &body).await
}

/// `name=value` of the session cookie a response sets, and its attributes.
fn set_cookie(r: &reqwest::Response) -> (String, String) {
    let raw = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = raw.split(';').next().unwrap().trim().to_owned();
    (pair, raw)
}

pub(crate) async fn log_in(
    app: &TestApp,
    email: &str,
    password: &str,
    cart: Option<&str>,
) -> Client {
    let r = login(app, email, password, cart).await;
    let (cookie, _) = set_cookie(&r);
    let body = expect_json(r, 200).await;
    Client {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        cart_id: body["cart_id"].as_str().unwrap().to_owned(),
    }
}

pub(crate) async fn new_customer(app: &TestApp, email: &str) -> Client {
    expect_json(register(app, email, PASSWORD, "Aiko Tanaka").await, 201).await;
    log_in(app, email, PASSWORD, None).await
}

impl Client {
    /// A request with the session cookie and, if `csrf`, the CSRF header.
    pub(crate) async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<&Value>,
        csrf: bool,
    ) -> reqwest::Response {
        let mut req = app
            .client
            .request(method, app.url(path))
            .header("cookie", &self.cookie);
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request failed")
    }

    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.send(app, Method::GET, path, None, false).await
    }

    async fn post(&self, app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
        self.send(app, Method::POST, path, Some(body), true).await
    }
}

fn address(name: &str, line1: &str, city: &str) -> Value {
    json!({ "name": name, "line1": line1, "city": city, "postal_code": "100-0005", "country": "jp" })
}

/// The reset token the outbox holds for this e-mail (the newest).
async fn reset_token(app: &TestApp, email: &str) -> String {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE topic = 'account.password_reset' ORDER BY id DESC",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    payloads
        .iter()
        .map(|p| serde_json::from_str::<Value>(p).unwrap())
        .find(|p| p["to"] == email)
        .map(|p| p["token"].as_str().unwrap().to_owned())
        .expect("a reset mail in the outbox")
}

pub(crate) fn counter(app: &TestApp, name: &str, key: &str, value: &'static str) -> f64 {
    app.recorder.counter_total(name, &[(key, value.into())])
}

db_tests! {
    async fn the_customer_journey_from_registration_to_order_history(app) {
        // Register (the e-mail is kept lower-cased).
        let profile = expect_json(register(&app, "Aiko@Example.com", PASSWORD, "  Aiko Tanaka ").await, 201).await;
        assert_eq!(profile["email"], "aiko@example.com");
        assert_eq!(profile["name"], "Aiko Tanaka");
        assert!(profile.get("password").is_none() && profile.get("id").is_none(), "{profile}");

        // The first login gives the customer a cart; put something in it.
        let first = log_in(&app, "aiko@example.com", PASSWORD, None).await;
        expect_json(app.add_item(&first.cart_id, 3, 1).await, 201).await;

        // As a guest again, fill a guest cart, then log in with it: merged.
        let guest = app.create_cart().await;
        app.add_item(&guest, 2, 1).await;
        app.add_item(&guest, 3, 2).await;
        let r = login(&app, "AIKO@example.com", PASSWORD, Some(&guest)).await;
        let (cookie, raw) = set_cookie(&r);
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(raw.contains(attribute), "{raw}");
        }
        assert!(!raw.contains("Secure"), "plain HTTP gets no Secure cookie: {raw}");
        let body = expect_json(r, 200).await;
        assert_eq!(body["user"]["email"], "aiko@example.com");
        let me = Client { cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned(), cart_id: body["cart_id"].as_str().unwrap().to_owned() };
        assert_eq!(me.cart_id, first.cart_id, "the customer keeps their cart");
        let cart = app.get_json(&format!("/api/carts/{}", me.cart_id), 200).await;
        let quantity = |p: i64| cart["items"].as_array().unwrap().iter().find(|i| i["product_id"] == p).map(|i| i["quantity"].as_i64().unwrap());
        assert_eq!(quantity(2), Some(1));
        assert_eq!(quantity(3), Some(3));
        assert_eq!(app.get_json(&format!("/api/carts/{guest}"), 200).await["status"], "merged");

        // Over TLS (the load balancer says so) the cookie is Secure.
        let r = app.client.post(app.url("/api/auth/login")).header("x-forwarded-proto", "https")
            .json(&json!({ "email": "aiko@example.com", "password": PASSWORD })).send().await.unwrap();
        assert!(set_cookie(&r).1.contains("Secure"));

        // Profile.
        let profile = expect_json(me.get(&app, "/api/account").await, 200).await;
        assert_eq!(profile["name"], "Aiko Tanaka");
        let renamed = expect_json(me.send(&app, Method::PATCH, "/api/account", Some(&json!({ "name": "Aiko T." })), true).await, 200).await;
        assert_eq!(renamed["name"], "Aiko T.");

        // Addresses: the first is the default; another can become it.
        let home = expect_json(me.post(&app, "/api/account/addresses", &json!({ "address": address("Aiko Tanaka", "1-2-3 Marunouchi", "Tokyo") })).await, 201).await;
        assert_eq!(home["is_default"], true);
        assert_eq!(home["address"]["country"], "JP");
        let work = expect_json(me.post(&app, "/api/account/addresses", &json!({ "address": address("Aiko Tanaka", "4-5-6 Umeda", "Osaka") })).await, 201).await;
        assert_eq!(work["is_default"], false);
        let work_id = work["id"].as_i64().unwrap();
        let made = expect_json(me.post(&app, &format!("/api/account/addresses/{work_id}/default"), &json!({})).await, 200).await;
        assert_eq!(made["is_default"], true);
        let book = expect_json(me.get(&app, "/api/account/addresses").await, 200).await;
        let book = book.as_array().unwrap();
        assert_eq!(book.len(), 2);
        assert_eq!(book[0]["id"], work_id, "the default comes first");
        assert_eq!(book.iter().filter(|a| a["is_default"] == true).count(), 1);
        let bad = me.post(&app, "/api/account/addresses", &json!({ "address": address("Aiko", "x", "Tokyo"), "is_default": 3 })).await;
        assert_eq!(bad.status(), 400);
        let mut blank = address("Aiko", "x", "Tokyo");
        blank["country"] = json!("Japan");
        expect_error(me.post(&app, "/api/account/addresses", &json!({ "address": blank })).await, 400, "validation_failed", Some("address.country")).await;
        // Deleting the default promotes the other one.
        let r = me.send(&app, Method::DELETE, &format!("/api/account/addresses/{work_id}"), None, true).await;
        assert_eq!(r.status(), 204);
        let book = expect_json(me.get(&app, "/api/account/addresses").await, 200).await;
        assert_eq!(book[0]["id"], home["id"]);
        assert_eq!(book[0]["is_default"], true);
        expect_error(me.send(&app, Method::DELETE, &format!("/api/account/addresses/{work_id}"), None, true).await, 404, "not_found", None).await;

        // Checkout with the session: the order is the customer's.
        let mut order_req = order_body(&me.cart_id);
        order_req["shipping_address"] = book[0]["address"].clone();
        let r = app.client.post(app.url("/api/orders")).header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
            .header("Idempotency-Key", "journey-1").json(&order_req).send().await.unwrap();
        let order = expect_json(r, 201).await;
        let order_id = order["id"].as_str().unwrap();

        // Order history and detail.
        let history = expect_json(me.get(&app, "/api/account/orders").await, 200).await;
        assert_eq!(history.as_array().unwrap().len(), 1);
        assert_eq!(history[0]["id"], order_id);
        assert_eq!(history[0]["item_count"], 4);
        assert_eq!(history[0]["total_cents"], order["total_cents"]);
        let detail = expect_json(me.get(&app, &format!("/api/account/orders/{order_id}")).await, 200).await;
        assert_eq!(detail, order);

        // Another client, without the cookie: refused.
        for path in ["/api/account", "/api/account/addresses", "/api/account/orders", &format!("/api/account/orders/{order_id}")] {
            expect_error(app.get(path).await, 401, "unauthenticated", None).await;
        }
        expect_error(app.post_json("/api/auth/logout", &json!({})).await, 401, "unauthenticated", None).await;
        // Another customer: the order is not theirs (404, not 403).
        let other = new_customer(&app, "someone@example.com").await;
        expect_error(other.get(&app, &format!("/api/account/orders/{order_id}")).await, 404, "not_found", None).await;
        assert_eq!(expect_json(other.get(&app, "/api/account/orders").await, 200).await, json!([]));
        // A customer's order is not a guest order.
        let r = app.post_json("/api/orders/lookup", &json!({ "order_id": order_id, "email": "learner@example.com" })).await;
        expect_error(r, 404, "not_found", None).await;

        // Business metrics (O-METRIC-13), bounded dimensions only.
        assert_eq!(counter(&app, metrics::SHOP_REGISTRATIONS, semconv::SHOP_REGISTRATION_OUTCOME, "created"), 2.0);
        assert!(counter(&app, metrics::SHOP_LOGINS, semconv::SHOP_LOGIN_OUTCOME, "ok") >= 4.0);
    }

    async fn registration_refusals(app) {
        expect_json(register(&app, "taken@example.com", PASSWORD, "Aiko").await, 201).await;
        expect_error(register(&app, "TAKEN@example.com", PASSWORD, "Aiko").await, 409, "email_taken", None).await;
        expect_error(register(&app, "fresh@example.com", "too short", "Aiko").await, 400, "validation_failed", Some("password")).await;
        expect_error(register(&app, "fresh@example.com", &"p".repeat(129), "Aiko").await, 400, "validation_failed", Some("password")).await;
        expect_error(register(&app, "not-an-email", PASSWORD, "Aiko").await, 400, "validation_failed", Some("email")).await;
        expect_error(register(&app, "fresh@example.com", PASSWORD, "   ").await, 400, "validation_failed", Some("name")).await;
        assert_eq!(counter(&app, metrics::SHOP_REGISTRATIONS, semconv::SHOP_REGISTRATION_OUTCOME, "email_taken"), 1.0);
        // The stored hash is argon2id, never the password.
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'taken@example.com'").fetch_one(app.db.pool()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    }

    async fn state_changing_requests_with_a_cookie_need_the_csrf_token(app) {
        let me = new_customer(&app, "csrf@example.com").await;
        let rename = json!({ "name": "Mallory" });
        expect_error(me.send(&app, Method::PATCH, "/api/account", Some(&rename), false).await, 403, "csrf_failed", None).await;
        let wrong = Client { csrf: "0".repeat(64), cookie: me.cookie.clone(), cart_id: me.cart_id.clone() };
        expect_error(wrong.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 403, "csrf_failed", None).await;
        // Every state-changing route, not just the account's: the cart too.
        expect_error(me.send(&app, Method::POST, &format!("/api/carts/{}/items", me.cart_id), Some(&json!({ "product_id": 2 })), false).await, 403, "csrf_failed", None).await;
        expect_error(me.send(&app, Method::POST, "/api/auth/logout", None, false).await, 403, "csrf_failed", None).await;
        // Nothing changed; reads need no token; the right token works.
        assert_eq!(expect_json(me.get(&app, "/api/account").await, 200).await["name"], "Aiko Tanaka");
        expect_json(me.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 200).await;
        assert_eq!(counter(&app, metrics::SHOP_SECURITY_EVENTS, semconv::SHOP_SECURITY_EVENT_KIND, "csrf_rejected"), 4.0);
    }

    async fn a_page_without_the_csrf_token_gets_a_new_one_for_its_session(app) {
        // No session, no token.
        expect_error(app.client.post(app.url("/api/auth/csrf")).send().await.unwrap(), 401, "unauthenticated", None).await;
        let me = new_customer(&app, "renew@example.com").await;
        let other_tab = log_in(&app, "renew@example.com", PASSWORD, None).await;
        // With the cookie and without a token (the one route exempt from the check): a new token.
        let r = me.send(&app, Method::POST, "/api/auth/csrf", None, false).await;
        assert_eq!(r.headers()["cache-control"], "no-store");
        let fresh = expect_json(r, 200).await["csrf_token"].as_str().unwrap().to_owned();
        assert_eq!(fresh.len(), 64);
        assert_ne!(fresh, me.csrf);
        // The session's old token stopped working; the new one works; another session is untouched.
        let rename = json!({ "name": "Renewed" });
        expect_error(me.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 403, "csrf_failed", None).await;
        let renewed = Client { csrf: fresh, cookie: me.cookie.clone(), cart_id: me.cart_id.clone() };
        assert_eq!(expect_json(renewed.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 200).await["name"], "Renewed");
        expect_json(other_tab.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 200).await;
        // A browser says where a request comes from: another site (or a sibling subdomain) may not ask.
        for site in ["cross-site", "same-site"] {
            let r = app.client.post(app.url("/api/auth/csrf")).header("cookie", &me.cookie).header("sec-fetch-site", site).send().await.unwrap();
            expect_error(r, 403, "csrf_failed", None).await;
        }
        expect_json(renewed.send(&app, Method::PATCH, "/api/account", Some(&rename), true).await, 200).await;
        // The shop's own page may; its answer replaces the token again.
        let r = app.client.post(app.url("/api/auth/csrf")).header("cookie", &me.cookie).header("sec-fetch-site", "same-origin").send().await.unwrap();
        let latest = Client { csrf: expect_json(r, 200).await["csrf_token"].as_str().unwrap().to_owned(), cookie: me.cookie.clone(), cart_id: me.cart_id.clone() };
        // Only POST; a GET changes nothing.
        expect_error(me.get(&app, "/api/auth/csrf").await, 405, "method_not_allowed", None).await;
        // The exemption is that route alone: without a token, the rest still refuses.
        expect_error(me.send(&app, Method::POST, "/api/auth/logout", None, false).await, 403, "csrf_failed", None).await;
        // A session that ended gets no token.
        assert_eq!(latest.send(&app, Method::POST, "/api/auth/logout", None, true).await.status(), 204);
        expect_error(me.send(&app, Method::POST, "/api/auth/csrf", None, false).await, 401, "unauthenticated", None).await;
        assert_eq!(counter(&app, metrics::SHOP_SECURITY_EVENTS, semconv::SHOP_SECURITY_EVENT_KIND, "csrf_rejected"), 4.0);
    }

    async fn a_page_asks_whose_session_it_is_and_a_guest_is_no_error(app) {
        let r = app.get("/api/auth/session").await;
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(expect_json(r, 200).await, json!({ "user": null }));
        let me = new_customer(&app, "whoami@example.com").await;
        let body = expect_json(me.get(&app, "/api/auth/session").await, 200).await;
        assert_eq!(body["user"]["email"], "whoami@example.com");
        assert_eq!(body["user"]["name"], "Aiko Tanaka");
        // A cookie whose session ended is a guest's.
        assert_eq!(me.send(&app, Method::POST, "/api/auth/logout", None, true).await.status(), 204);
        assert_eq!(expect_json(me.get(&app, "/api/auth/session").await, 200).await, json!({ "user": null }));
    }

    async fn the_shop_says_which_login_methods_it_offers(app) {
        let methods = app.get_json("/api/auth/methods", 200).await;
        assert_eq!(methods, json!({ "password": true, "social_login": false }));
    }

    async fn failed_logins_are_limited_per_account_with_a_429(app) {
        expect_json(register(&app, "limited@example.com", PASSWORD, "Aiko").await, 201).await;
        for _ in 0..5 {
            expect_error(login(&app, "limited@example.com", "wrong password!", None).await, 401, "invalid_credentials", None).await;
        }
        // Locked now, even with the right password.
        let r = login(&app, "limited@example.com", PASSWORD, None).await;
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        let body = expect_error(r, 429, "too_many_attempts", None).await;
        assert_eq!(body["error"]["details"]["retry_after_seconds"], retry);
        // Other accounts are not locked by it.
        expect_json(register(&app, "other@example.com", PASSWORD, "Aiko").await, 201).await;
        log_in(&app, "other@example.com", PASSWORD, None).await;
        // An unknown e-mail gets the same answer as a wrong password.
        expect_error(login(&app, "nobody@example.com", PASSWORD, None).await, 401, "invalid_credentials", None).await;

        assert_eq!(counter(&app, metrics::SHOP_LOGINS, semconv::SHOP_LOGIN_OUTCOME, "failed"), 6.0);
        assert_eq!(counter(&app, metrics::SHOP_LOGINS, semconv::SHOP_LOGIN_OUTCOME, "locked"), 1.0);
        assert_eq!(counter(&app, metrics::SHOP_SECURITY_EVENTS, semconv::SHOP_SECURITY_EVENT_KIND, "login_failed"), 6.0);
        assert_eq!(counter(&app, metrics::SHOP_SECURITY_EVENTS, semconv::SHOP_SECURITY_EVENT_KIND, "login_locked"), 1.0);
        // Each one is a security event in the log too.
        let events = app.recorder.logs().into_iter().filter(|l| l.message == "security event").count();
        assert!(events >= 7, "{events}");
    }

    async fn failed_logins_are_limited_per_client_address(app) {
        // 20 failures from one address, spread over accounts, stop that address.
        for i in 0..20 {
            let r = app.client.post(app.url("/api/auth/login")).header("x-forwarded-for", "203.0.113.9")
                .json(&json!({ "email": format!("spray{i}@example.com"), "password": PASSWORD })).send().await.unwrap();
            assert_eq!(r.status(), 401);
        }
        expect_json(register(&app, "victim@example.com", PASSWORD, "Aiko").await, 201).await;
        let r = app.client.post(app.url("/api/auth/login")).header("x-forwarded-for", "203.0.113.9")
            .json(&json!({ "email": "victim@example.com", "password": PASSWORD })).send().await.unwrap();
        expect_error(r, 429, "too_many_attempts", None).await;
        // Another address still gets in.
        log_in(&app, "victim@example.com", PASSWORD, None).await;
    }

    async fn logout_and_logout_everywhere_revoke_sessions(app) {
        let laptop = new_customer(&app, "two@example.com").await;
        let phone = log_in(&app, "two@example.com", PASSWORD, None).await;
        let third = log_in(&app, "two@example.com", PASSWORD, None).await;
        let r = laptop.post(&app, "/api/auth/logout", &json!({})).await;
        assert_eq!(r.status(), 204);
        assert!(set_cookie(&r).1.contains("Max-Age=0"), "the cookie is cleared");
        expect_error(laptop.get(&app, "/api/account").await, 401, "unauthenticated", None).await;
        expect_json(phone.get(&app, "/api/account").await, 200).await;
        // A revoked cookie is no session: the request goes on as a guest's.
        expect_json(laptop.send(&app, Method::POST, "/api/carts", None, false).await, 201).await;

        let r = phone.post(&app, "/api/auth/logout-everywhere", &json!({})).await;
        assert_eq!(r.status(), 204);
        expect_error(phone.get(&app, "/api/account").await, 401, "unauthenticated", None).await;
        expect_error(third.get(&app, "/api/account").await, 401, "unauthenticated", None).await;
        let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(sessions, 0);
        // Only hashes are stored.
        let again = log_in(&app, "two@example.com", PASSWORD, None).await;
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_all(app.db.pool()).await.unwrap();
        let token = again.cookie.trim_start_matches("shop_session=");
        assert!(!stored.iter().any(|h| h == token));
        // An expired session is refused and removed.
        sqlx::query("UPDATE sessions SET expires_at = 0").execute(app.db.pool()).await.unwrap();
        expect_error(again.get(&app, "/api/account").await, 401, "unauthenticated", None).await;
    }

    async fn password_reset_tokens_are_single_use_and_expire(app) {
        let before = new_customer(&app, "forgetful@example.com").await;
        assert_eq!(app.post_json("/api/auth/password-reset", &json!({ "email": "Forgetful@example.com" })).await.status(), 202);
        // An unknown e-mail gets the same answer, and no mail.
        assert_eq!(app.post_json("/api/auth/password-reset", &json!({ "email": "nobody@example.com" })).await.status(), 202);
        let mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(mails, 1);
        let token = reset_token(&app, "forgetful@example.com").await;
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM password_resets").fetch_one(app.db.pool()).await.unwrap();
        assert_ne!(stored, token, "only the hash is stored");

        let new_password = "a brand new passphrase";
        let confirm = |token: String, password: &'static str| {
            let app = &app;
            async move { app.post_json("/api/auth/password-reset/confirm", &json!({ "token": token, "password": password })).await }
        };
        expect_error(confirm(token.clone(), "short").await, 400, "validation_failed", Some("password")).await;
        assert_eq!(confirm(token.clone(), new_password).await.status(), 204);
        // Single use.
        expect_error(confirm(token.clone(), "yet another passphrase").await, 404, "invalid_reset_token", Some("token")).await;
        // Sessions opened before the reset are ended; the old password is gone.
        expect_error(before.get(&app, "/api/account").await, 401, "unauthenticated", None).await;
        expect_error(login(&app, "forgetful@example.com", PASSWORD, None).await, 401, "invalid_credentials", None).await;
        log_in(&app, "forgetful@example.com", new_password, None).await;

        // Short-lived: an expired token is refused.
        assert_eq!(app.post_json("/api/auth/password-reset", &json!({ "email": "forgetful@example.com" })).await.status(), 202);
        let late = reset_token(&app, "forgetful@example.com").await;
        assert_ne!(late, token);
        sqlx::query("UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL").execute(app.db.pool()).await.unwrap();
        expect_error(confirm(late, "too late passphrase").await, 404, "invalid_reset_token", None).await;
        expect_error(confirm("f".repeat(64), "never issued phrase").await, 404, "invalid_reset_token", None).await;
        expect_error(confirm("not-a-token".to_owned(), "never issued phrase").await, 404, "invalid_reset_token", None).await;
    }

    async fn guest_orders_are_found_by_id_and_email_only(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 1).await;
        let order = expect_json(app.checkout("guest-1", &order_body(&cart)).await, 201).await;
        let id = order["id"].as_str().unwrap();
        let found = expect_json(app.post_json("/api/orders/lookup", &json!({ "order_id": id, "email": "Learner@Example.com" })).await, 200).await;
        assert_eq!(found, order);
        // A wrong e-mail is 404, exactly like an unknown id: no oracle.
        let wrong = expect_error(app.post_json("/api/orders/lookup", &json!({ "order_id": id, "email": "mallory@example.com" })).await, 404, "not_found", None).await;
        let unknown = expect_error(app.post_json("/api/orders/lookup", &json!({ "order_id": "00000000-0000-4000-8000-000000000000", "email": "learner@example.com" })).await, 404, "not_found", None).await;
        assert_eq!(wrong["error"]["code"], unknown["error"]["code"]);
        expect_error(app.post_json("/api/orders/lookup", &json!({ "order_id": "nope", "email": "learner@example.com" })).await, 400, "validation_failed", Some("order_id")).await;
    }

    async fn cart_additions_count_guests_and_customers_apart(app) {
        let guest = app.create_cart().await;
        expect_json(app.add_item(&guest, 2, 2).await, 201).await;
        let me = new_customer(&app, "cart.counter@example.com").await;
        let body = json!({ "product_id": 3, "quantity": 1 });
        let path = format!("/api/carts/{}/items", me.cart_id);
        expect_json(me.post(&app, &path, &body).await, 201).await;
        let units = |who: &'static str| counter(&app, metrics::SHOP_CART_ADDITIONS, semconv::SHOP_USER_TYPE, who);
        assert_eq!(units("guest"), 2.0);
        assert_eq!(units("registered"), 1.0);
    }

    async fn telemetry_carries_a_pseudonym_and_no_personal_data_or_secret(app) {
        let email = "zebedee.quixote@example.org";
        let password = "Sup3r-Secret-Passphrase!";
        let name = "Zebedee Quixote";
        let line1 = "42 Wallaby Way";
        let city = "Sydneyside";
        expect_json(register(&app, email, password, name).await, 201).await;
        let failed = login(&app, email, "Wr0ng-Passphrase-Here", None).await;
        assert_eq!(failed.status(), 401);
        let guest = app.create_cart().await;
        app.add_item(&guest, 2, 1).await;
        let me = log_in(&app, email, password, Some(&guest)).await;
        let session_token = me.cookie.trim_start_matches("shop_session=").to_owned();
        expect_json(me.get(&app, "/api/account").await, 200).await;
        let add = json!({ "product_id": 3, "quantity": 1 });
        expect_json(me.post(&app, &format!("/api/carts/{}/items", me.cart_id), &add).await, 201).await;
        let mut home = address(name, line1, city);
        home["postal_code"] = json!("QX-7781");
        expect_json(me.post(&app, "/api/account/addresses", &json!({ "address": home.clone(), "is_default": true })).await, 201).await;
        let mut checkout = order_body(&me.cart_id);
        checkout["email"] = json!(email);
        checkout["shipping_address"] = home;
        let r = app.client.post(app.url("/api/orders")).header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
            .header("Idempotency-Key", "pii-1").json(&checkout).send().await.unwrap();
        let order = expect_json(r, 201).await;
        expect_json(me.get(&app, "/api/account/orders").await, 200).await;
        expect_json(app.post_json("/api/orders/lookup", &json!({ "order_id": order["id"], "email": email })).await, 404).await;
        assert_eq!(app.post_json("/api/auth/password-reset", &json!({ "email": email })).await.status(), 202);
        let reset = reset_token(&app, email).await;
        assert_eq!(app.post_json("/api/auth/password-reset/confirm", &json!({ "token": reset, "password": "Another-Secret-Phrase" })).await.status(), 204);
        let r = me.get(&app, "/api/account").await;
        let last = TraceId::from_hex(r.headers()["x-trace-id"].to_str().unwrap()).unwrap();
        assert_eq!(r.status(), 401);
        app.trace(last).await;

        // Everything the recording backend saw.
        let spans = app.recorder.spans();
        let logs = app.recorder.logs();
        let seen = format!("{spans:?}\n{logs:?}\n{:?}", app.recorder.measurements());
        for secret in [email, "zebedee", password, "Wr0ng-Passphrase", "Another-Secret-Phrase", name, "Zebedee", line1, city, "QX-7781", &session_token, &me.csrf, &reset] {
            assert!(!seen.contains(secret), "telemetry carries {secret:?}");
        }

        // The logged-in requests carry the pseudonym: on the server span and in the access log.
        let account_spans: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Server && s.name == "GET /api/account").collect();
        let pseudonym = account_spans.iter().find_map(|s| s.attribute(semconv::ENDUSER_PSEUDO_ID)).and_then(|v| v.as_str()).expect("a pseudonym on the server span").to_owned();
        assert!(pseudonym.starts_with("u_") && pseudonym.len() == 18, "{pseudonym}");
        assert!(account_spans.iter().any(|s| s.attribute(semconv::SHOP_USER_TYPE) == Some(&"registered".into())));
        assert!(logs.iter().any(|l| l.message == "request completed" && l.attribute(semconv::ENDUSER_PSEUDO_ID).and_then(|v| v.as_str()) == Some(pseudonym.as_str())),
            "the access log names the pseudonym");
        // So do the request's other lines, logged deep in the shop's core: the telemetry layer
        // carries it from the server span (a guest's lines carry none).
        let user_of = |message: &str| -> Vec<Option<&str>> {
            logs.iter().filter(|l| l.message == message).map(|l| l.attribute(semconv::ENDUSER_PSEUDO_ID).and_then(|v| v.as_str())).collect()
        };
        assert_eq!(user_of("item added to cart"), [None, Some(pseudonym.as_str())], "the guest's line, then the customer's");
        assert_eq!(user_of("order placed"), [Some(pseudonym.as_str())]);
        // Account routes have database spans like every route.
        let login_span = spans.iter().find(|s| s.kind == SpanKind::Server && s.name == "POST /api/auth/login").unwrap();
        assert!(spans.iter().any(|s| s.kind == SpanKind::Client && s.parent_span_id == Some(login_span.context.span_id)));
    }
}
