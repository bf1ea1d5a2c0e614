"""Incremental ingestion against a real Chroma in a temp dir, with the real embedder."""

from __future__ import annotations

import shutil

import pytest

from retrieval.errors import IndexNotBuiltError
from retrieval.index import KnowledgeBase
from retrieval.search import search

from .conftest import KNOWLEDGE, make_settings

A = "一、活动经费\n非公企业党组织的活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n"
B = "二、阵地建设\n党组织活动场所要做到有场所、有设施、有标志、有党旗、有书报、有制度，帮助党员开展经常性活动。\n"
C = "三、队伍建设\n通过公开招选、选派退出现职领导干部等方式，选优配强两新组织党组织书记，并加强培训。\n"


@pytest.fixture
def small(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A, "utf-8")
    (docs / "b.txt").write_text(B, "utf-8")
    kb = KnowledgeBase(make_settings(tmp_path / "data"), embedder=embedder)
    return kb, docs


def _vector_ids(kb) -> set[str]:
    return set(kb.collection.get(include=[])["ids"])


def test_first_ingest_then_unchanged_is_not_reembedded(small):
    kb, docs = small
    first = kb.ingest([docs])
    assert sorted(first.added) == ["a.txt", "b.txt"] and first.embedded == first.chunks > 0
    again = kb.ingest([docs])
    assert sorted(again.unchanged) == ["a.txt", "b.txt"]
    assert again.embedded == 0 and again.added == [] and again.updated == []
    assert _vector_ids(kb) == {c.id for c in kb.snapshot().chunks}


def test_changed_document_replaced_and_removed_one_deleted_everywhere(small):
    kb, docs = small
    kb.ingest([docs])
    old_b = {c.id for c in kb.snapshot().chunks if c.source == "b.txt"}
    (docs / "a.txt").write_text(A.replace("财政补贴", "财政专项补贴"), "utf-8")
    (docs / "b.txt").unlink()
    (docs / "c.txt").write_text(C, "utf-8")
    report = kb.ingest([docs])
    assert report.updated == ["a.txt"] and report.added == ["c.txt"] and report.removed == ["b.txt"]
    snap = kb.snapshot()
    assert {c.source for c in snap.chunks} == {"a.txt", "c.txt"}
    assert not old_b & _vector_ids(kb), "removed document's vectors must leave Chroma"
    assert _vector_ids(kb) == {c.id for c in snap.chunks}
    assert "财政专项补贴" in "".join(c.text for c in snap.chunks)
    # Lexical side forgot b.txt too: its distinctive words find nothing from it.
    hits = search(kb, "有党旗 有书报", kb.settings)
    assert all(h.chunk.source != "b.txt" for h in hits)


def test_bad_files_are_reported_and_the_rest_still_ingests(small):
    kb, docs = small
    kb.ingest([docs])
    (docs / "empty.txt").write_bytes(b"")
    (docs / "blob.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "tool.exe").write_bytes(b"MZ\x90\x00")
    (docs / "c.txt").write_text(C, "utf-8")
    (docs / "a.txt").write_bytes(b"\x00\x01\x02binary now")  # a known document turns bad
    report = kb.ingest([docs])
    failed = {e.source for e in report.errors}
    assert failed == {"empty.txt", "blob.txt", "tool.exe", "a.txt"}
    assert report.added == ["c.txt"]
    # The previous good version of a.txt stays indexed: nothing already indexed is lost.
    assert "a.txt" not in report.removed
    assert {c.source for c in kb.snapshot().chunks} == {"a.txt", "b.txt", "c.txt"}


def test_file_size_limit(small, tmp_path, embedder):
    kb, docs = small
    kb.settings.max_file_bytes = 100
    report = kb.ingest([docs])
    assert {e.source for e in report.errors} == {"a.txt", "b.txt"}
    assert all("文件过大" in e.reason for e in report.errors)


def test_ingest_single_file_does_not_remove_others(small):
    kb, docs = small
    kb.ingest([docs])
    extra = docs.parent / "extra.txt"
    extra.write_text(C, "utf-8")
    report = kb.ingest([extra])
    assert report.added == ["extra.txt"] and report.removed == []
    assert {c.source for c in kb.snapshot().chunks} == {"a.txt", "b.txt", "extra.txt"}
    assert kb.remove(["extra.txt"]) == ["extra.txt"]
    assert {c.source for c in kb.snapshot().chunks} == {"a.txt", "b.txt"}


def test_interrupted_ingest_leaves_previous_index_usable(small, monkeypatch):
    kb, docs = small
    kb.ingest([docs])
    before = {c.id for c in kb.snapshot().chunks}
    (docs / "c.txt").write_text(C, "utf-8")

    def boom(*a, **k):
        raise RuntimeError("killed mid-commit")

    monkeypatch.setattr(kb.store, "commit", boom)
    with pytest.raises(RuntimeError):
        kb.ingest([docs])
    monkeypatch.undo()
    # Vectors for c.txt may already be in Chroma, but the store never listed them: not visible.
    reopened = KnowledgeBase(kb.settings, embedder=kb.embedder)
    assert {c.id for c in reopened.snapshot().chunks} == before
    assert all(h.chunk.source != "c.txt" for h in search(reopened, "公开招选 选优配强", reopened.settings))
    # The next ingest finishes the job and cleans orphan vectors.
    reopened.ingest([docs])
    assert _vector_ids(reopened) == {c.id for c in reopened.snapshot().chunks}


def test_empty_index_raises_clear_error(tmp_path, embedder):
    kb = KnowledgeBase(make_settings(tmp_path / "empty"), embedder=embedder)
    with pytest.raises(IndexNotBuiltError) as info:
        kb.snapshot()
    assert "djbot ingest" in info.value.message


def test_collection_has_no_default_embedding_function(kb):
    # Chroma was never asked to embed: every stored vector came from our embedder (dim 384).
    got = kb.collection.get(limit=1, include=["embeddings"])
    assert len(got["embeddings"][0]) == kb.embedder.dim == 384
    assert kb.collection.count() == len(kb.snapshot().chunks)


def test_chunk_settings_change_rebuilds(tmp_path, embedder):
    docs = tmp_path / "k"
    shutil.copytree(KNOWLEDGE, docs)
    kb = KnowledgeBase(make_settings(tmp_path / "d", chunk_chars=300), embedder=embedder)
    kb.ingest([docs / "000_541056156f50baf9.txt"])
    coarse = len(kb.snapshot().chunks)
    kb2 = KnowledgeBase(make_settings(tmp_path / "d", chunk_chars=150), embedder=embedder)
    report = kb2.ingest([docs / "000_541056156f50baf9.txt"])
    assert report.updated == ["000_541056156f50baf9.txt"] and report.unchanged == []
    assert len(kb2.snapshot().chunks) > coarse


def test_lost_vector_store_is_restored_from_the_cache(small):
    kb, docs = small
    kb.ingest([docs])
    live = {c.id for c in kb.snapshot().chunks}
    kb.collection.delete(ids=sorted(live))  # Chroma wiped, the store and cache survive
    report = kb.ingest([docs])
    assert report.unchanged == ["a.txt", "b.txt"] and report.embedded == 0
    assert _vector_ids(kb) == live


def test_dense_search_returns_the_exact_best_passages_in_a_stable_order(kb):
    # The last passage kept sets the scale of every dense score in the fusion: it must not change from one
    # run to the next (Chroma's approximate index had swapped the 40th passage in one run of ten).
    import numpy as np

    snap = kb.snapshot()
    stored = kb.collection.get(include=["embeddings"])
    vectors = {i: np.asarray(v) for i, v in zip(stored["ids"], stored["embeddings"], strict=True)}
    qvec = kb.embedder.embed_query("新郑市工商联是怎样落实非公企业党建工作责任的？")
    exact = sorted(((i, float(v @ qvec / np.linalg.norm(v))) for i, v in vectors.items() if i in snap.by_id),
                   key=lambda kv: -kv[1])[:40]
    found = kb.dense(qvec, 40, snap.by_id)
    assert [i for i, _ in found] == [i for i, _ in exact]
    assert found == kb.dense(qvec, 40, snap.by_id)


def test_past_the_exact_limit_the_approximate_index_finds_the_same_best_passages(kb):
    from retrieval.index import KnowledgeBase

    approximate = KnowledgeBase(kb.settings.model_copy(update={"exact_dense_max": 0}), embedder=kb.embedder)
    snap = approximate.load()
    qvec = kb.embedder.embed_query("企业正式党员不足三人，怎么联合组建党组织？")
    exact, approx = kb.dense(qvec, 10, kb.snapshot().by_id), approximate.dense(qvec, 10, snap.by_id)
    # which path each took: the exact one holds every vector, the approximate one none
    assert kb.dense_state(kb.snapshot().by_id)[2] is not None and approximate.dense_state(snap.by_id)[2] is None
    assert [i for i, _ in approx[:5]] == [i for i, _ in exact[:5]]
    assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(approx[:5], exact[:5], strict=True))


def test_an_edited_user_dictionary_retokenizes_the_index_and_readyz_says_it_is_stale(tmp_path, embedder):
    # The passages' words are cut with the user dictionary at ingest; an edited dictionary must re-cut them, or
    # a question cut with the new words misses the passages cut with the old (钟攸平 as 上钟/攸平).
    from fastapi.testclient import TestClient

    from bot.context import Context
    from bot.http import create_app
    from bot.qalog import QALog
    from retrieval.index import index_is_current

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A + "会议上钟攸平提出了要求，活动经费要有保障，党组织要有钱办事。\n", "utf-8")
    (docs / "b.txt").write_text(B, "utf-8")
    userdict = tmp_path / "userdict.txt"
    s = make_settings(tmp_path / "data", user_dict=userdict)
    kb = KnowledgeBase(s, embedder=embedder)
    kb.ingest([docs])
    assert "钟攸平" not in kb.snapshot().lexical.df
    userdict.write_text("钟攸平 20 nr\n", "utf-8")
    edited = KnowledgeBase(s, embedder=embedder)
    assert not index_is_current(edited)
    api = create_app(s, Context(settings=s, kb=edited, qalog=QALog(s)))
    with TestClient(api) as c:
        body = c.get("/readyz").json()
        assert body["status"] == "ready" and body["index_current"] is False and "djbot ingest" in body["index_note"]
    # One file uploaded after the edit: the other is cut again from its stored text, not dropped.
    report = edited.ingest([docs / "b.txt"])
    assert sorted(report.updated) == ["a.txt", "b.txt"] and not report.removed and not report.errors
    snap = edited.snapshot()
    assert snap.lexical.df.get("钟攸平", 0) == 1 and set(snap.documents) == {"a.txt", "b.txt"}
    assert index_is_current(edited)
    assert sorted(edited.ingest([docs]).unchanged) == ["a.txt", "b.txt"]  # and once only


def test_names_the_documents_give_after_a_role_are_kept_whole_without_a_dictionary_entry(tmp_path, embedder):
    from retrieval.index import index_is_current

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A + "中国个体劳动者协会会长钟攸平，介绍了各地的做法。会议上钟攸平提出，经费要有保障。\n", "utf-8")
    s = make_settings(tmp_path / "data", user_dict=tmp_path / "none.txt")  # no user dictionary at all
    kb = KnowledgeBase(s, embedder=embedder)
    kb.ingest([docs])
    snap = kb.snapshot()
    assert snap.lexical.df.get("钟攸平", 0) == 1 and "钟攸平" in kb.tokenizer.words("会议上钟攸平提出了什么？")
    assert index_is_current(kb)
    # A document bringing another name re-cuts the one already indexed (from its stored text), once.
    (docs / "b.txt").write_text(B + "挂职干部白景文在石材行业推行了这个办法。\n", "utf-8")
    report = kb.ingest([docs / "b.txt"], sync=False)
    assert report.added == ["b.txt"] and report.updated == ["a.txt"] and not report.removed
    assert kb.tokenizer.names == ("白景文", "钟攸平") and kb.snapshot().lexical.df.get("白景文", 0) == 1
    assert sorted(kb.ingest([docs]).unchanged) == ["a.txt", "b.txt"]
    # Another process serving the same store cuts questions with the names of the documents it serves.
    replica = KnowledgeBase(s, embedder=embedder)
    asked = "会议上钟攸平提出了什么要求？"
    assert "钟攸平" not in replica.tokenizer.words(asked)  # 上钟/攸平 before it has read the documents
    replica.snapshot()
    assert "钟攸平" in replica.tokenizer.words(asked) and index_is_current(replica)


def test_a_failed_ingest_leaves_questions_cut_the_way_the_index_is(tmp_path, embedder, monkeypatch):
    from retrieval.index import index_is_current

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A + "中国个体劳动者协会会长钟攸平，介绍了各地的做法。\n", "utf-8")
    kb = KnowledgeBase(make_settings(tmp_path / "data", user_dict=tmp_path / "none.txt"), embedder=embedder)
    kb.ingest([docs])
    (docs / "b.txt").write_text(B + "挂职干部白景文在石材行业推行了这个办法。\n", "utf-8")

    def unreachable(*args, **kwargs):  # the store going away at the moment of the commit
        raise OSError("database is locked")

    monkeypatch.setattr(kb.store, "commit", unreachable)
    with pytest.raises(OSError):
        kb.ingest([docs / "b.txt"], sync=False)
    # The index still holds a.txt alone, cut with its names only: so are the questions.
    assert kb.tokenizer.names == ("钟攸平",) and set(kb.snapshot().documents) == {"a.txt"} and index_is_current(kb)
    monkeypatch.undo()
    assert kb.ingest([docs / "b.txt"], sync=False).added == ["b.txt"] and kb.tokenizer.names == ("白景文", "钟攸平")
