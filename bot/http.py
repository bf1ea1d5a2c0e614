"""HTTP service: the JSON API, an OpenAI-compatible endpoint, the web page, and the channel webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import tempfile
import threading
import time
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from retrieval.answer import render_text
from retrieval.errors import DjbotError, IndexNotBuiltError
from retrieval.settings import Settings
from retrieval.types import Turn

from .context import Context, Logged, ask, ask_stream, load_context
from .qalog import LogQuery

log = logging.getLogger("djbot.http")
WEB = Path(__file__).parent / "web"
MAX_EVAL_QUESTIONS = 500


# --- request and response bodies -------------------------------------------------------------------
class AskBody(BaseModel):
    question: str = Field(..., max_length=2000, description="问题")
    session_id: str | None = Field(None, max_length=128, description="会话标识：用于理解追问")


class FeedbackBody(BaseModel):
    answer_id: str = Field(..., max_length=64)
    rating: Literal[1, -1] = Field(..., description="1 = 👍，-1 = 👎")
    comment: str | None = Field(None, max_length=2000)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list | None = None


class ChatBody(BaseModel):
    model: str = "djbot"
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    user: str | None = Field(None, max_length=128)


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class ApiError(HTTPException):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


# --- access control and limits ---------------------------------------------------------------------
def _token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _same(a: str, b: str | None) -> bool:
    return bool(b) and hmac.compare_digest(a.encode(), b.encode())


def require_user(request: Request) -> str:
    """Bearer user (or admin) key when keys are configured; open on a localhost-only service."""
    s: Settings = request.app.state.settings
    if not (s.api_key or s.admin_key):
        return "local"
    tok = _token(request)
    if _same(tok, s.api_key) or _same(tok, s.admin_key):
        return "key:" + hashlib.sha256(tok.encode()).hexdigest()[:16]
    raise ApiError(401, "unauthorized", "缺少或错误的 API 密钥（Authorization: Bearer <key>）",
                   {"WWW-Authenticate": "Bearer"})


def require_admin(request: Request) -> str:
    s: Settings = request.app.state.settings
    if not (s.api_key or s.admin_key):
        return "local"
    if not s.admin_key:
        raise ApiError(403, "forbidden", "未配置管理员密钥（DJBOT_ADMIN_KEY），此操作已停用")
    tok = _token(request)
    if _same(tok, s.admin_key):
        return "admin"
    raise ApiError(403 if tok else 401, "forbidden", "此操作需要管理员密钥", {"WWW-Authenticate": "Bearer"})


class RateLimiter:
    """Moving-window limits per API key or client IP (the `limits` library)."""

    def __init__(self, spec: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.item = parse(spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key: str) -> None:
        if not self.limiter.hit(self.item, key):
            stats = self.limiter.get_window_stats(self.item, key)
            retry = max(1, int(stats.reset_time - time.time()) + 1)
            raise ApiError(429, "rate_limited", f"请求太频繁，请 {retry} 秒后再试", {"Retry-After": str(retry)})


def limited(request: Request, who: str = Depends(require_user)) -> str:
    key = who if who != "local" else "ip:" + (request.client.host if request.client else "?")
    request.app.state.limiter.check(key)
    return who


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


# --- background jobs (ingest, reindex) -------------------------------------------------------------
class Jobs:
    """A few background ingest jobs with progress; one runs at a time (the ingest lock)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, work) -> dict:
        job = {"id": uuid.uuid4().hex, "kind": kind, "status": "running", "stage": "", "done": 0, "total": 0,
               "result": None, "error": None, "started_at": time.time()}
        with self._lock:
            self._jobs[job["id"]] = job
            if len(self._jobs) > 100:
                oldest = sorted(self._jobs.values(), key=lambda j: j["started_at"])[0]
                self._jobs.pop(oldest["id"], None)

        def progress(stage: str, done: int, total: int) -> None:
            job.update(stage=stage, done=done, total=total)

        def run() -> None:
            try:
                job["result"] = work(progress)
                job["status"] = "done"
            except DjbotError as exc:
                job.update(status="failed", error=exc.message)
            except Exception:  # the job must report, not vanish
                log.exception("job %s failed", job["id"])
                job.update(status="failed", error="处理失败，请查看服务日志")

        threading.Thread(target=run, daemon=True, name=f"job-{kind}").start()
        return job

    def get(self, job_id: str) -> dict | None:
        return self._jobs.get(job_id)


# --- uploads ---------------------------------------------------------------------------------------
ALLOWED = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}


def safe_filename(name: str) -> str:
    """Keep the base name, letters (CJK included), digits and ._-; never a path."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-\u3400-\u9fff（）()]", "_", base).lstrip(".")
    return base[:120]


def sniff(data: bytes, suffix: str) -> str | None:
    """Check the content matches the extension; returns an error message or None."""
    if suffix == ".pdf":
        return None if data.lstrip()[:5] == b"%PDF-" else "内容不是PDF"
    if suffix == ".docx":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return None if "word/document.xml" in z.namelist() else "内容不是Word文档"
        except zipfile.BadZipFile:
            return "内容不是Word文档"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "内容是二进制数据，不是文本"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF")):
        return "内容是二进制文件，不是文本"
    return None


# --- the app ---------------------------------------------------------------------------------------
def create_app(settings: Settings, ctx: Context | None = None, *, telegram_request=None, http_client=None,
               clock=None) -> FastAPI:
    """Build the service; heavy parts load in the lifespan (or come in as `ctx` for tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ctx = ctx or await run_in_threadpool(load_context, settings)
        try:
            await run_in_threadpool(app.state.ctx.kb.snapshot)
            await run_in_threadpool(app.state.ctx.kb.embedder.embed_query, "预热")
            await run_in_threadpool(app.state.ctx.kb.tokenizer.tokens, "预热")  # jieba loads its dictionary
        except DjbotError as exc:
            log.warning("index not ready: %s", exc.message)
        app.state.ctx.kb.start_watching()  # swap in generations committed by other replicas
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
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > settings.max_request_bytes:
            mb = settings.max_request_bytes // 1024 // 1024
            return _error(413, "too_large", f"请求体过大，上限为 {mb} MB")
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_req, exc: ApiError):
        return _error(exc.status_code, exc.code, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_req, exc: StarletteHTTPException):
        messages = {400: "请求格式不正确（请求体无法解析）", 404: "找不到该地址", 405: "不支持该请求方法"}
        msg = messages.get(exc.status_code, str(exc.detail))
        return _error(exc.status_code, f"http_{exc.status_code}", msg, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_req, exc: RequestValidationError):
        where = "; ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:3])
        return _error(422, "invalid_request", f"请求格式不正确（{where}）")

    @app.exception_handler(DjbotError)
    async def djbot_error(_req, exc: DjbotError):
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(Exception)
    async def crash(_req, exc: Exception):
        log.exception("unhandled error")
        return _error(500, "internal", "服务器内部错误，请稍后再试")

    # --- health ---
    @app.get("/healthz", tags=["运维"], summary="进程存活")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["运维"], summary="索引已加载且可查询")
    def readyz(request: Request):
        try:
            snap = ctx_of(request).kb.snapshot()
        except DjbotError as exc:
            return _error(503, exc.code if isinstance(exc, IndexNotBuiltError) else "not_ready", exc.message)
        return {"status": "ready", "documents": len(snap.documents), "chunks": len(snap.chunks),
                "generation": snap.generation}

    # --- asking ---
    @app.post("/v1/ask", tags=["问答"], summary="提问，返回带出处的回答")
    def ask_route(body: AskBody, request: Request, who: str = Depends(limited)):
        channel = "web" if request.headers.get("x-djbot-client") == "web" else "http"
        c = ctx_of(request)
        logged = ask(c, body.question, channel=channel, user_id=who, session=body.session_id or "")
        out = {**logged.answer.to_dict(), "answer_id": logged.answer_id}
        docs = c.kb.snapshot().documents if logged.answer.citations else {}
        for cite in out["citations"]:
            cite["context"] = quote_context(docs.get(cite["source"]), cite["start"], cite["end"])
        return out

    @app.get("/v1/search", tags=["问答"], summary="检索相关段落")
    def search_route(request: Request, q: Annotated[str, Query(min_length=1, max_length=500)],
                     k: Annotated[int, Query(ge=1, le=50)] = 10, who: str = Depends(limited)):
        from retrieval.answer import clean_question
        from retrieval.search import search

        c = ctx_of(request)
        hits = search(c.kb, clean_question(q, c.settings), c.settings, k=k)
        return {"query": q, "results": [
            {"rank": i, "source": h.chunk.source, "chunk_id": h.chunk.id, "title": h.chunk.title,
             "section": h.chunk.section, "score": round(h.score, 6), "text": h.chunk.text}
            for i, h in enumerate(hits, start=1)]}

    @app.post("/v1/chat/completions", tags=["问答"], summary="OpenAI 兼容接口（可流式）")
    def chat(body: ChatBody, request: Request, who: str = Depends(limited)):
        users = [_text(m.content) for m in body.messages if m.role == "user"]
        users = [u for u in users if u.strip()]
        if not users:
            raise ApiError(422, "invalid_request", "messages 中至少需要一条 user 消息")
        c = ctx_of(request)
        created = int(time.time())
        history = _chat_history(body.messages)
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
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/v1/feedback", tags=["问答"], summary="对回答点赞或点踩")
    def feedback(body: FeedbackBody, request: Request, who: str = Depends(limited)):
        if not ctx_of(request).qalog.feedback(body.answer_id, body.rating, body.comment):
            raise ApiError(404, "not_found", "找不到这条回答")
        return {"ok": True}

    # --- knowledge base ---
    @app.get("/v1/documents", tags=["知识库"], summary="文档列表")
    def documents(request: Request, who: str = Depends(require_admin)):
        return {"documents": ctx_of(request).kb.store.document_rows()}

    @app.post("/v1/documents", tags=["知识库"], summary="上传文档（增量入库）", status_code=202)
    async def upload(request: Request, files: Annotated[list[UploadFile], File(description="txt/md/html/docx/pdf")],
                     who: str = Depends(require_admin)):
        c = ctx_of(request)
        accepted, rejected, saved = [], [], []
        c.settings.knowledge_dir.mkdir(parents=True, exist_ok=True)
        for f in files[:50]:
            name = safe_filename(f.filename or "")
            suffix = Path(name).suffix.lower()
            if not name or suffix not in ALLOWED:
                rejected.append({"file": f.filename, "message": "不支持的文件类型：仅支持 txt、md、html、docx、pdf"})
                continue
            data = await f.read(c.settings.max_file_bytes + 1)
            if len(data) > c.settings.max_file_bytes:
                rejected.append({"file": name, "message": f"文件过大，上限为 {c.settings.max_file_bytes // 1024 // 1024} MB"})
                continue
            if not data.strip():
                rejected.append({"file": name, "message": "文件为空"})
                continue
            problem = sniff(data, suffix)
            if problem:
                rejected.append({"file": name, "message": f"文件内容与扩展名不符：{problem}"})
                continue
            path = c.settings.knowledge_dir / name
            tmp = path.with_name(f".{name}.uploading")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a half-written upload is never ingested
            saved.append(path)
            accepted.append(name)
        job = None
        if saved:
            job = request.app.state.jobs.start(
                "ingest", lambda progress: c.kb.ingest(saved, sync=False, on_progress=progress).to_dict())
        status = 202 if saved else 422
        return JSONResponse({"accepted": accepted, "rejected": rejected, "job": job and job["id"]},
                            status_code=status)

    @app.delete("/v1/documents/{source:path}", tags=["知识库"], summary="删除文档（两个索引都删除）")
    def delete_document(source: str, request: Request, who: str = Depends(require_admin)):
        c = ctx_of(request)
        if not c.kb.remove([source]):
            raise ApiError(404, "not_found", f"知识库中没有文档“{source}”")
        path = (c.settings.knowledge_dir / source).resolve()
        if path.is_file() and c.settings.knowledge_dir.resolve() in path.parents:
            path.unlink()  # otherwise the next full reindex would bring it back
        return {"deleted": source}

    @app.post("/v1/reindex", tags=["知识库"], summary="按 knowledge/ 目录重新同步索引", status_code=202)
    def reindex(request: Request, who: str = Depends(require_admin)):
        c = ctx_of(request)
        job = request.app.state.jobs.start(
            "reindex", lambda progress: c.kb.ingest([c.settings.knowledge_dir], on_progress=progress).to_dict())
        return {"job": job["id"]}

    @app.get("/v1/jobs/{job_id}", tags=["知识库"], summary="入库任务进度")
    def job_status(job_id: str, request: Request, who: str = Depends(require_admin)):
        job = request.app.state.jobs.get(job_id)
        if not job:
            raise ApiError(404, "not_found", "找不到该任务")
        return job

    # --- evaluation and log ---
    @app.post("/v1/eval", tags=["评测"], summary="上传问题集并评测（JSONL/CSV/XLSX）")
    async def eval_route(request: Request, file: Annotated[UploadFile, File()], who: str = Depends(require_admin)):
        from evals.report import render_html
        from evals.runner import load_dataset, run_eval

        c = ctx_of(request)
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in {".jsonl", ".json", ".csv", ".xlsx"}:
            raise ApiError(415, "unsupported_file", "问题集须为 .jsonl、.csv 或 .xlsx 文件")
        data = await file.read(5 * 1024 * 1024 + 1)
        if len(data) > 5 * 1024 * 1024:
            raise ApiError(413, "too_large", "问题集文件过大（上限 5 MB）")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"set{suffix}"
            path.write_bytes(data)
            items = load_dataset(path)
        if len(items) > MAX_EVAL_QUESTIONS:
            raise ApiError(413, "too_large", f"题目太多（上限 {MAX_EVAL_QUESTIONS} 题）")
        result = await run_in_threadpool(run_eval, items, c.kb, c.settings)
        return {"summary": result.summary, "records": [r.to_dict() for r in result.records],
                "report_html": render_html(result)}

    @app.get("/v1/log", tags=["记录"], summary="问答记录（分页、可筛选）")
    def log_route(request: Request, who: str = Depends(require_admin),
                  page: Annotated[int, Query(ge=1, le=100000)] = 1,
                  size: Annotated[int, Query(ge=1, le=200)] = 50,
                  date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                  date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                  channel: Annotated[str | None, Query(max_length=32)] = None,
                  refused: bool | None = None,
                  rating: Annotated[int | None, Query(ge=-1, le=1)] = None):
        q = _log_query(page, size, date_from, date_to, channel, refused, rating)
        items, total = ctx_of(request).qalog.query(q)
        return {"items": items, "total": total, "page": page, "size": size}

    @app.get("/v1/log/export.csv", tags=["记录"], summary="导出问答记录 CSV")
    def log_export(request: Request, who: str = Depends(require_admin),
                   date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                   date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                   channel: Annotated[str | None, Query(max_length=32)] = None):
        buf = StringIO()
        ctx_of(request).qalog.export_csv(buf, _log_query(1, 10**9, date_from, date_to, channel, None, None))
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="djbot-log.csv"'})

    # --- chat channels ---
    from .telegram import install_webhook
    from .wecom import install_wecom

    app.state.http = http_client  # outbound client for WeCom/WeChat APIs (tests pass a MockTransport)
    app.state.clock = clock or time.time  # injectable for replay-window checks
    install_webhook(app, request=telegram_request)
    install_wecom(app)

    # --- the web page ---
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=WEB), name="static")
    return app


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
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _day(s: str | None) -> float | None:
    if not s:
        return None
    try:
        return datetime.strptime(s, "%Y-%m-%d").timestamp()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"日期格式应为 YYYY-MM-DD：{s}") from exc


def _log_query(page, size, date_from, date_to, channel, refused, rating) -> LogQuery:
    end = _day(date_to)
    return LogQuery(page=page, size=size, date_from=_day(date_from), date_to=end + 86400 if end else None,
                    channel=channel, refused=refused, rating=rating)

