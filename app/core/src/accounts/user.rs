//! Who a customer is, to the shop and to its telemetry: the [`UserId`]
//! (a random UUID, never shown to anyone), the [`UserPseudonym`] derived from
//! it for spans, logs and the access log, the [`UserType`] of a request, and
//! the validated [`DisplayName`].

use super::token::sha256_hex;
use crate::validation::Invalid;

/// Who made a request, as the `shop.user.type` attribute says it (on the
/// server span, and on `shop.cart.additions`): the attribute's only values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserType {
    /// No live session.
    Guest,
    /// A logged-in customer: the request carried a live session.
    Registered,
}

impl UserType {
    /// `guest` or `registered`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Guest => "guest",
            UserType::Registered => "registered",
        }
    }
}

/// A user's id: a random UUID, the key of every row the user owns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// A new random id.
    pub fn random() -> UserId {
        UserId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// An id read back from the database.
    pub fn from_db(raw: String) -> UserId {
        UserId(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pseudonym that stands for this user in telemetry.
    pub fn pseudonym(&self) -> UserPseudonym {
        UserPseudonym::of(self)
    }
}

/// The pseudonymous user id (`enduser.pseudo.id`): `u_` and the first 16 hex
/// digits of SHA-256 over a fixed domain label and the user id. It lets a
/// reader follow one customer's requests across spans and logs, but names no
/// one: it is neither the e-mail nor the name, and the user id it comes from
/// is never exposed, so the pseudonym cannot be joined with the API's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserPseudonym(String);

impl UserPseudonym {
    /// Prefix, so a reader knows what the value is.
    pub const PREFIX: &'static str = "u_";

    /// The pseudonym of `user`.
    pub fn of(user: &UserId) -> UserPseudonym {
        // The label separates this use of the hash from any other: the same
        // user id hashed elsewhere gives an unrelated value.
        let digest = sha256_hex(format!("shop.enduser.pseudo.id/v1:{}", user.as_str()).as_bytes());
        UserPseudonym(format!("{}{}", Self::PREFIX, &digest[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A customer's display name (field `name`): 1–100 characters as sent, not
/// blank; stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Checks the length as sent, then that something is left once the
    /// white space is trimmed.
    ///
    /// "White space" is JSON Schema's (ECMAScript's `\s`), the one the
    /// OpenAPI document's pattern `\S` uses, not Rust's `char::is_whitespace`:
    /// the two differ in U+0085 and U+FEFF, and the document must state
    /// exactly the rule the server enforces.
    pub fn parse(raw: &str) -> Result<DisplayName, Invalid> {
        if raw.chars().count() > MAX_NAME_CHARS {
            return Err(Invalid::new(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let name = raw.trim_matches(is_json_schema_space);
        if name.is_empty() {
            return Err(Invalid::new("name", "must not be empty"));
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ECMAScript's `\s`: its WhiteSpace and LineTerminator characters.
fn is_json_schema_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pseudonym_is_stable_short_and_not_the_id() {
        let id = UserId::from_db("67e55044-10b1-426f-9247-bb680e5fe0c8".to_owned());
        let p = id.pseudonym();
        assert_eq!(p, UserPseudonym::of(&id));
        assert!(p.as_str().starts_with("u_"));
        assert_eq!(p.as_str().len(), 2 + 16);
        assert!(!p.as_str().contains("67e55044"));
        assert_ne!(p, UserId::random().pseudonym());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Aiko ").unwrap().as_str(), "Aiko");
        assert_eq!(DisplayName::parse(" ").unwrap_err().field, "name");
        assert!(DisplayName::parse(&"n".repeat(100)).is_ok());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
        // Length counts what was sent, as the document's maxLength does.
        assert!(DisplayName::parse(&format!("{}a", " ".repeat(100))).is_err());
        // JSON Schema's white space, not Rust's.
        assert!(DisplayName::parse("\u{feff}").is_err());
        assert_eq!(DisplayName::parse("\u{85}").unwrap().as_str(), "\u{85}");
    }
}
