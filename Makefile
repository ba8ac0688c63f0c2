# The two commands: `make run` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run stack test bench migrate clean

run: $(STAMP)
	$(BIN)/python -m all_in_one

stack: $(STAMP)
	@scripts/install-system-packages
	$(BIN)/python -m local_stack

test: $(STAMP)
	@scripts/install-system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The server is pinned to core 0 by the benchmark itself; the load generator takes core 1.
bench: $(STAMP)
	@scripts/install-system-packages
	taskset -c 1 $(BIN)/python -m bench $(BENCH_ARGS)

migrate: $(STAMP)
	$(BIN)/python -m db.migrate

$(STAMP): pyproject.toml
	@scripts/ensure-venv $(PYTHON) $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@rm -f $(VENV)/.installed-*
	@touch $@

clean:
	rm -rf $(VENV) *.egg-info
