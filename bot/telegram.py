"""Telegram channel (python-telegram-bot 22): a thin adapter over bot.context.ask and the Q&A log."""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import time
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
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from retrieval.answer import suggestions
from retrieval.errors import ConfigError, InvalidInputError
from retrieval.types import Answer

from .context import Context, Logged, ask, ask_stream
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
    if ans.refused:
        paras = [e(ans.text)]
        if ans.suggestions:
            paras.append("您可以试着问问：\n" + "\n".join(f"· {e(s)}" for s in ans.suggestions))
        return pack(paras, LIMIT, joiner="\n\n")
    paras = [e(line) for line in ans.text.split("\n") if line.strip()]
    sources = "\n".join(["\n<b>来源</b>"] + [e(source_line(c)) for c in ans.citations])
    return pack(paras + [sources], LIMIT)


def keyboard(logged: Logged) -> InlineKeyboardMarkup:
    """出处 [n] buttons and 👍/👎; callback data stays within Telegram's 64 bytes."""
    aid = logged.answer_id
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


async def send_answer(msg: Message, logged: Logged, placeholder: Message | None = None) -> None:
    parts = render_html(logged.answer)
    markup = keyboard(logged) if not logged.answer.refused else None
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
    firsts = {}
    for c in snap.chunks:  # one topic per document, drawn from the knowledge base itself
        if c.section and c.source not in firsts:
            firsts[c.source] = c
    from retrieval.types import Hit

    topics = suggestions([Hit(c, 1.0) for c in firsts.values()] + [Hit(c, 1.0) for c in snap.chunks], limit=5)
    lines = "\n".join(f"· {html.escape(t)}" for t in topics)
    await update.effective_message.reply_text(
        f"<b>可以这样提问</b>\n· 企业正式党员不足三人，怎么联合组建党组织？\n· 党组织活动经费可以从哪些渠道解决？\n\n"
        f"<b>知识库中的主题举例</b>\n{lines}", parse_mode=ParseMode.HTML)


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
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING, message_thread_id=msg.message_thread_id)
    kwargs = dict(channel="telegram", user_id=str(user.id if user else ""), session=f"tg:{chat.id}")
    try:
        if getattr(ctx.answer_fn, "stream", None):
            await _answer_streaming(ctx, msg, question, kwargs)
        else:
            logged = await asyncio.to_thread(ask, ctx, question, **kwargs)
            await send_answer(msg, logged)
    except InvalidInputError as exc:
        await msg.reply_text(exc.message, do_quote=True)


async def _answer_streaming(ctx: Context, msg: Message, question: str, kwargs: dict) -> None:
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
            await send_answer(msg, item, placeholder)
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
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^(src|fb):[0-9a-f]{32}:-?\d{1,3}$"))
    app.add_error_handler(on_error)
    return app


def telegram_app(request: Request) -> Application:
    """The running Application (started in the service lifespan)."""
    return request.app.state.telegram


def webhook_secret(request: Request) -> str:
    return request.app.state.settings.telegram_webhook_secret or ""


router = APIRouter(include_in_schema=False)


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request, tg: Annotated[Application, Depends(telegram_app)],
                           secret: Annotated[str, Depends(webhook_secret)]):
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JSONResponse({"error": {"code": "forbidden", "message": "密钥不正确"}}, status_code=403)
    try:
        data = await request.json()
        update = Update.de_json(data, tg.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return JSONResponse({"error": {"code": "invalid_request", "message": "无法解析的更新"}}, status_code=400)
    await tg.update_queue.put(update)
    return {"ok": True}


def install_webhook(api, request=None) -> None:
    """Add POST /telegram/webhook to the FastAPI service when configured; the Application starts with it."""
    settings = api.state.settings
    if not (settings.telegram_token and settings.telegram_webhook_secret):
        return

    async def start(app) -> None:
        tg = build_application(app.state.ctx, request=request, webhook=True)
        await tg.initialize()
        await tg.start()
        app.state.telegram = tg

    async def stop(app) -> None:
        tg = getattr(app.state, "telegram", None)
        if tg is not None:
            await tg.stop()
            await tg.shutdown()

    api.state.on_start.append(start)
    api.state.on_stop.append(stop)
    api.include_router(router)


async def set_webhook(ctx: Context, url: str) -> bool:
    """Register the service's webhook URL with Telegram, with the secret header it must carry."""
    s = ctx.settings
    if not s.telegram_webhook_secret:
        raise ConfigError("请先设置 DJBOT_TELEGRAM_WEBHOOK_SECRET（仅字母、数字、_ 和 -）")
    tg = build_application(ctx, webhook=True)
    async with tg:
        return await tg.bot.set_webhook(url, secret_token=s.telegram_webhook_secret,
                                        allowed_updates=["message", "callback_query"])

