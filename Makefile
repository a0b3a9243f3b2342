# One entry point for people and CI. `make test` is what .ci/run calls.
VENV     ?= .venv
BIN      := $(VENV)/bin
PYTHON   ?= python3
UV_PIN   := uv==0.13.9
SOURCES  := src tests benchmarks plugins

.PHONY: install demo test check lint typecheck imports pytest docs dist bench bench-compare schemas clean

VENDOR   := src/callboard/web/static/vendor

install: $(VENV)/.installed $(VENDOR)/.installed tests/oracle/node_modules/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV_PIN)
	# Compiled ahead: where PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile each module
	# again (about 6 s before the server answers, instead of 2).
	$(BIN)/uv sync --frozen --inexact --quiet --compile-bytecode
	# The change events, deployments, AWS inventory and integration (CI/CD, on-call, issues) plugins are part of the product as the demo shows them; the announcements example stays
	# out of the environment (its tests install it the way a user would, and uninstall it).
	$(BIN)/uv sync --frozen --inexact --quiet --compile-bytecode --package callboard-change-events --package callboard-deployments --package callboard-aws --package callboard-github-actions --package callboard-pagerduty --package callboard-jira --package callboard-gitlab-ci --package callboard-org
	# Callboard's own modules too (an editable install): where PYTHONDONTWRITEBYTECODE is set, each command would
	# compile them again on every run (about a second of `callboard --help`).
	$(BIN)/python -m compileall -q -x '/templates/' src plugins/*/src
	touch $@

# Front-end libraries come from the npm registry at build time; the portal serves them itself (no CDN).
$(VENDOR)/.installed: frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/htmx $(VENDOR)/swagger-ui $(VENDOR)/elkjs
	cp frontend/node_modules/htmx.org/dist/htmx.min.js frontend/node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js frontend/node_modules/swagger-ui-dist/swagger-ui.css \
	   frontend/node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	cp frontend/node_modules/elkjs/lib/elk.bundled.js frontend/node_modules/elkjs/LICENSE.md $(VENDOR)/elkjs/
	# Swagger UI draws its operations in a <main>, a second main landmark inside the page's own: make it a <div>
	# (the grep fails the build if a new Swagger UI version no longer matches, rather than leave two).
	sed -i 's/createElement("main",{id:"operations"/createElement("div",{id:"operations"/' $(VENDOR)/swagger-ui/swagger-ui-bundle.js
	grep -q 'createElement("div",{id:"operations"' $(VENDOR)/swagger-ui/swagger-ui-bundle.js
	touch $@

# Backstage's own validators, used by the tests as an oracle for validation verdicts.
tests/oracle/node_modules/.installed: tests/oracle/package.json tests/oracle/package-lock.json
	npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/callboard demo

lint: install
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

# Callboard's tests, then each out-of-tree plugin package's own tests, run from its folder as its author would.
PLUGIN_DIRS := $(wildcard plugins/*/)

pytest: install
	$(BIN)/pytest -n 2 -q
	for plugin in $(PLUGIN_DIRS); do (cd $$plugin && $(abspath $(BIN))/pytest -n 2 -q -p no:cacheprovider) || exit 1; done

# ruff, mypy --strict, import-linter contracts, then the tests.
check: lint typecheck imports pytest

test: check

# Wheels and sdists of Callboard and of every plugin in plugins/, into dist/ (the front-end files built by
# `install` go into Callboard's, so installing it needs no npm). Versions come from the git tag.
dist: install
	rm -rf dist
	$(BIN)/uv build --quiet --out-dir dist
	for plugin in $(PLUGIN_DIRS); do $(BIN)/uv build --quiet --out-dir dist $$plugin || exit 1; done
	ls -1 dist

docs: install
	$(BIN)/mkdocs build --strict --site-dir build/docs

# Quick figures; see docs/performance.md for the full-size runs (100,000 entities, PostgreSQL).
# Side by side with the real Backstage catalog backend (npm ci the first time): N entities, RUNS runs,
# DB=sqlite or postgresql for Callboard (Backstage always uses PostgreSQL). Prints a table of ratios.
N ?= 10000
RUNS ?= 3
DB ?= sqlite
# Callboard as `pip install callboard` installs it (no optional plugins), as Backstage's side runs its catalog alone.
BENCH_VENV := build/bench-venv
bench-compare: install
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(BENCH_VENV) $(BIN)/uv sync --frozen --no-dev --quiet --compile-bytecode
	$(BIN)/python -m compileall -q -x '/templates/' src
	CALLBOARD=$(CURDIR)/$(BENCH_VENV)/bin/callboard CB_DB=$(DB) benchmarks/compare/side_by_side.sh $(N) $(RUNS)

bench: install
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/ingestion.py --count 10000
	$(BIN)/python benchmarks/browse_memory.py --entities 1000000
	$(BIN)/python benchmarks/search_deletions.py --entities 1000000
	$(BIN)/python benchmarks/providers.py --users 20000
	$(BIN)/python benchmarks/catalog.py --count 10000
	$(BIN)/python benchmarks/pages.py --count 10000
	$(BIN)/python benchmarks/change_events.py --database sqlite --events 100000
	$(BIN)/python benchmarks/deployments.py --database sqlite --clusters 10 --workloads 1000 --steady-seconds 30

# Refresh the built-in kind schemas from the Backstage packages pinned in tests/oracle/package.json.
schemas: tests/oracle/node_modules/.installed
	node tests/oracle/export-schemas.js src/callboard/catalog/schemas

clean:
	rm -rf $(VENV) tests/oracle/node_modules frontend/node_modules $(VENDOR) build .mypy_cache .ruff_cache .pytest_cache
