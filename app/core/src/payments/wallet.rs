//! Digital-wallet payments (the kind a phone's wallet or a pay-later
//! service offers): the wallet's page hands the shop a one-time token,
//! `wal_…`. The mock's test tokens:
//!
//! | token | result |
//! |---|---|
//! | `wal_declined` | declined (`wallet_declined`: the wallet's owner refused) |
//! | any other `wal_…` (e.g. `wal_demo`) | authorized |

use super::Declined;
use super::card::is_token;
use super::method::{self, Authorization, MethodName, PaymentMethod};
use crate::validation::Invalid;

/// A wallet's one-time token: `wal_` followed by 1–60 letters, digits or
/// underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletToken(String);

impl WalletToken {
    /// Refuses anything that is not shaped like a wallet token (field `token`).
    pub fn parse(raw: &str) -> Result<WalletToken, Invalid> {
        if is_token(raw, "wal_") {
            Ok(WalletToken(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "token",
                "must be a wallet token like wal_demo",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PaymentMethod for WalletToken {
    fn name(&self) -> MethodName {
        MethodName::Wallet
    }

    fn authorize(&self, _amount_cents: i64) -> Result<Authorization, Declined> {
        if self.as_str() == "wal_declined" {
            return Err(Declined {
                reason: "wallet_declined",
            });
        }
        Ok(Authorization::Authorized {
            reference: method::reference("pay"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_tokens() {
        assert!(WalletToken::parse("tok_visa").is_err());
        assert!(WalletToken::parse("wal_").is_err());
        let ok = WalletToken::parse("wal_demo").unwrap();
        assert!(ok.authorize(100).unwrap().is_paid());
        assert_eq!(
            WalletToken::parse("wal_declined").unwrap().authorize(100),
            Err(Declined {
                reason: "wallet_declined"
            })
        );
    }
}
