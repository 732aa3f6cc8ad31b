#!/usr/bin/env bash
# Deploys the browser UI to the AWS environment (terraform/envs/aws) and rolls it back when its
# alarms fire (F-DEPLOY-01, docs/terraform.md "Deployments").
#
#   scripts/deploy-ui.sh RELEASE            upload app/web/out as RELEASE, make it live, watch
#                                           the UI's alarms for the bake time; roll back on ALARM
#   scripts/deploy-ui.sh --rollback         make the release before the live one live again
#   scripts/deploy-ui.sh --status           the live release, the one before it, the alarms
#
# Options (before RELEASE): --out DIR (default app/web/out, what `make web` builds),
# --bake-minutes N (default 10; 0: no watch), --outputs FILE (`terraform output -json` of
# envs/aws; default: run it).
#
# How (terraform/envs/aws/ui_releases.tf): releases are directories releases/<release>/ of the
# UI bucket; the distribution's key-value store holds `release` (the live one) and `previous`;
# a viewer-request function serves the directory `release` names. So going live and going back
# are one key each: seconds, no distribution update, and no invalidation (CloudFront looks its
# cache up with the rewritten path). The bake time is what ECS does for the services
# (ecs.tf's deployment alarms): if the JS-error or poor-LCP alarm goes to ALARM while it runs,
# the previous release goes live again and the script exits 2.
#
# Needs the AWS CLI v2 (cloudfront-keyvaluestore), jq, and credentials for the account. Not run
# here (no AWS account): the mock-provider test checks the resources it drives, and
# terraform/envs/aws/ui/router.test.mjs the function that serves the key's release.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/app/web/out"
bake_minutes=10
outputs=""
mode=deploy
release=""

die() { echo "deploy-ui: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --bake-minutes) bake_minutes=${2:?--bake-minutes needs a number}; shift 2 ;;
    --outputs) outputs=${2:?--outputs needs a file}; shift 2 ;;
    --rollback) mode=rollback; shift ;;
    --status) mode=status; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) release=$1; shift ;;
  esac
done
[[ "$bake_minutes" =~ ^[0-9]+$ ]] || die "--bake-minutes: a whole number of minutes"

command -v aws >/dev/null || die "the AWS CLI v2 is needed"
command -v jq >/dev/null || die "jq is needed"

if [ -z "$outputs" ]; then
  outputs=$(mktemp)
  trap 'rm -f "$outputs"' EXIT
  terraform -chdir="$repo/terraform/envs/aws" output -json >"$outputs"
fi
deploy=$(jq -c '.ui_deploy.value' "$outputs")
[ "$deploy" != "null" ] || die "no ui_deploy output in $outputs: apply terraform/envs/aws first"
bucket=$(jq -r '.bucket' <<<"$deploy")
kvs=$(jq -r '.kvs_arn' <<<"$deploy")
region=$(jq -r '.region' <<<"$deploy")
mapfile -t alarms < <(jq -r '.alarms[]' <<<"$deploy")

# The store's value of KEY, or nothing.
get_key() {
  aws cloudfront-keyvaluestore get-key --kvs-arn "$kvs" --key "$1" --query Value --output text 2>/dev/null || true
}

# Sets KEY to VALUE (the store wants its current ETag with every write).
put_key() {
  local etag
  etag=$(aws cloudfront-keyvaluestore describe-key-value-store --kvs-arn "$kvs" --query ETag --output text)
  aws cloudfront-keyvaluestore put-key --kvs-arn "$kvs" --key "$1" --value "$2" --if-match "$etag" >/dev/null
}

# The names of the watched alarms in ALARM, space-separated.
firing() {
  [ ${#alarms[@]} -gt 0 ] || return 0
  aws cloudwatch describe-alarms --region "$region" --alarm-names "${alarms[@]}" \
    --state-value ALARM --query 'MetricAlarms[].AlarmName' --output text
}

# Makes TARGET live, remembering the release it replaces as `previous`.
go_live() {
  local target=$1 live
  live=$(get_key release)
  if [ -n "$live" ] && [ "$live" != "$target" ]; then put_key previous "$live"; fi
  put_key release "$target"
  echo "deploy-ui: $target is live (was: ${live:-none})"
}

case "$mode" in
  status)
    echo "live: $(get_key release)"
    echo "previous: $(get_key previous)"
    echo "watched alarms: ${alarms[*]:-none}"
    echo "in ALARM: $(firing)"
    ;;
  rollback)
    previous=$(get_key previous)
    [ -n "$previous" ] || die "no previous release to go back to"
    go_live "$previous"
    ;;
  deploy)
    [[ "$release" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "RELEASE: 1 to 64 letters, digits, '.', '_' or '-' (got '${release}')"
    [ -f "$out/index.html" ] || die "$out/index.html missing: build the UI first (make web)"
    # Hashed assets never change under their name: cached for a year. Pages: revalidated.
    aws s3 sync "$out/" "s3://$bucket/releases/$release/" --region "$region" --delete \
      --exclude '*.html' --cache-control 'public, max-age=31536000, immutable'
    aws s3 sync "$out/" "s3://$bucket/releases/$release/" --region "$region" --delete \
      --exclude '*' --include '*.html' --cache-control 'public, max-age=60'
    # An alarm already firing before the switch is not the new release's doing (and a release
    # may be the fix for it): the bake watches the others.
    already=" $(firing | tr '\t' ' ') "
    [ -z "${already// /}" ] || echo "deploy-ui: already in ALARM before the switch, not watched:${already}"
    before=$(get_key release)
    go_live "$release"
    [ "$bake_minutes" -gt 0 ] || exit 0
    deadline=$(( $(date +%s) + bake_minutes * 60 ))
    echo "deploy-ui: watching ${alarms[*]:-no alarms} for $bake_minutes minutes"
    while [ "$(date +%s)" -lt "$deadline" ]; do
      now=""
      for name in $(firing); do
        [[ "$already" == *" $name "* ]] || now="$now $name"
      done
      if [ -n "$now" ]; then
        echo "deploy-ui: $now in ALARM during the bake time: rolling back" >&2
        [ -n "$before" ] || die "nothing to roll back to (this was the first release); $release stays live"
        go_live "$before"
        exit 2
      fi
      sleep 30
    done
    echo "deploy-ui: $release baked for $bake_minutes minutes with no alarm"
    ;;
esac
