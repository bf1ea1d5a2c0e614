# djbot — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test index bench bench-scale lint eval clean browser postgres

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

# The real-model tests: llama-cpp-python compiles llama.cpp on its first install (10-35 min on 2 shared cores),
# then pip's wheel cache serves it. A portable AVX2 build: -march=native emits AMX instructions, which fault
# in virtual machines that report AMX but do not enable it.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF

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

run: index
	$(BIN)/djbot serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; the browser tests will be skipped"; }

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
# SERVERS=1 puts the store on a throwaway PostgreSQL and the vectors on a Chroma server.
bench-scale: install-test
	$(BIN)/python -m evals.bench_scale --docs 10 $(if $(SERVERS),--servers)
	$(BIN)/python -m evals.bench_scale --docs 100 $(if $(SERVERS),--servers)
	$(if $(FULL),$(BIN)/python -m evals.bench_scale --docs 1000 $(if $(SERVERS),--servers))

lint: install-test
	$(BIN)/ruff check retrieval bot evals tests
	$(BIN)/ruff format --check retrieval bot evals tests

clean:
	rm -rf data .pytest_cache .ruff_cache
