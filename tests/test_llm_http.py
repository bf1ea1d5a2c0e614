"""The real ChatOpenAI client against a small local OpenAI-compatible server: timeouts, 5xx and
malformed responses all end in the extractive answer within bounded time."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from retrieval.llm import LLMAnswerer
from retrieval.search import search

Q = "党组织活动场所建设的“六有”标准是什么？"
STATE = {"mode": "ok", "content": "", "calls": 0}


def _upstream() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        STATE["calls"] += 1
        body = await request.json()
        mode = STATE["mode"]
        if mode == "slow":
            await asyncio.sleep(3)
        if mode == "error":
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=503)
        if mode == "malformed":
            return PlainTextResponse("<html>502 Bad Gateway</html>", status_code=200)
        if mode == "wrong-shape":
            return JSONResponse({"id": "x", "object": "chat.completion", "choices": "nope"})
        return JSONResponse({
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": STATE["content"]}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    return app


@pytest.fixture(scope="module")
def upstream():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_upstream(), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    t.join(timeout=5)


@pytest.fixture
def llm_settings(settings, upstream):
    return settings.model_copy(update={"llm_base_url": upstream, "llm_model": "qwen-test", "llm_api_key": "k",
                                       "llm_timeout_s": 1.0, "llm_max_retries": 1})


def test_good_answer_through_a_real_client(kb, llm_settings):
    hits = search(kb, Q, llm_settings)[: llm_settings.answer_passages]
    n = next(i for i, h in enumerate(hits, start=1) if "六有" in h.chunk.text)
    STATE.update(mode="ok", content=f"“六有”标准即有场所、有设施、有标志、有党旗、有书报、有制度[{n}]。")
    ans = LLMAnswerer(llm_settings)(Q, kb, llm_settings)
    assert ans.mode == "llm" and ans.text.endswith("有制度[1]。")


@pytest.mark.parametrize("mode", ["slow", "error", "malformed", "wrong-shape"])
def test_upstream_failures_fall_back_quickly(kb, llm_settings, mode):
    # In "slow" mode the upstream would answer validly after 3 s; a fallback proves the 1 s timeout fired.
    hits = search(kb, Q, llm_settings)[: llm_settings.answer_passages]
    n = next(i for i, h in enumerate(hits, start=1) if "六有" in h.chunk.text)
    STATE.update(mode=mode, calls=0, content=f"有场所、有设施、有标志、有党旗、有书报、有制度[{n}]。")
    ans = LLMAnswerer(llm_settings)(Q, kb, llm_settings)
    assert ans.mode == "llm-fallback" and ans.guard["fallback"] == "llm_error"
    assert "有场所" in ans.text and ans.citations
    assert 1 <= STATE["calls"] <= 2  # one try plus at most one bounded retry


def test_open_breaker_answers_at_extractive_speed(kb, llm_settings):
    STATE.update(mode="error", calls=0)
    llm = LLMAnswerer(llm_settings)
    for _ in range(llm_settings.llm_breaker_failures):
        llm(Q, kb, llm_settings)
    calls = STATE["calls"]
    ans = llm(Q, kb, llm_settings)
    assert STATE["calls"] == calls and ans.mode == "llm-fallback"  # the open breaker did not call out
