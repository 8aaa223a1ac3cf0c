# The two set-up commands are `make run` and `make test`; both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test build check bench

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q bridge site_config >/dev/null
	touch $(STAMP)

build: install
	$(BIN)/kb build

run: build
	$(BIN)/kb serve --port $(PORT)

check: install
	$(BIN)/kb check

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/search.py
