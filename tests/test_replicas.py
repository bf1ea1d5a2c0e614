"""Stateless replicas: two `djbot serve` processes sharing a PostgreSQL store and Q&A log and a Chroma
server. A document ingested through one is answered by the other after its next poll; a replica
killed (-9) in the middle of an ingest leaves the other answering from the last committed generation,
and the next ingest (the database lock released with the dead session) completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from evals.servers import chroma_server, create_database, free_port
from retrieval.index import KnowledgeBase

from .conftest import KNOWLEDGE, make_settings

pytestmark = pytest.mark.postgres

A = "一、活动经费\n非公企业党组织的活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n"
B = "二、阵地建设\n党组织活动场所要做到有场所、有设施、有标志、有党旗、有书报、有制度，帮助党员开展经常性活动。\n"
C = "三、队伍建设\n通过公开招选、选派退出现职领导干部等方式，选优配强两新组织党组织书记，并加强培训。\n"
POLL_S = 0.5


class Replica:
    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (root / name / "knowledge").mkdir(parents=True)
        env = {**env, "DJBOT_DATA_DIR": str(root / name / "data"), "DJBOT_KNOWLEDGE_DIR": str(root / name / "knowledge")}
        self.log = open(root / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        exe = Path(sys.executable).parent / "djbot"
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(self.port)], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"replica {self.name} exited: see {self.log.name}"
            try:
                r = httpx.get(self.url + "/readyz", timeout=5)
                if r.status_code == 200:
                    return r.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"replica {self.name} not ready in {timeout} s")

    def generation(self) -> int:
        return httpx.get(self.url + "/readyz", timeout=10).json()["generation"]

    def upload(self, name: str, content: str) -> str:
        r = httpx.post(self.url + "/v1/documents", files=[("files", (name, content.encode(), "text/plain"))],
                       timeout=30)
        assert r.status_code == 202, r.text
        return r.json()["job"]

    def job(self, job_id: str) -> dict:
        return httpx.get(f"{self.url}/v1/jobs/{job_id}", timeout=10).json()

    def wait_job(self, job_id: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] != "running":
                assert job["status"] == "done", job
                return job
            time.sleep(0.2)
        raise AssertionError(f"ingest job on {self.name} did not finish in {timeout} s")

    def ask(self, question: str) -> dict:
        r = httpx.post(self.url + "/v1/ask", json={"question": question}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def deployment(postgres_server, tmp_path_factory, embedder):
    """A seeded PostgreSQL store + Chroma server, and two replicas serving them."""
    root = tmp_path_factory.mktemp("replicas")
    db = create_database(postgres_server, "replicas")
    with chroma_server(root / "chroma") as chroma:
        seed_docs = root / "seed"
        seed_docs.mkdir()
        (seed_docs / "a.txt").write_text(A, "utf-8")
        (seed_docs / "b.txt").write_text(B, "utf-8")
        seed = KnowledgeBase(make_settings(root / "seed-data", store_url=db, chroma_url=chroma), embedder=embedder)
        assert not seed.ingest([seed_docs]).errors
        seed.close()
        env = {**os.environ, "DJBOT_STORE_URL": db, "DJBOT_CHROMA_URL": chroma, "DJBOT_LOG_URL": db,
               "DJBOT_LOG_SALT": "replicas-share-one-salt", "DJBOT_STORE_POLL_S": str(POLL_S),
               "DJBOT_RATE_LIMIT": "100000/minute"}
        replicas = {n: Replica(n, root, env) for n in ("a", "b")}
        try:
            for r in replicas.values():
                r.wait_ready()
            yield {"db": db, "chroma": chroma, "root": root, **replicas}
        finally:
            for r in replicas.values():
                r.stop()


def _advisory_locks(db: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar_one()
    finally:
        engine.dispose()


def test_ingest_through_one_replica_answer_through_the_other(deployment):
    a, b = deployment["a"], deployment["b"]
    before = b.generation()
    assert a.generation() == before
    assert b.ask("怎样选优配强两新组织的党组织书记？")["refused"]  # not in the knowledge base yet

    a.wait_job(a.upload("c.txt", C))
    committed = time.monotonic()
    while b.generation() == before:  # b polls every POLL_S and swaps its snapshot in the background
        assert time.monotonic() - committed < 30, "replica b never picked up the new generation"
        time.sleep(0.05)
    seen_after = time.monotonic() - committed
    assert b.generation() == before + 1 == a.generation()

    ans = b.ask("怎样选优配强两新组织的党组织书记？")
    assert not ans["refused"] and {c["source"] for c in ans["citations"]} == {"c.txt"}
    # One Q&A log for both: what b answered is listed by a.
    log = httpx.get(a.url + "/v1/log", timeout=10).json()
    assert any("选优配强" in item["question"] for item in log["items"])
    print(f"replica b saw the new generation {seen_after:.2f} s after a's commit (poll {POLL_S} s)")


def test_replica_killed_mid_ingest_leaves_the_other_serving(deployment):
    a, b, db = deployment["a"], deployment["b"], deployment["db"]
    committed = b.generation()
    doc = (KNOWLEDGE / "000_541056156f50baf9.txt").read_text("utf-8")  # a few dozen chunks and sentences
    job_id = a.upload("big.txt", doc)
    deadline = time.monotonic() + 300
    while True:  # kill once a is embedding: it holds the ingest lock and has committed nothing yet
        job = a.job(job_id)
        assert job["status"] == "running", f"the ingest ended before it could be killed: {job}"
        if job["stage"] == "embed" and job["done"] > 0:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _advisory_locks(db) == 1, "the ingest must hold the database lock"
    os.kill(a.proc.pid, signal.SIGKILL)
    a.proc.wait()

    # b keeps answering from the last committed generation.
    assert b.generation() == committed
    ans = b.ask("非公企业党组织的活动经费可以从哪些渠道解决？")
    assert not ans["refused"] and {c["source"] for c in ans["citations"]} == {"a.txt"}

    # The server drops the dead session's lock; the next ingest (through b) completes.
    deadline = time.monotonic() + 30
    while _advisory_locks(db):
        assert time.monotonic() < deadline, "the dead replica's ingest lock was never released"
        time.sleep(0.1)
    result = b.wait_job(b.upload("big.txt", doc))["result"]
    assert result["added"] == ["big.txt"] and not result["errors"]
    assert b.generation() == committed + 1
    ans = b.ask("新郑市有多少户规模以上工业企业？")
    assert not ans["refused"] and "299" in ans["answer"] and ans["citations"][0]["source"] == "big.txt"

    # Chroma holds exactly the live chunks: whatever the dead ingest left behind was cleaned up.
    import chromadb

    host, port = deployment["chroma"].removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    (collection,) = client.list_collections()
    engine = create_engine(db)
    with engine.connect() as conn:
        live = set(conn.execute(text("SELECT id FROM chunks")).scalars())
    engine.dispose()
    assert set(collection.get(include=[])["ids"]) == live
