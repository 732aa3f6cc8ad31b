//! The audit log's hash chain on both databases (O-AUDIT-01): appends link,
//! concurrent appends queue instead of forking the chain, secrets are masked,
//! and `audit::verify` names the entry where someone edited or removed rows.

use serde_json::json;
use shop_core::audit::{self, Actor, AuditEvent, Origin, Outcome, Problem, Verdict};

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
