# `make` installs everything and runs the pipeline on the shipped content;
# `make test` installs what the tests need and runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PUPPETEER_SKIP_DOWNLOAD := 1
export PUPPETEER_SKIP_CHROMIUM_DOWNLOAD := 1

.PHONY: all install system-deps site test lint clean bench bench-quick screenshots

all: site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	@scripts/system-deps.sh

# Byte-compiled as pip's regular install does (an editable one is not): where
# PYTHONDONTWRITEBYTECODE is set, as on CI machines, every run would otherwise compile
# the package's 100 modules again (0.3 s). Quick when nothing changed.
install: system-deps $(VENV)/.installed node_modules/.installed
	@$(BIN)/python -m compileall -q pipeline

site: install
	$(BIN)/pipeline build

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/mypy

# Every published page and index at 1,280 and 390 px, under output/screenshots/.
screenshots: site
	node scripts/screenshots.mjs output/site output/screenshots

bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --pages 100 --quick

clean:
	rm -rf output/build output/reports output/site output/site-* output/.cache output/screenshots \
	       locales/*/LC_MESSAGES/*.mo .pytest_cache .mypy_cache .ruff_cache
