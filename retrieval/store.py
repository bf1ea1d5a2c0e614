"""The document store: documents, live chunks, tokens, the embedding cache and the generation counter.

Any SQLAlchemy URL (`DJBOT_STORE_URL`): by default one SQLite file (WAL) in the data directory; on
PostgreSQL several replicas share it. It is the source of truth for which chunks are live. Chroma holds
their vectors; a chunk that Chroma returns but the store does not list (a half-finished ingest) is
ignored and later cleaned up.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError

from .errors import ConfigError, StoreUnavailableError
from .types import Chunk, Document

metadata = MetaData()
meta_table = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))
documents_table = Table(
    "documents",
    metadata,
    Column("source", Text, primary_key=True),
    Column("title", Text),
    Column("publisher", Text),
    Column("date", Text),
    Column("region", Text),
    Column("origin", Text),
    Column("content_hash", Text),
    Column("text", Text),
    Column("n_chunks", Integer),
    Column("updated_at", Float),
)
chunks_table = Table(
    "chunks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", Text, nullable=False, index=True),
    Column("ord", Integer),
    Column("section", Text),
    Column("paragraph", Integer),
    Column("start", Integer),
    Column("end", Integer),
    Column("text", Text),
    Column("tokens", Text),
)
embeddings_table = Table(
    "embeddings", metadata, Column("key", String(64), primary_key=True), Column("vec", LargeBinary, nullable=False)
)

log = logging.getLogger("djbot.store")

# Advisory-lock ids (PostgreSQL keys them by a 64-bit integer): "an ingest is running", "creating tables".
INGEST_LOCK_ID = zlib.crc32(b"djbot-ingest")
SCHEMA_LOCK_ID = zlib.crc32(b"djbot-schema")
_IN_CHUNK = 2000  # keys per IN (...) query: well under SQLite's bound-parameter limit


class Store:
    """Document store over one SQLAlchemy engine; every write is one transaction."""

    def __init__(self, url: str, lock_path: Path | None = None, timeout_s: float = 5.0) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(f"DJBOT_STORE_URL 只支持 SQLite 或 PostgreSQL：{self.url.render_as_string()}")
        if self.dialect == "sqlite":
            db = self.url.database
            if db and db != ":memory:":
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            try:
                self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                                            connect_args={"connect_timeout": max(1, round(timeout_s))})
            except ModuleNotFoundError as exc:
                raise ConfigError(f"未安装 PostgreSQL 驱动（{exc.name}）：请执行 pip install 'djbot[pg]'") from exc
            event.listen(self.engine, "handle_error", _unreachable)
        self.lock_path = lock_path
        self._schema_lock = threading.Lock()
        self._schema_ready = False
        try:
            self._connect().close()
        except StoreUnavailableError as exc:  # the service starts and reports it; the tables come when it answers
            log.warning("%s", exc.message)

    def _connect(self) -> Connection:
        """A connection, the tables created first if this process has not yet seen them."""
        if not self._schema_ready:
            with self._schema_lock:
                if not self._schema_ready:
                    create_tables(self.engine, metadata)
                    self._schema_ready = True
        return self.engine.connect()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction (on SQLite it takes the write lock up front: BEGIN IMMEDIATE)."""
        with self._connect().execution_options(djbot_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One consistent read: every query inside sees the same committed generation."""
        opts = {"isolation_level": "REPEATABLE READ"} if self.dialect == "postgresql" else {}
        with self._connect().execution_options(**opts) as conn, conn.begin():
            yield conn

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Only one ingest at a time across every process sharing this store: a PostgreSQL advisory
        lock (released by the server if the holder dies), or a file lock next to the SQLite file."""
        if self.dialect == "postgresql":
            with self._connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": INGEST_LOCK_ID})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": INGEST_LOCK_ID})
            return
        path = self.lock_path or Path(self.url.database or ".").with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self._connect() as fresh:
                yield fresh

    def generation(self, conn: Connection | None = None) -> int:
        """The committed generation: one primary-key read, cheap enough to poll."""
        with self._conn(conn) as db:
            value = db.execute(select(meta_table.c.value).where(meta_table.c.key == "generation")).scalar()
        return int(value) if value else 0

    def meta(self, key: str, conn: Connection | None = None) -> str | None:
        with self._conn(conn) as db:
            return db.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar()

    def documents(self, conn: Connection | None = None, sources: list[str] | None = None) -> dict[str, Document]:
        """Every document, or those of `sources`."""
        d = documents_table.c
        query = select(d.source, d.title, d.text, d.publisher, d.date, d.region, d.content_hash, d.origin)
        if sources is not None:
            query = query.where(d.source.in_(sources))
        with self._conn(conn) as db:
            rows = db.execute(query).all()
        return {r[0]: Document(*r) for r in rows}

    def document_versions(self) -> dict[str, tuple[str, str]]:
        """source -> (content hash, origin directory): what an ingest compares against."""
        d = documents_table.c
        with self._connect() as db:
            return {r[0]: (r[1], r[2]) for r in db.execute(select(d.source, d.content_hash, d.origin))}

    def document_rows(self) -> list[dict]:
        d = documents_table.c
        q = select(d.source, d.title, d.publisher, d.date, d.region, d.n_chunks, d.updated_at,
                   func.length(d.text)).order_by(d.source)
        with self._connect() as db:
            rows = db.execute(q).all()
        keys = ["source", "title", "publisher", "date", "region", "chunks", "updated_at", "chars"]
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def chunks(self, conn: Connection | None = None) -> tuple[list[Chunk], list[str]]:
        """All live chunks in document order, with their lexical tokens (space-joined)."""
        c, d = chunks_table.c, documents_table.c
        q = (select(c.id, c.source, d.title, c.section, c.paragraph, c.start, c.end, c.text, d.publisher, d.date,
                    d.region, c.tokens)
             .join_from(chunks_table, documents_table, d.source == c.source).order_by(c.source, c.ord))
        with self._conn(conn) as db:
            rows = db.execute(q).all()
        # Tokens stay one string per chunk: LexicalIndex turns them into ids chunk by chunk.
        return [Chunk(*r[:11]) for r in rows], [r[11] or "" for r in rows]

    def commit(
        self,
        docs: list[tuple[Document, list[Chunk], list[list[str]]]],
        removed: list[str],
        meta: dict[str, str] | None = None,
    ) -> tuple[int, set[str]]:
        """Replace the given documents and drop removed ones in one transaction; return the new
        generation and the chunk ids that stopped being live."""
        now = time.time()
        c = chunks_table.c
        touched = [d.source for d, _, _ in docs] + removed
        with self.transaction() as db:
            # Lock the counter row first, so two writers that slipped past the ingest lock still serialize.
            current = db.execute(select(meta_table.c.value).where(meta_table.c.key == "generation")
                                 .with_for_update()).scalar()
            stale: set[str] = set()
            for i in range(0, len(touched), _IN_CHUNK):
                part = touched[i : i + _IN_CHUNK]
                stale.update(db.execute(select(c.id).where(c.source.in_(part))).scalars())
                db.execute(delete(chunks_table).where(c.source.in_(part)))
                db.execute(delete(documents_table).where(documents_table.c.source.in_(part)))
            if docs:
                db.execute(documents_table.insert(), [
                    {"source": doc.source, "title": doc.title, "publisher": doc.publisher, "date": doc.date,
                     "region": doc.region, "origin": doc.origin, "content_hash": doc.content_hash, "text": doc.text,
                     "n_chunks": len(chunks), "updated_at": now}
                    for doc, chunks, _ in docs])
            rows = {}  # by id: a repeated chunk id keeps its last row, as INSERT OR REPLACE did
            for _, chunks, tokens in docs:
                for i, (ch, toks) in enumerate(zip(chunks, tokens, strict=True)):
                    rows[ch.id] = {"id": ch.id, "source": ch.source, "ord": i, "section": ch.section,
                                   "paragraph": ch.paragraph, "start": ch.start, "end": ch.end, "text": ch.text,
                                   "tokens": " ".join(toks)}
            if rows:
                db.execute(chunks_table.insert(), list(rows.values()))
            generation = int(current or 0) + 1
            self._put_meta(db, {"generation": str(generation), **(meta or {})})
        return generation, stale - set(rows)

    def _put_meta(self, db: Connection, items: dict[str, str]) -> None:
        ins = self._insert(meta_table)
        db.execute(ins.on_conflict_do_update(index_elements=["key"], set_={"value": ins.excluded.value}),
                   [{"key": k, "value": v} for k, v in items.items()])

    def _insert(self, table: Table):
        """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def live_ids(self) -> set[str]:
        with self._connect() as db:
            return set(db.execute(select(chunks_table.c.id)).scalars())

    # Embedding cache: key = hash(embedder name, text).
    def cached_vectors(self, keys: list[str], conn: Connection | None = None) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        e = embeddings_table.c
        q = select(e.key, e.vec).where(e.key.in_(bindparam("keys", expanding=True)))
        with self._conn(conn) as db:
            for i in range(0, len(keys), _IN_CHUNK):
                for k, blob in db.execute(q, {"keys": keys[i : i + _IN_CHUNK]}):
                    out[k] = np.frombuffer(blob, dtype=np.float32)
        return out

    def vector_matrix(self, keys: list[str], conn: Connection | None = None) -> tuple[np.ndarray, dict[str, int]]:
        """The cached vectors of `keys` as one matrix, filled row by row as they are read (no per-vector
        arrays on the way: at a thousand documents those alone are a hundred megabytes), and the row
        of each key found."""
        e = embeddings_table.c
        q = select(e.key, e.vec).where(e.key.in_(bindparam("keys", expanding=True)))
        rows: dict[str, int] = {}
        matrix: np.ndarray | None = None
        with self._conn(conn) as db:
            for i in range(0, len(keys), _IN_CHUNK):
                for k, blob in db.execute(q, {"keys": keys[i : i + _IN_CHUNK]}):
                    if matrix is None:
                        matrix = np.empty((len(keys), len(blob) // 4), np.float32)
                    if k not in rows:
                        matrix[len(rows)] = np.frombuffer(blob, dtype=np.float32)
                        rows[k] = len(rows)
        if matrix is None:
            return np.zeros((0, 1), np.float32), rows
        return matrix[: len(rows)].copy() if len(rows) < len(keys) else matrix, rows

    def cache_vectors(self, items: dict[str, np.ndarray]) -> None:
        """Add vectors to the cache; a key already there keeps its vector (same key, same text), so
        replicas caching the same text at once do not collide."""
        if not items:
            return
        rows = [{"key": k, "vec": np.asarray(v, dtype=np.float32).tobytes()} for k, v in items.items()]
        with self.transaction() as db:
            db.execute(self._insert(embeddings_table).on_conflict_do_nothing(index_elements=["key"]), rows)

    def stats(self) -> dict:
        with self._connect() as conn:
            n_docs = conn.execute(select(func.count()).select_from(documents_table)).scalar_one()
            n_chunks = conn.execute(select(func.count()).select_from(chunks_table)).scalar_one()
        return {"documents": n_docs, "chunks": n_chunks, "generation": self.generation(),
                "embedder": self.meta("embedder") or ""}


def create_tables(engine, meta: MetaData) -> None:
    """CREATE TABLE IF NOT EXISTS, safe when several replicas start at once on a new PostgreSQL database
    (concurrent CREATE TABLEs there fail on the catalog's unique index instead of waiting)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_ID})
        meta.create_all(conn)


def _unreachable(ctx) -> None:
    """SQLAlchemy's handle_error hook: a PostgreSQL server that refuses, drops or does not answer in time is
    one DjbotError naming it (readiness 503), not a driver traceback."""
    if isinstance(ctx.sqlalchemy_exception, OperationalError):
        first = str(ctx.original_exception).strip().splitlines()[0][:200] if str(ctx.original_exception) else ""
        raise StoreUnavailableError(f"文档库数据库无法连接或没有响应（{first}）", detail=first) \
            from ctx.original_exception


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # transactions begin where _sqlite_begin says, not where pysqlite guesses
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A writer takes the lock up front: a deferred transaction that reads first and writes later can
    # fail with "database is locked" without waiting. Readers stay deferred and never block.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("djbot_write") else "BEGIN")


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
