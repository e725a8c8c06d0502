# The two front-door commands: `make serve` and `make test`. Both install into .venv/ first.
VENV := .venv
BIN := $(VENV)/bin
RAW_DIR ?= $(or $(ENFORCEMAP_RAW_DIR),../shared/data)

.PHONY: serve test build lint bench

$(BIN)/enforcemap: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/enforcemap
	$(BIN)/enforcemap serve

# The API tests run twice: on the embedded snapshot, then on PostGIS (a local one is started
# unless ENFORCEMAP_TEST_DATABASE_URL names one).
test: $(BIN)/enforcemap
	export ENFORCEMAP_TEST_DATABASE_URL="$${ENFORCEMAP_TEST_DATABASE_URL:-$$(deploy/postgis-local.sh)}" \
	  ENFORCEMAP_RAW_DIR=$(RAW_DIR) && \
	$(BIN)/pytest && \
	ENFORCEMAP_TEST_STORE=postgis $(BIN)/pytest tests/api

build: $(BIN)/enforcemap
	$(BIN)/enforcemap build --raw-dir $(RAW_DIR)

lint: $(BIN)/enforcemap
	$(BIN)/ruff check geo api maps tests
	$(BIN)/ruff format --check geo api maps tests

# Benchmarks need wrk (Debian's package) for the HTTP row.
bench: $(BIN)/enforcemap
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run
