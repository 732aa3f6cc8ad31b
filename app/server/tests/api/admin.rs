//! The back office's identity and access (A-AUTH-01..08, O-AUDIT-01,
//! O-SEC-03, O-METRIC-10) over HTTP, on both databases: an invited admin
//! sets a password the policy accepts, enrols TOTP, logs in with a code or a
//! recovery code, steps up, manages admins within the last-administrator
//! rule, and every step is in the audit log; and the RBAC test walks every
//! back-office route of the OpenAPI document with every role.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::{Admins, Operation, Role, TotpSecret};
use shop_core::audit::Origin;
use shop_core::email::EmailAddress;
use telemetry_api::semconv::{self, metrics};

use crate::db_tests;
use crate::support::*;

pub(crate) const PASSWORD: &str = "brass lantern; quiet fjord, 42 owls";

/// An admin's browser: the session cookie and CSRF token, and the phone
/// (the TOTP secret) once enrolled, with the last 30-second step whose code
/// the shop accepted: it takes each step's code once.
#[derive(Clone)]
pub(crate) struct AdminClient {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    pub(crate) totp: Option<String>,
    pub(crate) used_step: Option<u64>,
}

impl AdminClient {
    pub(crate) async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = app
            .client
            .request(method.clone(), app.url(path))
            .header("cookie", &self.cookie);
        if method != Method::GET {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request failed")
    }

    /// A request with a body that is not JSON (a CSV import, an upload).
    pub(crate) async fn send_raw(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        app.client
            .request(method, app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request failed")
    }

    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.send(app, Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
        self.send(app, Method::POST, path, Some(body)).await
    }

    /// The code the phone shows `offset` seconds from now.
    pub(crate) fn code(&self, offset: i64) -> String {
        let secret = TotpSecret::from_base32(self.totp.as_deref().expect("enrolled")).unwrap();
        let now = shop_core::time::now_millis() / 1000;
        secret.code_at((now + offset) as u64)
    }

    /// A code the shop accepts now: this step's, or the next step's when this
    /// step's was already used (the shop allows one step of skew and refuses
    /// a replay). Waiting for the next step instead would cost up to 30 s;
    /// always taking the next step's code fails when the clock has moved on a
    /// step since the last use, two steps ahead of the shop.
    pub(crate) fn fresh_code(&mut self) -> String {
        let secret = TotpSecret::from_base32(self.totp.as_deref().expect("enrolled")).unwrap();
        let now_step = (shop_core::time::now_millis() / 1000 / 30) as u64;
        let step = match self.used_step {
            Some(used) if used >= now_step => used + 1,
            _ => now_step,
        };
        self.used_step = Some(step);
        secret.code_at(step * 30)
    }
}

fn admins(app: &TestApp) -> Admins {
    Admins::new(app.db.clone(), app.instruments.clone())
}

/// An invitation made the way `shop admin invite` makes it.
async fn invite(app: &TestApp, email: &str, roles: &[Role]) -> String {
    let email = EmailAddress::parse(email).unwrap();
    let invitation = admins(app)
        .invite(None, &email, roles.to_vec(), Origin::default())
        .await
        .unwrap();
    invitation.token.expose().to_owned()
}

pub(crate) async fn accept(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/admin/invitations/accept",
        &json!({ "token": token, "name": "Ada Lovelace", "password": password }),
    )
    .await
}

/// Step one of a login: the password. Returns the client and `next`.
pub(crate) async fn password_login(app: &TestApp, email: &str) -> (AdminClient, String) {
    let r = app
        .post_json(
            "/api/admin/login",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = expect_json(r, 200).await;
    let client = AdminClient {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        totp: None,
        used_step: None,
    };
    (client, body["next"].as_str().unwrap().to_owned())
}

/// Enrols TOTP through the API (playing the phone) and returns the recovery codes.
pub(crate) async fn enrol(app: &TestApp, client: &mut AdminClient) -> Vec<String> {
    let e = expect_json(
        client.post(app, "/api/admin/mfa/enrol", &json!({})).await,
        200,
    )
    .await;
    let uri = e["otpauth_uri"].as_str().unwrap();
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("a secret in the URI");
    client.totp = Some(secret.to_owned());
    let body = json!({ "code": client.fresh_code() });
    let codes = expect_json(client.post(app, "/api/admin/mfa/confirm", &body).await, 200).await;
    codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// A ready admin with `roles`: invited, accepted, logged in, enrolled.
pub(crate) async fn ready_admin(app: &TestApp, email: &str, roles: &[Role]) -> AdminClient {
    let token = invite(app, email, roles).await;
    expect_json(accept(app, &token, PASSWORD).await, 201).await;
    let (mut client, next) = password_login(app, email).await;
    assert_eq!(next, "enrol");
    enrol(app, &mut client).await;
    client
}

pub(crate) fn counter(app: &TestApp, action: &str, outcome: &str) -> f64 {
    let filter = [
        (
            semconv::SHOP_ADMIN_ACTION,
            telemetry_api::Value::from(action.to_owned()),
        ),
        (
            semconv::SHOP_ADMIN_OUTCOME,
            telemetry_api::Value::from(outcome.to_owned()),
        ),
    ];
    app.recorder
        .measurements()
        .iter()
        .filter(|m| m.name == metrics::SHOP_ADMIN_ACTIONS && m.matches(&filter))
        .map(|m| m.value)
        .sum()
}

db_tests! {
    async fn an_invited_admin_enrols_logs_in_with_a_second_factor_and_steps_up(app) {
        let email = "ada.lovelace@example.com";
        let token = invite(&app, email, &[Role::Administrator]).await;

        // The password policy names the rule that failed.
        let weak = expect_error(accept(&app, &token, "password1234").await, 400, "validation_failed", Some("password")).await;
        assert!(weak["error"]["message"].as_str().unwrap().contains("`common`"), "{weak}");
        let named = expect_error(accept(&app, &token, "lovelace lovelace").await, 400, "validation_failed", Some("password")).await;
        assert!(named["error"]["message"].as_str().unwrap().contains("`strength`"), "{named}");
        let profile = expect_json(accept(&app, &token, PASSWORD).await, 201).await;
        assert_eq!(profile["roles"], json!(["administrator"]));
        assert_eq!(profile["mfa_enrolled"], false);
        // Single use.
        expect_error(accept(&app, &token, PASSWORD).await, 404, "invalid_invitation", Some("token")).await;

        // Wrong password: the customers' answer, and no cookie.
        let r = app.post_json("/api/admin/login", &json!({ "email": email, "password": "not the password at all" })).await;
        assert!(r.headers().get("set-cookie").is_none());
        expect_error(r, 401, "invalid_credentials", None).await;

        // The password alone opens nothing but the second-factor step.
        let (mut first, next) = password_login(&app, email).await;
        assert_eq!(next, "enrol");
        assert!(first.cookie.starts_with("shop_admin_session="));
        expect_error(first.get(&app, "/api/admin/me").await, 401, "mfa_required", None).await;
        // A customer's cookie is not an admin's.
        let customer = crate::accounts::new_customer(&app, "shopper@example.com").await;
        let r = app.client.get(app.url("/api/admin/me")).header("cookie", &customer.cookie).send().await.unwrap();
        expect_error(r, 401, "unauthenticated", None).await;
        // CSRF: a state-changing request without the header is refused.
        let r = app.client.post(app.url("/api/admin/mfa/enrol")).header("cookie", &first.cookie).json(&json!({})).send().await.unwrap();
        expect_error(r, 403, "csrf_failed", None).await;

        // Enrolment: a wrong code first, then the right one.
        let e = expect_json(first.post(&app, "/api/admin/mfa/enrol", &json!({})).await, 200).await;
        assert!(e["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
        let secret = e["otpauth_uri"].as_str().unwrap().split(['?', '&']).find_map(|p| p.strip_prefix("secret=")).unwrap().to_owned();
        first.totp = Some(secret.clone());
        let wrong = if first.code(0) == "000000" { "111111" } else { "000000" };
        expect_error(first.post(&app, "/api/admin/mfa/confirm", &json!({ "code": wrong })).await, 401, "invalid_code", None).await;
        let code = first.fresh_code();
        let codes = expect_json(first.post(&app, "/api/admin/mfa/confirm", &json!({ "code": code })).await, 200).await;
        let recovery: Vec<String> = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(recovery.len(), 10);
        expect_error(first.post(&app, "/api/admin/mfa/enrol", &json!({})).await, 409, "mfa_already_enrolled", None).await;
        let me = expect_json(first.get(&app, "/api/admin/me").await, 200).await;
        assert_eq!(me["admin"]["mfa_enrolled"], true);
        assert!(me["elevated_until"].is_string(), "a fresh second factor counts as a step-up: {me}");

        // A second login: the next step's code is accepted once, then it is a replay.
        let (mut second, next) = password_login(&app, email).await;
        assert_eq!(next, "verify");
        second.totp = Some(secret.clone());
        second.used_step = first.used_step;
        let next_code = second.fresh_code();
        assert_eq!(second.post(&app, "/api/admin/mfa/verify", &json!({ "code": next_code })).await.status(), 204);
        let (third, _) = password_login(&app, email).await;
        expect_error(third.post(&app, "/api/admin/mfa/verify", &json!({ "code": next_code })).await, 401, "invalid_code", None).await;
        // A recovery code works once (dashes and case do not matter).
        let typed = recovery[0].to_uppercase().replace('-', " ");
        assert_eq!(third.post(&app, "/api/admin/mfa/verify", &json!({ "recovery_code": typed })).await.status(), 204);
        let (fourth, _) = password_login(&app, email).await;
        expect_error(fourth.post(&app, "/api/admin/mfa/verify", &json!({ "recovery_code": recovery[0] })).await, 401, "invalid_code", None).await;
        expect_error(fourth.post(&app, "/api/admin/mfa/verify", &json!({ "code": "123456", "recovery_code": recovery[1] })).await, 400, "validation_failed", Some("code")).await;

        // Sessions: the owner sees them and revokes one; its cookie then opens nothing.
        let listed = expect_json(first.get(&app, "/api/admin/sessions").await, 200).await;
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
        let second_id = expect_json(second.get(&app, "/api/admin/me").await, 200).await["session_id"].as_str().unwrap().to_owned();
        assert_eq!(first.send(&app, Method::DELETE, &format!("/api/admin/sessions/{second_id}"), None).await.status(), 204);
        expect_error(second.get(&app, "/api/admin/me").await, 401, "unauthenticated", None).await;
        expect_error(first.send(&app, Method::DELETE, &format!("/api/admin/sessions/{second_id}"), None).await, 404, "not_found", None).await;

        // Idle for 30 minutes, or 12 hours after login: the session is over.
        let (idle, _) = password_login(&app, email).await;
        let (old, _) = password_login(&app, email).await;
        let hash = |c: &AdminClient| shop_core::accounts::SecretToken::from_client(c.cookie.trim_start_matches("shop_admin_session=")).unwrap().hash();
        let thirty_one_minutes_ago = shop_core::time::now_millis() - 31 * 60 * 1000;
        sqlx::query("UPDATE admin_sessions SET last_seen_at = ? WHERE token_hash = ?").bind(thirty_one_minutes_ago).bind(hash(&idle)).execute(app.db.pool()).await.unwrap();
        sqlx::query("UPDATE admin_sessions SET expires_at = ? WHERE token_hash = ?").bind(shop_core::time::now_millis() - 1).bind(hash(&old)).execute(app.db.pool()).await.unwrap();
        for ended in [&idle, &old] {
            expect_error(ended.post(&app, "/api/admin/mfa/verify", &json!({ "code": "123456" })).await, 401, "unauthenticated", None).await;
        }

        // Managing admins: invite a catalog manager through the API.
        let inv = expect_json(first.post(&app, "/api/admin/invitations", &json!({ "email": "grace@example.com", "roles": ["catalog_manager"] })).await, 201).await;
        expect_error(first.post(&app, "/api/admin/invitations", &json!({ "email": "x@example.com", "roles": ["root"] })).await, 400, "validation_failed", Some("roles[0]")).await;
        let grace = expect_json(accept(&app, inv["token"].as_str().unwrap(), PASSWORD).await, 201).await;
        let grace_id = grace["id"].as_str().unwrap().to_owned();
        let me_id = me["admin"]["id"].as_str().unwrap().to_owned();

        // Privileged: needs a step-up once the login's window has passed.
        sqlx::query("UPDATE admin_sessions SET elevated_until = 0").execute(app.db.pool()).await.unwrap();
        let roles_path = format!("/api/admin/admins/{grace_id}/roles");
        let body = json!({ "roles": ["catalog_manager", "viewer"] });
        expect_error(first.send(&app, Method::PUT, &roles_path, Some(&body)).await, 403, "step_up_required", None).await;
        let up = expect_json(first.post(&app, "/api/admin/step-up", &json!({ "recovery_code": recovery[1] })).await, 200).await;
        assert!(up["elevated_until"].as_str().unwrap().ends_with('Z'));
        let changed = expect_json(first.send(&app, Method::PUT, &roles_path, Some(&body)).await, 200).await;
        assert_eq!(changed["roles"], json!(["viewer", "catalog_manager"]));

        // The last enabled administrator cannot remove themselves.
        let own_roles = format!("/api/admin/admins/{me_id}/roles");
        expect_error(first.send(&app, Method::PUT, &own_roles, Some(&json!({ "roles": ["viewer"] }))).await, 409, "last_administrator", None).await;
        expect_error(first.post(&app, &format!("/api/admin/admins/{me_id}/disable"), &json!({})).await, 409, "last_administrator", None).await;
        expect_error(first.post(&app, "/api/admin/admins/nobody/disable", &json!({})).await, 404, "not_found", None).await;
        // Disabling someone ends their sessions.
        let disabled = expect_json(first.post(&app, &format!("/api/admin/admins/{grace_id}/disable"), &json!({})).await, 200).await;
        assert_eq!(disabled["disabled"], true);
        let r = app.post_json("/api/admin/login", &json!({ "email": "grace@example.com", "password": PASSWORD })).await;
        expect_error(r, 401, "invalid_credentials", None).await;

        // The audit log has every step, with the request's ids; and it verifies.
        let log = expect_json(first.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let log = log.as_array().unwrap();
        let actions: Vec<(&str, &str)> = log.iter().map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
        for expected in [
            ("admins.invite", "success"),
            ("admins.accept_invitation", "success"),
            ("admin.login", "failed"),
            ("admin.login", "success"),
            ("admin.mfa_enrol", "failed"),
            ("admin.mfa_enrol", "success"),
            ("admin.mfa", "success"),
            ("admin.mfa", "failed"),
            ("account.session_revoke", "success"),
            ("admins.change_roles", "denied"),
            ("admin.step_up", "success"),
            ("admins.change_roles", "success"),
            ("admins.disable", "success"),
        ] {
            assert!(actions.contains(&expected), "{expected:?} missing from {actions:?}");
        }
        let change = log.iter().find(|e| e["action"] == "admins.change_roles" && e["outcome"] == "success").unwrap();
        assert_eq!(change["target"], format!("admin:{grace_id}"));
        assert_eq!(change["actor"], me_id.as_str());
        assert!(change["before"].as_str().unwrap().contains("catalog_manager"));
        assert!(change["after"].as_str().unwrap().contains("viewer"));
        assert_eq!(change["request_id"].as_str().unwrap().len(), 32);
        assert!(change["trace_id"].is_string());
        let verdict = expect_json(first.post(&app, "/api/admin/audit/verify", &json!({})).await, 200).await;
        assert_eq!(verdict["intact"], true, "{verdict}");

        // Metrics by action and outcome; the denial is a security event too.
        assert!(counter(&app, "admin.login", "failed") >= 1.0);
        assert!(counter(&app, "admins.change_roles", "denied") >= 1.0);

        // No secret and no personal data in telemetry: password, TOTP secret, recovery codes,
        // invitation tokens, cookie, CSRF token, e-mail, name. (Six-digit codes are left out of the
        // scan: any six digits may appear in a timestamp.)
        let seen = format!("{:?}\n{:?}\n{:?}", app.recorder.spans(), app.recorder.logs(), app.recorder.measurements());
        let cookie_value = first.cookie.trim_start_matches("shop_admin_session=").to_owned();
        let mut secrets = vec![PASSWORD.to_owned(), secret.clone(), token.clone(), cookie_value, first.csrf.clone(),
            email.to_owned(), "Ada Lovelace".to_owned(), inv["token"].as_str().unwrap().to_owned()];
        secrets.extend(recovery.iter().cloned());
        for s in &secrets {
            assert!(!seen.contains(s.as_str()), "telemetry carries {s:?}");
        }
        // The pseudonym, not the id, marks the admin's requests. The id itself appears only where
        // the admin is the resource a URL names (`/api/admin/admins/{id}/…`), like an order id.
        let pseudonym = shop_core::admin::pseudonym(&me_id);
        assert!(seen.contains(&pseudonym));
        let logs_and_metrics = format!("{:?}\n{:?}", app.recorder.logs(), app.recorder.measurements());
        assert!(!logs_and_metrics.contains(&me_id));
        for span in app.recorder.spans() {
            for kv in &span.attributes {
                let value = format!("{:?}", kv.value);
                assert!(!value.contains(&me_id) || kv.key == semconv::URL_PATH, "{} = {value}", kv.key);
            }
        }
    }

    async fn every_admin_route_answers_as_the_role_matrix_says(app) {
        let doc = app.get_json("/api/openapi.json", 200).await;
        // (method, path, operation) of every back-office route in the document.
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.starts_with("/api/admin/") {
                continue;
            }
            for (method, op) in item.as_object().unwrap() {
                let name = op["x-admin-operation"].as_str().unwrap_or_else(|| panic!("{method} {path} names no x-admin-operation"));
                routes.push((method.to_uppercase(), path.clone(), name.to_owned()));
            }
        }
        assert!(routes.len() >= 19, "{routes:?}");

        // One admin per role, plus a spare administrator so the last-administrator rule never
        // decides an answer.
        let mut by_role = BTreeMap::new();
        for (i, role) in Role::ALL.into_iter().enumerate() {
            by_role.insert(role, ready_admin(&app, &format!("role{i}@example.com"), &[role]).await);
        }
        let spare = ready_admin(&app, "spare@example.com", &[Role::Administrator]).await;

        // An order to read, and a fresh one for each allowed move.
        async fn guest_order(app: &TestApp, key: &str) -> String {
            let cart = app.create_cart().await;
            expect_json(app.add_item(&cart, 2, 1).await, 201).await;
            expect_json(app.checkout(key, &order_body(&cart)).await, 201).await["id"].as_str().unwrap().to_owned()
        }
        let order = guest_order(&app, "matrix-read").await;
        // An upload handed to the image-resize function, for its status route (the row as the
        // shop writes it; this shop resizes inline, so it makes none itself).
        const UPLOAD: &str = "0f8e2a1c9b7d4e6fa1b2c3d4e5f60718";
        sqlx::query("INSERT INTO image_upload_jobs (id, product_id, admin_id, status, created_at, updated_at) VALUES (?, 3, 'matrix', 'pending', 0, 0)")
            .bind(UPLOAD).execute(app.db.pool()).await.unwrap();

        let mut victims = 0;
        for (method, path, name) in &routes {
            let Some(op) = Operation::parse(name) else {
                assert!(name == "public" || name == "session", "{method} {path}: unknown operation {name}");
                continue;
            };
            // No session at all: 401, whatever the operation.
            let r = app.client.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&path.replace("{id}", "x"))).json(&json!({})).send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} without a session");
            for role in Role::ALL {
                let client = &by_role[&role];
                // A request the operation accepts when allowed: a fresh target for the changes.
                let (concrete, body) = match op {
                    Operation::OwnSessionRevoke => {
                        // A second session of the same admin (password step only) to revoke.
                        let index = Role::ALL.iter().position(|r| *r == role).unwrap();
                        password_login(&app, &format!("role{index}@example.com")).await;
                        let list = expect_json(client.get(&app, "/api/admin/sessions").await, 200).await;
                        let id = list.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
                        (path.replace("{id}", &id), None)
                    }
                    Operation::AdminsChangeRoles | Operation::AdminsDisable | Operation::AdminsResetMfa | Operation::AdminsRevokeSessions => {
                        victims += 1;
                        let token = invite(&app, &format!("victim{victims}@example.com"), &[Role::Viewer]).await;
                        let v = expect_json(accept(&app, &token, PASSWORD).await, 201).await;
                        let body = (op == Operation::AdminsChangeRoles).then(|| json!({ "roles": ["viewer", "order_manager"] }));
                        (path.replace("{id}", v["id"].as_str().unwrap()), body)
                    }
                    Operation::AdminsInvite => {
                        victims += 1;
                        (path.clone(), Some(json!({ "email": format!("invitee{victims}@example.com"), "roles": ["viewer"] })))
                    }
                    Operation::OrdersRead | Operation::OrdersReadCustomer => (path.replace("{id}", &order), None),
                    Operation::OrdersTransition => {
                        victims += 1;
                        let fresh = guest_order(&app, &format!("matrix-move-{victims}")).await;
                        (path.replace("{id}", &fresh), Some(json!({ "to": "packed" })))
                    }
                    Operation::BatchRun => (path.replace("{job}", "stock_report"), None),
                    Operation::InventoryAdjust => (path.replace("{product_id}", "3"), Some(json!({ "delta": 1, "reason": "receiving" }))),
                    // The catalog: a fresh product or category for each change, so that every
                    // allowed call succeeds (a SKU or slug is unique; a product that sold cannot go).
                    Operation::CatalogWrite | Operation::CatalogDelete | Operation::CatalogBulkDelete => {
                        victims += 1;
                        let category = path.starts_with("/api/admin/categories");
                        let fresh = if category {
                            let c = json!({ "slug": format!("matrix-{victims}"), "name": "Matrix", "parent_id": 1 });
                            expect_json(spare.post(&app, "/api/admin/categories", &c).await, 201).await
                        } else {
                            let p = json!({ "sku": format!("MATRIX-{victims}"), "name": "Matrix", "price_cents": 100, "category_id": 2 });
                            expect_json(spare.post(&app, "/api/admin/products", &p).await, 201).await
                        };
                        let id = fresh["id"].as_i64().unwrap();
                        let body = match (method.as_str(), path.as_str()) {
                            ("POST", "/api/admin/products") => Some(json!({ "sku": format!("MATRIX-{victims}-NEW"), "name": "New", "price_cents": 1, "category_id": 2 })),
                            ("POST", "/api/admin/categories") => Some(json!({ "slug": format!("matrix-{victims}-new"), "name": "New" })),
                            ("POST", _) => Some(json!({ "ids": [id] })),
                            ("PATCH", _) if category => Some(json!({ "name": "Renamed" })),
                            ("PATCH", _) => Some(json!({ "price_cents": 250 })),
                            _ => None,
                        };
                        (path.replace("{id}", &id.to_string()), body)
                    }
                    Operation::CatalogRead => (path.replace("{id}", "3").replace("{upload_id}", UPLOAD), None),
                    Operation::CatalogImport => {
                        let file = "sku,name,price_cents,category\nAUDIO-0001,Matrix import,1999,audio\n";
                        let r = client.send_raw(&app, Method::POST, path, "text/csv", file).await;
                        let status = r.status().as_u16();
                        let text = r.text().await.unwrap();
                        if op.allowed(&[role]) {
                            assert_eq!(status, 200, "{role} {method} {path} ({name}): {text}");
                        } else {
                            assert_eq!(status, 403, "{role} {method} {path} ({name}): {text}");
                        }
                        continue;
                    }
                    Operation::InventoryThreshold => (path.replace("{product_id}", "3"), Some(json!({ "threshold": 5 }))),
                    // The body is a picture (below); refused roles send none and get their 403 first.
                    Operation::CatalogImageUpload => (path.replace("{id}", "3"), None),
                    _ => (path.replace("{product_id}", "3"), (method != "GET").then(|| json!({}))),
                };
                let r = if op == Operation::CatalogImageUpload {
                    // A real picture as multipart/form-data, stored in the lab's S3.
                    crate::common::lab_component("localstack");
                    crate::admin_images::upload(&app, client, &concrete, "cat.png", &crate::admin_images::png(40, 30)).await
                } else {
                    client.send(&app, Method::from_bytes(method.as_bytes()).unwrap(), &concrete, body.as_ref()).await
                };
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                if op.allowed(&[role]) {
                    assert!((200..300).contains(&status), "{role} {method} {concrete} ({name}): {status} {text}");
                } else {
                    assert_eq!(status, 403, "{role} {method} {concrete} ({name}): {text}");
                    assert!(text.contains("\"forbidden\""), "{text}");
                }
            }
        }
        // Every matrix operation that has a route was walked; the rest are the slices to come.
        let walked: Vec<&str> = routes.iter().map(|(_, _, n)| n.as_str()).collect();
        for op in [Operation::OwnAccountRead, Operation::AdminsRead, Operation::AdminsInvite, Operation::AdminsChangeRoles,
            Operation::AdminsDisable, Operation::AdminsResetMfa, Operation::AdminsRevokeSessions, Operation::AuditRead, Operation::AuditVerify,
            Operation::OrdersRead, Operation::OrdersReadCustomer, Operation::OrdersTransition, Operation::SalesReport,
            Operation::InventoryRead, Operation::InventoryAdjust, Operation::InventoryThreshold,
            Operation::CatalogRead, Operation::CatalogWrite, Operation::CatalogDelete, Operation::CatalogBulkDelete,
            Operation::CatalogExport, Operation::CatalogImport, Operation::CatalogImageUpload,
            Operation::ComplianceReport, Operation::BatchRun, Operation::BatchRead, Operation::FaultsRead, Operation::FaultsSet] {
            assert!(walked.contains(&op.as_str()), "{op} has no route");
        }
    }

    async fn the_audit_log_keeps_long_request_ids_and_xray_trace_ids(app) {
        // A caller's request id may be 128 characters, and the awssdk backend writes X-Ray trace
        // ids (35 characters): MariaDB once refused both in the audit log, failing the action.
        let admin = ready_admin(&app, "origin@example.com", &[Role::CatalogManager]).await;
        let long_id = "r".repeat(128);
        let r = app.client.request(Method::PATCH, app.url("/api/admin/products/3"))
            .header("cookie", &admin.cookie).header("x-csrf-token", &admin.csrf)
            .header("x-request-id", &long_id)
            .json(&json!({ "price_cents": 1234 })).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let xray = "1-5f84c7a5-a1b2c3d4e5f6a7b8c9d0e1f2";
        let origin = Origin { client_address: Some("203.0.113.9".into()), request_id: Some(long_id.clone()), trace_id: Some(xray.into()) };
        let event = shop_core::audit::AuditEvent::new(shop_core::audit::Actor::System("test"), "test.origin", shop_core::audit::Outcome::Success).origin(origin);
        shop_core::audit::append(&app.db, event).await.unwrap();
        let ids: Vec<(Option<String>, Option<String>)> = sqlx::query_as("SELECT request_id, trace_id FROM audit_log ORDER BY seq DESC LIMIT 2").fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(ids[0], (Some(long_id.clone()), Some(xray.to_owned())));
        assert_eq!(ids[1].0.as_deref(), Some(long_id.as_str()));
        assert!(matches!(shop_core::audit::verify(&app.db).await.unwrap(), shop_core::audit::chain::Verdict::Intact { .. }));
    }
}
