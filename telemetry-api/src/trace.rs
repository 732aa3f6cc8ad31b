//! What the shop asks of the current trace: its context (to inject into an
//! outgoing request or write into a response header), and how to start a
//! server span under a remote parent.

use tracing::Span;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::LookupSpan;

use crate::context::SpanContext;
use crate::layer::{REMOTE_PARENT, SpanState};

/// Creates a span (in `f`) as a child of `parent`, the context extracted
/// from an incoming request. The first *root* span created inside `f`
/// continues the remote trace: same trace id, the remote span as parent, and
/// the upstream sampling decision offered to the sampler. A remote context
/// without a parent span id ([`SpanContext::remote_trace`]) is continued too:
/// the root span keeps its trace id and has no parent.
///
/// ```
/// # use telemetry_api::trace::with_remote_parent;
/// let parent = None; // telemetry.propagator().extract(&headers)
/// let span = with_remote_parent(parent, || tracing::info_span!("GET /api/products", span.kind = "server"));
/// # drop(span);
/// ```
pub fn with_remote_parent<T>(parent: Option<SpanContext>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<SpanContext>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            REMOTE_PARENT.with(|r| *r.borrow_mut() = previous);
        }
    }
    let previous = REMOTE_PARENT.with(|r| r.replace(parent));
    let _restore = Restore(previous);
    f()
}

/// The context of `span`, when it is enabled and the subscriber is one built
/// by [`crate::Telemetry`] (a `tracing_subscriber::Registry` with the glue
/// layer).
pub fn span_context(span: &Span) -> Option<SpanContext> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let data = registry.span(id)?;
        let ext = data.extensions();
        ext.get::<SpanState>().map(|s| s.context.clone())
    })
    .flatten()
}

/// Links `span` to another span's context (OpenTelemetry's span links):
/// for a span that relates to several traces without being a child of any,
/// such as a consumer's `receive` of a batch of messages, each with the
/// context its producer sent. A no-op on an unsampled span or a subscriber
/// other than [`crate::Telemetry`]'s.
pub fn add_link(span: &Span, context: SpanContext) {
    span.with_subscriber(|(id, dispatch)| {
        if let Some(registry) = dispatch.downcast_ref::<Registry>()
            && let Some(data) = registry.span(id)
            && let Some(state) = data.extensions_mut().get_mut::<SpanState>()
        {
            state.add_link(context);
        }
    });
}

/// The context of the current span.
pub fn current_span_context() -> Option<SpanContext> {
    span_context(&Span::current())
}

/// The request id the current span carries (set on the request's server
/// span, inherited by the spans under it), sampled or not. Lets a handler
/// that records it (the audit log) read it where it is, instead of the
/// request path copying it for every request.
pub fn current_request_id() -> Option<std::sync::Arc<str>> {
    Span::current()
        .with_subscriber(|(id, dispatch)| {
            let registry = dispatch.downcast_ref::<Registry>()?;
            let data = registry.span(id)?;
            let ext = data.extensions();
            ext.get::<SpanState>()
                .and_then(|s| s.scope.request_id.clone())
        })
        .flatten()
}
