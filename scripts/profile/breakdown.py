#!/usr/bin/env python3
"""Instructions per request from a callgrind dump, by component.

    breakdown.py DUMP REQUESTS

Two tables (both in instructions per request):

- *self*: each function's own instructions, summed by component (the crate
  or library the function belongs to, grouped as below). The rows add up to
  the total; shared code (hyper serves requests and carries the SDK's HTTP
  calls) is split by crate, not by caller.
- *inclusive*: instructions spent inside a few entry points of the
  telemetry path, including everything they call. These overlap (an event's
  `on_event` includes its JSON rendering), so they do not add up.
"""

import re
import subprocess
import sys
from collections import defaultdict

# (component, regex on the function name), first match wins.
SELF_GROUPS = [
    ("telemetry-api (layer, records, log lines)", r"telemetry_api::"),
    ("telemetry-awssdk (segments, batching)", r"telemetry_awssdk::"),
    ("telemetry-otel (conversions)", r"telemetry_otel::"),
    ("opentelemetry SDK / OTLP", r"opentelemetry|prost::|tonic::"),
    ("AWS SDK / smithy (HTTP client, signing)", r"aws_|smithy"),
    ("serde_json (JSON)", r"serde_json::|serde::"),
    ("tracing / tracing-subscriber", r"tracing_subscriber::|tracing_core::|tracing::|tracing_appender::"),
    ("tokio (runtime, channels, timers)", r"tokio::"),
    ("hyper / h2 / http (server + clients)", r"hyper|h2::|http::|http_body|httparse|reqwest"),
    ("rustls / ring / crypto", r"rustls|ring::|aws_lc|sha2|hmac"),
    ("sqlx / SQLite", r"sqlx|sqlite3|libsqlite"),
    ("axum / tower", r"axum::|tower"),
    ("malloc / free / memcpy", r"malloc|free|realloc|calloc|memcpy|memmove|memset|_int_|mi_"),
    ("kernel entry (syscalls)", r"syscall|epoll|__libc_|writev|sendmsg|recvmsg|read$|write$"),
    ("shop (app)", r"shop::|shop_core::"),
]

INCLUSIVE = [
    ("span start (on_new_span)", r"TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_new_span"),
    ("span end (on_close)", r"TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_close"),
    ("log event (on_event)", r"TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_event"),
    ("stdout JSON line (StdoutJsonLines::emit)", r"StdoutJsonLines as telemetry_api::logs::LogSink>::emit"),
    ("log record → JSON map (logs::to_json)", r"telemetry_api::logs::to_json"),
    ("awssdk: export_log", r"AwsSdkExporter as telemetry_api::export::Exporter>::export_log"),
    ("awssdk: export_span", r"AwsSdkExporter as telemetry_api::export::Exporter>::export_span"),
    ("awssdk: segment documents", r"telemetry_awssdk::traces::segment::segment_documents"),
    ("awssdk: PutTraceSegments (put)", r"telemetry_awssdk::traces::SegmentBatcher::put"),
    ("awssdk: log line render (LogBatcher::push)", r"telemetry_awssdk::logs::LogBatcher::push"),
    ("awssdk: PutLogEvents (put)", r"telemetry_awssdk::logs::LogBatcher::put"),
    ("awssdk: export worker loop (worker::run)", r"telemetry_awssdk::export::worker::run"),
    ("otel: export_span", r"OtelExporter as telemetry_api::export::Exporter>::export_span"),
    ("otel: export_log", r"OtelExporter as telemetry_api::export::Exporter>::export_log"),
    ("otel: span_data", r"telemetry_otel::traces::span_data"),
    ("otel: LogBridge::emit", r"telemetry_otel::logs::LogBridge::emit"),
    ("otel: span export (OTLP)", r"SpanExporter.*>::export"),
    ("otel: log export (OTLP)", r"LogExporter.*>::export"),
]

LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(?:\S*?:)?(.+?)(?:\s+\[[^\]]*\])?\s*$")


def annotate(dump, inclusive):
    args = ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", dump]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    total = None
    rows = []
    for line in out.splitlines():
        if total is None and "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        m = LINE.match(line)
        if m and total is not None and not line.strip().startswith("Ir"):
            try:
                rows.append((int(m.group(1).replace(",", "")), m.group(2)))
            except ValueError:
                pass
    return total, rows


def main():
    dump, requests = sys.argv[1], int(sys.argv[2])
    total, rows = annotate(dump, inclusive=False)
    groups = defaultdict(int)
    for ir, fn in rows:
        for name, pat in SELF_GROUPS:
            if re.search(pat, fn):
                groups[name] += ir
                break
        else:
            groups["other"] += ir
    print(f"total: {total / requests:,.0f} instructions per request ({requests} requests)")
    print("\n| component (self) | instr/request |\n|---|---:|")
    for name, ir in sorted(groups.items(), key=lambda x: -x[1]):
        print(f"| {name} | {ir / requests:,.0f} |")
    _, irows = annotate(dump, inclusive=True)
    print("\n| entry point (inclusive) | instr/request |\n|---|---:|")
    for name, pat in INCLUSIVE:
        best = max((ir for ir, fn in irows if re.search(pat, fn)), default=0)
        if best:
            print(f"| {name} | {best / requests:,.0f} |")


if __name__ == "__main__":
    main()
