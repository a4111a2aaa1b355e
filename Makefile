# The README's two commands: `make run` and `make test`. Both create the virtual
# environment and install the project when needed. `make run ARGS="--port 0 --seed 1"`
# passes ARGS to `secretmock serve`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench bench-scale bench-deps clean browser-deps redis-deps screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/secretmock serve $(ARGS)

# Two pytest-xdist workers: the suite starts many servers and subprocesses, so two
# workers take it from about 130 s to about 100 s on a 2-core machine.
PYTEST_ARGS ?= -n 2

test: $(STAMP) browser-deps redis-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser/) drive a real headless Chromium: Debian's package,
# installed here when missing (about 113 MB to download; Playwright's own browser
# download is never used). Needs root or sudo, as on CI.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests (tests/browser/)"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends \
	    chromium fonts-dejavu-core; }

# The shared-store tests (tests/shared/) start their own Redis: Debian's redis-server
# (7.0, the BSD-licensed line), installed here when missing; the tests run it on a free
# loopback port with persistence off, so no service is needed beforehand.
redis-deps:
	@command -v redis-server >/dev/null || { \
	  echo "installing Debian's redis-server for the shared-store tests (tests/shared/)"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends \
	    redis-server; }

# Regenerates the screenshots the README shows (docs/img/), from the browser tests.
screenshots: $(STAMP) browser-deps
	SECRETMOCK_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

bench: $(STAMP) bench-deps
	$(BIN)/python -m bench.run

# One Fireworks tenant of 1,000,000 secrets, in-process: memory a secret takes and
# get/update/list latency from 10 to 1,000,000 secrets (about a minute; no wrk needed).
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

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
