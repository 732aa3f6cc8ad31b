//! Metrics over OTLP/HTTP from the W3C checkout run
//! ([`crate::lab::w3c_checkout`]): totals per route equal what was driven,
//! errors and statuses counted once, the business counters.

use std::collections::BTreeMap;

use crate::lab::{W3cCheckout, totals_by, w3c_checkout};

#[test]
fn the_checkouts_metric_totals_equal_what_was_driven() {
    let W3cCheckout { pipeline, .. } = w3c_checkout();

    // Metrics: totals per route equal what was driven (both shops flushed
    // at SIGTERM), counted once per request, histogram counts alike.
    let expected_orders: BTreeMap<String, u64> = [
        ("/api/carts", 2),
        ("/api/carts/{id}/items", 2),
        ("/api/orders", 1),
        ("/api/orders/{id}", 1),
        ("/api/telemetry/flush", 1),
        ("/api/telemetry/stats", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let expected_inventory: BTreeMap<String, u64> = [("/api/inventory/check".to_owned(), 2)]
        .into_iter()
        .collect();
    let requests = "http.server.requests";
    let durations = "http.server.request.duration";
    pipeline.wait("the final metric totals", |s| {
        let m = s.metrics();
        totals_by(&m, "shop-orders", requests, "http.route") == expected_orders
            && totals_by(&m, "shop-orders", durations, "http.route") == expected_orders
            && totals_by(&m, "shop-inventory", requests, "http.route") == expected_inventory
            && totals_by(&m, "shop-inventory", durations, "http.route") == expected_inventory
    });
    let metrics = pipeline.capture.store().metrics();
    let errors = totals_by(&metrics, "shop-orders", "http.server.errors", "http.route");
    assert_eq!(errors.get("/api/carts/{id}/items"), Some(&1), "{errors:?}");
    assert_eq!(errors.values().sum::<u64>(), 1, "{errors:?}");
    let by_status = totals_by(
        &metrics,
        "shop-orders",
        requests,
        "http.response.status_code",
    );
    assert_eq!(by_status.get("503"), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get("404"), Some(&1), "{by_status:?}");
    let orders_placed = totals_by(
        &metrics,
        "shop-orders",
        "shop.orders",
        "shop.checkout.outcome",
    );
    assert_eq!(orders_placed.get("placed"), Some(&1), "{orders_placed:?}");
}

/// The account counters (O-METRIC-13, O-SEC-01) arrive over OTLP like the
/// other business metrics, by their bounded outcome and kind dimensions.
#[test]
fn account_counters_arrive_by_outcome_and_kind() {
    use crate::lab::{Http, Pipeline};
    use serde_json::json;

    let (pipeline, shop) = Pipeline::with_shop(&[]);
    let http = Http::new();
    let email = "metrics@example.com";
    let password = "correct horse battery";
    let register = json!({ "email": email, "password": password, "name": "Aiko" });
    assert_eq!(
        http.post(&shop.url("/api/auth/register"), &register).status,
        201
    );
    let wrong = json!({ "email": email, "password": "wrong password!" });
    for _ in 0..2 {
        assert_eq!(http.post(&shop.url("/api/auth/login"), &wrong).status, 401);
    }
    let right = json!({ "email": email, "password": password });
    assert_eq!(http.post(&shop.url("/api/auth/login"), &right).status, 200);

    let counted = |s: &otlp_capture::Store| {
        let m = s.metrics();
        let logins = totals_by(&m, "shop", "shop.logins", "shop.login.outcome");
        let registrations = totals_by(
            &m,
            "shop",
            "shop.registrations",
            "shop.registration.outcome",
        );
        let events = totals_by(
            &m,
            "shop",
            "shop.security.events",
            "shop.security.event.kind",
        );
        logins.get("failed") == Some(&2)
            && logins.get("ok") == Some(&1)
            && registrations.get("created") == Some(&1)
            && events.get("login_failed") == Some(&2)
    };
    pipeline.wait("the account counters", counted);
}
