//! Reading the Lab page's window service map (`GET /api/lab/service-map`) in
//! the awssdk and otel read-back tests: one store's nodes and edges.

use serde_json::Value;

/// The node named `name` of a store's map.
pub fn node<'a>(store: &'a Value, name: &str) -> Option<&'a Value> {
    store["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["name"] == name)
}

/// The edge `from` → `to` of a store's map.
pub fn edge<'a>(store: &'a Value, from: &str, to: &str) -> Option<&'a Value> {
    store["edges"]
        .as_array()?
        .iter()
        .find(|e| e["from"] == from && e["to"] == to)
}

/// A count of a node's or an edge's stats.
pub fn count(item: &Value, what: &str) -> u64 {
    item["stats"][what].as_u64().unwrap_or(0)
}
