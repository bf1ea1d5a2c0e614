# djbot — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test index bench lint eval clean browser chaos

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

# torch first, pinned to the CPU build on disk, or sentence-transformers pulls a multi-GB CUDA build.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st,dev]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

index: install
	$(BIN)/djbot ingest

run: index
	$(BIN)/djbot serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; the browser tests will be skipped"; }

test: install-test browser
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/pytest

eval: index
	$(BIN)/djbot eval --dataset evals/datasets/dev.jsonl

bench: install
	$(BIN)/python -m evals.bench

# Attack a running `djbot serve` on loopback (hostile bodies, forged callbacks, bad files, Telegram
# unreachable) and print attack / cases / failures; non-zero exit on any failure.
chaos: install-test
	$(BIN)/python -m evals.chaos

lint: install-test
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/ruff format --check retrieval bot evals tests

clean:
	rm -rf data .pytest_cache .ruff_cache
