"""Liveness and readiness probes, and what the caller's key may do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from retrieval.errors import DjbotError, IndexNotBuiltError, StoreUnavailableError
from retrieval.index import index_is_current
from retrieval.settings import Settings

from ..deps import ApiError, Ctx, error_response, get_settings, require_admin, require_user

router = APIRouter(tags=["运维"])


@router.get("/healthz", summary="进程存活")
def healthz():
    return {"status": "ok"}


@router.get("/readyz", summary="可以回答问题（索引、向量库已就绪）；附各聊天通道和问答记录库的状态")
def readyz(ctx: Ctx, request: Request):
    channels = {name: st.to_dict() for name, st in getattr(request.app.state, "channels", {}).items()}
    parts = {"channels": channels, "log": ctx.qalog.status()}
    try:
        snap = ctx.kb.snapshot()
        ctx.kb.collection.count()  # the vector store answers, so a question can be answered now
    except DjbotError as exc:
        body = error_response(503, exc.code if isinstance(exc, IndexNotBuiltError) else "not_ready", exc.message)
        return _with_parts(body, parts)
    except Exception as exc:  # a vector store that cannot be reached is "not ready", not a 500
        return _with_parts(error_response(503, "not_ready", f"向量库不可用（{type(exc).__name__}）"), parts)
    # Channels, the log and the document store are reported, not required: an unreachable Telegram or log
    # database must not take the API out of rotation (answers to a log that is down wait in a local spool),
    # nor a document store that goes away after the index was read (that index keeps serving).
    store_down, current = ctx.kb.store_down, None
    if not store_down:
        try:
            current = index_is_current(ctx.kb)
        except StoreUnavailableError as exc:
            store_down = exc.message
    body = {"status": "ready", "documents": len(snap.documents), "chunks": len(snap.chunks),
            "generation": snap.generation, **parts, "index_current": current,
            "store": {"status": "degraded", "reason": store_down} if store_down else {"status": "ok"}}
    if current is False:  # still answers, with the old index's words: say so, and what to do
        body["index_note"] = "索引是用不同的设置或分词词典（userdict.txt）建立的，请运行 djbot ingest 重新入库"
    return body


@router.get("/v1/me", summary="当前密钥的权限（网页据此显示管理页）")
def me(request: Request, s: Annotated[Settings, Depends(get_settings)]):
    keys = bool(s.api_key or s.admin_key)
    try:
        require_admin(request, s)
        role = "admin"
    except ApiError:
        try:
            require_user(request, s)
            role = "user"
        except ApiError:
            role = "none"
    return {"role": role, "keys_required": keys}


def _with_parts(response, parts: dict):
    import json

    body = json.loads(response.body)
    body.update(parts)
    return type(response)(body, status_code=response.status_code)
