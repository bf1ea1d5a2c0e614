"""Liveness and readiness probes, and what the caller's key may do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from retrieval.errors import DjbotError, IndexNotBuiltError
from retrieval.settings import Settings

from ..deps import ApiError, Ctx, error_response, get_settings, require_admin, require_user

router = APIRouter(tags=["运维"])


@router.get("/healthz", summary="进程存活")
def healthz():
    return {"status": "ok"}


@router.get("/readyz", summary="索引已加载且可查询")
def readyz(ctx: Ctx):
    try:
        snap = ctx.kb.snapshot()
    except DjbotError as exc:
        return error_response(503, exc.code if isinstance(exc, IndexNotBuiltError) else "not_ready", exc.message)
    return {"status": "ready", "documents": len(snap.documents), "chunks": len(snap.chunks),
            "generation": snap.generation}


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
