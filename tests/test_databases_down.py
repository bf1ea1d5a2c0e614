"""A PostgreSQL server behind DJBOT_LOG_URL or DJBOT_STORE_URL that stops, restarts or wedges never takes the
service down: answers go on, /readyz names the part that is degraded, and nothing acknowledged is lost.

The database is a real PostgreSQL cluster; the failure is cut on the wire by a loopback TCP switch in front of
it (tests/netfault.py), so psycopg, SQLAlchemy's pool and djbot see the errors a real outage gives."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.context import Context
from bot.http import create_app
from bot.qalog import QALog
from retrieval.index import KnowledgeBase

from .conftest import make_settings
from .netfault import TcpSwitch
from .test_wecom import wait_for

pytestmark = pytest.mark.postgres

Q = "企业正式党员不足三人，怎么联合组建党组织？"


@pytest.fixture
def switched(pg_url):
    """(URL through the switch, the switch, the direct URL) for a fresh database."""
    url = make_url(pg_url)
    switch = TcpSwitch(url.host, url.port)
    yield url.set(host="127.0.0.1", port=switch.port).render_as_string(hide_password=False), switch, pg_url
    switch.close()


def rows(direct_url: str, sql: str) -> list:
    engine = create_engine(direct_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def in_time(fn, *args, **kw):
    """Run fn in a thread and return its result; a guard that fails the test on a hang (60 s, far above the
    1 s database timeout), not a speed check."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(fn(*args, **kw)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), f"{fn} still hangs"
    return out[0]


def test_log_database_down_spools_answers_and_writes_them_when_it_returns(kb, settings, tmp_path, switched):
    log_url, switch, direct = switched
    s = settings.model_copy(update={"data_dir": tmp_path, "log_url": log_url, "db_timeout_s": 1.0})
    api = create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))
    with TestClient(api) as c:
        first = c.post("/v1/ask", json={"question": Q, "session_id": "s1"}).json()
        assert c.get("/readyz").json()["log"] == {"status": "ok"}
        assert [r[0] for r in rows(direct, "SELECT id FROM answers")] == [first["answer_id"]]

        switch.set("down")  # the server stops: pooled connections drop, new ones are refused
        r = c.post("/v1/ask", json={"question": Q, "session_id": "s2"})
        assert r.status_code == 200 and "联合组建" in r.json()["answer"]
        follow = c.post("/v1/ask", json={"question": "那挂靠组建是什么意思？", "session_id": "s2"})
        # the follow-up found its previous turn in the spool
        assert follow.status_code == 200 and "不足三人" in follow.json()["standalone_question"]
        assert c.post("/v1/feedback", json={"answer_id": r.json()["answer_id"], "rating": -1}).json() == {"ok": True}
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert ready.json()["log"]["status"] == "degraded" and ready.json()["log"]["spooled"] == 2
        page = c.get("/v1/log")
        assert page.status_code == 503 and page.json()["error"]["code"] == "log_unavailable"

        switch.set("silent")  # a wedged server: accepts, never answers
        wedged = in_time(c.post, "/v1/ask", json={"question": Q, "session_id": "s3"})
        assert wedged.status_code == 200

        switch.set("up")
        wait_for(lambda: c.get("/readyz").json()["log"] == {"status": "ok"}, timeout=30)
        got = {r[0]: r[1] for r in rows(direct, "SELECT id, rating FROM answers")}
        assert set(got) == {first["answer_id"], r.json()["answer_id"], follow.json()["answer_id"],
                            wedged.json()["answer_id"]}
        assert got[r.json()["answer_id"]] == -1  # the feedback given while down was written after its answer
        assert not (tmp_path / "qalog-spool.jsonl").read_text()
        assert c.get("/v1/log").json()["total"] == 4


def test_service_starts_with_the_log_database_down(kb, settings, tmp_path, switched):
    log_url, switch, direct = switched
    switch.set("down")
    s = settings.model_copy(update={"data_dir": tmp_path, "log_url": log_url, "db_timeout_s": 1.0})
    qalog = in_time(QALog, s)  # no tables yet, no server: still a log, spooling
    assert qalog.status()["status"] == "degraded"
    answer_id = qalog.record(kb_answer(kb, s), channel="http", session="x")
    assert qalog.first_time("wecom:1", 60) and not qalog.first_time("wecom:1", 60)  # dedup within the process
    switch.set("up")
    wait_for(lambda: qalog.status() == {"status": "ok"}, timeout=30)
    assert [r[0] for r in rows(direct, "SELECT id FROM answers")] == [answer_id]


def kb_answer(kb, s):
    from retrieval.answer import answer

    return answer(Q, kb, s)


def test_document_store_down_keeps_the_index_serving_and_readyz_says_so(embedder, tmp_path, switched):
    store_url, switch, _ = switched
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("联合组建\n\n对有党员但不具备单建条件的企业，采取联合组建、挂靠组建的方式建立联合党组织。\n",
                                encoding="utf-8")
    s = make_settings(tmp_path / "data", store_url=store_url, db_timeout_s=1.0, store_poll_s=0.1)
    KnowledgeBase(s, embedder=embedder).ingest([docs])

    switch.set("down")  # the service starts while its document store is down: not ready, and says why
    kb = in_time(KnowledgeBase, s, embedder=embedder)
    api = create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))
    with TestClient(api) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and "文档库数据库无法连接" in r.json()["error"]["message"]
        assert c.post("/v1/ask", json={"question": Q}).json()["error"]["code"] == "document_store_unavailable"

        switch.set("up")  # it comes back: the index is read, without a restart
        wait_for(lambda: c.get("/readyz").status_code == 200, timeout=30)
        assert c.get("/readyz").json()["store"] == {"status": "ok"}

        switch.set("down")  # it goes away again: the index already read keeps answering
        wait_for(lambda: c.get("/readyz").json().get("store", {}).get("status") == "degraded", timeout=30)
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and "文档库数据库无法连接" in ready["store"]["reason"]
        answered = in_time(c.post, "/v1/ask", json={"question": Q})
        assert answered.status_code == 200 and "联合组建" in answered.json()["answer"]

        switch.set("up")
        wait_for(lambda: c.get("/readyz").json().get("store") == {"status": "ok"}, timeout=30)
