//! How many units of one product a cart line holds: 1–[`MAX_QUANTITY`].

use crate::validation::Invalid;

/// Most units of one product a cart may hold.
pub const MAX_QUANTITY: i64 = 99;

/// A cart line's quantity (field `quantity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i64);

impl Quantity {
    /// Refuses anything outside 1–[`MAX_QUANTITY`].
    pub fn parse(raw: i64) -> Result<Quantity, Invalid> {
        if (1..=MAX_QUANTITY).contains(&raw) {
            Ok(Quantity(raw))
        } else {
            Err(Invalid::new(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ))
        }
    }

    /// `more` units added to a line that holds `current` (0 for no line):
    /// the merged line must still be a valid quantity.
    pub fn merged(current: i64, more: Quantity) -> Result<Quantity, Invalid> {
        let wanted = current.saturating_add(more.0);
        Quantity::parse(wanted).map_err(|_| {
            Invalid::new(
                "quantity",
                format!("the cart would hold {wanted} of this product; at most {MAX_QUANTITY}"),
            )
        })
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_one_and_ninety_nine() {
        assert_eq!(Quantity::parse(1).unwrap().get(), 1);
        assert_eq!(Quantity::parse(99).unwrap().get(), 99);
        for bad in [0, -1, 100, i64::MIN, i64::MAX] {
            assert_eq!(
                Quantity::parse(bad).unwrap_err(),
                Invalid::new("quantity", "must be between 1 and 99")
            );
        }
    }

    #[test]
    fn a_merged_line_stays_within_the_limit() {
        let q = |n| Quantity::parse(n).unwrap();
        assert_eq!(Quantity::merged(0, q(5)).unwrap().get(), 5);
        assert_eq!(Quantity::merged(90, q(9)).unwrap().get(), 99);
        assert_eq!(
            Quantity::merged(90, q(10)).unwrap_err(),
            Invalid::new(
                "quantity",
                "the cart would hold 100 of this product; at most 99"
            )
        );
    }
}
