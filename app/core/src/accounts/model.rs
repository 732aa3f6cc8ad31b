//! What a customer sees of their account (returned as it is).

use serde::Serialize;
use utoipa::ToSchema;

use crate::orders::Address;

/// A customer's profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    /// The login e-mail (stored lower-cased). No `format: email`: the shop's rule is the pattern
    /// of the registration body, which JSON Schema's e-mail format does not match exactly.
    #[schema(example = "learner@example.com")]
    pub email: String,
    #[schema(example = "Aiko Tanaka")]
    pub name: String,
    /// When the account was created (RFC 3339).
    pub created_at: String,
    /// Whether the customer gets sale notices by mail (C-NOTIF-04); off until they ask.
    pub sale_notices: bool,
}

/// An address saved in the customer's address book.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedAddress {
    /// Id of this address (for DELETE and "make default").
    pub id: i64,
    /// The one address checkout offers first; exactly one saved address is the default.
    pub is_default: bool,
    pub address: Address,
    pub created_at: String,
}

/// One order in the customer's order history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderSummary {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: String,
    /// Units across all lines.
    pub item_count: i64,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: String,
}
