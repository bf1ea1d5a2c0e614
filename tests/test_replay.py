"""Issue 11, "nothing let in": WeChat safe-mode bypass, replays after a restart, the default replay
window, hostile /wecom/bot shapes and CSV formula injection. Real app, real Q&A log database."""

from __future__ import annotations

import csv
import io
import json
import time

import httpx
from fastapi.testclient import TestClient

from bot.context import Context
from bot.http import create_app
from bot.qalog import LogQuery, QALog
from bot.wecrypto import MsgCrypt, signature
from retrieval.settings import Settings
from retrieval.types import Answer

from .test_wecom import OA, A, B, Platform, Q, app_post, oa_qs, oa_xml, wait_for


def _app(kb, settings, data_dir, clock=None, **overrides):
    s = settings.model_copy(update={
        "data_dir": data_dir, "wecom_token": A["token"], "wecom_aes_key": A["encoding_aes_key"],
        "wecom_corp_id": A["receive_id"], "wecom_secret": "corp-secret", "wecom_agent_id": "218",
        "wecom_bot_token": B["token"], "wecom_bot_aes_key": B["encoding_aes_key"],
        "wechat_token": OA["token"], "wechat_aes_key": A["encoding_aes_key"], "wechat_app_id": "wxOfficialApp",
        "wechat_secret": "oa-secret", "wecom_retry_backoff_s": 0.01, **overrides})
    ctx = Context(settings=s, kb=kb, qalog=QALog(s))
    platform = Platform()
    client = httpx.AsyncClient(transport=httpx.MockTransport(platform.handler))
    return TestClient(create_app(s, ctx, http_client=client, clock=clock)), platform, ctx


def test_replay_window_is_on_by_default():
    assert Settings(_env_file=None).wecom_replay_window_s == 300


def test_default_window_rejects_an_old_signed_callback(kb, settings, tmp_path):
    c, platform, ctx = _app(kb, settings, tmp_path)  # default window, real clock; the vector is from 2014
    with c:
        r = app_post(c, Q, msg_id="9001")
    assert r.status_code == 403
    assert ctx.qalog.query(LogQuery())[1] == 0 and not platform.sent()


def test_wechat_safe_mode_refuses_plain_bodies(kb, settings, tmp_path):
    clock = lambda: int(OA["timestamp"])  # noqa: E731
    c, platform, ctx = _app(kb, settings, tmp_path, clock=clock)
    forged = oa_xml(Q, openid="oAttacker", msg_id="6101")
    with c:
        r = c.post(oa_qs(), content=forged.encode())  # a signed URL observed once, any body
        assert r.status_code == 403 and "加密" in r.text
        r = c.post(oa_qs("&encrypt_type=none"), content=forged.encode())
        assert r.status_code == 403
    assert ctx.qalog.query(LogQuery())[1] == 0


def test_replay_after_restart_is_not_answered_again(kb, settings, tmp_path):
    clock = lambda: int("1409659813") + 10  # noqa: E731  inside the window of the vector's timestamp
    c, platform, ctx = _app(kb, settings, tmp_path, clock=clock)
    with c:
        assert app_post(c, Q, msg_id="7701").status_code == 200
        wait_for(lambda: platform.sent())
    assert len(platform.sent()) == 1
    # The service restarts (new app, new memory); the same signed callback arrives again.
    c2, platform2, ctx2 = _app(kb, settings, tmp_path, clock=clock)
    with c2:
        assert app_post(c2, Q, msg_id="7701").status_code == 200
        time.sleep(0.5)
    assert platform2.sent() == [] and ctx2.qalog.query(LogQuery())[1] == 1


def test_seen_ids_expire_after_their_ttl(tmp_path, settings):
    log = QALog(settings.model_copy(update={"data_dir": tmp_path}))
    assert log.first_time("k", ttl=60) and not log.first_time("k", ttl=60)
    assert log.first_time("k", ttl=0.0) or log.first_time("k", ttl=0.0)  # expired entries may be taken again


def _bot_raw(c, payload):
    crypt = MsgCrypt(B["token"], B["encoding_aes_key"], "")
    enc = crypt.encrypt(json.dumps(payload, ensure_ascii=False))
    ts, nonce = str(int(time.time())), "n1"
    return c.post(f"/wecom/bot?msg_signature={signature(B['token'], ts, nonce, enc)}&timestamp={ts}&nonce={nonce}",
                  json={"encrypt": enc})


def test_wecom_bot_wrong_json_shapes_are_4xx_or_ignored(kb, settings, tmp_path):
    c, _, _ = _app(kb, settings, tmp_path)
    shapes = [
        [1, 2, 3],
        "just a string",
        {"msgid": "s1", "msgtype": "text", "from": "lisi", "text": {"content": Q}},
        {"msgid": "s2", "msgtype": "text", "from": {"userid": "lisi"}, "text": "content as a string"},
        {"msgid": "s3", "msgtype": "text", "from": {"userid": ["x"]}, "text": {"content": 42}},
        {"msgid": ["s4"], "msgtype": "text", "from": {"userid": "lisi"}, "text": {"content": None}},
    ]
    with c:
        for payload in shapes:
            r = _bot_raw(c, payload)
            assert r.status_code < 500, (payload, r.status_code, r.text)
        ts = str(int(time.time()))
        r = c.post(f"/wecom/bot?msg_signature=x&timestamp={ts}&nonce=n", json=[{"encrypt": 1}])
        assert r.status_code == 400


def test_csv_export_neutralises_formulas(tmp_path, settings):
    log = QALog(settings.model_copy(update={"data_dir": tmp_path}))
    evil = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "＝1+1"]
    for q in evil:
        log.record(Answer(question=q, text="-回答也以减号开头", refused=True), channel="http")
    buf = io.StringIO()
    log.export_csv(buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().lstrip("\ufeff"))))
    assert len(rows) == len(evil)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), value
    assert {r["question"] for r in rows} == {"'" + q for q in evil}
