"""The document store: SQLite (WAL) holding documents, live chunks, tokens and the embedding cache.

It is the source of truth for which chunks are live. Chroma holds their vectors; a chunk that Chroma
returns but the store does not list (a half-finished ingest) is ignored and later cleaned up.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .types import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  source TEXT PRIMARY KEY, title TEXT, publisher TEXT, date TEXT, region TEXT, origin TEXT,
  content_hash TEXT, text TEXT, n_chunks INTEGER, updated_at REAL);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, ord INTEGER, section TEXT, paragraph INTEGER,
  start INTEGER, "end" INTEGER, text TEXT, tokens TEXT);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vec BLOB NOT NULL);
"""


class Store:
    """A thin layer over one SQLite file; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()  # one connection per thread: sqlite3 objects are not shared
        self._db.executescript(SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @contextmanager
    def transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def documents(self) -> dict[str, Document]:
        rows = self._db.execute(
            "SELECT source, title, text, publisher, date, region, content_hash, origin FROM documents"
        ).fetchall()
        return {r[0]: Document(*r) for r in rows}

    def document_rows(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT source, title, publisher, date, region, n_chunks, updated_at, length(text) FROM documents ORDER BY source"
        ).fetchall()
        keys = ["source", "title", "publisher", "date", "region", "chunks", "updated_at", "chars"]
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def chunks(self) -> tuple[list[Chunk], list[list[str]]]:
        """All live chunks in document order, with their lexical tokens."""
        rows = self._db.execute(
            'SELECT c.id, c.source, d.title, c.section, c.paragraph, c.start, c."end", c.text, d.publisher, d.date, '
            "d.region, c.tokens FROM chunks c JOIN documents d ON d.source = c.source ORDER BY c.source, c.ord"
        ).fetchall()
        chunks = [Chunk(*r[:11]) for r in rows]
        tokens = [r[11].split(" ") if r[11] else [] for r in rows]
        return chunks, tokens

    def commit(
        self,
        docs: list[tuple[Document, list[Chunk], list[list[str]]]],
        removed: list[str],
        meta: dict[str, str] | None = None,
    ) -> tuple[int, set[str]]:
        """Replace the given documents and drop removed ones in one transaction; return the new
        generation and the chunk ids that stopped being live."""
        now = time.time()
        with self.transaction() as db:
            touched = [d.source for d, _, _ in docs] + removed
            stale: set[str] = set()
            for source in touched:
                stale.update(r[0] for r in db.execute("SELECT id FROM chunks WHERE source=?", (source,)))
                db.execute("DELETE FROM chunks WHERE source=?", (source,))
                db.execute("DELETE FROM documents WHERE source=?", (source,))
            live: set[str] = set()
            for doc, chunks, tokens in docs:
                db.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (doc.source, doc.title, doc.publisher, doc.date, doc.region, doc.origin,
                     doc.content_hash, doc.text, len(chunks), now),
                )
                db.executemany(
                    'INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?)',
                    [(c.id, c.source, i, c.section, c.paragraph, c.start, c.end, c.text, " ".join(t))
                     for i, (c, t) in enumerate(zip(chunks, tokens, strict=True))],
                )
                live.update(c.id for c in chunks)
            generation = self.generation() + 1
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
            for k, v in (meta or {}).items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))
        return generation, stale - live

    def live_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    # Embedding cache: key = hash(embedder name, text).
    def cached_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT key, vec FROM embeddings WHERE key IN ({','.join('?' * len(part))})"
            for k, blob in self._db.execute(q, part):
                out[k] = np.frombuffer(blob, dtype=np.float32)
        return out

    def cache_vectors(self, items: dict[str, np.ndarray]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def stats(self) -> dict:
        n_docs = self._db.execute("SELECT count(*) FROM documents").fetchone()[0]
        n_chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return {"documents": n_docs, "chunks": n_chunks, "generation": self.generation(),
                "embedder": self.meta("embedder") or ""}


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
