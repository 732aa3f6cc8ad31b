//! Cart ids: UUIDs, stored in their hyphenated lower-case form. A malformed
//! id is the caller's mistake (400); a well-formed unknown one is a missing
//! cart (404).

use crate::validation::{Invalid, uuid_id};

/// A cart id (field `id` by default).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CartId(String);

impl CartId {
    /// A new random id.
    pub fn random() -> CartId {
        CartId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Accepts any UUID spelling (braces, upper case, no hyphens).
    pub fn parse(raw: &str) -> Result<CartId, Invalid> {
        uuid_id(raw, "id").map(CartId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CartId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_uuid_spelling_becomes_the_canonical_one() {
        let canonical = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        for raw in [
            canonical,
            "67E55044-10B1-426F-9247-BB680E5FE0C8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
        ] {
            assert_eq!(CartId::parse(raw).unwrap().as_str(), canonical);
        }
        for bad in ["", "42", "67e55044-10b1-426f-9247", "not-a-uuid"] {
            assert_eq!(
                CartId::parse(bad).unwrap_err(),
                Invalid::new("id", "must be a UUID")
            );
        }
        let a = CartId::random();
        assert_eq!(CartId::parse(a.as_str()).unwrap(), a);
    }
}
