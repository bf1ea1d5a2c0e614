"""WeCom / WeChat channels end to end: TestClient for the callbacks, httpx.MockTransport for the
platform APIs (the one thing that cannot exist here), official vectors for the crypto."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.context import Context
from bot.http import create_app
from bot.qalog import LogQuery, QALog
from bot.wecom import DeliveryError, GroupRobot
from bot.wecrypto import MsgCrypt, signature
from retrieval.answer import answer
from retrieval.types import Answer, Citation

from .conftest import ROOT

V = json.loads((ROOT / "tests" / "data" / "wecom_vectors.json").read_text("utf-8"))
A, B = V["sets"]
OA = V["official_account_plain_signature"]
Q = "党组织活动场所建设的“六有”标准是什么？"


class Platform:
    """Records outbound calls and answers like the WeCom/WeChat APIs; scenarios switch behaviour."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, dict]] = []
        self.send_fail = 0  # how many message/send calls fail with 500 first
        self.expire_once = False
        self.webhook_codes: list[int] = []
        self.tokens = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        params = dict(request.url.params)
        body = json.loads(request.content) if request.content else {}
        self.calls.append((path, params, body))
        if path in {"/cgi-bin/gettoken", "/cgi-bin/token"}:
            self.tokens += 1
            return httpx.Response(200, json={"errcode": 0, "access_token": f"T{self.tokens}", "expires_in": 7200})
        if path in {"/cgi-bin/message/send", "/cgi-bin/message/custom/send"}:
            if self.send_fail:
                self.send_fail -= 1
                return httpx.Response(500, text="busy")
            if self.expire_once:
                self.expire_once = False
                return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})
        if path == "/cgi-bin/webhook/send":
            code = self.webhook_codes.pop(0) if self.webhook_codes else 0
            return httpx.Response(200, json={"errcode": code, "errmsg": "x"})
        if path == "/cgi-bin/aibot/response":
            return httpx.Response(200, json={"errcode": 0})
        return httpx.Response(404)

    def sent(self, path="/cgi-bin/message/send") -> list[dict]:
        return [b for p, _, b in self.calls if p == path]


def delayed(seconds: float):
    """The real extractive answer, made slower than a platform's reply budget."""

    def slow(question, kb_, settings, history=None):
        time.sleep(seconds)
        return answer(question, kb_, settings, history=history)

    return slow


def wait_for(cond, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def make(kb, settings, tmp_path):
    def build(answer_fn=None, clock=None, **overrides):
        s = settings.model_copy(update={
            "data_dir": tmp_path, "wecom_token": A["token"], "wecom_aes_key": A["encoding_aes_key"],
            "wecom_corp_id": A["receive_id"], "wecom_secret": "corp-secret", "wecom_agent_id": "218",
            "wecom_bot_token": B["token"], "wecom_bot_aes_key": B["encoding_aes_key"],
            "wechat_token": OA["token"], "wechat_aes_key": A["encoding_aes_key"], "wechat_app_id": "wxOfficialApp",
            "wechat_secret": "oa-secret", "wecom_retry_backoff_s": 0.01, "wechat_retry_grace_s": 0.2,
            # The official vectors carry 2014 timestamps; the default 300 s window is tested in test_replay.py.
            "wecom_replay_window_s": 0, **overrides})
        ctx = Context(settings=s, kb=kb, qalog=QALog(s))
        if answer_fn:
            ctx.answer_fn = answer_fn
        platform = Platform()
        client = httpx.AsyncClient(transport=httpx.MockTransport(platform.handler))
        app = create_app(s, ctx, http_client=client, clock=clock)
        return TestClient(app), platform, ctx

    return build


def app_post(c, content: str, *, user="zhangsan", msg_id="1001", agent="218", corp=A["receive_id"], ts="1409659813"):
    inner = (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
             f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
             f"<MsgId>{msg_id}</MsgId><AgentID>{agent}</AgentID></xml>")
    enc = MsgCrypt(A["token"], A["encoding_aes_key"], corp).encrypt(inner)
    nonce = "1372623149"
    body = f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt><AgentID><![CDATA[{agent}]]></AgentID></xml>"
    sig = signature(A["token"], ts, nonce, enc)
    return c.post(f"/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce={nonce}", content=body.encode())


# --- WeCom self-built application -----------------------------------------------------------------
def test_url_verification_with_official_vector(make):
    c, _, _ = make()
    u = A["verify_url"]
    with c:
        r = c.get("/wecom/callback", params={k: u[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")})
        assert r.status_code == 200 and r.text == u["plaintext"]
        r = c.get("/wecom/callback", params={**{k: u[k] for k in ("timestamp", "nonce", "echostr")}, "msg_signature": "0" * 40})
        assert r.status_code == 403


def test_official_message_vector_is_acknowledged_then_answered_via_api(make):
    c, platform, ctx = make()
    m = A["message"]
    with c:
        r = c.post(f"/wecom/callback?msg_signature={m['msg_signature']}&timestamp={m['timestamp']}&nonce={m['nonce']}",
                   content=m["post_body"].encode())
        assert r.status_code == 200 and r.text == ""
        wait_for(lambda: platform.sent())
    sent = platform.sent()[0]
    assert sent["touser"] == "mycreate" and sent["agentid"] == 218 and sent["msgtype"] == "text"
    assert "党建工作助手" in sent["text"]["content"]  # "hello" is a greeting: the welcome and examples
    assert sent["text"]["content"].count("· ") == 3
    assert [p for p, _, _ in platform.calls][:1] == ["/cgi-bin/gettoken"]


def test_question_answer_with_sources_and_hint(make):
    c, platform, ctx = make()
    with c:
        assert app_post(c, Q).status_code == 200
        wait_for(lambda: platform.sent())
    content = platform.sent()[0]["text"]["content"]
    assert "有场所" in content and "〔1〕《克什克腾旗" in content and "人民网-中国共产党新闻网 2014-08-14" in content
    assert "回复“出处 1”" in content
    row = ctx.qalog.query(LogQuery(channel="wecom"))[0][0]
    assert row["delivered"] and row["user_hash"] != "zhangsan"


@pytest.mark.parametrize("case", ["signature", "xml", "receive_id", "base64"])
def test_tampered_callbacks_are_rejected_and_not_processed(make, case):
    c, platform, ctx = make()
    m = A["message"]
    qs = f"msg_signature={m['msg_signature']}&timestamp={m['timestamp']}&nonce={m['nonce']}"
    with c:
        if case == "signature":
            r = c.post(qs.replace(m["msg_signature"], "f" * 40).join(["/wecom/callback?", ""]), content=m["post_body"].encode())
            assert r.status_code == 403
        elif case == "xml":
            r = c.post("/wecom/callback?" + qs, content=b"<xml><Encrypt>unterminated")
            assert r.status_code == 400
        elif case == "receive_id":
            r = app_post(c, Q, corp="ww-not-our-corp")  # encrypted for another corp: the receive id check fails
            assert r.status_code == 400
        else:
            enc = "%%%not-base64%%%"
            sig = signature(A["token"], "1", "2", enc)
            r = c.post(f"/wecom/callback?msg_signature={sig}&timestamp=1&nonce=2",
                       content=f"<xml><Encrypt>{enc}</Encrypt></xml>".encode())
            assert r.status_code == 400
        time.sleep(0.2)
    assert platform.sent() == [] and ctx.qalog.query(LogQuery())[1] == 0


def test_xml_bombs_are_refused(make):
    c, platform, _ = make()
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
    with c:
        r = c.post("/wecom/callback?msg_signature=x&timestamp=1&nonce=2", content=bomb)
    assert r.status_code == 400


def test_replay_window_with_injected_clock(make):
    m = A["message"]
    qs = f"/wecom/callback?msg_signature={m['msg_signature']}&timestamp={m['timestamp']}&nonce={m['nonce']}"
    c, _, _ = make(clock=lambda: int(m["timestamp"]) + 30, wecom_replay_window_s=300)
    with c:
        assert c.post(qs, content=m["post_body"].encode()).status_code == 200
    c, platform, _ = make(wecom_replay_window_s=300)  # the real clock: the 2014 vector is far too old
    with c:
        r = c.post(qs, content=m["post_body"].encode())
        assert r.status_code == 403 and "重放" in r.text


def test_retries_are_answered_once(make):
    c, platform, ctx = make()
    with c:
        for _ in range(3):  # WeCom retries an unacknowledged callback up to three times
            assert app_post(c, Q, msg_id="777").status_code == 200
        wait_for(lambda: platform.sent())
        time.sleep(0.3)
    assert len(platform.sent()) == 1 and ctx.qalog.query(LogQuery())[1] == 1


def test_unknown_agent_is_ignored(make):
    c, platform, ctx = make()
    with c:
        assert app_post(c, Q, agent="999").status_code == 200
        time.sleep(0.3)
    assert platform.sent() == [] and ctx.qalog.query(LogQuery())[1] == 0


def test_acknowledged_before_a_slow_answer(make, kb):
    gate = {"release": False}

    def slow(question, kb_, settings, history=None):
        while not gate["release"]:
            time.sleep(0.01)
        return answer(question, kb_, settings, history=history)

    c, platform, _ = make(answer_fn=slow)
    with c:
        assert app_post(c, Q).status_code == 200  # returned while the answer is still being made
        assert platform.sent() == []
        gate["release"] = True
        wait_for(lambda: platform.sent())


def test_long_answers_split_by_utf8_bytes(make):
    cite = Citation(1, "c", "s.txt", "标题", "单位", "2020", "", "原文", 0, 2)
    text = "\n".join(f"{i}. " + "党建工作要与生产经营深度融合，做到两手抓、两促进。" * 8 + "[1]。" for i in range(12))

    def long(question, kb_, settings, history=None):
        return Answer(question=question, text=text, citations=(cite,))

    c, platform, _ = make(answer_fn=long)
    with c:
        app_post(c, "长问题")
        wait_for(lambda: len(platform.sent()) >= 2)
        time.sleep(0.2)
    parts = [b["text"]["content"] for b in platform.sent()]
    assert len(parts) >= 3 and all(len(p.encode()) <= 2048 for p in parts)
    assert "〔1〕《标题》 单位 2020" in parts[-1]


def test_token_is_cached_and_refreshed_when_expired(make):
    c, platform, _ = make()
    with c:
        app_post(c, Q, msg_id="1")
        wait_for(lambda: len(platform.sent()) == 1)
        app_post(c, "非公企业党组织的活动经费可以从哪些渠道解决？", msg_id="2")
        wait_for(lambda: len(platform.sent()) == 2)
        assert platform.tokens == 1  # cached
        platform.expire_once = True
        app_post(c, "“三培两带一提升”工程包括哪些内容？", msg_id="3")
        wait_for(lambda: len(platform.sent()) == 4)  # the 42001 attempt, then the retry
    assert platform.tokens == 2
    tokens_used = [p.get("access_token") for path, p, _ in platform.calls if path == "/cgi-bin/message/send"]
    assert tokens_used == ["T1", "T1", "T1", "T2"]


def test_undeliverable_answer_stays_in_the_log_marked(make):
    c, platform, ctx = make()
    platform.send_fail = 99
    with c:
        app_post(c, Q)
        wait_for(lambda: len([p for p, _, _ in platform.calls if p == "/cgi-bin/message/send"]) >= 3)
        wait_for(lambda: ctx.qalog.query(LogQuery())[0] and not ctx.qalog.query(LogQuery())[0][0]["delivered"])
    row = ctx.qalog.query(LogQuery())[0][0]
    assert row["question"] == Q and "有场所" in row["answer"] and row["delivered"] is False


def test_quote_request_and_follow_up(make):
    c, platform, _ = make()
    with c:
        app_post(c, Q, msg_id="1")
        wait_for(lambda: len(platform.sent()) == 1)
        app_post(c, "出处 1", msg_id="2")
        wait_for(lambda: len(platform.sent()) == 2)
        app_post(c, "企业已经有工会但还没有党组织，怎样创造条件建立党组织？", msg_id="3")
        wait_for(lambda: len(platform.sent()) == 3)
        app_post(c, "那具体怎么做？", msg_id="4")
        wait_for(lambda: len(platform.sent()) == 4)
    quote = platform.sent()[1]["text"]["content"]
    assert quote.startswith("〔1〕《克什克腾旗") and "有场所、有设施" in quote
    first, follow = platform.sent()[2]["text"]["content"], platform.sent()[3]["text"]["content"]
    assert "苏州市" in follow and "抱歉" not in follow  # the follow-up is read with the previous turn
    assert follow.split("来源")[0] != first.split("来源")[0]


def test_per_user_rate_limit(make):
    c, platform, _ = make(wecom_rate_limit="1/minute")
    with c:
        app_post(c, Q, msg_id="1")
        app_post(c, Q, msg_id="2")
        wait_for(lambda: len(platform.sent()) == 2)
    contents = sorted(b["text"]["content"] for b in platform.sent())
    assert sum("太频繁" in c for c in contents) == 1  # the two tasks may finish in either order
    assert sum("有场所" in c for c in contents) == 1


# --- WeCom smart bot (智能机器人) -------------------------------------------------------------------
def bot_post(c, content: str, *, msgid="m1", chattype="group", user="lisi"):
    payload = {"msgid": msgid, "aibotid": "AIBOT", "chatid": "CHAT1", "chattype": chattype, "from": {"userid": user},
               "msgtype": "text", "text": {"content": content},
               "response_url": "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RC"}
    crypt = MsgCrypt(B["token"], B["encoding_aes_key"], "")
    enc = crypt.encrypt(json.dumps(payload, ensure_ascii=False))
    ts, nonce = str(int(time.time())), "n1"
    return c.post(f"/wecom/bot?msg_signature={signature(B['token'], ts, nonce, enc)}&timestamp={ts}&nonce={nonce}",
                  json={"encrypt": enc}), crypt


def test_smart_bot_group_mention_gets_a_passive_markdown_reply(make):
    c, platform, ctx = make()
    with c:
        r, crypt = bot_post(c, f"@党建助手 {Q}")
    body = r.json()
    assert body["msgsignature"] == signature(B["token"], body["timestamp"], body["nonce"], body["encrypt"])
    reply = json.loads(crypt.decrypt(body["encrypt"]))
    content = reply["markdown"]["content"]
    assert reply["msgtype"] == "markdown" and content.startswith("<@lisi> ") and "有场所" in content
    assert "> 来源：" in content and len(content.encode()) <= 4096
    assert ctx.qalog.query(LogQuery())[0][0]["question"] == Q  # the mention was stripped


def test_smart_bot_slow_answer_goes_to_response_url(make, kb):
    c, platform, _ = make(answer_fn=delayed(0.5), wecom_reply_budget_s=0.1)
    with c:
        r, _ = bot_post(c, f"@党建助手 {Q}", msgid="slow1")
        assert r.status_code == 200 and r.text == ""
        wait_for(lambda: platform.sent("/cgi-bin/aibot/response"))
    pushed = platform.sent("/cgi-bin/aibot/response")[0]
    assert pushed["msgtype"] == "markdown" and "有场所" in pushed["markdown"]["content"]


def test_smart_bot_rejects_bad_signature(make):
    c, _, _ = make()
    with c:
        r = c.post("/wecom/bot?msg_signature=bad&timestamp=1&nonce=2", json={"encrypt": "AAAA"})
        assert r.status_code == 403
        r = c.post("/wecom/bot?msg_signature=bad&timestamp=1&nonce=2", content=b"not json")
        assert r.status_code == 400


# --- group robot webhook ------------------------------------------------------------------------------
def _robot(settings, platform, **kw):
    s = settings.model_copy(update={"wecom_webhook_key": "KEY-1", "wecom_retry_backoff_s": 0.0, **kw})
    now = {"t": 1000.0}
    slept: list[float] = []

    async def sleep(d):
        slept.append(d)
        now["t"] += d

    robot = GroupRobot(s, httpx.AsyncClient(transport=httpx.MockTransport(platform.handler)),
                       clock=lambda: now["t"], sleep=sleep)
    return robot, slept


def test_group_robot_markdown_split_and_limiter(settings):
    platform = Platform()
    robot, slept = _robot(settings, platform)
    long = "\n".join("党建带工建，根本在带，基础在建，关键在用。" * 20 for _ in range(20))

    async def run():
        n = await robot.send(long, markdown=True)
        for i in range(22 - n):
            await robot.send(f"通知 {i}", markdown=False)
        return n

    n = asyncio.run(run())
    msgs = platform.sent("/cgi-bin/webhook/send")
    assert n >= 3 and len(msgs) == 22
    assert all(len(m["markdown"]["content"].encode()) <= 4096 for m in msgs[:n])
    assert all(len(m["text"]["content"].encode()) <= 2048 for m in msgs[n:])
    assert all(p.get("key") == "KEY-1" for path, p, _ in platform.calls)
    assert len(slept) == 1 and 0 < slept[0] <= 60.01  # the 21st message waited for the minute to pass


def test_group_robot_errcodes(settings):
    platform = Platform()
    platform.webhook_codes = [45009, 0, 93000]
    robot, slept = _robot(settings, platform)
    asyncio.run(robot.send("第一条"))  # 45009 (too frequent) is retried after a pause
    assert len(platform.sent("/cgi-bin/webhook/send")) == 2 and slept
    with pytest.raises(DeliveryError, match="93000"):
        asyncio.run(robot.send("第二条"))


# --- WeChat official account ---------------------------------------------------------------------------
def oa_xml(content: str, msg_id="5001", openid="oUser1"):
    return (f"<xml><ToUserName><![CDATA[gh_official]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def oa_qs(extra: str = "") -> str:
    return f"/wechat/callback?signature={OA['signature']}&timestamp={OA['timestamp']}&nonce={OA['nonce']}{extra}"


def test_official_account_url_check(make):
    c, _, _ = make()
    with c:
        r = c.get(oa_qs("&echostr=hello123"))
        assert r.status_code == 200 and r.text == "hello123"
        assert c.get(oa_qs("&echostr=x").replace(OA["signature"], "0" * 40)).status_code == 403


def _content(xml_text: str) -> str:
    from defusedxml import ElementTree

    return ElementTree.fromstring(xml_text).find("Content").text


def test_official_account_plain_mode_passive_reply(make):
    c, platform, _ = make(wechat_aes_key=None)  # plain mode: no AES key configured
    with c:
        r = c.post(oa_qs(), content=oa_xml(Q).encode())
    assert r.headers["content-type"].startswith("application/xml")
    content = _content(r.text)
    assert "有场所" in content and "〔1〕《克什克腾旗" in content and len(content.encode()) <= 2048
    assert "<ToUserName><![CDATA[oUser1]]></ToUserName>" in r.text


def test_official_account_safe_mode(make):
    c, _, _ = make()
    crypt = MsgCrypt(A["token"].replace(A["token"], OA["token"]), A["encoding_aes_key"], "wxOfficialApp")
    enc = crypt.encrypt(oa_xml(Q, msg_id="6001"))
    msig = signature(OA["token"], OA["timestamp"], OA["nonce"], enc)
    body = f"<xml><ToUserName><![CDATA[gh_official]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    with c:
        r = c.post(oa_qs(f"&encrypt_type=aes&msg_signature={msig}"), content=body.encode())
        assert r.status_code == 200
        from defusedxml import ElementTree

        root = ElementTree.fromstring(r.text)
        enc_reply = root.find("Encrypt").text
        assert root.find("MsgSignature").text == signature(OA["token"], root.find("TimeStamp").text,
                                                           root.find("Nonce").text, enc_reply)
        assert "有场所" in _content(crypt.decrypt(enc_reply))
        bad = c.post(oa_qs("&encrypt_type=aes&msg_signature=" + "0" * 40), content=body.encode())
        assert bad.status_code == 403


def test_official_account_slow_answer_uses_customer_service_api_once(make, kb):
    c, platform, ctx = make(answer_fn=delayed(0.6), wecom_reply_budget_s=0.1, wechat_aes_key=None)
    with c:
        for _ in range(3):  # the first request and WeChat's two retries all time out
            r = c.post(oa_qs(), content=oa_xml(Q, msg_id="7001").encode())
            assert r.text == "success"
        wait_for(lambda: platform.sent("/cgi-bin/message/custom/send"), timeout=15)
        time.sleep(0.5)
    sent = platform.sent("/cgi-bin/message/custom/send")
    assert len(sent) == 1 and sent[0]["touser"] == "oUser1" and "有场所" in sent[0]["text"]["content"]
    assert ctx.qalog.query(LogQuery(channel="wechat"))[1] == 1


def test_official_account_retry_takes_a_late_answer_passively(make, kb):
    c, platform, _ = make(answer_fn=delayed(0.3), wecom_reply_budget_s=0.2, wechat_retry_grace_s=2.0,
                          wechat_aes_key=None)
    with c:
        first = c.post(oa_qs(), content=oa_xml(Q, msg_id="8001").encode())
        assert first.text == "success"
        retry = c.post(oa_qs(), content=oa_xml(Q, msg_id="8001").encode())
        assert "有场所" in _content(retry.text)
        time.sleep(2.5)
    assert platform.sent("/cgi-bin/message/custom/send") == []  # answered once, passively


def test_smart_bot_url_verification(make):
    c, _, _ = make()
    crypt = MsgCrypt(B["token"], B["encoding_aes_key"], "")
    echo = crypt.encrypt("987654321")
    ts, nonce = "1476416373", "47744683"
    with c:
        r = c.get("/wecom/bot", params={"msg_signature": signature(B["token"], ts, nonce, echo), "timestamp": ts,
                                        "nonce": nonce, "echostr": echo})
        assert r.status_code == 200 and r.text == "987654321"


def test_push_command_answers_into_the_group(kb, settings, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    platform = Platform()
    real = httpx.AsyncClient
    monkeypatch.setattr(httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(platform.handler)))
    monkeypatch.setenv("DJBOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DJBOT_WECOM_WEBHOOK_KEY", "KEY-9")
    res = CliRunner().invoke(app, ["wecom", "push", "--question", Q])
    assert res.exit_code == 0, res.output
    msg = platform.sent("/cgi-bin/webhook/send")[0]
    assert msg["msgtype"] == "markdown" and "有场所" in msg["markdown"]["content"] and "> 来源：" in msg["markdown"]["content"]
