# Digits: the everyday commands. Nothing needs activating; every target calls
# .venv/bin/python explicitly and creates the virtualenv when it is missing.
#
#   make run      development server on http://127.0.0.1:8000 (SQLite, bundled model)
#   make test     the whole test suite, the real-browser tests included
#   make bench    accuracy, latency and whole-number benchmarks
#   make serve    production server (gunicorn, settings from the environment)

SHELL := /bin/bash

VENV        := .venv
PYTHON      := $(VENV)/bin/python
RUN_STAMP   := $(VENV)/.installed
DEV_STAMP   := $(VENV)/.installed-dev
CHROMIUM    := /usr/bin/chromium

# The MNIST file: the environment's choice wins; otherwise the shared copy beside the
# checkout, when there is one (tests that need it skip without it).
ifeq ($(strip $(DIGITS_MNIST_PATH)),)
  ifneq ($(wildcard ../shared/data/mnist.npz),)
    DIGITS_MNIST_PATH := $(abspath ../shared/data/mnist.npz)
  endif
endif
export DIGITS_MNIST_PATH

# In CI (CI=true or 1) a missing browser is an error; elsewhere the e2e tests skip.
IN_CI := $(filter true TRUE True 1,$(CI))

.PHONY: help run test bench bench-load wrk serve chromium install install-dev clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 22

# --- Setting up ------------------------------------------------------------------------

$(PYTHON):
	python3 -m venv $(VENV)

# Reinstall only when a requirements file is newer than its stamp.
$(RUN_STAMP): requirements.txt | $(PYTHON)
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PYTHON)
	$(PYTHON) -m pip install -r requirements-dev.txt
	touch $@ $(RUN_STAMP)  # the dev requirements include the runtime ones

install: $(RUN_STAMP)  ## create .venv and install the runtime requirements

install-dev: $(DEV_STAMP)  ## create .venv and install the test and lint tools too

# --- Using it --------------------------------------------------------------------------

run: $(RUN_STAMP)  ## fresh machine to running site: venv, requirements, migrate, runserver
	$(PYTHON) manage.py migrate --noinput
	@echo
	@echo "  To create an admin user (for /admin/):  $(PYTHON) manage.py createsuperuser"
	@echo "  Serving http://127.0.0.1:8000  (SQLite and the bundled model; Ctrl-C stops)"
	@echo
	$(PYTHON) manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP)  ## the whole suite (pytest), Chromium installed first for the e2e tests
	@$(MAKE) --no-print-directory chromium || \
	  $(if $(IN_CI),{ echo "Chromium is required in CI." >&2; exit 1; },echo "warning: no Chromium; the e2e tests will be skipped." >&2)
	$(PYTHON) -m pytest

bench: $(RUN_STAMP)  ## accuracy (MNIST, drawn digits), latency, whole numbers
	$(PYTHON) -m bench.accuracy
	$(PYTHON) -m bench.latency
	$(PYTHON) -m bench.numbers

bench-load: $(RUN_STAMP) wrk  ## load test: gunicorn + wrk on SQLite and PostgreSQL, Keras baseline (LOAD_ARGS="--seconds 20")
	$(PYTHON) -m bench.load $(LOAD_ARGS)

wrk:  ## install Debian's wrk (the load generator) when it is missing
	@command -v wrk >/dev/null || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y wrk || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update && $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y wrk; }; }

serve: $(RUN_STAMP)  ## production server: collectstatic, migrate, gunicorn (gunicorn.conf.py)
	$(PYTHON) manage.py collectstatic --noinput
	$(PYTHON) manage.py migrate --noinput
	$(VENV)/bin/gunicorn -c gunicorn.conf.py digitsite.wsgi

chromium:  ## install Debian's Chromium for the e2e tests, when /usr/bin/chromium is missing
	@if [ -x $(CHROMIUM) ]; then \
	  echo "Chromium: $(CHROMIUM)"; \
	else \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	  echo "Installing Chromium with apt-get"; \
	  $$apt install -y chromium chromium-driver || { $$apt update && $$apt install -y chromium chromium-driver; }; \
	  [ -x $(CHROMIUM) ] || { echo "$(CHROMIUM) is still missing" >&2; exit 1; }; \
	fi

clean:  ## remove caches and collected static files (keeps .venv and db.sqlite3)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles bench/out
