//! A backend's own Tokio runtime, on a thread of its own, where every
//! background task of the backend runs: export workers, periodic tasks, the
//! HTTP clients' connections (the AWS SDK's, the OTLP exporters').
//!
//! Why not the shop's runtime: the shop may run with a single worker thread
//! (pinned to one core, as the experiments run it). An export worker that
//! assembles and serialises a batch of segment documents holds that thread
//! for the whole poll, so requests wait behind it (a higher p99), and while
//! requests keep the thread busy the worker does not get to drain its queue
//! (spans dropped at the door with every sink healthy). The same holds for
//! the OTLP exporters' HTTP calls. On a thread of its
//! own the export work is scheduled by the operating system beside the
//! request threads, and neither waits for the other's poll to end. The CPU
//! it uses is the same; it just no longer blocks requests.
//!
//! The runtime is a current-thread runtime: export is I/O-bound and cheap
//! per item, one thread is enough, and it keeps the backend's footprint
//! small. It stops when the [`ExportRuntime`] is dropped (with the
//! exporter), after the shop's shutdown has flushed.

use std::future::Future;
use std::sync::Mutex;

use crate::export::BackendError;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// A handle on the backend's runtime thread; dropping it stops the thread.
pub struct ExportRuntime {
    handle: Handle,
    /// Dropped to stop the runtime (a `Mutex` only to make this `Sync`).
    _stop: Mutex<oneshot::Sender<()>>,
}

impl ExportRuntime {
    /// Starts the runtime on a thread named `name` (shown by `top -H`,
    /// `perf` and debuggers).
    pub fn start(name: &str) -> Result<ExportRuntime, BackendError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BackendError(format!("cannot start the export runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                // Runs the spawned tasks until the handle is dropped; then
                // the runtime (and every task still on it) is dropped here.
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| BackendError(format!("cannot start the export thread: {e}")))?;
        Ok(ExportRuntime {
            handle,
            _stop: Mutex::new(stop),
        })
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the export runtime and waits for its result from
    /// any runtime (the shop's, a test's).
    pub async fn run<T, F>(&self, future: F) -> Result<T, BackendError>
    where
        F: Future<Output = Result<T, BackendError>> + Send + 'static,
        T: Send + 'static,
    {
        match self.handle.spawn(future).await {
            Ok(v) => v,
            Err(e) => match e.try_into_panic() {
                // The task panicked: carry the panic to the caller.
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => Err(BackendError(format!("the export runtime stopped: {e}"))),
            },
        }
    }
}
