"""Dependencies shared by the HTTP routers: the context, access control, rate limits, the error shape."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from retrieval.settings import Settings

from .context import Context


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    """The one error body of the API: {"error": {"code", "message"}}."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class ApiError(HTTPException):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


def _token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _same(a: str, b: str | None) -> bool:
    return bool(b) and hmac.compare_digest(a.encode(), b.encode())


def require_user(request: Request, s: Annotated[Settings, Depends(get_settings)]) -> str:
    """Bearer user (or admin) key when keys are configured; open on a localhost-only service."""
    if not (s.api_key or s.admin_key):
        return "local"
    tok = _token(request)
    if _same(tok, s.api_key) or _same(tok, s.admin_key):
        return "key:" + hashlib.sha256(tok.encode()).hexdigest()[:16]
    raise ApiError(401, "unauthorized", "缺少或错误的 API 密钥（Authorization: Bearer <key>）",
                   {"WWW-Authenticate": "Bearer"})


def require_admin(request: Request, s: Annotated[Settings, Depends(get_settings)]) -> str:
    """The admin key when keys are configured; open on a localhost-only service."""
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


def limited(request: Request, who: Annotated[str, Depends(require_user)]) -> str:
    """The caller (as for require_user), counted against the rate limit."""
    key = who if who != "local" else "ip:" + (request.client.host if request.client else "?")
    request.app.state.limiter.check(key)
    return who


Ctx = Annotated[Context, Depends(get_ctx)]
User = Annotated[str, Depends(limited)]
Admin = Annotated[str, Depends(require_admin)]


def valid_text(value: str) -> str:
    """Reject lone surrogates ("\\ud800" is valid JSON but not text: it cannot be stored or encoded)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("包含无效的 Unicode 字符（孤立的代理项）") from exc
    return value


Text = Annotated[str, AfterValidator(valid_text)]
