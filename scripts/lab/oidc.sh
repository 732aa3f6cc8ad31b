#!/usr/bin/env bash
# The lab's "social" identity provider for social login (C-USER-05): panva's oidc-provider from npm
# (an OpenID Certified provider), pinned in scripts/lab/oidc/package-lock.json and configured by
# scripts/lab/oidc/provider.mjs (development keys and login page: any user name logs in).
# Issuer http://127.0.0.1:SHOP_LAB_OIDC_PORT (default 4444); the shop's client `shop-lab`, secret
# `shop-lab-secret`, callback http://127.0.0.1:8080/api/auth/oidc/callback (SHOP_LAB_OIDC_REDIRECT_URIS).
# usage: oidc.sh install|start|stop|status|env
set -euo pipefail
LAB_COMPONENT=oidc
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=oidc
PORT="${SHOP_LAB_OIDC_PORT:-4444}"
URL="http://127.0.0.1:$PORT"
DIR="$SHOP_LAB_DIR/oidc"
MARKER="provider.mjs"
START_TIMEOUT="${SHOP_LAB_OIDC_START_TIMEOUT:-30}"
REDIRECT_URIS="${SHOP_LAB_OIDC_REDIRECT_URIS:-http://127.0.0.1:8080/api/auth/oidc/callback}"

healthy() {
    lab_http_ok "$URL/.well-known/openid-configuration"
}

# npm ci from the lock file, once per lock file (a stamp beside node_modules).
do_install() {
    command -v node >/dev/null || lab_die "node is not installed (Node.js 20 or later)"
    command -v npm >/dev/null || lab_die "npm is not installed"
    local stamp="$DIR/node_modules/.shop-lab-lock" wanted
    wanted=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
        return 0
    fi
    local start
    start=$(lab_now)
    (cd "$DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2 ||
        lab_die "npm ci in $DIR failed"
    printf '%s' "$wanted" >"$stamp"
    lab_log "installed oidc-provider in $(lab_elapsed "$start")s"
}

do_start() {
    lab_lock "$NAME"
    lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_OIDC_PORT && return 0
    do_install
    local start
    start=$(lab_now)
    OIDC_PORT="$PORT" OIDC_REDIRECT_URIS="$REDIRECT_URIS" lab_spawn "$NAME" node "$DIR/provider.mjs"
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 10
}

do_status() {
    lab_status "$NAME" "$MARKER" "$URL"
}

do_env() {
    printf 'export SHOP_OIDC_ISSUER=%s\n' "$URL"
    printf 'export SHOP_OIDC_CLIENT_ID=%s\n' shop-lab
    printf 'export SHOP_OIDC_CLIENT_SECRET=%s\n' shop-lab-secret
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    *) lab_usage ;;
esac
