"""HTTP service: the app factory. Routes live in bot/routers (one module per resource) and in the
channel modules (Telegram, WeCom/WeChat); shared dependencies in bot/deps.py."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from retrieval.errors import DjbotError
from retrieval.settings import Settings

from . import uploads
from .bodylimit import BodyLimit
from .context import Context, load_context
from .deps import ApiError, RateLimiter, error_response
from .jobs import Jobs
from .routers import ask, documents, evals, ops, web
from .routers import log as log_router
from .routers.documents import safe_filename, sniff  # noqa: F401  (public helpers, kept importable here)

log = logging.getLogger("djbot.http")


def create_app(settings: Settings, ctx: Context | None = None, *, telegram_request=None, http_client=None,
               clock=None) -> FastAPI:
    """Build the service; heavy parts load in the lifespan (or come in as `ctx` for tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ctx = ctx or await run_in_threadpool(load_context, settings)
        kb = app.state.ctx.kb
        if not kb.warmers:
            from retrieval.answer import warm

            kb.warmers.append(partial(warm, kb))
        def open_parts() -> None:
            # Open the vector collection once, here: opened lazily by the first concurrent requests,
            # Chroma's client set-up raced ("Could not connect to tenant default_tenant").
            kb.collection.count()
            kb.embedder.embed_query("预热")

        try:
            # The snapshot (built and warmed now, not by the first question) and the model and vector store
            # load side by side: much of each runs outside the GIL, and a big knowledge base starts sooner.
            await asyncio.gather(run_in_threadpool(kb.refresh), run_in_threadpool(open_parts))
            await run_in_threadpool(kb.tokenizer.tokens, "预热")  # jieba loads its dictionary
        except DjbotError as exc:
            log.warning("index not ready: %s", exc.message)
        app.state.ctx.kb.start_watching()  # swap in generations committed by other replicas
        uploads.resume(app)  # upload jobs journaled before a crash or restart
        for starter in app.state.on_start:
            await starter(app)
        try:
            yield
        finally:
            for stopper in app.state.on_stop:
                await stopper(app)
            app.state.ctx.kb.stop_watching()

    app = FastAPI(
        title="djbot 党建工作助手 API",
        version="0.1.0",
        description="只依据知识库作答、每句都带出处的党建问答服务。错误统一返回 {error: {code, message}}。",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if ctx is not None:
        app.state.ctx = ctx  # usable without the lifespan (ASGI test tools)
    app.state.limiter = RateLimiter(settings.rate_limit)
    app.state.jobs = Jobs()
    app.state.on_start = []
    app.state.on_stop = []
    app.state.channels = {}  # chat channel -> ChannelStatus (bot/channels.py), shown by /readyz
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])

    app.add_middleware(BodyLimit, upload_limit=settings.max_request_bytes,
                       default_limit=min(settings.max_body_bytes, settings.max_request_bytes))

    install_error_handlers(app)
    for module in (ops, ask, documents, evals, log_router, uploads):
        app.include_router(module.router)

    # Chat channels: each adds its own routes (only when configured) and start/stop hooks.
    from .telegram import install_webhook
    from .wecom import install_wecom

    app.state.http = http_client  # outbound client for WeCom/WeChat APIs (tests pass a MockTransport)
    app.state.clock = clock or time.time  # injectable for replay-window checks
    install_webhook(app, request=telegram_request)
    install_wecom(app)

    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.WEB), name="static")
    return app


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as {"error": {"code", "message"}} with a Chinese message; tracebacks stay in logs."""

    @app.exception_handler(ApiError)
    async def api_error(_req, exc: ApiError):
        return error_response(exc.status_code, exc.code, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_req, exc: StarletteHTTPException):
        messages = {400: "请求格式不正确（请求体无法解析）", 404: "找不到该地址", 405: "不支持该请求方法"}
        msg = messages.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, f"http_{exc.status_code}", msg, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_req, exc: RequestValidationError):
        where = "; ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:3])
        return error_response(422, "invalid_request", f"请求格式不正确（{where}）")

    @app.exception_handler(DjbotError)
    async def djbot_error(_req, exc: DjbotError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(Exception)
    async def crash(_req, exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal", "服务器内部错误，请稍后再试")
