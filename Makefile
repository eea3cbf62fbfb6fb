# simcrm — all set-up happens here: `make run` and `make test` work on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SCENARIO ?= scenarios/lithium-hydroxide-refinery.toml

.PHONY: run quick test fuzz bench lint reference golden clean

# pip lists each package as it goes, so the first set-up shows progress from the start
$(STAMP): pyproject.toml
	@echo "== first time only: creating $(VENV) and installing simcrm with its dependencies"
	@echo "== (measured: about 1 to 2 minutes with a warm pip cache, longer on a slow network)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar off -e ".[test]" | grep --line-buffered -v "^Requirement already satisfied" || true
	$(BIN)/python -c "import simcrm.engine.run, simcrm.present.report"  # fails if pip did
	touch $(STAMP)

# the default scenario: 100 000 draws x 11 options x 5 worlds, charts and report
run: $(STAMP)
	$(BIN)/simcrm run $(SCENARIO) --force

# a first look in seconds: 2 000 draws, no charts
quick: $(STAMP)
	$(BIN)/simcrm run $(SCENARIO) --quick --force

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the long fuzzer (issue 19): 10 000 hostile mutants of the library scenarios, a table of
# outcomes; `make test` runs a short fixed-seed budget (tests/test_fuzz.py)
FUZZ_N ?= 10000
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --n $(FUZZ_N)

bench: $(STAMP)
	$(BIN)/simcrm bench

lint: $(STAMP)
	$(BIN)/ruff check simcrm tests

reference: $(STAMP)
	$(BIN)/python -m simcrm.spec.reference > docs/scenario-reference.md

clean:
	rm -rf $(VENV) results/*/ .pytest_cache

golden: $(STAMP)
	$(BIN)/python -m tests.golden.golden
