# Officina: `make run` installs and starts the application on SQLite with the service pack
# and its demo data; `make test` installs what the tests need and runs them all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the tests use: a PostgreSQL server and OpenLDAP's slapd, both started by
# the test harness itself, and Chromium, which Playwright drives in the browser tests (it never
# downloads a browser of its own) with fonts for readable screenshots.
TEST_DEBIAN_PACKAGES := postgresql slapd ldap-utils chromium fonts-liberation

.PHONY: run test install install-test lint benchmark clean

$(BIN)/officina: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/officina

install-test: install
	scripts/ensure-debian-packages $(TEST_DEBIAN_PACKAGES)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[test]'

run: install
	$(BIN)/officina init --instance $(INSTANCE)
	$(BIN)/officina migrate --instance $(INSTANCE)
	$(BIN)/officina demo --instance $(INSTANCE)
	trap 'kill 0' EXIT INT TERM; \
	$(BIN)/officina worker --instance $(INSTANCE) & \
	$(BIN)/officina run --instance $(INSTANCE) --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check core packs tests benchmarks
	$(BIN)/pytest

benchmark: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(INSTANCE) .pytest_cache .ruff_cache
