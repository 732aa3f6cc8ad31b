//! What an order looks like (returned as it is), and the shipping address
//! as it is written and shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A postal address as written: plain text, checked by
/// [`super::address::ShippingAddress`] before an order is placed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `JP`, `US`.
    pub country: String,
}

/// One line of an order, with the name and price it was bought at.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    pub product_id: i64,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
}

/// A placed order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: String,
    /// `confirmed` (paid, awaiting shipment).
    pub status: String,
    pub cart_id: String,
    pub email: String,
    pub shipping_address: Address,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub shipping_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub payment_reference: String,
    pub created_at: String,
}
