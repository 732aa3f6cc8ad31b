//! The middleware that observes every request (O-TRACE-01/02, O-METRIC-01/03,
//! O-LOG-01/02/04): it continues the caller's trace, opens the server span,
//! records RED metrics, writes the access log line, and returns the request
//! and trace ids in response headers.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Version};
use axum::middleware::Next;
use axum::response::Response;
use shop_core::accounts::{UserPseudonym, UserType};
use shop_core::instruments::Instruments;
use telemetry_api::trace::{span_context, with_remote_parent};
use telemetry_api::{KeyValue, SpanContext, Telemetry, Value, semconv};
use tracing::instrument::WithSubscriber;
use tracing::{Dispatch, Instrument, field::Empty};

/// What the middleware needs: the telemetry handle (propagation, trace id
/// format) and the HTTP instruments.
#[derive(Clone)]
pub struct ObserveState {
    pub telemetry: Telemetry,
    pub instruments: Instruments,
}

/// The product a request was about (O-METRIC-12). A handler puts it on its response (the product
/// page does) and the access-log line names it as `shop.product.id`: views per product are then
/// counted from the access log (the `product-views` saved query), with no log line or metric
/// series more per view.
#[derive(Clone, Copy, Debug)]
pub struct ProductOfRequest(pub i64);

/// Header carrying the request id (accepted from the caller when well-formed).
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Header carrying the trace id, written the backend's way.
pub const TRACE_ID_HEADER: &str = "x-trace-id";
/// `1` when the backend sampled the request's trace (it is exported), else `0`.
pub const TRACE_SAMPLED_HEADER: &str = "x-trace-sampled";
/// W3C Server Timing: `app;dur=<ms>`, the time the shop took to answer. The
/// browser compares it with the time the call took as it saw it (the rest
/// is the network's and its own: `browser.api.*`, docs/rum.md).
pub const SERVER_TIMING_HEADER: &str = "server-timing";

/// Runs the request under this shop's `tracing` dispatcher. In production
/// that is also the global one; tests run several shops in one process, each
/// with its own recording backend, and this keeps their telemetry apart.
pub async fn with_dispatch(dispatch: Dispatch, req: Request, next: Next) -> Response {
    next.run(req).with_subscriber(dispatch).await
}

/// Query parameters whose values are secrets (OAuth and OpenID Connect's
/// callback `code` and `state`, tokens, signatures): their values are
/// recorded as `REDACTED`, as the semantic conventions ask of `url.query`.
const SECRET_QUERY_PARAMETERS: [&str; 10] = [
    "code",
    "state",
    "nonce",
    "token",
    "id_token",
    "access_token",
    "refresh_token",
    "client_secret",
    "session_state",
    "signature",
];

/// The query with the values of [`SECRET_QUERY_PARAMETERS`] replaced by
/// `REDACTED`; borrowed when there is nothing to hide.
pub fn redact_query(query: &str) -> std::borrow::Cow<'_, str> {
    let secret = |pair: &str| {
        let key = pair.split('=').next().unwrap_or_default();
        SECRET_QUERY_PARAMETERS
            .iter()
            .any(|s| key.eq_ignore_ascii_case(s))
    };
    if !query.split('&').any(secret) {
        return std::borrow::Cow::Borrowed(query);
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if secret(pair) => format!("{key}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect();
    std::borrow::Cow::Owned(redacted.join("&"))
}

/// Observes one request: server span, RED metrics, access log, id headers.
pub async fn observe(State(state): State<ObserveState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_name(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| intern(m.as_str()));
    let request_id = request_id(req.headers());
    let parent = caller_context(&state.telemetry, req.headers());
    let client = client_address(&req);
    let uri = req.uri();

    let span = with_remote_parent(parent, || {
        tracing::info_span!(
            "HTTP request",
            span.name = %format_args!("{method} {}", route.unwrap_or("unmatched")),
            span.kind = "server",
            request_id = %request_id,
            http.request.method = method,
            http.route = route,
            url.path = uri.path(),
            url.query = uri.query().map(redact_query).as_deref(),
            url.scheme = "http",
            server.address = req.headers().get("host").and_then(|h| h.to_str().ok()),
            client.address = client.as_deref(),
            user_agent.original = req.headers().get("user-agent").and_then(|h| h.to_str().ok()),
            network.protocol.version = protocol_version(req.version()),
            http.response.status_code = Empty,
            error.type = Empty,
            // Business attributes handlers may fill in (annotations in X-Ray).
            shop.product.id = Empty,
            shop.category.id = Empty,
            shop.cart.id = Empty,
            shop.order.id = Empty,
            shop.order.status = Empty,
            shop.checkout.outcome = Empty,
            shop.coupon.outcome = Empty,
            shop.coupon.reason = Empty,
            shop.search.results = Empty,
            shop.review.outcome = Empty,
            shop.user.type = UserType::Guest.as_str(),
            // Set once a session is recognised (http/session.rs): never an
            // e-mail or a name, see `shop_core::accounts::UserPseudonym`.
            enduser.pseudo.id = Empty,
            // The back-office operation (http/admin): `catalog.write`, `admin.login`…
            shop.admin.action = Empty,
        )
    });
    let context = span_context(&span);

    let mut response = next.run(req).instrument(span.clone()).await;

    let status = response.status();
    let code = status.as_u16();
    // The logged-in customer's pseudonym, for the access log (the session
    // middleware or the login handler put it on the response).
    let user = response
        .extensions()
        .get::<UserPseudonym>()
        .map(|p| p.as_str().to_owned());
    // The product the request was about, when its handler said so.
    let product = response.extensions().get::<ProductOfRequest>().map(|p| p.0);
    span.record(semconv::HTTP_RESPONSE_STATUS_CODE, code);
    if status.is_server_error() {
        span.record(semconv::ERROR_TYPE, tracing::field::display(code));
    }
    let elapsed = start.elapsed();
    let attributes = [
        KeyValue::new(semconv::HTTP_REQUEST_METHOD, method),
        KeyValue::new(semconv::HTTP_ROUTE, route.unwrap_or("unmatched")),
        KeyValue::new(
            semconv::HTTP_RESPONSE_STATUS_CODE,
            Value::I64(i64::from(code)),
        ),
    ];
    state.instruments.http_requests.add(1, &attributes);
    state
        .instruments
        .http_duration
        .record(elapsed.as_secs_f64(), &attributes);
    if status.is_server_error() {
        state.instruments.http_errors.add(1, &attributes);
    }

    // The access log line, at a level that says how it went (O-LOG-02). It
    // names the release, so that a release's latency and errors can be set
    // beside the one before it (F-DEPLOY-02: the `by-version` saved query).
    span.in_scope(|| {
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let user = user.as_deref();
        let version = state.telemetry.resource().service_version.as_str();
        if status.is_server_error() {
            tracing::error!(
                http.request.method = method,
                http.route = route.unwrap_or("unmatched"),
                http.response.status_code = code,
                duration_ms,
                enduser.pseudo.id = user,
                service.version = version,
                shop.product.id = product,
                "request failed"
            );
        } else if status.is_client_error() {
            tracing::warn!(
                http.request.method = method,
                http.route = route.unwrap_or("unmatched"),
                http.response.status_code = code,
                duration_ms,
                enduser.pseudo.id = user,
                service.version = version,
                shop.product.id = product,
                "request rejected"
            );
        } else {
            tracing::info!(
                http.request.method = method,
                http.route = route.unwrap_or("unmatched"),
                http.response.status_code = code,
                duration_ms,
                enduser.pseudo.id = user,
                service.version = version,
                shop.product.id = product,
                "request completed"
            );
        }
    });
    // Let go of the server span before the response leaves. (It ends when
    // its last handle goes: usually here, at the latest when a database
    // driver thread drops its handle on a child span a moment later.)
    drop(span);

    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={:.1}", elapsed.as_secs_f64() * 1000.0))
    {
        headers.insert(SERVER_TIMING_HEADER, v);
    }
    if let Some(ctx) = context
        && let Ok(v) = HeaderValue::from_str(&state.telemetry.format_trace_id(ctx.trace_id))
    {
        headers.insert(TRACE_ID_HEADER, v);
        // Whether any store will have it: the Lab page says so rather than searching in vain.
        headers.insert(
            TRACE_SAMPLED_HEADER,
            HeaderValue::from_static(if ctx.sampled { "1" } else { "0" }),
        );
    }
    response
}

/// The trace context the caller sent in its headers, if any: the server
/// span continues that trace. Kept apart so a change to the contract's
/// remote-context type touches only this function and its one caller.
fn caller_context(telemetry: &Telemetry, headers: &HeaderMap) -> Option<SpanContext> {
    telemetry.propagator().extract(headers)
}

/// The caller's request id when it is a sane token (1–128 of
/// `[A-Za-z0-9._-]`), else a new random one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// `client.address`: the first `X-Forwarded-For` hop (behind a load
/// balancer), else the peer address.
pub(crate) fn client_address(req: &Request) -> Option<String> {
    client_address_of(req.headers(), req.extensions())
}

/// [`client_address`] from a request's parts (for extractors).
pub(crate) fn client_address_of(
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Option<String> {
    if let Some(first) = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        return Some(first.to_owned());
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The method as the semantic conventions want it: known methods by name,
/// anything else as `_OTHER` (keeps metric cardinality bounded).
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

fn protocol_version(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "unknown",
    }
}

/// Route templates as `&'static str`, so metric attributes never allocate.
/// Only registered templates reach here (from `MatchedPath`), so the set is
/// as small as the router.
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(r) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return r;
    }
    let mut w = routes.write().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = w.get(route) {
        return r;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    w.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::redact_query;

    #[test]
    fn secret_query_values_are_redacted() {
        assert_eq!(redact_query("page=2&per_page=20"), "page=2&per_page=20");
        assert!(matches!(
            redact_query("q=tent"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            redact_query("code=abc&state=xyz&iss=http%3A%2F%2Fidp"),
            "code=REDACTED&state=REDACTED&iss=http%3A%2F%2Fidp"
        );
        assert_eq!(
            redact_query("Access_Token=t&x=1"),
            "Access_Token=REDACTED&x=1"
        );
        // A key that only contains a secret word is not a secret parameter.
        assert_eq!(redact_query("zipcode=100"), "zipcode=100");
    }
}
