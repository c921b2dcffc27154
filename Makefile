# Thin targets named by intent; each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench images clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/python examples/flights_delay/demo.py

test: install
	$(BIN)/python -m pytest -q tests

lint: install
	$(BIN)/ruff check runtime sandbox tests bench examples
	$(BIN)/ruff format --check runtime sandbox

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run

images: install
	@echo "sandbox images come with the Docker executor (issue 5)"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
