# Every target creates and uses the local virtual environment .venv; nothing needs installing by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.PHONY: help install serve test lint format bench clean

help:
	@echo "make serve   start the mock server on http://127.0.0.1:8080 (ARGS='--port 9000' to change)"
	@echo "make test    run the test suite (HYPOTHESIS_PROFILE=ci for the thorough profile)"
	@echo "make lint    ruff and mypy"
	@echo "make bench   benchmarks, ending with direct vs bare relay vs specmock proxy vs Prism proxy (not part of make test)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/specmock serve $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy specmock mocks contracts

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
