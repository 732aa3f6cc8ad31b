#!/usr/bin/env bash
# WORKAROUND for a collector bug, not a real component: rotel 0.0.1a15's X-Ray exporter sends
# `content-encoding: gzip` over an uncompressed body and moto answers 500. This pass-through
# (`otlp-capture xray-passthrough`) forwards everything to moto WITHOUT that header.
# usage: xraypass.sh install|start|stop|status|env
# rotel.sh's default (xray) sends here: the lab's X-Ray leg is collector -> rotel -> this -> moto.
set -euo pipefail
LAB_COMPONENT=xraypass
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=xraypass
PORT=$SHOP_LAB_XRAYPASS_PORT
URL="http://127.0.0.1:$PORT"
UPSTREAM="http://127.0.0.1:$SHOP_LAB_MOTO_PORT"
BIN=$(lab_otlp_capture_bin)
MARKER="xray-passthrough"
START_TIMEOUT="${SHOP_LAB_XRAYPASS_START_TIMEOUT:-30}"

# Any HTTP answer means it listens (it forwards even GET /, which moto may refuse).
healthy() {
    local code
    code=$(curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$URL/" 2>/dev/null) || true
    [[ -n $code && $code != 000 ]]
}

do_install() {
    lab_otlp_capture_build
}

do_start() {
    lab_lock "$NAME"
    lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_XRAYPASS_PORT && return 0
    do_install
    local start
    start=$(lab_now)
    lab_spawn "$NAME" "$BIN" xray-passthrough --listen "127.0.0.1:$PORT" --upstream "$UPSTREAM"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "forwarding $URL -> $UPSTREAM without content-encoding, in $(lab_elapsed "$start")s"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
}

do_status() {
    lab_status "$NAME" "$MARKER" "$URL"
}

do_env() {
    printf 'export SHOP_LAB_ROTEL_XRAY_ENDPOINT=%s\n' "$URL"
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    *) lab_usage ;;
esac
