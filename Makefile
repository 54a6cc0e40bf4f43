# `make test` is the test command CI runs (.ci/run); it needs only python3 on PATH.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: test lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=10

lint: $(BIN)/.installed
	$(BIN)/ruff check indexer harness tests
	$(BIN)/mypy indexer harness

clean:
	rm -rf $(VENV) .pytest_cache .codegraph
