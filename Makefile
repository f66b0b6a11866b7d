# Two commands a newcomer needs: `make demo` and `make test`. Both start with `make setup`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin

export PYSPARK_PYTHON := $(abspath $(BIN)/python)
export PYSPARK_DRIVER_PYTHON := $(abspath $(BIN)/python)
export SPARK_LOCAL_IP := 127.0.0.1
export OPENBLAS_NUM_THREADS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export EMPORIUM_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: setup demo test lint unit services-up services-down clean

setup: $(VENV)/.setup-stamp

$(VENV)/.setup-stamp: requirements.lock requirements-nodeps.txt pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	$(BIN)/emporium demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit

test: setup
	bash scripts/test.sh

services-up: setup
	$(BIN)/emporium services up

services-down: setup
	$(BIN)/emporium services down

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
