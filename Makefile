# Two entry points for a fresh machine: `make play` and `make test`.
# Each creates .venv when it is missing and installs what it needs (re-installs when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: play test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

play: $(STAMP)
	$(BIN)/adventure

test: $(STAMP)
	$(BIN)/lint-imports pyproject.toml --no-cache
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/saves.py
	$(BIN)/python bench/tui.py
	$(BIN)/python bench/narrator.py

clean:
	rm -rf $(VENV) build dist *.egg-info
