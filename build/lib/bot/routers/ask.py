"""Asking: the JSON API, passage search, feedback and the OpenAI-compatible chat endpoint."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from retrieval.answer import render_text
from retrieval.errors import DjbotError
from retrieval.types import Turn

from ..context import Logged, ask, ask_stream
from ..deps import ApiError, Ctx, Text, User, valid_text

router = APIRouter(tags=["问答"])
MODEL_ID = "djbot"

log = logging.getLogger("djbot.http")


class AskBody(BaseModel):
    question: Text = Field(..., max_length=2000, description="问题")
    session_id: Text | None = Field(None, max_length=128, description="会话标识：用于理解追问")


class FeedbackBody(BaseModel):
    answer_id: Text = Field(..., max_length=64)
    rating: Literal[1, -1] = Field(..., description="1 = 👍，-1 = 👎")
    comment: Text | None = Field(None, max_length=2000)


class ContentPart(BaseModel):
    """An OpenAI content part; only text parts are read, and their text must be a string."""

    type: str = Field("text", max_length=32)
    text: Text | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Text | list[ContentPart] | None = None


class ChatBody(BaseModel):
    model: Text = Field("djbot", max_length=128)
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    user: Text | None = Field(None, max_length=128)


@router.post("/v1/ask", summary="提问，返回带出处的回答")
def ask_route(body: AskBody, request: Request, c: Ctx, who: User):
    channel = {"web": "web", "cli": "cli"}.get(request.headers.get("x-djbot-client", ""), "http")
    logged = ask(c, body.question, channel=channel, user_id=who, session=body.session_id or "")
    out = {**logged.answer.to_dict(), "answer_id": logged.answer_id}
    # Quote context from the generation that answered, never a newer one that a replica swapped in since.
    docs = (c.kb.documents_at(logged.answer.generation) or {}) if logged.answer.citations else {}
    for cite in out["citations"]:
        doc = docs.get(cite["source"])
        cite["context"] = quote_context(doc, cite["start"], cite["end"])
        cite["region"] = doc.region if doc else ""
    return out


@router.get("/v1/search", summary="检索相关段落")
def search_route(c: Ctx, who: User, q: Annotated[str, Query(min_length=1, max_length=500)],
                 k: Annotated[int, Query(ge=1, le=50)] = 10):
    from retrieval.answer import clean_question
    from retrieval.search import search

    try:
        valid_text(q)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    hits = search(c.kb, clean_question(q, c.settings), c.settings, k=k)
    return {"query": q, "results": [
        {"rank": i, "source": h.chunk.source, "chunk_id": h.chunk.id, "title": h.chunk.title,
         "section": h.chunk.section, "score": round(h.score, 6), "text": h.chunk.text}
        for i, h in enumerate(hits, start=1)]}


@router.get("/v1/models", summary="OpenAI 兼容：可用模型列表")
def models(who: User):
    """Chat front-ends (Open WebUI, LobeChat, ChatGPT-Next-Web) list models before they chat."""
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 1700000000,
                                        "owned_by": "djbot"}]}


@router.get("/v1/models/{model_id}", summary="OpenAI 兼容：模型信息")
def model(model_id: str, who: User):
    if model_id != MODEL_ID:
        raise ApiError(404, "model_not_found", f"没有模型“{model_id}”，可用：{MODEL_ID}")
    return {"id": MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "djbot"}


@router.post("/v1/chat/completions", summary="OpenAI 兼容接口（可流式）")
def chat(body: ChatBody, c: Ctx, who: User):
    s = c.settings
    texts = [_text(m.content) for m in body.messages]
    # Every input is bounded before any work: one message, all of them together, each question.
    for i, t in enumerate(texts, start=1):
        if len(t) > s.max_message_chars:
            raise ApiError(422, "invalid_request", f"第 {i} 条消息太长（{len(t)} 字，上限 {s.max_message_chars} 字）")
    if sum(map(len, texts)) > s.max_chat_chars:
        raise ApiError(413, "too_large", f"对话内容太长（上限共 {s.max_chat_chars} 字），请只保留最近几轮")
    users = [t for m, t in zip(body.messages, texts, strict=True) if m.role == "user" and t.strip()]
    if not users:
        raise ApiError(422, "invalid_request", "messages 中至少需要一条 user 消息")
    created = int(time.time())
    history = _chat_history(body.messages)
    for h in history:
        if len(h.question.strip()) > s.max_question_chars:
            raise ApiError(422, "invalid_request", f"历史问题太长（上限 {s.max_question_chars} 字），请精简后重试")
    if not body.stream:
        logged = ask(c, users[-1], channel="openai", user_id=body.user or who, history=history)
        ans = logged.answer
        return {"id": "chatcmpl-" + logged.answer_id, "object": "chat.completion", "created": created,
                "model": body.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": render_text(ans)},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": ans.to_dict()["citations"], "djbot": _extra(logged)}
    # Validate before streaming starts, so bad input still gets a proper JSON error.
    from retrieval.answer import clean_question

    clean_question(users[-1], c.settings)
    cid = "chatcmpl-" + uuid.uuid4().hex

    def chunk(delta: dict, finish=None, more: dict | None = None) -> str:
        obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **(more or {})}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    def events():
        yield chunk({"role": "assistant", "content": ""})
        try:
            logged = None
            for item in ask_stream(c, users[-1], channel="openai", user_id=body.user or who, history=history):
                if isinstance(item, Logged):
                    logged = item
                else:
                    yield chunk({"content": item})
            ans = logged.answer
            tail = render_text(ans)[len(ans.text):]  # the sources block (or refusal topics)
            if tail:
                yield chunk({"content": tail})
            yield chunk({}, "stop", {"citations": ans.to_dict()["citations"], "djbot": _extra(logged)})
        except Exception as exc:  # headers are sent: report the failure in the stream and end it properly
            known = isinstance(exc, DjbotError)
            if not known:
                log.exception("chat stream failed")
            message = exc.message if known else "服务器内部错误，请稍后再试"
            yield chunk({}, "error", {"error": {"code": exc.code if known else "internal", "message": message}})
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/v1/feedback", summary="对回答点赞或点踩")
def feedback(body: FeedbackBody, c: Ctx, who: User):
    if not c.qalog.feedback(body.answer_id, body.rating, body.comment):
        raise ApiError(404, "not_found", "找不到这条回答")
    return {"ok": True}


def _extra(logged: Logged) -> dict:
    ans = logged.answer
    return {"answer_id": logged.answer_id, "refused": ans.refused, "mode": ans.mode,
            "citations": ans.to_dict()["citations"], "suggestions": list(ans.suggestions), "guard": ans.guard}


def quote_context(doc, start: int, end: int, width: int = 160) -> dict:
    """The quote inside its paragraph: text before, the quote, text after (for highlighting)."""
    if doc is None:
        return {"before": "", "quote": "", "after": ""}
    text = doc.text
    p0 = text.rfind("\n", 0, start) + 1
    p1 = text.find("\n", end)
    p1 = len(text) if p1 < 0 else p1
    before = text[max(p0, start - width) : start]
    after = text[end : min(p1, end + width)]
    return {"before": ("…" if start - width > p0 else "") + before, "quote": text[start:end],
            "after": after + ("…" if end + width < p1 else "")}


def _chat_history(messages) -> list[Turn]:
    """Earlier user turns paired with the assistant reply that followed each, newest three, for follow-ups."""
    turns: list[Turn] = []
    for m in messages[:-1]:
        text = _text(m.content)
        if m.role == "user" and text.strip():
            turns.append(Turn(text))
        elif m.role == "assistant" and turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, text)
    return turns[-3:]


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: text parts only
        return "".join(p.text or "" for p in content if isinstance(p, ContentPart) and p.type == "text")
    return ""
