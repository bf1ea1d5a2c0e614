"""Telegram channel (python-telegram-bot 22): a thin adapter over bot.context.ask and the Q&A log."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from retrieval.errors import ConfigError, InvalidInputError
from retrieval.topics import examples
from retrieval.types import Answer

from .channels import ChannelStatus, PermanentFailure, connect_with_backoff
from .context import Context, Logged, ask, ask_stream
from .deps import ApiError
from .render import pack, source_line

log = logging.getLogger("djbot.telegram")
LIMIT = 4096
START = (
    "您好！我是<b>党建工作助手</b>。\n"
    "我只依据已收录的非公企业党建资料回答问题，每句话都注明出处；资料里没有的，我会直接告诉您。\n\n"
    "直接发送问题即可，例如：<i>企业正式党员不足三人，怎么联合组建党组织？</i>\n"
    "在群里请 @我 提问，或回复我的消息追问。\n/help 示例问题　/sources 资料目录"
)
NOT_ALLOWED = "抱歉，本助手只为已授权的党组织和工作人员提供服务。如需开通，请联系管理员。"
APOLOGY = "抱歉，处理您的问题时出了点问题，请稍后再试。"
RATE = "您提问太频繁了，请稍等一会儿再问。"
EMPTY = "请在 @我 之后写上您的问题。"
SEARCHING = "正在查找资料……"


def _ctx(context: ContextTypes.DEFAULT_TYPE) -> Context:
    return context.application.bot_data["ctx"]


def allowed(ctx: Context, update: Update) -> bool:
    """With allow-lists configured, only listed chats or users are served."""
    s = ctx.settings
    if not (s.telegram_allowed_chats or s.telegram_allowed_users):
        return True
    chat, user = update.effective_chat, update.effective_user
    return bool((chat and chat.id in s.telegram_allowed_chats) or (user and user.id in s.telegram_allowed_users))


def strip_entity(text: str, entity: MessageEntity) -> str:
    """Remove an entity by its UTF-16 offsets (Telegram's unit), not by Python string indices."""
    raw = text.encode("utf-16-le")
    start, end = entity.offset * 2, (entity.offset + entity.length) * 2
    return (raw[:start] + raw[end:]).decode("utf-16-le")


def addressed_question(msg: Message, bot_id: int, username: str) -> str | None:
    """In groups: the question if the bot was @mentioned (by entity) or replied to, else None."""
    text = msg.text or ""
    for entity, value in msg.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        mentioned = (entity.type == MessageEntity.MENTION and value.lower() == f"@{username}".lower()) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
        )
        if mentioned:
            return strip_entity(text, entity).strip()
    reply = msg.reply_to_message
    if reply and reply.from_user and reply.from_user.id == bot_id:
        return text.strip()
    return None


def render_html(ans: Answer) -> list[str]:
    """HTML messages within 4096 characters; every dynamic piece escaped; tags never split."""
    e = html.escape
    if ans.refused or not ans.citations:  # suggested questions come as buttons (see keyboard)
        return pack([e(ans.text)], LIMIT, joiner="\n\n")
    paras = [e(line) for line in ans.text.split("\n") if line.strip()]
    sources = "\n".join(["\n<b>来源</b>"] + [e(source_line(c)) for c in ans.citations])
    return pack(paras + [sources], LIMIT)


SUGGESTION_KEEP = 1000  # suggestion sets remembered for their buttons


def remember_suggestions(bot_data: dict, key: str, questions: tuple[str, ...]) -> None:
    """Keep a suggestion set so a button (whose data holds only key and index) can ask it later."""
    store = bot_data.setdefault("suggestions", {})
    store[key] = tuple(questions)
    while len(store) > SUGGESTION_KEEP:
        store.pop(next(iter(store)))


def suggestion_rows(key: str, questions: tuple[str, ...]) -> list[list[InlineKeyboardButton]]:
    """One button per suggested question; pressing it asks that question."""
    return [[InlineKeyboardButton(q if len(q) <= 40 else q[:39] + "…", callback_data=f"sg:{key}:{i}")]
            for i, q in enumerate(questions)]


def keyboard(logged: Logged) -> InlineKeyboardMarkup:
    """出处 [n] buttons and 👍/👎 (or the suggested questions); callback data within Telegram's 64 bytes."""
    aid = logged.answer_id
    if logged.answer.refused or not logged.answer.citations:
        return InlineKeyboardMarkup(suggestion_rows(aid, logged.answer.suggestions))
    rows, row = [], []
    for c in logged.answer.citations:
        row.append(InlineKeyboardButton(f"出处 [{c.n}]", callback_data=f"src:{aid}:{c.n}"))
        if len(row) == 4:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append([InlineKeyboardButton("👍 有帮助", callback_data=f"fb:{aid}:1"),
                 InlineKeyboardButton("👎 没帮助", callback_data=f"fb:{aid}:-1")])
    return InlineKeyboardMarkup(rows)


async def send_answer(msg: Message, logged: Logged, placeholder: Message | None = None,
                      bot_data: dict | None = None) -> None:
    parts = render_html(logged.answer)
    ans = logged.answer
    if (ans.refused or not ans.citations) and bot_data is not None:
        remember_suggestions(bot_data, logged.answer_id, ans.suggestions)
    markup = keyboard(logged) if ans.citations or (ans.suggestions and bot_data is not None) else None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if i == 0 and placeholder is not None:
            await placeholder.edit_text(part, parse_mode=ParseMode.HTML, reply_markup=markup if last else None)
        elif i == 0:
            await msg.reply_text(part, parse_mode=ParseMode.HTML, do_quote=True, reply_markup=markup if last else None)
        else:
            await msg.get_bot().send_message(msg.chat_id, part, parse_mode=ParseMode.HTML,
                                             reply_markup=markup if last else None,
                                             message_thread_id=msg.message_thread_id)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(START, parse_mode=ParseMode.HTML)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    snap = await asyncio.to_thread(ctx.kb.snapshot)
    questions = tuple(t.question for t in examples(snap, 5))  # drawn from the knowledge base itself
    key = uuid.uuid4().hex
    remember_suggestions(context.application.bot_data, key, questions)
    await update.effective_message.reply_text(
        "<b>可以这样提问</b>（点按下面的问题，或直接输入您的问题）", parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(suggestion_rows(key, questions)))


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    docs = await asyncio.to_thread(_ctx(context).kb.store.document_rows)
    lines = [f"· 《{html.escape(d['title'])}》 {html.escape(' '.join(x for x in (d['publisher'], d['date']) if x))}"
             for d in docs]
    parts = pack(["<b>资料目录</b>"] + (lines or ["知识库为空"]), LIMIT)
    for p in parts:
        await update.effective_message.reply_text(p, parse_mode=ParseMode.HTML)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if not msg or not msg.text or not chat:
        return
    ctx = _ctx(context)
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        question = addressed_question(msg, context.bot.id, context.bot.username)
        if question is None:
            return  # group chatter not addressed to the bot
    else:
        question = msg.text
    if not allowed(ctx, update):
        await msg.reply_text(NOT_ALLOWED, do_quote=True)
        return
    if not question.strip():
        await msg.reply_text(EMPTY, do_quote=True)
        return
    if not context.application.bot_data["limiter"].allow(f"tg:{user.id if user else chat.id}"):
        await msg.reply_text(RATE, do_quote=True)
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING, message_thread_id=msg.message_thread_id)
    except TelegramError as exc:  # "typing…" is a courtesy: its failure must not drop the question
        log.warning("telegram chat action failed: %s", exc)
    # Logged as undelivered until Telegram has accepted every part of the reply.
    kwargs = dict(channel="telegram", user_id=str(user.id if user else ""), session=f"tg:{chat.id}",
                  delivered=False)
    try:
        if getattr(ctx.answer_fn, "stream", None):
            await _answer_streaming(ctx, msg, question, kwargs, context.application.bot_data)
        else:
            logged = await asyncio.to_thread(ask, ctx, question, **kwargs)
            await _send_logged(ctx, msg, logged, bot_data=context.application.bot_data)
    except InvalidInputError as exc:
        await msg.reply_text(exc.message, do_quote=True)


async def _send_logged(ctx: Context, msg: Message, logged: Logged, placeholder: Message | None = None,
                       bot_data: dict | None = None) -> None:
    """Send an answer and record in the log whether Telegram took it."""
    try:
        await send_answer(msg, logged, placeholder, bot_data)
    except TelegramError:
        log.error("telegram delivery failed for answer %s", logged.answer_id)
        raise  # the error handler logs the traceback and tries a short apology
    await asyncio.to_thread(ctx.qalog.mark_delivered, logged.answer_id, True)


async def _answer_streaming(ctx: Context, msg: Message, question: str, kwargs: dict, bot_data: dict) -> None:
    """LLM mode: edit one message as guarded statements arrive, at a sensible interval."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def produce() -> None:
        try:
            for item in ask_stream(ctx, question, **kwargs):
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except BaseException as exc:  # hand the failure to the handler, which apologises
            loop.call_soon_threadsafe(queue.put_nowait, exc)

    placeholder = await msg.reply_text(SEARCHING, do_quote=True)
    worker = loop.run_in_executor(None, produce)
    shown, last_edit, text = "", 0.0, ""
    while True:
        item = await queue.get()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Logged):
            await worker
            await _send_logged(ctx, msg, item, placeholder, bot_data)
            return
        text += item
        now = time.monotonic()
        if text != shown and now - last_edit >= ctx.settings.telegram_stream_interval_s and len(text) < LIMIT - 100:
            await placeholder.edit_text(html.escape(text) + " ▌", parse_mode=ParseMode.HTML)
            shown, last_edit = text, now


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    ctx = _ctx(context)
    if not allowed(ctx, update):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    kind, answer_id, value = (query.data or "::").split(":", 2)
    if kind == "sg":
        await _ask_suggestion(update, context, answer_id, int(value))
        return
    if kind == "fb":
        ok = await asyncio.to_thread(ctx.qalog.feedback, answer_id, 1 if value == "1" else -1)
        await query.answer("感谢您的反馈！" if ok else "这条回答已找不到了")
        return
    row = await asyncio.to_thread(ctx.qalog.get, answer_id)
    cite = next((c for c in (row or {}).get("citations", []) if str(c["n"]) == value), None)
    if cite is None:
        await query.answer("这条出处已找不到了", show_alert=True)
        return
    await query.answer()
    meta = " ".join(x for x in (cite.get("publisher", ""), cite.get("date", "")) if x)
    head = f"<b>〔{cite['n']}〕《{html.escape(cite['title'])}》</b>\n{html.escape(meta)}\n"
    for part in pack([head, f"<blockquote>{html.escape(cite['quote'])}</blockquote>"], LIMIT):
        await query.message.reply_text(part, parse_mode=ParseMode.HTML)


async def _ask_suggestion(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, i: int) -> None:
    """A suggested-question button: ask that question in the chat, as if it had been typed."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    questions = context.application.bot_data.get("suggestions", {}).get(key, ())
    if not 0 <= i < len(questions):
        await query.answer("这个建议已过期，请直接输入您的问题", show_alert=True)
        return
    if not context.application.bot_data["limiter"].allow(f"tg:{user.id if user else chat.id}"):
        await query.answer(RATE, show_alert=True)
        return
    await query.answer()
    ctx = _ctx(context)
    question = questions[i]
    shown = await query.message.reply_text(f"问：{question}")
    logged = await asyncio.to_thread(ask, ctx, question, channel="telegram", user_id=str(user.id if user else ""),
                                     session=f"tg:{chat.id}")
    await send_answer(shown, logged, bot_data=context.application.bot_data)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tracebacks go to the log; the user gets a short apology; the bot keeps running."""
    log.error("telegram handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(APOLOGY)
        except Exception:  # the apology itself must never crash the error handler
            log.exception("could not send the apology")


class UserLimiter:
    """Per-user question limit (on top of AIORateLimiter, which paces the Bot API itself)."""

    def __init__(self, spec: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.item = parse(spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, key: str) -> bool:
        return self.limiter.hit(self.item, key)


def build_application(ctx: Context, *, request=None, webhook: bool = False) -> Application:
    """The Application with every handler; `request` replaces the network (tests), `webhook` drops the Updater."""
    s = ctx.settings
    if not s.telegram_token:
        raise ConfigError("未配置 Telegram 机器人令牌：请设置 DJBOT_TELEGRAM_TOKEN")
    builder = Application.builder().token(s.telegram_token).rate_limiter(AIORateLimiter(max_retries=2))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if webhook:
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data["ctx"] = ctx
    app.bot_data["limiter"] = UserLimiter(s.telegram_rate_limit)
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
    app.add_handler(CommandHandler("sources", on_sources))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^(src|fb|sg):[0-9a-f]{32}:-?\d{1,3}$"))
    app.add_error_handler(on_error)
    return app


def telegram_app(request: Request) -> Application:
    """The Application, once connected; until then Telegram is told to retry later."""
    status = request.app.state.channels.get("telegram")
    tg = getattr(request.app.state, "telegram", None)
    if tg is None or status is None or status.state != "ok":
        reason = status.to_dict()["status"] if status else "未启动"
        raise ApiError(503, "channel_unavailable", f"Telegram 通道尚未就绪（{reason}）", {"Retry-After": "30"})
    return tg


def webhook_secret(request: Request) -> str:
    return request.app.state.settings.telegram_webhook_secret or ""


router = APIRouter(include_in_schema=False)


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request, secret: Annotated[str, Depends(webhook_secret)]):
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JSONResponse({"error": {"code": "forbidden", "message": "密钥不正确"}}, status_code=403)
    tg = telegram_app(request)
    try:
        data = await request.json()
        update = Update.de_json(data, tg.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return JSONResponse({"error": {"code": "invalid_request", "message": "无法解析的更新"}}, status_code=400)
    if update is None or not isinstance(update.update_id, int):
        return JSONResponse({"error": {"code": "invalid_request", "message": "无法解析的更新"}}, status_code=400)
    ctx: Context = request.app.state.ctx
    key = f"tg:{tg.bot.id}:{update.update_id}"
    if not await asyncio.to_thread(ctx.qalog.first_time, key, ctx.settings.telegram_dedup_ttl_s):
        return {"ok": True}  # a replay (or Telegram's own retry) of an update already taken
    await tg.update_queue.put(update)
    return {"ok": True}


def describe_failure(exc: BaseException) -> str:
    """Why Telegram could not be reached, in words an operator can act on."""
    if isinstance(exc, InvalidToken | PermanentFailure):
        return "Telegram 拒绝了机器人令牌（401）：令牌无效或已被撤销，请在 @BotFather 重新获取后设置 DJBOT_TELEGRAM_TOKEN"
    if isinstance(exc, TelegramError):
        return f"无法连接 Telegram（{type(exc).__name__}: {exc}），将自动重试；内网部署请检查代理或出口网络"
    return f"Telegram 初始化失败（{type(exc).__name__}），将自动重试"


async def connect_telegram(tg: Application, status: ChannelStatus, settings, *, polling: bool = False,
                           sleep=asyncio.sleep) -> None:
    """Initialize (getMe) and start the Application, retrying with backoff; a revoked token (401) is
    reported and retried at the slowest pace. Nothing here can stop the rest of the service."""

    async def connect() -> None:
        try:
            await tg.initialize()
        except InvalidToken as exc:
            raise PermanentFailure(str(exc)) from exc
        if polling:
            await tg.updater.start_polling(allowed_updates=["message", "callback_query"])
        await tg.start()

    await connect_with_backoff(status, connect, describe_failure, first_delay=min(1.0, settings.telegram_retry_max_s),
                               max_delay=settings.telegram_retry_max_s, sleep=sleep)


def install_webhook(api, request=None) -> None:
    """Add POST /telegram/webhook to the FastAPI service when configured. The Application connects in
    the background after start-up; /readyz reports its state."""
    settings = api.state.settings
    if not (settings.telegram_token and settings.telegram_webhook_secret):
        return
    status = api.state.channels["telegram"] = ChannelStatus("telegram")

    async def start(app) -> None:
        tg = build_application(app.state.ctx, request=request, webhook=True)
        app.state.telegram = tg
        app.state.telegram_task = asyncio.create_task(connect_telegram(tg, status, settings))

    async def stop(app) -> None:
        task = getattr(app.state, "telegram_task", None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tg = getattr(app.state, "telegram", None)
        if tg is not None and status.state == "ok":
            await tg.stop()
            await tg.shutdown()

    api.state.on_start.append(start)
    api.state.on_stop.append(stop)
    api.include_router(router)


async def run_polling(ctx: Context, *, request=None, stop_event: asyncio.Event | None = None) -> None:
    """Long polling for `djbot telegram`: connects with backoff (an unreachable Telegram is retried,
    never a crash), then serves until `stop_event` is set or the process is interrupted."""
    tg = build_application(ctx, request=request)
    status = ChannelStatus("telegram")
    await connect_telegram(tg, status, ctx.settings, polling=True)
    log.info("Telegram 机器人已连接（长轮询）")
    try:
        await (stop_event or asyncio.Event()).wait()
    finally:
        if tg.updater and tg.updater.running:
            await tg.updater.stop()
        await tg.stop()
        await tg.shutdown()


async def set_webhook(ctx: Context, url: str) -> bool:
    """Register the service's webhook URL with Telegram, with the secret header it must carry."""
    s = ctx.settings
    if not s.telegram_webhook_secret:
        raise ConfigError("请先设置 DJBOT_TELEGRAM_WEBHOOK_SECRET（仅字母、数字、_ 和 -）")
    tg = build_application(ctx, webhook=True)
    async with tg:
        return await tg.bot.set_webhook(url, secret_token=s.telegram_webhook_secret,
                                        allowed_updates=["message", "callback_query"])

