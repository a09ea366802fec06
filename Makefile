# chuangwei: `make run` to try it, `make test` to check it. Everything else is a step of those two.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run worker serve check-deploy test coverage system-packages install install-dev static migrate demo lint format migrations-check bench bench-docs bench-notify messages ci clean

# SECRET_KEY has no default (config/settings.py). Trying the app out and the developer's tools get
# a local key; `make serve`, `make migrate` on their own and manage.py in production must be
# given the real one, and stop, naming it, without it.
LOCAL_SECRET_KEY := chuangwei-local-only-not-secret
run worker migrations-check messages bench bench-docs bench-notify: export SECRET_KEY ?= $(LOCAL_SECRET_KEY)

# DEMO_MODE: the demo accounts keep their published password and need no second factor (README).
run: export DEMO_MODE := true
run: install system-packages static migrate demo  ## install, migrate, load the demo district, serve on 127.0.0.1:$(PORT) with a worker
	$(PY) manage.py runall 127.0.0.1:$(PORT)

worker: install migrate  ## one background worker alone (the schedule and the queue of tasks)
	$(PY) manage.py worker

# Production-like, as the systemd unit runs it (README, "Deployment"): gunicorn with
# config/gunicorn.conf.py after the static files and the migrations, with the environment's
# settings (SECRET_KEY required), with one background worker beside it that stops with it
# (WORKER= to run the workers elsewhere, as the systemd units in README's "Deployment" do).
WORKER ?= $(PY) manage.py worker
serve: install static migrate  ## production-like: gunicorn on 127.0.0.1:$(PORT) (needs SECRET_KEY in the environment)
	@if [ -n "$(WORKER)" ]; then $(WORKER) & trap "kill $$! 2>/dev/null" EXIT; fi; \
	$(VENV)/bin/gunicorn -c config/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

# Django's deployment checklist with the environment's settings: no warning may remain. CI runs it
# with production-like values (.ci/run); run it on the server with the real ones.
check-deploy: install
	$(PY) manage.py check --deploy --fail-level WARNING

test: install-dev system-packages  ## install what the tests need and run them all (DATABASE_URL selects PostgreSQL)
	$(PY) -m pytest

coverage: install-dev system-packages  ## the suite under coverage: line and branch figures per module
	$(PY) -m coverage run --branch -m pytest -q
	$(PY) -m coverage report --skip-covered --sort=cover

# What the app and its tests need from the system (Debian packages): chromium for the browser
# tests (Playwright may not download a browser of its own), CJK fonts so that screenshots and
# documents show Chinese, LibreOffice to turn bulletins into PDF, poppler to check those PDFs, and
# texlive-lang-chinese for its Fandol fonts: the only free 仿宋 and 楷体 with GB2312 coverage Debian
# ships (GPL with the font exception; documents/fonts.conf maps 仿宋_GB2312 and 楷体_GB2312 to them),
# installed without its recommended packages, which would bring the whole of TeX.
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-arphic-ukai libreoffice-writer-nogui poppler-utils
FONT_PACKAGES := texlive-lang-chinese
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	fonts=$$(for p in $(FONT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing$$fonts" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$missing $$fonts"; apt-get update -qq \
	    && { [ -z "$$missing" ] || apt-get install -y -qq $$missing >/dev/null; } \
	    && { [ -z "$$fonts" ] || apt-get install -y -qq --no-install-recommends $$fonts >/dev/null; }; \
	  else echo "please install: $$missing $$fonts (sudo apt-get install $$missing $$fonts)"; fi; \
	fi

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

# The screens on the configured database (DATABASE_URL: run it on a database meant for it, the
# write section commits transitions): BENCH_PROBLEMS problems built once with `demo --problems`.
BENCH_PROBLEMS ?= 100000
BENCH_LOAD_SECONDS ?= 10
bench: export DEMO_MODE := true
bench: install static migrate  ## every page a person opens at BENCH_PROBLEMS problems: median/min ms, queries, bytes; transitions/s
	$(PY) manage.py bench --problems $(BENCH_PROBLEMS) --export --load $(BENCH_LOAD_SECONDS) --json var/bench.json

bench-notify: install  ## deliver 10,000 messages to a loopback robot with 1 and 4 workers: throughput and p95 delay
	$(PY) manage.py bench_notify

bench-docs: install system-packages  ## time and memory of a 100,000-row problem export, a bulletin over 2,000 problems, a 10,000-row site import
	$(PY) manage.py bench_docs

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# The Chinese strings are the source, English the translation: updates locale/en/LC_MESSAGES/django.po
# (fill in its new msgstr entries by hand) and compiles the .mo that is committed beside it.
messages: install
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

ci:  ## what .ci/run does
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
