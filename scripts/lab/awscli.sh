#!/usr/bin/env bash
# The AWS command line (awscli 1.x from PyPI, pinned in requirements/awscli.txt) in a lab venv,
# to look at what reached the emulators by hand. Not a component: nothing to start.
# usage: awscli.sh install|path|run AWS-ARGS...
#   install  create/update the venv $SHOP_LAB_CACHE/venvs/awscli (idempotent)
#   path     print the path of the `aws` executable (after install)
#   run      install if needed, then run `aws AWS-ARGS...` with the lab's fake credentials and
#            region (the caller's AWS_* variables win); name the emulator with --endpoint-url, e.g.
#              scripts/lab/awscli.sh run --endpoint-url http://127.0.0.1:5000 xray get-trace-summaries \
#                --start-time $(($(date +%s) - 600)) --end-time $(date +%s)
# `make aws ARGS='...'` is the same as `run`.
set -euo pipefail
LAB_COMPONENT=awscli
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=awscli
VENV=$(lab_venv_dir "$NAME")

do_install() {
    lab_venv_ensure "$NAME"
    "$VENV/bin/aws" --version >/dev/null 2>&1 || lab_die "$VENV/bin/aws does not run (broken venv? remove it and retry)"
}

case "${1:-}" in
    install) do_install ;;
    path)
        lab_venv_is_current "$NAME" || lab_die "not installed yet: run awscli.sh install"
        printf '%s\n' "$VENV/bin/aws"
        ;;
    run)
        shift
        do_install
        AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-$SHOP_LAB_AWS_ACCESS_KEY_ID}" \
            AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-$SHOP_LAB_AWS_SECRET_ACCESS_KEY}" \
            AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$SHOP_LAB_AWS_REGION}" \
            exec "$VENV/bin/aws" "$@"
        ;;
    *)
        echo "usage: $(basename "$0") {install|path|run AWS-ARGS...}" >&2
        exit 2
        ;;
esac
