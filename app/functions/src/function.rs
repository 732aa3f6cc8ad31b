//! A function's process: telemetry set up once (the cold start), then every
//! invocation wrapped the same way (O-LAMBDA-01/02):
//!
//! 1. its trace context is chosen ([`crate::carrier::parent_context`]);
//! 2. one span for the invocation (`faas.*` attributes, the Lambda request
//!    id as the span's `request_id`, so every log line under it carries it
//!    with the trace id), continuing that context: with awssdk a segment
//!    under the invocation's `_X_AMZN_TRACE_ID` (or the invoker's context),
//!    with otel a span under `traceparent`;
//! 3. the handler runs under it; a closing log line says how it went;
//! 4. the span ends and telemetry is **flushed** before the response goes
//!    back, because Lambda freezes the process between invocations (a
//!    background export would wait, or be lost with the instance);
//! 5. one EMF line on stdout ([`crate::emf`]): `Duration` (the handler),
//!    `FlushDuration`, `ColdStart` (1 on an instance's first invocation),
//!    `ItemsProcessed`, on a cold start `InitDuration` (process start to
//!    the start of the runtime loop: telemetry and the handler's state),
//!    and on Linux `MaxMemoryUsed` and `MemoryUsed` (the process's peak and
//!    current resident memory, [`ProcessMemory`]).
//!
//! Configuration is the environment, as Lambda gives it: `SHOP_TELEMETRY`
//! (`noop`, `awssdk`, `otel`), `SHOP_SERVICE_NAME` (default: Lambda's
//! `AWS_LAMBDA_FUNCTION_NAME`), `SHOP_ENVIRONMENT` (`local`), `SHOP_LOG`
//! (`info`), `SHOP_STDOUT_LOGS` (`true`), `SHOP_FUNCTIONS_FLUSH_TIMEOUT_MS`
//! (2000), `SHOP_FUNCTIONS_EMF_NAMESPACE` (`ShopLab/Functions`); each
//! backend reads its own variables (`AWS_*`, `SHOP_XRAY_*`, `OTEL_*`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lambda_runtime::{Diagnostic, LambdaEvent, Runtime, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use telemetry_api::trace::{span_context, with_remote_parent};
use telemetry_api::{Resource, Telemetry, semconv};
use tracing::Instrument;
use tracing::field::Empty;

use crate::backend::{self, BackendError};
use crate::carrier::{self, TraceSource};
use crate::emf;

/// Libraries that are noisy at `info` (as in the shop's `telemetry.rs`).
const QUIET_DEPENDENCIES: &str = "sqlx=warn,hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,tower=warn,\
                                  aws_smithy_runtime=warn,aws_config=warn,opentelemetry=warn,lambda_runtime=warn,\
                                  lambda_runtime_api_client=warn";

/// What started the function, as OpenTelemetry's `faas.trigger` names it,
/// and the kind of its invocation span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A data source changed (an S3 object created): a `consumer` span.
    Datasource,
    /// Messages from a queue or topic (an SQS batch through an event-source
    /// mapping): a `consumer` span.
    Pubsub,
    /// A schedule (an EventBridge Scheduler or rule): a `server` span.
    Timer,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Datasource => "datasource",
            Trigger::Pubsub => "pubsub",
            Trigger::Timer => "timer",
        }
    }

    fn span_kind(self) -> &'static str {
        match self {
            Trigger::Datasource | Trigger::Pubsub => "consumer",
            Trigger::Timer => "server",
        }
    }
}

/// What a handler returns: its answer and how many items it processed.
#[derive(Debug, Clone)]
pub struct Handled<R> {
    pub value: R,
    pub items: u64,
}

/// Why a handler failed: a short class (`error.type`, and the error type
/// Lambda reports) and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct FunctionError {
    pub kind: &'static str,
    pub message: String,
}

impl FunctionError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> FunctionError {
        FunctionError {
            kind,
            message: message.into(),
        }
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(e: FunctionError) -> Diagnostic {
        Diagnostic {
            error_type: e.kind.to_owned(),
            error_message: e.message,
        }
    }
}

/// What every invocation answers besides the handler's own result: which
/// invocation it was and which trace it ran in (as the shop's `x-trace-id`
/// header does), and what Lambda's trace header said.
#[derive(Debug, Clone, Serialize)]
pub struct InvocationInfo {
    pub request_id: String,
    /// The trace the invocation's spans are in, in the backend's format
    /// (`1-…-…` for awssdk, 32 hex digits for otel); `None` with `noop`.
    pub trace_id: Option<String>,
    /// Which carrier the trace context came from.
    pub trace_source: TraceSource,
    /// `Lambda-Runtime-Trace-Id` as the runtime API gave it (what
    /// `_X_AMZN_TRACE_ID` is during the invocation).
    pub lambda_trace_header: Option<String>,
    pub cold_start: bool,
    pub telemetry: &'static str,
}

/// A handler's answer with the [`InvocationInfo`].
#[derive(Debug, Clone, Serialize)]
pub struct Invoked<R> {
    #[serde(flatten)]
    pub result: R,
    pub invocation: InvocationInfo,
}

/// Settings read from the environment at start.
#[derive(Debug, Clone)]
struct Settings {
    flush_timeout: Duration,
    emf_namespace: String,
}

/// A running function: its name, telemetry and cold-start state.
pub struct Function {
    name: String,
    trigger: Trigger,
    telemetry: Telemetry,
    settings: Settings,
    started: Instant,
    /// Process start to the runtime loop's start (set by [`Function::run`]).
    init: std::sync::OnceLock<Duration>,
    /// True until the first invocation takes it.
    cold: AtomicBool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Function {
    /// Sets up telemetry for function `default_name` (the name when Lambda's
    /// `AWS_LAMBDA_FUNCTION_NAME` is not set) and installs it as the
    /// process's `tracing` subscriber.
    pub async fn start(default_name: &str, trigger: Trigger) -> Result<Function, StartError> {
        let started = Instant::now();
        let name = env("AWS_LAMBDA_FUNCTION_NAME")
            .filter(|n| n != "_")
            .unwrap_or_else(|| default_name.to_owned());
        let choice = backend::resolve(env("SHOP_TELEMETRY").as_deref())?;
        let resource = resource(&name);
        let backend = backend::build(choice, &resource).await?;
        let stdout_logs = env("SHOP_STDOUT_LOGS").is_none_or(|v| v != "false" && v != "0");
        let log = env("SHOP_LOG").unwrap_or_else(|| "info".to_owned());
        let telemetry = Telemetry::builder(backend, resource)
            .filter(format!("{QUIET_DEPENDENCIES},{log}"))
            .stdout_json_logs(stdout_logs)
            .build()
            .map_err(|e| StartError::Telemetry(e.to_string()))?;
        telemetry
            .install_global()
            .map_err(|e| StartError::Telemetry(e.to_string()))?;
        let settings = Settings {
            flush_timeout: Duration::from_millis(
                env("SHOP_FUNCTIONS_FLUSH_TIMEOUT_MS")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(2000),
            ),
            emf_namespace: env("SHOP_FUNCTIONS_EMF_NAMESPACE")
                .unwrap_or_else(|| emf::DEFAULT_NAMESPACE.to_owned()),
        };
        tracing::info!(
            faas.name = name.as_str(),
            telemetry = telemetry.backend_name(),
            sampler = telemetry.sampler_description(),
            "function initialised"
        );
        Ok(Function {
            name,
            trigger,
            telemetry,
            settings,
            started,
            init: std::sync::OnceLock::new(),
            cold: AtomicBool::new(true),
        })
    }

    /// The function's name (Lambda's, or the default).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// Runs the Lambda runtime loop with `handler`, every invocation wrapped
    /// by [`Function::invoke`]. Returns when the runtime API goes away.
    pub async fn run<T, R, H, Fut>(self: Arc<Self>, handler: H) -> Result<(), lambda_runtime::Error>
    where
        T: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        H: Fn(T) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Handled<R>, FunctionError>> + Send,
    {
        let _ = self.init.set(self.started.elapsed());
        let service = service_fn(move |event: LambdaEvent<serde_json::Value>| {
            let function = self.clone();
            let handler = handler.clone();
            async move { function.invoke(event, handler).await }
        });
        Runtime::new(service).run().await
    }

    /// One invocation (see the module documentation): the event arrives as
    /// JSON, so the lab's trace member can be read before it is decoded
    /// into the handler's type `T`.
    pub async fn invoke<T, R, H, Fut>(
        &self,
        event: LambdaEvent<serde_json::Value>,
        handler: H,
    ) -> Result<Invoked<R>, FunctionError>
    where
        T: DeserializeOwned,
        H: FnOnce(T) -> Fut,
        Fut: Future<Output = Result<Handled<R>, FunctionError>>,
    {
        let (payload, context) = event.into_parts();
        let cold = self.cold.swap(false, Ordering::SeqCst);
        let init = cold.then(|| *self.init.get_or_init(|| self.started.elapsed()));
        let event_fields = carrier::event_fields(&payload);
        let (parent, source) =
            carrier::parent_context(&context, event_fields.as_ref(), self.telemetry.propagator());
        let span = with_remote_parent(parent, || {
            tracing::info_span!(
                "faas invocation",
                span.name = self.name.as_str(),
                span.kind = self.trigger.span_kind(),
                request_id = context.request_id.as_str(),
                faas.name = self.name.as_str(),
                faas.trigger = self.trigger.as_str(),
                faas.invocation_id = context.request_id.as_str(),
                faas.coldstart = cold,
                cloud.provider = "aws",
                cloud.resource_id = context.invoked_function_arn.as_str(),
                shop.function.trace_source = source.as_str(),
                shop.function.items = Empty,
                error.type = Empty,
            )
        });
        let trace_id = span_context(&span).map(|c| self.telemetry.format_trace_id(c.trace_id));

        let clock = Instant::now();
        let result = async {
            let event: T = serde_json::from_value(payload).map_err(|e| {
                FunctionError::new(
                    "invalid_event",
                    format!("the event is not what {} takes: {e}", self.name),
                )
            })?;
            handler(event).await
        }
        .instrument(span.clone())
        .await;
        let elapsed = clock.elapsed();
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let items = result.as_ref().map_or(0, |h| h.items);
        span.in_scope(|| match &result {
            Ok(_) => {
                tracing::Span::current().record("shop.function.items", items);
                tracing::info!(
                    faas.coldstart = cold,
                    shop.function.items = items,
                    duration_ms,
                    "invocation finished"
                );
            }
            Err(e) => {
                let current = tracing::Span::current();
                current.record("shop.function.items", items);
                current.record(semconv::ERROR_TYPE, e.kind);
                tracing::error!(
                    faas.coldstart = cold,
                    error.type = e.kind,
                    error = e.message.as_str(),
                    duration_ms,
                    "invocation failed"
                );
            }
        });
        drop(span);

        // Lambda freezes the process once the response is sent: export now.
        let flush_clock = Instant::now();
        if let Err(e) = self.telemetry.flush(self.settings.flush_timeout).await {
            tracing::warn!(error = %e, "telemetry flush at the end of the invocation failed");
        }
        let flush_ms = flush_clock.elapsed().as_secs_f64() * 1000.0;

        let mut record = emf::Record::new(&self.settings.emf_namespace)
            .dimension("FunctionName", &self.name)
            .metric("Duration", "Milliseconds", duration_ms)
            .metric("FlushDuration", "Milliseconds", flush_ms)
            .metric("ColdStart", "Count", if cold { 1.0 } else { 0.0 })
            .metric("ItemsProcessed", "Count", items as f64);
        if let Some(init) = init {
            record = record.metric("InitDuration", "Milliseconds", init.as_secs_f64() * 1000.0);
        }
        // Read after the flush, so the peak includes what exporting needed.
        if let Some(memory) = ProcessMemory::read() {
            record = record
                .metric("MaxMemoryUsed", "Megabytes", memory.peak_mb)
                .metric("MemoryUsed", "Megabytes", memory.resident_mb);
        }
        record
            .property("request_id", context.request_id.as_str())
            .property(
                "trace_id",
                trace_id.clone().map_or(serde_json::Value::Null, Into::into),
            )
            .property(
                "outcome",
                if result.is_ok() { "success" } else { "failure" },
            )
            .property("telemetry", self.telemetry.backend_name())
            .print();

        result.map(|handled| Invoked {
            result: handled.value,
            invocation: InvocationInfo {
                request_id: context.request_id.clone(),
                trace_id,
                trace_source: source,
                lambda_trace_header: context.xray_trace_id.clone(),
                cold_start: cold,
                telemetry: self.telemetry.backend_name(),
            },
        })
    }
}

/// The process's resident memory, as its own kernel accounting says: the
/// stand-in for the "Max Memory Used" of Lambda's `REPORT` line, which
/// `cargo lambda watch` does not emulate.
///
/// It is the function's own view: Lambda's figure is the whole execution
/// environment's (the runtime, extensions, the process), so it reads higher
/// for the same code. Megabytes here are MiB (1 048 576 bytes), as Lambda
/// counts its memory setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessMemory {
    /// Peak resident set size since the process started (`VmHWM`).
    pub peak_mb: f64,
    /// Resident set size now (`VmRSS`).
    pub resident_mb: f64,
}

impl ProcessMemory {
    /// Reads `/proc/self/status`. `None` where there is no such file (not
    /// Linux) or it lacks the two lines: the metrics are then left out of the
    /// EMF line rather than failing the invocation over a measurement.
    pub fn read() -> Option<ProcessMemory> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        ProcessMemory::parse(&status)
    }

    /// The two figures from the text of a `/proc/<pid>/status` file, whose
    /// lines read `VmHWM:\t  23456 kB` (the kernel always prints kB).
    pub fn parse(status: &str) -> Option<ProcessMemory> {
        let kib = |field: &str| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                let number = rest.trim().strip_suffix("kB")?.trim();
                number.parse::<u64>().ok()
            })
        };
        Some(ProcessMemory {
            peak_mb: kib("VmHWM")? as f64 / 1024.0,
            resident_mb: kib("VmRSS")? as f64 / 1024.0,
        })
    }
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("telemetry: {0}")]
    Telemetry(String),
    #[error("{0}")]
    Config(String),
}

/// The resource describing a function's process: its name as the service,
/// the `faas.*` and `cloud.*` attributes Lambda's environment gives.
pub fn resource(name: &str) -> Resource {
    let service = env("SHOP_SERVICE_NAME").unwrap_or_else(|| name.to_owned());
    let mut r = Resource::new(service, env!("CARGO_PKG_VERSION"));
    r.environment = env("SHOP_ENVIRONMENT").unwrap_or_else(|| "local".to_owned());
    r.attributes.push(("faas.name".to_owned(), name.to_owned()));
    r.attributes
        .push(("cloud.provider".to_owned(), "aws".to_owned()));
    r.attributes
        .push(("cloud.platform".to_owned(), "aws_lambda".to_owned()));
    for (attribute, var) in [
        ("faas.version", "AWS_LAMBDA_FUNCTION_VERSION"),
        ("faas.max_memory", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        ("cloud.region", "AWS_REGION"),
    ] {
        if let Some(v) = env(var) {
            r.attributes.push((attribute.to_owned(), v));
        }
    }
    r
}

/// Runs a function's `main`: starts telemetry, builds the handler's state
/// with `init`, runs the runtime loop; shuts telemetry down when the loop
/// ends. Exit code 2 for a configuration error (as the shop's), 1 when the
/// loop failed.
pub fn main<S, T, R, I, IFut, H, Fut>(
    default_name: &'static str,
    trigger: Trigger,
    init: I,
    handler: H,
) -> std::process::ExitCode
where
    S: Send + Sync + 'static,
    T: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    I: FnOnce(Telemetry) -> IFut,
    IFut: Future<Output = Result<S, StartError>>,
    H: Fn(Arc<S>, T) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Handled<R>, FunctionError>> + Send + 'static,
{
    use std::process::ExitCode;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{default_name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let function = match Function::start(default_name, trigger).await {
            Ok(f) => Arc::new(f),
            Err(e) => {
                eprintln!("{default_name}: {e}");
                return ExitCode::from(2);
            }
        };
        let state = match init(function.telemetry().clone()).await {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(error = %e, "function initialisation failed");
                let _ = function.telemetry().shutdown(Duration::from_secs(5)).await;
                eprintln!("{default_name}: {e}");
                return ExitCode::from(2);
            }
        };
        let telemetry = function.telemetry().clone();
        let ran = function
            .run(move |event: T| {
                let state = state.clone();
                let handler = handler.clone();
                async move { handler(state, event).await }
            })
            .await;
        let code = match ran {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "the Lambda runtime loop stopped");
                eprintln!("{default_name}: the Lambda runtime loop stopped: {e}");
                ExitCode::FAILURE
            }
        };
        let _ = telemetry.shutdown(Duration::from_secs(5)).await;
        code
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_memory_reads_the_peak_and_the_current_resident_size_in_mib() {
        let status = "Name:\timage-resize\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t5\n";
        assert_eq!(
            ProcessMemory::parse(status),
            Some(ProcessMemory {
                peak_mb: 50.0,
                resident_mb: 40.0
            })
        );
        // A line missing (or a kernel that words it otherwise): no figures, not wrong ones.
        assert_eq!(ProcessMemory::parse("VmHWM:\t 100 kB\n"), None);
        assert_eq!(ProcessMemory::parse("VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_peak_at_least_its_current_size() {
        let m = ProcessMemory::read().expect("/proc/self/status on Linux");
        assert!(m.resident_mb > 0.0 && m.peak_mb >= m.resident_mb, "{m:?}");
    }
}
