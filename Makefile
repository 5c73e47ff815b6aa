# Two entry points for people: `make run` (demo app) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
PORT   ?= 8501
SCALE  ?= 0.01
NAIVE  ?= journeydb,visual_genome
PYTEST_ARGS ?=

.PHONY: install run demo test lint format bench load clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Build the demo data once (re-built when the generator changes).
demo: $(DATA)/.sample-built

$(DATA)/.sample-built: $(VENV)/.installed explorer/sample.py
	$(BIN)/explorer sample --out $(DATA)
	touch $@

run: install demo
	$(BIN)/explorer serve --data $(DATA) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks.run --scale $(SCALE) --naive-datasets $(NAIVE)

load: install
	$(BIN)/python -m pytest -m slow tests/test_load.py -p no:cacheprovider

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .ruff_cache
