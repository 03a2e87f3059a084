# make run   — install what is missing, start a private PostGIS under var/, serve :8000
# make test  — the whole suite, against a real PostGIS and a real Chromium
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format system-packages test-packages bench clean

run: system-packages $(VENV)/.installed
	$(PY) -m mapserver run

test: test-packages $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .

system-packages:
	@PYTHON=$(PYTHON) .ci/system-packages run

test-packages:
	@PYTHON=$(PYTHON) .ci/system-packages test

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

bench: system-packages $(VENV)/.installed
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var tests/artifacts
