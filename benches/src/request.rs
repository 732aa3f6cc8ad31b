//! One realistic request of the shop, as the records both backends receive
//! for it: a product page (`GET /api/products/{id}`) continuing the
//! browser's trace, with three SQL queries and one call to another service.
//!
//! The records are made by the real glue (`tracing` spans through
//! `telemetry_api`'s layer into the recording backend), shaped like the
//! shop's own spans (`app/server/src/http/observe.rs`, `app/core/src/db/mod.rs`,
//! `app/core/src/inventory/remote.rs`), so the encoders get exactly what they get in the
//! shop: ids, times, kinds, the request id, an event on the server span.

use telemetry_api::semconv as sc;
use telemetry_api::trace::with_remote_parent;
use telemetry_api::{Resource, SpanContext, SpanId, SpanRecord, Telemetry, TraceId};

/// A request's spans: its local root (the server span) and the rest.
#[derive(Clone, Debug)]
pub struct Request {
    pub root: SpanRecord,
    pub children: Vec<SpanRecord>,
}

impl Request {
    /// All spans, children first (the order in which they end).
    pub fn spans(&self) -> Vec<SpanRecord> {
        let mut all = self.children.clone();
        all.push(self.root.clone());
        all
    }
}

const QUERIES: [(&str, &str, &str); 3] = [
    (
        "SELECT",
        "products",
        "SELECT id, sku, name, description, price_cents, currency, category_id, image_url, \
         created_at FROM products WHERE id = ?",
    ),
    (
        "SELECT",
        "inventory",
        "SELECT product_id, available, reserved, updated_at FROM inventory WHERE product_id = ?",
    ),
    (
        "SELECT",
        "reviews",
        "SELECT id, user_id, rating, title, body, created_at FROM reviews WHERE product_id = ? \
         ORDER BY created_at DESC LIMIT ?",
    ),
];

/// Runs the request under the recording backend and returns its records.
pub fn product_page() -> Request {
    let (backend, recorder) = telemetry_api::recording::backend();
    let telemetry = Telemetry::builder(backend, Resource::new("shop", "bench"))
        .build()
        .expect("the default filter parses");
    // The browser's fetch tracing sent a sampled trace context.
    let caller = SpanContext::remote(
        TraceId(0x6a1f_3c2e_9b7d_4e10_8f2a_5c6d_7e8f_9012),
        SpanId(0x1a2b_3c4d_5e6f_7a8b),
        true,
    );
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let server = with_remote_parent(Some(caller), || {
            tracing::info_span!(
                "HTTP request",
                span.name = "GET /api/products/{id}",
                span.kind = "server",
                request_id = "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0",
                http.request.method = "GET",
                http.route = "/api/products/{id}",
                url.path = "/api/products/42",
                client.address = "203.0.113.7",
                shop.product.id = 42u64,
                http.response.status_code = tracing::field::Empty,
            )
        });
        let _in_server = server.enter();
        for (operation, table, query) in QUERIES {
            let db = tracing::info_span!(
                "db.query",
                span.name = %format_args!("{operation} {table}"),
                span.kind = "client",
                db.system.name = "sqlite",
                db.namespace = "shop",
                db.operation.name = operation,
                db.collection.name = table,
                db.query.text = query,
                db.response.returned_rows = 1u64,
            );
            drop(db);
        }
        let call = tracing::info_span!(
            "HTTP call",
            span.name = "POST /internal/inventory/availability",
            span.kind = "client",
            http.request.method = "POST",
            url.full = "http://127.0.0.1:8081/internal/inventory/availability",
            server.address = "127.0.0.1",
            server.port = 8081u64,
            peer.service = "inventory",
            http.response.status_code = 200u64,
        );
        drop(call);
        server.record(sc::HTTP_RESPONSE_STATUS_CODE, 200u64);
        tracing::info!(
            http.response.status_code = 200u64,
            duration_ms = 3.2,
            "request completed"
        );
    });
    let mut spans = recorder.spans();
    let at = spans
        .iter()
        .position(SpanRecord::is_local_root)
        .expect("the server span is recorded");
    let root = spans.remove(at);
    Request {
        root,
        children: spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_one_server_span_over_four_client_spans() {
        let r = product_page();
        assert_eq!(r.children.len(), 4);
        assert_eq!(r.root.kind, telemetry_api::SpanKind::Server);
        assert!(r.root.parent_is_remote);
        assert_eq!(r.root.attributes.len(), 6, "{:?}", r.root.attributes);
        assert_eq!(r.root.events.len(), 1);
        assert!(r.root.request_id.is_some());
        for child in &r.children {
            assert_eq!(child.parent_span_id, Some(r.root.context.span_id));
            assert_eq!(child.kind, telemetry_api::SpanKind::Client);
        }
        let sql = r
            .children
            .iter()
            .filter(|c| c.attribute(sc::DB_QUERY_TEXT).is_some())
            .count();
        assert_eq!(sql, 3);
    }
}
