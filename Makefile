# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install system clean

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

test: system install
	$(BIN)/ruff check okr_plugin tests bench
	$(BIN)/ruff format --check okr_plugin tests bench
	$(BIN)/mypy okr_plugin
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build dist *.egg-info okr.duckdb .pytest_cache .hypothesis
