"""The document store on both backends: one ingest at a time (a database lock on PostgreSQL, a file lock
on SQLite), generations polled and swapped whole, no new generation for an unchanged re-ingest."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from retrieval.index import KnowledgeBase
from retrieval.search import search
from retrieval.store import Store

from .conftest import make_settings

A = "一、活动经费\n非公企业党组织的活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n"
C = "三、队伍建设\n通过公开招选、选派退出现职领导干部等方式，选优配强两新组织党组织书记，并加强培训。\n"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'shared' / 'djbot.sqlite3'}"


def test_one_ingest_at_a_time_across_processes_sharing_the_store(store_url, tmp_path):
    lock = tmp_path / "shared" / ".ingest.lock"  # what every replica on one SQLite file would use
    first, second = Store(store_url, lock_path=lock), Store(store_url, lock_path=lock)
    order: list[str] = []

    def other() -> None:
        with second.ingest_lock():
            order.append("second")

    with first.ingest_lock():
        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=1.0)
        assert t.is_alive(), "the second ingest must wait for the first"
        if store_url.startswith("postgresql"):
            engine = create_engine(store_url)
            with engine.connect() as conn:
                waiting = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                            "AND NOT granted")).scalar_one()
            engine.dispose()
            assert waiting == 1
        order.append("first")
    t.join(timeout=30)
    assert order == ["first", "second"]
    first.close()
    second.close()


def test_generation_polled_and_swapped_whole(store_url, tmp_path, chroma_server, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A, "utf-8")
    writer = KnowledgeBase(make_settings(tmp_path / "w", store_url=store_url, chroma_url=chroma_server),
                           embedder=embedder)
    reader = KnowledgeBase(make_settings(tmp_path / "r", store_url=store_url, chroma_url=chroma_server,
                                         store_poll_s=3600), embedder=embedder)
    writer.ingest([docs])
    old = reader.snapshot()
    assert {c.source for c in old.chunks} == {"a.txt"}

    (docs / "c.txt").write_text(C, "utf-8")
    writer.ingest([docs])
    assert reader.snapshot() is old, "between polls a replica keeps its snapshot"
    new = reader.refresh()
    assert new.generation == old.generation + 1 and {c.source for c in new.chunks} == {"a.txt", "c.txt"}
    assert reader.snapshot() is new
    # A question answered on the old snapshot sees only the old generation, although Chroma has more.
    hits = search(reader, "选优配强党组织书记", reader.settings, snap=old)
    assert hits and all(h.chunk.id in old.by_id for h in hits)
    assert any(h.chunk.source == "c.txt" for h in search(reader, "选优配强党组织书记", reader.settings, snap=new))

    # An unchanged re-ingest commits nothing, so no replica rebuilds its snapshot for it.
    report = writer.ingest([docs])
    assert sorted(report.unchanged) == ["a.txt", "c.txt"] and writer.store.generation() == new.generation


def test_watcher_swaps_in_the_background(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A, "utf-8")
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    writer = KnowledgeBase(make_settings(tmp_path / "w", store_url=url), embedder=embedder)
    writer.ingest([docs])
    reader = KnowledgeBase(make_settings(tmp_path / "w", store_url=url, store_poll_s=0.1), embedder=embedder)
    first = reader.snapshot()
    reader.start_watching()
    try:
        (docs / "c.txt").write_text(C, "utf-8")
        writer.ingest([docs])
        deadline = time.monotonic() + 30
        while reader.snapshot().generation == first.generation:
            assert time.monotonic() < deadline, "the watcher never swapped in the new generation"
            time.sleep(0.05)
        assert {c.source for c in reader.snapshot().chunks} == {"a.txt", "c.txt"}
    finally:
        reader.close()
