# The two commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export IGSN_GRAPH_DATA ?= $(CURDIR)/var

.PHONY: serve test check bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## serve: install, create ./var, load the demo data once, serve on 127.0.0.1:8000
serve: $(BIN)/.installed
	$(BIN)/igsn-graph serve --demo

## test: install with the test extras and run the whole suite on every core (whole modules per worker, so a module's
## fixtures are built once; modules with slow tests first); ends with the 15 slowest tests. Bytecode is cached even
## where PYTHONDONTWRITEBYTECODE is set: CLI and server subprocesses then do not compile the package again (~0.2 CPU-s
## each), nor a later run's workers rewrite the test modules (~7 CPU-s each)
test: $(BIN)/.installed
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadscope --no-loadscope-reorder --durations=15

## check: lint, format and types (ruff and mypy, configured in pyproject.toml)
check: $(BIN)/.installed
	$(BIN)/ruff check igsn_graph api tests bench testkit
	$(BIN)/ruff format --check igsn_graph api tests bench testkit
	$(BIN)/mypy igsn_graph api

## bench: the benchmarks (load at 100,000 samples takes a while; see each script's --help)
bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/load.py 100000
	$(BIN)/python bench/sparql.py

clean:
	rm -rf $(VENV) var build dist
