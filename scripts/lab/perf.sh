#!/usr/bin/env bash
# Linux's perf, for `make profile` (experiments/src/profile.rs): Debian's linux-perf package,
# installed with apt-get when perf is missing.
# usage: perf.sh install|path|version
set -euo pipefail
LAB_COMPONENT=perf
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_perf() {
    local p
    for p in "${SHOP_LAB_PERF:-}" perf; do
        [[ -n $p ]] && command -v "$p" >/dev/null 2>&1 && "$p" --version >/dev/null 2>&1 && { command -v "$p"; return 0; }
    done
    return 1
}

do_install() { lab_apt_tool perf find_perf linux-perf; }

case "${1:-}" in
    install) do_install ;;
    path) find_perf || { do_install >&2 && find_perf; } ;;
    version) "$(find_perf || lab_die "perf is not installed: run $0 install")" --version ;;
    *) echo "usage: $0 install|path|version" >&2; exit 2 ;;
esac
