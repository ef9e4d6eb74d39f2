# Two commands on a fresh machine (see README):
#   make run    set up and run the main job on the default data
#   make test   set up and run the test suite
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= ../shared/data
OUT    ?= out
BIN     = $(VENV)/bin

.PHONY: setup browser run test bench

$(BIN)/countylink: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

test: setup browser
	COUNTYLINK_DATA=$(DATA) $(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/matrix.py
