"""Newer HTTP surfaces: /v1/models with the official openai client, /v1/me, metadata editing."""

from __future__ import annotations

import time
import tomllib

import pytest
from fastapi.testclient import TestClient

from bot.context import Context
from bot.http import create_app
from bot.qalog import QALog
from retrieval.index import KnowledgeBase

from .conftest import make_settings

Q = "党组织活动场所建设的“六有”标准是什么？"


@pytest.fixture(scope="module")
def keyed(kb, settings):
    s = settings.model_copy(update={"api_key": "user-key-1", "admin_key": "admin-key-1"})
    with TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))) as c:
        yield c


def test_openai_client_lists_models_and_chats(keyed):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url="http://testserver/v1", api_key="user-key-1", http_client=keyed, max_retries=0)
    models = client.models.list()
    assert [m.id for m in models.data] == ["djbot"]
    assert client.models.retrieve("djbot").owned_by == "djbot"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")
    reply = client.chat.completions.create(model="djbot", messages=[{"role": "user", "content": Q}])
    text = reply.choices[0].message.content
    assert "有场所" in text and "来源" in text and reply.choices[0].finish_reason == "stop"
    stream = client.chat.completions.create(model="djbot", messages=[{"role": "user", "content": Q}], stream=True)
    pieces = [ch.choices[0].delta.content or "" for ch in stream if ch.choices]
    assert "有场所" in "".join(pieces) and len(pieces) >= 2
    bad = openai.OpenAI(base_url="http://testserver/v1", api_key="wrong", http_client=keyed, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_me_reports_the_role_of_the_key(keyed, client_open):
    assert keyed.get("/v1/me").json() == {"role": "none", "keys_required": True}
    user = keyed.get("/v1/me", headers={"Authorization": "Bearer user-key-1"}).json()
    admin = keyed.get("/v1/me", headers={"Authorization": "Bearer admin-key-1"}).json()
    assert user["role"] == "user" and admin["role"] == "admin"
    assert client_open.get("/v1/me").json() == {"role": "admin", "keys_required": False}


@pytest.fixture
def client_open(kb, settings):
    with TestClient(create_app(settings, Context(settings=settings, kb=kb, qalog=QALog(settings)))) as c:
        yield c


@pytest.fixture
def one_doc(tmp_path, embedder):
    know = tmp_path / "knowledge"
    know.mkdir()
    (know / "venue.txt").write_text(
        "一、阵地建设\n党组织活动场所要做到有场所、有设施、有标志、有党旗、有书报、有制度，即“六有”标准。\n", "utf-8")
    (know / "manifest.toml").write_text(
        "# notes stay\n\n[[documents]]\nsource = \"venue.txt\"\ntitle = \"旧标题\"  # keep me\n", "utf-8")
    s = make_settings(tmp_path / "data").model_copy(update={"knowledge_dir": know, "admin_key": "adm"})
    kb = KnowledgeBase(s, embedder=embedder)
    kb.ingest([know])
    with TestClient(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)))) as c:
        c.headers["Authorization"] = "Bearer adm"
        yield c, know


def _wait(c, job_id):
    for _ in range(300):
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_metadata_edit_is_written_to_the_manifest_and_shown_in_citations(one_doc):
    c, know = one_doc
    r = c.patch("/v1/documents/venue.txt", json={"title": "党组织活动场所建设标准", "publisher": "某市委组织部",
                                                   "date": "2015-06", "region": "浙江省杭州市"})
    assert r.status_code == 202, r.text
    assert _wait(c, r.json()["job"])["status"] == "done"
    text = (know / "manifest.toml").read_text("utf-8")
    assert "# notes stay" in text and "# keep me" in text  # comments survive
    entry = tomllib.loads(text)["documents"][0]
    assert entry == {"source": "venue.txt", "title": "党组织活动场所建设标准", "publisher": "某市委组织部",
                     "date": "2015-06", "region": "浙江省杭州市"}
    row = c.get("/v1/documents").json()["documents"][0]
    assert (row["title"], row["publisher"], row["date"], row["region"]) == (
        "党组织活动场所建设标准", "某市委组织部", "2015-06", "浙江省杭州市")
    cite = c.post("/v1/ask", json={"question": "党组织活动场所的“六有”标准是什么？"}).json()["citations"][0]
    assert (cite["title"], cite["publisher"], cite["date"], cite["region"]) == (
        "党组织活动场所建设标准", "某市委组织部", "2015-06", "浙江省杭州市")


def test_metadata_edit_errors(one_doc):
    c, know = one_doc
    assert c.patch("/v1/documents/nope.txt", json={"title": "x"}).status_code == 404
    bad = c.patch("/v1/documents/venue.txt", json={"date": "2015年"})
    assert bad.status_code == 400 and "YYYY" in bad.json()["error"]["message"]
    assert c.patch("/v1/documents/venue.txt", json={}).status_code == 422
    assert c.patch("/v1/documents/venue.txt", json={"title": "x"}, headers={"Authorization": "Bearer no"}).status_code == 403
    assert "旧标题" in (know / "manifest.toml").read_text("utf-8")  # nothing written by failed edits


def test_eval_templates_download_and_gbk_upload(client_open):
    import io

    from openpyxl import load_workbook

    x = client_open.get("/v1/eval/template.xlsx")
    assert x.status_code == 200 and "attachment" in x.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["问题集", "填写说明"] and wb["问题集"].max_row == 4
    csv_bytes = client_open.get("/v1/eval/template.csv").content
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "answerable" in csv_bytes.decode("utf-8-sig")
    assert client_open.get("/v1/eval/template.pdf").status_code == 404
    gbk = csv_bytes.decode("utf-8-sig").encode("gbk")  # as Excel on Chinese Windows saves it
    r = client_open.post("/v1/eval", files={"file": ("集.csv", gbk, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["n"] == 3
