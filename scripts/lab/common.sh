# shellcheck shell=bash
# LAB_WAIT_REASON is set here and read by the component scripts:
# shellcheck disable=SC2034
# Shared helpers for the local lab scripts (scripts/lab/*.sh). Source it; do not run it.
#
# Layout (all overridable):
#   SHOP_LAB_CACHE  ${XDG_CACHE_HOME:-$HOME/.cache}/shop-lab   venvs under $SHOP_LAB_CACHE/venvs/<name>
#   SHOP_LAB_STATE  $SHOP_LAB_CACHE/state                      run/<name>.pid, logs/<name>.log, data dirs
#
# A component script sets LAB_COMPONENT (used to prefix messages) before calling these.

SHOP_LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHOP_LAB_CACHE="${SHOP_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shop-lab}"
SHOP_LAB_STATE="${SHOP_LAB_STATE:-$SHOP_LAB_CACHE/state}"
SHOP_LAB_LOGS="$SHOP_LAB_STATE/logs"
SHOP_LAB_RUN="$SHOP_LAB_STATE/run"
export SHOP_LAB_CACHE SHOP_LAB_STATE

# Default ports (one place, so every script and `env` agree).
SHOP_LAB_LOCALSTACK_PORT="${SHOP_LAB_LOCALSTACK_PORT:-4566}"
SHOP_LAB_MOTO_PORT="${SHOP_LAB_MOTO_PORT:-5000}"
SHOP_LAB_MYSQL_PORT="${SHOP_LAB_MYSQL_PORT:-3307}"
# The lab's collector (collector.sh, built from collector/builder-config.yaml) takes the standard
# OTLP ports, where the shop's OpenTelemetry SDK sends by default.
SHOP_LAB_OTLP_GRPC_PORT="${SHOP_LAB_OTLP_GRPC_PORT:-4317}"
SHOP_LAB_OTLP_HTTP_PORT="${SHOP_LAB_OTLP_HTTP_PORT:-4318}"
SHOP_LAB_CAPTURE_PORT="${SHOP_LAB_CAPTURE_PORT:-4319}"
SHOP_LAB_XRAYPASS_PORT="${SHOP_LAB_XRAYPASS_PORT:-5001}"
# rotel (rotel.sh): only the collector's X-Ray leg now, on ports of its own.
SHOP_LAB_ROTEL_GRPC_PORT="${SHOP_LAB_ROTEL_GRPC_PORT:-4337}"
SHOP_LAB_ROTEL_HTTP_PORT="${SHOP_LAB_ROTEL_HTTP_PORT:-4338}"
SHOP_LAB_COLLECTOR_HEALTH_PORT="${SHOP_LAB_COLLECTOR_HEALTH_PORT:-13133}"
SHOP_LAB_COLLECTOR_METRICS_PORT="${SHOP_LAB_COLLECTOR_METRICS_PORT:-8888}"
# cargo lambda watch (cargo-lambda.sh): the Lambda Invoke API and runtime API for app/functions.
SHOP_LAB_CARGO_LAMBDA_PORT="${SHOP_LAB_CARGO_LAMBDA_PORT:-9000}"

# The otlp-capture binary (capture.sh, xraypass.sh), built with the shop's profile
# (SHOP_LAB_PROFILE, default release) and, with SHOP_LAB_FEATURES=workspace, with the feature
# resolution `make test` uses, so that after a test run nothing new compiles (as shop.sh does).
lab_otlp_capture_bin() {
    local repo dir
    repo="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
    case "${SHOP_LAB_PROFILE:-release}" in dev) dir=debug ;; *) dir=release ;; esac
    printf '%s/%s/otlp-capture\n' "${CARGO_TARGET_DIR:-$repo/target}" "$dir"
}

lab_otlp_capture_build() {
    local repo profile=${SHOP_LAB_PROFILE:-release}
    repo="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
    local scope=(-p otlp-capture)
    [[ ${SHOP_LAB_FEATURES:-} != workspace ]] || scope=(--workspace --all-features --bins --tests)
    (cd "$repo" && cargo build --quiet --profile "$profile" "${scope[@]}") || lab_die "cargo build of otlp-capture failed"
}

# Fake AWS identity every emulator accepts.
SHOP_LAB_AWS_REGION="${SHOP_LAB_AWS_REGION:-us-east-1}"
SHOP_LAB_AWS_ACCESS_KEY_ID="test"
SHOP_LAB_AWS_SECRET_ACCESS_KEY="test"

LAB_COMPONENT="${LAB_COMPONENT:-lab}"
# Why the last lab_wait_for failed (read by the component scripts).
LAB_WAIT_REASON=""

lab_log() { printf '%s: %s\n' "$LAB_COMPONENT" "$*" >&2; }
lab_die() { printf '%s: ERROR: %s\n' "$LAB_COMPONENT" "$*" >&2; exit 1; }

# Runs a command as root: directly, or through passwordless sudo (package installs).
as_root() {
    if [[ $(id -u) == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        lab_die "need root to run: $* (run it yourself, or run this as root)"
    fi
}

# Installs Debian packages with apt-get (an `apt-get update` and one retry when the first
# attempt fails: a fresh machine's package lists may be stale). Logs to $1.
lab_apt_install() { # LOG PACKAGE...
    local log=$1
    shift
    command -v apt-get >/dev/null 2>&1 || lab_die "apt-get is not available; install $* yourself"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$log" 2>&1; then
        lab_log "apt-get install failed; running apt-get update and retrying"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1 || {
            tail -n 40 "$log" >&2
            lab_die "apt-get install $* failed; log: $log"
        }
    fi
}

# Installs a command-line tool from Debian packages unless FIND (a function that prints the tool's
# path) already finds it: under a lock named NAME, logged to $SHOP_LAB_LOGS/NAME-install.log.
lab_apt_tool() { # NAME FIND PACKAGE...
    local name=$1 find=$2 log start
    shift 2
    lab_lock "$name"
    if "$find" >/dev/null; then return 0; fi
    mkdir -p "$SHOP_LAB_LOGS"
    log="$SHOP_LAB_LOGS/$name-install.log"
    start=$(lab_now)
    lab_log "installing Debian's $* with apt-get (log: $log)"
    lab_apt_install "$log" "$@"
    "$find" >/dev/null || lab_die "$name is still not on PATH after the install; log: $log"
    lab_log "$name installed in $(lab_elapsed "$start")s: $("$("$find")" --version 2>/dev/null | head -n 1)"
}

lab_now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# lab_elapsed START -> seconds since START with one decimal
lab_elapsed() { awk -v s="$1" -v e="$(lab_now)" 'BEGIN { printf "%.1f", e - s }'; }

# Extra verbs a script accepts beyond the standard ones go in LAB_EXTRA_VERBS (e.g. "|reset").
lab_usage() {
    printf 'usage: %s {install|start|stop|status|env%s}\n' "$(basename "$0")" "${LAB_EXTRA_VERBS:-}" >&2
    exit 2
}

lab_pidfile() { printf '%s/%s.pid' "$SHOP_LAB_RUN" "$1"; }
lab_logfile() { printf '%s/%s.log' "$SHOP_LAB_LOGS" "$1"; }

# Prints the shared AWS variables as export lines.
lab_aws_env() {
    printf 'export AWS_REGION=%s\n' "$SHOP_LAB_AWS_REGION"
    printf 'export AWS_DEFAULT_REGION=%s\n' "$SHOP_LAB_AWS_REGION"
    printf 'export AWS_ACCESS_KEY_ID=%s\n' "$SHOP_LAB_AWS_ACCESS_KEY_ID"
    printf 'export AWS_SECRET_ACCESS_KEY=%s\n' "$SHOP_LAB_AWS_SECRET_ACCESS_KEY"
}

# Serialise install/start/stop of one component across processes (tests may start
# the same component in parallel). The lock is released when the script exits.
lab_lock() {
    local name=$1
    mkdir -p "$SHOP_LAB_RUN"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$SHOP_LAB_RUN/$name.lock"
        flock -w 600 9 || lab_die "timed out waiting for $SHOP_LAB_RUN/$name.lock"
    fi
}

# ---------------------------------------------------------------- Python / venvs

# Prints the path of a Python 3.13 interpreter:
# $SHOP_LAB_PYTHON, then pyenv's versions dir (newest 3.13.x), then python3.13 on PATH.
lab_find_python() {
    local cand
    if [[ -n ${SHOP_LAB_PYTHON:-} ]]; then
        cand=$SHOP_LAB_PYTHON
        if [[ $cand != */* ]]; then
            cand=$(command -v "$cand" 2>/dev/null) || lab_die "SHOP_LAB_PYTHON=$SHOP_LAB_PYTHON not found on PATH"
        fi
        "$cand" -c 'import venv' >/dev/null 2>&1 ||
            lab_die "SHOP_LAB_PYTHON=$SHOP_LAB_PYTHON is not a working Python with the venv module"
        if ! "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then
            lab_log "warning: SHOP_LAB_PYTHON=$SHOP_LAB_PYTHON is not Python 3.13; the locks were made with 3.13"
        fi
        printf '%s\n' "$cand"
        return 0
    fi
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    local -a found=()
    if [[ -d $pyenv_root/versions ]]; then
        while IFS= read -r cand; do
            found+=("$cand")
        done < <(find "$pyenv_root/versions" -maxdepth 3 -path '*/3.13*/bin/python3.13' 2>/dev/null | sort -rV)
    fi
    if cand=$(command -v python3.13 2>/dev/null); then found+=("$cand"); fi
    for cand in "${found[@]}"; do
        if "$cand" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then
            printf '%s\n' "$cand"
            return 0
        fi
    done
    lab_die "no Python 3.13 found (looked at \$SHOP_LAB_PYTHON, $pyenv_root/versions/3.13*/bin/python3.13, python3.13 on PATH). Install one (e.g. 'pyenv install 3.13') or set SHOP_LAB_PYTHON=/path/to/python3.13"
}

lab_venv_dir() { printf '%s/venvs/%s' "$SHOP_LAB_CACHE" "$1"; }
lab_lockfile() { printf '%s/requirements/%s.txt' "$SHOP_LAB_DIR" "$1"; }

# The stamp records the lock's sha256 and the base interpreter; the venv is rebuilt
# from scratch when either changes (so packages dropped from the lock go away too).
lab_venv_stamp_wanted() {
    local lock=$1 py=$2
    printf '%s %s\n' "$(sha256sum "$lock" | cut -d' ' -f1)" "$py"
}

lab_venv_is_current() {
    local name=$1 venv lock
    venv=$(lab_venv_dir "$name")
    lock=$(lab_lockfile "$name")
    [[ -x $venv/bin/python && -f $venv/.shop-lab-stamp ]] || return 1
    local have lock_sha
    have=$(<"$venv/.shop-lab-stamp")
    lock_sha=$(sha256sum "$lock" | cut -d' ' -f1)
    [[ ${have%% *} == "$lock_sha" ]] || return 1
    "$venv/bin/python" -c 'pass' >/dev/null 2>&1
}

# lab_venv_ensure NAME: creates/updates $SHOP_LAB_CACHE/venvs/NAME from requirements/NAME.txt.
lab_venv_ensure() {
    local name=$1 venv lock py log start
    venv=$(lab_venv_dir "$name")
    lock=$(lab_lockfile "$name")
    [[ -f $lock ]] || lab_die "lock file $lock is missing"
    if lab_venv_is_current "$name"; then
        return 0
    fi
    # Several processes (parallel tests) may install the same venv at once: one does it, the
    # others wait and then find it current. The lock lives beside the venvs (the cache may be
    # shared by several state dirs); fd 8, so it nests inside lab_lock's fd 9.
    mkdir -p "$SHOP_LAB_CACHE/venvs"
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$SHOP_LAB_CACHE/venvs/.$name.lock"
        flock -w 900 8 || lab_die "timed out waiting for $SHOP_LAB_CACHE/venvs/.$name.lock"
        if lab_venv_is_current "$name"; then
            exec 8>&-
            return 0
        fi
    fi
    py=$(lab_find_python)
    mkdir -p "$SHOP_LAB_LOGS" "$(dirname "$venv")"
    log="$SHOP_LAB_LOGS/$name-install.log"
    start=$(lab_now)
    lab_log "installing venv $venv from $(basename "$lock") with $py (log: $log)"
    rm -rf "$venv"
    {
        printf '==== %s: venv install started %s\n' "$name" "$(date -Is)"
        "$py" -m venv "$venv" &&
            "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
                --prefer-binary -r "$lock"
    } >"$log" 2>&1 || {
        tail -n 40 "$log" >&2
        rm -rf "$venv"
        lab_die "venv install failed; full log: $log"
    }
    lab_venv_stamp_wanted "$lock" "$py" >"$venv/.shop-lab-stamp"
    lab_log "venv $name installed in $(lab_elapsed "$start")s"
}

# ---------------------------------------------------------------- readiness checks

lab_tcp_open() { # HOST PORT
    # shellcheck disable=SC2016
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" >/dev/null 2>&1
}

lab_http_ok() { # URL -> 0 on a 2xx answer
    curl -fsS -o /dev/null --max-time 3 "$1" >/dev/null 2>&1
}

# lab_wait_for TIMEOUT_S PIDFILE CMD... : polls CMD until it succeeds; fails early when
# the process in PIDFILE (if given) has died; returns 1 on timeout or death.
lab_wait_for() {
    local timeout=$1 pidfile=$2
    shift 2
    local deadline
    deadline=$(awk -v n="$(lab_now)" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
    while :; do
        if "$@"; then return 0; fi
        if [[ -n $pidfile ]] && ! lab_pid_alive "$(lab_read_pid "$pidfile")"; then
            printf -v LAB_WAIT_REASON "%s" "the process exited"
            return 1
        fi
        if awk -v n="$(lab_now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
            printf -v LAB_WAIT_REASON "not ready after %ss" "$timeout"
            return 1
        fi
        sleep 0.2
    done
}

lab_wait_tcp() { lab_wait_for "$3" "${4:-}" lab_tcp_open "$1" "$2"; }   # HOST PORT TIMEOUT [PIDFILE]
lab_wait_http() { lab_wait_for "$2" "${3:-}" lab_http_ok "$1"; }        # URL TIMEOUT [PIDFILE]

# ---------------------------------------------------------------- processes

lab_read_pid() {
    if [[ -f $1 ]]; then head -n1 "$1" 2>/dev/null || true; fi
}

# alive = exists and is not a zombie
lab_pid_alive() {
    local pid=$1 state
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/stat ]] || return 1
    state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# lab_pid_is PID MARKER: alive and its command line contains MARKER (guards against pid reuse)
lab_pid_is() {
    local pid=$1 marker=$2
    lab_pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# lab_running NAME MARKER: our process for NAME is alive
lab_running() {
    lab_pid_is "$(lab_read_pid "$(lab_pidfile "$1")")" "$2"
}

# lab_spawn NAME CMD...: starts CMD detached (own session, stdin /dev/null, output to
# the component log; the previous log is kept as NAME.log.1) and records its pid.
lab_spawn() {
    local name=$1
    shift
    local pidfile log
    pidfile=$(lab_pidfile "$name")
    log=$(lab_logfile "$name")
    mkdir -p "$SHOP_LAB_RUN" "$SHOP_LAB_LOGS"
    rm -f "$pidfile"
    if [[ -f $log ]]; then mv -f "$log" "$log.1"; fi
    printf '==== %s: started %s: %s\n' "$name" "$(date -Is)" "$*" >"$log"
    # The child writes its own pid and then execs, so the pid file names the real
    # process whether or not setsid had to fork. Before the exec it closes every inherited
    # descriptor above 2: otherwise the daemon would hold whatever its caller had open for
    # as long as it runs -- our lab_lock fd 9, the lock of a caller's
    # `flock FILE scripts/lab/x.sh start`, cargo's jobserver or a test harness's pipes.
    # shellcheck disable=SC2016
    setsid nohup bash -c '
        echo $$ >"$0"
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $pidfile ]] && return 0
        sleep 0.05
    done
    lab_die "could not start $1 (no pid file after 5s); log: $log"
}

# lab_stop NAME MARKER [TIMEOUT_S]: TERM the process group we started, wait, then KILL.
lab_stop() {
    local name=$1 marker=$2 timeout=${3:-15}
    local pidfile pid i
    pidfile=$(lab_pidfile "$name")
    pid=$(lab_read_pid "$pidfile")
    if [[ -z $pid ]]; then
        lab_log "not running (no pid file)"
        return 0
    fi
    if ! lab_pid_is "$pid" "$marker"; then
        lab_log "not running (stale pid file for pid $pid removed)"
        rm -f "$pidfile"
        return 0
    fi
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        lab_pid_alive "$pid" || break
        sleep 0.1
    done
    if lab_pid_alive "$pid"; then
        lab_log "pid $pid still running after ${timeout}s; sending KILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    # children left in the group (e.g. helper processes) go too
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
    lab_log "stopped (pid $pid)"
}

# lab_already_up NAME MARKER WHERE PORT_VAR: the start preamble of an HTTP component whose script
# defines `healthy`. Returns 0 when it already runs healthy (ours or not; says which), after waiting
# for one of ours that is still starting; returns 1 when it must be started; dies when something
# else holds the port. WHERE names it in messages (a URL); PORT_VAR is the setting that moves it.
lab_already_up() {
    local name=$1 marker=$2 where=$3 port_var=$4
    if healthy; then
        if lab_running "$name" "$marker"; then
            lab_log "already running and healthy at $where (pid $(lab_read_pid "$(lab_pidfile "$name")"))"
        else
            lab_log "already healthy at $where (not started by these scripts; leaving it alone)"
        fi
        return 0
    fi
    if lab_running "$name" "$marker"; then
        lab_log "running but not healthy yet; waiting"
        lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$name")" healthy && return 0
        lab_fail_start "$name" "$marker" "running but not healthy: $LAB_WAIT_REASON"
    fi
    if lab_tcp_open 127.0.0.1 "${!port_var}"; then
        lab_die "port ${!port_var} is taken by another process that is not a healthy $name; free it or set $port_var"
    fi
    return 1
}

# lab_status NAME MARKER WHERE: the one-line `status` of an HTTP component whose script defines
# `healthy`; exit code 0 when healthy.
lab_status() {
    local name=$1 marker=$2 where=$3
    if healthy; then
        if lab_running "$name" "$marker"; then
            echo "$name: running, healthy at $where (pid $(lab_read_pid "$(lab_pidfile "$name")"), RSS $(lab_rss "$name" "$marker"))"
        else
            echo "$name: healthy at $where (not started by these scripts)"
        fi
        return 0
    fi
    if lab_running "$name" "$marker"; then
        echo "$name: process running (pid $(lab_read_pid "$(lab_pidfile "$name")")) but $where does not answer"
    else
        echo "$name: not running"
    fi
    return 1
}

# lab_fail_start NAME MARKER MESSAGE: show the log tail, stop what we started, exit 1.
lab_fail_start() {
    local name=$1 marker=$2 msg=$3 log
    log=$(lab_logfile "$name")
    printf '%s: ---- last 40 lines of %s ----\n' "$LAB_COMPONENT" "$log" >&2
    tail -n 40 "$log" >&2 || true
    printf '%s: ---- end of log ----\n' "$LAB_COMPONENT" >&2
    lab_stop "$name" "$marker" 5 >/dev/null 2>&1 || true
    lab_die "failed to start: $msg (log: $log)"
}

# lab_rss NAME MARKER -> "123 MB" summed over the process group, or "-"
lab_rss() {
    local pid kb
    pid=$(lab_read_pid "$(lab_pidfile "$1")")
    lab_pid_is "$pid" "$2" || { printf -- '-'; return 0; }
    kb=$(ps -o rss= --sid "$pid" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
    printf '%d MB' "$((kb / 1024))"
}
