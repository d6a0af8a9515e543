# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/monitor.toml

.PHONY: run test install install-dev lint typecheck upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

upgrade: install
	$(BIN)/monitor --config $(CONFIG) db upgrade

run: upgrade
	$(BIN)/monitor --config $(CONFIG) run

lint: install-dev
	$(BIN)/ruff check monitor tests bench migrations
	$(BIN)/mypy

typecheck: install-dev
	$(BIN)/mypy

test: install-dev
	@# The web page test drives Debian's Chromium through Playwright.
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium not installed (needs root and apt): the browser test skips outside CI"
	$(BIN)/ruff check monitor tests bench migrations
	$(BIN)/mypy
	$(BIN)/pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
