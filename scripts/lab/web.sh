#!/usr/bin/env bash
# The browser UI (app/web, Next.js): its npm dependencies from the committed lockfile, its static
# export (app/web/out, which the shop serves), and its browser tests in Chromium.
# usage: web.sh install|build|check|e2e|path
#
#   install  npm ci, when package-lock.json changed since the last one (Node >= 20.9)
#   build    install, then the types from src/api/openapi.json and `next build`, when a source
#            is newer than the export; then the JS bundle budget (app/web/scripts/bundle-budget.mjs)
#   check    install, then eslint and tsc (strict), and the bundle budget when the export is current
#   e2e      build, install Chromium and cargo-lambda, start the lab components the journeys ship
#            to (LocalStack, moto, the collector and its capture receiver), then the journeys in
#            app/web/e2e against the shop binary
#            ($SHOP_BIN, default ${CARGO_TARGET_DIR:-target}/debug/shop; build it first) and the
#            function binaries beside it (cargo build --workspace --all-features --bins)
#   path     the export's directory
set -euo pipefail
LAB_COMPONENT=web
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPO=$(cd "$SHOP_LAB_DIR/../.." && pwd)
WEB="$REPO/app/web"
OUT="$WEB/out"

need_node() {
    command -v node >/dev/null 2>&1 || lab_die "node is not installed: the UI needs Node.js >= 20.9 (and npm)"
    local v
    v=$(node -p 'process.versions.node')
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)' ||
        lab_die "node $v is too old: the UI needs Node.js >= 20.9"
}

do_install() {
    need_node
    lab_lock web-npm
    local stamp="$WEB/node_modules/.shop-lab-lock.sha256" want
    want=$(sha256sum "$WEB/package-lock.json" | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return 0; fi
    local start
    start=$(lab_now)
    lab_log "npm ci in app/web (the lockfile changed or there are no node_modules)"
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) || lab_die "npm ci failed in $WEB"
    echo "$want" >"$stamp"
    lab_log "npm ci took $(lab_elapsed "$start")s"
}

# Whether the export is older than anything it is built from.
stale() {
    [[ -f $OUT/index.html ]] || return 0
    [[ -n $(find "$WEB/src" "$WEB/public" "$WEB/package-lock.json" "$WEB/next.config.ts" \
        "$WEB/postcss.config.mjs" "$WEB/tsconfig.json" -newer "$OUT/index.html" -print -quit 2>/dev/null) ]]
}

do_build() {
    do_install
    if ! stale; then budget; return 0; fi
    local start
    start=$(lab_now)
    lab_log "building the UI (next build → app/web/out)"
    (cd "$WEB" && npm run --silent api && NEXT_TELEMETRY_DISABLED=1 npx --no-install next build) ||
        lab_die "next build failed in $WEB"
    lab_log "built app/web/out in $(lab_elapsed "$start")s"
    budget
}

# The gzip size of the export's JS against its limits (fails above them).
budget() {
    (cd "$WEB" && npm run --silent budget) || lab_die "the UI's JavaScript is over its budget (app/web/scripts/bundle-budget.mjs)"
}

do_check() {
    do_install
    # Asked before `npm run api` rewrites src/api/schema.d.ts (which makes any export look stale).
    local current=1
    if stale; then current=0; fi
    (cd "$WEB" && npm run --silent api && npx --no-install eslint --max-warnings=0 . && npx --no-install tsc --noEmit) ||
        lab_die "the UI's lint or type check failed"
    # The budget needs a build, which check does not make (it stays quick): measured on the export
    # when it is current, and by every `build` (so by `e2e`, `make web` and `make test-web`).
    if ((current)); then
        budget
    else
        lab_log "no current export (app/web/out): the bundle budget is checked by web.sh build"
    fi
}

do_e2e() {
    do_build
    "$SHOP_LAB_DIR/chromium.sh" install
    local shop="${SHOP_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/debug/shop}"
    [[ -x $shop ]] || lab_die "no shop binary at $shop: build it first (cargo build -p shop), or set SHOP_BIN"
    # The image-resize function's journey (admin-function.test.ts) runs it under cargo lambda watch.
    local fn
    for fn in image-resize lab-event-source; do
        [[ -x $(dirname "$shop")/$fn ]] ||
            lab_die "no $fn beside $shop: build the functions too (cargo build --workspace --all-features --bins)"
    done
    "$SHOP_LAB_DIR/cargo-lambda.sh" install
    # The real components the front-to-back journeys ship to (docs/rum.md): the AWS emulators for
    # the awssdk shop, the collector and its capture receiver for the otel shop.
    "$SHOP_LAB_DIR/lab.sh" up localstack moto capture xraypass rotel collector
    local endpoints
    endpoints=$("$SHOP_LAB_DIR/lab.sh" env localstack moto capture collector)
    (eval "$endpoints" && cd "$WEB" && SHOP_BIN="$shop" SHOP_LAB_CHROMIUM="$("$SHOP_LAB_DIR/chromium.sh" path)" SHOP_WEB_DIR="$OUT" \
        SHOP_LAB_CARGO_LAMBDA="$("$SHOP_LAB_DIR/cargo-lambda.sh" path)" npm run --silent e2e)
}

case "${1:-}" in
    install) do_install ;;
    build) do_build ;;
    check) do_check ;;
    e2e) do_e2e ;;
    path) echo "$OUT" ;;
    *) echo "usage: $0 install|build|check|e2e|path" >&2; exit 2 ;;
esac
