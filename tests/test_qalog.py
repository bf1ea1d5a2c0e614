"""The Q&A log: durable under a hard kill, hashed user ids, export, and the serve safety rule."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bot.cli import app
from bot.qalog import LogQuery, QALog
from retrieval.types import Answer

from .conftest import ROOT, make_settings

WRITER = """
import sys, time
from pathlib import Path
from bot.qalog import QALog
from retrieval.settings import Settings
from retrieval.types import Answer
log = QALog(Settings(_env_file=None, data_dir=Path(sys.argv[1]), log_url=sys.argv[2] or None))
i = 0
while True:
    log.record(Answer(question=f"问题{i}", text="回答"), channel="http", user_id="u")
    print(i, flush=True)  # acknowledged only after the commit returned
    i += 1
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request) -> str | None:
    """The Q&A log on its default SQLite file, and on a PostgreSQL server (as replicas share it)."""
    return request.getfixturevalue("pg_url") if request.param == "postgres" else None


def test_nothing_acknowledged_is_lost_when_killed_mid_write(tmp_path, log_url):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), log_url or ""], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    acked = -1
    deadline = time.time() + 60
    while acked < 200 and time.time() < deadline:
        acked = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if log_url:
        engine = create_engine(log_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar_one() >= acked + 1
        engine.dispose()
        return
    db = sqlite3.connect(tmp_path / "qalog.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM answers").fetchone()[0] >= acked + 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_user_hash_is_salted_and_stable(tmp_path, log_url):
    a = QALog(make_settings(tmp_path / "a", log_url=log_url))
    b = QALog(make_settings(tmp_path / "b", log_url=log_url))
    assert a.hash_user("12345") == a.hash_user("12345") != b.hash_user("12345")
    assert "12345" not in a.hash_user("12345") and a.hash_user("") == ""


def test_log_export_cli(tmp_path, monkeypatch, log_url):
    s = make_settings(tmp_path, log_url=log_url)
    log = QALog(s)
    log.record(Answer(question="什么是“双带双荐”？", text="回答[1]。", refused=False), channel="telegram", user_id="7")
    monkeypatch.setenv("DJBOT_DATA_DIR", str(tmp_path))
    if log_url:
        monkeypatch.setenv("DJBOT_LOG_URL", log_url)
    out = tmp_path / "log.csv"
    res = CliRunner().invoke(app, ["log", "export", "--csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text("utf-8")
    assert text.startswith("\ufeffid,") and "双带双荐" in text and ",telegram," in text
    rows, total = log.query(LogQuery(channel="telegram"))
    assert total == 1 and rows[0]["user_hash"] and rows[0]["user_hash"] != "7"


def test_serve_without_keys_binds_localhost_only(monkeypatch, tmp_path):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app_, host, port, **kw: seen.update(host=host, port=port))
    monkeypatch.setenv("DJBOT_DATA_DIR", str(tmp_path))
    res = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert seen == {"host": "127.0.0.1", "port": 8123}
    assert "只监听 127.0.0.1" in res.output
    monkeypatch.setenv("DJBOT_API_KEY", "k")
    monkeypatch.setenv("DJBOT_ADMIN_KEY", "a")
    CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8124"])
    assert seen == {"host": "0.0.0.0", "port": 8124}


def test_feedback_history_and_filters(tmp_path, log_url):
    log = QALog(make_settings(tmp_path, log_url=log_url))
    first = log.record(Answer(question="问一", text="答一[1]。", standalone_question="问一"), channel="wecom",
                       user_id="u1", session="group-1")
    log.record(Answer(question="问二", text="没有找到依据。", refused=True), channel="wecom", user_id="u1",
               session="group-1")
    assert log.feedback(first, -1, "不准确") and not log.feedback("no-such-id", 1)
    log.mark_delivered(first, False)
    row = log.get(first)
    assert row["rating"] == -1 and row["comment"] == "不准确" and row["delivered"] is False
    assert log.last_answer("wecom", "group-1")["id"] == first  # refused answers are skipped
    assert log.recent_questions("wecom", "group-1", minutes=5) == ["问一"]
    rows, total = log.query(LogQuery(refused=True))
    assert total == 1 and rows[0]["question"] == "问二" and rows[0]["refused"] is True
    assert log.query(LogQuery(rating=-1))[1] == 1


def test_library_debug_lines_never_reach_the_log_handlers():
    import logging

    from bot.context import QuietLibraries

    quiet = QuietLibraries()

    def rec(name, level):
        return logging.LogRecord(name, level, __file__, 1, "x", None, None)

    assert not quiet.filter(rec("bm25s", logging.DEBUG)) and not quiet.filter(rec("chromadb.api", logging.INFO))
    assert quiet.filter(rec("bm25s", logging.WARNING)) and quiet.filter(rec("djbot.http", logging.DEBUG))
