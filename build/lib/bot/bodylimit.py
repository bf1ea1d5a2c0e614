"""A pure ASGI middleware that bounds every request body while it streams in, before any parsing,
authentication or signature check. Content-Length is not trusted (chunked bodies have none)."""

from __future__ import annotations

import json

from .deps import ApiError

# Routes that take files (multipart, spooled to disk by the parser) get the large limit; everything
# else (JSON API, chat webhooks) is small, so no rejected body can grow the process by much.
UPLOAD_ROUTES = {("POST", "/v1/documents"), ("POST", "/v1/eval")}


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", f"请求体过大，上限为 {_size(limit)}")


def _size(n: int) -> str:
    return f"{n // 1024 // 1024} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


class BodyLimit:
    """413 at once when Content-Length says too much; otherwise count bytes as they arrive and stop
    the request at the first byte over the limit (the route sees BodyTooLarge, answered as 413)."""

    def __init__(self, app, *, upload_limit: int, default_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.default_limit = default_limit

    def limit_for(self, scope) -> int:
        key = (scope.get("method", ""), scope.get("path", "").rstrip("/") or "/")
        return self.upload_limit if key in UPLOAD_ROUTES else self.default_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _reject(send, BodyTooLarge(limit) if value.isdigit() else None)
                return
        seen = 0

        async def bounded_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


async def _reject(send, exc: BodyTooLarge | None) -> None:
    status = exc.status_code if exc else 400
    code, message = (exc.code, exc.detail) if exc else ("invalid_request", "Content-Length 格式不正确")
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
