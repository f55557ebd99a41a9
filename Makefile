# One entry point for every job. Targets create the venv they need from pinned, hashed
# lock files, so a fresh clone needs only Python 3.11 and make. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The environment: deployment.toml, or any envs/<name>.toml (its own folders, see README).
CONFIG ?= deployment.toml
REGION ?=
PYTEST_ARGS ?=
GENERATOR = $(PY) -m generator --config $(CONFIG)
# CI lints everything afresh; a developer's run reuses the results of unchanged templates.
NO_CACHE := $(if $(CI),--no-cache)
# Every install checks each file against the lock's hashes; --no-deps: exactly the lock.
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps
PIP_TOOLS := pip-tools==7.6.2

# checkov runs in its own venv: its pins of boto3 and others differ from requirements.lock.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv templates templates-all check test test-slow lint scan bench artifacts
.PHONY: publish deploy style lock lock-checkov clean plan plan-release rollout status

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## Create .venv from requirements.lock (every other target does this first)

templates: $(STAMP) ## Build, lint and write one environment's templates: make templates [CONFIG=envs/x.toml]
	$(GENERATOR) $(NO_CACHE)

templates-all: $(STAMP) ## Build, lint and write every committed environment
	$(GENERATOR) --all $(NO_CACHE)

check: $(STAMP) ## Fail (exit 1, with a diff) when any committed environment is stale
	$(GENERATOR) --check --all $(NO_CACHE)

test: $(STAMP) ## Run the test suite on every core (extra pytest options: PYTEST_ARGS=...)
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(STAMP) ## The tests marked slow: hypothesis explores many more examples
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

lint: $(STAMP) ## cfn-lint CLI over one environment's committed templates, each in its regions
	$(VENV)/bin/cfn-lint --regions $$($(GENERATOR) regions) -- $$($(GENERATOR) templates --regional)
	$(VENV)/bin/cfn-lint --regions $$($(GENERATOR) regions --home) -- $$($(GENERATOR) templates --home)

scan: $(CHECKOV_STAMP) $(STAMP) ## checkov over every committed environment's templates; fails on any failed check
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation \
	  $$(for t in $$($(GENERATOR) --all templates); do printf -- '-f %s ' $$t; done)

bench: $(STAMP) ## Print the benchmark tables: each speed goal beside its figure, functions per stack, plan, handlers
	$(PY) -m bench

plan: $(STAMP) ## What the current config would change against a git ref: make plan [REF=origin/main]
	$(GENERATOR) plan $(if $(REF),--against $(REF))

plan-release: $(STAMP) ## The Build stage's plan: against the running fleet, with the review gate
	$(GENERATOR) plan --live --output build/plan/plan.txt --json build/plan/plan.json \
	  --gate build/plan/gate.env

rollout: $(STAMP) ## Roll the built release out wave by wave without the pipeline (boto3)
	$(GENERATOR) rollout

status: $(STAMP) ## Every stack instance of the fleet: status, release, drift, live versions
	$(GENERATOR) status

artifacts: $(STAMP) ## What a release ships: bodies of the COMMITTED templates, and the zips they name
	$(GENERATOR) bodies
	$(GENERATOR) bundles

publish: $(STAMP) ## Upload the zips to one region's bucket: make publish REGION=r [FROM=dir | BUILT=dir]
	$(if $(REGION),,$(error REGION is required, e.g. make publish REGION=eu-west-1))
	$(GENERATOR) publish --region $(REGION) $(if $(FROM),--from $(FROM)) $(if $(BUILT),--built $(BUILT))

deploy: $(STAMP) ## Deploy the app stack as a developer stack (sam deploy --config-env): make deploy [CONFIG=..] [REGION=r]
	@command -v sam >/dev/null || { echo "error: the SAM CLI is not installed; install it (pip install aws-sam-cli) and run make deploy again" >&2; exit 2; }
	$(GENERATOR) $(NO_CACHE)
	region="$(REGION)"; [ -n "$$region" ] || region=$$($(GENERATOR) regions --first); \
	  $(GENERATOR) publish --region $$region && \
	  sam deploy --config-env $$($(GENERATOR) paths environment) --region $$region

style: $(STAMP) ## ruff check, ruff format --check, and mypy --strict over generator/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements.lock
	$(PY) -m pip check --disable-pip-version-check
	@# The project itself, importable from any folder: a path entry, no build, no egg-info.
	echo "$(CURDIR)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/stackset-serverless.pth"
	touch $@

# pip-compile (pip-tools, pinned, in a throwaway venv) pins the whole tree with the hash of
# every file PyPI serves for each pin, so any platform installs with --require-hashes.
define lock_recipe
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check $(PIP_TOOLS)
	PIP_FIND_LINKS= CUSTOM_COMPILE_COMMAND="make $(1)" .venv-lock/bin/pip-compile --quiet \
	  --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file $(3) $(2)
	rm -rf .venv-lock
endef

lock: ## Re-resolve requirements.txt into requirements.lock, with hashes
	$(call lock_recipe,lock,requirements.txt,requirements.lock)

lock-checkov: ## Re-resolve requirements-checkov.txt into requirements-checkov.lock, with hashes
	$(call lock_recipe,lock-checkov,requirements-checkov.txt,requirements-checkov.lock)

$(CHECKOV_STAMP): requirements-checkov.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP_INSTALL) -r requirements-checkov.lock
	$(CHECKOV_VENV)/bin/python -m pip check --disable-pip-version-check
	touch $@

clean: ## Remove the venvs and build/ (lint cache included)
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache .ruff_cache .mypy_cache
