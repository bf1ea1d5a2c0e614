"""Telegram channel: real Update payloads through Application.process_update; a recording
BaseRequest stands in for Telegram's servers at the wire."""

from __future__ import annotations

import itertools
import json
import re
import time
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from telegram import Update
from telegram.request import BaseRequest

from bot.context import Context
from bot.http import create_app
from bot.qalog import LogQuery, QALog
from bot.telegram import LIMIT, build_application, render_html
from retrieval.types import Answer, Citation

BOT = {"id": 999, "is_bot": True, "first_name": "党建助手", "username": "djbot_test_bot"}
USER = {"id": 4242, "is_bot": False, "first_name": "小王"}
Q = "党组织活动场所建设的“六有”标准是什么？"
_ids = itertools.count(1)


class RecordingRequest(BaseRequest):
    """Captures every Bot API call and answers like Telegram would, without a network."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self):
        return 1.0

    async def do_request(self, url, method, request_data=None, read_timeout=None, write_timeout=None,
                         connect_timeout=None, pool_timeout=None):
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        if name == "getMe":
            result = BOT
        elif name in {"sendMessage", "editMessageText"}:
            result = {"message_id": next(_ids) + 5000, "date": int(time.time()), "from": BOT,
                      "chat": {"id": params.get("chat_id", 1), "type": "private"}, "text": params.get("text", "")}
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self, name="sendMessage") -> list[dict]:
        return [p for n, p in self.calls if n == name]


def message(text, chat_type="private", chat_id=4242, entities=None, reply_to=None, user=USER):
    msg = {"message_id": next(_ids), "date": int(time.time()), "from": user,
           "chat": {"id": chat_id, "type": chat_type, **({"title": "支部群"} if chat_type != "private" else {})},
           "text": text}
    if entities:
        msg["entities"] = entities
    if reply_to:
        msg["reply_to_message"] = reply_to
    return {"update_id": next(_ids), "message": msg}


def mention_entity(text: str, mention: str) -> dict:
    """Offsets in UTF-16 code units, as Telegram sends them."""
    start = len(text[: text.index(mention)].encode("utf-16-le")) // 2
    return {"type": "mention", "offset": start, "length": len(mention.encode("utf-16-le")) // 2}


@pytest.fixture
def tg(kb, settings, tmp_path):
    async def make(answer_fn=None, **overrides):
        s = settings.model_copy(update={"data_dir": tmp_path, "telegram_token": "123456:TEST-token", **overrides})
        ctx = Context(settings=s, kb=kb, qalog=QALog(s))
        if answer_fn:
            ctx.answer_fn = answer_fn
        rec = RecordingRequest()
        app = build_application(ctx, request=rec, webhook=True)
        await app.initialize()
        return app, rec, ctx

    return make


async def feed(app, payload):
    await app.process_update(Update.de_json(payload, app.bot))


async def test_private_question_gets_cited_html_answer_with_buttons(tg):
    app, rec, ctx = await tg()
    await feed(app, message(Q))
    assert ("sendChatAction", {"chat_id": 4242, "action": "typing"}) in rec.calls
    sent = rec.sent()
    assert len(sent) == 1
    m = sent[0]
    assert m["parse_mode"] == "HTML" and "有场所" in m["text"] and "<b>来源</b>" in m["text"]
    assert "〔1〕《克什克腾旗" in m["text"]
    assert m["reply_parameters"]["message_id"]  # quotes the asker
    buttons = [b for row in m["reply_markup"]["inline_keyboard"] for b in row]
    labels = [b["text"] for b in buttons]
    assert "出处 [1]" in labels and "👍 有帮助" in labels and "👎 没帮助" in labels
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    rows, _ = ctx.qalog.query(LogQuery(channel="telegram"))
    assert rows[0]["question"] == Q and rows[0]["user_hash"] and rows[0]["user_hash"] != "4242"


async def test_group_without_mention_is_ignored(tg):
    app, rec, ctx = await tg()
    await feed(app, message(Q, chat_type="supergroup", chat_id=-100123))
    assert rec.sent() == [] and ctx.qalog.query(LogQuery())[1] == 0


async def test_group_mention_entity_is_stripped_using_utf16_offsets(tg):
    app, rec, ctx = await tg()
    text = f"👍👍 @djbot_test_bot {Q}"  # emoji take two UTF-16 units each: string slicing would break
    await feed(app, message(text, "group", -55, entities=[mention_entity(text, "@djbot_test_bot")]))
    assert len(rec.sent()) == 1 and "有场所" in rec.sent()[0]["text"]
    row = ctx.qalog.query(LogQuery())[0][0]
    assert row["question"] == f"👍👍 {Q}"
    # A mention of somebody else is not a question for the bot.
    other = f"@someone_else {Q}"
    await feed(app, message(other, "group", -55, entities=[mention_entity(other, "@someone_else")]))
    assert len(rec.sent()) == 1


async def test_reply_to_the_bot_in_a_group_is_answered(tg):
    app, rec, _ = await tg()
    bot_msg = {"message_id": 77, "date": int(time.time()), "from": BOT, "chat": {"id": -55, "type": "group", "title": "群"},
               "text": "之前的回答"}
    await feed(app, message("非公企业党组织的活动经费可以从哪些渠道解决？", "group", -55, reply_to=bot_msg))
    assert len(rec.sent()) == 1 and "党费返还" in rec.sent()[0]["text"]


async def test_follow_up_in_the_same_chat(tg):
    app, rec, _ = await tg()
    await feed(app, message("企业已经有工会但还没有党组织，怎样创造条件建立党组织？"))
    first = rec.sent()[-1]["text"]
    await feed(app, message("那具体怎么做？"))
    follow = rec.sent()[-1]["text"]
    assert "苏州市" in follow and "抱歉" not in follow  # read with the previous turn, same document
    assert follow.split("<b>来源</b>")[0] != first.split("<b>来源</b>")[0]  # it goes on, not repeats


def _balanced(fragment: str) -> bool:
    stack = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            stack.append(tag)

        def handle_endtag(self, tag):
            assert stack and stack.pop() == tag

    P().feed(fragment)
    return not stack


def _long_answer(special: str = "") -> Answer:
    cite = Citation(1, "c", "s.txt", "《党建》<资料>&汇编", "某党委", "2020-01-01", "", "原文", 0, 2)
    lines = [f"{i}. 第{i}步：" + "要把党建工作和生产经营结合起来，做到两手抓、两促进。" * 12 + f"{special}[1]。" for i in range(1, 16)]
    return Answer(question="q", text="\n".join(lines), citations=(cite,))


def test_long_answers_split_at_paragraphs_and_never_inside_a_tag():
    ans = _long_answer()
    parts = render_html(ans)
    assert len(parts) > 1 and all(len(p) <= LIMIT for p in parts)
    assert all(_balanced(p) for p in parts)
    joined = "\n".join(parts)
    for line in ans.text.split("\n"):
        assert line in joined  # no paragraph was cut
    assert parts[-1].count("<b>来源</b>") == 1


async def test_long_answer_through_the_bot_and_special_characters_escaped(tg, kb):
    ans = _long_answer(special=" a<b && c>d <script>")

    def fake(question, kb_, settings, history=None):
        return Answer(question=question, text=ans.text, citations=ans.citations)

    app, rec, _ = await tg(answer_fn=fake)
    await feed(app, message("随便问一个很长的问题"))
    sent = rec.sent()
    assert len(sent) >= 2 and all(len(m["text"]) <= LIMIT for m in sent)
    assert all("reply_markup" not in m for m in sent[:-1]) and "reply_markup" in sent[-1]
    text = "".join(m["text"] for m in sent)
    assert "<script>" not in text and "&lt;script&gt;" in text and "a&lt;b &amp;&amp; c&gt;d" in text
    assert "《《党建》&lt;资料&gt;&amp;汇编》" in text


async def test_sources_callback_shows_the_full_quote(tg):
    app, rec, ctx = await tg()
    await feed(app, message(Q))
    data = next(b["callback_data"] for row in rec.sent()[0]["reply_markup"]["inline_keyboard"] for b in row
                if b["text"] == "出处 [1]")
    bot_msg = {"message_id": 99, "date": int(time.time()), "from": BOT, "chat": {"id": 4242, "type": "private"}, "text": "x"}
    await feed(app, {"update_id": next(_ids), "callback_query": {"id": "cb1", "from": USER, "chat_instance": "1",
                                                                 "message": bot_msg, "data": data}})
    assert rec.sent("answerCallbackQuery")
    shown = rec.sent()[-1]["text"]
    assert "<blockquote>" in shown and "有场所、有设施" in shown and "人民网-中国共产党新闻网 2014-08-14" in shown


async def test_feedback_buttons_reach_the_log(tg):
    app, rec, ctx = await tg()
    await feed(app, message(Q))
    row, _ = ctx.qalog.query(LogQuery(channel="telegram"))
    bot_msg = {"message_id": 99, "date": int(time.time()), "from": BOT, "chat": {"id": 4242, "type": "private"}, "text": "x"}
    await feed(app, {"update_id": next(_ids), "callback_query": {"id": "cb2", "from": USER, "chat_instance": "1",
                                                                 "message": bot_msg, "data": f"fb:{row[0]['id']}:-1"}})
    assert ctx.qalog.get(row[0]["id"])["rating"] == -1
    assert rec.sent("answerCallbackQuery")[-1]["text"] == "感谢您的反馈！"


async def test_chat_not_on_the_allow_list_is_politely_refused(tg):
    app, rec, ctx = await tg(telegram_allowed_chats=[-1001], telegram_allowed_users=[7])
    await feed(app, message(Q))
    assert "只为已授权" in rec.sent()[0]["text"] and ctx.qalog.query(LogQuery())[1] == 0
    await feed(app, message(Q, user={**USER, "id": 7}, chat_id=7))
    assert "有场所" in rec.sent()[-1]["text"]


async def test_handler_error_gets_an_apology_and_the_bot_keeps_running(tg, caplog):
    calls = []

    def flaky(question, kb_, settings, history=None):
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("boom")
        from retrieval.answer import answer

        return answer(question, kb_, settings, history=history)

    app, rec, _ = await tg(answer_fn=flaky)
    await feed(app, message(Q))
    assert rec.sent()[-1]["text"].startswith("抱歉，处理您的问题时出了点问题")
    assert "boom" in caplog.text and "Traceback" not in rec.sent()[-1]["text"]
    await feed(app, message(Q))
    assert "有场所" in rec.sent()[-1]["text"]


async def test_per_user_rate_limit(tg):
    app, rec, _ = await tg(telegram_rate_limit="2/minute")
    for _ in range(3):
        await feed(app, message(Q))
    assert rec.sent()[-1]["text"] == "您提问太频繁了，请稍等一会儿再问。"


async def test_commands(tg):
    app, rec, _ = await tg()
    for cmd in ("/start", "/help", "/sources"):
        await feed(app, message(cmd, entities=[{"type": "bot_command", "offset": 0, "length": len(cmd)}]))
    start, help_, sources = (m["text"] for m in rec.sent()[-3:])
    assert "党建工作助手" in start and "可以这样提问" in help_
    buttons = [b for row in rec.sent()[-2]["reply_markup"]["inline_keyboard"] for b in row]
    assert len(buttons) == 5 and all(b["text"].endswith("？") and b["callback_data"].startswith("sg:") for b in buttons)
    assert sources.count("·") == 5 and "克什克腾旗" in sources


async def test_llm_streaming_edits_one_message(tg, settings, kb):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from retrieval.llm import LLMAnswerer
    from retrieval.search import search

    hits = search(kb, Q, settings)[: settings.answer_passages]
    n = next(i for i, h in enumerate(hits, start=1) if "六有" in h.chunk.text)
    raw = f"按照“六有”标准加强活动场所规范化建设[{n}]。有场所、有设施、有标志、有党旗、有书报、有制度[{n}]。"
    llm = LLMAnswerer(settings, model=FakeListChatModel(responses=[raw]))
    app, rec, _ = await tg(answer_fn=llm, telegram_stream_interval_s=0.0)
    await feed(app, message(Q))
    assert rec.sent()[0]["text"] == "正在查找资料……"
    edits = rec.sent("editMessageText")
    assert len(edits) >= 2 and "<b>来源</b>" in edits[-1]["text"] and edits[-1]["reply_markup"]
    assert re.search(r"有党旗.*\[1\]", edits[-1]["text"])


def test_webhook_route_checks_the_secret(kb, settings, tmp_path):
    s = settings.model_copy(update={"data_dir": tmp_path, "telegram_token": "123456:TEST-token",
                                    "telegram_webhook_secret": "s3cr3t-token_value"})
    rec = RecordingRequest()
    api = create_app(s, Context(settings=s, kb=kb, qalog=QALog(s)), telegram_request=rec)
    with TestClient(api) as c:
        body = message(Q)
        assert c.post("/telegram/webhook", json=body).status_code == 403
        r = c.post("/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert r.status_code == 403 and not rec.sent()
        r = c.post("/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_value"})
        assert r.status_code == 200
        for _ in range(100):
            if rec.sent():
                break
            time.sleep(0.05)
        assert "有场所" in rec.sent()[0]["text"]
        bad = c.post("/telegram/webhook", content=b"{not json",
                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_value"})
        assert bad.status_code == 400


def test_token_never_reaches_the_logs(settings, caplog):
    import logging

    from bot.context import RedactSecrets

    s = settings.model_copy(update={"telegram_token": "123456:SECRET-TOKEN", "api_key": "user-key-123"})
    logger = logging.getLogger("httpx")
    handler = logging.StreamHandler()
    f = RedactSecrets(s.secrets())
    record = logger.makeRecord("httpx", logging.INFO, __file__, 1,
                               'HTTP Request: POST https://api.telegram.org/bot%s/sendMessage "%s"',
                               ("123456:SECRET-TOKEN", "user-key-123"), None)
    f.filter(record)
    assert "SECRET" not in record.getMessage() and "user-key-123" not in record.getMessage()
    assert "bot***/sendMessage" in record.getMessage()
    handler.close()


async def test_suggestion_buttons_ask_the_question(tg):
    app, rec, ctx = await tg()
    await feed(app, message("今天股市怎么样？"))
    refusal = rec.sent()[-1]
    assert "没有找到" in refusal["text"] and "您可以试着问问" not in refusal["text"]
    buttons = [b for row in refusal["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons and all(b["callback_data"].startswith("sg:") and len(b["callback_data"].encode()) <= 64
                           for b in buttons)
    bot_msg = {"message_id": 99, "date": int(time.time()), "from": BOT, "chat": {"id": 4242, "type": "private"}, "text": "x"}
    await feed(app, {"update_id": next(_ids), "callback_query": {"id": "cb9", "from": USER, "chat_instance": "1",
                                                                 "message": bot_msg, "data": buttons[0]["callback_data"]}})
    asked, answered = rec.sent()[-2:]
    assert asked["text"] == "问：" + buttons[0]["text"]
    assert "<b>来源</b>" in answered["text"]  # the suggested question is answered, with sources
    rows, _ = ctx.qalog.query(LogQuery(channel="telegram"))
    assert rows[0]["question"] == buttons[0]["text"] and not rows[0]["refused"]


async def test_greeting_typed_as_text_gets_the_welcome_with_buttons(tg):
    app, rec, _ = await tg()
    await feed(app, message("你好"))
    m = rec.sent()[-1]
    assert "党建工作助手" in m["text"] and "来源" not in m["text"]
    assert len(m["reply_markup"]["inline_keyboard"]) == 3
