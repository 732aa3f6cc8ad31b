#!/usr/bin/env bash
# The OTLP capture receiver (crate otlp-capture): the end of the lab's OTLP pipeline
# (shop -> collector -> capture). Decodes OTLP/HTTP with the official proto types and keeps it.
# usage: capture.sh install|start|stop|status|env|reset
#   install  cargo build -p otlp-capture (SHOP_LAB_PROFILE, default release; see common.sh)
#   reset    empty what it captured (DELETE /captured)
# Read back: GET /captured/traces, /captured/metrics, /captured/logs (OTLP/JSON).
# The collector (collector.sh, exporter `lab` or `capture`) sends to it.
set -euo pipefail
LAB_COMPONENT=capture
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=capture
PORT=$SHOP_LAB_CAPTURE_PORT
URL="http://127.0.0.1:$PORT"
BIN=$(lab_otlp_capture_bin)
MARKER="otlp-capture --listen 127.0.0.1:$PORT"
START_TIMEOUT="${SHOP_LAB_CAPTURE_START_TIMEOUT:-30}"

healthy() {
    lab_http_ok "$URL/healthz"
}

do_install() {
    local start
    start=$(lab_now)
    lab_otlp_capture_build
    lab_log "built $BIN in $(lab_elapsed "$start")s"
}

do_start() {
    lab_lock "$NAME"
    lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_CAPTURE_PORT && return 0
    do_install
    local start
    start=$(lab_now)
    lab_spawn "$NAME" "$BIN" --listen "127.0.0.1:$PORT"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
}

do_status() {
    lab_status "$NAME" "$MARKER" "$URL"
}

do_env() {
    printf 'export SHOP_LAB_CAPTURE_URL=%s\n' "$URL"
}

do_reset() {
    curl -fsS -X DELETE -o /dev/null --max-time 5 "$URL/captured" || lab_die "reset failed (is it running? $URL)"
    lab_log "emptied"
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    reset) do_reset ;;
    *) LAB_EXTRA_VERBS="|reset" lab_usage ;;
esac
