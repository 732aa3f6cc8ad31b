//! The one error type of the HTTP API, and the one place it becomes a
//! response: `{"error": {"code": …, "message": …, "field": …}}`. The
//! domains' errors (`shop_core::catalog::Error`, …) say nothing about HTTP;
//! the `From` impls at the end of this file are where each becomes a status
//! and an error code.
//!
//! Bad input is always a 4xx naming the problem; a 5xx means the shop or a
//! dependency failed, never the caller.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shop_core::{Invalid, accounts, admin, cart, catalog, inventory, orders, payments};
use utoipa::ToSchema;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field of the request (body, query or path) is invalid.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// The request is malformed as a whole (not JSON, unknown field…).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// A resource named in the path does not exist.
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    /// No route matches the path.
    #[error("no route for {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// A secret token (a password-reset token) that is unknown, used or
    /// expired: 404, like any other unknown resource, with its own code.
    /// Also a route of a feature this shop runs without (social login, the
    /// lab's read-back), with the code that says so.
    #[error("{message}")]
    TokenNotFound {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// The route exists but not for this method.
    #[error("method {method} is not allowed for {path}")]
    MethodNotAllowed { method: String, path: String },
    /// The request conflicts with the current state (stock, cart status).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: Option<serde_json::Value>,
    },
    /// Well-formed but cannot be processed (empty cart, reused idempotency key).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// The route needs a logged-in customer and the request has no live session.
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// The request is understood but refused (a missing or wrong CSRF token).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Too many attempts; try again after `retry_after` (sent as `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after: Duration,
    },
    /// The (mock) payment provider declined the payment.
    #[error("payment declined: {0}")]
    PaymentDeclined(String),
    /// The body (or, for an upload, the form field `field`) is over the limit.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        limit: usize,
        field: Option<&'static str>,
    },
    #[error("expected Content-Type: {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// An uploaded file refused for what it holds, not how it was sent (a
    /// text file named `cat.png`): 415 with the upload's own code, naming
    /// the form field.
    #[error("{message}")]
    UnsupportedFile {
        code: &'static str,
        message: String,
        field: &'static str,
    },
    /// A dependency this route needs is not set up or not answering (image
    /// storage): 503 with a code of its own, retryable like any 503.
    #[error("{message}")]
    ServiceUnavailable { code: &'static str, message: String },
    /// A file whose rows broke rules (a catalog import): nothing was
    /// written; `details` is the report naming every bad row.
    #[error("{message}")]
    RowsRejected {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    /// A dependency (database, another service) is unreachable.
    #[error("{what} is unavailable")]
    Unavailable { what: &'static str },
    /// The request took longer than the configured request timeout.
    #[error("the shop did not answer within {}", humantime::format_duration(*.after))]
    RequestTimeout { after: Duration },
    /// Another service answered with something unusable.
    #[error("{service} failed: {message}")]
    Upstream {
        service: &'static str,
        message: String,
    },
    /// A bug or an unexpected failure; details go to the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
    /// A failure injected on purpose by a fault flag (docs/faults.md): a
    /// real 500, so that the access log, the RED metrics and the alarms
    /// built on them see it as the failure it stands for.
    #[error("injected fault: {flag} (the shop's fault flags, docs/faults.md)")]
    InjectedFault { flag: &'static str },
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `validation_failed`, `not_found`, `insufficient_stock`.
    pub code: String,
    /// What went wrong, for a human.
    pub message: String,
    /// The offending field (`quantity`, `items[0].product_id`, `Idempotency-Key`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extra facts, e.g. which items are short of stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(resource: &'static str, id: impl ToString) -> ApiError {
        ApiError::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. }
            | ApiError::RouteNotFound { .. }
            | ApiError::TokenNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PaymentDeclined(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } | ApiError::UnsupportedFile { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::RowsRejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable { .. }
            | ApiError::ServiceUnavailable { .. }
            | ApiError::RequestTimeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) | ApiError::InjectedFault { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The machine-readable code the body carries (also `error.type` on a span).
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_failed",
            ApiError::BadRequest { code, .. } => code,
            ApiError::NotFound { .. } => "not_found",
            ApiError::RouteNotFound { .. } => "route_not_found",
            ApiError::TokenNotFound { code, .. } => code,
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::Unprocessable { code, .. } => code,
            ApiError::PaymentDeclined(_) => "payment_declined",
            ApiError::Unauthenticated { code, .. } => code,
            ApiError::Forbidden { code, .. } => code,
            ApiError::TooManyRequests { .. } => "too_many_attempts",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::UnsupportedFile { code, .. } => code,
            ApiError::ServiceUnavailable { code, .. } => code,
            ApiError::RowsRejected { code, .. } => code,
            ApiError::Unavailable { .. } => "service_unavailable",
            ApiError::RequestTimeout { .. } => "request_timeout",
            ApiError::Upstream { .. } => "upstream_failed",
            ApiError::Internal(_) => "internal_error",
            ApiError::InjectedFault { .. } => "injected_fault",
        }
    }

    fn body(self) -> ErrorBody {
        let code = self.code().to_owned();
        let message = match &self {
            // Internal details are logged, not shown.
            ApiError::Internal(_) => "the shop failed to handle this request".to_owned(),
            other => other.to_string(),
        };
        let (field, details) = match self {
            ApiError::Validation { field, .. } => (Some(field), None),
            ApiError::Unprocessable { field, .. } | ApiError::TokenNotFound { field, .. } => {
                (field, None)
            }
            ApiError::Conflict { details, .. } => (None, details),
            ApiError::RowsRejected { details, .. } => (None, Some(details)),
            ApiError::PayloadTooLarge {
                field: Some(field), ..
            }
            | ApiError::UnsupportedFile { field, .. } => (Some(field.to_owned()), None),
            ApiError::TooManyRequests { retry_after, .. } => (
                None,
                Some(serde_json::json!({ "retry_after_seconds": retry_after.as_secs().max(1) })),
            ),
            _ => (None, None),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
                details,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        match &self {
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            ApiError::Unavailable { what } => {
                tracing::error!(dependency = *what, "dependency unavailable")
            }
            ApiError::ServiceUnavailable { code, message } => {
                tracing::error!(error.type = *code, error = %message, "dependency unavailable")
            }
            ApiError::Upstream { service, message } => {
                tracing::error!(peer.service = *service, error = %message, "upstream failure")
            }
            ApiError::RequestTimeout { after } => {
                tracing::error!(timeout_ms = after.as_millis() as u64, "request timed out")
            }
            _ => {}
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        if shop_core::db::is_unavailable(&e) {
            ApiError::Unavailable { what: "database" }
        } else {
            ApiError::Internal(format!("database: {e}"))
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> ApiError {
        ApiError::Validation {
            field: e.field,
            message: e.message,
        }
    }
}

/// A 409 whose message is the domain error's own.
fn conflict(code: &'static str, e: &impl ToString, details: Option<serde_json::Value>) -> ApiError {
    ApiError::Conflict {
        code,
        message: e.to_string(),
        details,
    }
}

impl From<shop_core::batch::Error> for ApiError {
    fn from(e: shop_core::batch::Error) -> ApiError {
        use shop_core::batch::Error as E;
        match e {
            E::AlreadyRunning(_) => conflict("batch_running", &e, None),
            E::Db(e) => e.into(),
        }
    }
}

impl From<catalog::Error> for ApiError {
    fn from(e: catalog::Error) -> ApiError {
        use catalog::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            E::ProductNotFound(id) => ApiError::not_found("product", id),
            E::CategoryNotFound(id) => ApiError::not_found("category", id),
            E::NotPurchased(_) => ApiError::Forbidden {
                code: "not_purchased",
                message: e.to_string(),
            },
            E::AlreadyReviewed(_) => conflict("already_reviewed", &e, None),
            // Well-formed, but naming a category that does not exist (like a cart line naming
            // no product): 422, as the data decides it, not the request's shape.
            E::UnknownCategory { field, .. } => ApiError::Unprocessable {
                code: "unknown_category",
                message: e.to_string(),
                field: Some(field.to_owned()),
            },
            E::SkuTaken(_) => conflict("sku_taken", &e, None),
            E::SlugTaken(_) => conflict("slug_taken", &e, None),
            E::ProductHasOrders(ref ids) => {
                let details = serde_json::json!({ "product_ids": ids });
                conflict("product_has_orders", &e, Some(details))
            }
            E::CategoryNotEmpty {
                products,
                categories,
                ..
            } => {
                let details = serde_json::json!({ "products": products, "categories": categories });
                conflict("category_not_empty", &e, Some(details))
            }
            E::CategoryTree(_) => conflict("category_tree", &e, None),
            // Well-formed (any text is a valid `text/csv` body), but not the catalog's columns.
            E::BadFile(i) => ApiError::Unprocessable {
                code: "invalid_file",
                message: i.message,
                field: Some(i.field),
            },
            E::ImportRejected(report) => ApiError::RowsRejected {
                code: "import_rejected",
                message: format!(
                    "{} rows have problems; nothing was written (see details.errors)",
                    report.errors.len()
                ),
                details: serde_json::to_value(&*report).unwrap_or_default(),
            },
            E::Bind(_) | E::Render(_) => ApiError::Internal(e.to_string()),
            E::Db(e) => e.into(),
        }
    }
}

impl From<inventory::Error> for ApiError {
    fn from(e: inventory::Error) -> ApiError {
        use inventory::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            E::ProductNotFound(id) => ApiError::not_found("product", id),
            E::Unavailable { service } => ApiError::Unavailable { what: service },
            E::Upstream { service, message } => ApiError::Upstream { service, message },
            E::Db(e) => e.into(),
        }
    }
}

impl From<cart::Error> for ApiError {
    fn from(e: cart::Error) -> ApiError {
        use cart::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            E::NotFound(id) => ApiError::not_found("cart", id),
            E::CheckedOut(_) => conflict("cart_checked_out", &e, None),
            E::ItemNotFound(id) => ApiError::not_found("cart item", id),
            E::Full => conflict("cart_full", &e, None),
            E::UnknownProduct(_) => ApiError::Unprocessable {
                code: "unknown_product",
                message: e.to_string(),
                field: Some("product_id".to_owned()),
            },
            E::InsufficientStock { message, item } => ApiError::Conflict {
                code: "insufficient_stock",
                message,
                details: Some(serde_json::json!({ "items": [item] })),
            },
            E::Inventory(e) => e.into(),
            E::Db(e) => e.into(),
        }
    }
}

impl From<payments::Declined> for ApiError {
    fn from(e: payments::Declined) -> ApiError {
        ApiError::PaymentDeclined(e.reason.to_owned())
    }
}

impl From<orders::Error> for ApiError {
    fn from(e: orders::Error) -> ApiError {
        use orders::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            E::CartNotFound(id) => ApiError::not_found("cart", id),
            E::CartCheckedOut(_) => conflict("cart_checked_out", &e, None),
            E::CartEmpty => ApiError::Unprocessable {
                code: "cart_empty",
                message: e.to_string(),
                field: Some("cart_id".to_owned()),
            },
            E::InsufficientStock { ref shortfalls } => {
                let details = serde_json::json!({ "items": shortfalls });
                conflict("insufficient_stock", &e, Some(details))
            }
            E::SoldOut {
                product_id,
                requested,
            } => conflict(
                "insufficient_stock",
                &e,
                Some(
                    serde_json::json!({ "items": [{ "product_id": product_id, "requested": requested }] }),
                ),
            ),
            E::PaymentDeclined(e) => e.into(),
            E::KeyReused => ApiError::Unprocessable {
                code: "idempotency_key_reused",
                message: e.to_string(),
                field: Some(orders::idempotency::IDEMPOTENCY_KEY_FIELD.to_owned()),
            },
            E::NotFound(id) => ApiError::not_found("order", id),
            E::Coupon(r) => ApiError::Unprocessable {
                code: match r {
                    orders::Rejection::Unknown => "coupon_unknown",
                    orders::Rejection::NotYetValid => "coupon_not_yet_valid",
                    orders::Rejection::Expired => "coupon_expired",
                    orders::Rejection::MinimumNotMet { .. } => "coupon_minimum_not_met",
                    orders::Rejection::Exhausted => "coupon_exhausted",
                    orders::Rejection::CustomerLimit => "coupon_customer_limit",
                },
                message: e.to_string(),
                field: Some("coupon_code".to_owned()),
            },
            E::IllegalTransition(t) => conflict(
                "illegal_transition",
                &e,
                Some(serde_json::json!({ "from": t.from, "to": t.to })),
            ),
            E::Inventory(e) => e.into(),
            E::Inconsistent(message) => ApiError::Internal(message),
            E::Db(e) => e.into(),
        }
    }
}

impl From<inventory::admin::AdjustError> for ApiError {
    fn from(e: inventory::admin::AdjustError) -> ApiError {
        use inventory::admin::AdjustError;
        match e {
            AdjustError::Invalid(i) => i.into(),
            AdjustError::ProductNotFound(id) => ApiError::not_found("product", id),
            AdjustError::Insufficient { .. } => ApiError::Conflict {
                code: "insufficient_stock",
                message: e.to_string(),
                details: None,
            },
            AdjustError::Db(e) => e.into(),
        }
    }
}

impl From<shop_core::notifications::subscriptions::Error> for ApiError {
    fn from(e: shop_core::notifications::subscriptions::Error) -> ApiError {
        use shop_core::notifications::subscriptions::Error as E;
        match e {
            E::ProductNotFound(id) => ApiError::not_found("product", id),
            E::InStock {
                product_id,
                quantity,
            } => ApiError::Conflict {
                code: "product_in_stock",
                message: e.to_string(),
                details: Some(
                    serde_json::json!({ "product_id": product_id, "quantity": quantity }),
                ),
            },
            E::TooMany => ApiError::Conflict {
                code: "too_many_stock_alerts",
                message: e.to_string(),
                details: None,
            },
            E::Db(e) => e.into(),
        }
    }
}

impl From<admin::Error> for ApiError {
    fn from(e: admin::Error) -> ApiError {
        use admin::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            // The rule's name first: the person sees which rule to satisfy.
            E::Policy(v) => ApiError::Validation {
                field: "password".to_owned(),
                message: format!("breaks the `{}` rule: {}", v.rule, v.message),
            },
            E::InvalidInvitation => ApiError::TokenNotFound {
                code: "invalid_invitation",
                message: e.to_string(),
                field: Some("token".to_owned()),
            },
            E::EmailTaken => conflict("email_taken", &e, None),
            E::InvalidCredentials => ApiError::Unauthenticated {
                code: "invalid_credentials",
                message: e.to_string(),
            },
            E::TooManyAttempts { retry_after } => ApiError::TooManyRequests {
                message: e.to_string(),
                retry_after,
            },
            E::MfaRequired => ApiError::Unauthenticated {
                code: "mfa_required",
                message: e.to_string(),
            },
            E::MfaInvalid => ApiError::Unauthenticated {
                code: "invalid_code",
                message: e.to_string(),
            },
            E::AlreadyEnrolled => conflict("mfa_already_enrolled", &e, None),
            E::NotEnrolled => conflict("mfa_not_enrolled", &e, None),
            E::Forbidden(_) => ApiError::Forbidden {
                code: "forbidden",
                message: e.to_string(),
            },
            E::StepUpRequired(_) => ApiError::Forbidden {
                code: "step_up_required",
                message: e.to_string(),
            },
            E::AdminNotFound(id) => ApiError::not_found("admin", id),
            E::SessionNotFound(id) => ApiError::not_found("session", id),
            E::LastAdministrator => conflict("last_administrator", &e, None),
            E::Hasher(message) => ApiError::Internal(message),
            E::Db(e) => e.into(),
        }
    }
}

impl From<accounts::Error> for ApiError {
    fn from(e: accounts::Error) -> ApiError {
        use accounts::Error as E;
        match e {
            E::Invalid(e) => e.into(),
            E::EmailTaken => conflict("email_taken", &e, None),
            E::InvalidCredentials => ApiError::Unauthenticated {
                code: "invalid_credentials",
                message: e.to_string(),
            },
            E::TooManyAttempts { retry_after } => ApiError::TooManyRequests {
                message: e.to_string(),
                retry_after,
            },
            E::InvalidResetToken => ApiError::TokenNotFound {
                code: "invalid_reset_token",
                message: e.to_string(),
                field: Some("token".to_owned()),
            },
            E::AddressNotFound(id) => ApiError::not_found("address", id),
            E::TooManyAddresses => conflict("address_book_full", &e, None),
            // Not someone else's, not a wrong e-mail: just "not found", so the
            // answer tells nothing about orders the caller may not see.
            E::OrderNotFound(id) => ApiError::not_found("order", id),
            E::AccountGone => ApiError::Unauthenticated {
                code: "unauthenticated",
                message: e.to_string(),
            },
            E::Social(e) => match e {
                // Only a verified-e-mail failure reaches here (the routes map the rest).
                accounts::social::SocialError::EmailUnverified => ApiError::Unprocessable {
                    code: "oidc_email_unverified",
                    message: e.to_string(),
                    field: None,
                },
                other => ApiError::Internal(other.to_string()),
            },
            E::Hasher(message) => ApiError::Internal(message),
            E::Db(e) => e.into(),
        }
    }
}
