# fediops.mastodon — developer entry points. `make demo` and `make test` are all a new machine needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := $(VENV)/collections
LINK := $(COLLECTIONS)/ansible_collections/fediops/mastodon
SANITY_ROOT := $(VENV)/sanity
SANITY_COLLECTION := $(SANITY_ROOT)/ansible_collections/fediops/mastodon
GET_PIP_CACHE := $(HOME)/.ansible/test/cache/get_pip_24_2.py
SANDBOX_DIR := $(CURDIR)/.sandbox
SANDBOX := $(BIN)/python -m tests.emulators.sandbox
PYTEST_ARGS ?=
INTEGRATION_WORKERS ?= 2
CONTRACT_LOG := $(CURDIR)/tests/output/contract.jsonl
WRITE_DOCS ?=

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR ?= false
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export FEDIOPS_DO_OPENAPI_SPEC ?= $(abspath $(CURDIR)/../shared/digitalocean/openapi-subset.json)

.PHONY: help
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- setup
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	touch $@

.PHONY: venv
venv: $(STAMP) $(LINK)  ## create .venv with the pinned dependencies and the collection link

# The checkout becomes importable as fediops.mastodon without cloning into a special folder.
$(LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

.PHONY: spec-check
spec-check:
	@test -f "$(FEDIOPS_DO_OPENAPI_SPEC)" || { echo "DigitalOcean OpenAPI spec not found at $(FEDIOPS_DO_OPENAPI_SPEC); set FEDIOPS_DO_OPENAPI_SPEC" >&2; exit 2; }

# ---------------------------------------------------------------- sandbox
.PHONY: sandbox-up sandbox-down sandbox-status
sandbox-up: venv spec-check  ## start the local stand-ins, write .sandbox/env
	$(SANDBOX) up --state-dir $(SANDBOX_DIR)

sandbox-down: venv  ## stop the local stand-ins
	$(SANDBOX) down --state-dir $(SANDBOX_DIR)

sandbox-status: venv
	$(SANDBOX) status --state-dir $(SANDBOX_DIR)

# ---------------------------------------------------------------- demo
.PHONY: demo
demo: venv spec-check  ## provision the sandbox twice (the second run must show changed=0), then show what stands
	trap '$(SANDBOX) down --state-dir $(SANDBOX_DIR) >/dev/null' EXIT; \
	$(SANDBOX) up --state-dir $(SANDBOX_DIR); \
	source $(SANDBOX_DIR)/env; \
	echo "== first run: provision"; \
	ansible-playbook -i inventories/sandbox playbooks/provision.yml; \
	echo "== second run: nothing may change"; \
	ansible-playbook -i inventories/sandbox playbooks/provision.yml | tee $(SANDBOX_DIR)/demo-rerun.log; \
	$(BIN)/python tests/tools/check_recap.py --changed 0 --failed 0 $(SANDBOX_DIR)/demo-rerun.log; \
	$(BIN)/python tests/tools/sandbox_summary.py

# ---------------------------------------------------------------- tests
.PHONY: test sanity lint units integration molecule
test: venv spec-check  ## every quality gate: sanity, lint, unit, emulator and integration tests
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory units
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory build

$(GET_PIP_CACHE): tests/sanity/get_pip_standin.py
	mkdir -p $(dir $@)
	cp $< $@

sanity: venv $(GET_PIP_CACHE)  ## ansible-test sanity --local on a staged copy of the tracked files
	rm -rf $(SANITY_ROOT)
	mkdir -p $(SANITY_COLLECTION)
	git ls-files -z --cached --others --exclude-standard \
	  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C $(SANITY_COLLECTION)
	# ansible-test lists files with git: give the staged copy a repository of its own, or the
	# enclosing checkout (which ignores .venv) would hide every file from it.
	cd $(SANITY_COLLECTION) && git init -q && git add -A \
	  && ansible-test sanity --local --python 3.11 --color no

lint: venv  ## ansible-lint, production profile
	ansible-lint --profile production

units: venv spec-check  ## unit tests and the stand-ins' own tests (no sandbox needed)
	$(BIN)/python -m pytest -q -n 2 tests/unit tests/emulators $(PYTEST_ARGS)

integration: venv spec-check  ## modules, roles and playbooks through ansible-playbook against sandboxes, then Molecule, then the contract report (WRITE_DOCS=1: into docs/reliability.md)
	# Each pytest worker starts a sandbox of its own (tests reset it freely); a file's tests stay on one
	# worker, in order. Then the Molecule scenarios run against one more sandbox. Every DigitalOcean
	# emulator appends each request to $(CONTRACT_LOG); the contract report is made from it (and fails on a violation).
	mkdir -p $(dir $(CONTRACT_LOG)) && rm -f $(CONTRACT_LOG)
	env -u FEDIOPS_SANDBOX_DIR FEDIOPS_CONTRACT_LOG=$(CONTRACT_LOG) $(BIN)/python -m pytest -q -n $(INTEGRATION_WORKERS) --dist loadfile tests/integration $(PYTEST_ARGS)
	trap '$(SANDBOX) down --state-dir $(SANDBOX_DIR) >/dev/null' EXIT; \
	export FEDIOPS_CONTRACT_LOG=$(CONTRACT_LOG); \
	$(SANDBOX) up --state-dir $(SANDBOX_DIR); \
	source $(SANDBOX_DIR)/env; \
	$(MAKE) --no-print-directory molecule
	$(BIN)/python -m tests.tools.contract_report --log $(CONTRACT_LOG) --output $(basename $(CONTRACT_LOG)).md $(if $(WRITE_DOCS),--write-docs)

molecule: venv  ## Molecule scenarios against the running sandbox (source .sandbox/env first, or run via make integration)
	@test -n "$${FEDIOPS_SANDBOX_DIR:-}" || { echo "molecule needs the sandbox env: run make sandbox-up and source .sandbox/env" >&2; exit 2; }
	for scenario in $$(ls molecule); do molecule test -s $$scenario; done

# ---------------------------------------------------------------- benchmarks
.PHONY: bench
bench: venv spec-check  ## benchmarks on a sandbox of their own; rewrite docs/performance.md and docs/reliability.md (MAKE_TEST_LOG=path of a make test log)
	bench_dir=$$(mktemp -d); \
	trap '$(SANDBOX) down --state-dir '"$$bench_dir"' >/dev/null; rm -rf '"$$bench_dir" EXIT; \
	$(SANDBOX) up --state-dir $$bench_dir; \
	source $$bench_dir/env; \
	$(BIN)/python -m tests.benchmarks.provision_rerun --write-docs; \
	$(BIN)/python -m tests.benchmarks.side_by_side --write-docs; \
	$(BIN)/python -m tests.benchmarks.waits --write-docs; \
	$(BIN)/python -m tests.benchmarks.faults --write-docs; \
	$(SANDBOX) down --state-dir $$bench_dir >/dev/null; \
	$(BIN)/python -m tests.benchmarks.entry_points --write-docs $${MAKE_TEST_LOG:+--make-test-log "$$MAKE_TEST_LOG"}

# ---------------------------------------------------------------- packaging
.PHONY: build docs-check clean
build: venv  ## ansible-galaxy collection build into build/
	ansible-galaxy collection build --force --output-path build/

clean:  ## remove the virtualenv, sandbox state and build outputs
	-$(SANDBOX) down --state-dir $(SANDBOX_DIR) 2>/dev/null
	rm -rf .venv .sandbox build tests/output .pytest_cache
