//! How the cart and checkout ask inventory "is this in stock?": in-process
//! when one process serves everything, over HTTP when the services are split
//! (`--role orders` calls `--role inventory`). Callers cannot tell which.

use std::sync::Arc;

use serde::Serialize;
use tracing::Instrument;

use super::check::StockCheck;
use super::model::{Availability, StockRequest};
use super::remote::{Idempotent, Outbound};
use super::{Error, Inventory};

/// The service name the remote inventory has in telemetry (`peer.service`).
pub const INVENTORY_SERVICE: &str = "shop-inventory";
/// The inventory service's availability endpoint.
pub const CHECK_PATH: &str = "/api/inventory/check";

/// Inventory as the rest of the shop reaches it. Cheap to clone.
#[derive(Clone)]
pub enum InventoryClient {
    /// The same process and database.
    Local(Inventory),
    /// The inventory service at `base_url`.
    Remote {
        outbound: Outbound,
        base_url: Arc<str>,
    },
}

impl InventoryClient {
    /// Whether the stock on hand covers every requested quantity. With the
    /// fault flag `inventory_latency_ms` set, waits that long first (both
    /// topologies; docs/faults.md). The remote call is retried and goes
    /// through the inventory's circuit breaker (docs/resilience.md).
    pub async fn check(&self, check: &StockCheck) -> Result<Availability, Error> {
        match self {
            InventoryClient::Local(inventory) => {
                // The same internal span the remote call's client span stands
                // in for, so both topologies tell the same story.
                async {
                    // The injected latency (`inventory_latency_ms`), inside
                    // the check's span: a slow inventory, as callers see it.
                    inventory.faults().inventory_delay().await;
                    inventory.check(check).await
                }
                .instrument(tracing::info_span!(
                    "inventory.check",
                    span.kind = "internal"
                ))
                .await
            }
            InventoryClient::Remote { outbound, base_url } => {
                #[derive(Serialize)]
                struct Body<'a> {
                    items: &'a [StockRequest],
                }
                // The injected latency (`inventory_latency_ms`), before the
                // call goes out: the caller waits as for a slow service.
                outbound.faults().inventory_delay().await;
                outbound
                    .post_json(
                        INVENTORY_SERVICE,
                        base_url,
                        CHECK_PATH,
                        &Body {
                            items: check.items(),
                        },
                        // A read: safe to try again after a failure on the way.
                        Idempotent::Yes,
                    )
                    .await
            }
        }
    }
}
