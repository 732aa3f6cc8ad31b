#!/usr/bin/env bash
# Terraform and the AWS provider for terraform/ (docs/terraform.md), pinned, never from a registry.
# usage: terraform.sh VERB [ARGS...]
#   install          make sure terraform $TF_VERSION and hashicorp/aws $AWS_PROVIDER_VERSION exist:
#                    the machine's /usr/local/bin/terraform and provider mirror /opt/tf-plugins when
#                    they are these versions, else build both from their Go modules (through the Go
#                    module proxy) into $SHOP_LAB_CACHE/terraform/ (the provider as a filesystem
#                    mirror); idempotent
#   path             print the terraform binary and the plugin dir (after install)
#   init ENV [ARGS]  `terraform init -plugin-dir=… ARGS` in terraform/envs/ENV (local|aws): no
#                    registry; envs/aws keeps its state in S3: pass -backend-config=bucket=…,
#                    key=…, region=… (or -backend=false)
#   fmt-check        `terraform fmt -check -recursive terraform/`
#   fmt              `terraform fmt -recursive terraform/`
#   validate         init + `terraform validate` in every env
#   check            fmt-check + validate (what `make check` runs)
#   test-aws         init + `terraform test` in envs/aws (mock provider: no AWS account, no emulator),
#                    and `node --test` of envs/aws/ui (the UI's CloudFront function)
#   test-local       init + `terraform test` in envs/local against a LocalStack of its own and the
#                    lab's moto (started with lab.sh when down), with a unique name prefix; the
#                    test destroys what it created
#   test-gaps        show each emulator gap (docs/terraform.md): apply the one refused resource to the
#                    lab's shared LocalStack/moto and expect the emulator's refusal
#   test             test-aws, test-gaps and test-local side by side (what `make test-terraform` runs)
#   apply-local      envs/local applied to the lab's LocalStack and moto (started with lab.sh when
#                    down): the resources the lab's shops use (`make lab` runs it before shop.sh
#                    start); state in $SHOP_LAB_STATE/terraform/local-<prefix>.tfstate, name prefix
#                    SHOP_LAB_TF_PREFIX (default shop: the names shop.sh gives the shops); the full
#                    output in $SHOP_LAB_LOGS/terraform-local.log
#   plan-local       `terraform plan -detailed-exitcode` of the same: exit 0 when nothing would
#                    change (`make lab-plan`), 2 when something would (the plan is printed), 1 on
#                    an error
#   destroy-local    destroy what apply-local made
#   run ENV ARGS...  any terraform command in terraform/envs/ENV, with the lab's settings
#
# Settings: SHOP_LAB_TERRAFORM (a terraform binary to use instead), SHOP_LAB_TF_PLUGIN_DIR (a provider
# mirror to use instead), SHOP_LAB_GO (the Go toolchain for the fallback build, default `go`);
# SHOP_LAB_SYSTEM_TERRAFORM and SHOP_LAB_SYSTEM_TF_PLUGIN_DIR move the machine's places (default
# /usr/local/bin/terraform, /opt/tf-plugins), e.g. to a path that does not exist to try the fallback.
set -euo pipefail
LAB_COMPONENT=terraform
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TF_VERSION=1.11.4
AWS_PROVIDER_VERSION=5.100.0
# The provider's module declares no /v5 suffix, so the Go module proxy cannot address v5.100.0 by
# its tag: the fallback asks for the tag's commit (recorded in /opt/tf-plugins' binary's build
# info: `go version -m …` → vcs.revision).
AWS_PROVIDER_COMMIT=f7a3b98da589ab1d52756b0dcee0dbf2de83d635
SYSTEM_TERRAFORM=${SHOP_LAB_SYSTEM_TERRAFORM:-/usr/local/bin/terraform}
SYSTEM_PLUGIN_DIR=${SHOP_LAB_SYSTEM_TF_PLUGIN_DIR:-/opt/tf-plugins}

REPO="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
TF_ROOT="$REPO/terraform"
TF_CACHE="$SHOP_LAB_CACHE/terraform"
GO_DIR="$SHOP_LAB_CACHE/go"
PLATFORM="$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)"
PROVIDER_REL="registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$PLATFORM/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
BUILT_TERRAFORM="$TF_CACHE/$TF_VERSION/terraform"
BUILT_PLUGIN_DIR="$TF_CACHE/plugins"
LOCALSTACK_URL="http://127.0.0.1:$SHOP_LAB_LOCALSTACK_PORT"
MOTO_URL="http://127.0.0.1:$SHOP_LAB_MOTO_PORT"

# No registry, no checkpoint calls, no interactive prompts; a CLI config of our own (the machine's
# TF_CLI_CONFIG_FILE may name a file that does not exist).
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_CLI_CONFIG_FILE="$TF_CACHE/terraformrc"

tf_version_of() { # BINARY -> its version, or nothing
    "$1" version -json 2>/dev/null | sed -nE 's/^ *"terraform_version": *"([^"]+)".*/\1/p'
}

# Prints the terraform binary to use, or nothing.
terraform_bin() {
    local cand
    for cand in "${SHOP_LAB_TERRAFORM:-}" "$SYSTEM_TERRAFORM" "$BUILT_TERRAFORM"; do
        [[ -n $cand && -x $cand ]] || continue
        if [[ $(tf_version_of "$cand") == "$TF_VERSION" ]]; then
            printf '%s\n' "$cand"
            return 0
        fi
    done
}

# Prints the provider mirror to use, or nothing.
plugin_dir() {
    local cand
    for cand in "${SHOP_LAB_TF_PLUGIN_DIR:-}" "$SYSTEM_PLUGIN_DIR" "$BUILT_PLUGIN_DIR"; do
        [[ -n $cand && -x $cand/$PROVIDER_REL ]] && { printf '%s\n' "$cand"; return 0; }
    done
}

go_env() {
    export GOMODCACHE="$GO_DIR/mod" GOCACHE="$GO_DIR/build" GOFLAGS="-modcacherw" CGO_ENABLED=0
}

# go_source MODULE@VERSION WORKDIR: the module's source, from the Go module proxy, copied into
# WORKDIR/src (a main module of its own, so that its replace directives apply).
go_source() {
    local spec=$1 work=$2 go dir json
    go=${SHOP_LAB_GO:-go}
    json=$(cd "$work" && "$go" mod download -json "$spec" 2>&1) || { printf '%s\n' "$json"; return 1; }
    dir=$(sed -nE 's/^[[:space:]]*"Dir": "([^"]+)".*/\1/p' <<<"$json")
    [[ -n $dir && -d $dir ]] || { printf '%s\n' "$json"; return 1; }
    cp -r "$dir" "$work/src"
    chmod -R u+w "$work/src"
}

build_terraform() {
    local go log start work
    go=${SHOP_LAB_GO:-go}
    command -v "$go" >/dev/null 2>&1 || lab_die "terraform $TF_VERSION is not at $SYSTEM_TERRAFORM and no Go toolchain ('$go') is here to build it; install Go or set SHOP_LAB_TERRAFORM"
    go_env
    log="$SHOP_LAB_LOGS/terraform-build.log"
    work="$TF_CACHE/$TF_VERSION.build"
    start=$(lab_now)
    lab_log "building terraform $TF_VERSION from github.com/hashicorp/terraform@v$TF_VERSION (log: $log)"
    rm -rf "$work"
    mkdir -p "$work" "$SHOP_LAB_LOGS"
    {
        printf '==== terraform: build started %s (%s)\n' "$(date -Is)" "$("$go" version)"
        go_source "github.com/hashicorp/terraform@v$TF_VERSION" "$work" &&
            # v1.11.4's go.mod sets `godebug tlskyber=0` (Go 1.23's draft Kyber key exchange off),
            # a setting Go 1.24 removed with that draft: newer toolchains refuse to load the file.
            sed -i '/^godebug tlskyber=/d' "$work/src/go.mod" &&
            (cd "$work/src" && "$go" build -trimpath -ldflags '-s -w' -o "$work/terraform" .)
    } >>"$log" 2>&1 || {
        grep -v '^go: downloading' "$log" | tail -n 30 >&2
        local missing
        # A module zip never holds nested modules: the go.mod's `=> ./…` replacements must be there.
        missing=$(sed -nE 's#.*=> \./([^ ]+).*#\1#p' "$work/src/go.mod" 2>/dev/null |
            while read -r d; do [[ -f $work/src/$d/go.mod ]] || printf ' %s' "$d"; done)
        rm -rf "$work"
        [[ -z $missing ]] || lab_die "terraform $TF_VERSION cannot be built from the Go module proxy: its go.mod replaces nested modules with folders the module zip leaves out:$missing (docs/terraform.md); install terraform $TF_VERSION at $SYSTEM_TERRAFORM or set SHOP_LAB_TERRAFORM"
        lab_die "terraform build failed; full log: $log"
    }
    mkdir -p "$(dirname "$BUILT_TERRAFORM")"
    mv -f "$work/terraform" "$BUILT_TERRAFORM"
    rm -rf "$work"
    lab_log "built $BUILT_TERRAFORM in $(lab_elapsed "$start")s"
}

build_provider() {
    local go log start work
    go=${SHOP_LAB_GO:-go}
    command -v "$go" >/dev/null 2>&1 || lab_die "hashicorp/aws $AWS_PROVIDER_VERSION is not in $SYSTEM_PLUGIN_DIR and no Go toolchain ('$go') is here to build it; install Go or set SHOP_LAB_TF_PLUGIN_DIR"
    go_env
    log="$SHOP_LAB_LOGS/terraform-provider-build.log"
    work="$TF_CACHE/provider-$AWS_PROVIDER_VERSION.build"
    start=$(lab_now)
    lab_log "building hashicorp/aws $AWS_PROVIDER_VERSION from github.com/hashicorp/terraform-provider-aws@$AWS_PROVIDER_COMMIT (log: $log)"
    rm -rf "$work"
    mkdir -p "$work" "$SHOP_LAB_LOGS"
    {
        printf '==== terraform-provider-aws: build started %s (%s)\n' "$(date -Is)" "$("$go" version)"
        go_source "github.com/hashicorp/terraform-provider-aws@$AWS_PROVIDER_COMMIT" "$work" &&
            (cd "$work/src" && "$go" build -trimpath \
                -ldflags "-s -w -X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=$AWS_PROVIDER_VERSION" \
                -o "$work/provider" .)
    } >>"$log" 2>&1 || {
        grep -v '^go: downloading' "$log" | tail -n 30 >&2
        rm -rf "$work"
        lab_die "provider build failed (docs/terraform.md: the Go module proxy refuses this module here); full log: $log"
    }
    mkdir -p "$(dirname "$BUILT_PLUGIN_DIR/$PROVIDER_REL")"
    mv -f "$work/provider" "$BUILT_PLUGIN_DIR/$PROVIDER_REL"
    rm -rf "$work"
    lab_log "built $BUILT_PLUGIN_DIR/$PROVIDER_REL in $(lab_elapsed "$start")s"
}

do_install() {
    mkdir -p "$TF_CACHE"
    [[ -f $TF_CLI_CONFIG_FILE ]] || printf 'disable_checkpoint = true\n' >"$TF_CLI_CONFIG_FILE"
    if [[ -n $(terraform_bin) && -n $(plugin_dir) ]]; then return 0; fi
    # One build at a time per cache; parallel callers wait, then find it built.
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$TF_CACHE/.install.lock"
        flock -w 3600 8 || lab_die "timed out waiting for $TF_CACHE/.install.lock"
    fi
    [[ -n $(terraform_bin) ]] || build_terraform
    [[ -n $(plugin_dir) ]] || build_provider
    [[ -n $(terraform_bin) ]] || lab_die "terraform $TF_VERSION still missing after the build"
    [[ -n $(plugin_dir) ]] || lab_die "hashicorp/aws $AWS_PROVIDER_VERSION still missing after the build"
}

TF=""
PLUGINS=""
ready() {
    do_install
    TF=$(terraform_bin)
    PLUGINS=$(plugin_dir)
}

env_dir() {
    local env=${1:-}
    [[ $env == local || $env == aws ]] || lab_die "unknown env '${env}' (local|aws)"
    printf '%s/envs/%s\n' "$TF_ROOT" "$env"
}

# The emulators' endpoints and identity, for envs/local (its variables; the provider's own
# credentials are set in the env's provider block).
local_env() {
    export TF_VAR_localstack_endpoint="$LOCALSTACK_URL" TF_VAR_moto_endpoint="$MOTO_URL"
    export TF_VAR_region="$SHOP_LAB_AWS_REGION"
}

tf_init() { # ENV [extra init args]
    local dir
    dir=$(env_dir "$1")
    shift
    (cd "$dir" && "$TF" init -input=false -no-color -plugin-dir="$PLUGINS" "$@" >/dev/null) ||
        lab_die "terraform init failed in $dir"
}

emulators_up() {
    "$SHOP_LAB_DIR/lab.sh" up localstack moto >&2
}

state_file() { printf '%s\n' "$SHOP_LAB_STATE/terraform/local-${SHOP_LAB_TF_PREFIX:-shop}.tfstate"; }

state_args() {
    mkdir -p "$SHOP_LAB_STATE/terraform"
    printf '%s\n' "-backend-config=path=$(state_file)" -reconfigure
}

# The running LocalStack's session id (/_localstack/info: a new one each time it starts).
localstack_session() {
    curl -fsS --max-time 5 "$LOCALSTACK_URL/_localstack/info" 2>/dev/null |
        sed -nE 's/.*"session_id": *"([^"]+)".*/\1/p'
}

do_test_aws() {
    ready
    local start
    start=$(lab_now)
    # envs/aws keeps its state in S3 (a partial backend configuration): the test runs on mocks
    # and in-memory state, so the backend is not initialised.
    tf_init aws -backend=false
    (cd "$(env_dir aws)" && "$TF" test -no-color) || lab_die "terraform test failed in envs/aws"
    # The UI's CloudFront function (ui_releases.tf): its own logic, under Node's test runner
    # (no emulator runs CloudFront Functions).
    command -v node >/dev/null || lab_die "node is needed for envs/aws/ui's test (Node 20, as the UI)"
    node --test "$(env_dir aws)/ui/" || lab_die "the UI router function's test failed (terraform/envs/aws/ui)"
    lab_log "envs/aws: terraform test and the UI router's test passed in $(lab_elapsed "$start")s"
}

# ---------------------------------------------------------------- the tests' own LocalStack
#
# envs/local's test runs against a LocalStack of its own: the same venv and settings as
# localstack.sh (SQS_ENDPOINT_STRATEGY=off: terraform-provider-aws 5.100.0 reads a queue's name from
# its URL and accepts only <scheme>://<host>/<account>/<name>), on a free port, stopped when the test
# ends. Apart from the lab's, so that the test's alarms, the metric data its alarm probes put and
# the thousands of resources of past runs never meet `make lab`'s shops and `make lab-plan`.
TF_LS=""
TF_LS_DIR=""
TF_LS_MARKER=localstack.runtime.main

free_port() {
    local port
    for port in $(shuf -i 30000-39999 -n 50); do
        lab_tcp_open 127.0.0.1 "$port" || { printf '%s\n' "$port"; return 0; }
    done
    lab_die "no free port found for the tests' LocalStack"
}

TF_LS_PASSED=0
private_localstack_stop() {
    [[ -n $TF_LS ]] || return 0
    lab_stop "$TF_LS" "$TF_LS_MARKER" 20 2>/dev/null || true
    rm -rf "$TF_LS_DIR"
    # Its log is kept when the test failed (the message names it).
    if ((TF_LS_PASSED)); then rm -f "$(lab_logfile "$TF_LS")" "$(lab_logfile "$TF_LS").1"; fi
    TF_LS=""
}

private_localstack_start() {
    lab_venv_ensure localstack
    local port start url
    port=$(free_port)
    url="http://127.0.0.1:$port"
    TF_LS="terraform-localstack-$port"
    TF_LS_DIR="$SHOP_LAB_STATE/terraform/$TF_LS"
    rm -rf "$TF_LS_DIR"
    mkdir -p "$TF_LS_DIR/tmp"
    trap private_localstack_stop EXIT
    trap 'exit 143' TERM INT
    start=$(lab_now)
    lab_spawn "$TF_LS" env GATEWAY_SERVER=hypercorn "GATEWAY_LISTEN=127.0.0.1:$port" DISABLE_EVENTS=1 \
        SKIP_SSL_CERT_DOWNLOAD=1 DNS_ADDRESS=0 "LOCALSTACK_VOLUME_DIR=$TF_LS_DIR" "TMPDIR=$TF_LS_DIR/tmp" \
        "LOCALSTACK_HOST=127.0.0.1:$port" SQS_ENDPOINT_STRATEGY=off \
        "$(lab_venv_dir localstack)/bin/python" -m localstack.runtime.main
    # shellcheck disable=SC2317 # called by lab_wait_for
    ls_healthy() { curl -fsS --max-time 3 "$url/_localstack/health" 2>/dev/null | grep -q '"version"'; }
    lab_wait_for 90 "$(lab_pidfile "$TF_LS")" ls_healthy ||
        lab_die "the tests' LocalStack did not start: $LAB_WAIT_REASON (log: $(lab_logfile "$TF_LS"))"
    lab_log "the tests' LocalStack is ready at $url in $(lab_elapsed "$start")s (SQS_ENDPOINT_STRATEGY=off)"
    export TF_VAR_localstack_endpoint="$url"
}

# The alert check (tests/alerts) runs the shop binary; SHOP_LAB_SHOP_BIN names one, else cargo
# builds it as `make test` does (same features, so after a test run nothing new compiles and this
# takes seconds; a stale binary would check yesterday's code).
shop_binary() {
    if [[ -n ${SHOP_LAB_SHOP_BIN:-} ]]; then
        [[ -x $SHOP_LAB_SHOP_BIN ]] || lab_die "SHOP_LAB_SHOP_BIN=$SHOP_LAB_SHOP_BIN is not an executable"
        return 0
    fi
    local repo
    repo="$(cd "$SHOP_LAB_DIR/../.." && pwd)"
    (cd "$repo" && cargo build --workspace --all-features --bins --tests) >&2 ||
        lab_die "cargo build failed: the alert check needs the shop binary"
    export SHOP_LAB_SHOP_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/shop"
}

do_test_local() {
    ready
    emulators_up
    shop_binary
    "$SHOP_LAB_DIR/collector.sh" install >&2
    local_env
    private_localstack_start
    local start prefix
    start=$(lab_now)
    # Unique per run: never the shop's names, never another run's in the shared LocalStack.
    prefix="tft$(date +%s | tail -c 7)$$"
    # terraform test keeps its state in memory: no backend needed.
    tf_init local -backend=false
    lab_log "envs/local: terraform test against $TF_VAR_localstack_endpoint and $MOTO_URL, name prefix $prefix"
    (cd "$(env_dir local)" && TF_VAR_name_prefix="$prefix" "$TF" test -no-color) ||
        lab_die "terraform test failed in envs/local (prefix $prefix; the LocalStack's log: $(lab_logfile "$TF_LS"))"
    TF_LS_PASSED=1
    lab_log "envs/local: terraform test passed in $(lab_elapsed "$start")s"
}

# test-gaps: each emulator gap of docs/terraform.md, shown. A probe applies the one resource the gap
# is about to the lab's shared emulators and must fail with the emulator's answer; a probe that
# succeeds means the gap is gone, and fails the test.
GAPS=(
    "xray-sampling-rules|aws_xray_sampling_rule.probe|CreateSamplingRule, https response error StatusCode: 404"
    "xray-groups|aws_xray_group.probe|CreateGroup, https response error StatusCode: 404"
    "query-definitions|aws_cloudwatch_query_definition.probe|PutQueryDefinition, https response error StatusCode: 501"
    "synthetics|aws_synthetics_canary.probe|CreateCanary, https response error StatusCode: 501"
)

do_test_gaps() {
    ready
    emulators_up
    local_env
    local dir work prefix start entry probe resource expect out rc block failed=0
    dir="$(env_dir local)/gaps"
    prefix="tfgap$(date +%s | tail -c 7)$$"
    start=$(lab_now)
    work=$(mktemp -d "${TMPDIR:-/tmp}/shop-tf-gaps.XXXXXX")
    # shellcheck disable=SC2064 # expand now: the folder of this run
    trap "rm -rf '$work'" EXIT
    export TF_DATA_DIR="$work/.terraform"
    (cd "$dir" && "$TF" init -input=false -no-color -backend=false -plugin-dir="$PLUGINS" >/dev/null) ||
        lab_die "terraform init failed in $dir"
    # One apply for every probe: each resource fails (or not) on its own.
    rc=0
    out=$(cd "$dir" && "$TF" apply -input=false -no-color -auto-approve -state="$work/gaps.tfstate" \
        -var "name_prefix=$prefix" 2>&1) || rc=$?
    for entry in "${GAPS[@]}"; do
        IFS='|' read -r probe resource expect <<<"$entry"
        # The error block that names this resource ("Error: …" up to its "with <resource>[0]," line).
        block=$(awk -v r="with ${resource}[0]," '/Error: /{b=""} {b=b"\n"$0} index($0, r){print b; exit}' <<<"$out")
        if [[ -z $block ]]; then
            lab_log "gap $probe: GONE? no error for $resource: the emulator accepted it; take it out of envs/local's emulator_gaps and docs/terraform.md"
            failed=1
        elif grep -qF -- "$expect" <<<"$block"; then
            lab_log "gap $probe: still there ($(grep -m1 -F -- "$expect" <<<"$block" | sed -E 's/^[│ ]*//; s/^Error: //' | cut -c1-150))"
        else
            lab_log "gap $probe: $resource failed, but not with '$expect':"
            printf '%s\n' "$block" >&2
            failed=1
        fi
    done
    ((rc != 0)) || failed=1
    # What was created anyway: an accepted probe.
    (cd "$dir" && "$TF" destroy -input=false -no-color -auto-approve -state="$work/gaps.tfstate" \
        -var "name_prefix=$prefix" >/dev/null 2>&1) || lab_log "warning: destroying the probes failed"
    ((failed == 0)) || lab_die "emulator gap probes failed (see above)"
    lab_log "emulator gaps: ${#GAPS[@]} shown in $(lab_elapsed "$start")s"
}

# The three tests at once (most of their time is the provider waiting for SQS to settle), each
# into a log of its own, printed when all have ended.
do_test_all() {
    ready
    emulators_up
    local logs start i rc=0
    local -a names=(aws gaps local) pids=()
    logs=$(mktemp -d "${TMPDIR:-/tmp}/shop-tf-test.XXXXXX")
    start=$(lab_now)
    for i in "${names[@]}"; do
        "$0" "test-$i" >"$logs/$i.log" 2>&1 &
        pids+=("$!")
    done
    for i in "${!names[@]}"; do
        if wait "${pids[i]}"; then
            lab_log "---- test-${names[i]}: passed"
        else
            lab_log "---- test-${names[i]}: FAILED"
            rc=1
        fi
        grep -v '^\(localstack\|moto\): already running' "$logs/${names[i]}.log" >&2 || true
    done
    rm -rf "$logs"
    ((rc == 0)) || lab_die "terraform tests failed (see above)"
    lab_log "terraform tests passed in $(lab_elapsed "$start")s"
}

do_validate() {
    ready
    local env
    for env in local aws; do
        tf_init "$env" -backend=false
        (cd "$(env_dir "$env")" && "$TF" validate -no-color) || lab_die "terraform validate failed in envs/$env"
    done
    (cd "$(env_dir local)/gaps" && "$TF" init -input=false -no-color -backend=false -plugin-dir="$PLUGINS" >/dev/null &&
        "$TF" validate -no-color) || lab_die "terraform validate failed in envs/local/gaps"
}

do_fmt_check() {
    ready
    "$TF" fmt -check -recursive -diff "$TF_ROOT" || lab_die "terraform fmt: the files above need 'scripts/lab/terraform.sh fmt'"
}

# The shared LocalStack's queue URLs, probed with a throw-away queue: 0 when the provider can read
# them (<host>/<account>/<name>), 1 for the path style it refuses (a LocalStack started with
# SQS_ENDPOINT_STRATEGY=path; localstack.sh restarts one of its own, see there).
shared_queue_urls_ok() {
    local name url
    name="tfurl$(date +%s | tail -c 7)$$"
    url=$(curl -fsS -X POST --data "Action=CreateQueue&QueueName=$name" "$LOCALSTACK_URL/" |
        sed -nE 's#.*<QueueUrl>([^<]+)</QueueUrl>.*#\1#p') || return 1
    [[ -n $url ]] || return 1
    curl -fsS -o /dev/null -X POST --data "Action=DeleteQueue" "$url" || true
    [[ ! $url =~ /queue/[^/]+/[^/]+/[^/]+$ ]]
}

do_local() { # plan|apply|destroy
    ready
    emulators_up
    local_env
    shared_queue_urls_ok || lab_die "the LocalStack at $LOCALSTACK_URL hands out path-style queue URLs (SQS_ENDPOINT_STRATEGY=path), which terraform-provider-aws refuses (docs/terraform.md, gap sqs-queue-urls): stop it and run scripts/lab/lab.sh up localstack (which starts it with SQS_ENDPOINT_STRATEGY=off)"
    # LocalStack keeps everything in memory: a state written against an instance that has since
    # stopped describes resources that are gone, and refreshing them fails (LocalStack answers
    # GetDashboard for a missing dashboard with InvalidParameterValue, not "not found"). The
    # session each state was applied to is recorded beside it.
    local session recorded="" state
    state=$(state_file)
    session=$(localstack_session)
    [[ -n $session ]] || lab_die "LocalStack at $LOCALSTACK_URL does not answer /_localstack/info"
    if [[ -f $state.localstack-session ]]; then recorded=$(cat "$state.localstack-session"); fi
    if [[ -s $state && -n $recorded && $recorded != "$session" ]]; then
        case "$1" in
            plan)
                lab_log "LocalStack was restarted since the last apply (session $recorded, now $session): nothing Terraform made is there any more; \`make lab\` (terraform.sh apply-local) makes it again"
                return 2
                ;;
            *)
                lab_log "LocalStack was restarted since the last apply (session $recorded, now $session): starting from an empty state (the old one: $state.stale)"
                mv -f "$state" "$state.stale"
                rm -f "$state.backup"
                ;;
        esac
    fi
    local -a backend
    mapfile -t backend < <(state_args)
    tf_init local "${backend[@]}"
    [[ $1 == plan ]] || printf '%s\n' "$session" >"$state.localstack-session"
    local prefix=${SHOP_LAB_TF_PREFIX:-shop} log start rc=0
    local -a args=("$1" -input=false -no-color -compact-warnings -var "name_prefix=$prefix")
    log="$SHOP_LAB_LOGS/terraform-local.log"
    mkdir -p "$SHOP_LAB_LOGS"
    start=$(lab_now)
    case "$1" in
        plan)
            args+=(-detailed-exitcode)
            (cd "$(env_dir local)" && "$TF" "${args[@]}") >"$log" 2>&1 || rc=$?
            case "$rc" in
                0) lab_log "envs/local (prefix $prefix): no changes: the lab's resources are as Terraform describes them ($(lab_elapsed "$start")s)" ;;
                2)
                    grep -vE '^(data\.|module\..*: (Reading|Read complete|Refreshing state))' "$log" >&2 || true
                    lab_log "envs/local (prefix $prefix): the plan above would change the lab's resources (\`scripts/lab/terraform.sh apply-local\` or \`make lab\` applies it; full output: $log)"
                    ;;
                *)
                    tail -n 40 "$log" >&2
                    lab_log "envs/local (prefix $prefix): terraform plan failed (full output: $log)"
                    ;;
            esac
            return "$rc"
            ;;
        *)
            args+=(-auto-approve)
            lab_log "terraform $1 of envs/local (prefix $prefix) against $LOCALSTACK_URL and $MOTO_URL (log: $log)"
            (cd "$(env_dir local)" && "$TF" "${args[@]}") >"$log" 2>&1 || rc=$?
            if ((rc != 0)); then
                # The errors, else the end of the output.
                if grep -q '^Error: ' "$log"; then sed -n '/^Error: /,$p' "$log" | head -n 60 >&2; else tail -n 40 "$log" >&2; fi
                lab_die "terraform $1 of envs/local failed (full output: $log)"
            fi
            lab_log "$(grep -E '^(Apply|Destroy) complete!' "$log" | tail -n 1) ($(lab_elapsed "$start")s)"
            ;;
    esac
}

verb=${1:-}
shift || true
case "$verb" in
    install)
        do_install
        lab_log "terraform $(terraform_bin) ($TF_VERSION), hashicorp/aws $AWS_PROVIDER_VERSION in $(plugin_dir)"
        ;;
    path)
        ready
        printf '%s\n%s\n' "$TF" "$PLUGINS"
        ;;
    init)
        ready
        [[ ${1:-} != local ]] || local_env
        tf_init "${1:-}" "${@:2}"
        ;;
    fmt-check) do_fmt_check ;;
    fmt)
        ready
        "$TF" fmt -recursive "$TF_ROOT"
        ;;
    validate) do_validate ;;
    check)
        do_fmt_check
        do_validate
        ;;
    test-aws) do_test_aws ;;
    test-local) do_test_local ;;
    test-gaps) do_test_gaps ;;
    test) do_test_all ;;
    plan-local) do_local plan ;;
    apply-local) do_local apply ;;
    destroy-local) do_local destroy ;;
    run)
        ready
        dir=$(env_dir "${1:-}")
        [[ $1 != local ]] || local_env
        shift
        cd "$dir" && exec "$TF" "$@"
        ;;
    *)
        echo "usage: $(basename "$0") {install|path|init ENV|fmt-check|fmt|validate|check|test-aws|test-local|test-gaps|test|plan-local|apply-local|destroy-local|run ENV ARGS...}" >&2
        exit 2
        ;;
esac
