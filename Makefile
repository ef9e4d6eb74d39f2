# Two commands on a fresh machine (see README):
#   make run    set up and run the main job on the default data
#   make test   set up and run the test suite
# For developers:
#   make lint       ruff (lint + format check), mypy, import contract (lint-imports)
#   make test-fast  the suite without slow and browser tests
#   make docs       regenerate the tables in docs/*.md from the data pack
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= ../shared/data
OUT    ?= out
BIN     = $(VENV)/bin

.PHONY: setup browser run test test-fast lint ruff-only mypy-only lint-imports-only docs bench

# mypy needs the package under its name `countylink`, but the repo root *is* the
# package: a folder holding one link `countylink -> repo root` serves as its MYPYPATH.
LINT_ROOT = $(VENV)/lint-root

$(BIN)/countylink: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/countylink

# Debian's Chromium for the browser tests (Playwright drives it; no browser download),
# and a CJK font so county names render in the screenshots.
browser:
	@dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi; }

run: setup
	$(BIN)/countylink run --data $(DATA) --out $(OUT)

# pytest exits 5 when no test was collected: make fails on that too (an empty suite is no pass).
test: setup browser
	COUNTYLINK_DATA=$(DATA) $(BIN)/python -m pytest

test-fast: setup
	COUNTYLINK_DATA=$(DATA) $(BIN)/python -m pytest -m "not slow and not browser"

$(LINT_ROOT)/countylink:
	mkdir -p $(LINT_ROOT)
	ln -sfn "$(CURDIR)" $(LINT_ROOT)/countylink

lint: setup ruff-only mypy-only lint-imports-only

ruff-only:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

mypy-only: $(LINT_ROOT)/countylink
	MYPYPATH=$(LINT_ROOT) $(BIN)/mypy -p countylink

lint-imports-only: $(LINT_ROOT)/countylink
	PYTHONPATH=$(LINT_ROOT) $(BIN)/lint-imports

docs: setup
	COUNTYLINK_DATA=$(DATA) $(BIN)/python docs/generate.py

bench: setup
	$(BIN)/python bench/matrix.py
