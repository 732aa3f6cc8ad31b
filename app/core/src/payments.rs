//! The mock payment provider (the seeds' 支払い処理（模擬）): authorizes card
//! tokens in-process, like a test-mode gateway. Tokens follow Stripe's
//! test-token naming so they read familiar:
//!
//! | token | result |
//! |---|---|
//! | `tok_chargeDeclined` | declined (`card_declined`) |
//! | `tok_insufficientFunds` | declined (`insufficient_funds`) |
//! | `tok_expiredCard` | declined (`expired_card`) |
//! | any other `tok_…` (e.g. `tok_visa`) | authorized |

use crate::validation::Invalid;

/// A card token: `tok_` followed by 1–60 letters, digits or underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentToken(String);

impl PaymentToken {
    /// Refuses anything that is not shaped like a token (field `token`).
    pub fn parse(raw: &str) -> Result<PaymentToken, Invalid> {
        let valid = raw.strip_prefix("tok_").is_some_and(|rest| {
            !rest.is_empty()
                && rest.len() <= 60
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if valid {
            Ok(PaymentToken(raw.to_owned()))
        } else {
            Err(Invalid::new("token", "must be a card token like tok_visa"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The provider refused the payment; `reason` is its code
/// (`card_declined`, `insufficient_funds`, `expired_card`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment declined: {reason}")]
pub struct Declined {
    pub reason: &'static str,
}

/// The mock provider. It holds nothing; a real one would hold its client.
#[derive(Debug, Clone, Copy, Default)]
pub struct MockProvider;

impl MockProvider {
    /// Authorizes `amount_cents` on the card behind `token`; returns the
    /// payment reference.
    pub fn authorize(&self, token: &PaymentToken, amount_cents: i64) -> Result<String, Declined> {
        let span = tracing::info_span!(
            "payment.authorize",
            span.kind = "internal",
            payment.amount_cents = amount_cents,
            payment.outcome = tracing::field::Empty,
        );
        let _entered = span.enter();
        match decline_reason(token) {
            Some(reason) => {
                span.record("payment.outcome", reason);
                tracing::warn!(reason, "payment declined");
                Err(Declined { reason })
            }
            None => {
                span.record("payment.outcome", "authorized");
                Ok(format!("pay_{:024x}", rand::random::<u128>() >> 32))
            }
        }
    }
}

/// The test tokens that are declined, and why.
fn decline_reason(token: &PaymentToken) -> Option<&'static str> {
    match token.as_str() {
        "tok_chargeDeclined" => Some("card_declined"),
        "tok_insufficientFunds" => Some("insufficient_funds"),
        "tok_expiredCard" => Some("expired_card"),
        _ => None,
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
        let provider = MockProvider;
        let token = |t| PaymentToken::parse(t).unwrap();
        let reference = provider.authorize(&token("tok_visa"), 100).unwrap();
        assert!(
            reference.starts_with("pay_") && reference.len() == 28,
            "{reference}"
        );
        for (t, reason) in [
            ("tok_chargeDeclined", "card_declined"),
            ("tok_insufficientFunds", "insufficient_funds"),
            ("tok_expiredCard", "expired_card"),
        ] {
            assert_eq!(provider.authorize(&token(t), 100), Err(Declined { reason }));
        }
    }
}
