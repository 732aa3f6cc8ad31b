//! Customer accounts' routes (C-USER-01..04, C-SHOP-04): registration,
//! login and logout under `/api/auth/…`; the profile, the address book and
//! the order history under `/api/account/…` (these need a session: see
//! [`super::session`]; state-changing ones also the CSRF token: see
//! [`super::csrf`]). The rules are `shop_core::accounts`'s.

use axum::extract::{ConnectInfo, FromRef, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shop_core::accounts::{
    Accounts, DisplayName, LoggedIn, OrderSummary, Password, Profile, SavedAddress, UserType,
};
use shop_core::cart::CartId;
use shop_core::email::EmailAddress;
use shop_core::notifications::subscriptions::StockAlert;
use shop_core::orders::{Address, Order, OrderId};
use telemetry_api::semconv;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Json as JsonBody, Path};
use super::session::{self, Customer};

/// The accounts' routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Accounts: FromRef<S>,
{
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route(session::CSRF_RENEWAL_PATH, post(renew_csrf))
        .route("/api/auth/session", get(current_session))
        .route("/api/auth/logout-everywhere", post(logout_everywhere))
        .route("/api/auth/password-reset", post(request_password_reset))
        .route(
            "/api/auth/password-reset/confirm",
            post(confirm_password_reset),
        )
        .route("/api/account", get(get_profile).patch(update_profile))
        .route(
            "/api/account/addresses",
            get(list_addresses).post(add_address),
        )
        .route("/api/account/addresses/{id}", delete(delete_address))
        .route(
            "/api/account/addresses/{id}/default",
            post(make_default_address),
        )
        .route("/api/account/orders", get(list_orders))
        .route("/api/account/stock-alerts", get(list_stock_alerts))
        .route(
            "/api/account/stock-alerts/{product_id}",
            axum::routing::put(add_stock_alert).delete(delete_stock_alert),
        )
        .route("/api/account/orders/{id}", get(get_account_order))
        .route("/api/orders/lookup", post(lookup_guest_order))
}

/// An e-mail as the account routes take it: exactly the documented pattern's
/// form (ASCII, nothing around it), then the shop's e-mail rule. Checkout is
/// more lenient (it trims and takes non-ASCII addresses); an account's
/// e-mail is a login name, and the document must state the rule exactly.
pub(crate) fn account_email(raw: &str) -> Result<EmailAddress, ApiError> {
    if !raw.is_ascii() || raw.trim() != raw {
        return Err(ApiError::validation(
            "email",
            "must be an ASCII e-mail address without surrounding spaces",
        ));
    }
    Ok(EmailAddress::parse(raw)?)
}

/// The body of a registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// The login e-mail: `local@domain`, at most 254 characters (compared case-insensitively).
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "learner@example.com"
    )]
    pub email: String,
    /// 12–128 characters, kept exactly as typed (spaces count).
    #[schema(format = Password, min_length = 12, max_length = 128, example = "correct horse battery")]
    pub password: String,
    /// The display name: 1–100 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "Aiko Tanaka"
    )]
    pub name: String,
}

/// The body of a login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "learner@example.com"
    )]
    pub email: String,
    /// At most 128 characters.
    #[schema(format = Password, min_length = 1, max_length = 128, example = "correct horse battery")]
    pub password: String,
    /// The guest cart to merge into the customer's cart (optional).
    #[schema(format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f")]
    #[serde(default)]
    pub cart_id: Option<String>,
}

/// A successful login. The session itself is in the `shop_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: Profile,
    /// Send this back in the `X-CSRF-Token` header with every request that changes something.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub csrf_token: String,
    /// The customer's cart, with the guest cart's lines merged in.
    #[schema(format = Uuid)]
    pub cart_id: String,
}

/// The body of a profile change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// The display name: 1–100 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "Aiko Tanaka"
    )]
    #[serde(default)]
    pub name: Option<String>,
    /// Sale notices by mail (C-NOTIF-04): on or off.
    #[serde(default)]
    pub sale_notices: Option<bool>,
}

/// The body of "save an address".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    pub address: Address,
    /// Make it the default (the first saved address is the default anyway).
    #[serde(default)]
    #[schema(default = false)]
    pub is_default: bool,
}

/// The body of "I forgot my password".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "learner@example.com"
    )]
    pub email: String,
}

/// The body of "set a new password".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the reset mail: 64 hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$", min_length = 64, max_length = 64)]
    pub token: String,
    /// The new password: 12–128 characters.
    #[schema(format = Password, min_length = 12, max_length = 128, example = "a new correct horse")]
    pub password: String,
}

/// The body of a guest's order lookup.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestOrderLookup {
    /// The order id from the confirmation.
    #[schema(format = Uuid, example = "9b2e4f60-1c3a-4d5e-8f70-a1b2c3d4e5f6")]
    pub order_id: String,
    /// The e-mail the order was placed with (compared case-insensitively; like checkout, the shop
    /// also takes non-ASCII addresses here).
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "learner@example.com"
    )]
    pub email: String,
}

/// Register a customer account.
#[utoipa::path(post, path = "/api/auth/register", tag = "accounts", request_body = Register,
    responses(
        (status = 201, description = "The account (log in next)", body = Profile),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "An account with this e-mail exists", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn register(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<Register>,
) -> ApiResult<(StatusCode, Json<Profile>)> {
    let email = account_email(&body.email)?;
    let password = Password::parse(&body.password)?;
    let name = DisplayName::parse(&body.name)?;
    let profile = accounts.register(&email, password, &name).await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// Log in: sets the `shop_session` cookie and returns the CSRF token.
// The operation ids say "customer": the back office has its own `login` and `logout`, and an
// operation id must be unique in the document (the UI's types are keyed by it).
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = Login, operation_id = "customer_login",
    responses(
        (status = 200, description = "Logged in; `Set-Cookie: shop_session=…; HttpOnly; SameSite=Lax`", body = LoginResponse,
            headers(("set-cookie" = String, description = "The session cookie"))),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "Wrong e-mail or password (`invalid_credentials`)", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 429, description = "Too many failed logins for this account or from this address (`too_many_attempts`); retry after `Retry-After` seconds", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds until the next attempt may succeed"))),
    ))]
pub async fn login(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<Response> {
    let client = super::observe::client_address(&request)
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let JsonBody(body) = JsonBody::<Login>::from_request(request, &()).await?;
    let email = account_email(&body.email)?;
    let cart = body
        .cart_id
        .as_deref()
        .map(|c| CartId::parse(c).map_err(|e| e.at("cart_id")))
        .transpose()?;
    let logged_in = accounts
        .login(&email, &body.password, &client, cart.as_ref())
        .await?;
    Ok(logged_in_response(logged_in, &headers))
}

/// The answer to a successful login, whatever proved who the person is (a
/// password, or an identity provider: `social.rs`): the session cookie, the
/// CSRF token and cart in the body, the pseudonym on the server span and for
/// the access log.
pub fn logged_in_response(logged_in: LoggedIn, headers: &HeaderMap) -> Response {
    let span = tracing::Span::current();
    span.record(semconv::ENDUSER_PSEUDO_ID, logged_in.pseudonym.as_str());
    span.record(semconv::SHOP_USER_TYPE, UserType::Registered.as_str());
    span.record(semconv::SHOP_CART_ID, logged_in.cart_id.as_str());
    let mut response = Json(LoginResponse {
        user: logged_in.profile,
        csrf_token: logged_in.csrf_token.expose().to_owned(),
        cart_id: logged_in.cart_id,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::session_cookie(&logged_in.session_token, session::is_tls(headers)),
    );
    response.extensions_mut().insert(logged_in.pseudonym);
    response
}

/// Who the session cookie belongs to, if anyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentSession {
    /// The logged-in customer, or `null` for a guest (no cookie, or one whose session ended).
    pub user: Option<Profile>,
}

/// Whether this request comes with a live session, and whose: what a page asks on load to show
/// "Log in" or the customer's name. A guest is a `200` with `user: null`, not an error (every
/// guest page view would otherwise be a 401 in the shop's metrics and the browser's console).
#[utoipa::path(get, path = "/api/auth/session", tag = "accounts",
    responses(
        (status = 200, description = "The customer, or `null`; `Cache-Control: no-store`", body = CurrentSession),
    ))]
pub async fn current_session(
    State(accounts): State<Accounts>,
    request: Request,
) -> ApiResult<Response> {
    let user = match request.extensions().get::<shop_core::accounts::Session>() {
        Some(s) => Some(accounts.profile(&s.user).await?),
        None => None,
    };
    let mut response = Json(CurrentSession { user }).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// A new CSRF token for this session.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsrfToken {
    /// Send this back in the `X-CSRF-Token` header with every request that changes something; the
    /// session's previous token no longer works.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub csrf_token: String,
}

/// A new CSRF token for the session in the cookie, for a page that has the cookie but not the
/// token (a new tab, storage cleared, the end of a social login, or after a `403 csrf_failed`).
/// It is the one state-changing route that needs no `X-CSRF-Token` (it is how a client gets one);
/// what keeps another site from using it is in docs/accounts.md ("CSRF").
#[utoipa::path(post, path = "/api/auth/csrf", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The session's new CSRF token (its old one stops working); `Cache-Control: no-store`", body = CsrfToken),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Asked from another site (`Sec-Fetch-Site: cross-site` or `same-site`): `csrf_failed`", body = ErrorBody),
    ))]
pub async fn renew_csrf(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    Customer(s): Customer,
) -> ApiResult<Response> {
    // A browser says where a request comes from; only the shop's own pages may ask. (Another
    // site could not read the answer anyway, but it could make the session's token change.)
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
        accounts.security_event("csrf_rejected", Some(&s.pseudonym));
        return Err(ApiError::Forbidden {
            code: "csrf_failed",
            message: "a CSRF token is handed out only to the shop's own pages".to_owned(),
        });
    }
    let token = accounts
        .renew_csrf(&s)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated {
            code: "unauthenticated",
            message: "log in first: this session has ended".to_owned(),
        })?;
    let mut response = Json(CsrfToken {
        csrf_token: token.expose().to_owned(),
    })
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Ends this session and clears its cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts", operation_id = "customer_logout",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
    ))]
pub async fn logout(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    Customer(s): Customer,
) -> ApiResult<Response> {
    accounts.logout(&s).await?;
    Ok(logged_out(&headers))
}

/// Ends every session of this account ("log out everywhere").
#[utoipa::path(post, path = "/api/auth/logout-everywhere", tag = "accounts",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Every session of the account ended"),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
    ))]
pub async fn logout_everywhere(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    Customer(s): Customer,
) -> ApiResult<Response> {
    accounts.logout_everywhere(&s).await?;
    Ok(logged_out(&headers))
}

fn logged_out(headers: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::clear_session_cookie(session::is_tls(headers)),
    );
    response
}

/// Ask for a password-reset mail. The answer is the same whether or not the e-mail has an account.
#[utoipa::path(post, path = "/api/auth/password-reset", tag = "accounts", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the e-mail has an account, a reset mail (token valid 30 minutes, single use) is on its way"),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn request_password_reset(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    let email = account_email(&body.email)?;
    accounts.request_reset(&email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset token; ends every session of the account.
#[utoipa::path(post, path = "/api/auth/password-reset/confirm", tag = "accounts", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed; log in again"),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 404, description = "The token is unknown, used or expired (`invalid_reset_token`)", body = ErrorBody),
    ))]
pub async fn confirm_password_reset(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    let password = Password::parse(&body.password)?;
    accounts.confirm_reset(&body.token, password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in customer's profile.
#[utoipa::path(get, path = "/api/account", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 401, description = "No live session", body = ErrorBody),
    ))]
pub async fn get_profile(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
) -> ApiResult<Json<Profile>> {
    Ok(Json(accounts.profile(&s.user).await?))
}

/// Change the display name, or turn sale notices on or off (only the fields given change).
#[utoipa::path(patch, path = "/api/account", tag = "accounts", request_body = UpdateProfile,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn update_profile(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    JsonBody(body): JsonBody<UpdateProfile>,
) -> ApiResult<Json<Profile>> {
    let name = body.name.as_deref().map(DisplayName::parse).transpose()?;
    Ok(Json(
        accounts
            .update_profile(&s.user, name.as_ref(), body.sale_notices)
            .await?,
    ))
}

/// The address book, the default first.
#[utoipa::path(get, path = "/api/account/addresses", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, body = Vec<SavedAddress>),
        (status = 401, description = "No live session", body = ErrorBody),
    ))]
pub async fn list_addresses(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
) -> ApiResult<Json<Vec<SavedAddress>>> {
    Ok(Json(accounts.addresses(&s.user).await?))
}

/// Save an address (at most 20).
#[utoipa::path(post, path = "/api/account/addresses", tag = "accounts", request_body = NewAddress,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "The saved address", body = SavedAddress),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "The address book is full (`address_book_full`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn add_address(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    JsonBody(body): JsonBody<NewAddress>,
) -> ApiResult<(StatusCode, Json<SavedAddress>)> {
    let saved = accounts
        .add_address(&s.user, body.address, body.is_default)
        .await
        .map_err(|e| match e {
            shop_core::accounts::Error::Invalid(i) => ApiError::from(i.within("address")),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Delete a saved address (if it was the default, the oldest remaining one becomes the default).
#[utoipa::path(delete, path = "/api/account/addresses/{id}", tag = "accounts",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Address id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such address in this address book", body = ErrorBody),
    ))]
pub async fn delete_address(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    accounts.delete_address(&s.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a saved address the default.
#[utoipa::path(post, path = "/api/account/addresses/{id}/default", tag = "accounts",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Address id", minimum = 1)),
    responses(
        (status = 200, description = "The new default", body = SavedAddress),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such address in this address book", body = ErrorBody),
    ))]
pub async fn make_default_address(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    Path(id): Path<i64>,
) -> ApiResult<Json<SavedAddress>> {
    Ok(Json(accounts.make_default(&s.user, id).await?))
}

/// The customer's orders, newest first (C-SHOP-04).
#[utoipa::path(get, path = "/api/account/orders", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, body = Vec<OrderSummary>),
        (status = 401, description = "No live session", body = ErrorBody),
    ))]
pub async fn list_orders(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
) -> ApiResult<Json<Vec<OrderSummary>>> {
    Ok(Json(accounts.orders(&s.user).await?))
}

/// One of the customer's orders (another customer's or a guest's is 404).
#[utoipa::path(get, path = "/api/account/orders/{id}", tag = "accounts",
    security(("session" = [])),
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid, example = "9b2e4f60-1c3a-4d5e-8f70-a1b2c3d4e5f6")),
    responses(
        (status = 200, body = Order),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 404, description = "No such order among this customer's", body = ErrorBody),
    ))]
pub async fn get_account_order(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    Path(raw): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = OrderId::parse(&raw)?;
    tracing::Span::current().record(semconv::SHOP_ORDER_ID, id.as_str());
    Ok(Json(accounts.order(&s.user, &id).await?))
}

/// A guest order by its id and the e-mail it was placed with. A wrong e-mail is 404, like a wrong id.
#[utoipa::path(post, path = "/api/orders/lookup", tag = "orders", request_body = GuestOrderLookup,
    responses(
        (status = 200, body = Order),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No guest order with this id and e-mail", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn lookup_guest_order(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<GuestOrderLookup>,
) -> ApiResult<Json<Order>> {
    let id = OrderId::parse(&body.order_id).map_err(|e| e.at("order_id"))?;
    let email = EmailAddress::parse(&body.email)?;
    tracing::Span::current().record(semconv::SHOP_ORDER_ID, id.as_str());
    Ok(Json(accounts.guest_order(&id, &email).await?))
}

/// The customer's open back-in-stock alerts (C-NOTIF-03), newest first.
#[utoipa::path(get, path = "/api/account/stock-alerts", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, body = Vec<StockAlert>),
        (status = 401, description = "No live session", body = ErrorBody),
    ))]
pub async fn list_stock_alerts(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
) -> ApiResult<Json<Vec<StockAlert>>> {
    Ok(Json(accounts.stock_alerts(&s.user).await?))
}

/// Ask for one mail when a sold-out product is back in stock.
#[utoipa::path(put, path = "/api/account/stock-alerts/{product_id}", tag = "accounts",
    security(("session" = [], "csrf" = [])),
    params(("product_id" = i64, Path, minimum = 1, description = "The sold-out product")),
    responses(
        (status = 201, description = "Alert created", body = StockAlert),
        (status = 200, description = "The alert already existed", body = StockAlert),
        (status = 400, description = "Invalid product id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "The product is in stock (`product_in_stock`), or 100 alerts are open (`too_many_stock_alerts`)", body = ErrorBody),
    ))]
pub async fn add_stock_alert(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    Path(product_id): Path<i64>,
) -> ApiResult<(StatusCode, Json<StockAlert>)> {
    let (alert, created) = accounts.add_stock_alert(&s.user, product_id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(alert)))
}

/// Cancel an open back-in-stock alert (no alert: nothing to do, still 204).
#[utoipa::path(delete, path = "/api/account/stock-alerts/{product_id}", tag = "accounts",
    security(("session" = [], "csrf" = [])),
    params(("product_id" = i64, Path, minimum = 1, description = "The product")),
    responses(
        (status = 204, description = "No open alert for this product any more"),
        (status = 400, description = "Invalid product id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
    ))]
pub async fn delete_stock_alert(
    State(accounts): State<Accounts>,
    Customer(s): Customer,
    Path(product_id): Path<i64>,
) -> ApiResult<StatusCode> {
    accounts.remove_stock_alert(&s.user, product_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
