# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean debian-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# --no-compile: byte-compiling every module of every package took half the install (65 s -> 34 s); Python
# compiles the modules it imports, once, on first use.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-compile -e '.[test]'
	touch $(STAMP)

## Install, migrate the embedded SQLite database, load the demo provider and serve it on 127.0.0.1.
demo: $(STAMP)
	FRONTLINE_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
	FRONTLINE_PROVIDER_NAME="Northwind Hosting & Access" \
	$(BIN)/frontline demo

## Real peers the tests drive, from Debian: Chromium for the browser tests (Playwright's own browser
## download cannot work offline), Dovecot for the IMAP tests, Prometheus and Alertmanager for the chain
## from a scraped exporter to a proactive case; gettext, whose extraction checks the portal's translation.
debian-packages:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  [ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	  [ -x /usr/bin/prometheus ] || missing="$$missing prometheus"; \
	  [ -x /usr/bin/prometheus-alertmanager ] || missing="$$missing prometheus-alertmanager"; \
	  command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	  [ -z "$$missing" ] || { \
	    [ "$$(id -u)" = 0 ] || { echo "The tests need Debian's packages:$$missing (apt-get install$$missing)"; exit 1; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }

## Install what the tests need and run the whole suite (and the linter), a process per core.
test: $(STAMP) debian-packages
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Benchmarks: every one in bench/, one after another (about an hour and a half), not part of `make test`
## or CI. Figures and the commands that produced them: bench/RESULTS.md.
bench: $(STAMP)
	PY=$(BIN)/python bench/everything.sh

clean:
	rm -rf $(VENV) var
