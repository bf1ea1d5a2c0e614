# djbot — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

WHEELHOUSE := wheelhouse
# With a wheelhouse/ folder (make wheelhouse, carried over to a machine without internet), install only from it.
OFFLINE := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE),)

.PHONY: run test install install-test index bench bench-scale lint eval clean browser postgres wheelhouse pycheck chaos

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

# The real-model tests: llama-cpp-python compiles llama.cpp on its first install (10-35 min on 2 shared cores),
# then pip's wheel cache serves it. A portable AVX2 build: -march=native emits AMX instructions, which fault
# in virtual machines that report AMX but do not enable it.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF
# Every wheel djbot needs (and pip/setuptools to install them) in one folder to carry to an offline machine.
# The venv's up-to-date pip resolves extras (e.g. lxml[html-clean]) that an old system pip misses.
wheelhouse: $(BIN)/python
	$(BIN)/pip wheel --quiet --wheel-dir $(WHEELHOUSE) . pip setuptools wheel

# torch first, pinned to the CPU build on disk, or sentence-transformers pulls a multi-GB CUDA build.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st,dev]'
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e '.[llm-test]'
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

# PostgreSQL from Debian's packages: the store and replica tests start a throwaway cluster from its
# binaries (in a temp dir, on a loopback port). No fallback: those tests must run, never be skipped.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

test: install-test browser postgres
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/pytest

eval: index
	$(BIN)/djbot eval --dataset evals/datasets/dev.jsonl

bench: install
	$(BIN)/python -m evals.bench

# How cost grows with the knowledge base: N = 10 and 100 synthetic documents (1000 with FULL=1);
# SERVERS=1 puts the store on a throwaway PostgreSQL and the vectors on a Chroma server. N = 1000 is
# some 11 million tokens, about six hours of e5 here (ingest plus floor): it runs with stand-in passage
# vectors and a sampled embedding time (evals/bench_scale.py); STANDIN=1 does that for every N.
bench-scale: install-test
	$(BIN)/python -m evals.bench_scale --docs 10 $(if $(SERVERS),--servers) $(if $(STANDIN),--stand-in-vectors)
	$(BIN)/python -m evals.bench_scale --docs 100 $(if $(SERVERS),--servers) $(if $(STANDIN),--stand-in-vectors)
	$(if $(FULL),$(BIN)/python -m evals.bench_scale --docs 1000 --stand-in-vectors $(if $(SERVERS),--servers))

# Attack a running `djbot serve` on loopback (hostile bodies, forged callbacks, bad files, Telegram
# unreachable) and print attack / cases / failures; non-zero exit on any failure.
chaos: install-test
	$(BIN)/python -m evals.chaos

lint: install-test
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/ruff format --check retrieval bot evals tests

clean:
	rm -rf data .pytest_cache .ruff_cache
