//! Request extractors that turn every malformed input into an [`ApiError`]
//! naming the offending field, instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The request's media type: its `Content-Type` without parameters
/// (`text/csv; charset=utf-8` is `text/csv`).
fn media_type(req: &Request) -> Option<&str> {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
}

/// A JSON request body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = media_type(&req).is_some_and(|mime| {
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
                field: None,
            })?;
        parse_json(&bytes).map(Json)
    }
}

/// Request bodies of a CSV upload (a catalog import) larger than this are
/// refused with 413.
pub const MAX_CSV_BYTES: usize = shop_core::catalog::import::MAX_BYTES;

/// A CSV request body (`text/csv` or `application/csv`), as bytes: the
/// domain parses it and reports its problems row by row.
pub struct Csv(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Csv {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_csv = media_type(&req).is_some_and(|mime| {
            mime.eq_ignore_ascii_case("text/csv") || mime.eq_ignore_ascii_case("application/csv")
        });
        if !is_csv {
            return Err(ApiError::UnsupportedMediaType {
                expected: "text/csv",
            });
        }
        axum::body::to_bytes(req.into_body(), MAX_CSV_BYTES)
            .await
            .map(Csv)
            .map_err(|_| ApiError::PayloadTooLarge {
                limit: MAX_CSV_BYTES,
                field: None,
            })
    }
}

/// Parses a JSON object, reporting the path of the field that failed
/// (`items[0].quantity`). Every body the API takes is an object; checking
/// that first also stops serde from accepting `[2, 1]` for `{product_id,
/// quantity}` (it maps sequences onto structs).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => {
            return Err(ApiError::BadRequest {
                code: "malformed_json",
                message: "the body is empty; expected a JSON object".to_owned(),
            });
        }
        Some(_) => {
            return Err(ApiError::BadRequest {
                code: "invalid_body",
                message: "the body must be a JSON object".to_owned(),
            });
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            malformed(&inner)
        } else {
            let message = strip_position(&inner.to_string());
            match field_name(&path, &message) {
                Some(field) => ApiError::validation(field, message),
                None => ApiError::BadRequest {
                    code: "invalid_body",
                    message,
                },
            }
        }
    })?;
    // Trailing bytes after the JSON value are malformed too.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not valid JSON: {e}"),
    }
}

/// The full path of the offending field: serde reports a missing or unknown
/// field at its parent's path, naming it only in the message.
fn field_name(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
        });
    let parent = (path != "." && !path.is_empty()).then_some(path);
    match (parent, named) {
        (Some(p), Some(n)) if p == n || p.ends_with(&format!(".{n}")) => Some(p.to_owned()),
        (Some(p), Some(n)) => Some(format!("{p}.{n}")),
        (Some(p), None) => Some(p.to_owned()),
        (None, Some(n)) => Some(n.to_owned()),
        (None, None) => None,
    }
}

/// serde_json appends " at line 1 column 17" to its messages; the field path
/// says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The query string, deserialised into `T` (use `#[serde(deny_unknown_fields)]`
/// so typos are reported rather than ignored).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(Query(v)),
            Err(e) => {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                if path == "." || path.is_empty() {
                    Err(ApiError::BadRequest {
                        code: "invalid_query",
                        message,
                    })
                } else {
                    Err(ApiError::validation(path, message))
                }
            }
        }
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(match e.into_kind() {
                ErrorKind::ParseErrorAtKey {
                    key, expected_type, ..
                } => ApiError::validation(key, format!("must be {}", describe_type(expected_type))),
                // A single value or a tuple is parsed by position: name the
                // field as the route names it (`{product_id}`, `{item_id}`),
                // which is also the parameter's name in the OpenAPI document.
                ErrorKind::ParseError { expected_type, .. } => ApiError::validation(
                    param_name(parts, state, 0).await,
                    format!("must be {}", describe_type(expected_type)),
                ),
                ErrorKind::ParseErrorAtIndex {
                    index,
                    expected_type,
                    ..
                } => ApiError::validation(
                    param_name(parts, state, index).await,
                    format!("must be {}", describe_type(expected_type)),
                ),
                other => ApiError::BadRequest {
                    code: "invalid_path",
                    message: other.to_string(),
                },
            }),
            Err(other) => Err(ApiError::Internal(format!("path extraction: {other}"))),
        }
    }
}

/// The name of the route's path parameter at `index` (`id` if the route
/// has none there, which a route with a typed path never does).
async fn param_name<S: Send + Sync>(parts: &mut Parts, state: &S, index: usize) -> String {
    axum::extract::RawPathParams::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|params| params.iter().nth(index).map(|(key, _)| key.to_owned()))
        .unwrap_or_else(|| "id".to_owned())
}

fn describe_type(rust_type: &str) -> &'static str {
    match rust_type {
        "i64" | "u64" | "i32" | "u32" => "a positive integer",
        _ => "well-formed",
    }
}
