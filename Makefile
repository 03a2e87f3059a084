# make run   — install what is missing, start a private PostGIS under var/, serve :8000
# make test  — lint, the JS specs, then the whole suite against a real PostGIS and Chromium
# make lint  — ruff, and ESLint (pinned in .ci/js/package-lock.json) on static/js and tests/js
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
ESLINT := .ci/js/node_modules/.bin/eslint

.PHONY: run test test-js lint format system-packages test-packages lint-packages bench clean

run: system-packages $(VENV)/.installed
	$(PY) -m mapserver run

# Two pytest workers, each with its own PostgreSQL cluster (in memory: tests/conftest.py) and
# Chromium; a test module stays on one worker, so its module fixtures are built once. On the
# 2-core machine this halved the suite (17-18 min to 9.5). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

test: test-packages $(VENV)/.installed lint test-js
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The pure browser modules' specs (tests/js) on node's own test runner: no npm packages.
test-js: test-packages
	node --test tests/js/*.test.mjs

lint: $(VENV)/.installed .ci/js/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(ESLINT) -c .ci/js/eslint.config.js static/js tests/js

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .

system-packages:
	@PYTHON=$(PYTHON) .ci/system-packages run

test-packages:
	@PYTHON=$(PYTHON) .ci/system-packages test

lint-packages:
	@PYTHON=$(PYTHON) .ci/system-packages lint

.ci/js/node_modules/.installed: .ci/js/package-lock.json | lint-packages
	cd .ci/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

bench: system-packages $(VENV)/.installed
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var tests/artifacts .ci/js/node_modules
