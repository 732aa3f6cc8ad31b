//! Timing the request path of a backend that exports behind it.
//!
//! A span costs the request thread about a microsecond; turning it into an
//! X-Ray document or an OTLP message and failing to send it to the dead
//! endpoint costs the background several times that. A bench loop that does
//! nothing but make spans therefore outruns any exporter: its queue fills up
//! and from then on every span is dropped at the door. That drop path is
//! cheaper than the normal one (the `otel` backend does not even convert a
//! span it cannot queue), so a plain `b.iter` would measure a sink-down
//! regime, not what a request pays when the queue has room.
//!
//! So the benches of `awssdk`, `otel` and the `tracing-opentelemetry`
//! reference run their iterations in chunks ([`Pacer::time`]): before each
//! chunk, untimed, the pacer makes sure the set-up holds little (at most
//! [`BACKLOG`] items, or nothing for the reference), flushing it and waiting
//! for the (failing) exports to be counted when it holds more. Only the
//! chunks are timed. The background work runs during the flushes, not
//! during the chunks (see [`crate::runtime`]), so a row is the request
//! thread's own cost, not that plus a share of an export worker busy on the
//! same two cores. Every span and log record in a timed chunk finds room in
//! its queue: none is dropped at the door.
//!
//! Criterion sizes its samples from the wall-clock time of its warm-up,
//! flushes included, so a set-up with slow flushes gets fewer iterations,
//! not a longer run.

use std::time::{Duration, Instant};

use telemetry_api::{SignalStats, Telemetry};
use tokio::runtime::Runtime;

/// Spans or log records handed to a backend per timed chunk at most.
pub const CHUNK_ITEMS: u64 = 4096;

/// Items a backend may hold when a chunk starts, at most: beyond this the
/// pacer flushes first. Small next to the queues ([`crate::env::QUEUE`]), so
/// that every chunk meets a queue that is nearly empty, as a shop's queue is
/// when its sink keeps up. (Letting hundreds of thousands of records pile
/// up makes each new one dearer: fresh heap pages, cold caches. That is a
/// cost of the bench outrunning its exporter, not of a span.)
pub const BACKLOG: u64 = 32 * 1024;

// A chunk started at the backlog limit still fits in the queues.
const _: () = assert!(BACKLOG + CHUNK_ITEMS <= crate::env::QUEUE as u64);

/// Runs timed chunks for one set-up.
pub struct Pacer<'a> {
    /// Items the set-up holds now (0 when there is nothing to watch).
    backlog: Box<dyn Fn() -> u64 + 'a>,
    /// Flushes, and returns once everything held was exported or dropped.
    settle: Box<dyn Fn() + 'a>,
    /// The backlog beyond which a chunk does not start.
    limit: u64,
    chunk_items: u64,
}

/// Items handed to the backend and neither sent nor dropped yet: in its
/// queue, held by its worker, or in an export under way.
pub fn in_flight(s: &SignalStats) -> u64 {
    s.received.saturating_sub(s.sent + s.dropped)
}

impl Pacer<'static> {
    /// For set-ups with no export queue (`noop`, the discarding glue, a bare
    /// registry): chunks, and nothing in between.
    pub fn unpaced() -> Pacer<'static> {
        Pacer {
            backlog: Box::new(|| 0),
            settle: Box::new(|| {}),
            limit: u64::MAX,
            chunk_items: CHUNK_ITEMS,
        }
    }
}

impl<'a> Pacer<'a> {
    /// For a backend built by [`crate::awssdk`] or [`crate::otel`]: its
    /// statistics tell what it holds (spans and log records received and
    /// neither sent nor dropped); settling is `Telemetry::flush`, which
    /// returns once every queued item was exported or counted as dropped.
    pub fn backend(telemetry: &'a Telemetry, runtime: &'a Runtime) -> Pacer<'a> {
        Pacer {
            backlog: Box::new(move || {
                let stats = telemetry.stats();
                in_flight(&stats.spans).max(in_flight(&stats.logs))
            }),
            settle: Box::new(move || {
                // Every export fails by design (the endpoint is closed), so
                // the flush reports an error; the statistics count the loss.
                let _ = runtime.block_on(telemetry.flush(Duration::from_secs(120)));
            }),
            limit: BACKLOG,
            chunk_items: CHUNK_ITEMS,
        }
    }

    /// For a set-up whose backlog cannot be read but whose flush is cheap:
    /// `settle` runs before every chunk of at most `chunk_items` items.
    pub fn settling(chunk_items: u64, settle: impl Fn() + 'a) -> Pacer<'a> {
        Pacer {
            backlog: Box::new(|| u64::MAX),
            settle: Box::new(settle),
            limit: 0,
            chunk_items,
        }
    }

    /// Makes sure `items` more spans and `items` more log records fit,
    /// settling first when the backlog would exceed the limit.
    pub fn make_room(&self, items: u64) {
        if (self.backlog)().saturating_add(items) > self.limit {
            (self.settle)();
        }
    }

    /// Flushes and waits until everything handed over has been exported or
    /// counted as dropped, so that one bench's backlog does not take CPU
    /// from the next bench.
    pub fn settle(&self) {
        (self.settle)();
    }

    /// Times `iters` runs of `op`, each handing the backend at most
    /// `items_per_iter` spans or log records, in chunks that fit its
    /// queues. Returns the time spent in `op` only (for
    /// `Bencher::iter_custom`).
    pub fn time(&self, iters: u64, items_per_iter: u64, mut op: impl FnMut()) -> Duration {
        self.time_chunks(iters, items_per_iter, u64::MAX, |n| {
            let start = Instant::now();
            for _ in 0..n {
                op();
            }
            start.elapsed()
        })
    }

    /// Like [`Pacer::time`], for benches with their own untimed set-up per
    /// chunk: `run(n)` runs `n` iterations (`n ≤ max_chunk`) and returns the
    /// time they took, leaving its set-up out.
    pub fn time_chunks(
        &self,
        iters: u64,
        items_per_iter: u64,
        max_chunk: u64,
        mut run: impl FnMut(u64) -> Duration,
    ) -> Duration {
        let per_iter = items_per_iter.max(1);
        let chunk = (self.chunk_items / per_iter).clamp(1, max_chunk.max(1));
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(chunk);
            self.make_room(n * per_iter);
            total += run(n);
            left -= n;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_iteration_and_respect_the_limits() {
        let pacer = Pacer::unpaced();
        let mut runs = Vec::new();
        pacer.time_chunks(10_000, 3, 1000, |n| {
            runs.push(n);
            Duration::from_nanos(n)
        });
        assert_eq!(runs.iter().sum::<u64>(), 10_000);
        assert!(runs.iter().all(|&n| n <= 1000 && n * 3 <= CHUNK_ITEMS));

        let settled = std::cell::Cell::new(0);
        let pacer = Pacer::settling(10, || settled.set(settled.get() + 1));
        pacer.time(25, 2, || {});
        assert_eq!(settled.get(), 5, "before each chunk of 5 iterations");
        let mut count = 0;
        let t = pacer.time(5, 1, || count += 1);
        assert_eq!(count, 5);
        assert!(t < Duration::from_secs(1));
    }

    #[test]
    fn in_flight_is_what_is_neither_sent_nor_dropped() {
        let s = SignalStats {
            received: 10,
            sent: 3,
            dropped: 4,
            ..SignalStats::default()
        };
        assert_eq!(in_flight(&s), 3);
    }
}
