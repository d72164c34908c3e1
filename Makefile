# Two commands do all the set-up on a fresh clone (Python 3.11+):
#   make demo   virtualenv, install, migrate, seed, then the demo at http://127.0.0.1:5000
#   make test   virtualenv, install, ruff (lint + format check), the full test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := $(BIN)/flask --app examples/intranet/intranet

.PHONY: demo test lint format bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smattest needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(BIN)/.installed
	$(DEMO) smattest db upgrade
	$(DEMO) intranet seed
	$(DEMO) run --host 127.0.0.1 --port 5000

test: $(BIN)/.installed lint
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info examples/intranet/instance
