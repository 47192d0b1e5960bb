# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FACILITY := examples/iec-2002
DEMO_STORE := $(CURDIR)/.demo/loanbook.db

LOCK := requirements.lock

.PHONY: setup lock demo test check bench clean

# Every package at the version in the lock, checked against its hashes (the dev and spark extras included: the
# tests run Spark), then loanbook itself, editable, resolving nothing more.
setup: $(VENV)/.installed node_modules/.installed

# The web app's front-end libraries (htmx, Chart.js, Swagger UI, axe-core for the tests) at the versions in
# package-lock.json, served by `loanbook serve` from node_modules: never committed, never from a CDN.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The lock again, after a change to pyproject.toml's dependencies: for Python 3.11 on Linux x86_64 (CI's), keeping
# every version already locked that pyproject still allows. `make lock UPGRADE=--upgrade` takes the newest allowed.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra spark --generate-hashes --python-version 3.11 \
	    --python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock' $(UPGRADE) -o $(LOCK)

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
	$(BIN)/loanbook report bbc --facility iec-2002 --as-of 2002-10-15 --format pdf --out .demo/iec-2002-bbc-2002-10-15.pdf
	$(BIN)/loanbook calendar --facility iec-2002 > .demo/iec-2002.ics
	$(BIN)/loanbook import examples/dnow-2022
	$(BIN)/loanbook import examples/richey-1995
	$(BIN)/loanbook users add demo-agent --role agent --facility iec-2002 --facility dnow-2022 --facility richey-1995
	$(BIN)/loanbook users add demo-borrower --role borrower --facility iec-2002
	$(BIN)/loanbook users add demo-lender --role lender --facility iec-2002 --party ge-capital
	echo demo-agent-password | $(BIN)/loanbook users passwd demo-agent --password-stdin
	echo demo-borrower-password | $(BIN)/loanbook users passwd demo-borrower --password-stdin
	echo demo-lender-password | $(BIN)/loanbook users passwd demo-lender --password-stdin
	@echo "The web app: LOANBOOK_DB=$(DEMO_STORE) $(BIN)/loanbook serve, then http://127.0.0.1:8000/ (README: log-in)"

# The tests on every core (pytest-xdist); `make test WORKERS=0` runs them in one process. Bytecode is written even
# where the caller's environment says not to (PYTHONDONTWRITEBYTECODE): otherwise every worker and every `loanbook`
# the tests start compiles loanbook again, and pytest rewrites its plugins' modules again, each time.
WORKERS ?= auto
test: setup
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(WORKERS) --dist loadgroup

check: setup
	$(BIN)/ruff check loanbook tests benchmarks
	$(BIN)/mypy

# Speed, written to docs/performance.md (the load test drives the API with wrk, from Debian's packages).
bench: setup
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python benchmarks/replay.py
	$(BIN)/python benchmarks/api_load.py

clean:
	rm -rf $(VENV) node_modules *.egg-info .pytest_cache .hypothesis test-artifacts
