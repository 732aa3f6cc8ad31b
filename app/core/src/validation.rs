//! The one shape of "this input broke a rule": which field, and what the
//! rule says. Every validated domain type (`EmailAddress`, `Quantity`, …)
//! refuses bad input with an [`Invalid`]; each domain's error enum wraps it.
//!
//! A type names its own field (`quantity`, `postal_code`); whoever composes
//! it into something bigger says where it sits ([`Invalid::within`] gives
//! `shipping_address.postal_code`, [`Invalid::at`] renames it), so the
//! caller learns the full path of what to fix.

/// An input that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The offending field's path, e.g. `items[0].quantity`.
    pub field: String,
    /// What the rule says, for a human (`must be between 1 and 99`).
    pub message: String,
}

impl Invalid {
    /// `field` broke the rule `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same rule, reported at another field (a type used under a
    /// different name, such as a cart id given as `cart_id`).
    pub fn at(self, field: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            ..self
        }
    }

    /// The same rule, with the field nested in `parent`
    /// (`postal_code` within `shipping_address`).
    pub fn within(self, parent: &str) -> Invalid {
        Invalid {
            field: format!("{parent}.{}", self.field),
            ..self
        }
    }
}

/// Parses a UUID id in any of its spellings into the canonical hyphenated
/// lower-case form the database stores (`field` names it if it is not one).
pub(crate) fn uuid_id(raw: &str, field: &str) -> Result<String, Invalid> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| Invalid::new(field, "must be a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_can_be_renamed_and_nested() {
        let e = Invalid::new("quantity", "must be positive");
        assert_eq!(e.to_string(), "quantity: must be positive");
        assert_eq!(e.clone().within("items[3]").field, "items[3].quantity");
        assert_eq!(e.at("count").field, "count");
    }
}
