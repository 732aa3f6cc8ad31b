//! Card payments through tokens, like a test-mode gateway: the card number
//! never reaches the shop (the payment page exchanges it for a token), and
//! tokens follow Stripe's test-token naming so they read familiar:
//!
//! | token | result |
//! |---|---|
//! | `tok_chargeDeclined` | declined (`card_declined`) |
//! | `tok_insufficientFunds` | declined (`insufficient_funds`) |
//! | `tok_expiredCard` | declined (`expired_card`) |
//! | any other `tok_…` (e.g. `tok_visa`) | authorized |

use super::Declined;
use super::method::{self, Authorization, MethodName, PaymentMethod};
use crate::validation::Invalid;

/// A card token: `tok_` followed by 1–60 letters, digits or underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentToken(String);

impl PaymentToken {
    /// Refuses anything that is not shaped like a token (field `token`).
    pub fn parse(raw: &str) -> Result<PaymentToken, Invalid> {
        if is_token(raw, "tok_") {
            Ok(PaymentToken(raw.to_owned()))
        } else {
            Err(Invalid::new("token", "must be a card token like tok_visa"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `prefix` followed by 1–60 ASCII letters, digits or underscores: no
/// room for anything that looks like a card number with its separators,
/// and nothing a log line could be confused by.
pub(crate) fn is_token(raw: &str, prefix: &str) -> bool {
    raw.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 60
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

impl PaymentMethod for PaymentToken {
    fn name(&self) -> MethodName {
        MethodName::Card
    }

    fn authorize(&self, _amount_cents: i64) -> Result<Authorization, Declined> {
        let declined = match self.as_str() {
            "tok_chargeDeclined" => Some("card_declined"),
            "tok_insufficientFunds" => Some("insufficient_funds"),
            "tok_expiredCard" => Some("expired_card"),
            _ => None,
        };
        match declined {
            Some(reason) => Err(Declined { reason }),
            None => Ok(Authorization::Authorized {
                reference: method::reference("pay"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        for ok in [
            "tok_visa",
            "tok_a",
            "tok__",
            &format!("tok_{}", "x".repeat(60)),
        ] {
            assert_eq!(PaymentToken::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "tok_",
            "visa",
            "TOK_visa",
            "tok_vi-sa",
            "tok_vïsa",
            " tok_visa",
            "4242 4242 4242 4242",
            &format!("tok_{}", "x".repeat(61)),
        ] {
            assert_eq!(
                PaymentToken::parse(bad).unwrap_err(),
                Invalid::new("token", "must be a card token like tok_visa"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn test_tokens_decide_the_outcome() {
        let token = |t| PaymentToken::parse(t).unwrap();
        let authorized = token("tok_visa").authorize(100).unwrap();
        assert!(authorized.is_paid());
        let reference = authorized.reference();
        assert!(
            reference.starts_with("pay_") && reference.len() == 28,
            "{reference}"
        );
        for (t, reason) in [
            ("tok_chargeDeclined", "card_declined"),
            ("tok_insufficientFunds", "insufficient_funds"),
            ("tok_expiredCard", "expired_card"),
        ] {
            assert_eq!(token(t).authorize(100), Err(Declined { reason }));
        }
    }
}
