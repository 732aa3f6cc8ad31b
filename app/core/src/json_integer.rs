//! JSON integers as JSON Schema counts them: `41` and `41.0` are both the integer 41.
//!
//! The OpenAPI document says `type: integer` for counts and ids, and JSON Schema's `integer` is
//! any number with a zero fractional part, so a client generated from the document may send
//! `41.0` (Python's `json.dumps(41.0)` does). serde's `i64` refuses it as "invalid type: floating
//! point". Integer fields of request bodies therefore use
//! `#[serde(deserialize_with = "shop_core::json_integer::integer")]` (here in the core because some
//! request bodies are core types, such as `inventory::StockRequest`), which takes a whole number
//! in either spelling and refuses everything else (fractions, out-of-range numbers, strings) with
//! serde's usual message.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// Deserialises an `i64` from a JSON integer or from a JSON number with a zero fractional part.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerVisitor)
}

/// One integer, for the containers below.
#[derive(Deserialize)]
struct Integer(#[serde(deserialize_with = "integer")] i64);

/// [`integer`] for an optional field: absent or `null` is `None` (with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Option::<Integer>::deserialize(deserializer).map(|o| o.map(|i| i.0))
}

/// [`integer`] for a field that may be absent (`None`), `null` (`Some(None)`) or a number
/// (`Some(Some(n))`): a patch's "leave it", "clear it" and "set it". Use with
/// `#[serde(default)]`.
pub fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<i64>>, D::Error> {
    Option::<Integer>::deserialize(deserializer).map(|o| Some(o.map(|i| i.0)))
}

/// [`integer`] for every item of an array.
pub fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    Vec::<Integer>::deserialize(deserializer).map(|v| v.into_iter().map(|i| i.0).collect())
}

struct IntegerVisitor;

/// 2^63 as an `f64` (exact): the first value above `i64::MAX`; `-2^63` is `i64::MIN` itself.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

impl Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&v) {
            // Exact: a whole f64 inside the i64 range converts without rounding.
            Ok(v as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Line {
        #[serde(deserialize_with = "super::integer")]
        quantity: i64,
    }

    fn parse(json: &str) -> Result<i64, String> {
        serde_json::from_str::<Line>(json)
            .map(|l| l.quantity)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_are_integers_in_either_spelling() {
        assert_eq!(parse(r#"{"quantity": 41}"#), Ok(41));
        assert_eq!(parse(r#"{"quantity": 41.0}"#), Ok(41));
        assert_eq!(parse(r#"{"quantity": -3}"#), Ok(-3));
        assert_eq!(parse(r#"{"quantity": 4.1e1}"#), Ok(41));
        assert_eq!(parse(r#"{"quantity": 9223372036854775807}"#), Ok(i64::MAX));
        assert_eq!(
            parse(r#"{"quantity": -9223372036854775808.0}"#),
            Ok(i64::MIN)
        );
    }

    #[test]
    fn fractions_strings_and_out_of_range_numbers_are_refused() {
        for json in [
            r#"{"quantity": 41.5}"#,
            r#"{"quantity": "41"}"#,
            r#"{"quantity": null}"#,
            r#"{"quantity": 9223372036854775808}"#,
            r#"{"quantity": 9223372036854775808.0}"#,
            r#"{"quantity": 1e300}"#,
        ] {
            let e = parse(json).expect_err(json);
            assert!(e.contains("expected an integer"), "{json}: {e}");
        }
    }
}
