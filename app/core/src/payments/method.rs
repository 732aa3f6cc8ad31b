//! The one trait every payment method implements, and the customer's
//! choice of method as a validated value.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Declined;
use super::card::PaymentToken;
use super::cash::CashOnDelivery;
use super::wallet::WalletToken;

/// A way to pay. Each method decides on its own credential (a card token,
/// a wallet token, nothing for cash); the provider wraps every method in
/// the same simulation, span and counts, so adding a method is one type
/// and one variant of [`Payment`].
pub trait PaymentMethod: Send + Sync {
    /// The method's name: stored on the order, a metric dimension.
    fn name(&self) -> MethodName;

    /// Decides on `amount_cents`, as the (mock) network would.
    fn authorize(&self, amount_cents: i64) -> Result<Authorization, Declined>;
}

/// The methods, by the name the API, the database and telemetry use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    /// A card, through a token from the payment page (`tok_…`).
    Card,
    /// A digital wallet, through a one-time token (`wal_…`).
    Wallet,
    /// Paid in cash to the courier.
    CashOnDelivery,
}

impl MethodName {
    pub const ALL: [MethodName; 3] = [
        MethodName::Card,
        MethodName::Wallet,
        MethodName::CashOnDelivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MethodName::Card => "card",
            MethodName::Wallet => "wallet",
            MethodName::CashOnDelivery => "cash_on_delivery",
        }
    }

    /// The method with this name, if any.
    pub fn parse(name: &str) -> Option<MethodName> {
        MethodName::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// What the provider said yes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The money is reserved: the order is paid. `reference` is the
    /// provider's (`pay_…`).
    Authorized { reference: String },
    /// Nothing is paid yet (cash on delivery): the order stays `placed`
    /// until the back office confirms it. `reference` identifies the
    /// collection (`cod_…`).
    Pending { reference: String },
}

impl Authorization {
    pub fn reference(&self) -> &str {
        match self {
            Authorization::Authorized { reference } | Authorization::Pending { reference } => {
                reference
            }
        }
    }

    /// `authorized` or `pending`: the span's and the counter's outcome.
    pub fn outcome(&self) -> &'static str {
        match self {
            Authorization::Authorized { .. } => "authorized",
            Authorization::Pending { .. } => "pending",
        }
    }

    /// True when the money is reserved now.
    pub fn is_paid(&self) -> bool {
        matches!(self, Authorization::Authorized { .. })
    }
}

/// A provider reference: `prefix` and 24 random hex digits.
pub(crate) fn reference(prefix: &str) -> String {
    format!("{prefix}_{:024x}", rand::random::<u128>() >> 32)
}

/// The customer's choice, every credential already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    Card(PaymentToken),
    Wallet(WalletToken),
    CashOnDelivery(CashOnDelivery),
}

impl Payment {
    /// The method that decides on this payment.
    pub fn method(&self) -> &dyn PaymentMethod {
        match self {
            Payment::Card(t) => t,
            Payment::Wallet(t) => t,
            Payment::CashOnDelivery(c) => c,
        }
    }

    /// The credential as the customer sent it (a token), for the
    /// idempotency fingerprint; `None` for cash.
    pub fn credential(&self) -> Option<&str> {
        match self {
            Payment::Card(t) => Some(t.as_str()),
            Payment::Wallet(t) => Some(t.as_str()),
            Payment::CashOnDelivery(_) => None,
        }
    }
}
