# Observability Shop Lab — the commands a learner runs. `make help` lists them.
#
# Every target installs what it needs (idempotently): Python venvs for the AWS emulators
# and the collector under ~/.cache/shop-lab, MariaDB with apt when missing.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
LAB := scripts/lab

# `make lab` runs both builds side by side (awssdk :8080, otel :8081); `make lab TELEMETRY=otel
# TOPOLOGY=split` etc. runs one (see scripts/lab/shop.sh)
TELEMETRY ?= both
TOPOLOGY ?= all
PROFILE ?= release
DB ?= mariadb
export SHOP_LAB_TELEMETRY := $(TELEMETRY)
export SHOP_LAB_TOPOLOGY := $(TOPOLOGY)
export SHOP_LAB_PROFILE := $(PROFILE)
export SHOP_LAB_DB := $(DB)

.DEFAULT_GOAL := help
.PHONY: help run web web-api lab lab-plan lab-down canary lab-status lab-smoke mails aws test-deps test test-terraform test-web check fmt bench report report-resume report-quick report-render chaos profile

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-11s %s\n", $$1, $$2 }'

run: ## the shop alone: embedded SQLite, noop telemetry, http://127.0.0.1:8080 (with the browser UI once `make web` built it)
	$(CARGO) run -p shop

web: ## build the browser UI (app/web, Node >= 20.9) into app/web/out, which the shop serves
	$(LAB)/web.sh build

web-api: ## refresh the UI's copy of the OpenAPI document (app/web/src/api/openapi.json) from the shop's code
	$(CARGO) run -q -p shop -- openapi > app/web/src/api/openapi.json

# terraform.sh install first: a machine without the pinned Terraform and provider stops before
# anything starts (it is a no-op once they are there).
lab: ## MariaDB + AWS emulators + the OTel collector (+ its X-Ray leg), the shops' AWS resources applied with Terraform (terraform/envs/local), the shop; prints the URLs (stop: make lab-down)
	$(LAB)/terraform.sh install
	$(LAB)/lab.sh up
	$(LAB)/terraform.sh apply-local
	$(LAB)/shop.sh start
	@$(LAB)/shop.sh urls

lab-plan: ## terraform plan of terraform/envs/local against the running lab: exit 0 when nothing would change (2 and the plan when something would)
	$(LAB)/terraform.sh plan-local

lab-down: ## stop the shop and everything `make lab` started
	$(LAB)/shop.sh stop
	$(LAB)/lab.sh down

lab-status: ## what is running
	-$(LAB)/lab.sh status
	-$(LAB)/shop.sh status

canary: ## one run of the synthetic canary (the purchase journey in Chromium, telemetry as shop-canary) against `make lab`'s shop (docs/canary.md)
	$(LAB)/canary.sh install
	$(LAB)/canary.sh run

lab-smoke: ## start the whole lab, apply terraform/envs/local to it, prove each part answers (real API calls) and an order's mail arrives, and that Terraform's plan is then empty; stop it
	trap '$(LAB)/shop.sh stop; $(LAB)/lab.sh down' EXIT; \
	$(LAB)/smoke.sh; \
	$(LAB)/terraform.sh apply-local; \
	$(LAB)/shop.sh start; \
	$(LAB)/smoke_shop.sh; \
	$(LAB)/terraform.sh plan-local; \
	echo "lab smoke test passed"

mails: ## the mail the shop sent (LocalStack's SES mailbox): make mails, make mails ARGS='show 3'
	$(LAB)/mailbox.sh $(ARGS)

# aws: e.g. make aws ARGS='--endpoint-url http://127.0.0.1:5000 xray get-trace-summaries --start-time 0 --end-time 9999999999'
aws: ## the AWS CLI (pinned, in a lab venv) with the lab's credentials: make aws ARGS='...'
	$(LAB)/awscli.sh run $(ARGS)

test-deps: ## install and start what the tests need (MariaDB, LocalStack, moto; build the OTel collector; rotel's and schemathesis's venvs; the OIDC provider; tests also do it)
	$(LAB)/lab.sh up mariadb localstack moto
	$(LAB)/collector.sh install
	$(LAB)/rotel.sh install
	$(LAB)/schemathesis.sh install
	$(LAB)/oidc.sh install

test: test-deps ## every test, on SQLite and MariaDB, all features; the Terraform tests (after cargo: envs/local's alert check runs the shop binary it built); the browser journeys in Chromium
	$(CARGO) test --workspace --all-features
	$(LAB)/terraform.sh test
	$(LAB)/web.sh e2e

test-web: ## the browser journeys alone (app/web/e2e, Chromium), against the binaries cargo built last (the shop and the functions: cargo build --workspace --all-features --bins)
	$(LAB)/web.sh e2e

test-terraform: ## terraform test: envs/aws (mock provider), envs/local applied to LocalStack, the emulator gaps (docs/terraform.md)
	$(LAB)/terraform.sh test

check: ## formatting, clippy (all targets, all features), shellcheck, docs/features.md against the code, terraform fmt and validate, the UI's eslint and tsc
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	@if command -v shellcheck >/dev/null; then shellcheck -x -P SCRIPTDIR $(LAB)/*.sh scripts/deploy-ui.sh .ci/run; else echo "shellcheck not installed; skipped (apt-get install shellcheck)"; fi
	python3 scripts/check-features.py
	$(LAB)/terraform.sh check
	$(LAB)/web.sh check

fmt: ## format the code
	$(CARGO) fmt --all

bench: ## criterion benches: the same scenarios on noop, awssdk, otel and tracing-opentelemetry (benches/README.md)
	$(CARGO) bench -p shop-benches

# The experiment harness starts its own private lab (ports 23307, 24566, 25000, 2431x) and stops it.
report: ## the comparison lab, full (about 1 h 15 min once built, 45 min more for the release builds): release builds per backend, overhead at two operating points, fidelity, cost, the Lambda functions → REPORT.md
	$(CARGO) run --release -q -p shop-experiments -- run --mode full

report-resume: ## the full report again after an interruption: the overhead runs already journaled are kept
	$(CARGO) run --release -q -p shop-experiments -- run --mode full --resume

# Quick mode builds the harness with `make test`'s feature resolution (`--workspace --all-features`,
# and `--tests` so that the dev-dependencies' features count as in `cargo test`) rather than
# `cargo run -p`, which would compile a second copy of tokio, axum, sqlx… for one binary.
# The same build makes the shop and the `image-resize` function the harness runs (under
# $CARGO_TARGET_DIR when set, as the harness looks for them there).
report-quick: ## the comparison lab, quick (CI, ~3 min): proves it end to end and 100 % fidelity → target/experiments/quick/
	$(CARGO) build -q --workspace --all-features --bins --tests
	"$${CARGO_TARGET_DIR:-target}/debug/shop-experiments" run --mode quick

chaos: ## fault experiments, each with its hypothesis checked for both backends: inventory slow and down, telemetry sink down (12 s, and 5 min at saturation with the memory curve), database down (~22 min, private lab; docs/chaos.md) → report/chaos.md and REPORT.md
	$(CARGO) build -q --workspace --all-features --bins --tests
	"$${CARGO_TARGET_DIR:-target}/debug/shop-experiments" chaos $(ARGS)

# A release harness, as for `make report`: a dev build of the load generator, on the CPU the emulators
# and the collector share, could not keep the otel shop saturated (0.5 of its core busy).
profile: ## where each build's CPU goes: perf samples of noop, awssdk-100, otel-100 at saturation (embedded, release; ~5 min once built) → report/profiles/LABEL.json and REPORT.md; ARGS='--label before'
	$(CARGO) run --release -q -p shop-experiments -- profile $(ARGS)

report-render: ## rewrite REPORT.md from report/results.json (e.g. after `make bench`, to include its figures)
	$(CARGO) run -q -p shop-experiments -- render
