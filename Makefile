# Two entry points: `make demo` runs the product on this machine, `make test` runs the suite.
# Both create .venv from python3 and install from pyproject.toml the first time, and again
# only when pyproject.toml changes (the stamp files below record the last install).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
CHROMIUM := /usr/bin/chromium

.PHONY: demo test install

demo: $(APP_STAMP)
	$(PY) -m alweb.devserver

test: $(TEST_STAMP)
	@if [ -x $(CHROMIUM) ]; then \
		$(PY) -m pytest; \
	else \
		echo "Browser tests skipped: $(CHROMIUM) is not installed (apt-get install chromium chromium-driver)."; \
		$(PY) -m pytest -m "not browser"; \
	fi

install: $(APP_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	touch $@ $(APP_STAMP)
