# The README's two commands: `make run` and `make test`. Both create the virtual
# environment and install the project when needed. `make run ARGS="--port 0 --seed 1"`
# passes ARGS to `secretmock serve`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench bench-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/secretmock serve $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP) bench-deps
	$(BIN)/python -m bench.run

# wrk, the load generator `make bench` drives, from Debian's packages: installed only
# when missing, and said so (apt-get needs root: sudo is used when not root).
bench-deps:
	@if command -v wrk >/dev/null 2>&1; then \
		echo "wrk: $$(command -v wrk)"; \
	else \
		echo "wrk is missing: installing it from Debian's packages (apt-get install wrk)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
