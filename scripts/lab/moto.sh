#!/usr/bin/env bash
# moto server: X-Ray and DynamoDB. usage: moto.sh install|start|stop|status|env|reset
# `reset` empties every moto backend (POST /moto-api/reset).
set -euo pipefail
LAB_COMPONENT=moto
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=moto
MARKER=moto_server
PORT=$SHOP_LAB_MOTO_PORT
URL="http://127.0.0.1:$PORT"
HEALTH="$URL/moto-api/"
VENV=$(lab_venv_dir "$NAME")
START_TIMEOUT="${SHOP_LAB_MOTO_START_TIMEOUT:-60}"

healthy() {
    # moto's dashboard page; answers 200 once the server is up (and never changes state)
    lab_http_ok "$HEALTH"
}

do_install() {
    lab_venv_ensure "$NAME"
}

do_start() {
    lab_lock "$NAME"
    lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_MOTO_PORT && return 0
    do_install
    local start
    start=$(lab_now)
    # moto_server.py: moto's own server, with X-Ray's store made thread-safe (WORKAROUND,
    # docs/lab.md#gap-moto-xray-race; SHOP_LAB_MOTO_STOCK=1 runs it unchanged).
    lab_spawn "$NAME" "$VENV/bin/python" "$SHOP_LAB_DIR/moto_server.py" -H 127.0.0.1 -p "$PORT"
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
    printf 'export AWS_ENDPOINT_URL_XRAY=%s\n' "$URL"
    printf 'export AWS_ENDPOINT_URL_DYNAMODB=%s\n' "$URL"
    lab_aws_env
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
