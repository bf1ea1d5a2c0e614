"""The web page in a real headless Chromium (Debian's, driven by Playwright), against a live server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.context import Context
from bot.http import create_app
from bot.qalog import QALog
from retrieval.index import KnowledgeBase

from .conftest import DEV, KNOWLEDGE, make_settings

CHROMIUM = Path("/usr/bin/chromium")
# A developer without root may lack chromium and skips these; in CI (make test installs it) they must run.
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                                reason="Debian chromium not installed (make test installs it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def live_url(tmp_path_factory, settings, kb, embedder):

    root = tmp_path_factory.mktemp("web")
    know = root / "knowledge"
    shutil.copytree(KNOWLEDGE, know)
    data = root / "data"
    data.mkdir()
    # Start from a copy of the session store: its embedding cache makes this index instant.
    with sqlite3.connect(settings.data_dir / "djbot.sqlite3") as src, sqlite3.connect(data / "djbot.sqlite3") as dst:
        src.backup(dst)
    s = make_settings(data).model_copy(update={"knowledge_dir": know})
    web_kb = KnowledgeBase(s, embedder=embedder)
    web_kb.ingest([know])
    yield from _serve(s, web_kb)


@pytest.fixture(scope="module")
def page(live_url, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(locale="zh-CN")
        pg.goto(live_url)
        yield pg
        browser.close()


def test_conversation_with_sources_per_turn_and_old_citations_clickable(page, tmp_path_factory):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_selector("nav button[data-tab=kb]:not([hidden])")  # local service without keys: admin
    question = json.loads(DEV.read_text("utf-8").splitlines()[4])["question"]  # the “六有” question
    page.fill("#question", question)
    page.click("#ask-btn")
    page.wait_for_selector(".turn .answer-text .cite")
    first = page.locator(".turn").nth(0)
    assert "有场所" in first.locator(".answer-text").inner_text()
    assert "依据知识库作答" in first.locator(".answer-badge").inner_text()
    src = first.locator(".sources li").nth(0).inner_text()
    assert src.startswith("[1] 《克什克腾旗") and "1. [1]" not in src  # numbered once
    page.fill("#question", "那具体怎么做？")
    page.click("#ask-btn")
    page.wait_for_function("document.querySelectorAll('.turn .a:not(.pending)').length === 2")
    assert page.locator(".turn").count() == 2 and page.locator(".turn .q").nth(1).inner_text() == "那具体怎么做？"
    first.locator(".answer-text .cite").nth(0).click()  # a citation in the older turn still opens
    page.wait_for_selector("#passage:not([hidden])")
    assert "有场所、有设施" in page.inner_text("#passage-body mark")
    assert "人民网-中国共产党新闻网" in page.inner_text("#passage-meta")
    page.click("#passage-close")
    first.locator(".feedback button[data-rating='1']").click()
    first.locator(".feedback-msg:has-text('感谢反馈')").wait_for()
    page.click("#new-chat")
    assert page.locator(".turn").count() == 0


def test_greeting_and_refusal_offer_clickable_questions(page):
    page.fill("#question", "北京明天会下雨吗？")
    page.click("#ask-btn")
    page.wait_for_selector(".turn .badge:has-text('未找到依据')")
    chips = page.locator(".turn").last.locator(".chip")
    assert chips.count() >= 1
    text = chips.nth(0).inner_text()
    assert text.endswith("？")
    chips.nth(0).click()  # asks that question at once
    page.wait_for_function("document.querySelectorAll('.turn .a:not(.pending)').length >= 2 && "
                           "[...document.querySelectorAll('.turn .q')].pop().textContent === " + json.dumps(text))
    page.wait_for_selector(".turn:last-child .badge:has-text('依据知识库作答')")
    page.fill("#question", "你好")
    page.click("#ask-btn")
    page.wait_for_selector(".turn:last-child .badge:has-text('欢迎')")
    assert page.locator(".turn:last-child .chip").count() == 3
    page.click("#new-chat")


def test_phone_layout_has_no_sideways_scroll(page, tmp_path_factory):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.fill("#question", "党组织活动经费可以从哪些渠道解决？")
        page.click("#ask-btn")
        page.wait_for_selector(".turn .answer-text .cite")
        for tab in ("ask", "kb", "eval", "log"):
            page.click(f"nav button[data-tab={tab}]")
            if tab == "kb":
                page.wait_for_selector("#docs tbody tr td")
            if tab == "log":
                page.wait_for_selector("#log tbody tr td")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, (tab, wide)
        page.wait_for_selector("#log tbody td[data-label]")
        label = page.evaluate("getComputedStyle(document.querySelector('#log tbody td[data-label]'), '::before').content")
        assert "时间" in label  # rows shown as labelled cards
        assert page.evaluate("getComputedStyle(document.querySelector('#log thead')).display") == "none"
        page.screenshot(path=str(tmp_path_factory.mktemp("shots") / "phone-log.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("nav button[data-tab=ask]")
        page.click("#new-chat")


def test_favicon_served(live_url):
    import httpx

    assert httpx.get(live_url + "/favicon.ico").headers["content-type"].startswith("image/svg")
    assert httpx.get(live_url + "/static/favicon.svg").status_code == 200


def test_upload_then_answered(page, tmp_path):
    doc = tmp_path / "民主生活会.txt"
    doc.write_text("一、组织生活\n党组织要每年召开一次民主生活会，认真开展批评与自我批评，提高党内政治生活质量。\n", "utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_text("不是PDF", "utf-8")
    page.click("nav button[data-tab=kb]")
    page.wait_for_selector("#docs tbody tr")
    page.set_input_files("#files", [str(doc), str(bad)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-status:has-text('入库完成')", timeout=60000)
    status = page.inner_text("#upload-status")
    assert "民主生活会.txt" in status and "bad.pdf" in status and "不是PDF" in status
    page.wait_for_selector("#docs td:has-text('民主生活会.txt')")
    page.click("nav button[data-tab=ask]")
    page.fill("#question", "党组织多久召开一次民主生活会？")
    page.click("#ask-btn")
    page.wait_for_selector(".turn:last-child .sources li:has-text('民主生活会')")
    assert "每年召开一次民主生活会" in page.locator(".turn:last-child .answer-text").inner_text()


def test_run_small_eval(page, tmp_path):
    path = tmp_path / "small.jsonl"
    lines = DEV.read_text("utf-8").splitlines()
    path.write_text("\n".join(lines[:3] + lines[-1:]) + "\n", "utf-8")
    page.click("nav button[data-tab=eval]")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", "utf-8")
    page.set_input_files("#eval-file", str(bad))
    page.click("#eval-form button[type=submit]")
    page.wait_for_selector("#eval-status .error")
    page.set_input_files("#eval-file", str(path))
    page.click("#eval-form button[type=submit]")
    page.wait_for_selector("#eval-status:has-text('评测完成')", timeout=60000)
    assert "首位命中率" in page.inner_text("#eval-summary")
    frame = page.frame_locator("#eval-report")
    assert "djbot 评测报告" in frame.locator("h1").inner_text()
    assert "题答对" in frame.locator(".headline").inner_text()
    page.set_input_files("#eval-file", str(bad))  # an error never sits above the previous results
    page.click("#eval-form button[type=submit]")
    page.wait_for_selector("#eval-status .error")
    assert page.locator("#eval-report").is_hidden() and page.inner_text("#eval-summary") == ""
    with page.expect_download() as dl:
        page.click("#tpl-xlsx")
    assert dl.value.suggested_filename.endswith(".xlsx")


def test_log_tab_lists_answers(page):
    page.click("nav button[data-tab=log]")
    page.wait_for_selector("#log tbody tr td")
    assert "web" in page.inner_text("#log tbody")
    assert "共" in page.inner_text("#page-info")
    cells = page.locator("#log tbody td[data-label=回答]").all_inner_texts()
    assert all(len(c) <= 121 for c in cells) and any(c.endswith("…") for c in cells)
    assert not any(c.rstrip("…").endswith("[") or "[…" in c for c in cells)


def test_admin_tabs_only_with_an_admin_key(page, keyed_url):
    pg = page.context.browser.new_page(locale="zh-CN")
    try:
        pg.goto(keyed_url)
        pg.wait_for_selector("#key-box:not([hidden])")
        assert pg.locator("nav button.admin:visible").count() == 0
        pg.fill("#apikey", "user-key")
        pg.dispatch_event("#apikey", "change")
        pg.wait_for_selector("#key-box[hidden]", state="attached")
        assert pg.locator("nav button.admin:visible").count() == 0  # a user key asks, nothing more
        pg.click("#key-toggle")
        pg.fill("#apikey", "admin-key")
        pg.dispatch_event("#apikey", "change")
        pg.wait_for_selector("nav button[data-tab=log]:not([hidden])")
        assert pg.locator("nav button.admin:visible").count() == 3
    finally:
        pg.close()


def _serve(s, kb):
    """Run the app for `kb` on a free loopback port in a thread; yields its base URL, then stops it."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(s, Context(settings=s, kb=kb, qalog=QALog(s))),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def keyed_url(settings, kb, tmp_path_factory):

    s = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("keyed"), "api_key": "user-key",
                                    "admin_key": "admin-key"})
    yield from _serve(s, kb)
