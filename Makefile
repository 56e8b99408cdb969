# hospsim: two commands on a fresh clone. `make run` runs the main job on the embedded default; `make test` passes the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PARAMS ?= params/workshop.yaml
HOSPSIM := $(BIN)/hospsim

.PHONY: run test test-faults install dev jars lab up down status simulate realism init seed stream reset counts bench lint clean help

help:
	@echo "make run    - set up .venv, start the embedded services and run the whole course headlessly ($(PARAMS))"
	@echo "make test   - install the dev extra, fetch the Kafka/Debezium jars and run the whole test suite"
	@echo "make lab    - JupyterLab on the notebooks"
	@echo "make up / down / status - embedded PostgreSQL, Kafka and Kafka Connect"
	@echo "make init / seed / stream / reset / counts - the OLTP CDC simulator (as in the original project)"
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
	$(HOSPSIM) services fetch

run: install
	$(HOSPSIM) services fetch
	$(HOSPSIM) services up -f $(PARAMS)
	$(HOSPSIM) run -f $(PARAMS)

test: dev jars
	$(BIN)/pytest

test-faults: dev jars
	$(BIN)/pytest -m faults

lab: install
	$(BIN)/jupyter lab notebooks/

up: install
	$(HOSPSIM) services up
down: install
	$(HOSPSIM) services down
status: install
	$(HOSPSIM) services status

simulate: install
	$(HOSPSIM) simulate -f $(PARAMS)
realism: install
	$(HOSPSIM) realism -f $(PARAMS)

init: install
	$(HOSPSIM) oltp init
seed: install
	$(HOSPSIM) oltp seed
stream: install
	$(HOSPSIM) oltp stream
reset: install
	$(HOSPSIM) oltp reset
counts: install
	$(HOSPSIM) oltp counts

bench: dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: dev
	$(BIN)/ruff check hospsim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
