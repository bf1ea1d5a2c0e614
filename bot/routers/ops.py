"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from retrieval.errors import DjbotError, IndexNotBuiltError

from ..deps import Ctx, error_response

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
