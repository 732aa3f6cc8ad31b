//! Email addresses, as the shop accepts them: a pragmatic check (one `@`, a
//! dotted domain, no spaces), not RFC 5322. Checkout needs one now; accounts
//! and notifications will reuse it.

use crate::validation::Invalid;

/// Longest address (RFC 5321's path limit minus the brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// A trimmed, plausible email address (field `email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims surrounding whitespace, then checks the shape.
    pub fn parse(raw: &str) -> Result<EmailAddress, Invalid> {
        let email = raw.trim();
        if email.len() <= MAX_EMAIL_BYTES && plausible(email) {
            Ok(EmailAddress(email.to_owned()))
        } else {
            Err(Invalid::new("email", "must be an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A non-empty local part of at most 64 bytes, a domain with a dot inside
/// it, one `@`, and no whitespace or control characters anywhere.
fn plausible(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_addresses_are_trimmed_and_kept() {
        for (raw, kept) in [
            ("a@b.co", "a@b.co"),
            ("  shopper+tag@example.com\n", "shopper+tag@example.com"),
            ("ünï@例え.jp", "ünï@例え.jp"),
        ] {
            assert_eq!(EmailAddress::parse(raw).unwrap().as_str(), kept);
        }
        let local = "l".repeat(64);
        assert!(EmailAddress::parse(&format!("{local}@example.com")).is_ok());
    }

    #[test]
    fn implausible_addresses_are_refused() {
        let long_local = format!("{}@example.com", "l".repeat(65));
        let too_long = format!("a@{}.com", "d".repeat(250));
        for bad in [
            "",
            "   ",
            "no-at.example.com",
            "@example.com",
            "a@example",
            "a@.example.com",
            "a@example.com.",
            "a@b@example.com",
            "a b@example.com",
            "a@exa\u{7}mple.com",
            long_local.as_str(),
            too_long.as_str(),
        ] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err(),
                Invalid::new("email", "must be an email address"),
                "{bad:?}"
            );
        }
    }
}
