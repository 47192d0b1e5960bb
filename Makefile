# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FACILITY := examples/iec-2002
DEMO_STORE := $(CURDIR)/.demo/loanbook.db

.PHONY: setup demo test check bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The demo runs on the embedded store (a SQLite file), made afresh each time in .demo/.
demo: export LOANBOOK_DB := $(DEMO_STORE)
demo: setup
	rm -f $(DEMO_STORE) $(DEMO_STORE)-wal $(DEMO_STORE)-shm
	$(BIN)/loanbook import $(FACILITY)
	$(BIN)/loanbook conformed --facility iec-2002 --as-of 2002-10-15 --summary
	$(BIN)/loanbook check --facility iec-2002
	$(BIN)/loanbook status --facility iec-2002 --as-of 2002-10-15
	$(BIN)/loanbook fees --facility iec-2002 --as-of 2002-10-15
	$(BIN)/loanbook obligations --facility iec-2002 --as-of 2002-10-15
	$(BIN)/loanbook explain availability --facility iec-2002 --as-of 2002-10-15
	$(BIN)/loanbook record examples/records/iec-2002-correction.yaml --facility iec-2002
	$(BIN)/loanbook status --facility iec-2002 --as-of 2002-12-02
	$(BIN)/loanbook verify --facility iec-2002

test: setup
	$(BIN)/python -m pytest -q

check: setup
	$(BIN)/ruff check loanbook tests benchmarks
	$(BIN)/mypy

# Speed, written to docs/performance.md (the load test drives the API with wrk, from Debian's packages).
bench: setup
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python benchmarks/replay.py
	$(BIN)/python benchmarks/api_load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
