//! The OpenAPI document is generated from the code and covers every route.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app(DbKind::Sqlite).await;
    let doc = app.get_json("/api/openapi.json", 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/products", "get"),
        ("/api/products/search", "get"),
        ("/api/products/{id}", "get"),
        ("/api/categories", "get"),
        ("/api/categories/{id}/products", "get"),
        ("/api/carts", "post"),
        ("/api/carts/{id}", "get"),
        ("/api/carts/{id}/items", "post"),
        ("/api/carts/{id}/items/{item_id}", "patch"),
        ("/api/carts/{id}/items/{item_id}", "delete"),
        ("/api/orders", "post"),
        ("/api/orders/{id}", "get"),
        ("/api/inventory/check", "post"),
        ("/api/inventory/{product_id}", "get"),
        ("/api/telemetry/stats", "get"),
        ("/api/telemetry/flush", "post"),
    ] {
        let op = &paths[path][method];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        // Any operation can meet an unavailable database or the request timeout.
        assert!(
            op["responses"]["503"].is_object(),
            "{method} {path} does not document 503"
        );
    }
    // Error responses point at the shared error schema.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["ErrorBody", "Product", "Cart", "Order", "CreateOrder"] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    let checkout = &paths["/api/orders"]["post"];
    assert!(
        checkout["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
        "the Idempotency-Key header is documented"
    );
}

/// The browser UI's types come from a snapshot of this document
/// (`app/web/src/api/openapi.json`, turned into TypeScript by `npm run api`): it must be the
/// document the shop serves, or the UI is typed against an API that no longer exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uis_snapshot_of_the_openapi_document_is_current() {
    let app = spawn_app(DbKind::Sqlite).await;
    let served = app.get_json("/api/openapi.json", 200).await;
    let path = crate::common::repo_root().join("app/web/src/api/openapi.json");
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        snapshot == served,
        "{} is not the document the shop serves: refresh it with `make web-api` (then `npm run api` in app/web rebuilds the types)",
        path.display()
    );
}

/// Clients generated from the document (the UI's `openapi-typescript` types) need each
/// operation under its own id, and each parameter where the request carries it: a query
/// parameter documented as a path parameter cannot be typed or sent. The ids are checked for
/// the back office's operations (every one of them unique in the whole document).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_ids_are_unique_and_path_parameters_are_in_the_path() {
    let app = spawn_app(DbKind::Sqlite).await;
    let doc = app.get_json("/api/openapi.json", 200).await;
    let mut ids: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                ids.entry(id.to_owned())
                    .or_default()
                    .push(format!("{method} {path}"));
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: `{name}` is documented as a path parameter but is not in the path (a query parameter: `#[into_params(parameter_in = Query)]`)"
                    );
                }
            }
        }
    }
    // openapi-typescript types each operation by its id: two routes with one id get one type.
    for (id, ops) in &ids {
        assert_eq!(ops.len(), 1, "operationId {id} names {ops:?}");
    }
}
