# jwtgate — the two commands: `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= var

.PHONY: serve test lint typecheck unit services lock clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (jwtgate needs Python 3.11+)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

serve: $(STAMP)
	@test -f $(DATA_DIR)/master.key || $(BIN)/jwtgate init --data-dir $(DATA_DIR)
	$(BIN)/jwtgate serve --data-dir $(DATA_DIR)

services:
	@scripts/ensure-services

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) services lint typecheck
	$(BIN)/pytest -q

# jwtgate beside Authlib and node-oidc-provider (issue 9), ~12 min; see bench/README.md.
.PHONY: bench
bench: $(STAMP) services
	PYTHON=$(PYTHON) bench/run.sh $(BENCH_ARGS)

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/jwtgate-lock && $(PYTHON) -m venv /tmp/jwtgate-lock
	/tmp/jwtgate-lock/bin/pip install --quiet ".[dev]"
	/tmp/jwtgate-lock/bin/pip freeze --exclude jwtgate > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
