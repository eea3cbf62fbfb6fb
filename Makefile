# simcrm — all set-up happens here: `make run` and `make test` work on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SCENARIO ?= scenarios/lithium-hydroxide-refinery.toml

.PHONY: run test fuzz bench lint reference golden clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/simcrm run $(SCENARIO) --force

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
