//! The audit log's hash chain on both databases (O-AUDIT-01): appends link,
//! concurrent appends queue instead of forking the chain, secrets are masked,
//! and `audit::verify` names the entry where someone edited or removed rows.
//! The compliance report (O-AUDIT-02) over HTTP: its sections as JSON and
//! CSV, the step-up it needs, its own audit entry, and 400s for bad periods.

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::Role;
use shop_core::audit::{self, Actor, AuditEvent, Origin, Outcome, Problem, Verdict};

use crate::admin::{counter, ready_admin};
use crate::db_tests;
use crate::support::*;

fn event(n: usize) -> AuditEvent {
    AuditEvent::new(
        Actor::Admin(format!("admin-{}", n % 3)),
        "catalog.write",
        Outcome::Success,
    )
    .target(format!("product:{n}"))
    .change(
        Some(json!({ "price_cents": n })),
        Some(json!({ "price_cents": n + 1 })),
    )
    .origin(Origin {
        client_address: Some("127.0.0.1".into()),
        request_id: Some(format!("req-{n}")),
        trace_id: Some(format!("{n:032x}")),
    })
}

async fn exec(app: &TestApp, sql: &'static str) {
    sqlx::query(sql).execute(app.db.pool()).await.unwrap();
}

db_tests! {
    async fn appends_chain_and_concurrent_appends_queue(app) {
        assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { entries: 0, head: None });
        for n in 0..5 {
            audit::append(&app.db, event(n)).await.unwrap();
        }
        // Ten at once: each must link to the one before, none may share a sequence number.
        let handles: Vec<_> = (5..15).map(|n| {
            let db = app.db.clone();
            tokio::spawn(async move { audit::append(&db, event(n)).await.unwrap() })
        }).collect();
        for h in handles {
            h.await.unwrap();
        }
        let all = audit::entries(&app.db, 0, i64::MAX, 100).await.unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=15).collect::<Vec<_>>());
        for pair in all.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        match audit::verify(&app.db).await.unwrap() {
            Verdict::Intact { entries, head } => {
                assert_eq!(entries, 15);
                assert_eq!(head, Some((15, all[14].hash.clone())));
            }
            broken => panic!("{broken:?}"),
        }
        let first = &all[0];
        assert_eq!(first.actor_kind.as_deref(), Some("admin"));
        assert_eq!(first.action.as_deref(), Some("catalog.write"));
        assert_eq!(first.outcome.as_deref(), Some("success"));
        assert_eq!(first.request_id.as_deref(), Some("req-0"));
        assert!(first.at.ends_with('Z'));
    }

    async fn secrets_never_reach_the_log(app) {
        let e = AuditEvent::new(Actor::Admin("a1".into()), "admins.reset_mfa", Outcome::Success)
            .target("admin:a2")
            .change(Some(json!({ "totp_secret": "JBSWY3DPEHPK3PXP", "roles": ["viewer"] })), Some(json!({ "totp_secret": null })));
        let entry = audit::append(&app.db, e).await.unwrap();
        let before = entry.before.unwrap();
        assert!(!before.contains("JBSWY3DPEHPK3PXP"), "{before}");
        assert!(before.contains("***") && before.contains("viewer"), "{before}");
        let stored: String = sqlx::query_scalar("SELECT before_json FROM audit_log WHERE seq = 1").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(stored, before);
    }

    async fn verify_names_the_edited_row(app) {
        for n in 0..4 {
            audit::append(&app.db, event(n)).await.unwrap();
        }
        exec(&app, "UPDATE audit_log SET target = 'product:999' WHERE seq = 3").await;
        assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { seq: 3, problem: Problem::Edited });
    }

    async fn verify_names_a_removed_row_and_a_cut_tail(app) {
        for n in 0..4 {
            audit::append(&app.db, event(n)).await.unwrap();
        }
        exec(&app, "DELETE FROM audit_log WHERE seq = 4").await;
        // The rest is a valid chain, but it stops before the head.
        assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { seq: 4, problem: Problem::Gap });
        exec(&app, "DELETE FROM audit_log WHERE seq = 2").await;
        assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { seq: 3, problem: Problem::Gap });
    }
}

/// The entries of a report section, as (action, outcome, target).
fn section(report: &Value, name: &str) -> Vec<(String, String, String)> {
    report[name]
        .as_array()
        .unwrap_or_else(|| panic!("no section {name}: {report}"))
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("action"), s("outcome"), s("target"))
        })
        .collect()
}

db_tests! {
    async fn the_compliance_report_shows_roles_failures_and_exports(app) {
        const PASSWORD: &str = "brass lantern; quiet fjord, 42 owls";
        let started = shop_core::time::now_millis() - 1_000;
        let boss = ready_admin(&app, "boss@example.com", &[Role::Administrator]).await;
        let clerk = ready_admin(&app, "clerk@example.com", &[Role::Viewer]).await;
        let mut auditor = ready_admin(&app, "auditor@example.com", &[Role::SecurityAuditor]).await;
        let clerk_id = expect_json(clerk.get(&app, "/api/admin/me").await, 200).await["admin"]["id"].as_str().unwrap().to_owned();

        // Two failed logins (a wrong password, an unknown e-mail) and a failed step-up.
        for email in ["clerk@example.com", "nobody@example.com"] {
            let r = app.post_json("/api/admin/login", &json!({ "email": email, "password": "wrong password, certainly" })).await;
            expect_error(r, 401, "invalid_credentials", None).await;
        }
        let stale = clerk.code(-120);
        expect_error(clerk.post(&app, "/api/admin/step-up", &json!({ "code": stale })).await, 401, "invalid_code", None).await;
        // A role change, and a read of a customer's personal data.
        let body = json!({ "roles": ["viewer", "order_manager"] });
        expect_json(boss.send(&app, Method::PUT, &format!("/api/admin/admins/{clerk_id}/roles"), Some(&body)).await, 200).await;
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 2, 1).await, 201).await;
        let order = expect_json(app.checkout("compliance-1", &order_body(&cart)).await, 201).await["id"].as_str().unwrap().to_owned();
        expect_json(clerk.get(&app, &format!("/api/admin/orders/{order}/customer")).await, 200).await;

        // The report needs a step-up once the login's second factor is older than the window.
        sqlx::query("UPDATE admin_sessions SET elevated_until = 0").execute(app.db.pool()).await.unwrap();
        expect_error(auditor.get(&app, "/api/admin/reports/compliance").await, 403, "step_up_required", None).await;
        expect_error(clerk.get(&app, "/api/admin/reports/compliance").await, 403, "forbidden", None).await;
        let code = auditor.fresh_code();
        expect_json(auditor.post(&app, "/api/admin/step-up", &json!({ "code": code })).await, 200).await;

        let from = shop_core::time::rfc3339(started);
        let to = shop_core::time::rfc3339(shop_core::time::now_millis() + 60_000);
        let query = format!("from={from}&to={to}");
        let report = expect_json(auditor.get(&app, &format!("/api/admin/reports/compliance?{query}")).await, 200).await;
        assert_eq!((report["from"].as_str(), report["to"].as_str()), (Some(from.as_str()), Some(to.as_str())));

        // Who holds which role: now, after the change.
        let holders = report["role_holders"].as_array().unwrap();
        assert_eq!(holders.len(), 3, "{report}");
        let clerk_now = holders.iter().find(|h| h["admin_id"] == clerk_id.as_str()).unwrap();
        assert_eq!(clerk_now["roles"], json!(["viewer", "order_manager"]));
        assert_eq!((clerk_now["email"].as_str(), clerk_now["mfa_enrolled"].as_bool()), (Some("clerk@example.com"), Some(true)));
        // Role changes: the three invitations accepted, then the change with before and after.
        let changes = report["role_changes"].as_array().unwrap();
        let change = changes.iter().find(|c| c["action"] == "admins.change_roles").unwrap_or_else(|| panic!("{report}"));
        assert_eq!(change["target"], format!("admin:{clerk_id}"));
        assert_eq!((change["roles_before"].clone(), change["roles_after"].clone()), (json!(["viewer"]), json!(["viewer", "order_manager"])));
        assert_eq!(changes.iter().filter(|c| c["action"] == "admins.accept_invitation").count(), 3);
        // Failed logins: both, one of them naming the admin it tried.
        let failed = section(&report, "failed_logins");
        assert_eq!(failed.len(), 2, "{report}");
        assert!(failed.iter().all(|(a, o, _)| a == "admin.login" && o == "failed"));
        assert!(failed.iter().any(|(_, _, t)| t == &format!("admin:{clerk_id}")));
        let mfa = section(&report, "mfa_failures");
        assert_eq!(mfa.len(), 1, "{report}");
        assert_eq!((mfa[0].0.as_str(), mfa[0].1.as_str()), ("admin.step_up", "failed"));
        // Privileged actions: the role change and the refused report (step-up missing).
        let privileged = section(&report, "privileged_actions");
        assert!(privileged.contains(&("admins.change_roles".into(), "success".into(), format!("admin:{clerk_id}"))), "{privileged:?}");
        assert!(privileged.contains(&("audit.compliance_report".into(), "denied".into(), String::new())), "{privileged:?}");
        // Data exports: the customer-data read.
        assert_eq!(section(&report, "data_exports"), [("orders.read_customer".into(), "success".into(), format!("order:{order}"))]);
        assert_eq!(report["summary"]["failed_logins"], 2);
        assert_eq!(report["summary"]["data_exports"], 1);
        // No secret: no hash, TOTP secret, password or before/after state.
        let text = report.to_string();
        for secret in ["password", "totp_secret", "hash", "argon2", PASSWORD, "\"before\":", "\"after\":"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }

        // The export itself is a data export in the log, and counted.
        assert_eq!(counter(&app, "audit.compliance_report", "success"), 1.0);
        let csv = auditor.get(&app, &format!("/api/admin/reports/compliance?{query}&format=csv")).await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with(&format!("{}\r\n", audit::compliance::CSV_HEADER)), "{csv}");
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        let of = |s: &str| rows.iter().filter(|r| r.starts_with(&format!("{s},"))).count();
        assert_eq!((of("role_holder"), of("role_change"), of("failed_login"), of("mfa_failure")), (3, 4, 2, 1), "{csv}");
        // The JSON report of a moment ago is now among the exports.
        assert_eq!(of("data_export"), 2, "{csv}");
        assert!(rows.iter().any(|r| r.starts_with("data_export,") && r.contains(",audit.compliance_report,report:compliance,success,")), "{csv}");
        assert!(rows.iter().any(|r| r.starts_with("role_change,") && r.contains(",viewer,viewer;order_manager,")), "{csv}");
        assert!(!csv.contains("argon2") && !csv.contains("totp"));
        assert_eq!(counter(&app, "audit.compliance_report", "success"), 2.0);
        let log = audit::entries(&app.db, 0, i64::MAX, 1000).await.unwrap();
        let exports: Vec<_> = log.iter().filter(|e| e.action.as_deref() == Some("audit.compliance_report") && e.outcome.as_deref() == Some("success")).collect();
        assert_eq!(exports.len(), 2);
        assert!(exports[1].after.as_deref().unwrap().contains("\"format\":\"csv\""), "{:?}", exports[1]);

        // Bad periods and formats: 400 naming the field.
        for (q, field) in [
            ("from=yesterday", "from"),
            ("to=2026-13-40T00:00:00Z", "to"),
            ("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to"),
            ("from=2026-12-01T00:00:00Z&to=2026-12-01T00:00:00Z", "to"),
            ("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
            ("format=xml", "format"),
        ] {
            let r = auditor.get(&app, &format!("/api/admin/reports/compliance?{q}")).await;
            expect_error(r, 400, "validation_failed", Some(field)).await;
        }
        expect_json(auditor.post(&app, "/api/admin/audit/verify", &json!({})).await, 200).await;
    }
}
