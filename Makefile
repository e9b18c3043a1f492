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

# The second pytest run checks the game without the CPU accelerator (ADVENTURE_ACCEL=off: MLX's
# bundled reference BLAS and mlx-lm's own forward pass): the narrator's tests on tiny models and
# the real-model tests marked `accel_off`, which load, convert and generate a few dozen tokens
# (~50 s here). The other real-model tests prefill 850-token prompts, minutes each on the
# reference BLAS; docs/accelerator.md has the measurements.
test: $(STAMP)
	$(BIN)/lint-imports pyproject.toml --no-cache
	$(BIN)/python -m pytest -q
	ADVENTURE_ACCEL=off $(BIN)/python -m pytest -q -m "not model or accel_off" tests/narrator tests/test_model_conversion.py

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/saves.py
	$(BIN)/python bench/tui.py
	$(BIN)/python bench/narrator.py

clean:
	rm -rf $(VENV) build dist *.egg-info
