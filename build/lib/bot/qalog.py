"""The Q&A log: every answer on every channel, with feedback. SQLite (WAL) by default, any SQLAlchemy URL.

User ids are never stored: only a salted HMAC of them, so trainers can group a user's questions
without learning who asked.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import secrets
import time
import uuid
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

from retrieval.settings import Settings
from retrieval.store import create_tables
from retrieval.types import Answer, Turn

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
            self.engine = create_engine(url, pool_pre_ping=True)
        create_tables(self.engine, metadata)
        self._salt = (settings.log_salt or _local_salt(settings.data_dir)).encode()

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
        with self.engine.begin() as conn:
            conn.execute(answers.insert().values(
                id=answer_id, created_at=time.time(), channel=channel, user_hash=self.hash_user(user_id),
                session=self.hash_user(session) if session else "", question=ans.question,
                standalone_question=ans.standalone_question or ans.question, answer=ans.text,
                refused=ans.refused, mode=ans.mode, citations=json.dumps(cites, ensure_ascii=False),
                guard=json.dumps(ans.guard, ensure_ascii=False), latency_ms=latency_ms, delivered=delivered,
            ))
        return answer_id

    def first_time(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds (atomic across processes and restarts)."""
        from sqlalchemy.exc import IntegrityError

        now = time.time()
        key = key[:200]
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
        with self.engine.begin() as conn:
            conn.execute(update(answers).where(answers.c.id == answer_id).values(delivered=delivered))

    def feedback(self, answer_id: str, rating: int, comment: str | None = None) -> bool:
        """Attach 👍 (1) or 👎 (-1) to an answer; False if the answer id is unknown."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(answers).where(answers.c.id == answer_id)
                .values(rating=rating, comment=comment, feedback_at=time.time())
            )
        return res.rowcount == 1

    def get(self, answer_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
        return _row(row) if row else None

    def last_answer(self, channel: str, session: str) -> dict | None:
        """The session's most recent non-refused answer (for "出处 n" requests)."""
        q = (select(answers).where(answers.c.channel == channel, answers.c.session == self.hash_user(session),
                                   answers.c.refused.is_(False))
             .order_by(answers.c.created_at.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return _row(row) if row else None

    def recent_turns(self, channel: str, session: str, minutes: int, limit: int = 3) -> list[Turn]:
        """The session's last answered turns (oldest first): standalone question and answer, for follow-ups."""
        if not session:
            return []
        since = time.time() - minutes * 60
        q = (select(answers.c.standalone_question, answers.c.answer).where(
            answers.c.channel == channel, answers.c.session == self.hash_user(session),
            answers.c.created_at >= since, answers.c.refused.is_(False))
            .order_by(answers.c.created_at.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [Turn(r[0], r[1]) for r in conn.execute(q)][::-1]

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
