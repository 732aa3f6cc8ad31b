//! The rules of a shipping address: every line but `line2` is required,
//! each has a length limit, the postal code has a small alphabet and the
//! country is an ISO 3166-1 alpha-2 code. Text is trimmed; the country is
//! upper-cased.

use super::model::Address;
use crate::validation::Invalid;

/// Longest name and address line, in characters.
pub const MAX_LINE_CHARS: usize = 200;
/// Longest city, in characters.
pub const MAX_CITY_CHARS: usize = 100;
/// Longest postal code, in characters.
pub const MAX_POSTAL_CODE_CHARS: usize = 20;

/// A postal code (field `postal_code`): 1–20 letters, digits, spaces and
/// hyphens, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    /// Trims, then checks the length and the alphabet.
    pub fn parse(raw: &str) -> Result<PostalCode, Invalid> {
        let code = required("postal_code", raw, MAX_POSTAL_CODE_CHARS)?;
        if code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            Ok(PostalCode(code))
        } else {
            Err(Invalid::new(
                "postal_code",
                "may contain only letters, digits, spaces and hyphens",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A country (field `country`): two ASCII letters, upper-cased (`jp` → `JP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Trims and upper-cases, then checks for two letters.
    pub fn parse(raw: &str) -> Result<CountryCode, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(CountryCode(code))
        } else {
            Err(Invalid::new("country", "must be a two-letter country code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A checked shipping address; fields are named as in [`Address`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    name: String,
    line1: String,
    line2: String,
    city: String,
    postal_code: PostalCode,
    country: CountryCode,
}

impl TryFrom<Address> for ShippingAddress {
    type Error = Invalid;

    /// Checks the fields in the order they are written.
    fn try_from(a: Address) -> Result<ShippingAddress, Invalid> {
        let name = required("name", &a.name, MAX_LINE_CHARS)?;
        let line1 = required("line1", &a.line1, MAX_LINE_CHARS)?;
        // Optional, so blank is fine; the limit counts what was sent.
        if a.line2.chars().count() > MAX_LINE_CHARS {
            return Err(too_long("line2", MAX_LINE_CHARS));
        }
        let city = required("city", &a.city, MAX_CITY_CHARS)?;
        let postal_code = PostalCode::parse(&a.postal_code)?;
        let country = CountryCode::parse(&a.country)?;
        Ok(ShippingAddress {
            name,
            line1,
            line2: a.line2.trim().to_owned(),
            city,
            postal_code,
            country,
        })
    }
}

impl From<&ShippingAddress> for Address {
    fn from(a: &ShippingAddress) -> Address {
        Address {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.as_str().to_owned(),
            country: a.country.as_str().to_owned(),
        }
    }
}

/// Trimmed text of 1–`max` characters.
fn required(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    match text.chars().count() {
        0 => Err(Invalid::new(field, "must not be empty")),
        n if n > max => Err(too_long(field, max)),
        _ => Ok(text.to_owned()),
    }
}

fn too_long(field: &str, max: usize) -> Invalid {
    Invalid::new(field, format!("must be at most {max} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> Address {
        Address {
            name: " Ada Lovelace ".into(),
            line1: "1 Main St".into(),
            line2: String::new(),
            city: "Tokyo".into(),
            postal_code: " 100-0001 ".into(),
            country: " jp".into(),
        }
    }

    fn refused(a: Address) -> (String, String) {
        let e = ShippingAddress::try_from(a).unwrap_err();
        (e.field, e.message)
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn a_valid_address_is_normalised() {
        let a = Address::from(&ShippingAddress::try_from(address()).unwrap());
        assert_eq!(a.name, "Ada Lovelace");
        assert_eq!(a.postal_code, "100-0001");
        assert_eq!(a.country, "JP");
        assert_eq!(a.line2, "");
    }

    #[test]
    fn required_lines_and_their_limits() {
        for field in ["name", "line1", "city"] {
            let mut a = address();
            let mut set = |v: String| match field {
                "name" => a.name = v,
                "line1" => a.line1 = v,
                _ => a.city = v,
            };
            set("  ".into());
            assert_eq!(refused(a.clone()), pair(field, "must not be empty"));
        }
        let mut a = address();
        a.name = "n".repeat(201);
        assert_eq!(refused(a), pair("name", "must be at most 200 characters"));
        let mut a = address();
        a.name = "é".repeat(200);
        assert!(
            ShippingAddress::try_from(a).is_ok(),
            "characters, not bytes"
        );
        let mut a = address();
        a.city = "c".repeat(101);
        assert_eq!(refused(a), pair("city", "must be at most 100 characters"));
        let mut a = address();
        a.line2 = "l".repeat(201);
        assert_eq!(refused(a), pair("line2", "must be at most 200 characters"));
    }

    #[test]
    fn postal_code_alphabet_and_length() {
        for ok in ["100-0001", "SW1A 1AA", "12345", "x"] {
            assert_eq!(PostalCode::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            PostalCode::parse("").unwrap_err(),
            Invalid::new("postal_code", "must not be empty")
        );
        assert_eq!(
            PostalCode::parse(&"1".repeat(21)).unwrap_err().message,
            "must be at most 20 characters"
        );
        for bad in ["100_0001", "12#45", "〒100", "1\t2"] {
            assert_eq!(
                PostalCode::parse(bad).unwrap_err(),
                Invalid::new(
                    "postal_code",
                    "may contain only letters, digits, spaces and hyphens"
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn country_codes() {
        assert_eq!(CountryCode::parse("us").unwrap().as_str(), "US");
        assert_eq!(CountryCode::parse(" Jp ").unwrap().as_str(), "JP");
        for bad in ["", "J", "JPN", "J1", "ÄB", "  "] {
            assert_eq!(
                CountryCode::parse(bad).unwrap_err(),
                Invalid::new("country", "must be a two-letter country code"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields_are_checked_in_order() {
        let mut a = address();
        a.line1 = String::new();
        a.country = "X".into();
        assert_eq!(refused(a).0, "line1");
        let mut a = address();
        a.postal_code = "#".into();
        a.country = "X".into();
        assert_eq!(refused(a).0, "postal_code");
    }
}
