//! Inventory (the seeds' inventory service): stock levels, the rules of an
//! availability check, and how the rest of the shop asks for one.
//!
//! - [`model`]: stock status, levels, availability answers;
//! - [`check`]: the rules of an availability request ([`StockCheck`]);
//! - [`store`]: the SQL;
//! - [`client`]: "is this in stock?" asked in-process or of the inventory
//!   service over HTTP ([`remote`]), behind one type.
//!
//! - [`admin`]: the back office's adjustments, thresholds and alerts,
//!   movement history and forecast;
//! - [`alerts`]: the alerts of sales that crossed a threshold, recorded by
//!   the consumer of `order.placed`.

pub mod admin;
pub mod alerts;
pub mod check;
pub mod client;
pub mod model;
pub mod remote;
pub mod store;

use crate::db::Db;
use crate::validation::Invalid;

pub use check::{MAX_CHECK_ITEMS, MAX_CHECK_QUANTITY, StockCheck};
pub use client::InventoryClient;
pub use model::{Availability, ItemAvailability, StockLevel, StockRequest, StockStatus};
pub use remote::Outbound;

/// Why an inventory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("product {0} not found")]
    ProductNotFound(i64),
    /// The inventory service could not be reached.
    #[error("{service} is unavailable")]
    Unavailable { service: &'static str },
    /// The inventory service answered with something unusable.
    #[error("{service} failed: {message}")]
    Upstream {
        service: &'static str,
        message: String,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The inventory's own operations, on its database. Cheap to clone.
#[derive(Clone)]
pub struct Inventory {
    db: Db,
}

impl Inventory {
    /// Inventory on `db`.
    pub fn new(db: Db) -> Inventory {
        Inventory { db }
    }

    /// The fault flags of this inventory's shop (its database handle's).
    pub fn faults(&self) -> &crate::faults::Faults {
        self.db.faults()
    }

    /// Compares the requested quantities with stock on hand.
    pub async fn check(&self, check: &StockCheck) -> Result<Availability, Error> {
        Ok(store::availability(&self.db, check).await?)
    }

    /// The stock level of one product.
    pub async fn level(&self, product_id: i64) -> Result<StockLevel, Error> {
        store::level(&self.db, product_id)
            .await?
            .ok_or(Error::ProductNotFound(product_id))
    }
}
