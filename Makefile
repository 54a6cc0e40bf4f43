# `make test` is the test command CI runs (.ci/run); it needs only python3 on PATH.
# `make bench` runs the quick benchmark on every interpreter tox finds, then the go/no-go report.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BENCH_ENVS ?= py310-bench,py311-bench,py312-bench,py313-bench,py313t-bench,py314-bench,py314t-bench
# pyenv's interpreters (and ../shared/tools/install-python3.14.sh's 3.14, which installs into
# pyenv's versions folder), so tox finds python3.10 ... python3.14 (and 3.13t/3.14t where installed)
PYENV_PATH := $(shell ls -d $(HOME)/.pyenv/versions/*/bin 2>/dev/null | tr '\n' ':')
# PyCG's call-graph benchmark, where it lies beside the project: the bench measures the graph on it
ACCURACY_SUITE ?= $(wildcard $(CURDIR)/../shared/callgraph-benchmark/pycg-micro)

.PHONY: test bench lint clean

# The indexer (with the embedded database and the Rust PackStream encoder), the harness (the
# second distribution in ./harness, with the report's plots and the container provider) and
# this repository's test tools.
$(BIN)/.installed: pyproject.toml harness/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,fast,dask]' -e './harness[report,container]' --group test
	touch $@

# The self-test times parallel runs, so it runs after the rest, alone on the machine.
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=10 -m "not bench and not selftest"
	$(BIN)/python -m pytest -m selftest --durations=10

bench: $(BIN)/.installed
	RUN_ID=$$(date -u +%Y%m%dT%H%M%SZ)-bench; \
	export CODEGRAPH_RUN_ID=$$RUN_ID PATH="$(PYENV_PATH)$$PATH" CODEGRAPH_ACCURACY_SUITE="$(ACCURACY_SUITE)"; \
	export CODEGRAPH_ARCADEDB_HOME=$$($(BIN)/python -c 'import arcadedb_embedded, os; print(os.path.dirname(arcadedb_embedded.__file__))'); \
	$(BIN)/tox run -e $(BENCH_ENVS); \
	$(BIN)/tox run -e report -- --strict --complete-matrix; status=$$?; \
	echo "report: results/$$RUN_ID/REPORT.md"; exit $$status

lint: $(BIN)/.installed
	$(BIN)/ruff check indexer harness tests
	$(BIN)/mypy indexer harness/codegraph_harness

clean:
	rm -rf $(VENV) .pytest_cache .codegraph
