# djbot — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

WHEELHOUSE := wheelhouse
# With a wheelhouse/ folder (make wheelhouse, carried over to a machine without internet), install only from it.
OFFLINE := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE),)

.PHONY: run test install install-test index bench lint eval clean browser wheelhouse pycheck

pycheck:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "djbot 需要 Python 3.11 或更高版本，当前 $(PY) 是：$$($(PY) --version 2>&1)。"; \
	  echo "请安装 Python 3.11+，或用 make run PY=python3.11 指定。"; exit 1; }

$(BIN)/python: | pycheck
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet $(OFFLINE) --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet $(OFFLINE) -e .
	touch $@

# Every wheel djbot needs (and pip/setuptools to install them) in one folder to carry to an offline machine.
# The venv's up-to-date pip resolves extras (e.g. lxml[html-clean]) that an old system pip misses.
wheelhouse: $(BIN)/python
	$(BIN)/pip wheel --quiet --wheel-dir $(WHEELHOUSE) . pip setuptools wheel

# torch first, pinned to the CPU build on disk, or sentence-transformers pulls a multi-GB CUDA build.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st,dev]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

index: install
	$(BIN)/djbot ingest

run: pycheck index
	$(BIN)/djbot serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium (never a downloaded browser build), with a CJK font so that
# screenshots show Chinese text instead of boxes.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; } || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install chromium/fonts-noto-cjk; the browser tests will be skipped"; }

test: install-test browser
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/pytest

eval: index
	$(BIN)/djbot eval --dataset evals/datasets/dev.jsonl

bench: install
	$(BIN)/python -m evals.bench

lint: install-test
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/ruff format --check retrieval bot evals tests

clean:
	rm -rf data .pytest_cache .ruff_cache
