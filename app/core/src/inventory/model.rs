//! What inventory answers: stock status, levels, availability. The request
//! and answer of an availability check also travel between services as
//! JSON, so they (de)serialise.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a product's stock looks to a shopper (C-BROWSE-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    InStock,
    /// At or below the product's low-stock threshold, but not zero.
    LowStock,
    OutOfStock,
}

impl StockStatus {
    /// The status of `quantity` units on hand with the product's threshold.
    pub fn of(quantity: i64, low_stock_threshold: i64) -> StockStatus {
        if quantity <= 0 {
            StockStatus::OutOfStock
        } else if quantity <= low_stock_threshold {
            StockStatus::LowStock
        } else {
            StockStatus::InStock
        }
    }
}

/// "Do you have this many of that?"
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockRequest {
    /// At most once per check.
    #[serde(deserialize_with = "crate::json_integer::integer")]
    #[schema(minimum = 1, example = 2)]
    pub product_id: i64,
    #[serde(deserialize_with = "crate::json_integer::integer")]
    #[schema(minimum = 1, maximum = 1_000_000, example = 1)]
    pub quantity: i64,
}

/// The answer for one requested product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemAvailability {
    pub product_id: i64,
    pub requested: i64,
    /// Units on hand (0 for unknown products).
    pub on_hand: i64,
    /// Whether the product exists at all.
    pub exists: bool,
    /// `on_hand >= requested`.
    pub sufficient: bool,
}

/// The answer to an availability check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Availability {
    /// True when every item is sufficient.
    pub available: bool,
    pub items: Vec<ItemAvailability>,
}

impl Availability {
    /// The items that are short, for error details.
    pub fn shortfalls(&self) -> Vec<&ItemAvailability> {
        self.items.iter().filter(|i| !i.sufficient).collect()
    }
}

/// One product's stock level.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    pub product_id: i64,
    pub quantity: i64,
    pub low_stock_threshold: i64,
    pub status: StockStatus,
    /// RFC 3339.
    pub updated_at: String,
}

impl StockLevel {
    /// The level from its stored columns (`updated_at` in epoch ms).
    pub fn new(
        product_id: i64,
        quantity: i64,
        low_stock_threshold: i64,
        updated_at: i64,
    ) -> StockLevel {
        StockLevel {
            product_id,
            quantity,
            low_stock_threshold,
            status: StockStatus::of(quantity, low_stock_threshold),
            updated_at: crate::time::rfc3339(updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_status_thresholds() {
        assert_eq!(StockStatus::of(0, 5), StockStatus::OutOfStock);
        assert_eq!(StockStatus::of(-1, 5), StockStatus::OutOfStock);
        assert_eq!(StockStatus::of(1, 5), StockStatus::LowStock);
        assert_eq!(StockStatus::of(5, 5), StockStatus::LowStock);
        assert_eq!(StockStatus::of(6, 5), StockStatus::InStock);
        assert_eq!(StockStatus::of(1, 0), StockStatus::InStock);
    }

    #[test]
    fn shortfalls_are_the_insufficient_items() {
        let item = |id, sufficient| ItemAvailability {
            product_id: id,
            requested: 1,
            on_hand: 0,
            exists: true,
            sufficient,
        };
        let a = Availability {
            available: false,
            items: vec![item(1, true), item(2, false)],
        };
        let short: Vec<i64> = a.shortfalls().iter().map(|i| i.product_id).collect();
        assert_eq!(short, [2]);
    }
}
