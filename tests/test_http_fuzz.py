"""Schemathesis over the OpenAPI schema: no request, however malformed, gets a 5xx."""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from bot.context import Context  # noqa: E402
from bot.http import create_app  # noqa: E402
from bot.qalog import QALog  # noqa: E402
from retrieval.index import KnowledgeBase  # noqa: E402

from .conftest import KNOWLEDGE, make_settings  # noqa: E402


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("fuzz")
    know = root / "knowledge"
    know.mkdir()
    shutil.copy(KNOWLEDGE / "002_89d235879069d946.txt", know)  # uploads and deletes stay in this sandbox
    s = make_settings(root / "data").model_copy(update={"knowledge_dir": know, "rate_limit": "100000/minute"})
    kb = KnowledgeBase(s, embedder=embedder)
    kb.ingest([know])
    return create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))


def test_no_server_errors(fuzz_app):
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(checks=[not_a_server_error])

        check()
