# hospsim: two commands on a fresh clone. `make run` runs the main job on the embedded default; `make test` passes the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PARAMS ?= params/workshop.yaml
HOSPSIM := $(BIN)/hospsim
# One params selection for everything: every target passes -f $(PARAMS), and notebooks opened with `make lab`
# (or any hospsim command started from here) read the same file through HOSPSIM_PARAMS.
export HOSPSIM_PARAMS := $(PARAMS)

.PHONY: run test test-faults wheel-check install dev jars lab up down status simulate realism init seed stream reset counts course-reset bench lint fmt clean help

help:
	@echo "make run    - set up .venv, start the embedded services and run the whole course headlessly ($(PARAMS))"
	@echo "make test   - install the dev extra, fetch the Kafka/Debezium jars and run the whole test suite"
	@echo "make wheel-check - build the wheel, install it in a fresh venv and simulate from an empty folder"
	@echo "make lab    - JupyterLab at the project root on the course notebooks (saving strips their outputs)"
	@echo "make up / down / status - embedded PostgreSQL, Kafka and Kafka Connect"
	@echo "make init / seed / stream / reset / counts - the OLTP CDC simulator (as in the original project)"
	@echo "make course-reset - start the whole course over (data, warehouse, stream, OLTP, topics; runs/ kept)"
	@echo "every target takes PARAMS=params/FILE.yaml (default $(PARAMS))"
	@echo "make bench  - the benchmarks (figures next to same-run baselines)"
	@echo "make lint / fmt - ruff check; ruff's fixes on the Python files changed since $(FMT_BASE)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# setuptools tells every editable install to mind same-named folders; said on each install, it is noise here.
QUIET_BUILD := PYTHONWARNINGS="ignore:Editable installation"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(QUIET_BUILD) $(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(QUIET_BUILD) $(BIN)/pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

jars: install
	$(HOSPSIM) services fetch -f $(PARAMS)

run: install
	$(HOSPSIM) services fetch -f $(PARAMS)
	$(HOSPSIM) services up -f $(PARAMS)
	$(HOSPSIM) run -f $(PARAMS)

test: dev jars
	env -u HOSPSIM_PARAMS $(BIN)/pytest    # tests name their params; PARAMS is for the lab and the commands

test-faults: dev jars
	env -u HOSPSIM_PARAMS $(BIN)/pytest -m faults

wheel-check: dev     # hospsim as pip installs it: its SQL, presets and notebooks found from an empty folder
	VENV=$(VENV) .ci/wheel

# The project root, so params/, data/, runs/ and the reports are in reach; the config strips a course notebook's
# outputs on save (git status stays clean); HOSPSIM_PARAMS (exported above) carries PARAMS into the kernels.
lab: install
	$(BIN)/jupyter lab --config=jupyter_server_config.py --ServerApp.root_dir=. notebooks/00_setup.ipynb

up: install
	$(HOSPSIM) services up -f $(PARAMS)
down: install
	$(HOSPSIM) services down -f $(PARAMS)
status: install
	$(HOSPSIM) services status -f $(PARAMS)

simulate: install
	$(HOSPSIM) simulate -f $(PARAMS)
realism: install
	$(HOSPSIM) realism -f $(PARAMS)

init: install
	$(HOSPSIM) oltp init -f $(PARAMS)
seed: install
	$(HOSPSIM) oltp seed -f $(PARAMS)
stream: install
	$(HOSPSIM) oltp stream -f $(PARAMS)
reset: install        # the original OLTP project's reset: drop, recreate and seed its seven tables
	$(HOSPSIM) oltp reset -f $(PARAMS)
counts: install
	$(HOSPSIM) oltp counts -f $(PARAMS)
course-reset: install  # the whole course: data folders, warehouse, stream tables and topics, OLTP, connector
	$(HOSPSIM) reset --yes -f $(PARAMS)

bench: dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: dev
	$(BIN)/ruff check hospsim tests benchmarks

# ruff check --fix, not ruff format: the tree predates a formatter and `ruff format` would rewrite 101 files.
# Only the Python files changed since FMT_BASE (and new ones), so a fix never lands in someone else's code.
FMT_BASE ?= main
fmt: dev
	@files="$$( { git diff --name-only --diff-filter=d $(FMT_BASE) -- '*.py'; \
	             git ls-files --others --exclude-standard -- '*.py'; } | sort -u)"; \
	if [ -z "$$files" ]; then echo "make fmt: no Python file changed since $(FMT_BASE)"; \
	else $(BIN)/ruff check --fix $$files; fi

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
