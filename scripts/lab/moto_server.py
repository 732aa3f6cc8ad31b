"""Starts moto's server (moto.server.main, the same as the venv's `moto_server`),
after one thread-safety fix to its X-Ray store.

WORKAROUND (docs/lab.md#gap-moto-xray-race). moto 5.2.5 and 5.2.6 keep X-Ray's
traces in a `collections.defaultdict` and serve requests on threads.
`SegmentCollection.put_segment` looks a trace up (creating it on the first
segment) without a lock: when two `PutTraceSegments` calls bring the first
segments of one trace at the same moment, both create the trace's entry and the
second replaces the first, so the first segment vanishes although its call
answered with no `UnprocessedTraceSegments`. The lab's exporters send the
segments of one trace from several processes at once (orders and inventory), so
at saturation about one segment in 50 000 was lost.

The fix serialises `put_segment` with a lock. Nothing else of moto changes.

Environment:
- SHOP_LAB_MOTO_STOCK=1: run moto unchanged (the gap's test does, to show it).
- SHOP_LAB_MOTO_SWITCH_INTERVAL=S: Python's thread switch interval in seconds
  (default: Python's 0.005). A tiny one makes threads interleave often, so the
  gap's test sees the race in seconds instead of hours.
"""

import os
import sys
import threading


def serialise_xray_puts() -> None:
    from moto.xray import models

    unsafe = models.SegmentCollection.put_segment
    lock = threading.Lock()

    def put_segment(self, segment):  # type: ignore[no-untyped-def]
        with lock:
            unsafe(self, segment)

    models.SegmentCollection.put_segment = put_segment


def main() -> None:
    interval = os.environ.get("SHOP_LAB_MOTO_SWITCH_INTERVAL")
    if interval:
        sys.setswitchinterval(float(interval))
    if os.environ.get("SHOP_LAB_MOTO_STOCK") != "1":
        serialise_xray_puts()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
