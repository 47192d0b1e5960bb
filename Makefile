# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FACILITY := examples/iec-2002

.PHONY: setup demo test check bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/loanbook conformed --facility $(FACILITY) --as-of 2002-10-15 --summary
	$(BIN)/loanbook check --facility $(FACILITY)
	$(BIN)/loanbook status --facility $(FACILITY) --as-of 2002-10-15
	$(BIN)/loanbook fees --facility $(FACILITY) --as-of 2002-10-15
	$(BIN)/loanbook obligations --facility $(FACILITY) --as-of 2002-10-15
	$(BIN)/loanbook explain availability --facility $(FACILITY) --as-of 2002-10-15

test: setup
	$(BIN)/python -m pytest -q

check: setup
	$(BIN)/ruff check loanbook tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
