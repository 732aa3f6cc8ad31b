//! Coupons (C-SHOP-06): a code a customer types at checkout for a
//! percentage or a fixed amount off the subtotal, with a minimum order,
//! validity dates, and limits in total and per customer.
//!
//! This module holds the rules that need no database: the code's form, the
//! discount, and the checks a coupon can fail before the order's
//! transaction. The limits are checked once more inside that transaction
//! with conditional updates (`super::store`), which is what makes two
//! concurrent checkouts unable to redeem the last use twice.

use crate::validation::Invalid;

/// The longest code.
pub const MAX_CODE_LEN: usize = 32;

/// A coupon code as typed: 1–32 ASCII letters, digits, `-` or `_`;
/// compared case-insensitively (kept upper-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCode(String);

impl CouponCode {
    /// Checks the form (not whether the coupon exists).
    pub fn parse(raw: &str) -> Result<CouponCode, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_CODE_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(CouponCode(raw.to_ascii_uppercase()))
        } else {
            Err(Invalid::new(
                "coupon_code",
                "must be 1–32 ASCII letters, digits, '-' or '_'",
            ))
        }
    }

    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// This percentage (1–100) of the subtotal, rounded down to the cent.
    Percent(i64),
    /// This many cents, at most the subtotal.
    Fixed(i64),
}

impl Discount {
    /// The kind and amount as stored (`percent`/`fixed`), if sane.
    pub fn from_stored(kind: &str, amount: i64) -> Option<Discount> {
        match kind {
            "percent" if (1..=100).contains(&amount) => Some(Discount::Percent(amount)),
            "fixed" if amount >= 0 => Some(Discount::Fixed(amount)),
            _ => None,
        }
    }

    /// Cents off a subtotal: never more than the subtotal, never negative.
    pub fn cents_off(self, subtotal_cents: i64) -> i64 {
        let off = match self {
            Discount::Percent(p) => subtotal_cents * p / 100,
            Discount::Fixed(c) => c,
        };
        off.clamp(0, subtotal_cents.max(0))
    }
}

/// A coupon as stored.
#[derive(Debug, Clone)]
pub struct Coupon {
    pub id: i64,
    pub code: String,
    pub discount: Discount,
    /// The subtotal an order needs for the coupon to apply.
    pub min_subtotal_cents: i64,
    /// Epoch milliseconds; `None`: no bound.
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    /// Redemptions allowed in total; `None`: unlimited.
    pub max_redemptions: Option<i64>,
    /// Redemptions allowed per customer; `None`: unlimited.
    pub per_customer_limit: Option<i64>,
    /// Redemptions so far.
    pub redeemed: i64,
}

/// Why a coupon does not apply. Each is a 422 with its own code; the
/// reason is also the bounded `shop.coupon.reason` metric attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no coupon has this code")]
    Unknown,
    #[error("this coupon is not valid yet")]
    NotYetValid,
    #[error("this coupon has expired")]
    Expired,
    #[error("this coupon needs a subtotal of at least {minimum_cents} cents")]
    MinimumNotMet { minimum_cents: i64 },
    #[error("this coupon has been used up")]
    Exhausted,
    #[error("this coupon has already been used as often as one customer may")]
    CustomerLimit,
}

impl Rejection {
    /// The reason's name (`shop.coupon.reason`, and the error code's tail).
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Unknown => "unknown",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::Expired => "expired",
            Rejection::MinimumNotMet { .. } => "minimum_not_met",
            Rejection::Exhausted => "exhausted",
            Rejection::CustomerLimit => "customer_limit",
        }
    }
}

impl Coupon {
    /// The cents this coupon takes off a cart with `subtotal_cents` at
    /// `now` (epoch ms), given the customer's `uses` so far; or why not.
    pub fn apply(&self, subtotal_cents: i64, now: i64, uses: i64) -> Result<i64, Rejection> {
        if self.valid_from.is_some_and(|from| now < from) {
            return Err(Rejection::NotYetValid);
        }
        if self.valid_until.is_some_and(|until| now >= until) {
            return Err(Rejection::Expired);
        }
        if subtotal_cents < self.min_subtotal_cents {
            return Err(Rejection::MinimumNotMet {
                minimum_cents: self.min_subtotal_cents,
            });
        }
        if self.max_redemptions.is_some_and(|max| self.redeemed >= max) {
            return Err(Rejection::Exhausted);
        }
        if self.per_customer_limit.is_some_and(|max| uses >= max) {
            return Err(Rejection::CustomerLimit);
        }
        Ok(self.discount.cents_off(subtotal_cents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon() -> Coupon {
        Coupon {
            id: 1,
            code: "SAVE".to_owned(),
            discount: Discount::Percent(10),
            min_subtotal_cents: 1_000,
            valid_from: Some(100),
            valid_until: Some(200),
            max_redemptions: Some(2),
            per_customer_limit: Some(1),
            redeemed: 0,
        }
    }

    #[test]
    fn codes_are_short_plain_and_case_insensitive() {
        assert_eq!(
            CouponCode::parse("welcome10").unwrap().as_str(),
            "WELCOME10"
        );
        assert!(CouponCode::parse("SAVE_5-NOW").is_ok());
        for bad in ["", " WELCOME10", "WELCOME 10", "ÉTÉ", &"A".repeat(33)] {
            assert!(CouponCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn discounts_never_exceed_the_subtotal() {
        assert_eq!(Discount::Percent(10).cents_off(1_999), 199);
        assert_eq!(Discount::Percent(100).cents_off(1_999), 1_999);
        assert_eq!(Discount::Fixed(500).cents_off(2_000), 500);
        assert_eq!(Discount::Fixed(500).cents_off(300), 300);
        assert_eq!(Discount::from_stored("percent", 0), None);
        assert_eq!(Discount::from_stored("percent", 101), None);
        assert_eq!(Discount::from_stored("fixed", 5), Some(Discount::Fixed(5)));
        assert_eq!(Discount::from_stored("bogus", 5), None);
    }

    #[test]
    fn each_rule_has_its_reason() {
        let c = coupon();
        assert_eq!(c.apply(5_000, 150, 0), Ok(500));
        assert_eq!(c.apply(5_000, 99, 0), Err(Rejection::NotYetValid));
        assert_eq!(c.apply(5_000, 200, 0), Err(Rejection::Expired));
        assert_eq!(
            c.apply(999, 150, 0),
            Err(Rejection::MinimumNotMet {
                minimum_cents: 1_000
            })
        );
        assert_eq!(c.apply(5_000, 150, 1), Err(Rejection::CustomerLimit));
        let used_up = Coupon { redeemed: 2, ..c };
        assert_eq!(used_up.apply(5_000, 150, 0), Err(Rejection::Exhausted));
        assert_eq!(
            Rejection::MinimumNotMet { minimum_cents: 1 }.reason(),
            "minimum_not_met"
        );
    }
}
