# Xiaoneng — make run (embedded default) and make test (lint + the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-pg test-celery lint format bench e2e messages clean

setup: $(STAMP)
	@# PDF notices embed a TrueType CJK font (Debian's WenQuanYi Micro Hei); their tests read
	@# the text back with poppler's pdftotext. Installed here because no wheel ships them.
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc && command -v pdftotext >/dev/null || \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq fonts-wqy-microhei poppler-utils >/dev/null); \
	  else echo "PDF notices need: sudo apt-get install fonts-wqy-microhei poppler-utils" >&2; \
	    exit 1; fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python scripts/compile_messages.py
	$(BIN)/python scripts/vendor_assets.py
	touch $(STAMP)

messages: setup
	$(BIN)/python scripts/compile_messages.py --check

run: setup messages
	$(BIN)/xiaoneng run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/xiaoneng manage makemigrations --check --dry-run
	$(BIN)/python scripts/compile_messages.py --check

test: setup lint
	$(BIN)/pytest -n 2 -q

test-pg: setup
	XN_DATABASE_URL=$${XN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/xiaoneng} \
	XN_SECRET_KEY=$${XN_SECRET_KEY:-ci-only-secret} $(BIN)/pytest -n 2 -q

test-celery: setup
	XN_DATABASE_URL=$${XN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/xiaoneng} \
	XN_REDIS_URL=$${XN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	XN_SECRET_KEY=$${XN_SECRET_KEY:-ci-only-secret} $(BIN)/pytest -p no:xdist -q -m production tests/production

e2e: setup
	$(BIN)/pytest -q -m e2e tests/e2e

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var
