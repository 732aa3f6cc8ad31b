#!/usr/bin/env bash
# The shop itself, as the lab runs it: built with cargo, started in the background against the
# lab's MariaDB and emulators (their endpoint variables come from `lab.sh env`), logs as JSON
# lines in $SHOP_LAB_STATE/logs/shop*.log. usage: shop.sh build|start|stop|status|env|urls
#
#   SHOP_LAB_TOPOLOGY   all (default): one process on :8080
#                       split: catalog :8081, orders :8082 (calls inventory over HTTP), inventory :8083
#   SHOP_LAB_TELEMETRY  both (default) | noop | awssdk | otel     passed as --telemetry
#                       both: two shops side by side from one build with both backends, each with
#                       its own database, buckets and event resources: awssdk on the first port
#                       (8080; X-Ray and CloudWatch in the emulators), otel on the next (8081;
#                       through the collector to the capture receiver and the X-Ray leg). Only the
#                       first gets the image-resize function; the otel shop resizes inline.
#                       Needs TOPOLOGY=all.
#   SHOP_LAB_FEATURES   cargo features to build with (default: the telemetry choice, none for noop);
#                       `workspace` builds every backend in with `--workspace --all-features --bins
#                       --tests`: the test targets give the feature resolution `make test` uses (the
#                       dev-dependencies' features too), so after a test run nothing new compiles
#   SHOP_LAB_PROFILE    release (default) | dev
#   SHOP_LAB_DB         mariadb (default) | sqlite (a file in $SHOP_LAB_STATE/shop-data)
#   SHOP_LAB_SHOP_PORT  first port (default 8080; split uses the next three)
#   SHOP_LAB_IMAGE_RESIZE  function (default) | inline     who resizes an admin's uploaded picture:
#                       with `function` (and LocalStack's S3), the build includes app/functions, and
#                       `start` runs `cargo lambda watch` with the prebuilt `image-resize` attached
#                       (cargo-lambda.sh) and `lab-event-source` (event-source.sh) before the shop,
#                       which gets --image-resize function (docs/functions.md)
#   SHOP_LAB_WEB        build (default) | off    the browser UI: `start` builds app/web when it is
#                       missing or stale (web.sh build; needs Node >= 20.9, else the shop serves the
#                       API only and says so) and the shop serves it at /
set -euo pipefail
LAB_COMPONENT=shop
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPO="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
TOPOLOGY="${SHOP_LAB_TOPOLOGY:-all}"
TELEMETRY="${SHOP_LAB_TELEMETRY:-both}"
PROFILE="${SHOP_LAB_PROFILE:-release}"
DB="${SHOP_LAB_DB:-mariadb}"
PORT="${SHOP_LAB_SHOP_PORT:-8080}"
START_TIMEOUT="${SHOP_LAB_SHOP_START_TIMEOUT:-60}"
WEB="${SHOP_LAB_WEB:-build}"
case "$WEB" in build | off) ;; *) lab_die "SHOP_LAB_WEB must be build or off (got $WEB)" ;; esac
case "$TELEMETRY" in both | noop | awssdk | otel) ;; *) lab_die "SHOP_LAB_TELEMETRY must be both, noop, awssdk or otel (got $TELEMETRY)" ;; esac
if [[ -z ${SHOP_LAB_FEATURES+x} ]]; then
    case "$TELEMETRY" in noop) FEATURES="" ;; both) FEATURES="awssdk,otel" ;; *) FEATURES="$TELEMETRY" ;; esac
else
    FEATURES="$SHOP_LAB_FEATURES"
fi
IMAGE_RESIZE="${SHOP_LAB_IMAGE_RESIZE:-function}"
case "$IMAGE_RESIZE" in function | inline) ;; *) lab_die "SHOP_LAB_IMAGE_RESIZE must be function or inline (got $IMAGE_RESIZE)" ;; esac
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
case "$PROFILE" in
    release) BIN_DIR="$TARGET_DIR/release" ;;
    dev) BIN_DIR="$TARGET_DIR/debug" ;;
    *) lab_die "SHOP_LAB_PROFILE must be release or dev (got $PROFILE)" ;;
esac
BIN="$BIN_DIR/shop"

# The processes: "role port telemetry name" per line, in start order (inventory before orders,
# which calls it). `name` names the pid and log files.
roles() {
    case "$TOPOLOGY/$TELEMETRY" in
        all/both) printf 'all %s awssdk shop\nall %s otel shop-otel\n' "$PORT" "$((PORT + 1))" ;;
        all/*) echo "all $PORT $TELEMETRY shop" ;;
        split/both) lab_die "the split topology runs one build: set TELEMETRY=awssdk, otel or noop" ;;
        split/*) printf 'inventory %s %s shop-inventory\norders %s %s shop-orders\ncatalog %s %s shop-catalog\n' \
            "$((PORT + 3))" "$TELEMETRY" "$((PORT + 2))" "$TELEMETRY" "$((PORT + 1))" "$TELEMETRY" ;;
        *) lab_die "SHOP_LAB_TOPOLOGY must be all or split (got $TOPOLOGY)" ;;
    esac
}

# What identifies our process in /proc/PID/cmdline: the binary it was started from, recorded
# at start (stop and status may run with another SHOP_LAB_PROFILE than start did).
marker() { cat "$SHOP_LAB_RUN/$1.bin" 2>/dev/null || echo "$BIN"; }

do_build() {
    local start
    start=$(lab_now)
    lab_log "building the shop (profile $PROFILE, features '${FEATURES:-none}')"
    local scope=(-p shop ${FEATURES:+--features "$FEATURES"})
    if [[ $IMAGE_RESIZE == function ]]; then
        # The functions in the same cargo run: one feature resolution, no second build of the
        # dependencies, and `make lab` starts them prebuilt (no build on the first invocation).
        local f features=""
        for f in ${FEATURES//,/ }; do
            features+="shop/$f,"
            if [[ $f == awssdk || $f == otel ]]; then features+="shop-functions/$f,"; fi
        done
        scope=(-p shop -p shop-functions ${features:+--features "${features%,}"})
    fi
    [[ $FEATURES != workspace ]] || scope=(--workspace --all-features --bins --tests)
    (cd "$REPO" && cargo build --quiet --profile "$PROFILE" "${scope[@]}") || lab_die "cargo build failed"
    lab_log "built $BIN in $(lab_elapsed "$start")s"
}

healthy_at() { lab_http_ok "http://127.0.0.1:$1/api/health"; }

# The browser UI's export for the shop to serve, built when missing or stale; empty when off or
# when this machine has no suitable Node (the shop then serves the API only).
web_dir() {
    [[ $WEB == build ]] || return 0
    if ! command -v node >/dev/null 2>&1; then
        lab_log "node is not installed: the shop serves the API only (the browser UI needs Node >= 20.9: make web)"
        return 0
    fi
    "$SHOP_LAB_DIR/web.sh" build >&2 || lab_die "building the browser UI failed (SHOP_LAB_WEB=off starts the shop without it)"
    "$SHOP_LAB_DIR/web.sh" path
}

# The second shop of TELEMETRY=both (shop-otel) keeps apart from the first: its own database,
# buckets and event resources, so each build's telemetry describes its own orders only.
suffix() { if [[ $1 == shop-otel ]]; then echo "-otel"; fi; }

# The prefix of process $1's AWS resources: `shop` (shop-events, shop-images, …) and `shop-otel`
# for the second shop, the names terraform/envs/local creates for its `shops` (terraform.sh
# apply-local, which `make lab` runs first; SHOP_LAB_TF_PREFIX moves both).
resource_prefix() { echo "${SHOP_EVENTS_PREFIX:-${SHOP_LAB_TF_PREFIX:-shop}}$(suffix "$1")"; }

# The database URL of process $1.
database_url() {
    case "$DB" in
        mariadb) if [[ $1 == shop-otel ]]; then echo "$SHOP_LAB_MYSQL_OTEL_URL"; else echo "$SHOP_LAB_MYSQL_URL"; fi ;;
        sqlite)
            mkdir -p "$SHOP_LAB_STATE/shop-data$(suffix "$1")"
            echo "sqlite://$SHOP_LAB_STATE/shop-data$(suffix "$1")/shop.db?mode=rwc"
            ;;
        *) lab_die "SHOP_LAB_DB must be mariadb or sqlite (got $DB)" ;;
    esac
}

# PROC_ENV: the variables of process $1 (role $2, port $3, telemetry $4), besides the common ones.
process_env() {
    local name=$1 role=$2 port=$3 telemetry=$4 sfx prefix
    sfx=$(suffix "$name")
    prefix=$(resource_prefix "$name")
    PROC_ENV=()
    # glibc's allocator with fixed thresholds, as the container image and the harness run it:
    # freed large blocks go back to the system (docs/targets.md#t-rss); the caller's value wins.
    PROC_ENV+=("GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072}")
    # The otel build: X-Ray-compatible trace ids (the collector's traces go on to X-Ray, which
    # rejects ids whose first 32 bits are not a recent epoch second) and delta metrics, as
    # collector/pipeline.yaml asks; the caller's own values win.
    if [[ $telemetry == otel ]]; then
        PROC_ENV+=("OTEL_PROPAGATORS=${OTEL_PROPAGATORS:-xray}"
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE:-delta}")
    fi
    # The Lab page (/lab/) reads each request's trace back from where this build's telemetry
    # went: X-Ray (moto), with the log lines from CloudWatch Logs, for awssdk; for otel, the
    # collector's capture store and X-Ray (the collector's X-Ray leg), side by side (docs/lab.md).
    if [[ $telemetry != noop && -n ${AWS_ENDPOINT_URL_XRAY:-} ]]; then
        PROC_ENV+=("SHOP_LAB_READBACK_XRAY=true")
    fi
    if [[ $telemetry == otel && -n ${SHOP_LAB_CAPTURE_URL:-} ]]; then
        PROC_ENV+=("SHOP_LAB_READBACK_CAPTURE=$SHOP_LAB_CAPTURE_URL")
    fi
    # The awssdk backend's log groups: the ones Terraform made, with their retention and the
    # metric filters the alarms read (/shop/lab, /shop/lab/metrics; envs/local's log_group_base).
    if [[ $telemetry == awssdk ]]; then
        PROC_ENV+=("SHOP_CW_LOG_GROUP=${SHOP_CW_LOG_GROUP:-/${SHOP_LAB_TF_PREFIX:-shop}/lab}"
            "SHOP_CW_EMF_LOG_GROUP=${SHOP_CW_EMF_LOG_GROUP:-/${SHOP_LAB_TF_PREFIX:-shop}/lab/metrics}")
    fi
    # Admins' product pictures and the orders export go to LocalStack's S3 (path-style), into the
    # buckets Terraform made (<prefix>-images, …; a missing one is created on its first write).
    # Without the emulator's endpoint, both stay off rather than reach real AWS.
    if [[ -n ${AWS_ENDPOINT_URL_S3:-} ]]; then
        # The caller's SHOP_*_BUCKET, when set, name the first shop's (the second's get -otel).
        local images=$prefix-images exports=$prefix-exports replays=$prefix-replays
        if [[ -n ${SHOP_IMAGES_BUCKET:-} ]]; then images=$SHOP_IMAGES_BUCKET$sfx; fi
        if [[ -n ${SHOP_EXPORT_BUCKET:-} ]]; then exports=$SHOP_EXPORT_BUCKET$sfx; fi
        if [[ -n ${SHOP_RUM_REPLAY_BUCKET:-} ]]; then replays=$SHOP_RUM_REPLAY_BUCKET$sfx; fi
        PROC_ENV+=("SHOP_IMAGES_BUCKET=$images" "SHOP_EXPORT_BUCKET=$exports" "SHOP_S3_ENDPOINT=$AWS_ENDPOINT_URL_S3")
        # Session replay (docs/rum.md): every tab session of the lab is recorded, so that the
        # Lab page can play a learner's own session back.
        if [[ $telemetry != noop ]]; then
            PROC_ENV+=("SHOP_RUM_REPLAY_BUCKET=$replays"
                "SHOP_RUM_REPLAY_SAMPLE_RATIO=${SHOP_RUM_REPLAY_SAMPLE_RATIO:-1}")
        fi
    fi
    # Events and notifications (docs/events.md): the process that serves orders publishes the
    # outbox to LocalStack's EventBridge and runs the mail worker. Terraform made the resources
    # (terraform.sh apply-local, which `make lab` runs first); the shop's provisioner finds them,
    # changes nothing Terraform set, and makes them again if LocalStack restarts (it forgets them).
    # Off without the emulator.
    if [[ -n ${AWS_ENDPOINT_URL_EVENTBRIDGE:-} && ($role == all || $role == orders) ]]; then
        PROC_ENV+=("SHOP_EVENTS=${SHOP_EVENTS:-true}"
            "SHOP_NOTIFICATIONS=${SHOP_NOTIFICATIONS:-true}"
            "SHOP_EVENTS_PROVISION=${SHOP_EVENTS_PROVISION:-true}"
            "SHOP_EVENTS_PREFIX=$prefix"
            "SHOP_PUBLIC_URL=${SHOP_PUBLIC_URL:-http://127.0.0.1:$port}")
    fi
}

do_start() {
    lab_lock shop
    do_build
    # The UI calls every API on its own origin: a process of the whole shop (TOPOLOGY=all) serves it.
    local ui=""
    if [[ $TOPOLOGY == all ]]; then ui=$(web_dir); else lab_log "split topology: no browser UI (it needs the whole API on one origin; TOPOLOGY=all)"; fi
    # Endpoint variables of the emulators and collector (AWS_ENDPOINT_URL_*, OTEL_*), and the DB URLs.
    eval "$("$SHOP_LAB_DIR/lab.sh" env)"
    local role port telemetry name inventory_url="" first=1
    if [[ $TOPOLOGY == split ]]; then inventory_url="http://127.0.0.1:$((PORT + 3))"; fi
    while read -r role port telemetry name; do
        process_env "$name" "$role" "$port" "$telemetry"
        local database_url
        database_url=$(database_url "$name")
        # Admins' pictures resized by the image-resize function (SHOP_LAB_IMAGE_RESIZE=function),
        # for the first process: the function under `cargo lambda watch`, prebuilt, with that
        # shop's database and bucket, and the event source on the queue the bucket notifies (the
        # shop provisions both at start-up).
        local -a resize_env=()
        if ((first)) && [[ $IMAGE_RESIZE == function && -n ${AWS_ENDPOINT_URL_S3:-} ]]; then
            resize_env=("SHOP_IMAGE_RESIZE=function")
            env "${PROC_ENV[@]}" \
                DATABASE_URL="$database_url" \
                SHOP_TELEMETRY="$telemetry" \
                SHOP_ENVIRONMENT=lab \
                SHOP_LAB_FUNCTIONS_BIN_DIR="$BIN_DIR" \
                SHOP_LAB_FUNCTIONS=image-resize \
                "$SHOP_LAB_DIR/cargo-lambda.sh" start
            SHOP_LAB_FUNCTIONS_BIN_DIR="$BIN_DIR" "$SHOP_LAB_DIR/event-source.sh" start
        fi
        first=0
        if lab_running "$name" "$(marker "$name")"; then
            lab_log "$name already running (pid $(lab_read_pid "$(lab_pidfile "$name")")); restarting it with the fresh build"
            lab_stop "$name" "$(marker "$name")" 15
        fi
        mkdir -p "$SHOP_LAB_RUN"
        echo "$BIN" >"$SHOP_LAB_RUN/$name.bin"
        if lab_tcp_open 127.0.0.1 "$port"; then
            lab_die "port $port is taken by another process; free it or set SHOP_LAB_SHOP_PORT"
        fi
        lab_spawn "$name" env \
            "${PROC_ENV[@]}" \
            "${resize_env[@]}" \
            DATABASE_URL="$database_url" \
            SHOP_LISTEN="127.0.0.1:$port" \
            SHOP_ROLE="$role" \
            SHOP_TELEMETRY="$telemetry" \
            SHOP_ENVIRONMENT=lab \
            SHOP_WEB_DIR="$(if [[ $role == all ]]; then echo "${ui:-/nonexistent/shop-web-ui}"; else echo /nonexistent/shop-web-ui; fi)" \
            ${inventory_url:+SHOP_INVENTORY_URL="$inventory_url"} \
            "$BIN"
        lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$name")" healthy_at "$port" ||
            lab_fail_start "$name" "$BIN" "$LAB_WAIT_REASON"
        lab_log "$name ($role) ready at http://127.0.0.1:$port (telemetry $telemetry, database $DB)"
    done < <(roles)
}

do_stop() {
    lab_lock shop
    local name
    for name in shop shop-otel shop-catalog shop-orders shop-inventory; do
        if [[ -f $(lab_pidfile "$name") ]]; then LAB_COMPONENT=$name lab_stop "$name" "$(marker "$name")" 20; fi
    done
    # The image-resize function's parts, when start ran them.
    if [[ -f $(lab_pidfile event-source) ]]; then "$SHOP_LAB_DIR/event-source.sh" stop; fi
    if [[ -f $(lab_pidfile cargo-lambda) ]]; then "$SHOP_LAB_DIR/cargo-lambda.sh" stop; fi
}

do_status() {
    local rc=0 role port telemetry name
    while read -r role port telemetry name; do
        if healthy_at "$port" && lab_running "$name" "$(marker "$name")"; then
            echo "$name: running at http://127.0.0.1:$port, telemetry $telemetry (pid $(lab_read_pid "$(lab_pidfile "$name")"), RSS $(lab_rss "$name" "$(marker "$name")"))"
        else
            echo "$name: not running"
            rc=1
        fi
    done < <(roles)
    return "$rc"
}

do_env() {
    local role port telemetry name
    while read -r role port telemetry name; do
        if [[ $name == shop-otel ]]; then
            echo "export SHOP_OTEL_URL=http://127.0.0.1:$port"
        elif [[ $role == all ]]; then
            echo "export SHOP_URL=http://127.0.0.1:$port"
        else
            echo "export SHOP_$(tr '[:lower:]' '[:upper:]' <<<"$role")_URL=http://127.0.0.1:$port"
        fi
    done < <(roles)
}

do_urls() {
    local role port telemetry name ui=0
    echo
    echo "The lab is up."
    if [[ $WEB == build && $TOPOLOGY == all && -f $("$SHOP_LAB_DIR/web.sh" path)/index.html ]]; then ui=1; fi
    local try
    while read -r role port telemetry name; do
        case "$role" in
            all) try="the shop in a browser at /, and its API: /api/products, /api/openapi.json" ;;
            catalog) try="/api/products, /api/products/search?q=tent, /api/openapi.json" ;;
            orders) try="POST /api/carts, POST /api/orders (calls inventory)" ;;
            inventory) try="/api/inventory/1, POST /api/inventory/check" ;;
        esac
        if [[ $role == all ]] && ((!ui)); then try="/api/products, /api/openapi.json (no browser UI: make web)"; fi
        printf '  %-22s http://127.0.0.1:%s   (%s)\n' "shop ($role, $telemetry)" "$port" "$try"
    done < <(roles)
    if [[ $TELEMETRY == both ]]; then
        echo "  the same shop twice:   awssdk ships to X-Ray (moto) and CloudWatch (LocalStack); otel ships"
        echo "                         through the collector to the capture receiver and the X-Ray leg"
    fi
    printf '  %-22s http://127.0.0.1:%s   (CloudWatch, Logs, SNS, SQS, SES, S3, EventBridge)\n' "LocalStack" "$SHOP_LAB_LOCALSTACK_PORT"
    printf '  %-22s http://127.0.0.1:%s   (X-Ray, DynamoDB; dashboard /moto-api/)\n' "moto" "$SHOP_LAB_MOTO_PORT"
    printf '  %-22s http://127.0.0.1:%s (HTTP), 127.0.0.1:%s (gRPC), health http://127.0.0.1:%s/\n' "OTel collector" "$SHOP_LAB_OTLP_HTTP_PORT" "$SHOP_LAB_OTLP_GRPC_PORT" "$SHOP_LAB_COLLECTOR_HEALTH_PORT"
    printf '  %-22s http://127.0.0.1:%s/captured/traces (and /metrics, /logs): what the collector exported\n' "capture receiver" "$SHOP_LAB_CAPTURE_PORT"
    printf '  %-22s collector -> rotel :%s -> xraypass :%s -> moto; read back: make aws ARGS="xray get-trace-summaries ..." (scripts/lab/README.md)\n' "X-Ray leg" "$SHOP_LAB_ROTEL_HTTP_PORT" "$SHOP_LAB_XRAYPASS_PORT"
    printf '  %-22s mysql://shop:shop@127.0.0.1:%s/shop\n' "MariaDB" "$SHOP_LAB_MYSQL_PORT"
    echo "  mail the shop sent:    make mails   (LocalStack's SES mailbox; docs/events.md)"
    if [[ -f $(lab_pidfile event-source) ]]; then
        echo "  pictures:              an admin's upload goes to S3 and is resized by the image-resize function"
        echo "                         (cargo lambda watch :$SHOP_LAB_CARGO_LAMBDA_PORT, lab-event-source; docs/functions.md)"
    fi
    echo "  logs:                  $SHOP_LAB_LOGS/ (the shop's are JSON lines: shop*.log)"
    echo "  environment for AWS/OTel clients:  eval \"\$(scripts/lab/lab.sh env)\""
    echo "Stop everything with:  make lab-down"
}

case "${1:-}" in
    build) do_build ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    urls) do_urls ;;
    *) LAB_EXTRA_VERBS="|build|urls" lab_usage ;;
esac
