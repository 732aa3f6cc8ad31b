//! A checkout request once every field has passed its rules, and the price
//! rule that turns a cart into an order's total.

use super::address::ShippingAddress;
use super::coupon::CouponCode;
use crate::cart::CartId;
use crate::email::EmailAddress;
use crate::payments::Payment;

/// Orders with a subtotal from this amount ship free.
pub const FREE_SHIPPING_FROM_CENTS: i64 = 5_000;
/// Shipping for smaller orders.
pub const SHIPPING_CENTS: i64 = 499;

/// A checked checkout request: every field is a validated type, so a
/// `Checkout` cannot hold a bad address or payment token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub cart_id: CartId,
    pub email: EmailAddress,
    pub shipping_address: ShippingAddress,
    /// How the customer pays (C-SHOP-03).
    pub payment: Payment,
    /// The coupon the customer typed, if any.
    pub coupon: Option<CouponCode>,
}

/// Shipping for a cart with this subtotal (before any coupon: a coupon
/// never costs the customer their free shipping).
pub fn shipping_cents(subtotal_cents: i64) -> i64 {
    if subtotal_cents >= FREE_SHIPPING_FROM_CENTS {
        0
    } else {
        SHIPPING_CENTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipping_is_free_from_fifty_dollars() {
        assert_eq!(shipping_cents(0), 499);
        assert_eq!(shipping_cents(4_999), 499);
        assert_eq!(shipping_cents(5_000), 0);
    }
}
