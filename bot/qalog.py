"""The Q&A log: every answer on every channel, with feedback. SQLite (WAL) by default, any SQLAlchemy URL.

User ids are never stored: only a salted HMAC of them, so trainers can group a user's questions
without learning who asked.

A log database that cannot be reached (a PostgreSQL server down, refusing, or not answering) never takes the
service down: answers go on, each write waits in a local spool file (`<data_dir>/qalog-spool.jsonl`) and is
written when the database answers again (a background retry); /readyz shows the log as degraded meanwhile.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from retrieval.errors import LogUnavailableError
from retrieval.settings import Settings
from retrieval.store import create_tables
from retrieval.types import Answer, Turn

log = logging.getLogger("djbot.qalog")

metadata = MetaData()
answers = Table(
    "answers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("channel", String(32), nullable=False, index=True),
    Column("user_hash", String(64), nullable=False, default=""),
    Column("session", String(64), nullable=False, default="", index=True),
    Column("question", Text, nullable=False),
    Column("standalone_question", Text, nullable=False, default=""),
    Column("answer", Text, nullable=False),
    Column("refused", Boolean, nullable=False, index=True),
    Column("mode", String(32), nullable=False, default="extractive"),
    Column("citations", Text, nullable=False, default="[]"),
    Column("guard", Text, nullable=False, default="{}"),
    Column("latency_ms", Float, nullable=False, default=0.0),
    Column("delivered", Boolean, nullable=False, default=True),
    Column("rating", Integer, nullable=True, index=True),
    Column("comment", Text, nullable=True),
    Column("feedback_at", Float, nullable=True),
)

# Message ids already taken (WeCom/WeChat MsgId, Telegram update_id): kept in the log's database so
# a replay after a restart is still recognised.
seen_messages = Table(
    "seen_messages",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("seen_at", Float, nullable=False, index=True),
)

EXPORT_COLUMNS = [
    "id", "created_at", "channel", "user_hash", "session", "question", "answer", "refused", "mode",
    "citations", "latency_ms", "delivered", "rating", "comment",
]


@dataclass(frozen=True)
class LogQuery:
    page: int = 1
    size: int = 50
    date_from: float | None = None
    date_to: float | None = None
    channel: str | None = None
    refused: bool | None = None
    rating: int | None = None


class QALog:
    """Append-only answer log with feedback; each write is its own transaction."""

    def __init__(self, settings: Settings) -> None:
        url = settings.log_url or f"sqlite:///{settings.data_dir / 'qalog.sqlite3'}"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if url.startswith("sqlite"):
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:  # a shared server: replicas outlive its restarts, and start together on a new database
            timeout = max(1, round(settings.db_timeout_s))  # libpq's connect_timeout is whole seconds
            self.engine = create_engine(url, pool_pre_ping=True, connect_args={
                "connect_timeout": timeout, "options": f"-c statement_timeout={timeout * 1000}"})
        self._salt = (settings.log_salt or _local_salt(settings.data_dir)).encode()
        self.spool = Spool(settings.data_dir / "qalog-spool.jsonl")
        self.retry_s = max(2.0, settings.db_timeout_s)
        self.down: str | None = None  # why the database cannot be reached, while it cannot
        self._state = threading.Lock()
        self._retrying: threading.Thread | None = None
        self._seen_here: dict[str, float] = {}  # message ids seen while the database is down
        self._reconnect()

    def _reconnect(self) -> bool:
        """Create the tables and write what waits in the spool; True when the database answered."""
        try:
            create_tables(self.engine, metadata)
            self.spool.replay(self._apply)
        except SQLAlchemyError as exc:
            self._went_down(exc)
            return False
        with self._state:
            if self.down:
                log.warning("Q&A log database reachable again; spooled writes written")
            self.down = None
        return True

    def _went_down(self, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        with self._state:
            if self.down is None:
                log.warning("Q&A log database unreachable, answers are spooled locally: %s", reason)
            self.down = reason
            if self._retrying is None or not self._retrying.is_alive():
                self._retrying = threading.Thread(target=self._retry, name="qalog-retry", daemon=True)
                self._retrying.start()

    def _retry(self) -> None:
        while True:
            time.sleep(self.retry_s)
            if self._reconnect():
                return

    def status(self) -> dict:
        """For /readyz: "ok", or "degraded" with the reason and how many writes wait in the spool."""
        if self.down is None and not self.spool.pending():
            return {"status": "ok"}
        return {"status": "degraded", "reason": self.down or "暂存的记录正在写入", "spooled": self.spool.count()}

    def _apply(self, op: dict) -> None:
        """Write one spooled operation (an answer already written is skipped: a replay may repeat)."""
        try:
            with self.engine.begin() as conn:
                if op["op"] == "insert":
                    conn.execute(answers.insert().values(**op["row"]))
                else:
                    conn.execute(update(answers).where(answers.c.id == op["id"]).values(**op["values"]))
        except IntegrityError:
            pass

    def _write(self, op: dict) -> bool:
        """Write now, or spool while the database is down; False only for an update of an unknown answer."""
        if self.down is None and self.spool.pending():  # left by another process, or before a reconnect
            self._reconnect()
        if self.down is None:
            try:
                with self.engine.begin() as conn:
                    if op["op"] == "insert":
                        conn.execute(answers.insert().values(**op["row"]))
                        return True
                    res = conn.execute(update(answers).where(answers.c.id == op["id"]).values(**op["values"]))
                    return res.rowcount == 1
            except IntegrityError:
                raise
            except SQLAlchemyError as exc:
                self._went_down(exc)
        self.spool.append(op)
        return True

    def _read(self, query, spooled):
        """A read from the database, or from the spool while the database is down."""
        if self.down is None and self.spool.pending():
            self._reconnect()
        if self.down is None:
            try:
                return query()
            except SQLAlchemyError as exc:
                self._went_down(exc)
        return spooled(self.spool.rows())

    def _require_database(self) -> None:
        if self.down is not None:
            raise LogUnavailableError(
                f"问答记录数据库暂时无法连接（{self.down}）；新的问答已暂存在本机（{self.spool.count()} 条），"
                "恢复后自动写入", detail=self.down)

    def hash_user(self, user_id: str) -> str:
        """Salted HMAC of a user id ("" stays ""): stable per deployment, not reversible."""
        if not user_id:
            return ""
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    def record(self, ans: Answer, *, channel: str, user_id: str = "", session: str = "",
               latency_ms: float = 0.0, delivered: bool = True) -> str:
        """Store one answer; returns its answer_id."""
        answer_id = uuid.uuid4().hex
        cites = [{"n": c.n, "source": c.source, "title": c.title, "publisher": c.publisher, "date": c.date,
                  "section": c.section, "quote": c.quote, "chunk_id": c.chunk_id} for c in ans.citations]
        self._write({"op": "insert", "row": dict(
            id=answer_id, created_at=time.time(), channel=channel, user_hash=self.hash_user(user_id),
            session=self.hash_user(session) if session else "", question=ans.question,
            standalone_question=ans.standalone_question or ans.question, answer=ans.text,
            refused=ans.refused, mode=ans.mode, citations=json.dumps(cites, ensure_ascii=False),
            guard=json.dumps(ans.guard, ensure_ascii=False), latency_ms=latency_ms, delivered=delivered,
        )})
        return answer_id

    def first_time(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds (atomic across processes and restarts;
        while the database is down, within this process)."""
        now = time.time()
        key = key[:200]
        if self.down is None:
            try:
                return self._first_time(key, ttl, now)
            except SQLAlchemyError as exc:
                self._went_down(exc)
        with self._state:
            self._seen_here = {k: t for k, t in self._seen_here.items() if t >= now - ttl}
            if key in self._seen_here:
                return False
            self._seen_here[key] = now
            return True

    def _first_time(self, key: str, ttl: float, now: float) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(seen_messages.insert().values(key=key, seen_at=now))
        except IntegrityError:
            with self.engine.begin() as conn:  # seen before: only an expired entry may be taken again
                res = conn.execute(update(seen_messages).where(seen_messages.c.key == key,
                                                               seen_messages.c.seen_at < now - ttl)
                                   .values(seen_at=now))
            return res.rowcount == 1
        if secrets.randbelow(200) == 0:  # now and then, forget entries far older than any retry window
            with self.engine.begin() as conn:
                conn.execute(seen_messages.delete().where(seen_messages.c.seen_at < now - max(ttl, 86400)))
        return True

    def mark_delivered(self, answer_id: str, delivered: bool) -> None:
        self._write({"op": "update", "id": answer_id, "values": {"delivered": delivered}})

    def feedback(self, answer_id: str, rating: int, comment: str | None = None) -> bool:
        """Attach 👍 (1) or 👎 (-1) to an answer; False if the answer id is unknown (while the database is
        down, the feedback waits in the spool with the answers)."""
        return self._write({"op": "update", "id": answer_id,
                            "values": {"rating": rating, "comment": comment, "feedback_at": time.time()}})

    def get(self, answer_id: str) -> dict | None:
        def query():
            with self.engine.connect() as conn:
                row = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
            return _row(row) if row else None

        return self._read(query, lambda rows: next((_row(r) for r in rows if r["id"] == answer_id), None))

    def last_answer(self, channel: str, session: str) -> dict | None:
        """The session's most recent non-refused answer (for "出处 n" requests)."""
        hashed = self.hash_user(session)

        def query():
            q = (select(answers).where(answers.c.channel == channel, answers.c.session == hashed,
                                       answers.c.refused.is_(False))
                 .order_by(answers.c.created_at.desc()).limit(1))
            with self.engine.connect() as conn:
                row = conn.execute(q).mappings().first()
            return _row(row) if row else None

        def spooled(rows):
            mine = [r for r in rows if r["channel"] == channel and r["session"] == hashed and not r["refused"]]
            return _row(mine[-1]) if mine else None

        return self._read(query, spooled)

    def recent_turns(self, channel: str, session: str, minutes: int, limit: int = 3) -> list[Turn]:
        """The session's last answered turns (oldest first): standalone question and answer, for follow-ups."""
        if not session:
            return []
        since = time.time() - minutes * 60
        hashed = self.hash_user(session)

        def query():
            q = (select(answers.c.standalone_question, answers.c.answer).where(
                answers.c.channel == channel, answers.c.session == hashed,
                answers.c.created_at >= since, answers.c.refused.is_(False))
                .order_by(answers.c.created_at.desc()).limit(limit))
            with self.engine.connect() as conn:
                return [Turn(r[0], r[1]) for r in conn.execute(q)][::-1]

        def spooled(rows):
            mine = [Turn(r["standalone_question"], r["answer"]) for r in rows if r["channel"] == channel
                    and r["session"] == hashed and r["created_at"] >= since and not r["refused"]]
            return mine[-limit:]

        return self._read(query, spooled)

    def recent_questions(self, channel: str, session: str, minutes: int, limit: int = 3) -> list[str]:
        """The session's last standalone questions (oldest first)."""
        return [t.question for t in self.recent_turns(channel, session, minutes, limit)]

    def query(self, q: LogQuery) -> tuple[list[dict], int]:
        """A page of log rows (newest first) and the total matching count."""
        conds = []
        if q.date_from is not None:
            conds.append(answers.c.created_at >= q.date_from)
        if q.date_to is not None:
            conds.append(answers.c.created_at < q.date_to)
        if q.channel:
            conds.append(answers.c.channel == q.channel)
        if q.refused is not None:
            conds.append(answers.c.refused.is_(q.refused))
        if q.rating is not None:
            conds.append(answers.c.rating == q.rating)
        self._require_database()
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(answers).where(*conds)).scalar_one()
            rows = conn.execute(
                select(answers).where(*conds).order_by(answers.c.created_at.desc())
                .limit(q.size).offset((q.page - 1) * q.size)
            ).mappings().all()
        return [_row(r) for r in rows], total

    def export_csv(self, fh: IO[str], q: LogQuery | None = None) -> int:
        """Write the log as CSV (UTF-8 with BOM so Excel shows Chinese); returns the row count."""
        q = q or LogQuery(size=10**9)
        rows, _ = self.query(q)
        fh.write("\ufeff")
        w = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            r = dict(r)
            r["created_at"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["created_at"]))
            r["citations"] = json.dumps(r["citations"], ensure_ascii=False)
            w.writerow({k: csv_safe(v) for k, v in r.items()})
        return len(rows)


class Spool:
    """Log writes waiting for the database: one JSON operation per line, appended and replayed under an
    exclusive file lock (several workers may share the data directory)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self, mode: str):
        with open(self.path, mode, encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def append(self, op: dict) -> None:
        with self._locked("a") as fh:
            fh.write(json.dumps(op, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())  # acknowledged to the user only once on disk, as a database commit would be

    def _ops(self, fh) -> list[dict]:
        ops = []
        for line in fh.read().splitlines():
            try:
                ops.append(json.loads(line))
            except json.JSONDecodeError:  # a line torn by a crash mid-write was never acknowledged
                log.warning("skipping a torn line in %s", self.path)
        return ops

    def rows(self) -> list[dict]:
        """The spooled answers (oldest first) with their spooled updates applied."""
        if not self.pending():
            return []
        with self._locked("r") as fh:
            ops = self._ops(fh)
        rows: dict[str, dict] = {}
        for op in ops:
            if op.get("op") == "insert":
                rows[op["row"]["id"]] = {"rating": None, "comment": None, "feedback_at": None, **op["row"]}
            elif op.get("id") in rows:
                rows[op["id"]].update(op["values"])
        return list(rows.values())

    def count(self) -> int:
        return len(self.rows())

    def replay(self, apply) -> None:
        """Apply every spooled operation in order, then empty the spool. If the database fails midway the
        whole spool stays for the next attempt: replaying is harmless (an answer already written is skipped,
        an update sets the same values again)."""
        if not self.pending():
            return
        with self._locked("r+") as fh:
            for op in self._ops(fh):
                apply(op)
            fh.seek(0)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())


# OWASP "CSV injection": a cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_safe(value):
    """Neutralise a cell for spreadsheets: prefix formula-like text with a single quote (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _row(row) -> dict:
    d = dict(row)
    d["citations"] = json.loads(d["citations"] or "[]")
    d["guard"] = json.loads(d["guard"] or "{}")
    return d


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a kill loses no commit
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _local_salt(data_dir: Path) -> str:
    path = data_dir / ".log_salt"
    if not path.exists():
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()
