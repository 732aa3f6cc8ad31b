#!/usr/bin/env bash
# rotel (PyPI, a Rust OTel collector), kept for ONE role: the lab collector's X-Ray leg. The
# collector built here (collector.sh) cannot have awsxray (its Go modules are not served, see
# collector/builder-config.yaml and docs/lab.md), so its traces pipeline also sends over OTLP/HTTP
# (otlphttp/xray-leg) to rotel, whose aws-xray exporter is the only X-Ray exporter of a real OTel
# collector obtainable here: collector -> rotel -> xraypass.sh -> moto's X-Ray.
# OTLP receivers on 127.0.0.1:4337 (gRPC) and :4338 (HTTP) (SHOP_LAB_ROTEL_GRPC_PORT /
# SHOP_LAB_ROTEL_HTTP_PORT), never the standard 4317/4318, which are the collector's.
# usage: rotel.sh install|start|stop|status|env
#
# Exporter, chosen at start (a running rotel whose configuration differs is restarted):
#   SHOP_LAB_ROTEL_EXPORTER=xray       (default) traces to X-Ray at SHOP_LAB_ROTEL_XRAY_ENDPOINT
#                                      (default: the header-dropping pass-through, xraypass.sh,
#                                      http://127.0.0.1:SHOP_LAB_XRAYPASS_PORT; WORKAROUND: rotel
#                                      sends `content-encoding: gzip` with an uncompressed body,
#                                      which moto rejects with 500); rotel then disables its
#                                      metrics/logs receivers.
# The modes below are from the time rotel was the lab's collector; `make lab`, the tests and the
# experiments no longer use them:
#   SHOP_LAB_ROTEL_EXPORTER=blackhole  accept and discard everything
#   SHOP_LAB_ROTEL_EXPORTER=otlp       forward all signals to SHOP_LAB_ROTEL_OTLP_ENDPOINT (required),
#                                      SHOP_LAB_ROTEL_OTLP_PROTOCOL=http (default) | grpc
#   SHOP_LAB_ROTEL_EXPORTER=capture    forward all signals over OTLP/HTTP to the capture receiver
#                                      (capture.sh, 127.0.0.1:SHOP_LAB_CAPTURE_PORT, default 4319)
#   SHOP_LAB_ROTEL_EXPORTER=custom     no exporter flags: configure rotel with your own ROTEL_* variables
#                                      (e.g. ROTEL_EXPORTERS=..., see README.md)
# Debug logging of what arrives: SHOP_LAB_ROTEL_DEBUG=traces,metrics,logs (any subset),
#   SHOP_LAB_ROTEL_DEBUG_VERBOSITY=basic|detailed (default detailed). Printed to the rotel log.
# SHOP_LAB_ROTEL_EXTRA_ARGS: more `rotel-agent start` flags, split on whitespace.
set -euo pipefail
LAB_COMPONENT=rotel
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=rotel
MARKER=rotel-agent
GRPC_PORT=$SHOP_LAB_ROTEL_GRPC_PORT
HTTP_PORT=$SHOP_LAB_ROTEL_HTTP_PORT
VENV=$(lab_venv_dir "$NAME")
START_TIMEOUT="${SHOP_LAB_ROTEL_START_TIMEOUT:-30}"
CONFIG_FILE="$SHOP_LAB_RUN/rotel.config"

EXPORTER="${SHOP_LAB_ROTEL_EXPORTER:-xray}"

rotel_bin() {
    local b
    for b in "$VENV"/lib/python3*/site-packages/rotel/rotel-agent; do
        [[ -x $b ]] && { printf '%s\n' "$b"; return 0; }
    done
    return 1
}

# rotel-agent links libpython3.x.so from the venv's base interpreter
python_libdir() {
    "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")'
}

healthy() {
    local code
    lab_tcp_open 127.0.0.1 "$GRPC_PORT" || return 1
    code=$(curl -s -o /dev/null --max-time 3 -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/v1/traces" 2>/dev/null) || true
    [[ -n $code && $code != 000 ]]
}

# Fills the global ARGS array from the SHOP_LAB_ROTEL_* settings.
build_args() {
    ARGS=(start
        --otlp-grpc-endpoint "127.0.0.1:$GRPC_PORT"
        --otlp-http-endpoint "127.0.0.1:$HTTP_PORT"
        --log-format text)
    case "$EXPORTER" in
        blackhole)
            ARGS+=(--exporter blackhole)
            ;;
        otlp)
            [[ -n ${SHOP_LAB_ROTEL_OTLP_ENDPOINT:-} ]] ||
                lab_die "SHOP_LAB_ROTEL_EXPORTER=otlp needs SHOP_LAB_ROTEL_OTLP_ENDPOINT (e.g. http://127.0.0.1:4319)"
            ARGS+=(--exporter otlp
                --otlp-exporter-endpoint "$SHOP_LAB_ROTEL_OTLP_ENDPOINT"
                --otlp-exporter-protocol "${SHOP_LAB_ROTEL_OTLP_PROTOCOL:-http}")
            ;;
        capture)
            ARGS+=(--exporter otlp
                --otlp-exporter-endpoint "http://127.0.0.1:$SHOP_LAB_CAPTURE_PORT"
                --otlp-exporter-protocol http)
            ;;
        xray)
            ARGS+=(--exporter aws-xray
                --xray-exporter-region "$SHOP_LAB_AWS_REGION"
                --xray-exporter-custom-endpoint "${SHOP_LAB_ROTEL_XRAY_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_XRAYPASS_PORT}")
            ;;
        custom) ;;
        *)
            lab_die "unknown SHOP_LAB_ROTEL_EXPORTER=$EXPORTER (blackhole|otlp|capture|xray|custom)"
            ;;
    esac
    local sig
    if [[ -n ${SHOP_LAB_ROTEL_DEBUG:-} ]]; then
        for sig in ${SHOP_LAB_ROTEL_DEBUG//,/ }; do
            case "$sig" in
                traces | metrics | logs) ARGS+=(--debug-log "$sig") ;;
                *) lab_die "SHOP_LAB_ROTEL_DEBUG: unknown signal '$sig' (traces,metrics,logs)" ;;
            esac
        done
        ARGS+=(--debug-log-verbosity "${SHOP_LAB_ROTEL_DEBUG_VERBOSITY:-detailed}")
    fi
    if [[ -n ${SHOP_LAB_ROTEL_EXTRA_ARGS:-} ]]; then
        local -a extra
        read -r -a extra <<<"$SHOP_LAB_ROTEL_EXTRA_ARGS"
        ARGS+=("${extra[@]}")
    fi
}

# What identifies a configuration: the flags plus any ROTEL_* variables in the environment.
config_fingerprint() {
    printf '%s\n' "${ARGS[@]}"
    env | grep '^ROTEL_' | sort || true
}

do_install() {
    lab_venv_ensure "$NAME"
    local bin libdir
    bin=$(rotel_bin) || lab_die "rotel-agent not found in $VENV (broken venv? remove it and retry)"
    libdir=$(python_libdir)
    if ! LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin" --version >/dev/null 2>&1; then
        LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin" --version || true
        lab_die "$bin does not run: it needs the shared libpython of the venv's Python (looked in '$libdir'); use a Python built with --enable-shared (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared)"
    fi
}

do_start() {
    lab_lock "$NAME"
    local -a ARGS
    build_args
    local want
    want=$(config_fingerprint)
    if lab_running "$NAME" "$MARKER"; then
        if [[ -f $CONFIG_FILE && $(<"$CONFIG_FILE") == "$want" ]]; then
            if lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy; then
                lab_log "already running and healthy with exporter=$EXPORTER (pid $(lab_read_pid "$(lab_pidfile "$NAME")"))"
                return 0
            fi
            lab_fail_start "$NAME" "$MARKER" "running but not healthy: $LAB_WAIT_REASON"
        fi
        lab_log "running with a different configuration; restarting with exporter=$EXPORTER"
        lab_stop "$NAME" "$MARKER" 10
    elif healthy; then
        lab_log "OTLP ports $GRPC_PORT/$HTTP_PORT already answer (not started by these scripts; leaving them alone)"
        return 0
    fi
    if lab_tcp_open 127.0.0.1 "$GRPC_PORT" || lab_tcp_open 127.0.0.1 "$HTTP_PORT"; then
        lab_die "port $GRPC_PORT or $HTTP_PORT is taken by another process; free it or set SHOP_LAB_ROTEL_GRPC_PORT/SHOP_LAB_ROTEL_HTTP_PORT"
    fi
    do_install
    local bin libdir start
    bin=$(rotel_bin)
    libdir=$(python_libdir)
    start=$(lab_now)
    # rotel's own --pid-file/--log-file are only used with --daemon; we run it in the
    # foreground under setsid, so its output (and debug logs) go to our log file.
    lab_spawn "$NAME" env \
        "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-$SHOP_LAB_AWS_ACCESS_KEY_ID}" \
        "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-$SHOP_LAB_AWS_SECRET_ACCESS_KEY}" \
        "AWS_REGION=${AWS_REGION:-$SHOP_LAB_AWS_REGION}" \
        "$bin" "${ARGS[@]}"
    printf '%s\n' "$want" >"$CONFIG_FILE"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready on 127.0.0.1:$GRPC_PORT (gRPC) and 127.0.0.1:$HTTP_PORT (HTTP), exporter=$EXPORTER, in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
    rm -f "$CONFIG_FILE"
}

do_status() {
    if healthy; then
        if lab_running "$NAME" "$MARKER"; then
            local exp
            exp=$(grep -A1 -xE -- '--exporter' "$CONFIG_FILE" 2>/dev/null | tail -n1) || true
            echo "rotel: running, OTLP on 127.0.0.1:$GRPC_PORT (gRPC) and 127.0.0.1:$HTTP_PORT (HTTP), exporter=${exp:-custom} (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
        else
            echo "rotel: OTLP ports $GRPC_PORT/$HTTP_PORT answer (not started by these scripts)"
        fi
        return 0
    fi
    if lab_running "$NAME" "$MARKER"; then
        echo "rotel: process running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")) but OTLP ports $GRPC_PORT/$HTTP_PORT do not answer"
    else
        echo "rotel: not running"
    fi
    return 1
}

# Not OTEL_EXPORTER_OTLP_*: the shop sends to the collector (collector.sh env), never to rotel.
do_env() {
    printf 'export SHOP_LAB_XRAY_LEG_ENDPOINT=http://127.0.0.1:%s\n' "$HTTP_PORT"
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    *) lab_usage ;;
esac
