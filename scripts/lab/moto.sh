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
    if healthy; then
        if lab_running "$NAME" "$MARKER"; then
            lab_log "already running and healthy at $URL (pid $(lab_read_pid "$(lab_pidfile "$NAME")"))"
        else
            lab_log "already healthy at $URL (not started by these scripts; leaving it alone)"
        fi
        return 0
    fi
    if lab_running "$NAME" "$MARKER"; then
        lab_log "running but not healthy yet; waiting"
        lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy && return 0
        lab_fail_start "$NAME" "$MARKER" "running but not healthy: $LAB_WAIT_REASON"
    fi
    if lab_tcp_open 127.0.0.1 "$PORT"; then
        lab_die "port $PORT is taken by another process that is not moto; free it or set SHOP_LAB_MOTO_PORT"
    fi
    do_install
    local start
    start=$(lab_now)
    lab_spawn "$NAME" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
}

do_status() {
    if healthy; then
        if lab_running "$NAME" "$MARKER"; then
            echo "moto: running, healthy at $URL (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
        else
            echo "moto: healthy at $URL (not started by these scripts)"
        fi
        return 0
    fi
    if lab_running "$NAME" "$MARKER"; then
        echo "moto: process running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")) but $HEALTH does not answer"
    else
        echo "moto: not running"
    fi
    return 1
}

do_reset() {
    curl -fsS --max-time 10 -X POST -o /dev/null "$URL/moto-api/reset" ||
        lab_die "reset failed: is moto running at $URL? (scripts/lab/moto.sh start)"
    lab_log "reset all backends at $URL"
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
