//! Cash on delivery: the courier collects the money, so there is nothing
//! to authorize now; the order is written `placed` (not `paid`) and waits
//! for the back office to accept it. Shops cap what a courier may carry in
//! cash; so does this one.

use super::Declined;
use super::method::{self, Authorization, MethodName, PaymentMethod};

/// The largest total, in cents, payable in cash to the courier.
pub const COD_LIMIT_CENTS: i64 = 30_000;

/// The cash-on-delivery method (no credential).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CashOnDelivery;

impl PaymentMethod for CashOnDelivery {
    fn name(&self) -> MethodName {
        MethodName::CashOnDelivery
    }

    fn authorize(&self, amount_cents: i64) -> Result<Authorization, Declined> {
        if amount_cents > COD_LIMIT_CENTS {
            return Err(Declined {
                reason: "cod_limit_exceeded",
            });
        }
        Ok(Authorization::Pending {
            reference: method::reference("cod"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_is_pending_up_to_the_limit() {
        let ok = CashOnDelivery.authorize(COD_LIMIT_CENTS).unwrap();
        assert!(!ok.is_paid());
        assert!(ok.reference().starts_with("cod_"));
        assert_eq!(
            CashOnDelivery.authorize(COD_LIMIT_CENTS + 1),
            Err(Declined {
                reason: "cod_limit_exceeded"
            })
        );
    }
}
