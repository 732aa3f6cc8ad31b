//! The tracing glue: a `tracing_subscriber` layer that turns the shop's
//! `tracing` spans and events into [`SpanRecord`]s and [`LogRecord`]s for the
//! backend.
//!
//! It is written once, here, so both backends receive exactly the same
//! records and differ only in how they map and ship them. Per span it:
//!
//! 1. gives the span a [`SpanContext`]: the parent's trace id, or the remote
//!    parent's (see [`crate::trace::with_remote_parent`]; a remote context
//!    may have no parent span id, then the root span has no parent), or a
//!    new one;
//! 2. for a local root, asks the backend's [`Sampler`]; children inherit;
//! 3. only when sampled, captures name, kind, attributes, events and timing,
//!    and hands the finished [`SpanRecord`] to the [`Exporter`] on close.
//!
//! Unsampled spans cost an id and a small allocation, nothing more. Every
//! event becomes a [`LogRecord`] carrying the current span's context and its
//! [`Scope`] (the request id, and the logged-in customer's pseudonym once
//! known), sampled or not.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::context::{IdGenerator, SpanContext, SpanId};
use crate::export::Exporter;
use crate::logs::LogSink;
use crate::record::{LogRecord, SpanEvent, SpanKind, SpanRecord, SpanStatus};
use crate::sampling::{Sampler, SamplingParams};
use crate::semconv;
use crate::value::{KeyValue, Value};

/// Events kept per span; later ones are counted in `dropped_events`.
pub const MAX_EVENTS_PER_SPAN: usize = 32;
/// Attributes kept per span; later ones are ignored.
pub const MAX_ATTRIBUTES_PER_SPAN: usize = 64;

/// What the glue keeps in each span's registry extensions.
pub(crate) struct SpanState {
    pub(crate) context: SpanContext,
    pub(crate) parent_span_id: Option<SpanId>,
    pub(crate) parent_is_remote: bool,
    pub(crate) scope: Scope,
    /// Present only for sampled spans.
    recording: Option<Box<Recording>>,
}

impl SpanState {
    /// Adds a link (ignored on an unsampled span, and past
    /// [`MAX_LINKS_PER_SPAN`]).
    pub(crate) fn add_link(&mut self, context: SpanContext) {
        if let Some(rec) = self.recording.as_mut()
            && rec.links.len() < MAX_LINKS_PER_SPAN
        {
            rec.links.push(context);
        }
    }
}

/// What every log line carries from the span it happens in, sampled or not.
///
/// Both are set on the request's server span (`request_id` when it starts,
/// `enduser.pseudo.id` once a session is recognised, `http/session.rs`) and
/// inherited by every span created under it afterwards, so a line such as
/// "item added to cart", logged deep inside a handler, still says which
/// request and which (pseudonymous) customer it belongs to. A span created
/// *before* the pseudonym was recorded keeps the scope it started with:
/// copying at creation is one `Arc` clone, walking up the parents on every
/// event would cost every guest's log line too.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    pub(crate) request_id: Option<Arc<str>>,
    /// The logged-in customer's pseudonymous id; never an e-mail or a name.
    pub(crate) enduser: Option<Arc<str>>,
}

impl Scope {
    /// Whether a span's fields can set part of the scope (so an unsampled
    /// span that has none skips visiting its fields).
    fn is_set_by(metadata: &tracing::Metadata<'_>) -> bool {
        let fields = metadata.fields();
        fields.field(semconv::REQUEST_ID).is_some()
            || fields.field(semconv::ENDUSER_PSEUDO_ID).is_some()
    }
}

struct Recording {
    name: Cow<'static, str>,
    kind: SpanKind,
    target: &'static str,
    start: SystemTime,
    attributes: Vec<KeyValue>,
    events: Vec<SpanEvent>,
    dropped_events: u32,
    pub(crate) links: Vec<SpanContext>,
}

/// Most links a span keeps (a batch receive takes at most 10 SQS messages).
pub const MAX_LINKS_PER_SPAN: usize = 128;

thread_local! {
    /// The remote parent for the next root span created on this thread; see
    /// [`crate::trace::with_remote_parent`].
    pub(crate) static REMOTE_PARENT: RefCell<Option<SpanContext>> = const { RefCell::new(None) };
    /// Set while the layer is calling into the exporter: events a backend
    /// emits synchronously from there are dropped instead of recursing.
    static IN_EXPORT: Cell<bool> = const { Cell::new(false) };
}

/// The layer. Build it with [`TelemetryLayer::new`]; [`crate::Telemetry`]
/// does this for the shop.
pub struct TelemetryLayer {
    sampler: Arc<dyn Sampler>,
    sampler_uses_attributes: bool,
    id_generator: Arc<dyn IdGenerator>,
    exporter: Arc<dyn Exporter>,
    local_logs: Option<Arc<dyn LogSink>>,
    /// Share of traces whose DEBUG and TRACE records are kept (1.0: all).
    debug_ratio: f64,
}

impl TelemetryLayer {
    pub fn new(
        sampler: Arc<dyn Sampler>,
        id_generator: Arc<dyn IdGenerator>,
        exporter: Arc<dyn Exporter>,
        local_logs: Option<Arc<dyn LogSink>>,
    ) -> Self {
        TelemetryLayer {
            sampler_uses_attributes: sampler.uses_attributes(),
            sampler,
            id_generator,
            exporter,
            local_logs,
            debug_ratio: 1.0,
        }
    }

    /// Keeps DEBUG and TRACE records for `ratio` of the traces only
    /// (clamped to 0.0..=1.0; 1.0, the default, keeps them all). The filter
    /// decides which debug lines exist at all; this, how many of them a busy
    /// production service pays for. The choice is by trace id, the same
    /// fraction the ratio sampler uses, so a trace has all its debug lines
    /// or none, and at a ratio no larger than the sampler's they fall on
    /// sampled traces. INFO and above are never sampled.
    pub fn debug_sampling(mut self, ratio: f64) -> Self {
        self.debug_ratio = if ratio.is_nan() {
            1.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        self
    }
}

/// Runs `f` with the export guard set, so events emitted inside are ignored.
fn guarded(f: impl FnOnce()) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_EXPORT.with(|g| g.set(false));
        }
    }
    IN_EXPORT.with(|g| g.set(true));
    let _reset = Reset;
    f();
}

fn in_export() -> bool {
    IN_EXPORT.with(|g| g.get())
}

impl<S> tracing_subscriber::Layer<S> for TelemetryLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let metadata = attrs.metadata();

        // Inherit from the local parent when there is one.
        let parent = span.parent().and_then(|p| {
            p.extensions().get::<SpanState>().map(|s| {
                (
                    s.context.trace_id,
                    s.context.span_id,
                    s.context.sampled,
                    s.context.trace_state.clone(),
                    s.scope.clone(),
                )
            })
        });

        let span_id = self.id_generator.new_span_id();
        let state = match parent {
            Some((trace_id, parent_id, sampled, trace_state, scope)) => {
                let mut state = SpanState {
                    context: SpanContext {
                        trace_id,
                        span_id,
                        sampled,
                        is_remote: false,
                        trace_state,
                    },
                    parent_span_id: Some(parent_id),
                    parent_is_remote: false,
                    scope,
                    recording: None,
                };
                if sampled {
                    let mut rec = Recording::new(metadata);
                    attrs.record(&mut SpanFieldVisitor::new(&mut rec, &mut state.scope).visit());
                    state.recording = Some(Box::new(rec));
                } else if Scope::is_set_by(metadata) {
                    attrs.record(&mut ScopeVisitor(&mut state.scope));
                }
                state
            }
            None => {
                // A local root: continue the remote trace or start a new one,
                // and make the sampling decision for the whole trace.
                // A remote context may name a trace without a parent span
                // (an ALB's Root-only header): continued all the same.
                let remote = REMOTE_PARENT
                    .with(|r| r.borrow_mut().take())
                    .filter(SpanContext::continues_trace);
                let trace_id = remote
                    .as_ref()
                    .map(|r| r.trace_id)
                    .unwrap_or_else(|| self.id_generator.new_trace_id());
                let mut scope = Scope::default();
                let (sampled, recording) = if self.sampler_uses_attributes {
                    let mut rec = Recording::new(metadata);
                    attrs.record(&mut SpanFieldVisitor::new(&mut rec, &mut scope).visit());
                    let sampled = self.sampler.should_sample(&SamplingParams {
                        remote_parent: remote.as_ref(),
                        trace_id,
                        name: &rec.name,
                        kind: rec.kind,
                        attributes: &rec.attributes,
                    });
                    (sampled, sampled.then(|| Box::new(rec)))
                } else {
                    // Decide first; capture only what a sampled trace needs.
                    let sampled = self.sampler.should_sample(&SamplingParams {
                        remote_parent: remote.as_ref(),
                        trace_id,
                        name: metadata.name(),
                        kind: SpanKind::Internal,
                        attributes: &[],
                    });
                    if sampled {
                        let mut rec = Recording::new(metadata);
                        attrs.record(&mut SpanFieldVisitor::new(&mut rec, &mut scope).visit());
                        (true, Some(Box::new(rec)))
                    } else {
                        if Scope::is_set_by(metadata) {
                            attrs.record(&mut ScopeVisitor(&mut scope));
                        }
                        (false, None)
                    }
                };
                SpanState {
                    context: SpanContext {
                        trace_id,
                        span_id,
                        sampled,
                        is_remote: false,
                        trace_state: remote.as_ref().and_then(|r| r.trace_state.clone()),
                    },
                    parent_span_id: remote.as_ref().and_then(SpanContext::parent_span_id),
                    parent_is_remote: remote.as_ref().is_some_and(|r| r.span_id.is_valid()),
                    scope,
                    recording,
                }
            }
        };
        span.extensions_mut().insert(state);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        let Some(state) = ext.get_mut::<SpanState>() else {
            return;
        };
        match state.recording.as_deref_mut() {
            Some(rec) => values.record(&mut SpanFieldVisitor::new(rec, &mut state.scope).visit()),
            None => values.record(&mut ScopeVisitor(&mut state.scope)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if in_export() {
            return;
        }
        let metadata = event.metadata();
        let verbose = matches!(
            *metadata.level(),
            tracing::Level::DEBUG | tracing::Level::TRACE
        );
        let mut fields = EventFieldVisitor::default();
        event.record(&mut Fields(&mut fields));

        let span = ctx.event_span(event);
        let (span_context, scope) = span
            .as_ref()
            .and_then(|s| {
                s.extensions()
                    .get::<SpanState>()
                    .map(|st| (Some(st.context.clone()), st.scope.clone()))
            })
            .unwrap_or_default();
        // Debug sampling (O-LOG-06): a trace's debug lines are kept or
        // skipped together, by its id; a line outside any trace by chance.
        if verbose && self.debug_ratio < 1.0 {
            let fraction = match &span_context {
                Some(c) => crate::sampling::trace_fraction(c.trace_id),
                None => rand::random::<f64>(),
            };
            if fraction >= self.debug_ratio {
                return;
            }
        }
        let sampled = span_context.as_ref().is_some_and(|c| c.sampled);
        // The customer's pseudonym, unless the event names one itself (the
        // access log line and the account events do).
        if let Some(user) = scope.enduser
            && fields.attributes.len() < MAX_ATTRIBUTES_PER_SPAN
            && crate::value::find(&fields.attributes, semconv::ENDUSER_PSEUDO_ID).is_none()
        {
            fields.attributes.push(KeyValue {
                key: semconv::ENDUSER_PSEUDO_ID,
                value: Value::Str(Cow::Owned(String::from(&*user))),
            });
        }

        let record = LogRecord {
            timestamp: SystemTime::now(),
            level: *metadata.level(),
            target: metadata.target(),
            message: fields.message,
            attributes: fields.attributes,
            span_context,
            request_id: scope.request_id,
            relayed_for: None,
        };
        guarded(|| {
            self.exporter.export_log(&record);
            if let Some(sink) = &self.local_logs {
                sink.emit(&record);
            }
        });

        // Also keep the event on a sampled span (exceptions, warnings, the
        // access log line), so trace views show what happened inside.
        if sampled && let Some(span) = span {
            let mut ext = span.extensions_mut();
            if let Some(rec) = ext
                .get_mut::<SpanState>()
                .and_then(|s| s.recording.as_deref_mut())
            {
                if rec.events.len() < MAX_EVENTS_PER_SPAN {
                    rec.events.push(SpanEvent {
                        name: Cow::Owned(record.message),
                        timestamp: record.timestamp,
                        level: record.level,
                        attributes: record.attributes,
                    });
                } else {
                    rec.dropped_events += 1;
                }
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(state) = span.extensions_mut().remove::<SpanState>() else {
            return;
        };
        let Some(rec) = state.recording else { return };
        let rec = *rec;
        let status = match crate::value::find(&rec.attributes, semconv::ERROR_TYPE) {
            Some(v) => SpanStatus::Error {
                description: v.to_string(),
            },
            None => SpanStatus::Unset,
        };
        let record = SpanRecord {
            context: state.context,
            parent_span_id: state.parent_span_id,
            parent_is_remote: state.parent_is_remote,
            name: rec.name,
            kind: rec.kind,
            target: rec.target,
            start_time: rec.start,
            end_time: SystemTime::now(),
            attributes: rec.attributes,
            events: rec.events,
            dropped_events: rec.dropped_events,
            status,
            request_id: state.scope.request_id,
            links: rec.links,
            relayed_for: None,
        };
        guarded(|| self.exporter.export_span(record));
    }
}

impl Recording {
    fn new(metadata: &tracing::Metadata<'static>) -> Recording {
        Recording {
            name: Cow::Borrowed(metadata.name()),
            kind: SpanKind::Internal,
            target: metadata.target(),
            start: SystemTime::now(),
            attributes: Vec::with_capacity(metadata.fields().len()),
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
        }
    }

    fn set(&mut self, key: &'static str, value: Value) {
        if let Some(kv) = self.attributes.iter_mut().find(|kv| kv.key == key) {
            kv.value = value;
        } else if self.attributes.len() < MAX_ATTRIBUTES_PER_SPAN {
            self.attributes.push(KeyValue { key, value });
        }
    }
}

/// Receives each field of a span or event as a [`Value`].
trait FieldSink {
    fn field(&mut self, field: &Field, value: Value);

    /// A string field, borrowed; the default keeps an owned copy. A sink
    /// that only reads some fields (the span kind) overrides this to skip
    /// the copy.
    fn field_str(&mut self, field: &Field, value: &str) {
        self.field(field, Value::Str(Cow::Owned(value.to_owned())));
    }
}

/// Adapts `tracing`'s typed callbacks to a [`FieldSink`] (one conversion
/// for spans and events alike).
struct Fields<'a, T>(&'a mut T);

impl<T: FieldSink> Visit for Fields<'_, T> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.field_str(field, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.field(field, Value::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.field(field, u64_value(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.field(field, Value::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.field(field, Value::Bool(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .field(field, Value::Str(Cow::Owned(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .field(field, Value::Str(Cow::Owned(debug_string(value))));
    }
}

/// Captures span fields into a [`Recording`], routing the control fields and
/// the [`Scope`].
struct SpanFieldVisitor<'a> {
    rec: &'a mut Recording,
    scope: &'a mut Scope,
}

impl<'a> SpanFieldVisitor<'a> {
    fn new(rec: &'a mut Recording, scope: &'a mut Scope) -> Self {
        SpanFieldVisitor { rec, scope }
    }

    fn visit(&mut self) -> Fields<'_, Self> {
        Fields(self)
    }
}

impl FieldSink for SpanFieldVisitor<'_> {
    fn field(&mut self, field: &Field, value: Value) {
        // The control fields are strings in the shop; read them as they are
        // (rendering a value to text allocates, and the kind is one of five
        // words).
        match (field.name(), value) {
            (semconv::SPAN_NAME, Value::Str(s)) => self.rec.name = s,
            (semconv::SPAN_NAME, v) => self.rec.name = Cow::Owned(v.to_string()),
            (semconv::SPAN_KIND, Value::Str(s)) => self.rec.kind = SpanKind::parse(&s),
            (semconv::SPAN_KIND, _) => self.rec.kind = SpanKind::Internal,
            (semconv::REQUEST_ID, Value::Str(s)) => self.scope.request_id = Some(Arc::from(s)),
            (semconv::REQUEST_ID, v) => self.scope.request_id = Some(Arc::from(v.to_string())),
            // Both: the span keeps it as an attribute, logs get it from the scope.
            (semconv::ENDUSER_PSEUDO_ID, v) => {
                self.scope.enduser = Some(Arc::from(v.to_string()));
                self.rec.set(semconv::ENDUSER_PSEUDO_ID, v);
            }
            (name, value) => self.rec.set(name, value),
        }
    }

    fn field_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            semconv::SPAN_KIND => self.rec.kind = SpanKind::parse(value),
            semconv::REQUEST_ID => self.scope.request_id = Some(Arc::from(value)),
            _ => self.field(field, Value::Str(Cow::Owned(value.to_owned()))),
        }
    }
}

/// For unsampled spans: only the [`Scope`] matters (for log records).
struct ScopeVisitor<'a>(&'a mut Scope);

impl ScopeVisitor<'_> {
    fn slot(&mut self, field: &Field) -> Option<&mut Option<Arc<str>>> {
        match field.name() {
            semconv::REQUEST_ID => Some(&mut self.0.request_id),
            semconv::ENDUSER_PSEUDO_ID => Some(&mut self.0.enduser),
            _ => None,
        }
    }
}

impl Visit for ScopeVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(slot) = self.slot(field) {
            *slot = Some(Arc::from(value));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if let Some(slot) = self.slot(field) {
            *slot = Some(Arc::from(debug_string(value)));
        }
    }
}

/// Captures an event's `message` and other fields.
#[derive(Default)]
struct EventFieldVisitor {
    message: String,
    attributes: Vec<KeyValue>,
}

impl FieldSink for EventFieldVisitor {
    fn field(&mut self, field: &Field, value: Value) {
        match (field.name(), value) {
            ("message", Value::Str(m)) => self.message = m.into_owned(),
            (key, value) if self.attributes.len() < MAX_ATTRIBUTES_PER_SPAN => {
                self.attributes.push(KeyValue { key, value });
            }
            _ => {}
        }
    }
}

fn u64_value(v: u64) -> Value {
    match i64::try_from(v) {
        Ok(i) => Value::I64(i),
        Err(_) => Value::Str(Cow::Owned(v.to_string())),
    }
}

fn debug_string(value: &dyn fmt::Debug) -> String {
    let mut s = String::new();
    let _ = write!(s, "{value:?}");
    s
}
