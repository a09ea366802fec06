# chuangwei: `make run` to try it, `make test` to check it. Everything else is a step of those two.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test browser install install-dev static migrate demo lint format migrations-check ci clean

run: install static migrate demo  ## install, migrate, load the demo district, serve on 127.0.0.1:$(PORT)
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install-dev browser  ## install what the tests need and run them all (DATABASE_URL selects PostgreSQL)
	$(PY) -m pytest

# Browser tests drive Debian's chromium (Playwright may not download a browser of its own), with
# CJK fonts so that screenshots show Chinese text.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk; }

install: $(VENV)/.installed node_modules/.installed
install-dev: install $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static: install
	$(PY) manage.py collectstatic --noinput --verbosity 0

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate  ## load the demo district once (does nothing when it is there)
	$(PY) manage.py demo

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

ci:  ## what .ci/run does
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
