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

.PHONY: run test test-faults install dev jars lab up down status simulate realism init seed stream reset counts course-reset bench lint clean help

help:
	@echo "make run    - set up .venv, start the embedded services and run the whole course headlessly ($(PARAMS))"
	@echo "make test   - install the dev extra, fetch the Kafka/Debezium jars and run the whole test suite"
	@echo "make lab    - JupyterLab on the notebooks"
	@echo "make up / down / status - embedded PostgreSQL, Kafka and Kafka Connect"
	@echo "make init / seed / stream / reset / counts - the OLTP CDC simulator (as in the original project)"
	@echo "make course-reset - start the whole course over (data, warehouse, stream, OLTP, topics; runs/ kept)"
	@echo "every target takes PARAMS=params/FILE.yaml (default $(PARAMS))"
	@echo "make bench  - the benchmarks (figures next to same-run baselines)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev]"
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

lab: install
	$(BIN)/jupyter lab notebooks/

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

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
