#!/usr/bin/env bash
# The synthetic canary (app/web/canary, docs/canary.md): the shop's purchase journey in Chromium,
# one run now or one every SHOP_LAB_CANARY_INTERVAL seconds in the background, its telemetry
# (service shop-canary) over OTLP/HTTP to the lab's collector.
# usage: canary.sh install|start|stop|status|env|run
#   install  the UI's npm dependencies (web.sh install) and Chromium (chromium.sh install)
#   run      one run in the foreground; exit 0 when every step passed, 1 when one failed
#   start    the schedule: a background loop that runs the journey every SHOP_LAB_CANARY_INTERVAL
#            seconds (first run at once); a no-op when it already runs
#   stop     stop the schedule (only what this script started)
#   status   one line: whether the schedule runs, and the last run's outcome; exit 0 when it runs
#   env      the settings a run uses, as export lines
# Needs a shop to watch (`make lab`: http://127.0.0.1:8080) and, for its telemetry to arrive
# somewhere, the lab's collector (lab.sh up capture collector); a run without them fails or says
# that its export failed, which is what a canary is for.
#
#   SHOP_LAB_CANARY_BASE_URL   the shop (default http://127.0.0.1:8080, make lab's awssdk shop)
#   SHOP_LAB_CANARY_INTERVAL   seconds between scheduled runs (default 300, as a 5-minute canary)
#   SHOP_LAB_CANARY_ARGS       more canary/main.ts flags, e.g. "--query Speaker --step-timeout 20000"
#   OTEL_EXPORTER_OTLP_ENDPOINT  where the telemetry goes (default the lab's collector, :4318)
set -euo pipefail
LAB_COMPONENT=canary
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPO=$(cd "$SHOP_LAB_DIR/../.." && pwd)
WEB="$REPO/app/web"
NAME=canary
MARKER="canary.sh loop"
BASE_URL="${SHOP_LAB_CANARY_BASE_URL:-http://127.0.0.1:8080}"
INTERVAL="${SHOP_LAB_CANARY_INTERVAL:-300}"
ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_OTLP_HTTP_PORT}"
ARTIFACTS="$SHOP_LAB_STATE/canary"
if ! [[ $INTERVAL =~ ^[0-9]+$ ]] || ((INTERVAL < 10)); then
    lab_die "SHOP_LAB_CANARY_INTERVAL must be a whole number of seconds, at least 10 (got $INTERVAL)"
fi

do_install() {
    "$SHOP_LAB_DIR/web.sh" install
    "$SHOP_LAB_DIR/chromium.sh" install
}

# One run of the journey; its exit status is the run's.
do_run() {
    local chromium
    chromium=$("$SHOP_LAB_DIR/chromium.sh" path) || lab_die "chromium is not installed: run $0 install"
    [[ -d $WEB/node_modules ]] || lab_die "app/web has no node_modules: run $0 install"
    mkdir -p "$ARTIFACTS"
    local -a extra=()
    # Word splitting on purpose: SHOP_LAB_CANARY_ARGS is a list of flags.
    # shellcheck disable=SC2206
    [[ -z ${SHOP_LAB_CANARY_ARGS:-} ]] || extra=($SHOP_LAB_CANARY_ARGS)
    (cd "$WEB" && SHOP_LAB_CHROMIUM="$chromium" OTEL_EXPORTER_OTLP_ENDPOINT="$ENDPOINT" \
        node --import tsx canary/main.ts --base-url "$BASE_URL" --artifacts "$ARTIFACTS" "${extra[@]}")
}

# The schedule's process (started by `start` under lab_spawn): a run, then a sleep, forever.
do_loop() {
    lab_log "every ${INTERVAL}s against $BASE_URL, telemetry to $ENDPOINT"
    while :; do
        printf '==== run %s\n' "$(date -Is)"
        do_run || true
        sleep "$INTERVAL"
    done
}

do_start() {
    lab_lock "$NAME"
    if lab_running "$NAME" "$MARKER"; then
        lab_log "already running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")); stop it first to change its settings"
        return 0
    fi
    do_install
    lab_spawn "$NAME" env SHOP_LAB_CANARY_BASE_URL="$BASE_URL" SHOP_LAB_CANARY_INTERVAL="$INTERVAL" \
        OTEL_EXPORTER_OTLP_ENDPOINT="$ENDPOINT" bash "$SHOP_LAB_DIR/canary.sh" loop
    sleep 0.5
    lab_running "$NAME" "$MARKER" || lab_fail_start "$NAME" "$MARKER" "the loop exited at once"
    lab_log "started (pid $(lab_read_pid "$(lab_pidfile "$NAME")")): a run every ${INTERVAL}s against $BASE_URL; log: $(lab_logfile "$NAME")"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
}

# The last run, from the result.json the runner writes: "passed …" or "failed at step …".
last_run() {
    local result="$ARTIFACTS/result.json"
    [[ -f $result ]] || { printf 'no run yet'; return 0; }
    # shellcheck disable=SC2016 # JavaScript's template literals, not the shell's
    node -e '
        const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
        const when = require("node:fs").statSync(process.argv[1]).mtime.toISOString().slice(0, 19);
        process.stdout.write(r.ok ? `last run ${when}Z passed in ${Math.round(r.durationMs)} ms` : `last run ${when}Z FAILED at step ${r.failedStep}`);
    ' "$result" 2>/dev/null || printf 'last run unreadable'
}

do_status() {
    if lab_running "$NAME" "$MARKER"; then
        echo "$NAME: running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")), $(last_run)"
        return 0
    fi
    echo "$NAME: not running, $(last_run)"
    return 1
}

do_env() {
    printf 'export SHOP_LAB_CANARY_BASE_URL=%s\n' "$BASE_URL"
    printf 'export SHOP_LAB_CANARY_INTERVAL=%s\n' "$INTERVAL"
}

case "${1:-}" in
    install) do_install ;;
    run) do_run ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    loop) do_loop ;;
    *) LAB_EXTRA_VERBS="|run" lab_usage ;;
esac
