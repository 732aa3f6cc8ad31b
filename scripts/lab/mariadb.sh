#!/usr/bin/env bash
# MariaDB standing in for RDS MySQL: our own mariadbd (not the Debian service) with a private
# datadir under the state dir, on 127.0.0.1:3307, user shop/shop with ALL PRIVILEGES ON *.*
# WITH GRANT OPTION and the databases `shop` and `shop_otel` (make lab's second shop). usage: mariadb.sh install|start|stop|status|env
set -euo pipefail
LAB_COMPONENT=mariadb
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=mariadb
MARKER=mariadbd
PORT=$SHOP_LAB_MYSQL_PORT
BASE="$SHOP_LAB_STATE/mariadb"
DATADIR="$BASE/data"
INIT_MARK="$BASE/.initialised"
MPIDFILE="$BASE/mariadbd.pid"
SOCK="$BASE/mariadbd.sock"
# unix socket paths are limited to 107 bytes
if ((${#SOCK} > 100)); then SOCK="${TMPDIR:-/tmp}/shop-lab-mariadb-$(id -u)-$PORT.sock"; fi
START_TIMEOUT="${SHOP_LAB_MYSQL_START_TIMEOUT:-60}"
OS_USER=$(id -un)
SHOP_USER=shop
SHOP_PASSWORD=shop
SHOP_DB=shop

# Debian puts mariadbd in /usr/sbin, which is not on every user's PATH.
find_tool() {
    local t
    for t in "$@"; do
        if command -v "$t" >/dev/null 2>&1; then command -v "$t"; return 0; fi
        if [[ -x /usr/sbin/$t ]]; then printf '/usr/sbin/%s\n' "$t"; return 0; fi
        if [[ -x /usr/bin/$t ]]; then printf '/usr/bin/%s\n' "$t"; return 0; fi
    done
    return 1
}

admin_sql() { # runs SQL as the OS user's socket-authenticated admin account
    "$(find_tool mariadb mysql)" --no-defaults --socket="$SOCK" -u"$OS_USER" -N -B -e "$1"
}

shop_sql() { # runs SQL as shop over TCP, the way the tests connect
    MYSQL_PWD="$SHOP_PASSWORD" "$(find_tool mariadb mysql)" --no-defaults --protocol=tcp \
        -h 127.0.0.1 -P "$PORT" -u "$SHOP_USER" --connect-timeout=3 -N -B -e "$1"
}

socket_alive() {
    [[ -S $SOCK ]] && "$(find_tool mariadb-admin mysqladmin)" --no-defaults --socket="$SOCK" \
        -u"$OS_USER" --connect-timeout=2 ping >/dev/null 2>&1
}

healthy() {
    shop_sql 'SELECT 1' >/dev/null 2>&1
}

apt_install_server() {
    local log start before after newpids pid
    log="$SHOP_LAB_LOGS/mariadb-install.log"
    mkdir -p "$SHOP_LAB_LOGS"
    start=$(lab_now)
    before=$(pgrep -x mariadbd || true)
    lab_log "mariadbd not found; installing Debian mariadb-server with apt-get (log: $log)"
    lab_apt_install "$log" mariadb-server mariadb-client
    lab_log "mariadb-server installed in $(lab_elapsed "$start")s"
    # If the package's own service came up because of this install (systemd machines;
    # policy-rc.d usually prevents it in containers), stop it: we run our own instance and
    # do not want a second server using memory. A service that was already running is left alone.
    after=$(pgrep -x mariadbd || true)
    newpids=""
    for pid in $after; do
        grep -qx "$pid" <<<"$before" || newpids+="$pid "
    done
    if [[ -n $newpids ]]; then
        lab_log "the Debian mariadb service was started by the package install (pid $newpids); stopping it (our instance uses port $PORT)"
        if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
            as_root systemctl stop mariadb || true
        else
            as_root service mariadb stop || true
        fi
    fi
}

init_datadir() {
    [[ -f $INIT_MARK && -d $DATADIR/mysql ]] && return 0
    local log start
    log="$SHOP_LAB_LOGS/mariadb-init.log"
    start=$(lab_now)
    rm -rf "$DATADIR" "$INIT_MARK"
    mkdir -p "$DATADIR" "$SHOP_LAB_LOGS"
    lab_log "initialising datadir $DATADIR"
    "$(find_tool mariadb-install-db mysql_install_db)" --no-defaults --datadir="$DATADIR" \
        --user="$OS_USER" --auth-root-authentication-method=socket --skip-test-db \
        --skip-name-resolve >"$log" 2>&1 || {
        tail -n 40 "$log" >&2
        lab_die "mariadb-install-db failed; log: $log"
    }
    touch "$INIT_MARK"
    lab_log "datadir initialised in $(lab_elapsed "$start")s"
}

do_install() {
    if ! find_tool mariadbd mysqld >/dev/null || ! find_tool mariadb mysql >/dev/null; then
        apt_install_server
    fi
    find_tool mariadbd mysqld >/dev/null || lab_die "mariadbd still not found after installing mariadb-server"
    init_datadir
}

bootstrap_users() {
    admin_sql "
        CREATE USER IF NOT EXISTS '$SHOP_USER'@'127.0.0.1' IDENTIFIED BY '$SHOP_PASSWORD';
        CREATE USER IF NOT EXISTS '$SHOP_USER'@'localhost' IDENTIFIED BY '$SHOP_PASSWORD';
        ALTER USER '$SHOP_USER'@'127.0.0.1' IDENTIFIED BY '$SHOP_PASSWORD';
        ALTER USER '$SHOP_USER'@'localhost' IDENTIFIED BY '$SHOP_PASSWORD';
        GRANT ALL PRIVILEGES ON *.* TO '$SHOP_USER'@'127.0.0.1' WITH GRANT OPTION;
        GRANT ALL PRIVILEGES ON *.* TO '$SHOP_USER'@'localhost' WITH GRANT OPTION;
        CREATE DATABASE IF NOT EXISTS \`$SHOP_DB\`;
        CREATE DATABASE IF NOT EXISTS \`${SHOP_DB}_otel\`;
        FLUSH PRIVILEGES;"
}

do_start() {
    lab_lock "$NAME"
    if lab_running "$NAME" "$MARKER"; then
        if lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy; then
            lab_log "already running and healthy on 127.0.0.1:$PORT (pid $(lab_read_pid "$(lab_pidfile "$NAME")"))"
            # Idempotent: a server started by an older version of this script gains what it lacks.
            bootstrap_users >>"$(lab_logfile "$NAME")" 2>&1 ||
                lab_fail_start "$NAME" "$MARKER" "creating user $SHOP_USER / databases failed"
            return 0
        fi
        lab_fail_start "$NAME" "$MARKER" "running but not answering as $SHOP_USER on 127.0.0.1:$PORT: $LAB_WAIT_REASON"
    fi
    if healthy; then
        lab_log "a server already answers as $SHOP_USER on 127.0.0.1:$PORT (not started by these scripts; leaving it alone)"
        return 0
    fi
    if lab_tcp_open 127.0.0.1 "$PORT"; then
        lab_die "port $PORT is taken by another process; free it or set SHOP_LAB_MYSQL_PORT"
    fi
    do_install
    local bin start
    bin=$(find_tool mariadbd mysqld)
    start=$(lab_now)
    rm -f "$SOCK" "$MPIDFILE"
    lab_spawn "$NAME" "$bin" --no-defaults \
        --datadir="$DATADIR" \
        --socket="$SOCK" \
        --pid-file="$MPIDFILE" \
        --port="$PORT" \
        --bind-address=127.0.0.1 \
        --user="$OS_USER" \
        --skip-name-resolve \
        --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_unicode_ci \
        --innodb-flush-log-at-trx-commit=2 \
        --max-connections=300
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" socket_alive ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    bootstrap_users >>"$(lab_logfile "$NAME")" 2>&1 ||
        lab_fail_start "$NAME" "$MARKER" "creating user $SHOP_USER / database $SHOP_DB failed"
    lab_wait_for 15 "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "cannot connect as $SHOP_USER over TCP: $LAB_WAIT_REASON"
    lab_log "ready at mysql://$SHOP_USER:$SHOP_PASSWORD@127.0.0.1:$PORT/$SHOP_DB in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 60
}

do_status() {
    if healthy; then
        local v
        v=$(shop_sql 'SELECT VERSION()' 2>/dev/null) || true
        if lab_running "$NAME" "$MARKER"; then
            echo "mariadb: running, $v on 127.0.0.1:$PORT (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
        else
            echo "mariadb: $v answers on 127.0.0.1:$PORT (not started by these scripts)"
        fi
        return 0
    fi
    if lab_running "$NAME" "$MARKER"; then
        echo "mariadb: process running (pid $(lab_read_pid "$(lab_pidfile "$NAME")")) but $SHOP_USER cannot connect on 127.0.0.1:$PORT"
    else
        echo "mariadb: not running"
    fi
    return 1
}

do_env() {
    printf 'export SHOP_TEST_MYSQL_URL=mysql://%s:%s@127.0.0.1:%s\n' "$SHOP_USER" "$SHOP_PASSWORD" "$PORT"
    printf 'export SHOP_LAB_MYSQL_URL=mysql://%s:%s@127.0.0.1:%s/%s\n' "$SHOP_USER" "$SHOP_PASSWORD" "$PORT" "$SHOP_DB"
    # The second shop of `make lab` (TELEMETRY=both: the otel build) has a database of its own.
    printf 'export SHOP_LAB_MYSQL_OTEL_URL=mysql://%s:%s@127.0.0.1:%s/%s_otel\n' "$SHOP_USER" "$SHOP_PASSWORD" "$PORT" "$SHOP_DB"
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    *) lab_usage ;;
esac
