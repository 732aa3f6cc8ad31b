#!/usr/bin/env bash
# Regenerates the exact lock requirements/<name>.txt from requirements/<name>.in:
# a clean venv with the lab's Python 3.13, `pip install -r <name>.in`, then
# `pip freeze --all --exclude pip`, with a header naming the top-level pins and the date.
# usage: scripts/lab/relock.sh localstack|moto|rotel|schemathesis...
set -euo pipefail
LAB_COMPONENT=relock
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(($# > 0)) || { echo "usage: $(basename "$0") NAME... (names: requirements/*.in)" >&2; exit 2; }

py=$(lab_find_python)
pyver=$("$py" -c 'import platform; print(platform.python_version())')
for name in "$@"; do
    in="$SHOP_LAB_DIR/requirements/$name.in"
    out="$SHOP_LAB_DIR/requirements/$name.txt"
    [[ -f $in ]] || lab_die "$in not found"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    lab_log "$name: clean install of $(basename "$in") with Python $pyver"
    "$py" -m venv "$tmp/venv"
    "$tmp/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$in"
    "$tmp/venv/bin/python" -m pip check
    top=$(grep -vE '^\s*(#|$)' "$in" | paste -sd, - | sed 's/,/, /g')
    {
        printf '# Exact lock for the lab venv "%s"; regenerate with: scripts/lab/relock.sh %s\n' "$name" "$name"
        printf '# Top-level requirements (requirements/%s.in): %s\n' "$name" "$top"
        printf '# Generated %s with Python %s: clean venv, pip install -r %s.in, pip freeze --all --exclude pip.\n' \
            "$(date +%F)" "$pyver" "$name"
        "$tmp/venv/bin/python" -m pip freeze --all --exclude pip
    } >"$out.new"
    mv -f "$out.new" "$out"
    rm -rf "$tmp"
    trap - EXIT
    lab_log "$name: wrote $out ($(grep -cv '^#' "$out") packages)"
done
