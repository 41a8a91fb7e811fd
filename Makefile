# Entry points: `make demo` runs the product on this machine, `make test` runs the whole suite,
# `make test-fast` the tier without live workers, servers or browser, `make lint` the linters.
# Each creates .venv from python3 and installs from pyproject.toml the first time, and again
# only when pyproject.toml changes (the stamp files below record the last install).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
LINT_STAMP := $(VENV)/.installed-lint
NPM_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: demo test test-fast lint format install

demo: $(APP_STAMP)
	$(PY) -m alweb.devserver

test: $(TEST_STAMP)
	@if [ -x $(CHROMIUM) ]; then \
		$(PY) -m pytest; \
	else \
		echo "Browser tests skipped: $(CHROMIUM) is not installed (apt-get install chromium chromium-driver)."; \
		$(PY) -m pytest -m "not browser"; \
	fi

test-fast: $(TEST_STAMP)
	$(PY) -m pytest -m "not live and not browser" -q -n 2

lint: $(LINT_STAMP) $(NPM_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npx --no-install eslint frontend/static
	npx --no-install prettier --check frontend/static

# Rewrite the files the way `make lint` wants them.
format: $(LINT_STAMP) $(NPM_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	npx --no-install prettier --write frontend/static

install: $(APP_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	touch $@ $(APP_STAMP)

$(LINT_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[lint]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
