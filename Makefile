# The two commands: `make run` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The virtualenv holds what requirements/ locks, with hashes: run.txt for running only, dev.txt for
# the tests, checks and benchmarks too. A stamp names the lock it installed, so a new lock reinstalls.
RUN_STAMP := $(VENV)/.run-$(shell cat requirements/run.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements/dev.txt | cksum | cut -d' ' -f1)
# The inner loop leaves out what needs a browser, nginx, the benchmark or a minute of its own.
FAST_TESTS := not browser and not stack and not bench and not slow
LOCK := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet

.PHONY: run stack test test-fast check lock bench migrate clean

run: $(RUN_STAMP)
	$(BIN)/python -m all_in_one

stack: $(RUN_STAMP)
	@scripts/install-system-packages
	$(BIN)/python -m local_stack

# The whole suite, as on a newcomer's machine: where the machine allows it, in a network namespace
# where nothing listens, so the tests start their own PostgreSQL and Redis.
test: check
	@scripts/install-system-packages
	scripts/without-network $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "$(FAST_TESTS)" $(PYTEST_ARGS)

check: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@scripts/lint-web

# After a change to pyproject.toml's dependencies: pin every package, transitive ones too, with hashes.
lock: $(DEV_STAMP)
	$(LOCK) -o requirements/run.txt
	$(LOCK) --extra test --extra bench --extra check -o requirements/dev.txt

# The server is pinned to core 0 by the benchmark itself; the load generator takes core 1.
bench: $(DEV_STAMP)
	@scripts/install-system-packages
	taskset -c 1 $(BIN)/python -m bench $(BENCH_ARGS)

migrate: $(RUN_STAMP)
	$(BIN)/python -m db.migrate

$(RUN_STAMP): requirements/run.txt
	@scripts/install-locked $(PYTHON) $(VENV) requirements/run.txt
	@rm -f $(VENV)/.run-*
	@touch $@

$(DEV_STAMP): requirements/dev.txt
	@scripts/install-locked $(PYTHON) $(VENV) requirements/dev.txt
	@rm -f $(VENV)/.dev-* $(VENV)/.run-*
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) *.egg-info
