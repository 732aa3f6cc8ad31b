//! What a cart looks like to its shopper (returned as it is).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::inventory::StockStatus;

/// A cart is open until an order is placed from it.
pub const STATUS_OPEN: &str = "open";

/// One product in a cart.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartItem {
    /// Id of this cart line (for PATCH/DELETE).
    pub id: i64,
    pub product_id: i64,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
    pub stock_status: StockStatus,
}

/// A server-side cart with its lines and totals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cart {
    #[schema(format = Uuid)]
    pub id: String,
    /// `open`, or `checked_out` once an order was placed from it.
    pub status: String,
    pub items: Vec<CartItem>,
    /// Units across all lines.
    pub item_count: i64,
    pub subtotal_cents: i64,
    pub currency: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Cart {
    /// Whether items can still be added and an order placed.
    pub fn is_open(&self) -> bool {
        self.status == STATUS_OPEN
    }
}
