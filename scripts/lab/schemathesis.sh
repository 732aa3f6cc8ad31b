#!/usr/bin/env bash
# schemathesis: generates requests from an OpenAPI document and checks the answers against it.
# It is a command-line tool, not a server: nothing to start or stop.
# usage: schemathesis.sh install|run [--config-file PATH] ARGS...|version
#   install       create/update the venv $SHOP_LAB_CACHE/venvs/schemathesis from requirements/schemathesis.txt
#   run ARGS...   install if needed, then `schemathesis run ARGS...` (its exit code is ours), e.g.
#                 scripts/lab/schemathesis.sh run http://127.0.0.1:8080/api/openapi.json --checks all
#                 A leading `--config-file PATH` goes before `run` (it is an option of the top-level
#                 command); without it schemathesis looks for schemathesis.toml in the current
#                 directory and its parents.
#   version       the installed schemathesis version
set -euo pipefail
LAB_COMPONENT=schemathesis
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=schemathesis
VENV=$(lab_venv_dir "$NAME")

usage() {
    printf 'usage: %s {install|run [--config-file PATH] ARGS...|version}\n' "$(basename "$0")" >&2
    exit 2
}

do_install() {
    # lab_venv_ensure serialises concurrent installs (parallel tests) with its own flock and is
    # a no-op when the venv matches the lock.
    lab_venv_ensure "$NAME"
    "$VENV/bin/schemathesis" --version >/dev/null 2>&1 ||
        lab_die "$VENV/bin/schemathesis does not run (broken venv? remove $VENV and retry)"
}

do_run() {
    local -a global=()
    if [[ ${1:-} == --config-file ]]; then
        (($# >= 2)) || usage
        global=(--config-file "$2")
        shift 2
    elif [[ ${1:-} == --config-file=* ]]; then
        global=("$1")
        shift
    fi
    do_install
    # exec: the caller (a test, CI) sees schemathesis's own exit code and output.
    exec "$VENV/bin/schemathesis" "${global[@]}" run "$@"
}

do_version() {
    do_install
    "$VENV/bin/schemathesis" --version
}

case "${1:-}" in
    install) do_install ;;
    run)
        shift
        do_run "$@"
        ;;
    version) do_version ;;
    *) usage ;;
esac
