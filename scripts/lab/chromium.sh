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

# With fonts, so pages render text the way a user's browser does (and screenshots are legible).
do_install() { lab_apt_tool chromium find_chromium chromium fonts-liberation; }

case "${1:-}" in
    install) do_install ;;
    path) find_chromium || lab_die "chromium is not installed: run $0 install" ;;
    version) "$(find_chromium || lab_die "chromium is not installed: run $0 install")" --version ;;
    *) echo "usage: $0 install|path|version" >&2; exit 2 ;;
esac
