# cxcrm — the README's commands. Everything runs from a local virtualenv (.venv).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: venv install run test lint fmt messages i18n-check bench demo clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when requirements.txt changed.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv install: $(STAMP)

# Compile translations (.po -> .mo) when there are any; needs gettext's msgfmt.
messages: $(STAMP)
	@if find . -path ./.venv -prune -o -name '*.po' -print | grep -q .; then \
		$(PY) manage.py compilemessages --ignore .venv -v0; fi

# The translation check (CI): makemessages, then fail on an untranslated or fuzzy entry of the pt-BR, es, pl
# and el catalogues (docs/i18n.md). Needs gettext (msgattrib, msgfmt).
i18n-check: install
	PY=$(PY) bash scripts/i18n_check.sh

run: install messages
	PORT=$(PORT) bash scripts/run.sh

test: install messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmark at a real company's size (docs/benchmarks.md): builds its data set once in BENCH_DATABASE_URL
# (default an SQLite file in var/), then times every target. QUICK=1: 1 % of the size; REBUILD=1: empty a
# bench database holding another data set. wrk (the HTTP load of the single POST) comes from Debian.
bench: install messages
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -q wrk >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } || \
		echo "warning: wrk could not be installed; the single POST load is not run"
	$(PY) benchmarks/run.py $(if $(QUICK),--quick) $(if $(REBUILD),--rebuild)

demo: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3*
