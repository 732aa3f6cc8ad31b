//! What an order looks like (returned as it is), and the shipping address
//! as it is written and shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::status::OrderStatus;
use crate::payments::MethodName;

/// A postal address as written: plain text, checked by
/// [`super::address::ShippingAddress`] before an order is placed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The recipient: 1–200 characters, not blank (surrounding spaces are removed).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "Aiko Tanaka"
    )]
    pub name: String,
    /// 1–200 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "1-2-3 Marunouchi"
    )]
    pub line1: String,
    /// Optional, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200, default = "", example = "")]
    pub line2: String,
    /// 1–100 characters, not blank.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S", example = "Tokyo")]
    pub city: String,
    /// 1–20 ASCII letters, digits, spaces and hyphens, not blank.
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"^[A-Za-z0-9 -]*[A-Za-z0-9-][A-Za-z0-9 -]*$",
        example = "100-0005"
    )]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `JP`, `US`: two letters (stored upper-case; the
    /// shop checks the form, not the list).
    #[schema(
        min_length = 2,
        max_length = 2,
        pattern = r"^[A-Za-z]{2}$",
        example = "JP"
    )]
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
    #[schema(format = Uuid)]
    pub id: String,
    /// Where the order is now (see `status_history` for how it got there).
    pub status: OrderStatus,
    /// Every status the order has had, oldest first.
    pub status_history: Vec<StatusChange>,
    pub cart_id: String,
    pub email: String,
    pub shipping_address: Address,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    /// The coupon redeemed with the order (upper-case), if any.
    pub coupon_code: Option<String>,
    /// Cents the coupon took off the subtotal (0 without one).
    pub discount_cents: i64,
    pub shipping_cents: i64,
    /// `subtotal_cents - discount_cents + shipping_cents`.
    pub total_cents: i64,
    pub currency: String,
    /// How it is paid (C-SHOP-03). A `cash_on_delivery` order stays `placed`
    /// until the back office accepts it.
    pub payment_method: MethodName,
    /// The payment provider's reference: `pay_…` (card, wallet) or `cod_…`.
    pub payment_reference: String,
    /// The carrier's tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// What was refunded when the return was accepted (cents), if it was.
    pub refunded_cents: Option<i64>,
    pub created_at: String,
}

/// One step of an order's status history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct StatusChange {
    /// The status before (absent for the first step, `placed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<OrderStatus>,
    /// The status entered.
    pub status: OrderStatus,
    /// When, RFC 3339.
    pub at: String,
}
