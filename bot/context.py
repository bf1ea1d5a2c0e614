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


def load_context(settings: Settings, kb: KnowledgeBase | None = None) -> Context:
    """Open the knowledge base and the log; loads the embedder once, on purpose."""
    kb = kb or KnowledgeBase(settings)
    ctx = Context(settings=settings, kb=kb, qalog=QALog(settings))
    return ctx


def ask(ctx: Context, question: str, *, channel: str, user_id: str = "", session: str = "",
        history: list[str] | None = None, delivered: bool = True) -> Logged:
    """Answer a question for a channel and log it. `session` (chat, group, user) gives follow-ups
    their context from the log unless the channel passes `history` itself."""
    t0 = time.perf_counter()
    if history is None:
        history = ctx.qalog.recent_questions(channel, session, ctx.settings.history_minutes)
    ans = ctx.answer_fn(question, ctx.kb, ctx.settings, history=history)
    latency = (time.perf_counter() - t0) * 1000
    answer_id = ctx.qalog.record(ans, channel=channel, user_id=user_id, session=session,
                                 latency_ms=latency, delivered=delivered)
    log.info("answered channel=%s refused=%s mode=%s %.0fms", channel, ans.refused, ans.mode, latency)
    return Logged(ans, answer_id)
