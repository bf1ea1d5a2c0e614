"""Scale path: a real Chroma server (`chroma run`, the conftest fixture) shared through chromadb.HttpClient, and
concurrent asks during an ingest seeing either the old or the new index, never a mix."""

from __future__ import annotations

import shutil
import threading
import time

from retrieval.answer import answer
from retrieval.index import KnowledgeBase
from retrieval.search import search

from .conftest import KNOWLEDGE, make_settings


def test_ingest_and_ask_through_a_chroma_server(tmp_path, chroma_server, embedder):
    # Two "workers" share the server and one data dir (store + Q&A log on shared disk).
    settings = make_settings(tmp_path / "shared-data", chroma_url=chroma_server)
    writer = KnowledgeBase(settings, embedder=embedder)
    report = writer.ingest([KNOWLEDGE])
    assert not report.errors and report.chunks > 30
    assert not (tmp_path / "shared-data" / "chroma").exists(), "vectors live on the server, not locally"
    reader = KnowledgeBase(settings, embedder=embedder)
    assert reader.collection.count() == len(reader.snapshot().chunks)
    ans = answer("克什克腾旗一共评定了多少家五星级党组织？", reader, settings)
    assert not ans.refused and "12家" in ans.text


def test_asks_during_ingest_see_old_or_new_never_partial(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(KNOWLEDGE, docs)
    settings = make_settings(tmp_path / "data")
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([docs])
    old = {c.id for c in kb.snapshot().chunks}
    # A new version of one document plus a new document: a partial view would mix generations.
    src = docs / "002_89d235879069d946.txt"
    src.write_text(src.read_text("utf-8").replace("共评定五星级党组织12家", "共评定五星级党组织13家"), "utf-8")
    (docs / "new.txt").write_text("一、新增内容\n党组织要定期召开民主生活会，开展批评与自我批评，提高党内政治生活质量。\n", "utf-8")

    seen: list[frozenset[str]] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            snap = kb.snapshot()
            hits = search(kb, "五星级党组织 民主生活会", settings, snap=snap)
            assert all(h.chunk.id in snap.by_id for h in hits)
            seen.append(frozenset(c.id for c in snap.chunks))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    kb.ingest([docs])
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    new = {c.id for c in kb.snapshot().chunks}
    assert old != new
    assert seen and all(s in (frozenset(old), frozenset(new)) for s in seen)
    assert any(s == frozenset(new) for s in seen)
    assert "13家" in answer("克什克腾旗一共评定了多少家五星级党组织？", kb, settings).text
