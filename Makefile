# Two commands set everything up on a fresh machine:
#   make demo   - create .venv, install gansynth, fit on the embedded default table and write samples
#   make test   - create .venv, install gansynth with test extras, run the fast test tier (a few minutes)
#
# Also: make test-slow (the slow tier alone), make test-all (both tiers), make lint (ruff),
# make test-min (the fast tier against the lowest supported dependency versions),
# make docs (the Sphinx site, examples executed, into docs/_build/html).
#
# TORCH pins the PyTorch wheel installed *before* gansynth so that pip does not pull the newest
# CUDA build. Override it on a GPU machine, e.g. `make test TORCH=torch`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-all test-min lint install docs bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p out
	$(BIN)/gansynth sample --rows 10000 --epochs 100 --seed 0 -o out/student_placements_synthetic.csv

test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: install
	$(BIN)/python -m pytest -q -m slow

test-all: install
	$(BIN)/python -m pytest -q

# The fast tier against the lowest supported versions (.ci/minimum-versions.txt), in its own venv.
test-min:
	rm -rf .venv-min
	$(PYTHON) -m venv .venv-min
	.venv-min/bin/pip install --quiet --upgrade pip
	.venv-min/bin/pip install --quiet "$(TORCH)"
	.venv-min/bin/pip install --quiet -r .ci/minimum-versions.txt
	.venv-min/bin/pip install --quiet --no-deps -e .
	.venv-min/bin/python -m pytest -q -m "not slow" -p no:cacheprovider

lint: install
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

# Warnings are errors; the gallery examples run during the build (a few minutes on 2 cores).
# DOCS_EXAMPLES=fast executes only those that train no GAN (CI: the test suite runs the others).
DOCS_EXAMPLES ?= all
docs: install
	$(BIN)/pip install --quiet -e ".[docs]"
	GANSYNTH_DOCS_EXAMPLES=$(DOCS_EXAMPLES) $(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .venv-min out .pytest_cache docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst
