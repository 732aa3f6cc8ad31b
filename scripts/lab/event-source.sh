#!/usr/bin/env bash
# lab-event-source (a binary of app/functions): the lab's stand-in for the part of AWS that hands
# S3's notifications to a function. The images bucket notifies the SQS queue
# `<prefix>-image-originals` of every original under originals/ (the shop sets both up at start-up
# with --image-resize function --events-provision); this polls that queue and invokes
# `image-resize` through `cargo lambda watch`'s Invoke API (cargo-lambda.sh), deleting a message
# when the invocation succeeded. It does only what an SQS event-source mapping would do
# (app/functions/README.md says what it does not do).
# usage: event-source.sh start|stop|status|env
#
# Settings (environment, read at `start`):
#   SHOP_LAB_FUNCTIONS_BIN_DIR   where the prebuilt lab-event-source is (required; shop.sh sets it)
#   SHOP_EVENT_SOURCE_QUEUE_URL  the queue (default: LocalStack's <SHOP_EVENTS_PREFIX:-shop>-image-originals)
#   SHOP_EVENT_SOURCE_FUNCTION   the function to invoke (default image-resize)
#   AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_LAMBDA and the credentials: from `lab.sh env` and
#   `cargo-lambda.sh env` when not set
set -euo pipefail
LAB_COMPONENT=event-source
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=event-source

bin() {
    [[ -n ${SHOP_LAB_FUNCTIONS_BIN_DIR:-} ]] || lab_die "SHOP_LAB_FUNCTIONS_BIN_DIR is not set (the directory of the prebuilt lab-event-source)"
    printf '%s/lab-event-source' "$SHOP_LAB_FUNCTIONS_BIN_DIR"
}

# What identifies our process: the binary recorded at start.
marker() { cat "$SHOP_LAB_RUN/$NAME.bin" 2>/dev/null || bin; }

do_start() {
    lab_lock "$NAME"
    local exe
    exe=$(bin)
    [[ -x $exe ]] || lab_die "$exe is not there: build it first (cargo build -p shop-functions --bins)"
    if lab_running "$NAME" "$(marker)"; then lab_stop "$NAME" "$(marker)" 10; fi
    if [[ -z ${AWS_ENDPOINT_URL_SQS:-} ]]; then eval "$("$SHOP_LAB_DIR/localstack.sh" env)"; fi
    if [[ -z ${AWS_ENDPOINT_URL_LAMBDA:-} ]]; then eval "$("$SHOP_LAB_DIR/cargo-lambda.sh" env)"; fi
    local queue="${SHOP_EVENT_SOURCE_QUEUE_URL:-$AWS_ENDPOINT_URL_SQS/000000000000/${SHOP_EVENTS_PREFIX:-shop}-image-originals}"
    echo "$exe" >"$SHOP_LAB_RUN/$NAME.bin"
    lab_spawn "$NAME" env \
        AWS_ENDPOINT_URL_SQS="$AWS_ENDPOINT_URL_SQS" \
        AWS_ENDPOINT_URL_LAMBDA="$AWS_ENDPOINT_URL_LAMBDA" \
        AWS_REGION="${AWS_REGION:-$SHOP_LAB_AWS_REGION}" \
        AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-$SHOP_LAB_AWS_ACCESS_KEY_ID}" \
        AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-$SHOP_LAB_AWS_SECRET_ACCESS_KEY}" \
        SHOP_EVENT_SOURCE_QUEUE_URL="$queue" \
        SHOP_EVENT_SOURCE_FUNCTION="${SHOP_EVENT_SOURCE_FUNCTION:-image-resize}" \
        "$exe"
    # Nothing listens: running is healthy. (Until the shop has provisioned the queue, each poll
    # fails and is retried a second later; the log says so.)
    sleep 0.3
    lab_running "$NAME" "$exe" || lab_fail_start "$NAME" "$exe" "exited at once"
    lab_log "polling $queue for ${SHOP_EVENT_SOURCE_FUNCTION:-image-resize} (pid $(lab_read_pid "$(lab_pidfile "$NAME")")), log $(lab_logfile "$NAME")"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$(marker)" 10
}

do_status() {
    if lab_running "$NAME" "$(marker)"; then
        echo "$NAME: running (pid $(lab_read_pid "$(lab_pidfile "$NAME")"))"
    else
        echo "$NAME: not running"
        return 1
    fi
}

case "${1:-}" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) : ;;
    *) lab_usage ;;
esac
