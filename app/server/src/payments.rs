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

use crate::http::error::ApiError;

/// Authorizes `amount_cents` on the card behind `token`; returns the payment
/// reference. The token's format is validated by the caller.
pub fn authorize(token: &str, amount_cents: i64) -> Result<String, ApiError> {
    let span = tracing::info_span!(
        "payment.authorize",
        span.kind = "internal",
        payment.amount_cents = amount_cents,
        payment.outcome = tracing::field::Empty,
    );
    let _entered = span.enter();
    let declined = match token {
        "tok_chargeDeclined" => Some("card_declined"),
        "tok_insufficientFunds" => Some("insufficient_funds"),
        "tok_expiredCard" => Some("expired_card"),
        _ => None,
    };
    match declined {
        Some(reason) => {
            span.record("payment.outcome", reason);
            tracing::warn!(reason, "payment declined");
            Err(ApiError::PaymentDeclined(reason.to_owned()))
        }
        None => {
            span.record("payment.outcome", "authorized");
            Ok(format!("pay_{:024x}", rand::random::<u128>() >> 32))
        }
    }
}

/// A token is `tok_` followed by 1–60 letters, digits or underscores.
pub fn valid_token(token: &str) -> bool {
    token.strip_prefix("tok_").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 60
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}
