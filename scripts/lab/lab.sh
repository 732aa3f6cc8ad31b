#!/usr/bin/env bash
# The whole local lab. usage: lab.sh up|down|status|env|install [component...]
# Components (default: all, in this order): mariadb localstack moto capture xraypass rotel collector.
#   collector  THE lab's collector (built from collector/builder-config.yaml), OTLP on 4317/4318:
#              traces to the capture receiver and over the X-Ray leg, metrics and logs to the
#              capture receiver
#   capture    the OTLP capture receiver (otlp-capture), where tests and you read telemetry back
#   rotel      the collector's X-Ray leg only (aws-xray exporter, stand-in for awsxray), 4337/4338
#   xraypass   WORKAROUND for rotel's gzip header bug, between rotel and moto
#   up      start each in sequence (installing what is missing); stops at the first failure
#   down    stop each (reverse order); only what these scripts started
#   status  one line per component; exit 1 if any is not running and healthy
#   env     the `export VAR=value` lines clients need (eval "$(scripts/lab/lab.sh env)")
#   install install everything without starting it
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(mariadb localstack moto capture xraypass rotel collector)

usage() {
    echo "usage: $(basename "$0") {up|down|status|env|install} [$(
        IFS='|'
        echo "${ALL[*]}"
    )]..." >&2
    exit 2
}

verb="${1:-}"
[[ -n $verb ]] || usage
shift
comps=("$@")
((${#comps[@]})) || comps=("${ALL[@]}")
for c in "${comps[@]}"; do
    [[ " ${ALL[*]} " == *" $c "* ]] || { echo "lab: unknown component '$c'" >&2; usage; }
done

case "$verb" in
    up)
        for c in "${comps[@]}"; do "$DIR/$c.sh" start; done
        ;;
    down)
        for ((i = ${#comps[@]} - 1; i >= 0; i--)); do "$DIR/${comps[i]}.sh" stop; done
        ;;
    status)
        rc=0
        for c in "${comps[@]}"; do "$DIR/$c.sh" status || rc=1; done
        exit "$rc"
        ;;
    env)
        for c in "${comps[@]}"; do "$DIR/$c.sh" env; done | awk '!seen[$0]++'
        ;;
    install)
        for c in "${comps[@]}"; do "$DIR/$c.sh" install; done
        ;;
    *) usage ;;
esac
