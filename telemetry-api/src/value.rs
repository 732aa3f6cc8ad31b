//! Attribute values: the typed key/value pairs spans, log records and metric
//! dimensions carry.
//!
//! Keys are `&'static str` because every key the shop uses is a constant from
//! [`crate::semconv`] or a `tracing` field name (which is `'static` too), so the
//! hot path never allocates for a key.

use std::borrow::Cow;
use std::fmt;

/// A typed attribute value. Backends map each variant to their wire form
/// (an OTLP `AnyValue`, an X-Ray annotation or metadata entry, a CloudWatch
/// dimension value, a JSON field).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    I64(i64),
    F64(f64),
    Str(Cow<'static, str>),
}

impl Value {
    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::I64(v) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Value::I64(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::I64(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}
impl From<&'static str> for Value {
    fn from(v: &'static str) -> Self {
        Value::Str(Cow::Borrowed(v))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(Cow::Owned(v))
    }
}
impl From<Cow<'static, str>> for Value {
    fn from(v: Cow<'static, str>) -> Self {
        Value::Str(v)
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(v) => s.serialize_bool(*v),
            Value::I64(v) => s.serialize_i64(*v),
            Value::F64(v) => s.serialize_f64(*v),
            Value::Str(v) => s.serialize_str(v),
        }
    }
}

/// One attribute: a key from the shared vocabulary and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    pub key: &'static str,
    pub value: Value,
}

impl KeyValue {
    pub fn new(key: &'static str, value: impl Into<Value>) -> Self {
        KeyValue {
            key,
            value: value.into(),
        }
    }
}

/// Looks up a key in an attribute list (the lists are short, so a linear scan
/// beats a map).
pub fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| &kv.value)
}
