# infraaudit developer commands. `make setup` then `make test` is all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPA := $(BIN)/opa
POLICY_ROOTS := policies/infraaudit policies/testdata

.PHONY: setup opa relink test lint test-python test-policies bench bench-aws bench-gcp bench-recommend demo docs clean

setup: $(BIN)/python opa relink pack-venv
	@echo "setup done: run 'make test'"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=77' wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict

# OPA is built from the Go module proxy at the version pinned in tools/opa/go.mod
# (a tools module: `go install opa@v` refuses OPA's replace directives).
opa: $(OPA)
$(OPA): tools/opa/go.mod tools/opa/go.sum
	@if [ -n "$$INFRAAUDIT_OPA" ]; then \
		echo "using INFRAAUDIT_OPA=$$INFRAAUDIT_OPA"; ln -sf "$$INFRAAUDIT_OPA" $(OPA); \
	elif command -v go >/dev/null 2>&1; then \
		cd tools/opa && GOFLAGS=-mod=readonly go build -o ../../$(OPA) github.com/open-policy-agent/opa; \
	elif command -v opa >/dev/null 2>&1; then \
		echo "no Go toolchain; using opa found on PATH: $$(command -v opa)"; ln -sf "$$(command -v opa)" $(OPA); \
	else \
		echo "error: building OPA needs Go (https://go.dev/dl/; OPA 1.22 needs Go 1.26, which Go >= 1.21 fetches itself)."; \
		echo "       Or install OPA yourself (https://www.openpolicyagent.org/docs/#running-opa) and put it on PATH"; \
		echo "       or point INFRAAUDIT_OPA at it, then run 'make setup' again."; exit 1; \
	fi
	@$(OPA) version | head -1

# Strict editable installs link file by file: re-link so new modules are importable.
relink:
	@out=$$($(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
		--config-settings editable_mode=strict 2>&1) || { echo "$$out"; exit 1; }

test: relink lint test-python test-policies test-pack

lint:
	$(BIN)/ruff check audit cli stacks tests bench scripts policies/pulumi-pack
	$(BIN)/ruff format --check audit cli stacks tests bench scripts policies/pulumi-pack
	$(BIN)/mypy audit cli stacks

test-python:
	$(BIN)/pytest -q

test-policies:
	$(OPA) fmt --list --fail $(POLICY_ROOTS)
	$(OPA) check --strict -s policies/schemas/input.json policies/infraaudit
	$(OPA) test $(POLICY_ROOTS)

# The Pulumi CrossGuard pack (policies/pulumi-pack, docs/pulumi-pack.md) lives in its own venv:
# pulumi-policy 1.21 pins protobuf 5.29, which would downgrade .venv's google-cloud libraries.
# pip reads the pack's `-e ../..` relative to the current directory, so it installs from the
# pack folder (as Pulumi does). The opa link lets the pack find OPA beside its python.
PACK_VENV := .venv-pack
.PHONY: pack-venv test-pack
pack-venv: $(PACK_VENV)/bin/pytest
$(PACK_VENV)/bin/pytest: policies/pulumi-pack/requirements.txt $(OPA)
	rm -rf $(PACK_VENV)
	$(PYTHON) -m venv $(PACK_VENV)
	echo '*' > $(PACK_VENV)/.gitignore
	$(PACK_VENV)/bin/python -m pip install --quiet --upgrade pip 'setuptools>=77' wheel
	cd policies/pulumi-pack && ../../$(PACK_VENV)/bin/python -m pip install --quiet -r requirements.txt pytest pytest-timeout
	ln -sf $(abspath $(OPA)) $(PACK_VENV)/bin/opa
	@$(PACK_VENV)/bin/python -m pip list 2>/dev/null | grep -iE '^(pulumi|pulumi.policy|protobuf|google-cloud-compute) '

test-pack: $(PACK_VENV)/bin/pytest $(OPA)
	INFRAAUDIT_OPA=$(abspath $(OPA)) $(PACK_VENV)/bin/pytest -q policies/pulumi-pack/tests

bench:
	$(BIN)/python bench/engine.py --markdown

# infraaudit vs Cloud Custodian on one moto_server (~15 min, ~6 GiB). c7n pins its own boto3: own venv.
C7N_VENV := .bench/c7n-venv
$(C7N_VENV)/bin/custodian:
	$(PYTHON) -m venv $(C7N_VENV)
	$(C7N_VENV)/bin/pip install --quiet c7n==0.9.53
bench-aws: $(C7N_VENV)/bin/custodian
	$(BIN)/python bench/aws_scan.py --markdown

# The GCP collector on the local Compute/Monitoring servers: 500 and 2,000 VMs in 3 projects (~3 min).
bench-gcp:
	$(BIN)/python bench/gcp_scan.py --markdown

bench-recommend:
	$(BIN)/python bench/recommend.py --markdown

# A live AWS + GCP scan of seeded demo clouds on local servers: no cloud account needed.
demo:
	@$(BIN)/python scripts/demo.py $(ARGS)

# The policy reference is generated from the rules' METADATA.
docs:
	$(BIN)/infraaudit policies doc --output docs/policies.md

clean:
	rm -rf $(VENV) $(PACK_VENV) build dist *.egg-info .bench
