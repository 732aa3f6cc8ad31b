//! What the intake keeps of a browser attribute: an allowlist.
//!
//! The browser is not trusted. An attribute it sends is kept only when its
//! key is one the shop knows (mapped to the shop's own `'static` key, the
//! current semantic-convention name when the browser SDK still sends an old
//! one), its value has the expected type, and its text is bounded. URLs lose
//! their query string and fragment: a search term or a token must not reach
//! a trace. Everything else is dropped and counted, never an error: a newer
//! SDK that adds an attribute must not make the intake refuse its spans.

use std::borrow::Cow;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as OtlpKeyValue, any_value};
use telemetry_api::semconv;
use telemetry_api::{KeyValue, Value};

use super::catalogue;

/// Most attributes kept per span, event or log record.
pub const MAX_ATTRIBUTES: usize = 48;

/// How a kept attribute's value is checked.
#[derive(Clone, Copy)]
enum Kind {
    /// Text of at most this many characters (longer is cut).
    Text(usize),
    /// A URL or path: no query, no fragment, at most this many characters.
    Url(usize),
    /// A short token: ASCII letters, digits, `-` and `_`, at most this long.
    Token(usize),
    /// An integer (a number the SDK sent as a double is accepted when whole).
    Int,
    /// A boolean.
    Bool,
    /// One of the UI's pages ([`super::routes`]); anything else is `other`.
    Route,
    /// One of a closed list ([`super::catalogue`]); anything else is dropped.
    OneOf(&'static [&'static str]),
}

/// `(what the browser may send, what the shop keeps it as, how it is checked)`.
const ALLOWED: &[(&str, &str, Kind)] = &[
    (
        semconv::HTTP_REQUEST_METHOD,
        semconv::HTTP_REQUEST_METHOD,
        Kind::Token(16),
    ),
    ("http.method", semconv::HTTP_REQUEST_METHOD, Kind::Token(16)),
    (
        semconv::HTTP_RESPONSE_STATUS_CODE,
        semconv::HTTP_RESPONSE_STATUS_CODE,
        Kind::Int,
    ),
    (
        "http.status_code",
        semconv::HTTP_RESPONSE_STATUS_CODE,
        Kind::Int,
    ),
    ("url.full", "url.full", Kind::Url(512)),
    ("http.url", "url.full", Kind::Url(512)),
    ("url.path", "url.path", Kind::Url(256)),
    ("server.address", "server.address", Kind::Text(253)),
    ("http.host", "server.address", Kind::Text(253)),
    ("server.port", "server.port", Kind::Int),
    (
        "http.response_content_length",
        "http.response.body.size",
        Kind::Int,
    ),
    (
        "http.response.body.size",
        "http.response.body.size",
        Kind::Int,
    ),
    ("session.id", "session.id", Kind::Token(64)),
    ("page.route", "page.route", Kind::Route),
    ("page.referrer_route", "page.referrer_route", Kind::Route),
    // The UI's custom events (`catalogue::EVENTS`) and what they carry.
    ("event.name", "event.name", Kind::OneOf(catalogue::EVENTS)),
    (
        "cart.action",
        "cart.action",
        Kind::OneOf(catalogue::CART_ACTIONS),
    ),
    ("outcome", "outcome", Kind::OneOf(catalogue::OUTCOMES)),
    (
        "funnel.step",
        "funnel.step",
        Kind::OneOf(catalogue::FUNNEL_STEPS),
    ),
    (
        "checkout.step",
        "checkout.step",
        Kind::OneOf(catalogue::CHECKOUT_STEPS),
    ),
    (
        "checkout.outcome",
        "checkout.outcome",
        Kind::OneOf(catalogue::CHECKOUT_OUTCOMES),
    ),
    (
        "ui.component",
        "ui.component",
        Kind::OneOf(catalogue::COMPONENTS),
    ),
    (
        "network.fault",
        "network.fault",
        Kind::OneOf(catalogue::NETWORK_FAULTS),
    ),
    ("checkout.refusals", "checkout.refusals", Kind::Int),
    (
        "next.navigation_type",
        "next.navigation_type",
        Kind::OneOf(catalogue::NAVIGATION_TYPES),
    ),
    (
        "admin.task",
        "admin.task",
        Kind::OneOf(catalogue::ADMIN_TASKS),
    ),
    (
        "admin.task.outcome",
        "admin.task.outcome",
        Kind::OneOf(catalogue::TASK_OUTCOMES),
    ),
    ("admin.task.refusals", "admin.task.refusals", Kind::Int),
    ("upload.bytes", "upload.bytes", Kind::Int),
    ("upload.transfer_ms", "upload.transfer_ms", Kind::Int),
    ("upload.percent", "upload.percent", Kind::Int),
    (
        "notification.type",
        "notification.type",
        Kind::OneOf(catalogue::NOTIFICATION_TYPES),
    ),
    ("notification.delay_ms", "notification.delay_ms", Kind::Int),
    ("duration_ms", "duration_ms", Kind::Int),
    ("cart.quantity", "cart.quantity", Kind::Int),
    ("component", "component", Kind::Token(48)),
    ("event_type", "event_type", Kind::Token(32)),
    ("target_xpath", "target_xpath", Kind::Text(256)),
    ("ui.element.name", "ui.element.name", Kind::Token(64)),
    ("ui.element.tag", "ui.element.tag", Kind::Token(16)),
    ("ui.event.type", "ui.event.type", Kind::Token(32)),
    (semconv::ERROR_TYPE, semconv::ERROR_TYPE, Kind::Text(128)),
    ("error.source", "error.source", Kind::Token(32)),
    (
        semconv::EXCEPTION_TYPE,
        semconv::EXCEPTION_TYPE,
        Kind::Text(128),
    ),
    (
        semconv::EXCEPTION_MESSAGE,
        semconv::EXCEPTION_MESSAGE,
        Kind::Text(1024),
    ),
    (
        "exception.stacktrace",
        "exception.stacktrace",
        Kind::Text(8192),
    ),
    ("web_vital.name", "web_vital.name", Kind::Token(8)),
    ("web_vital.rating", "web_vital.rating", Kind::Token(24)),
    ("browser.language", "browser.language", Kind::Token(16)),
    ("browser.mobile", "browser.mobile", Kind::Bool),
    ("browser.platform", "browser.platform", Kind::Text(32)),
];

/// The kept attributes of `attributes`, and how many were dropped.
pub fn keep(attributes: &[OtlpKeyValue]) -> (Vec<KeyValue>, u32) {
    let mut kept: Vec<KeyValue> = Vec::new();
    let mut dropped = 0u32;
    for kv in attributes {
        let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
        let keep = ALLOWED
            .iter()
            .find(|(from, _, _)| *from == kv.key)
            .and_then(|(_, to, kind)| Some((*to, check(*kind, value?)?)));
        match keep {
            // The first value of a key wins (an old and a new name of one attribute).
            Some((key, value))
                if kept.len() < MAX_ATTRIBUTES && !kept.iter().any(|k| k.key == key) =>
            {
                kept.push(KeyValue { key, value })
            }
            _ => dropped += 1,
        }
    }
    (kept, dropped)
}

/// An id the browser made (a session id): 1 to `max` letters, digits, `-` or `_`.
pub fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check(kind: Kind, value: &any_value::Value) -> Option<Value> {
    use any_value::Value as V;
    match (kind, value) {
        (Kind::Text(max), V::StringValue(s)) => Some(text(s, max)),
        (Kind::Url(max), V::StringValue(s)) => {
            let end = s.find(['?', '#']).unwrap_or(s.len());
            Some(text(&s[..end], max))
        }
        (Kind::Token(max), V::StringValue(s)) => {
            is_token(s, max).then(|| Value::Str(Cow::Owned(s.clone())))
        }
        (Kind::Route, V::StringValue(s)) => {
            Some(Value::Str(Cow::Borrowed(super::routes::bounded(s))))
        }
        (Kind::OneOf(list), V::StringValue(s)) => {
            catalogue::find(list, s).map(|v| Value::Str(Cow::Borrowed(v)))
        }
        (Kind::Int, V::IntValue(i)) => Some(Value::I64(*i)),
        (Kind::Int, V::DoubleValue(d)) if d.fract() == 0.0 && d.abs() < 9.0e15 => {
            Some(Value::I64(*d as i64))
        }
        (Kind::Bool, V::BoolValue(b)) => Some(Value::Bool(*b)),
        _ => None,
    }
}

/// `s` without control characters (but newlines and tabs, which stacks
/// have), cut to `max` characters.
pub fn text(s: &str, max: usize) -> Value {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .take(max)
        .collect();
    Value::Str(Cow::Owned(clean))
}

/// The string of an attribute in an OTLP list (the resource's `service.name`).
pub fn string<'a>(attributes: &'a [OtlpKeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref() {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(s)),
            }) => Some(s.as_str()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: any_value::Value) -> OtlpKeyValue {
        OtlpKeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn s(v: &str) -> any_value::Value {
        any_value::Value::StringValue(v.to_owned())
    }

    #[test]
    fn known_keys_are_kept_under_the_current_name_and_urls_lose_their_query() {
        let (kept, dropped) = keep(&[
            kv("http.method", s("GET")),
            kv(
                "http.url",
                s("http://127.0.0.1:8080/api/products/search?q=my+name#x"),
            ),
            kv("http.status_code", any_value::Value::DoubleValue(200.0)),
            kv("session.id", s("3f1c-aa_9")),
        ]);
        assert_eq!(dropped, 0);
        let get = |k: &str| {
            kept.iter()
                .find(|kv| kv.key == k)
                .map(|kv| kv.value.clone())
        };
        assert_eq!(get("http.request.method"), Some(Value::from("GET")));
        assert_eq!(
            get("url.full"),
            Some(Value::from("http://127.0.0.1:8080/api/products/search"))
        );
        assert_eq!(get("http.response.status_code"), Some(Value::I64(200)));
        assert_eq!(get("session.id"), Some(Value::from("3f1c-aa_9")));
    }

    #[test]
    fn unknown_keys_wrong_types_and_bad_tokens_are_dropped_and_counted() {
        let (kept, dropped) = keep(&[
            kv("user.email", s("someone@example.com")),
            kv("http.response.status_code", s("200")),
            kv("session.id", s("<script>")),
            kv("http.user_agent", s("Mozilla/5.0")),
        ]);
        assert!(kept.is_empty(), "{kept:?}");
        assert_eq!(dropped, 4);
    }

    #[test]
    fn closed_lists_keep_their_values_and_drop_any_other() {
        let (kept, dropped) = keep(&[
            kv("event.name", s("browser.cart_change")),
            kv("cart.action", s("add")),
            kv("funnel.step", s("free-iphone")),
            kv("ui.component", s("cart-table")),
        ]);
        let keys: Vec<&str> = kept.iter().map(|k| k.key).collect();
        assert_eq!(keys, ["event.name", "cart.action", "ui.component"]);
        assert_eq!(kept[0].value, Value::from("browser.cart_change"));
        assert_eq!(dropped, 1, "an unknown funnel step is dropped");
    }

    #[test]
    fn routes_are_bounded_and_text_is_cut_and_cleaned() {
        let (kept, _) = keep(&[
            kv("page.route", s("/product/?id=42")),
            kv(
                "exception.message",
                s(&format!("bad\u{7}{}", "x".repeat(2000))),
            ),
        ]);
        assert_eq!(kept[0].value, Value::from("other"));
        let Value::Str(m) = &kept[1].value else {
            panic!()
        };
        assert_eq!(m.chars().count(), 1024);
        assert!(m.starts_with("badx"));
    }
}
