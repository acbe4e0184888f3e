# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check lint install system clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A regular (not editable) install: the tests run against what `pip install .` ships, the dbt
# project included.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check '.[spark,test]'

demo: install
	$(BIN)/okr demo

# PostgreSQL, Chromium and Java for the tests (installed when run as root, else named)
system:
	scripts/system-deps

lint: install
	$(BIN)/ruff check okr_plugin tests bench
	$(BIN)/ruff format --check okr_plugin tests bench
	$(BIN)/mypy okr_plugin

test: system lint
	$(BIN)/pytest

# The inner loop: lint, types and the tests marked fast (those that build nothing).
check: lint
	$(BIN)/pytest -m fast

clean:
	rm -rf $(VENV) build dist *.egg-info okr.duckdb .pytest_cache .hypothesis
