# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A regular (not editable) install: the tests run against what `pip install .` ships, the dbt
# project included.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check '.[spark,test]'

demo: install
	$(BIN)/okr demo

test: install
	$(BIN)/ruff check okr_plugin tests bench
	$(BIN)/ruff format --check okr_plugin tests bench
	$(BIN)/mypy okr_plugin
	$(BIN)/pytest

# The inner loop: lint, types and the tests marked fast (those that build nothing).
check: install
	$(BIN)/ruff check okr_plugin tests bench
	$(BIN)/ruff format --check okr_plugin tests bench
	$(BIN)/mypy okr_plugin
	$(BIN)/pytest -m fast

clean:
	rm -rf $(VENV) build dist *.egg-info okr.duckdb .pytest_cache .hypothesis
