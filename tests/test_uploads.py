"""Issue 11, uploads: rejected files are quarantined (never in knowledge/), accepted jobs survive a
restart, reserved names and extensions are kept. Real app, real index in a temp dir."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient

from bot import uploads
from bot.context import Context
from bot.http import create_app
from bot.qalog import QALog
from retrieval.index import KnowledgeBase

from .conftest import make_settings
from .test_hostile_files import _bomb

GOOD = "一、活动经费\n非公企业党组织的活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n"


@pytest.fixture
def service(tmp_path, embedder):
    def build():
        s = make_settings(tmp_path / "data").model_copy(update={"knowledge_dir": tmp_path / "knowledge"})
        s.knowledge_dir.mkdir(exist_ok=True)
        kb = KnowledgeBase(s, embedder=embedder)
        return TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))), s, kb

    return build


def _wait_job(c, job_id, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job.get("status") in {"done", "failed"}:
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_rejected_upload_is_quarantined_not_left_in_knowledge(service):
    c, s, kb = service()
    unclear = bytes(b for i in range(60) for b in (0x81 + i % 30, 0x41 + i % 50))  # no clear encoding
    with c:
        r = c.post("/v1/documents", files=[("files", ("good.txt", GOOD.encode())),
                                           ("files", ("garbled.txt", unclear)),
                                           ("files", ("bomb.docx", _bomb(20)))])
        assert r.status_code == 202
        job = _wait_job(c, r.json()["job"])
        assert job["status"] == "done", job
        assert {q["file"] for q in job["result"]["quarantined"]} == {"garbled.txt", "bomb.docx"}
        assert sorted(p.name for p in s.knowledge_dir.iterdir()) == ["good.txt"]
        listed = c.get("/v1/quarantine").json()["files"]
        assert {f["file"] for f in listed} == {"garbled.txt", "bomb.docx"} and all(f["message"] for f in listed)
        # A later full reindex no longer trips over them.
        re_job = _wait_job(c, c.post("/v1/reindex").json()["job"])
        assert re_job["status"] == "done" and re_job["result"]["errors"] == []
        assert c.delete("/v1/quarantine/garbled.txt").status_code == 200
        assert c.delete("/v1/quarantine/garbled.txt").status_code == 404
        assert c.delete("/v1/quarantine/..%2F..%2Fdjbot.sqlite3").status_code == 404
        assert [f["file"] for f in c.get("/v1/quarantine").json()["files"]] == ["bomb.docx"]


def test_unreadable_file_already_in_knowledge_can_be_deleted(service):
    c, s, kb = service()
    (s.knowledge_dir / "good.txt").write_text(GOOD, "utf-8")
    (s.knowledge_dir / "broken.docx").write_bytes(b"PK\x03\x04broken")
    kb.ingest([s.knowledge_dir])
    with c:
        r = c.delete("/v1/documents/broken.docx")
        assert r.status_code == 200 and not (s.knowledge_dir / "broken.docx").exists()
        assert c.delete("/v1/documents/nothing.docx").status_code == 404


def test_reserved_names_are_refused_and_long_names_keep_their_extension(service):
    c, s, kb = service()
    (s.knowledge_dir / "userdict.txt").write_text("联合党支部 10 n\n", "utf-8")
    with c:
        r = c.post("/v1/documents", files=[("files", ("userdict.txt", GOOD.encode())),
                                           ("files", ("manifest.toml", GOOD.encode())),
                                           ("files", ("MANIFEST.TOML", GOOD.encode()))])
        assert r.status_code == 422
        assert all("保留文件名" in x["message"] for x in r.json()["rejected"])
        assert (s.knowledge_dir / "userdict.txt").read_text("utf-8") == "联合党支部 10 n\n"
        long = "关于进一步加强非公有制企业党建工作的若干意见" * 8 + ".txt"
        r = c.post("/v1/documents", files=[("files", (long, GOOD.encode()))])
        assert r.status_code == 202
        name = r.json()["accepted"][0]
        assert name.endswith(".txt") and len(name) <= 120 and len(name.encode()) <= 200
        assert _wait_job(c, r.json()["job"])["status"] == "done"
        assert (s.knowledge_dir / name).exists()


def test_safe_filename_keeps_extensions():
    assert uploads.safe_filename("甲" * 200 + ".docx").endswith(".docx")
    assert len(uploads.safe_filename("a" * 200 + ".docx")) == 120
    assert len(uploads.safe_filename("甲" * 200 + ".docx").encode()) <= 200
    assert uploads.safe_filename("../../a.pdf") == "a.pdf"


def test_upload_journaled_before_a_crash_is_resumed_at_start(service):
    c, s, kb = service()
    staging = uploads.Staging(s)  # what the upload route does before it answers 202 ...
    staging.add("resumed.txt", GOOD.encode())
    entry = staging.commit()  # ... and then the process dies before the job ran
    assert uploads.pending(s) == [entry]
    with c:  # the restart
        job = _wait_job(c, entry["id"])
        assert job["status"] == "done" and job["result"]["added"] == ["resumed.txt"]
    assert uploads.pending(s) == []
    assert "resumed.txt" in kb.store.documents()


def test_upload_size_check_still_applies(service):
    c, s, kb = service()
    with c:
        r = c.post("/v1/documents", files=[("files", ("big.txt", io.BytesIO(b"a" * (s.max_file_bytes + 1))))])
        assert r.status_code == 422 and "过大" in r.json()["rejected"][0]["message"]
