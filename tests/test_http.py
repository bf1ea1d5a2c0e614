"""The HTTP service through FastAPI's TestClient, on the real index."""

from __future__ import annotations

import io
import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.context import Context
from bot.http import create_app, safe_filename
from bot.qalog import QALog
from retrieval.index import KnowledgeBase

from .conftest import make_settings

Q = "党组织活动场所建设的“六有”标准是什么？"


def _client(kb, settings, **overrides) -> TestClient:
    s = settings.model_copy(update=overrides)
    return TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s))))


@pytest.fixture(scope="module")
def client(kb, settings):
    with _client(kb, settings) as c:
        yield c


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz").json()
    assert r["status"] == "ready" and r["documents"] == 5 and r["chunks"] > 30


def test_readyz_503_when_index_missing(tmp_path, embedder):
    s = make_settings(tmp_path / "empty")
    kb = KnowledgeBase(s, embedder=embedder)
    with TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_not_built"
        r = c.post("/v1/ask", json={"question": Q})
        assert r.status_code == 503 and "djbot ingest" in r.json()["error"]["message"]


def test_ask_returns_answer_with_citations_and_context(client):
    r = client.post("/v1/ask", json={"question": Q})
    assert r.status_code == 200
    d = r.json()
    assert d["answer_id"] and not d["refused"] and "有场所" in d["answer"]
    c = d["citations"][0]
    assert c["quote"] and c["context"]["quote"] == c["quote"]
    assert len(d["retrieved"]) >= 10


def test_refusal_and_input_errors(client):
    d = client.post("/v1/ask", json={"question": "北京明天会下雨吗？"}).json()
    assert d["refused"] and d["suggestions"]
    r = client.post("/v1/ask", json={"question": "   "})
    assert r.status_code == 400 and r.json()["error"] == {"code": "invalid_input", "message": "问题不能为空，请输入您想了解的党建工作问题"}
    r = client.post("/v1/ask", json={"nope": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/v1/ask", content=b"\xff\xfe not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("请求格式不正确")
    assert client.get("/no/such/path").json()["error"]["code"] == "http_404"


def test_search(client):
    d = client.get("/v1/search", params={"q": "党费返还 财政补贴", "k": 3}).json()
    assert len(d["results"]) == 3 and d["results"][0]["source"] == "002_89d235879069d946.txt"


def test_chat_completions_plain_and_streaming(client):
    body = {"model": "djbot", "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": Q}]}
    d = client.post("/v1/chat/completions", json=body).json()
    assert d["object"] == "chat.completion"
    content = d["choices"][0]["message"]["content"]
    assert "有场所" in content and "来源：" in content and d["citations"][0]["n"] == 1
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert r.status_code == 422


def test_follow_up_in_a_session(client):
    sid = "session-42"
    first = client.post("/v1/ask", json={"question": "企业已经有工会但还没有党组织，怎样创造条件建立党组织？", "session_id": sid}).json()
    assert not first["refused"]
    d = client.post("/v1/ask", json={"question": "那具体怎么做？", "session_id": sid}).json()
    # The follow-up is read with the previous turn and goes on from it instead of repeating it.
    assert not d["refused"] and d["standalone_question"].startswith("企业已经有工会但还没有党组织")
    assert {c["source"] for c in d["citations"]} == {"003_b8a1e7e7c90da73e.txt"}
    assert not {c["quote"] for c in d["citations"]} & {c["quote"] for c in first["citations"]}
    other = client.post("/v1/ask", json={"question": "那具体怎么做？", "session_id": "someone-else"}).json()
    assert other["refused"]


def test_feedback_and_log_filters_and_export(client):
    a = client.post("/v1/ask", json={"question": Q}, headers={"X-Djbot-Client": "web"}).json()
    assert client.post("/v1/feedback", json={"answer_id": a["answer_id"], "rating": -1, "comment": "太长"}).json() == {"ok": True}
    r = client.post("/v1/feedback", json={"answer_id": "nope", "rating": 1})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.post("/v1/feedback", json={"answer_id": a["answer_id"], "rating": 5}).status_code == 422
    rows = client.get("/v1/log", params={"rating": -1, "channel": "web"}).json()
    assert rows["total"] >= 1 and rows["items"][0]["comment"] == "太长" and rows["items"][0]["id"] == a["answer_id"]
    today = time.strftime("%Y-%m-%d")
    assert client.get("/v1/log", params={"date_from": today, "date_to": today}).json()["total"] >= 1
    assert client.get("/v1/log", params={"date_from": "2001-01-01", "date_to": "2001-01-02"}).json()["total"] == 0
    refused = client.get("/v1/log", params={"refused": True}).json()["items"]
    assert refused and all(r["refused"] for r in refused)
    assert client.get("/v1/log", params={"date_from": "yesterday"}).status_code == 422
    csv_text = client.get("/v1/log/export.csv").text
    assert csv_text.startswith("\ufeffid,created_at,channel") and "六有" in csv_text


def test_auth_keys(kb, settings):
    with _client(kb, settings, api_key="user-key", admin_key="admin-key") as c:
        assert c.post("/v1/ask", json={"question": Q}).status_code == 401
        assert c.post("/v1/ask", json={"question": Q}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/v1/ask", json={"question": Q}, headers={"Authorization": "Bearer user-key"})
        assert ok.status_code == 200
        assert c.get("/v1/log", headers={"Authorization": "Bearer user-key"}).status_code == 403
        assert c.get("/v1/documents").status_code == 401
        assert c.get("/v1/log", headers={"Authorization": "Bearer admin-key"}).status_code == 200
        assert c.get("/healthz").status_code == 200
    with _client(kb, settings, api_key="user-key") as c:
        r = c.get("/v1/documents", headers={"Authorization": "Bearer user-key"})
        assert r.status_code == 403 and "DJBOT_ADMIN_KEY" in r.json()["error"]["message"]


def test_user_ids_are_never_stored_raw(kb, settings):
    with _client(kb, settings, api_key="very-secret-user-key") as c:
        c.post("/v1/ask", json={"question": Q}, headers={"Authorization": "Bearer very-secret-user-key"})
    raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("qalog.sqlite3*"))
    assert b"very-secret-user-key" not in raw


def test_rate_limit_429_with_retry_after(kb, settings):
    with _client(kb, settings, rate_limit="3/minute") as c:
        codes = [c.get("/v1/search", params={"q": "党建"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/v1/search", params={"q": "党建"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "请求太频繁" in r.json()["error"]["message"]


def test_request_size_limit(kb, settings):
    with _client(kb, settings, max_request_bytes=1000) as c:
        r = c.post("/v1/ask", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_cors_off_by_default_and_page_served(client):
    r = client.get("/healthz", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    page = client.get("/")
    assert page.status_code == 200 and "党建工作助手" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/v1/ask"]


def test_safe_filename():
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\x\\党建 材料.docx") == "党建_材料.docx"
    assert safe_filename(".hidden.md") == "hidden.md"


@pytest.fixture
def kb_small(tmp_path, embedder):
    know = tmp_path / "knowledge"
    know.mkdir()
    (know / "funds.txt").write_text("一、经费保障\n党组织活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n", "utf-8")
    s = make_settings(tmp_path / "data").model_copy(update={"knowledge_dir": know})
    kb = KnowledgeBase(s, embedder=embedder)
    kb.ingest([know])
    with TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))) as c:
        yield c, know


def _wait(c, job_id):
    for _ in range(200):
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_upload_ingest_ask_delete(kb_small):
    import docx

    c, know = kb_small
    d = docx.Document()
    d.add_paragraph("“红领计划”行动以选优配强党组织书记为重点，通过公开招选、选派退出现职领导干部等方式配强书记队伍。")
    buf = io.BytesIO()
    d.save(buf)
    files = [
        ("files", ("../../红领计划.docx", buf.getvalue(), "application/octet-stream")),
        ("files", ("fake.pdf", "我不是PDF".encode(), "application/pdf")),
        ("files", ("tool.exe", b"MZ\x90", "application/octet-stream")),
        ("files", ("empty.txt", b"", "text/plain")),
        ("files", ("pic.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "text/plain")),
    ]
    r = c.post("/v1/documents", files=files)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["accepted"] == ["红领计划.docx"]
    assert {x["file"] for x in body["rejected"]} == {"fake.pdf", "tool.exe", "empty.txt", "pic.txt"}
    job = _wait(c, body["job"])
    assert job["status"] == "done" and job["result"]["added"] == ["红领计划.docx"]
    # Moved into knowledge/ only once the loader accepted it (issue 11: rejected files are quarantined).
    assert (know / "红领计划.docx").is_file() and not (know.parent.parent / "红领计划.docx").exists()
    docs = {x["source"] for x in c.get("/v1/documents").json()["documents"]}
    assert docs == {"funds.txt", "红领计划.docx"}
    a = c.post("/v1/ask", json={"question": "“红领计划”行动的重点是什么？"}).json()
    assert not a["refused"] and "选优配强" in a["answer"] and a["citations"][0]["source"] == "红领计划.docx"
    assert c.delete("/v1/documents/红领计划.docx").json() == {"deleted": "红领计划.docx"}
    assert not (know / "红领计划.docx").exists()
    assert c.delete("/v1/documents/红领计划.docx").status_code == 404
    # A name no file system takes (found by the schemathesis fuzz run) is no such document, not a server error.
    assert c.delete("/v1/documents/" + "文" * 300 + ".txt").status_code == 404
    assert c.post("/v1/ask", json={"question": "“红领计划”行动的重点是什么？"}).json()["refused"]
    only_bad = c.post("/v1/documents", files=[("files", ("x.exe", b"MZ", "application/octet-stream"))])
    assert only_bad.status_code == 422 and only_bad.json()["job"] is None


def test_reindex_job_syncs_the_directory(kb_small):
    c, know = kb_small
    (know / "venue.txt").write_text("党组织活动场所要做到有场所、有设施、有标志、有党旗、有书报、有制度。\n", "utf-8")
    job = _wait(c, c.post("/v1/reindex").json()["job"])
    assert job["status"] == "done" and job["result"]["added"] == ["venue.txt"]


def test_eval_endpoint(client, tmp_path):
    lines = [
        {"id": "a", "question": Q, "category": "concept", "answerable": True,
         "evidence": [{"source": "002_89d235879069d946.txt", "quote": "有场所、有设施、有标志"}], "key_points": ["有党旗"]},
        {"id": "b", "question": "北京明天会下雨吗？", "category": "out-of-domain", "answerable": False, "evidence": [], "key_points": []},
    ]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()
    r = client.post("/v1/eval", files={"file": ("set.jsonl", data, "application/json")})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["summary"]["n"] == 2 and d["summary"]["refusal"]["unanswerable_refusal_rate"] == 1.0
    assert "djbot 评测报告" in d["report_html"]
    bad = client.post("/v1/eval", files={"file": ("set.jsonl", b"{oops", "application/json")})
    assert bad.status_code == 400 and "第 1 行" in bad.json()["error"]["message"]
