//! The bounded queue between the request side and a signal's background
//! worker, its doorbell, and the control messages (flush, shutdown).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use telemetry_api::export::SignalCounters;
use tokio::sync::{Notify, mpsc, oneshot};

/// Messages from the request side to a background worker.
#[derive(Debug)]
pub enum Control {
    /// Send everything queued, then answer.
    Flush(oneshot::Sender<()>),
    /// Send everything queued, answer, and stop.
    Shutdown(oneshot::Sender<()>),
}

/// The request side of a signal's pipeline: a bounded queue of items and a
/// control channel to its background worker. Offering never blocks: a full
/// queue, or a pipeline already shut down, drops the item and counts it.
///
/// Offering does not wake the worker for every item. A wake-up costs a task
/// switch (often a thread unpark) and at 100 % sampling the shop ends about
/// ten spans per request, so the worker is woken only when the queue is a
/// quarter full, and otherwise drains it on its own timer. This is what
/// OpenTelemetry's batch span processor does: it signals its worker once
/// `max_export_batch_size` (512 of 2048) spans are waiting.
pub struct Inlet<T> {
    tx: mpsc::Sender<T>,
    ctl: mpsc::Sender<Control>,
    dropped: Arc<SignalCounters>,
    closed: AtomicBool,
    wake: Arc<Doorbell>,
    wake_at: usize,
}

/// The worker's doorbell: the request side rings it when the queue is a
/// quarter full; `rung` keeps it from ringing again before the worker has
/// drained.
#[derive(Default)]
pub struct Doorbell {
    notify: Notify,
    rung: AtomicBool,
}

impl Doorbell {
    /// Resolves when the request side rang (at once if it rang while the
    /// worker was busy).
    pub async fn rung(&self) {
        self.notify.notified().await;
    }
}

/// The worker side of an [`Inlet`]: the queued items and control messages.
pub struct Outlet<T> {
    pub queue: Queue<T>,
    pub control: mpsc::Receiver<Control>,
}

/// The receiving end of an [`Inlet`]'s queue.
pub struct Queue<T> {
    items: mpsc::Receiver<T>,
    wake: Arc<Doorbell>,
}

impl<T> Inlet<T> {
    /// A queue of `capacity` items whose losses count into `counters.dropped`.
    pub fn new(capacity: usize, counters: Arc<SignalCounters>) -> (Inlet<T>, Outlet<T>) {
        let capacity = capacity.max(1);
        let (tx, items) = mpsc::channel(capacity);
        let (ctl, control) = mpsc::channel(8);
        let wake = Arc::new(Doorbell::default());
        (
            Inlet {
                tx,
                ctl,
                dropped: counters,
                closed: AtomicBool::new(false),
                wake: wake.clone(),
                wake_at: (capacity / 4).max(1),
            },
            Outlet {
                queue: Queue { items, wake },
                control,
            },
        )
    }

    /// Queues `item`, which stands for `count` signal items (a span, a log
    /// record, an EMF line's measurements).
    pub fn offer(&self, item: T, count: u64) {
        if self.closed.load(Ordering::Relaxed) || self.tx.try_send(item).is_err() {
            SignalCounters::add(&self.dropped.dropped, count);
            return;
        }
        let queued = self.tx.max_capacity() - self.tx.capacity();
        if queued >= self.wake_at && !self.wake.rung.swap(true, Ordering::AcqRel) {
            self.wake.notify.notify_one();
        }
    }

    /// Resolves when the worker has sent everything queued so far.
    pub async fn flush(&self) {
        request(&self.ctl, Control::Flush).await;
    }

    /// Flushes and stops the worker; later offers are dropped and counted.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Relaxed);
        request(&self.ctl, Control::Shutdown).await;
    }
}

/// What [`Queue::drain`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    /// The queue is empty for now.
    Empty,
    /// Every [`Inlet`] is gone: nothing will ever arrive again.
    Disconnected,
}

impl<T> Queue<T> {
    /// The doorbell, to wait on beside other events.
    pub fn doorbell(&self) -> Arc<Doorbell> {
        self.wake.clone()
    }

    /// Hands every queued item to `take`, and re-arms the doorbell.
    pub fn drain(&mut self, mut take: impl FnMut(T)) -> Drained {
        self.wake.rung.store(false, Ordering::Release);
        loop {
            match self.items.try_recv() {
                Ok(item) => take(item),
                Err(mpsc::error::TryRecvError::Empty) => return Drained::Empty,
                Err(mpsc::error::TryRecvError::Disconnected) => return Drained::Disconnected,
            }
        }
    }

    /// Stops accepting items and hands what is left to `take` (to be
    /// counted as dropped).
    pub fn close(&mut self, take: impl FnMut(T)) {
        self.items.close();
        self.drain(take);
    }
}

/// Sends a control message and waits for the worker's answer (immediately
/// when the worker has already stopped).
pub async fn request(ctl: &mpsc::Sender<Control>, make: fn(oneshot::Sender<()>) -> Control) {
    let (tx, rx) = oneshot::channel();
    if ctl.send(make(tx)).await.is_ok() {
        let _ = rx.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    /// Polls the doorbell once: did the request side ring?
    fn rang(bell: &Doorbell) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut rung = std::pin::pin!(bell.rung());
        rung.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn the_worker_is_woken_once_per_quarter_queue_not_per_item() {
        let counters = Arc::new(SignalCounters::default());
        let (inlet, outlet) = Inlet::new(8, counters.clone());
        let Outlet { mut queue, .. } = outlet;
        let bell = queue.doorbell();
        inlet.offer(1, 1);
        assert!(!rang(&bell), "one item of eight does not wake the worker");
        inlet.offer(2, 1);
        inlet.offer(3, 1);
        inlet.offer(4, 1);
        assert!(rang(&bell), "a quarter of the queue rings once");
        assert!(!rang(&bell), "and not again before the worker drained");
        let mut got = Vec::new();
        assert_eq!(queue.drain(|i| got.push(i)), Drained::Empty);
        assert_eq!(got, [1, 2, 3, 4]);
        inlet.offer(5, 1);
        inlet.offer(6, 1);
        assert!(rang(&bell), "draining re-arms the doorbell");
        // The queue holds eight: 7..=12 fit, 13..=20 are dropped and
        // counted, and offering never blocks.
        for i in 7..=20 {
            inlet.offer(i, 1);
        }
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 8);
        drop(inlet);
        got.clear();
        assert_eq!(queue.drain(|i| got.push(i)), Drained::Disconnected);
        assert_eq!(got, [5, 6, 7, 8, 9, 10, 11, 12]);
    }
}
