//! Idempotent checkout: a client sends an `Idempotency-Key` with each
//! checkout, and a retry with the same key and the same request gets the
//! order the first attempt created instead of a second one. "The same
//! request" is decided by a fingerprint of the checked, normalised request;
//! the same key with another request is refused.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::checkout::Checkout;
use super::model::Address;
use crate::db::Db;
use crate::payments::MethodName;
use crate::validation::Invalid;

/// The header's name as the API documents it (and the field errors name).
pub const IDEMPOTENCY_KEY_FIELD: &str = "Idempotency-Key";
/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// A key: 1–255 printable ASCII characters without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses the header's raw bytes (`None` when the header is missing).
    pub fn parse(raw: Option<&[u8]>) -> Result<IdempotencyKey, Invalid> {
        let invalid = |message: &str| Invalid::new(IDEMPOTENCY_KEY_FIELD, message);
        let raw = raw.ok_or_else(|| {
            invalid("header is required (a unique value per checkout, e.g. a UUID)")
        })?;
        // What HTTP calls a visible header value: printable ASCII and tab.
        if !raw.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) {
            return Err(invalid("must be printable ASCII"));
        }
        if raw.is_empty()
            || raw.len() > MAX_KEY_BYTES
            || !raw.iter().all(|b| (0x21..=0x7e).contains(b))
        {
            return Err(invalid(
                "must be 1–255 printable ASCII characters without spaces",
            ));
        }
        // Every byte is ASCII by now.
        Ok(IdempotencyKey(String::from_utf8_lossy(raw).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fingerprint of a checkout: SHA-256 (hex) of its normalised JSON.
///
/// The JSON has the shape of the API's request body (`cart_id`, `email`,
/// `shipping_address`, `payment.token`), so fingerprints stored by earlier
/// versions of the shop still match their retries.
pub fn fingerprint(checkout: &Checkout) -> String {
    /// A card payment keeps the fingerprint it had before there were
    /// other methods (`{"token": …}`); the others name their method.
    #[derive(Serialize)]
    struct Payment<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Request<'a> {
        cart_id: &'a str,
        email: &'a str,
        shipping_address: Address,
        payment: Payment<'a>,
        /// Left out when absent, so requests without a coupon keep the
        /// fingerprints they had before coupons existed.
        #[serde(skip_serializing_if = "Option::is_none")]
        coupon_code: Option<&'a str>,
    }
    let request = Request {
        cart_id: checkout.cart_id.as_str(),
        email: checkout.email.as_str(),
        shipping_address: Address::from(&checkout.shipping_address),
        payment: Payment {
            method: match checkout.payment.method().name() {
                MethodName::Card => None,
                other => Some(other.as_str()),
            },
            token: checkout.payment.credential(),
        },
        coupon_code: checkout.coupon.as_ref().map(|c| c.as_str()),
    };
    let bytes = serde_json::to_vec(&request).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The order a key created and the fingerprint of its request, if any.
pub async fn find(db: &Db, key: &IdempotencyKey) -> Result<Option<(String, String)>, sqlx::Error> {
    const SQL: &str = "SELECT id, request_hash FROM orders WHERE idempotency_key = ?";
    db.traced(
        SQL,
        sqlx::query_as(SQL)
            .bind(key.as_str())
            .fetch_optional(db.pool()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::CartId;
    use crate::email::EmailAddress;
    use crate::payments::{CashOnDelivery, Payment, PaymentToken, WalletToken};

    fn refused(raw: Option<&[u8]>) -> String {
        let e = IdempotencyKey::parse(raw).unwrap_err();
        assert_eq!(e.field, "Idempotency-Key");
        e.message
    }

    #[test]
    fn keys() {
        assert_eq!(
            IdempotencyKey::parse(Some(b"k-1_~!")).unwrap().as_str(),
            "k-1_~!"
        );
        let longest = "k".repeat(255);
        assert!(IdempotencyKey::parse(Some(longest.as_bytes())).is_ok());
        assert!(refused(None).starts_with("header is required"));
        for non_ascii in [&b"caf\xc3\xa9"[..], b"a\x00b", b"\x7f"] {
            assert_eq!(refused(Some(non_ascii)), "must be printable ASCII");
        }
        let too_long = "k".repeat(256);
        for bad in [&b""[..], b"a b", b"a\tb", too_long.as_bytes()] {
            assert_eq!(
                refused(Some(bad)),
                "must be 1–255 printable ASCII characters without spaces"
            );
        }
    }

    fn checkout(token: &str) -> Checkout {
        paying(Payment::Card(PaymentToken::parse(token).unwrap()))
    }

    fn paying(payment: Payment) -> Checkout {
        Checkout {
            cart_id: CartId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap(),
            email: EmailAddress::parse(" ada@example.com").unwrap(),
            shipping_address: Address {
                name: "Ada Lovelace ".into(),
                line1: "1 Main St".into(),
                line2: String::new(),
                city: "Tokyo".into(),
                postal_code: "100-0001".into(),
                country: "jp".into(),
            }
            .try_into()
            .unwrap(),
            payment,
            coupon: None,
        }
    }

    #[test]
    fn the_fingerprint_is_stable_and_tells_requests_apart() {
        // The hash of the normalised request body the API has always hashed:
        // {"cart_id":"67e5…","email":"ada@example.com","shipping_address":{…,"country":"JP"},"payment":{"token":"tok_visa"}}
        assert_eq!(
            fingerprint(&checkout("tok_visa")),
            "6d7075227c4037f6200672b4e5a08cdae51cc9bc2e532c7f270e64cc64afd91e"
        );
        assert_ne!(
            fingerprint(&checkout("tok_visa")),
            fingerprint(&checkout("tok_mastercard"))
        );
        // Other methods name themselves, so no two methods share a fingerprint.
        let wallet = fingerprint(&paying(Payment::Wallet(
            WalletToken::parse("wal_visa").unwrap(),
        )));
        let cash = fingerprint(&paying(Payment::CashOnDelivery(CashOnDelivery)));
        assert_ne!(wallet, fingerprint(&checkout("tok_visa")));
        assert_ne!(cash, wallet);
        assert_eq!(
            cash,
            fingerprint(&paying(Payment::CashOnDelivery(CashOnDelivery)))
        );
    }
}
