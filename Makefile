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

.PHONY: run test install install-run install-test lint benchmark clean

$(BIN)/officina: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/officina

install-run: install
	scripts/ensure-debian-packages $(RUN_DEBIAN_PACKAGES)

install-test: install
	scripts/ensure-debian-packages $(TEST_DEBIAN_PACKAGES)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[test]'

run: install-run
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
	$(BIN)/python benchmarks/documents.py

clean:
	rm -rf $(VENV) $(INSTANCE) .pytest_cache .ruff_cache
