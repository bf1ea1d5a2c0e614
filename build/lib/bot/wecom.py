"""WeCom (企业微信) and WeChat official account (公众号) channels: thin adapters over bot.context.ask.

- /wecom/callback  self-built app: encrypted XML; acknowledged at once, answered via message/send.
- /wecom/bot       智能机器人 JSON callback (group @mentions): passive reply, or response_url later.
- GroupRobot       群机器人 webhook for pushing answers and notices to a group.
- /wechat/callback official account: plain or safe mode; passive XML reply within ~4.5 s, else the
                   customer-service message API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import time
from typing import Annotated
from xml.sax.saxutils import escape as xml_escape

import httpx
from defusedxml import ElementTree
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from retrieval.errors import DjbotError, InvalidInputError
from retrieval.settings import Settings
from retrieval.types import Answer

from .context import Context, Logged, ask
from .render import pack, plain_paragraphs, utf8_len
from .wecrypto import CryptoError, MsgCrypt, check_signature

log = logging.getLogger("djbot.wecom")
TEXT_BYTES = 2048  # WeCom app text and official-account text limits
MARKDOWN_BYTES = 4096
SOURCE_HINT = "回复“出处 1”可查看第1条引用的原文。"
QUOTE_REQUEST = re.compile(r"^\s*出处\s*(\d{1,2})\s*$")
RATE = "您提问太频繁了，请稍等一会儿再问。"
ONLY_TEXT = "目前只支持文字提问。"
APOLOGY = "抱歉，处理您的问题时出了点问题，请稍后再试。"
INVALID_TOKEN = {40001, 40014, 42001}  # token invalid or expired: refresh and retry once


class DeliveryError(DjbotError):
    code = "delivery_failed"
    status = 502


# --- small shared parts ------------------------------------------------------------------------------
class SeenIds:
    """Message ids seen recently (TTL longer than the platforms' retry windows). With a `store` (the Q&A
    log's database) the ids outlive a restart, so a captured callback cannot be replayed after one."""

    def __init__(self, ttl: float = 600.0, store=None) -> None:
        self.ttl = ttl
        self.store = store
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        if self.store is not None:
            return self.store.first_time(key, self.ttl)
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.ttl}
            t = self._seen.get(key)
            if t is not None and now - t < self.ttl:
                return False
            self._seen[key] = now
            return True


class Limiter:
    """Per-user and per-group question limits."""

    def __init__(self, user_spec: str, group_spec: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.user, self.group = parse(user_spec), parse(group_spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, user: str, group: str = "") -> bool:
        if group and not self.limiter.hit(self.group, "group:" + group):
            return False
        return self.limiter.hit(self.user, "user:" + user)


class AccessToken:
    """A cached access token, refreshed before it expires or when the API says it is invalid."""

    def __init__(self, client: httpx.AsyncClient, url: str, params: dict, margin: float = 300.0) -> None:
        self.client, self.url, self.params, self.margin = client, url, params, margin
        self._token, self._expires = "", 0.0
        self._lock = asyncio.Lock()

    async def get(self, force: bool = False) -> str:
        async with self._lock:
            if force or not self._token or time.monotonic() >= self._expires:
                r = await self.client.get(self.url, params=self.params)
                data = r.json()
                if data.get("errcode", 0) != 0 or "access_token" not in data:
                    raise DeliveryError(f"获取 access_token 失败：{data.get('errcode')} {data.get('errmsg', '')}")
                self._token = data["access_token"]
                self._expires = time.monotonic() + float(data.get("expires_in", 7200)) - self.margin
            return self._token


async def post_json(client: httpx.AsyncClient, url: str, payload: dict, *, token: AccessToken | None = None,
                    attempts: int = 3, backoff: float = 0.5) -> dict:
    """POST with retries and exponential backoff on network errors and 5xx; token refresh on 40014/42001."""
    refreshed = False
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            params = {"access_token": await token.get()} if token else None
            r = await client.post(url, params=params, content=json.dumps(payload, ensure_ascii=False).encode(),
                                  headers={"Content-Type": "application/json; charset=utf-8"})
            if r.status_code >= 500:
                raise httpx.HTTPStatusError(f"server error {r.status_code}", request=r.request, response=r)
            data = r.json()
            code = data.get("errcode", 0)
            if code in INVALID_TOKEN and token and not refreshed:
                refreshed = True
                await token.get(force=True)
                continue
            if code != 0:
                raise DeliveryError(f"接口返回错误：{code} {data.get('errmsg', '')}")
            return data
        except (httpx.HTTPError, ValueError) as exc:
            last = exc
            await asyncio.sleep(backoff * 2**attempt)
    raise DeliveryError(f"多次重试后仍无法送达：{last}")


def render_plain(ans: Answer, limit: int, footer: bool = True) -> list[str]:
    """Plain text for WeChat/WeCom: answer, compact sources, the 出处 hint; split by UTF-8 bytes."""
    paras = plain_paragraphs(ans)
    if footer and not ans.refused and ans.citations:
        paras.append(SOURCE_HINT)
    return pack(paras, limit, size=utf8_len)


def render_markdown(ans: Answer, mention: str = "") -> list[str]:
    """WeCom markdown: the asker @-ed, the answer, sources as a quote block; split by UTF-8 bytes."""
    head = f"<@{mention}> " if mention else ""
    if ans.refused or not ans.citations:  # refusal or welcome: the suggested questions follow
        paras = [head + ans.text] + [f"> {p}" for p in plain_paragraphs(ans)[1:]]
    else:
        lines = [line for line in ans.text.split("\n") if line.strip()]
        lines[0] = head + lines[0]
        sources = plain_paragraphs(ans)[-1].split("\n")
        paras = lines + ["> " + "\n> ".join(sources), SOURCE_HINT]
    return pack(paras, MARKDOWN_BYTES, size=utf8_len)


def quote_reply(ctx: Context, channel: str, session: str, n: int) -> str:
    """The full quoted passage behind citation n of the session's last answer."""
    row = ctx.qalog.last_answer(channel, session)
    cite = next((c for c in (row or {}).get("citations", []) if c["n"] == n), None)
    if cite is None:
        return f"没有找到第{n}条出处，请先提问。"
    meta = " ".join(x for x in (cite.get("publisher", ""), cite.get("date", "")) if x)
    return f"〔{n}〕《{cite['title']}》{(' ' + meta) if meta else ''}\n“{cite['quote']}”"


def parse_xml(body: bytes) -> dict[str, str]:
    """Flat XML (all WeCom/WeChat callbacks) -> dict, with defusedxml (no entities, no bombs)."""
    try:
        root = ElementTree.fromstring(body)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise InvalidInputError("无法解析的 XML") from exc
    return {child.tag: (child.text or "") for child in root}


def _cdata(s: str) -> str:
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# --- outbound clients ----------------------------------------------------------------------------------
class WeComApp:
    """The self-built application's message/send API."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.s, self.client = settings, client
        self.token = AccessToken(client, f"{settings.wecom_api}/cgi-bin/gettoken",
                                 {"corpid": settings.wecom_corp_id, "corpsecret": settings.wecom_secret})

    async def send_text(self, user: str, text: str) -> None:
        for part in pack([text], TEXT_BYTES, size=utf8_len):
            await post_json(self.client, f"{self.s.wecom_api}/cgi-bin/message/send",
                            {"touser": user, "msgtype": "text", "agentid": int(self.s.wecom_agent_id or 0),
                             "text": {"content": part}}, token=self.token, backoff=self.s.wecom_retry_backoff_s)


class OfficialAccount:
    """The official account's customer-service message API."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.s, self.client = settings, client
        self.token = AccessToken(client, f"{settings.wechat_api}/cgi-bin/token",
                                 {"grant_type": "client_credential", "appid": settings.wechat_app_id,
                                  "secret": settings.wechat_secret})

    async def send_text(self, openid: str, text: str) -> None:
        for part in pack([text], TEXT_BYTES, size=utf8_len):
            await post_json(self.client, f"{self.s.wechat_api}/cgi-bin/message/custom/send",
                            {"touser": openid, "msgtype": "text", "text": {"content": part}},
                            token=self.token, backoff=self.s.wecom_retry_backoff_s)


class GroupRobot:
    """群机器人 webhook: markdown or text, split by UTF-8 bytes, at most 20 messages a minute."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient, clock=time.monotonic, sleep=asyncio.sleep) -> None:
        if not settings.wecom_webhook_key:
            raise DjbotError("未配置群机器人 webhook key（DJBOT_WECOM_WEBHOOK_KEY）")
        self.s, self.client, self.clock, self.sleep = settings, client, clock, sleep
        self.url = f"{settings.wecom_api}/cgi-bin/webhook/send"
        self.sent: list[float] = []

    async def _slot(self) -> None:
        """Wait until a message may go out under the 20-per-minute rule."""
        while True:
            now = self.clock()
            self.sent = [t for t in self.sent if now - t < 60]
            if len(self.sent) < self.s.wecom_webhook_per_minute:
                self.sent.append(now)
                return
            await self.sleep(60 - (now - self.sent[0]) + 0.01)

    async def send(self, content: str, markdown: bool = True) -> int:
        """Send content (split as needed); returns the number of messages."""
        limit = MARKDOWN_BYTES if markdown else TEXT_BYTES
        parts = pack(content.split("\n"), limit, size=utf8_len)
        for part in parts:
            await self._slot()
            kind = "markdown" if markdown else "text"
            for attempt in range(3):
                r = await self.client.post(self.url, params={"key": self.s.wecom_webhook_key},
                                           json={"msgtype": kind, kind: {"content": part}})
                data = r.json() if r.status_code < 500 else {"errcode": -1, "errmsg": f"http {r.status_code}"}
                code = data.get("errcode", 0)
                if code == 0:
                    break
                if code in {45009, -1} and attempt < 2:  # over the frequency limit, or a server error
                    await self.sleep(self.s.wecom_retry_backoff_s * 2**attempt * (60 if code == 45009 else 1))
                    continue
                raise DeliveryError(f"群机器人发送失败：{code} {data.get('errmsg', '')}")
        return len(parts)

    async def push_answer(self, logged: Logged) -> int:
        return await self.send("\n".join(render_markdown(logged.answer)), markdown=True)


# --- the routes ------------------------------------------------------------------------------------------
class WeComState:
    """What the WeCom/WeChat routes share: dedup, limits, background tasks, crypto, the clock."""

    def __init__(self, settings: Settings, clock=time.time) -> None:
        s = self.settings = settings
        self.seen = SeenIds(s.wecom_dedup_ttl_s)
        self.limiter = Limiter(s.wecom_rate_limit, s.wecom_group_rate_limit)
        self.tasks: set[asyncio.Task] = set()
        self.pending: dict[str, asyncio.Task] = {}
        self.clock = clock
        self.app_crypt = (MsgCrypt(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)
                          if s.wecom_token and s.wecom_aes_key and s.wecom_corp_id else None)
        self.bot_crypt = (MsgCrypt(s.wecom_bot_token, s.wecom_bot_aes_key, s.wecom_bot_receive_id)
                          if s.wecom_bot_token and s.wecom_bot_aes_key else None)
        self.oa_crypt = (MsgCrypt(s.wechat_token, s.wechat_aes_key, s.wechat_app_id)
                         if s.wechat_token and s.wechat_aes_key else None)

    def fresh(self, timestamp: str) -> None:
        """Reject callbacks whose timestamp is outside the replay window (when one is set)."""
        window = self.settings.wecom_replay_window_s
        if window and (not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > window):
            raise CryptoError("请求时间戳超出允许范围（可能是重放）")

    def spawn(self, coro) -> asyncio.Task:
        """Run in the background, keeping a reference so the task is neither collected nor forgotten."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def wecom_state(request: Request) -> WeComState:
    st = request.app.state.wecom
    if st.seen.store is None and getattr(request.app.state, "ctx", None) is not None:
        st.seen.store = request.app.state.ctx.qalog  # persisted de-duplication, shared by every worker
    return st


Channel = Annotated[WeComState, Depends(wecom_state)]


def _object(value, strict: bool = True) -> dict:
    """A JSON object, or {} (or ValueError when `strict`) for any other shape a sender may post."""
    if isinstance(value, dict):
        return value
    if strict:
        raise ValueError("not a JSON object")
    return {}


def _field(obj: dict, name: str) -> str:
    value = obj.get(name, "")
    return value if isinstance(value, str) else ""


def _reject(exc: DjbotError) -> Response:
    return PlainTextResponse(exc.message, status_code=exc.status)


def _url_check(st: WeComState, crypt: MsgCrypt, msg_signature: str, timestamp: str, nonce: str,
               echostr: str) -> Response:
    """GET verification used by WeCom when the callback URL is saved: decrypt and echo echostr."""
    try:
        st.fresh(timestamp)
        return PlainTextResponse(crypt.verify(msg_signature, timestamp, nonce, echostr))
    except DjbotError as exc:
        return _reject(exc)


app_router = APIRouter(include_in_schema=False)  # self-built application
bot_router = APIRouter(include_in_schema=False)  # smart bot (group @mentions)
wechat_router = APIRouter(include_in_schema=False)  # official account


@app_router.get("/wecom/callback")
async def wecom_verify(st: Channel, msg_signature: str = "", timestamp: str = "", nonce: str = "",
                       echostr: str = ""):
    return _url_check(st, st.app_crypt, msg_signature, timestamp, nonce, echostr)


@app_router.post("/wecom/callback")
async def wecom_message(request: Request, st: Channel, msg_signature: str = "", timestamp: str = "",
                        nonce: str = ""):
    s = st.settings
    try:
        st.fresh(timestamp)
        outer = parse_xml(await request.body())
        inner = parse_xml(st.app_crypt.verify(msg_signature, timestamp, nonce, outer.get("Encrypt", "")).encode())
    except DjbotError as exc:
        return _reject(exc)
    if s.wecom_agent_id and inner.get("AgentID", "") != str(s.wecom_agent_id):
        log.warning("ignored a WeCom message for an unknown agent")
        return PlainTextResponse("")
    user = inner.get("FromUserName", "")
    msg_id = inner.get("MsgId") or f"{user}:{inner.get('CreateTime')}"
    if inner.get("MsgType") == "event" or not user or not st.seen.first_time("wecom:" + msg_id):
        return PlainTextResponse("")  # an event, or a retry of a message already being answered
    if inner.get("MsgType") != "text":
        st.spawn(_deliver_wecom(request.app, user, None, ONLY_TEXT))
    else:
        st.spawn(_answer_wecom(request.app, user, inner.get("Content", "")))
    return PlainTextResponse("")  # acknowledged at once: WeCom retries after 5 s


@bot_router.get("/wecom/bot")
async def wecom_bot_verify(st: Channel, msg_signature: str = "", timestamp: str = "", nonce: str = "",
                           echostr: str = ""):
    return _url_check(st, st.bot_crypt, msg_signature, timestamp, nonce, echostr)


@bot_router.post("/wecom/bot")
async def wecom_bot(request: Request, st: Channel, msg_signature: str = "", timestamp: str = "", nonce: str = ""):
    s = st.settings
    try:
        st.fresh(timestamp)
        body = _object(json.loads(await request.body() or b"{}"))
        data = _object(json.loads(st.bot_crypt.verify(msg_signature, timestamp, nonce, str(body.get("encrypt", "")))))
    except (ValueError, AttributeError, TypeError, RecursionError):
        return PlainTextResponse("无法解析的请求", status_code=400)
    except DjbotError as exc:
        return _reject(exc)
    if s.wecom_bot_id and data.get("aibotid") != s.wecom_bot_id:
        return PlainTextResponse("")
    user = _field(_object(data.get("from"), strict=False), "userid")
    group = _field(data, "chatid") if data.get("chattype") == "group" else ""
    if data.get("msgtype") != "text" or not user or not st.seen.first_time("bot:" + str(data.get("msgid"))[:100]):
        return PlainTextResponse("")
    text = re.sub(r"^(\s*@\S+\s*)+", "", _field(_object(data.get("text"), strict=False), "content")).strip()
    if not st.limiter.allow(user, group):
        return _sealed(st.bot_crypt, {"msgtype": "text", "text": {"content": RATE}})
    task = st.spawn(_answer_bot(request.app, user, group, text))
    try:
        parts = await asyncio.wait_for(asyncio.shield(task), s.wecom_reply_budget_s)
    except TimeoutError:
        st.spawn(_push_later(request.app, task, data.get("response_url", "")))
        return PlainTextResponse("")
    reply = _sealed(st.bot_crypt, {"msgtype": "markdown", "markdown": {"content": parts[0]}})
    if len(parts) > 1 and data.get("response_url"):
        st.spawn(_post_response_url(request.app, data["response_url"], parts[1:]))
    return reply


@wechat_router.get("/wechat/callback")
async def wechat_verify(st: Channel, signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""):
    try:
        st.fresh(timestamp)
        check_signature(signature, st.settings.wechat_token, timestamp, nonce)
    except DjbotError as exc:
        return _reject(exc)
    return PlainTextResponse(echostr)


@wechat_router.post("/wechat/callback")
async def wechat_message(request: Request, st: Channel, signature: str = "", timestamp: str = "", nonce: str = "",
                         encrypt_type: str = "", msg_signature: str = ""):
    s, oa_crypt = st.settings, st.oa_crypt
    try:
        st.fresh(timestamp)
        check_signature(signature, s.wechat_token, timestamp, nonce)
        outer = parse_xml(await request.body())
        safe = encrypt_type == "aes"
        if oa_crypt is not None and not safe:
            # The URL signature does not cover the body: with a key set, only signed ciphertext counts.
            raise CryptoError("已启用安全模式（配置了 DJBOT_WECHAT_AES_KEY），只接受加密消息")
        if safe:
            if oa_crypt is None:
                raise CryptoError("未配置 DJBOT_WECHAT_AES_KEY，无法处理安全模式消息")
            msg = parse_xml(oa_crypt.verify(msg_signature, timestamp, nonce, outer.get("Encrypt", "")).encode())
        else:
            msg = outer
    except DjbotError as exc:
        return _reject(exc)
    openid, me = msg.get("FromUserName", ""), msg.get("ToUserName", "")
    if msg.get("MsgType") != "text":
        return _oa_reply(oa_crypt if safe else None, openid, me, ONLY_TEXT, nonce) \
            if msg.get("MsgType") != "event" else PlainTextResponse("success")
    key = "wechat:" + (msg.get("MsgId") or f"{openid}:{msg.get('CreateTime')}")
    task = st.pending.get(key)
    if task is None:
        if not st.seen.first_time(key):
            return PlainTextResponse("success")  # already answered (passively or by the API)
        task = st.spawn(_answer_wechat(request.app, openid, msg.get("Content", "")))
        st.pending[key] = task
        # If no passive reply takes it, the customer-service API delivers it once it is ready.
        st.spawn(_wechat_late(request.app, task, openid, key))
    try:
        parts, answer_id = await asyncio.wait_for(asyncio.shield(task), s.wecom_reply_budget_s)
    except TimeoutError:
        return PlainTextResponse("success")  # WeChat retries; a retry may still reply passively
    if st.pending.pop(key, None) is None:
        return PlainTextResponse("success")  # the customer-service API already took it
    if len(parts) > 1:
        st.spawn(_send_rest_wechat(request.app, openid, parts[1:], answer_id))
    return _oa_reply(oa_crypt if safe else None, openid, me, parts[0], nonce)


def install_wecom(api) -> None:
    """Add the WeCom and WeChat callbacks to the FastAPI service (only those that are configured)."""
    st = api.state.wecom = WeComState(api.state.settings, getattr(api.state, "clock", None) or time.time)

    async def start(app) -> None:
        if getattr(app.state, "http", None) is None:
            app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
            app.state.own_http = True

    async def stop(app) -> None:
        for task in list(st.tasks):
            task.cancel()
        if getattr(app.state, "own_http", False):
            await app.state.http.aclose()

    api.state.on_start.append(start)
    api.state.on_stop.append(stop)
    if st.app_crypt is not None:
        api.include_router(app_router)
    if st.bot_crypt is not None:
        api.include_router(bot_router)
    if st.settings.wechat_token:
        api.include_router(wechat_router)


def _sealed(crypt: MsgCrypt, payload: dict) -> JSONResponse:
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    enc, sig = crypt.seal(json.dumps(payload, ensure_ascii=False), ts, nonce)
    return JSONResponse({"encrypt": enc, "msgsignature": sig, "timestamp": ts, "nonce": nonce})


def _oa_reply(crypt: MsgCrypt | None, openid: str, me: str, content: str, nonce: str) -> Response:
    ts = str(int(time.time()))
    xml = (f"<xml><ToUserName>{_cdata(openid)}</ToUserName><FromUserName>{_cdata(me)}</FromUserName>"
           f"<CreateTime>{ts}</CreateTime><MsgType>{_cdata('text')}</MsgType><Content>{_cdata(content)}</Content></xml>")
    if crypt is not None:
        enc, sig = crypt.seal(xml, ts, nonce)
        xml = (f"<xml><Encrypt>{_cdata(enc)}</Encrypt><MsgSignature>{_cdata(sig)}</MsgSignature>"
               f"<TimeStamp>{ts}</TimeStamp><Nonce>{_cdata(xml_escape(nonce))}</Nonce></xml>")
    return Response(xml, media_type="application/xml")


def _client(app, name: str, cls):
    """One API client per service, so its access token is cached across messages."""
    client = getattr(app.state, name, None)
    if client is None:
        client = cls(app.state.settings, app.state.http)
        setattr(app.state, name, client)
    return client


async def _reply_parts(app, channel: str, user: str, session: str, text: str, render) -> tuple[list[str], str | None]:
    """Answer (or serve an "出处 n" request); returns the rendered parts and the answer id, if any."""
    ctx: Context = app.state.ctx
    m = QUOTE_REQUEST.match(text)
    if m:
        return pack([quote_reply(ctx, channel, session, int(m.group(1)))], TEXT_BYTES, size=utf8_len), None
    try:
        logged = await asyncio.to_thread(ask, ctx, text, channel=channel, user_id=user, session=session)
    except InvalidInputError as exc:
        return [exc.message], None
    return render(logged.answer), logged.answer_id


async def _answer_wecom(app, user: str, text: str) -> None:
    state = app.state
    if not state.wecom.limiter.allow("wecom:" + user):
        await _deliver_wecom(app, user, None, RATE)
        return
    try:
        parts, answer_id = await _reply_parts(app, "wecom", user, "wecom:" + user, text,
                                              lambda a: render_plain(a, TEXT_BYTES))
    except Exception:
        log.exception("wecom answer failed")
        parts, answer_id = [APOLOGY], None
    await _deliver_wecom(app, user, answer_id, "\n".join(parts))


async def _deliver_wecom(app, user: str, answer_id: str | None, text: str) -> None:
    """Send through message/send; an undeliverable answer stays in the log marked undelivered."""
    try:
        await _client(app, "wecom_app", WeComApp).send_text(user, text)
    except DeliveryError as exc:
        log.error("wecom delivery failed: %s", exc.message)
        if answer_id:
            app.state.ctx.qalog.mark_delivered(answer_id, False)


async def _answer_bot(app, user: str, group: str, text: str) -> list[str]:
    session = f"wecombot:{group or user}"
    try:
        parts, _ = await _reply_parts(app, "wecom", user, session, text,
                                      lambda a: render_markdown(a, mention=user if group else ""))
        return parts
    except Exception:
        log.exception("wecom bot answer failed")
        return [APOLOGY]


async def _push_later(app, task: asyncio.Task, response_url: str) -> None:
    parts = await task
    if response_url:
        await _post_response_url(app, response_url, parts)


async def _post_response_url(app, url: str, parts: list[str]) -> None:
    content = "\n".join(parts)
    if utf8_len(content) > MARKDOWN_BYTES:
        content = parts[0]
    try:
        await post_json(app.state.http, url, {"msgtype": "markdown", "markdown": {"content": content}},
                        backoff=app.state.settings.wecom_retry_backoff_s)
    except DeliveryError as exc:
        log.error("wecom bot late delivery failed: %s", exc.message)


async def _answer_wechat(app, openid: str, text: str) -> tuple[list[str], str | None]:
    if not app.state.wecom.limiter.allow("wechat:" + openid):
        return [RATE], None
    try:
        return await _reply_parts(app, "wechat", openid, "wechat:" + openid, text,
                                  lambda a: render_plain(a, TEXT_BYTES))
    except Exception:
        log.exception("wechat answer failed")
        return [APOLOGY], None


async def _wechat_late(app, task: asyncio.Task, openid: str, key: str) -> None:
    """Deliver through the customer-service API when no request replied passively in time."""
    started = time.monotonic()
    parts, answer_id = await task
    budget = app.state.settings.wecom_reply_budget_s
    if time.monotonic() - started <= budget:
        await asyncio.sleep(budget)  # fast answer: the waiting request replies passively
    else:
        await asyncio.sleep(app.state.settings.wechat_retry_grace_s)  # a WeChat retry may still take it
    if app.state.wecom.pending.pop(key, None) is None:
        return
    await _send_rest_wechat(app, openid, parts, answer_id)


async def _send_rest_wechat(app, openid: str, parts: list[str], answer_id: str | None = None) -> None:
    try:
        await _client(app, "wechat_oa", OfficialAccount).send_text(openid, "\n".join(parts))
    except DeliveryError as exc:
        log.error("wechat delivery failed: %s", exc.message)
        if answer_id:
            app.state.ctx.qalog.mark_delivered(answer_id, False)
