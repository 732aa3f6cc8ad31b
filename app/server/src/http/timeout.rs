//! The request timeout: a request that runs longer than `--request-timeout`
//! (`SHOP_REQUEST_TIMEOUT`, default 30 s) is abandoned and answered with the
//! shop's JSON error, `503 request_timeout` with `Retry-After`.
//!
//! Why 503 and not 408: 408 says the *client* was too slow sending its
//! request; here the shop (or its database) was too slow answering, which is
//! the server being unavailable for now. Dropping the handler's future also
//! drops its database transaction, which rolls back.
//!
//! tower's `Timeout` does the timing; axum's `HandleErrorLayer` turns its
//! error into a response.

use std::time::Duration;

use axum::BoxError;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::timeout::TimeoutLayer;
use tower::timeout::error::Elapsed;

use super::error::ApiError;

/// Wraps every route of `router` in the request timeout.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, timeout: Duration) -> Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(move |e: BoxError| async move {
                answer(e, timeout)
            }))
            .layer(TimeoutLayer::new(timeout)),
    )
}

/// The response for an error of the timeout layer: the JSON 503 when the
/// time ran out. (The routes themselves never fail, so nothing else reaches
/// here; should it, it is a bug and says so.)
fn answer(e: BoxError, after: Duration) -> Response {
    if e.is::<Elapsed>() {
        ApiError::RequestTimeout { after }.into_response()
    } else {
        ApiError::Internal(format!("request timeout layer: {e}")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A route that never answers gets the JSON 503 once the time is up;
    /// one that answers in time is untouched. (No race: the slow route
    /// never completes, the fast one completes on its first poll.)
    #[tokio::test]
    async fn a_request_over_time_gets_the_json_503() {
        let router = apply(
            Router::new()
                .route("/slow", get(std::future::pending::<&'static str>))
                .route("/fast", get(|| async { "ok" })),
            Duration::from_millis(20),
        );
        let slow = router
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(slow.headers()[header::CONTENT_TYPE], "application/json");
        assert!(slow.headers().contains_key(header::RETRY_AFTER));
        let body = axum::body::to_bytes(slow.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "request_timeout");
        assert_eq!(
            body["error"]["message"],
            "the shop did not answer within 20ms"
        );

        let fast = router
            .oneshot(Request::get("/fast").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(fast.status(), StatusCode::OK);
    }

    #[test]
    fn other_errors_are_internal() {
        let r = answer("boom".into(), Duration::from_secs(1));
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
