# Two commands do all the set-up on a fresh clone (Python 3.11+):
#   make demo   virtualenv, install, migrate, seed, then the demo at http://127.0.0.1:5000
#               (make demo PORT=5222 serves on another port; the emailed links follow)
#   make test   virtualenv, install, Chromium for the browser tests, ruff (lint + format
#               check), import contracts, mypy --strict, the documentation site (warnings
#               are errors), the full test suite on every core (pytest-xdist)
#   make docs   the documentation site alone, in docs/_build/html

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# Links in the demo's mails point at the port it serves on, unless SMATTEST_BASE_URL
# is already set in the environment.
DEMO   := SMATTEST_BASE_URL=$${SMATTEST_BASE_URL:-http://127.0.0.1:$(PORT)} \
          $(BIN)/flask --app examples/intranet/intranet

# The browser tests drive the system's Chromium (Playwright cannot download
# browsers on locked-down machines). On Debian/Ubuntu `make test` installs the
# package `chromium`, through sudo unless run as root.
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test docs lint format bench clean chromium translations-extract translations-update translations

# smattest's own gettext domain, "smattest": the template keywords are _st and _stn
# (a host's _ stays the host's). extract writes the template (.pot) from the sources;
# update merges it into every catalog (new strings empty, no fuzzy guesses); translations
# compiles the .po files into the .mo files the wheel ships (committed: a clean clone
# installs without compiling). tests/test_catalogs.py fails on a missing or fuzzy string.
CATALOGS := smattest/translations
translations-extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _st -k _stn:1,2 -k lazy_gettext \
	  --project smattest --no-wrap --sort-by-file -o $(CATALOGS)/smattest.pot .

translations-update: translations-extract
	$(BIN)/pybabel update --no-fuzzy-matching --no-wrap -i $(CATALOGS)/smattest.pot -d $(CATALOGS) -D smattest

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -d $(CATALOGS) -D smattest

$(BIN)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smattest needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	@touch $@

demo: $(BIN)/.installed
	$(DEMO) smattest db upgrade
	$(DEMO) intranet seed
	$(DEMO) run --host 127.0.0.1 --port $(PORT)

# The tests' files (most tests' SQLite databases) go to memory (/dev/shm) where the
# machine has it writable with 2 GB free (a container's is often 64 MB): each commit
# on a disk waits for it, a quarter of an SQLite test's time.
SHM_FREE_KB := $(shell test -w /dev/shm && df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $$4}')
TEST_TMPDIR := $(if $(shell test "$(SHM_FREE_KB)" -ge 2000000 2>/dev/null && echo y),/dev/shm,$(or $(TMPDIR),/tmp))
#
# Python keeps compiled modules (__pycache__, ignored by git) even where the
# environment says not to: the worker processes and the processes the tests start
# (the scheduler, the wheel's app) would otherwise compile smattest anew, each time.
# worksteal: a worker that runs out takes tests from the other, so the few long
# tests do not leave one core idle at the end.
test: $(BIN)/.installed chromium lint docs
	TMPDIR=$(TEST_TMPDIR) PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto --dist worksteal

chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium (Debian package chromium) for the browser tests"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
	  echo "No chromium and no apt-get: the browser tests will be skipped" \
	       "(install Chromium and set SMATTEST_CHROMIUM to its path)."; \
	fi

# -W --keep-going: every warning (a broken link, a docstring autodoc cannot
# read, a setting missing from the reference) fails the build, all listed at once.
docs: $(BIN)/.installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy --strict smattest

# make bench                 the issue-13 table at 5,000 and 50,000 staff, SQLite and PostgreSQL
# make bench SIZES=5000      a quick run at one size
# make bench SIZES=50000 ONLY=import   some parts only (bench/run.py --only)
# BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/postgres names the server
SIZES ?= 5000,50000
bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,docs,bench]'
	$(BIN)/python bench/run.py --sizes $(SIZES) $(if $(ONLY),--only $(ONLY))

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info examples/intranet/instance docs/_build
