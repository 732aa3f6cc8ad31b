#!/usr/bin/env bash
# Debian's Chromium, for the browser tests (app/web/e2e) and the canary: installed with apt-get,
# driven by playwright-core over CDP with the flags this machine needs (headless, no sandbox when
# root, no background networking: app/web/e2e/browser.ts).
# usage: chromium.sh install|path|version
set -euo pipefail
LAB_COMPONENT=chromium
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_chromium() {
    local c
    for c in "${SHOP_LAB_CHROMIUM:-}" chromium chromium-browser; do
        [[ -n $c ]] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
    done
    return 1
}

do_install() {
    lab_lock chromium
    if find_chromium >/dev/null; then return 0; fi
    local log start
    mkdir -p "$SHOP_LAB_LOGS"
    log="$SHOP_LAB_LOGS/chromium-install.log"
    start=$(lab_now)
    lab_log "installing Debian's chromium with apt-get (log: $log)"
    # Fonts, so pages render text the way a user's browser does (and screenshots are legible).
    lab_apt_install "$log" chromium fonts-liberation
    find_chromium >/dev/null || lab_die "chromium is still not on PATH after the install; log: $log"
    lab_log "chromium installed in $(lab_elapsed "$start")s: $("$(find_chromium)" --version 2>/dev/null)"
}

case "${1:-}" in
    install) do_install ;;
    path) find_chromium || lab_die "chromium is not installed: run $0 install" ;;
    version) "$(find_chromium || lab_die "chromium is not installed: run $0 install")" --version ;;
    *) echo "usage: $0 install|path|version" >&2; exit 2 ;;
esac
