//! Order ids: UUIDs, stored in their hyphenated lower-case form.

use crate::validation::{Invalid, uuid_id};

/// An order id (field `id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    /// A new random id.
    pub fn random() -> OrderId {
        OrderId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Accepts any UUID spelling.
    pub fn parse(raw: &str) -> Result<OrderId, Invalid> {
        uuid_id(raw, "id").map(OrderId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_uuids() {
        assert_eq!(
            OrderId::parse("67E5504410B1426F9247BB680E5FE0C8")
                .unwrap()
                .as_str(),
            "67e55044-10b1-426f-9247-bb680e5fe0c8"
        );
        assert_eq!(
            OrderId::parse("1").unwrap_err(),
            Invalid::new("id", "must be a UUID")
        );
    }
}
