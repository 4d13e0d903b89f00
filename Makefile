# cxcrm — the README's commands. Everything runs from a local virtualenv (.venv).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: venv install run test lint fmt messages bench demo clean

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

# Benchmarks (not timed unit tests): demo data at SCALE, then the operations users wait on.
SCALE ?= 1
bench: install messages
	$(PY) benchmarks/run.py --scale $(SCALE)

demo: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3*
