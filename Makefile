# Watchkeeper: the two commands are `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
# checkov pins an older boto3 than SAM CLI's, so it has a virtualenv of its own.
CHECKOV_VENV := $(VENV)/checkov
# One shared target dir for every build; CI points it at a cache outside the clone.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export SAM_CLI_TELEMETRY := 0
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
TEST_LOG := $(CARGO_TARGET_DIR)/watchkeeper-test.log

# For `make invoke`.
FUNCTION ?= ec2-alarm-creator
EVENT ?= events/ec2-instance-running.json
# For `make fuzz`: seconds per fuzz target.
FUZZ_SECONDS ?= 300

.PHONY: help setup build lint test test-rust test-template test-sam-local demo bench fuzz fuzz-short invoke deploy lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Install moto, SAM CLI, cargo-lambda, zig and linters into .venv

$(VENV)/.installed: requirements-dev.txt requirements-dev.lock
	@command -v cargo >/dev/null || { echo "cargo is required: install Rust from https://rustup.rs" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c requirements-dev.lock
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt requirements-checkov.lock
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt -c requirements-checkov.lock
	touch $@

build: setup ## Build every function with sam build (x86_64 here; users deploy arm64)
	rm -f $(SAM_DEBUG_STAMP)
	sam build --config-env x86_64

lint: setup ## rustfmt, clippy -D warnings, sam validate --lint, cfn-lint (+ serverless rules), checkov, IAM against AWS's catalogue (parliament), documentation links
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	sam validate --lint
	cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	cfn-lint -- spoke.yaml
# sam validate and cfn-lint expand template.yaml's Fn::ForEach themselves;
# checkov would skip the loop's resources, so it reads the expanded template.
	@mkdir -p .aws-sam
	$(PYTHON) tests/template/expand.py > .aws-sam/expanded-template.json
	$(CHECKOV_VENV)/bin/checkov --file .aws-sam/expanded-template.json --framework cloudformation --quiet --compact --skip-download
	$(CHECKOV_VENV)/bin/checkov --file spoke.yaml --framework cloudformation --quiet --compact --skip-download
	$(PYTHON) tests/template/lint_iam.py
	$(PYTHON) tests/template/check_docs.py
	$(PYTHON) tests/template/check_chat.py

test-rust: setup ## Unit and integration tests (moto per test)
	@mkdir -p $(CARGO_TARGET_DIR)
	cargo test --workspace --all-targets 2>&1 | tee $(TEST_LOG)

# A debug `sam build` checks the template's build wiring without the slow
# fat-LTO release link; `make build` and `make deploy` build for release.
# test-template and test-sam-local share it: built once, and again only when
# a source changed (`make build` and `make deploy` overwrite .aws-sam/build).
SAM_DEBUG_STAMP := .aws-sam/debug-x86_64.stamp
SAM_SOURCES := template.yaml samconfig.toml Cargo.toml Cargo.lock .cargo/config.toml \
	$(shell find functions shared -type f -not -name '*.md' -not -path '*/target/*' 2>/dev/null)
$(SAM_DEBUG_STAMP): $(SAM_SOURCES) | setup
	SAM_BUILD_MODE=debug sam build --config-env x86_64
	touch $@

test-template: setup $(SAM_DEBUG_STAMP) ## sam build (debug), then deploy the template into moto's CloudFormation and check it
	$(PYTHON) tests/template/deploy_to_moto.py
	$(PYTHON) tests/template/check_spoke.py

# Needs a Docker daemon: without one it builds nothing and says SKIPPED
# (CI starts one and sets WATCHKEEPER_REQUIRE_DOCKER=1: .ci/run). Whether a
# daemon answers is asked only when this target is made (second expansion).
DOCKER_ANSWERS = timeout 30 docker info >/dev/null 2>&1 && echo yes
.SECONDEXPANSION:
test-sam-local: setup $$(if $$(shell $(DOCKER_ANSWERS)),$(SAM_DEBUG_STAMP)) ## sam build (debug), then sam local invoke of every function on its sample events against moto
	$(PYTHON) tests/sam-local/run.py

test: lint test-template test-sam-local test-rust fuzz-short ## Everything: lint, sam build (debug), template deployment, sam local invoke, all tests, a short fuzzing pass
	@awk '/^test result:/ {passed += $$4; failed += $$6} END {printf "\nSummary: %d passed, %d failed\n", passed, failed}' $(TEST_LOG)

demo: setup ## Run every function on its sample events against a local emulator
	@cargo build --quiet -p watchkeeper-demo
	@$(CARGO_TARGET_DIR)/debug/watchkeeper-demo

# The release bootstraps exactly as they ship (cargo lambda, the workspace
# release profile sam build uses) and the no-op floor, built in one command so
# that they share one feature set; then the harness, a debug build, since it
# is not what is measured. Results: $(CARGO_TARGET_DIR)/bench/results.json.
BENCH_PACKAGES := ec2-alarm-creator ami-permission-notifier codecommit-change-publisher health-event-forwarder idle-emr-terminator watchkeeper-bench-floor
bench: setup ## Measure the release bootstraps (cold start, CPU, memory, size, API calls, scaling) against moto over TLS
	cargo lambda build --release --x86-64 $(addprefix -p ,$(BENCH_PACKAGES))
	cargo build --quiet -p watchkeeper-bench
	$(CARGO_TARGET_DIR)/debug/watchkeeper-bench

fuzz: ## Fuzz each event parser and the notification renderer for FUZZ_SECONDS (300) each (cargo-fuzz, nightly)
	fuzz/run $(FUZZ_SECONDS)

fuzz-short: ## The short fuzzing pass in make test: 30 s per target
	fuzz/run 30

invoke: setup ## Run FUNCTION on EVENT locally against moto (cargo lambda watch/invoke)
	@FUNCTION=$(FUNCTION) EVENT=$(EVENT) tools/invoke

deploy: ## sam build && sam deploy (arm64; needs the aarch64 Rust target)
	rm -f $(SAM_DEBUG_STAMP)
	sam build && sam deploy

lock: ## Re-pin requirements-dev.lock after changing requirements-dev.txt
	rm -rf $(VENV) && python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	(echo "# Every package in .venv, pinned; generated with 'make lock' from requirements-dev.txt."; \
	 $(VENV)/bin/pip freeze --all | grep -vE '^(pip|setuptools|wheel)==') > requirements-dev.lock
	touch $(VENV)/.installed
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	(echo "# Every package in .venv/checkov, pinned; generated with 'make lock' from requirements-checkov.txt."; \
	 $(CHECKOV_VENV)/bin/pip freeze --all | grep -vE '^(pip|setuptools|wheel)==') > requirements-checkov.lock
	touch $(CHECKOV_VENV)/.installed

clean: ## Remove SAM output and Lambda bundles (keeps the compiled dependency cache)
	rm -rf .aws-sam $(CARGO_TARGET_DIR)/lambda
