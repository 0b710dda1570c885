# Officina: `make run` installs and starts the application on SQLite with the service pack
# and its demo data; `make test` installs what the tests need and runs them all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the application uses: LibreOffice without its desktop interface converts
# documents to PDF (a desktop's libreoffice-writer does as well, so it is kept if present),
# driven over UNO by Debian's Python (python3-uno), with fonts metrically compatible with
# Word's (Arial, Times New Roman, Calibri, Cambria) so a PDF keeps the document's layout.
RUN_DEBIAN_PACKAGES := 'libreoffice-writer-nogui|libreoffice-writer' python3-uno \
	fonts-liberation fonts-crosextra-carlito fonts-crosextra-caladea
# Debian packages the tests use besides those: a PostgreSQL server and OpenLDAP's slapd, both
# started by the test harness itself, Chromium, which Playwright drives in the browser tests (it
# never downloads a browser of its own; the fonts above make screenshots readable), and
# pdftotext (poppler-utils) to read the PDFs back.
TEST_DEBIAN_PACKAGES := $(RUN_DEBIAN_PACKAGES) postgresql slapd ldap-utils chromium poppler-utils

# The whole dependency tree is locked, with hashes: requirements/app.txt for the application,
# requirements/test.txt for it and the tests (the same versions; `make lock` refreshes both from
# pyproject.toml's lower bounds). Installs take exactly what the lock says, nothing newer.
LOCK_APP := requirements/app.txt
LOCK_TEST := requirements/test.txt
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes --no-deps

.PHONY: run test install install-run install-test lock lint benchmark clean

$(BIN)/officina: pyproject.toml $(LOCK_APP)
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r $(LOCK_APP)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/officina $(LOCK_TEST)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(PIP_LOCKED) -r $(LOCK_TEST)
	touch $@

install: $(BIN)/officina

install-run: install
	scripts/ensure-debian-packages $(RUN_DEBIAN_PACKAGES)

install-test: $(VENV)/.test-installed
	scripts/ensure-debian-packages $(TEST_DEBIAN_PACKAGES)

# Resolve pyproject.toml's dependencies again (newest releases within its bounds) into the
# locks; the test lock is resolved first and constrains the application's, so both agree.
lock: install
	test -x $(BIN)/uv || $(BIN)/pip install --quiet 'uv>=0.4'
	$(BIN)/uv pip compile --quiet --upgrade --generate-hashes --universal --python-version 3.11 \
		pyproject.toml requirements/build.in --extra test -o $(LOCK_TEST)
	$(BIN)/uv pip compile --quiet --upgrade --generate-hashes --universal --python-version 3.11 \
		pyproject.toml requirements/build.in -c $(LOCK_TEST) -o $(LOCK_APP)

run: install-run
	$(BIN)/officina init --instance $(INSTANCE) --mail-backend file --base-url http://$(HOST):$(PORT)
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
	$(BIN)/python benchmarks/documents.py

clean:
	rm -rf $(VENV) $(INSTANCE) .pytest_cache .ruff_cache
