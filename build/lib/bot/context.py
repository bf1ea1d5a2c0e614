"""What every channel shares: the loaded knowledge base, the Q&A log, and one `ask` function."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.answer import answer
from retrieval.index import KnowledgeBase
from retrieval.settings import Settings
from retrieval.types import Answer

from .qalog import QALog

log = logging.getLogger("djbot")

AnswerFn = Callable[..., Answer]


@dataclass
class Context:
    settings: Settings
    kb: KnowledgeBase
    qalog: QALog
    answer_fn: AnswerFn = answer  # the LLM path plugs in here; same signature


@dataclass(frozen=True)
class Logged:
    answer: Answer
    answer_id: str


class RedactSecrets(logging.Filter):
    """Replace configured secrets (bot tokens, API keys) in every log line, including library logs
    such as httpx's request URLs, which carry the Telegram token."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        msg = record.getMessage()
        clean = msg
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != msg:
            record.msg, record.args = clean, None
        return True


QUIET = ("httpx", "httpcore", "bm25s", "chromadb", "jieba")


class QuietLibraries(logging.Filter):
    """Drop the chattiest libraries' records below WARNING at the handler: bm25s sets its own logger
    to DEBUG when it is imported, which happens after logging is configured."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] not in QUIET


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Log to stderr with secrets scrubbed; quiet the chattiest libraries."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(settings.secrets())
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        handler.addFilter(QuietLibraries())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def answer_fn_for(settings: Settings, model=None) -> AnswerFn:
    """The LLM answerer when an endpoint is configured (or a model is given), else extractive."""
    if settings.llm_base_url or model is not None:
        from retrieval.llm import LLMAnswerer

        return LLMAnswerer(settings, model=model)
    return answer


def load_context(settings: Settings, kb: KnowledgeBase | None = None, model=None) -> Context:
    """Open the knowledge base and the log; loads the embedder once, on purpose."""
    kb = kb or KnowledgeBase(settings)
    return Context(settings=settings, kb=kb, qalog=QALog(settings), answer_fn=answer_fn_for(settings, model))


def _history(ctx: Context, channel: str, session: str, given: list | None) -> list:
    """The channel's own history if it passes one, else the session's recent turns from the log."""
    if given is not None:
        return given
    return ctx.qalog.recent_turns(channel, session, ctx.settings.history_minutes)


def ask(ctx: Context, question: str, *, channel: str, user_id: str = "", session: str = "",
        history: list | None = None, delivered: bool = True) -> Logged:
    """Answer a question for a channel and log it. `session` (chat, group, user) gives follow-ups
    their context from the log unless the channel passes `history` itself."""
    t0 = time.perf_counter()
    history = _history(ctx, channel, session, history)
    ans = ctx.answer_fn(question, ctx.kb, ctx.settings, history=history)
    latency = (time.perf_counter() - t0) * 1000
    answer_id = ctx.qalog.record(ans, channel=channel, user_id=user_id, session=session,
                                 latency_ms=latency, delivered=delivered)
    log.info("answered channel=%s refused=%s mode=%s %.0fms", channel, ans.refused, ans.mode, latency)
    return Logged(ans, answer_id)


def ask_stream(ctx: Context, question: str, *, channel: str, user_id: str = "", session: str = "",
               history: list | None = None, delivered: bool = True):
    """Like `ask`, yielding guarded text pieces as they are ready and finally the Logged answer.
    Without a streaming answerer the whole answer comes as one piece."""
    t0 = time.perf_counter()
    history = _history(ctx, channel, session, history)
    stream = getattr(ctx.answer_fn, "stream", None)
    if stream is None:
        logged = ask(ctx, question, channel=channel, user_id=user_id, session=session, history=history,
                     delivered=delivered)
        yield logged.answer.text
        yield logged
        return
    final = None
    for item in stream(question, ctx.kb, ctx.settings, history=history):
        if isinstance(item, Answer):
            final = item
        else:
            yield item
    latency = (time.perf_counter() - t0) * 1000
    answer_id = ctx.qalog.record(final, channel=channel, user_id=user_id, session=session, latency_ms=latency,
                                 delivered=delivered)
    yield Logged(final, answer_id)
