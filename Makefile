# Two commands set everything up on a fresh machine:
#   make quickstart   local Neo4j + GDS, load LastFM, show it with Cypher
#   make test         lint + the whole test suite against a real Neo4j
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: quickstart test unit lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

quickstart: $(VENV)/.installed
	$(BIN)/socialrec quickstart

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy socialrec tests benchmarks

# pytest's exit status 5 means it collected no tests: that is a failure here.
test: lint
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no tests: failing" >&2; exit 1; fi; exit $$rc

# The unit tests alone: no server, about a minute.
unit: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not integration" -q

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.load_rate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
