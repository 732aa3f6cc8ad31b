#!/usr/bin/env bash
# cargo-lambda (PyPI wheel `cargo-lambda`, pinned in requirements/cargo-lambda.txt): `cargo lambda
# watch` serves the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) and the
# Lambda runtime API for the functions of app/functions, offline, and runs each function (built by
# cargo on its first invocation) like Lambda does. No emulator here runs Lambda code without Docker;
# this does, without one. It has no event sources: see the crate's lab-event-source.
# usage: cargo-lambda.sh install|start|stop|status|env|path
#   path   the cargo-lambda executable (after install), for tests that run private instances
#
# Settings (environment, read at `start`; stop and start again to change them):
#   SHOP_LAB_CARGO_LAMBDA_PORT       Invoke API port on 127.0.0.1 (default 9000)
#   SHOP_LAB_FUNCTIONS_FEATURES      cargo features of shop-functions, e.g. `awssdk` (default: none)
#   SHOP_LAB_CARGO_LAMBDA_ONLY_APIS  1: serve the APIs only (`--only-lambda-apis`); you start the
#                                    function binaries yourself with AWS_LAMBDA_RUNTIME_API=
#                                    127.0.0.1:PORT/.rt/<function> and AWS_LAMBDA_FUNCTION_NAME=<function>
#   SHOP_LAB_FUNCTIONS_BIN_DIR       a directory of prebuilt function binaries (e.g. target/release):
#                                    serve the APIs only and start each function of
#                                    SHOP_LAB_FUNCTIONS from there, as Lambda would (what `make lab`
#                                    does: no cargo build on the first invocation)
#   SHOP_LAB_FUNCTIONS               the functions to start from SHOP_LAB_FUNCTIONS_BIN_DIR
#                                    (default: image-resize), each a lab process `fn-<name>`
# The functions inherit this script's environment: export what they need first, e.g.
#   eval "$(scripts/lab/lab.sh env localstack moto)"; export SHOP_IMAGES_BUCKET=shop-images \
#     SHOP_TELEMETRY=awssdk SHOP_LAB_FUNCTIONS_FEATURES=awssdk; scripts/lab/cargo-lambda.sh start
set -euo pipefail
LAB_COMPONENT=cargo-lambda
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=cargo-lambda
MARKER="lambda watch"
PORT=$SHOP_LAB_CARGO_LAMBDA_PORT
URL="http://127.0.0.1:$PORT"
VENV=$(lab_venv_dir "$NAME")
REPO="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
# The first start may build nothing (functions are built on their first invocation), but cargo
# reads the workspace's metadata first.
START_TIMEOUT="${SHOP_LAB_CARGO_LAMBDA_START_TIMEOUT:-60}"

healthy() {
    # The Invoke API's listener. (No GET route answers without invoking a function.)
    lab_tcp_open 127.0.0.1 "$PORT"
}

do_install() {
    lab_venv_ensure "$NAME"
    "$VENV/bin/cargo-lambda" lambda --version >/dev/null 2>&1 ||
        lab_die "$VENV/bin/cargo-lambda does not run (broken venv? remove it and retry)"
    command -v cargo >/dev/null 2>&1 || lab_die "cargo is not on PATH: cargo lambda watch builds the functions with it"
}

do_start() {
    lab_lock "$NAME"
    lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_CARGO_LAMBDA_PORT && return 0
    do_install
    local -a args=(lambda watch --manifest-path "$REPO/app/functions/Cargo.toml"
        --invoke-address 127.0.0.1 --invoke-port "$PORT" --ignore-changes)
    if [[ -n ${SHOP_LAB_FUNCTIONS_FEATURES:-} ]]; then args+=(--features "$SHOP_LAB_FUNCTIONS_FEATURES"); fi
    if [[ ${SHOP_LAB_CARGO_LAMBDA_ONLY_APIS:-0} == 1 || -n ${SHOP_LAB_FUNCTIONS_BIN_DIR:-} ]]; then
        args+=(--only-lambda-apis)
    fi
    local start
    start=$(lab_now)
    lab_spawn "$NAME" "$VENV/bin/cargo-lambda" "${args[@]}"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    if [[ -n ${SHOP_LAB_FUNCTIONS_BIN_DIR:-} ]]; then
        lab_log "Invoke API ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")")); starting the prebuilt functions"
    else
        lab_log "Invoke API ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")")); functions build on their first invocation"
    fi
}

functions() { if [[ -n ${SHOP_LAB_FUNCTIONS_BIN_DIR:-} ]]; then echo "${SHOP_LAB_FUNCTIONS:-image-resize}"; fi; }

# Each prebuilt function as Lambda starts one: the runtime API's address and the function's name,
# version and memory; the rest of the environment is this script's.
attach_functions() {
    local fn bin
    for fn in $(functions); do
        bin="$SHOP_LAB_FUNCTIONS_BIN_DIR/$fn"
        [[ -x $bin ]] || lab_die "$bin is not there: build it first (cargo build -p shop-functions --bins)"
        if lab_running "fn-$fn" "$bin"; then LAB_COMPONENT="fn-$fn" lab_stop "fn-$fn" "$bin" 10; fi
        lab_spawn "fn-$fn" env \
            AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$PORT/.rt/$fn" \
            AWS_LAMBDA_FUNCTION_NAME="$fn" \
            AWS_LAMBDA_FUNCTION_VERSION=1 \
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 \
            "$bin"
        echo "$bin" >"$SHOP_LAB_RUN/fn-$fn.bin"
        lab_log "$fn started from $bin (pid $(lab_read_pid "$(lab_pidfile "fn-$fn")")), log $(lab_logfile "fn-$fn")"
    done
}

stop_functions() {
    local f fn
    for f in "$SHOP_LAB_RUN"/fn-*.bin; do
        [[ -f $f ]] || continue
        fn=$(basename "$f" .bin)
        LAB_COMPONENT=$fn lab_stop "$fn" "$(cat "$f")" 10
        rm -f "$f"
    done
}

do_stop() {
    lab_lock "$NAME"
    stop_functions
    # The process group: cargo lambda and the function processes it started.
    lab_stop "$NAME" "$MARKER" 10
}

do_status() {
    lab_status "$NAME" "$MARKER" "$URL"
}

do_env() {
    printf 'export AWS_ENDPOINT_URL_LAMBDA=%s\n' "$URL"
    lab_aws_env
}

case "${1:-}" in
    install) do_install ;;
    start)
        do_start
        attach_functions
        ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    path)
        lab_venv_is_current "$NAME" || lab_die "not installed yet: run cargo-lambda.sh install"
        printf '%s\n' "$VENV/bin/cargo-lambda"
        ;;
    *) LAB_EXTRA_VERBS="|path" lab_usage ;;
esac
