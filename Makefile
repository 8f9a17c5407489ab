# shardbook: the two commands are `make reproduce` and `make test` (see README).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SLOW ?= 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
# pip warns once per package about unused local index folders; keep its errors, drop that noise
QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

.PHONY: install fetch reproduce test test-slow lock clean-cache
# A venv with the verified, pinned environment (constraints.txt) and shardbook installed editable. The stamp
# holds a hash of pyproject.toml and constraints.txt (nbdev-export touches pyproject.toml's mtime, so mtimes won't do).
install:
	@h=$$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16); \
	if [ "$$(cat $(BIN)/.installed 2>/dev/null)" != "$$h" ]; then \
	  set -eo pipefail; \
	  test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  echo "installing the pinned environment into $(VENV)"; \
	  $(BIN)/python -m pip install -q -c constraints.txt torch $(QUIET); \
	  $(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]' $(QUIET); \
	  echo $$h > $(BIN)/.installed; \
	fi

# The default model (93 MB) and corpus, fetched and converted once into ~/.cache/shardbook (or $$SHARDBOOK_CACHE).
fetch: install
	$(BIN)/shardbook-fetch smollm2-135m --corpus lee

# Main job: execute every notebook top to bottom in place (SLOW=1 also runs the `#| slow` cells:
# bigger models, more data), regenerating results tables, figures and the README.
reproduce: fetch
	$(BIN)/nbdev-export
	SLOW=$(SLOW) $(BIN)/python tools/run_nbs.py
	$(BIN)/nbdev-clean
	$(BIN)/python tools/readme.py

# Tests: library in sync with notebooks, notebooks clean, README in sync with index.ipynb, then pytest over
# tests/ and nbval over every notebook (stored outputs must reproduce).
test: fetch
	$(BIN)/python tools/check_sync.py
	$(BIN)/python -m pytest -p no:cacheprovider tests nbs --nbval --nbval-current-env -q $(PYTEST_ARGS)

# On demand: the `#| slow` notebook cells (nbdev-test, without saving) and @pytest.mark.slow tests.
test-slow: fetch
	$(BIN)/nbdev-test --flags slow
	$(BIN)/python -m pytest -p no:cacheprovider tests --runslow -q

# Refresh the pinned environment from the current venv.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v "^shardbook" > constraints.txt

clean-cache:
	rm -rf $${SHARDBOOK_CACHE:-$$HOME/.cache/shardbook}
