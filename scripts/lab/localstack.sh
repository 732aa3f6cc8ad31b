#!/usr/bin/env bash
# LocalStack in host mode (no Docker): CloudWatch metrics/alarms, CloudWatch Logs, SNS, SQS,
# SES, S3, EventBridge (and STS). usage: localstack.sh install|start|stop|status|env
set -euo pipefail
LAB_COMPONENT=localstack
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=localstack
MARKER=localstack.runtime.main
PORT=$SHOP_LAB_LOCALSTACK_PORT
URL="http://127.0.0.1:$PORT"
HEALTH="$URL/_localstack/health"
VENV=$(lab_venv_dir "$NAME")
DATA="$SHOP_LAB_STATE/localstack"
START_TIMEOUT="${SHOP_LAB_LOCALSTACK_START_TIMEOUT:-90}"
# Empty (the default) = every service LocalStack has, loaded lazily on first use; restricting
# the list did not make start-up faster (measured: ~1.6 s either way). Example restriction:
# SHOP_LAB_LOCALSTACK_SERVICES=cloudwatch,logs,sns,sqs,ses,s3,events,sts
SERVICES="${SHOP_LAB_LOCALSTACK_SERVICES:-}"

healthy() {
    # health answers 200 with JSON naming the version once the gateway serves requests
    curl -fsS --max-time 3 "$HEALTH" 2>/dev/null | grep -q '"version"'
}

do_install() {
    lab_venv_ensure "$NAME"
}

# The queue URLs the running LocalStack hands out, probed with a throw-away queue: "path" for
# <host>/queue/<region>/<account>/<name> (SQS_ENDPOINT_STRATEGY=path, what these scripts started
# before Terraform applied envs/local to the lab), else "off".
sqs_url_style() {
    local name url
    name="lsurl$(date +%s | tail -c 7)$$"
    url=$(curl -fsS --max-time 10 -X POST --data "Action=CreateQueue&QueueName=$name" "$URL/" |
        sed -nE 's#.*<QueueUrl>([^<]+)</QueueUrl>.*#\1#p') || true
    [[ -n $url ]] || { echo unknown; return 0; }
    curl -fsS --max-time 10 -o /dev/null -X POST --data "Action=DeleteQueue" "$url" || true
    if [[ $url =~ /queue/[^/]+/[^/]+/[^/]+$ ]]; then echo path; else echo off; fi
}

do_start() {
    lab_lock "$NAME"
    if lab_already_up "$NAME" "$MARKER" "$URL" SHOP_LAB_LOCALSTACK_PORT; then
        # One started with the old SQS_ENDPOINT_STRATEGY=path: Terraform (terraform.sh apply-local,
        # `make lab`) cannot manage its queues (docs/terraform.md, gap sqs-queue-urls).
        [[ $(sqs_url_style) == path ]] || return 0
        if lab_running "$NAME" "$MARKER"; then
            lab_log "it hands out path-style queue URLs (started with SQS_ENDPOINT_STRATEGY=path); restarting it with SQS_ENDPOINT_STRATEGY=off (its resources are lost: \`make lab\` applies them again)"
            lab_stop "$NAME" "$MARKER" 20
        else
            lab_die "the LocalStack at $URL (not started by these scripts) hands out path-style queue URLs, which Terraform cannot manage: restart it with SQS_ENDPOINT_STRATEGY=off, or stop it and run scripts/lab/lab.sh up"
        fi
    fi
    do_install
    mkdir -p "$DATA/tmp"
    local start
    start=$(lab_now)
    local -a envs=(
        GATEWAY_SERVER=hypercorn
        "GATEWAY_LISTEN=127.0.0.1:$PORT"
        DISABLE_EVENTS=1
        SKIP_SSL_CERT_DOWNLOAD=1
        DNS_ADDRESS=0
        "LOCALSTACK_VOLUME_DIR=$DATA"
        # LocalStack keeps in-memory state's files (CloudWatch's metrics database) under
        # $TMPDIR/localstack and clears that folder when it stops: with the default /tmp,
        # stopping one instance (a fault test's private one) deletes the CloudWatch
        # database of every other instance. Each instance gets its own.
        "TMPDIR=$DATA/tmp"
        # URLs LocalStack hands out (SQS queue URLs, ...) must resolve without internet DNS:
        "LOCALSTACK_HOST=127.0.0.1:$PORT"
        # Queue URLs <host>/<account>/<name>, the form terraform-provider-aws reads a queue's name
        # from (it refuses the `path` strategy's <host>/queue/<region>/<account>/<name>), so that
        # `make lab` can apply terraform/envs/local here; the SDKs take either form.
        SQS_ENDPOINT_STRATEGY=off
    )
    if [[ -n $SERVICES ]]; then envs+=("SERVICES=$SERVICES"); fi
    lab_spawn "$NAME" env "${envs[@]}" "$VENV/bin/python" -m localstack.runtime.main
    lab_wait_for "$START_TIMEOUT" "$(lab_pidfile "$NAME")" healthy ||
        lab_fail_start "$NAME" "$MARKER" "$LAB_WAIT_REASON"
    lab_log "ready at $URL in $(lab_elapsed "$start")s (pid $(lab_read_pid "$(lab_pidfile "$NAME")"), RSS $(lab_rss "$NAME" "$MARKER"))"
}

do_stop() {
    lab_lock "$NAME"
    lab_stop "$NAME" "$MARKER" 20
}

do_status() {
    lab_status "$NAME" "$MARKER" "$URL"
}

do_env() {
    local svc
    for svc in CLOUDWATCH CLOUDWATCH_LOGS SNS SQS SES SESV2 S3 EVENTBRIDGE STS; do
        printf 'export AWS_ENDPOINT_URL_%s=%s\n' "$svc" "$URL"
    done
    lab_aws_env
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) do_env ;;
    *) lab_usage ;;
esac
