#!/usr/bin/env bash
# The OpenTelemetry Collector built here from its Go modules (collector/builder-config.yaml, the
# components ADOT bundles) and run with the shop's one pipeline (collector/pipeline.yaml).
# THE lab's collector: OTLP on the standard ports 127.0.0.1:4317 (gRPC) and :4318 (HTTP)
# (SHOP_LAB_OTLP_GRPC_PORT / SHOP_LAB_OTLP_HTTP_PORT), health_check on :13133, its own metrics on
# localhost:8888.
# usage: collector.sh install|start|stop|status|env|health|path
#   install  build the binary once into $SHOP_LAB_CACHE/collector/<hash>/ with the pinned
#            builder (ocb); a no-op when the binary for this manifest and builder exists
#   health   print the health_check answer; exit 0 when it is 200
#   path     print the path of the binary (after `install`), for tests that run a private one
#
# Exporters, chosen at start (a running collector whose configuration differs is restarted):
#   SHOP_LAB_COLLECTOR_EXPORTER=lab            (default; what `lab.sh up` runs) traces to the
#                                              capture receiver AND over the X-Ray leg (rotel.sh's
#                                              aws-xray exporter -> xraypass.sh -> moto), metrics
#                                              and logs to the capture receiver. The X-Ray leg
#                                              stands in for awsxray, which cannot be built here
#                                              (collector/builder-config.yaml; docs/lab.md).
#   SHOP_LAB_COLLECTOR_EXPORTER=debug          every signal to the debug exporter (its log)
#   SHOP_LAB_COLLECTOR_EXPORTER=capture        every signal over OTLP/HTTP to the capture receiver
#                                              (capture.sh, SHOP_LAB_COLLECTOR_CAPTURE_ENDPOINT)
#   SHOP_LAB_COLLECTOR_EXPORTER=debug+capture  both
#   SHOP_LAB_COLLECTOR_EXPORTER=aws            traces to X-Ray (moto), metrics as EMF and logs to
#                                              CloudWatch Logs (LocalStack): collector/aws.yaml
#   SHOP_LAB_COLLECTOR_EXPORTER=aws+capture    the AWS exporters and the capture receiver (fan-out)
#   SHOP_LAB_COLLECTOR_EXPORTER=custom         the caller's SHOP_COLLECTOR_{TRACES,METRICS,LOGS}_EXPORTERS
# The aws modes need a build with the AWS exporters, which the module proxy does not serve today
# (collector/builder-config.yaml says what is missing): they stop with that message.
# SHOP_LAB_COLLECTOR_DEBUG_VERBOSITY=basic|normal|detailed (default basic): the debug exporter.
# SHOP_LAB_COLLECTOR_TRACES_PROCESSORS (default [memory_limiter, resource, batch/traces]): e.g.
#   [memory_limiter, resource, tail_sampling, batch/traces] for tail sampling, tuned with
#   SHOP_LAB_COLLECTOR_TAIL_DECISION_WAIT (10s), _TAIL_LATENCY_MS (500), _TAIL_PERCENT (5).
# SHOP_LAB_COLLECTOR_METRICS_BATCH_TIMEOUT (default 60s, as deployed): e.g. 1s where a test reads
#   metrics back.
# SHOP_LAB_COLLECTOR_XRAY_ENDPOINT / _LOGS_ENDPOINT: default moto's and LocalStack's URLs.
# SHOP_LAB_COLLECTOR_XRAY_LEG_ENDPOINT: where otlphttp/xray-leg sends (default rotel.sh's OTLP/HTTP
#   port, SHOP_LAB_ROTEL_HTTP_PORT).
# Go: $SHOP_LAB_GO or `go` on PATH; GOMODCACHE, GOCACHE and the builder under $SHOP_LAB_CACHE/go.
set -euo pipefail
LAB_COMPONENT=collector
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=collector
DIST=shop-lab-otelcol
MARKER=$DIST
# The builder's version must be the core release the manifest pins (ocb writes its own
# go.opentelemetry.io/collector/otelcol requirement at this version).
OCB_VERSION=v0.161.0
REPO="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
MANIFEST="$REPO/collector/builder-config.yaml"
PIPELINE="$REPO/collector/pipeline.yaml"
AWS_CONFIG="$REPO/collector/aws.yaml"
GRPC_PORT=$SHOP_LAB_OTLP_GRPC_PORT
HTTP_PORT=$SHOP_LAB_OTLP_HTTP_PORT
HEALTH_PORT=$SHOP_LAB_COLLECTOR_HEALTH_PORT
METRICS_PORT=$SHOP_LAB_COLLECTOR_METRICS_PORT
HEALTH_URL="http://127.0.0.1:$HEALTH_PORT/"
START_TIMEOUT="${SHOP_LAB_COLLECTOR_START_TIMEOUT:-30}"
CONFIG_FILE="$SHOP_LAB_RUN/collector.config"
EXPORTER="${SHOP_LAB_COLLECTOR_EXPORTER:-lab}"

GO_DIR="$SHOP_LAB_CACHE/go"
BUILDS="$SHOP_LAB_CACHE/collector"
OCB="$GO_DIR/ocb-$OCB_VERSION/builder"

# A build is named by the hash of the manifest (comment lines left out: editing a comment needs
# no build) and of the builder's version, so a changed manifest gets a new binary and an
# unchanged one is never rebuilt.
build_key() {
    { printf 'ocb %s\n' "$OCB_VERSION" && grep -vE '^[[:space:]]*(#|$)' "$MANIFEST"; } | sha256sum | cut -c1-16
}
BIN="$BUILDS/$(build_key)/$DIST"

go_cmd() { printf '%s\n' "${SHOP_LAB_GO:-go}"; }

# Where Go keeps modules and compiled packages: in the lab cache, so CI can cache one folder.
# -modcacherw: module files stay writable, so the cache can be deleted or restored like any folder.
go_env() {
    export GOMODCACHE="$GO_DIR/mod" GOCACHE="$GO_DIR/build" GOFLAGS="-modcacherw"
}

installed() {
    [[ -x $BIN ]] && "$BIN" --version >/dev/null 2>&1
}

do_install() {
    installed && return 0
    mkdir -p "$BUILDS" "$SHOP_LAB_LOGS"
    # One build at a time per cache (parallel callers wait, then find it built); fd 8, so it nests
    # inside lab_lock's fd 9.
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$BUILDS/.install.lock"
        flock -w 1800 8 || lab_die "timed out waiting for $BUILDS/.install.lock"
        if installed; then
            exec 8>&-
            return 0
        fi
    fi
    local go log start work key
    go=$(go_cmd)
    command -v "$go" >/dev/null 2>&1 || lab_die "no Go toolchain ('$go' not found); install Go >= 1.26 or set SHOP_LAB_GO"
    go_env
    log="$SHOP_LAB_LOGS/collector-install.log"
    key=$(build_key)
    work="$BUILDS/$key.build"
    start=$(lab_now)
    lab_log "building $DIST from $(basename "$MANIFEST") with ocb $OCB_VERSION (log: $log)"
    rm -rf "$work"
    mkdir -p "$work"
    # ocb writes its sources and binary to dist.output_path: point a copy of the manifest at
    # the work folder.
    sed -E "s#^(  output_path:).*#\\1 $work/src#" "$MANIFEST" >"$work/builder-config.yaml"
    grep -qF "output_path: $work/src" "$work/builder-config.yaml" ||
        lab_die "$MANIFEST has no '  output_path:' line under dist"
    {
        printf '==== %s: build started %s (%s)\n' "$NAME" "$(date -Is)" "$("$go" version)"
        if [[ ! -x $OCB ]]; then
            GOBIN="$(dirname "$OCB")" "$go" install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
        fi
        # ocb builds with -trimpath and -ldflags '-s -w' unless dist.debug_compilation is set.
        (cd "$work" && "$OCB" --config builder-config.yaml)
    } >>"$log" 2>&1 || {
        grep -v '^go: downloading' "$log" | tail -n 40 >&2
        rm -rf "$work"
        lab_die "collector build failed; full log: $log"
    }
    mkdir -p "$BUILDS/$key"
    # The resolved go.mod/go.sum stay beside the binary: the exact versions it was built from.
    cp "$work/src/go.mod" "$work/src/go.sum" "$BUILDS/$key/"
    mv -f "$work/src/$DIST" "$BIN"
    rm -rf "$work"
    exec 8>&- || true
    lab_log "built $BIN in $(lab_elapsed "$start")s ($(du -h "$BIN" | cut -f1); Go module cache $(du -sh "$GO_DIR/mod" | cut -f1), build cache $(du -sh "$GO_DIR/build" | cut -f1))"
}

has_aws_exporters() {
    "$BIN" components 2>/dev/null | grep -qE '^ *- name: awsxray$'
}

# Fills the globals CONFIGS (--config flags) and RUN_ENV (the collector's environment) from
# the SHOP_LAB_COLLECTOR_* settings.
build_run() {
    local traces metrics logs need_aws=0
    case "$EXPORTER" in
        lab)
            traces='[otlphttp/capture, otlphttp/xray-leg]' metrics='[otlphttp/capture]' logs='[otlphttp/capture]'
            ;;
        debug) traces='[debug]' metrics='[debug]' logs='[debug]' ;;
        capture) traces='[otlphttp/capture]' metrics='[otlphttp/capture]' logs='[otlphttp/capture]' ;;
        debug+capture)
            traces='[debug, otlphttp/capture]' metrics='[debug, otlphttp/capture]' logs='[debug, otlphttp/capture]'
            ;;
        aws) traces='[awsxray]' metrics='[awsemf]' logs='[awscloudwatchlogs]' need_aws=1 ;;
        aws+capture)
            traces='[awsxray, otlphttp/capture]' metrics='[awsemf, otlphttp/capture]'
            logs='[awscloudwatchlogs, otlphttp/capture]' need_aws=1
            ;;
        custom)
            traces=${SHOP_COLLECTOR_TRACES_EXPORTERS:?SHOP_LAB_COLLECTOR_EXPORTER=custom needs SHOP_COLLECTOR_TRACES_EXPORTERS, e.g. [debug]}
            metrics=${SHOP_COLLECTOR_METRICS_EXPORTERS:?SHOP_LAB_COLLECTOR_EXPORTER=custom needs SHOP_COLLECTOR_METRICS_EXPORTERS}
            logs=${SHOP_COLLECTOR_LOGS_EXPORTERS:?SHOP_LAB_COLLECTOR_EXPORTER=custom needs SHOP_COLLECTOR_LOGS_EXPORTERS}
            [[ "$traces $metrics $logs" == *aws* ]] && need_aws=1
            ;;
        *) lab_die "unknown SHOP_LAB_COLLECTOR_EXPORTER=$EXPORTER (lab|debug|capture|debug+capture|aws|aws+capture|custom)" ;;
    esac
    CONFIGS=(--config "$PIPELINE")
    if has_aws_exporters; then
        CONFIGS+=(--config "$AWS_CONFIG")
    elif ((need_aws)); then
        lab_die "SHOP_LAB_COLLECTOR_EXPORTER=$EXPORTER needs the AWS exporters, and this build ($BIN) has none: the Go module proxy does not serve them (see collector/builder-config.yaml). Use lab, debug, capture or debug+capture"
    fi
    RUN_ENV=(
        "SHOP_COLLECTOR_OTLP_GRPC_ENDPOINT=127.0.0.1:$GRPC_PORT"
        "SHOP_COLLECTOR_OTLP_HTTP_ENDPOINT=127.0.0.1:$HTTP_PORT"
        "SHOP_COLLECTOR_HEALTH_ENDPOINT=127.0.0.1:$HEALTH_PORT"
        "SHOP_COLLECTOR_TELEMETRY_PORT=$METRICS_PORT"
        "SHOP_COLLECTOR_TRACES_EXPORTERS=$traces"
        "SHOP_COLLECTOR_METRICS_EXPORTERS=$metrics"
        "SHOP_COLLECTOR_LOGS_EXPORTERS=$logs"
        "SHOP_COLLECTOR_CAPTURE_ENDPOINT=${SHOP_LAB_COLLECTOR_CAPTURE_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_CAPTURE_PORT}"
        "SHOP_COLLECTOR_XRAY_LEG_ENDPOINT=${SHOP_LAB_COLLECTOR_XRAY_LEG_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_ROTEL_HTTP_PORT}"
        "SHOP_COLLECTOR_DEBUG_VERBOSITY=${SHOP_LAB_COLLECTOR_DEBUG_VERBOSITY:-basic}"
        "SHOP_COLLECTOR_ENVIRONMENT=lab"
        "SHOP_COLLECTOR_METRICS_BATCH_TIMEOUT=${SHOP_LAB_COLLECTOR_METRICS_BATCH_TIMEOUT:-60s}"
        "SHOP_COLLECTOR_TRACES_PROCESSORS=${SHOP_LAB_COLLECTOR_TRACES_PROCESSORS:-[memory_limiter, resource, batch/traces]}"
        "SHOP_COLLECTOR_TAIL_DECISION_WAIT=${SHOP_LAB_COLLECTOR_TAIL_DECISION_WAIT:-10s}"
        "SHOP_COLLECTOR_TAIL_LATENCY_MS=${SHOP_LAB_COLLECTOR_TAIL_LATENCY_MS:-500}"
        "SHOP_COLLECTOR_TAIL_PERCENT=${SHOP_LAB_COLLECTOR_TAIL_PERCENT:-5}"
        "AWS_REGION=$SHOP_LAB_AWS_REGION"
        "AWS_ACCESS_KEY_ID=$SHOP_LAB_AWS_ACCESS_KEY_ID"
        "AWS_SECRET_ACCESS_KEY=$SHOP_LAB_AWS_SECRET_ACCESS_KEY"
        "SHOP_XRAY_ENDPOINT=${SHOP_LAB_COLLECTOR_XRAY_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_MOTO_PORT}"
        "SHOP_LOGS_ENDPOINT=${SHOP_LAB_COLLECTOR_LOGS_ENDPOINT:-http://127.0.0.1:$SHOP_LAB_LOCALSTACK_PORT}"
    )
}

# Ready: health_check says so and both OTLP ports accept connections (a health answer alone
# could come from another collector on the same health port).
healthy() {
    lab_http_ok "$HEALTH_URL" && lab_tcp_open 127.0.0.1 "$GRPC_PORT" && lab_tcp_open 127.0.0.1 "$HTTP_PORT"
}

do_start() {
    lab_lock "$NAME"
    do_install
    local -a CONFIGS RUN_ENV
    build_run
    local want
    # The configuration files' contents too: an edited pipeline.yaml restarts the collector.
    want=$(printf '%s\n' "$BIN" "${CONFIGS[@]}" "${RUN_ENV[@]}" && sha256sum "$PIPELINE" "$AWS_CONFIG")
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
        lab_log "$HEALTH_URL and OTLP ports $GRPC_PORT/$HTTP_PORT already answer (not started by these scripts; leaving them alone)"
        return 0
    fi
    local port setting
    for port in GRPC_PORT HTTP_PORT HEALTH_PORT METRICS_PORT; do
        case $port in
            GRPC_PORT | HTTP_PORT) setting=SHOP_LAB_OTLP_$port ;;
            *) setting=SHOP_LAB_COLLECTOR_$port ;;
        esac
        if lab_tcp_open 127.0.0.1 "${!port}"; then
            lab_die "port ${!port} is taken by another process; free it or set $setting"
        fi
    done
    local start
    start=$(lab_now)
    lab_spawn "$NAME" env "${RUN_ENV[@]}" "$BIN" "${CONFIGS[@]}"
    printf '%s\n' "$want" >"$CONFIG_FILE"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready on 127.0.0.1:$GRPC_PORT (gRPC) and 127.0.0.1:$HTTP_PORT (HTTP), health $HEALTH_URL, exporter=$EXPORTER, in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
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
            exp=$(grep -m1 '^SHOP_COLLECTOR_TRACES_EXPORTERS=' "$CONFIG_FILE" 2>/dev/null) || true
            echo "collector: running, OTLP on 127.0.0.1:$GRPC_PORT (gRPC) and 127.0.0.1:$HTTP_PORT (HTTP), health $HEALTH_URL, traces to ${exp#*=} (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
        else
            echo "collector: $HEALTH_URL and OTLP ports $GRPC_PORT/$HTTP_PORT answer (not started by these scripts)"
        fi
        return 0
    fi
    if lab_running "$NAME" "$MARKER"; then
        echo "collector: process running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")) but not healthy at $HEALTH_URL"
    else
        echo "collector: not running"
    fi
    return 1
}

do_env() {
    printf 'export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%s\n' "$HTTP_PORT"
    printf 'export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n'
    printf 'export SHOP_LAB_OTLP_GRPC_ENDPOINT=http://127.0.0.1:%s\n' "$GRPC_PORT"
    printf 'export SHOP_LAB_COLLECTOR_HEALTH_URL=%s\n' "$HEALTH_URL"
}

do_health() {
    local body code
    body=$(curl -sS --max-time 3 -w '\n%{http_code}' "$HEALTH_URL" 2>&1) || true
    code=${body##*$'\n'}
    printf '%s\n' "${body%$'\n'*}"
    [[ $code == 200 ]]
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    health) do_health ;;
    path)
        installed || lab_die "not built yet: run collector.sh install"
        printf '%s\n' "$BIN"
        ;;
    *) LAB_EXTRA_VERBS="|health|path" lab_usage ;;
esac
