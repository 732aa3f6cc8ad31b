//! The one background loop behind every queued signal (spans to X-Ray, log
//! lines and EMF lines to CloudWatch Logs).
//!
//! The loop is the same for all of them; what differs is how items become
//! batches and how a batch is sent, which each signal supplies as a
//! [`Batcher`]. The loop wakes up for three reasons:
//!
//! - a control message ([`Control`]): drain the queue, send everything,
//!   answer; on shutdown also close the queue and count what is left in it
//!   as dropped, then stop;
//! - the doorbell (the request side rang because the queue is a quarter
//!   full): drain, send the *full* batches, keep the rest for later;
//! - the interval: drain and send everything, partial batches included.
//!
//! When every request-side handle is gone the loop sends what it has and
//! stops. Sending itself (batching within the API's limits, the call with
//! counted retries, `sent`/`dropped` accounting) is the batcher's.
//!
//! A batcher does not wait for one call to end before starting the next:
//! up to [`MAX_IN_FLIGHT`] calls run at once ([`InFlight`]), so at
//! saturation the export keeps up with a sink's round-trip time instead of
//! being bounded by it, and the loop goes back to draining its queue while
//! calls are under way. A flush or shutdown waits for every call under way
//! ([`Batcher::settle`]) before it answers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use telemetry_api::export::{SignalCounters, without_telemetry};
use tokio::task::JoinSet;

use super::queue::{Control, Drained, Inlet, Outlet};

/// Why the worker is about to send everything it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The interval elapsed.
    Tick,
    /// Someone asked for a flush.
    Flush,
    /// The backend is shutting down: this is the last send.
    Shutdown,
}

/// What a signal plugs into the loop.
pub trait Batcher: Send + 'static {
    /// What the request side queues.
    type Item: Send + 'static;

    /// How many signal items `item` stands for (a span, a log record, an
    /// EMF line's measurements), to count it when it is dropped.
    fn count(item: &Self::Item) -> u64;

    /// Takes one queued item into the batches being built.
    fn take(&mut self, item: Self::Item);

    /// Called before everything is sent (on a tick, a flush, at shutdown),
    /// for work that is due then. The default does nothing.
    fn before_send_all(&mut self, _due: Due) {}

    /// Starts sending what is ready: only full batches, or everything when
    /// `all`. May return while calls are still under way (see [`InFlight`]).
    fn send(&mut self, all: bool) -> impl Future<Output = ()> + Send;

    /// Waits until every call started by [`Batcher::send`] has ended (and
    /// been counted). The default has nothing to wait for.
    fn settle(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// API calls a batcher has under way at most. Four calls of 50 segment
/// documents (or of up to 10 000 log events) in flight keep up with a sink
/// that answers in tens of milliseconds, and bound what is held in memory.
pub const MAX_IN_FLIGHT: usize = 4;

/// A batcher's API calls under way, at most [`MAX_IN_FLIGHT`] at once, each
/// a task of its own on the backend's runtime.
#[derive(Default)]
pub struct InFlight {
    calls: JoinSet<()>,
}

impl InFlight {
    /// Starts `call` as soon as fewer than [`MAX_IN_FLIGHT`] are under way.
    /// The call counts its own outcome (`sent`, `dropped`, `errors`).
    pub async fn start(&mut self, call: impl Future<Output = ()> + Send + 'static) {
        while self.calls.len() >= MAX_IN_FLIGHT {
            // A call that panicked has been counted as far as it got.
            let _ = self.calls.join_next().await;
        }
        self.calls.spawn(without_telemetry(call));
    }

    /// Waits for every call under way.
    pub async fn settle(&mut self) {
        while self.calls.join_next().await.is_some() {}
    }
}

/// Starts `batcher`'s worker on the current Tokio runtime, behind a queue of
/// `capacity` items whose losses count into `counters.dropped`; returns the
/// request side. The worker runs under
/// [`telemetry_api::export::without_telemetry`], so the SDK's own `tracing`
/// output does not become telemetry to export.
pub fn start<B: Batcher>(
    batcher: B,
    capacity: usize,
    interval: Duration,
    counters: Arc<SignalCounters>,
) -> Inlet<B::Item> {
    let (inlet, outlet) = Inlet::new(capacity, counters.clone());
    tokio::spawn(without_telemetry(run(batcher, outlet, interval, counters)));
    inlet
}

/// The loop (see the module documentation).
async fn run<B: Batcher>(
    mut batcher: B,
    outlet: Outlet<B::Item>,
    interval: Duration,
    counters: Arc<SignalCounters>,
) {
    let Outlet {
        mut queue,
        mut control,
    } = outlet;
    let doorbell = queue.doorbell();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Control messages first: a flush must not wait behind a tick.
            biased;
            Some(c) = control.recv() => {
                queue.drain(|item| batcher.take(item));
                let due = match c {
                    Control::Flush(_) => Due::Flush,
                    Control::Shutdown(_) => Due::Shutdown,
                };
                batcher.before_send_all(due);
                batcher.send(true).await;
                batcher.settle().await;
                match c {
                    Control::Flush(ack) => {
                        let _ = ack.send(());
                    }
                    Control::Shutdown(ack) => {
                        let _ = ack.send(());
                        let dropped = &counters.dropped;
                        queue.close(|item| SignalCounters::add(dropped, B::count(&item)));
                        return;
                    }
                }
            }
            // The queue is a quarter full: send the full batches.
            () = doorbell.rung() => {
                let last = queue.drain(|item| batcher.take(item)) == Drained::Disconnected;
                batcher.send(last).await;
                if last {
                    batcher.settle().await;
                    return;
                }
            }
            _ = tick.tick() => {
                let drained = queue.drain(|item| batcher.take(item));
                batcher.before_send_all(Due::Tick);
                batcher.send(true).await;
                if drained == Drained::Disconnected {
                    batcher.settle().await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::Ordering;

    /// Keeps items in a buffer and logs what the loop asked for.
    struct Probe {
        buffer: Vec<u32>,
        batch: usize,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl Batcher for Probe {
        type Item = u32;
        fn count(_: &u32) -> u64 {
            1
        }
        fn take(&mut self, item: u32) {
            self.buffer.push(item);
        }
        fn before_send_all(&mut self, due: Due) {
            self.log.lock().unwrap().push(format!("{due:?}"));
        }
        async fn send(&mut self, all: bool) {
            let n = if all {
                self.buffer.len()
            } else {
                self.buffer.len() / self.batch * self.batch
            };
            if n > 0 {
                let sent: Vec<u32> = self.buffer.drain(..n).collect();
                self.log.lock().unwrap().push(format!("sent {sent:?}"));
            }
        }
    }

    /// A worker with a probe batcher, started and past its first tick
    /// (which fires at once), with an empty log.
    async fn started(
        batch: usize,
        capacity: usize,
    ) -> (Inlet<u32>, Arc<Mutex<Vec<String>>>, Arc<SignalCounters>) {
        let counters = Arc::new(SignalCounters::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let probe = Probe {
            buffer: Vec::new(),
            batch,
            log: log.clone(),
        };
        let inlet = start(probe, capacity, Duration::from_secs(10), counters.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(take_log(&log), ["Tick"]);
        (inlet, log, counters)
    }

    fn take_log(log: &Mutex<Vec<String>>) -> Vec<String> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn doorbell_sends_full_batches_interval_and_flush_send_everything() {
        let (inlet, log, _) = started(2, 12).await;

        // A quarter of 12 is 3: the doorbell rings, one full batch of 2 goes.
        for i in 1..=3 {
            inlet.offer(i, 1);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(take_log(&log), ["sent [1, 2]"]);

        // The interval sends the partial rest.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(take_log(&log), ["Tick", "sent [3]"]);

        // A flush drains the queue and sends everything before answering.
        inlet.offer(4, 1);
        inlet.flush().await;
        assert_eq!(take_log(&log), ["Flush", "sent [4]"]);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_in_flight_calls_run_at_once_and_settle_waits_for_all() {
        use std::sync::atomic::AtomicUsize;
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let mut in_flight = InFlight::default();
        for _ in 0..3 * MAX_IN_FLIGHT {
            let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
            in_flight
                .start(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .await;
        }
        in_flight.settle().await;
        assert_eq!(done.load(Ordering::SeqCst), 3 * MAX_IN_FLIGHT);
        assert_eq!(
            peak.load(Ordering::SeqCst),
            MAX_IN_FLIGHT,
            "concurrent, and bounded"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_sends_what_is_queued_then_counts_later_items_as_dropped() {
        let (inlet, log, counters) = started(100, 100).await;
        inlet.offer(1, 1);
        inlet.offer(2, 1);
        inlet.shutdown().await;
        assert_eq!(take_log(&log), ["Shutdown", "sent [1, 2]"]);
        inlet.offer(3, 1);
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 1);
        // The worker has stopped: a flush answers at once.
        inlet.flush().await;
        assert!(take_log(&log).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_worker_sends_the_rest_and_stops_when_the_request_side_is_gone() {
        let (inlet, log, _) = started(100, 100).await;
        inlet.offer(7, 1);
        drop(inlet);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(take_log(&log), ["Tick", "sent [7]"]);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(take_log(&log).is_empty(), "stopped");
    }
}
