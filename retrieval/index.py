"""The knowledge base: document store + Chroma vectors + BM25, and incremental ingestion."""

from __future__ import annotations

import fcntl
import logging
import re
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunk import answer_units, chunk_document
from .embed import Embedder, make_embedder
from .errors import ConfigError, IndexNotBuiltError, IngestError
from .lexical import LexicalIndex, Tokenizer
from .loaders import CLEANER_VERSION, discover, load_bytes, read_manifest
from .settings import Settings
from .store import Store
from .types import Chunk, Document, stable_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the live index; searches use one snapshot from start to end."""

    generation: int
    chunks: tuple[Chunk, ...]
    by_id: dict[str, Chunk]
    lexical: LexicalIndex
    documents: dict[str, Document]
    unit_matrix: np.ndarray  # one row per answer unit (full sentence), for sentence-level dense ranking
    unit_owner: tuple[str, ...]  # chunk id of each row
    unit_rows: dict[str, int]  # unit key -> row, so answers read sentence vectors from memory
    embedder_name: str
    by_source: dict[str, tuple[Chunk, ...]]  # document order, to find the chunk that holds an offset


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "errors": [{"source": e.source, "message": e.reason} for e in self.errors],
            "chunks": self.chunks,
            "embedded": self.embedded,
            "cached": self.cached,
            "seconds": round(self.seconds, 2),
        }


def _group_by_source(chunks: list[Chunk]) -> dict[str, tuple[Chunk, ...]]:
    out: dict[str, list[Chunk]] = {}
    for c in chunks:
        out.setdefault(c.source, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def unit_key(embedder_name: str, chunk: Chunk, text: str) -> str:
    """Cache key of an answer unit's vector."""
    return stable_id(embedder_name, "unit", chunk.title, text)


def unit_embed_text(chunk: Chunk, text: str) -> str:
    return f"{chunk.title}\n{text}"


def index_params(kb: KnowledgeBase) -> str:
    """Everything besides a file's bytes that shapes its chunks and vectors."""
    s = kb.settings
    return f"{kb.embedder.name}|cleaner={CLEANER_VERSION}|chunk={s.chunk_chars}/{s.chunk_max_chars}"


def embed_text(chunk: Chunk) -> str:
    """What the embedder and BM25 see: title, region and section give a bare passage its context
    ("我市" in the text is 永康市 only through the document's region)."""
    head = "｜".join(x for x in (chunk.title, chunk.region, chunk.section) if x)
    return f"{head}\n{chunk.text}"


class KnowledgeBase:
    """Holds the index parts for one data directory; `load()` before searching."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.tokenizer = Tokenizer(settings.userdict_path())
        self.store = Store(settings.data_dir / "djbot.sqlite3")
        self._collection = None
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._embedder_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._embedder_lock:  # one model per process, however many first requests race
                if self._embedder is None:
                    self._embedder = make_embedder(self.settings.embedder)
        return self._embedder

    @property
    def collection(self):
        if self._collection is None:
            with self._open_lock:  # concurrent first requests must not each set up a Chroma client
                if self._collection is None:
                    self._collection = _open_collection(self.settings, self.embedder.name)
        return self._collection

    # --- reading -------------------------------------------------------------------------------
    def load(self) -> Snapshot:
        """Load (or reload) the live snapshot from the store."""
        generation = self.store.generation()
        embedder_name = self.store.meta("embedder") or ""
        chunks, tokens = self.store.chunks()
        owners, keys = [], []
        for c in chunks:
            for u in answer_units(c):
                owners.append(c.id)
                keys.append(unit_key(embedder_name, c, c.text[u.start : u.end]))
        cached = self.store.cached_vectors(keys)
        rows = [(o, k, cached[k]) for o, k in zip(owners, keys, strict=True) if k in cached]
        dim = rows[0][2].shape[0] if rows else 1
        snap = Snapshot(
            generation=generation,
            chunks=tuple(chunks),
            by_id={c.id: c for c in chunks},
            lexical=LexicalIndex([c.id for c in chunks], tokens),
            documents=self.store.documents(),
            unit_matrix=np.stack([v for _, _, v in rows]) if rows else np.zeros((0, dim), np.float32),
            unit_owner=tuple(o for o, _, _ in rows),
            unit_rows={k: i for i, (_, k, _) in enumerate(rows)},
            embedder_name=embedder_name,
            by_source=_group_by_source(chunks),
        )
        with self._lock:
            self._snapshot = snap
        return snap

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded if another process or thread committed a new generation."""
        snap = self._snapshot
        if snap is None or snap.generation != self.store.generation():
            snap = self.load()
        if not snap.chunks:
            raise IndexNotBuiltError("知识库还没有建立索引：请先运行 djbot ingest（或 make run）")
        stored = snap.embedder_name
        if stored and stored != self.embedder.name:
            raise ConfigError(
                f"索引是用向量模型 {stored} 建立的，当前配置为 {self.embedder.name}：请重新运行 djbot ingest"
            )
        return snap

    def dense(self, vector: np.ndarray, n: int, live: dict[str, Chunk]) -> list[tuple[str, float]]:
        """Top-n (chunk id, cosine similarity) from Chroma, restricted to live chunks."""
        count = self.collection.count()
        if count == 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=min(n, count), include=["distances"]
        )
        ids, dists = res["ids"][0], res["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in live]

    def sentence_dense(self, vector: np.ndarray, n: int, snap: Snapshot) -> list[tuple[str, float]]:
        """Top-n chunks by their best-matching sentence's cosine similarity."""
        if not len(snap.unit_owner):
            return []
        sims = snap.unit_matrix @ vector
        best: dict[str, float] = {}
        for i in np.argsort(-sims):
            cid = snap.unit_owner[i]
            if cid not in best:
                best[cid] = float(sims[i])
                if len(best) >= n:
                    break
        return list(best.items())

    def close(self) -> None:
        self.store.close()

    # --- writing -------------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        *,
        sync: bool = True,
        progress: bool = False,
        on_progress: Callable[[str, int, int], None] | None = None,
    ) -> IngestReport:
        """Ingest files and directories incrementally; with `sync`, documents gone from an ingested
        directory are removed. Bad files are reported and skipped; the rest still ingests."""
        return ingest(self, paths, sync=sync, progress=progress, on_progress=on_progress)

    def remove(self, sources: list[str]) -> list[str]:
        """Remove documents from both indexes."""
        with _ingest_lock(self.settings.data_dir):
            known = self.store.documents()
            gone = [s for s in sources if s in known]
            if gone:
                _, stale = self.store.commit([], gone)
                self._delete_vectors(stale)
                self.load()
            return gone

    def _delete_vectors(self, ids: set[str]) -> None:
        ids_list = sorted(ids)
        for i in range(0, len(ids_list), 1000):
            self.collection.delete(ids=ids_list[i : i + 1000])


def _open_collection(settings: Settings, embedder_name: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        m = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", settings.chroma_url)
        if not m:
            raise ConfigError(f"DJBOT_CHROMA_URL 格式不正确：{settings.chroma_url}")
        port = int(m[3] or (443 if m[1] == "https" else 8000))
        client = chromadb.HttpClient(host=m[2], port=port, ssl=m[1] == "https", settings=chroma_settings)
    else:
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    name = "djbot-" + re.sub(r"[^A-Za-z0-9._-]", "-", embedder_name)[:50]
    # No embedding function: vectors always come from our embedder, so Chroma never loads its own model.
    return client.get_or_create_collection(
        name=name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


@contextmanager
def _ingest_lock(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".ingest.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _load_all(kb: KnowledgeBase, paths: list[Path], report: IngestReport) -> tuple[list[Document], set[str]]:
    """Load every file; failures are collected per file. Returns the documents and every source seen."""
    docs: list[Document] = []
    seen: set[str] = set()
    manifests: dict[Path, dict] = {}
    try:
        found = discover(paths)
    except IngestError as exc:
        report.errors.append(exc)
        return docs, seen
    for file, source, root in found:
        seen.add(source)
        try:
            if root not in manifests:
                manifests[root] = read_manifest(root)
            size = file.stat().st_size
            if size > kb.settings.max_file_bytes:
                raise IngestError(source, f"文件过大（{size // 1024 // 1024} MB），上限为 {kb.settings.max_file_bytes // 1024 // 1024} MB")
            docs.append(load_bytes(file.read_bytes(), source, manifests[root], origin=str(root.resolve())))
        except IngestError as exc:
            report.errors.append(exc)
        except OSError as exc:
            report.errors.append(IngestError(source, f"无法读取文件：{exc.strerror or exc}"))
        except Exception as exc:  # whatever breaks on one file is that file's error; the batch goes on
            log.warning("could not load %s", source, exc_info=True)
            report.errors.append(IngestError(source, f"无法处理文件（{type(exc).__name__}）"))
    return docs, seen


def ingest(
    kb: KnowledgeBase,
    paths: list[Path],
    *,
    sync: bool = True,
    progress: bool = False,
    on_progress: Callable[[str, int, int], None] | None = None,
    documents: list[Document] | None = None,
) -> IngestReport:
    """Load, chunk, embed (with the content-hash cache) and commit; see KnowledgeBase.ingest."""
    t0 = time.perf_counter()
    report = IngestReport()
    with _ingest_lock(kb.settings.data_dir):
        if documents is None:
            docs, seen = _load_all(kb, paths, report)
        else:
            docs, seen = documents, {d.source for d in documents}
        existing = kb.store.documents()
        params = index_params(kb)
        rebuild = (kb.store.meta("params") or params) != params
        changed: list[Document] = []
        for doc in docs:
            old = existing.get(doc.source)
            if old and old.content_hash == doc.content_hash and not rebuild:
                report.unchanged.append(doc.source)
            else:
                (report.updated if old else report.added).append(doc.source)
                changed.append(doc)
        if sync:
            roots = {str(p.resolve()) for p in paths if p.is_dir()}
            report.removed = sorted(
                s for s, d in existing.items() if d.origin in roots and s not in seen
            )
        if rebuild:  # new model or chunking: documents not given this time cannot stay half-compatible
            keep = {d.source for d in changed}
            report.removed.extend(s for s in existing if s not in keep and s not in report.removed)

        prepared = []
        for doc in changed:
            try:
                chunks = chunk_document(doc, kb.settings.chunk_chars, kb.settings.chunk_max_chars)
                tokens = [kb.tokenizer.tokens(embed_text(c)) for c in chunks]
            except Exception as exc:  # a chunking bug on one document must not block the others
                log.warning("could not chunk %s", doc.source, exc_info=True)
                report.errors.append(IngestError(doc.source, f"无法切分文档（{type(exc).__name__}）"))
                (report.updated if doc.source in report.updated else report.added).remove(doc.source)
                continue
            prepared.append((doc, chunks, tokens))
        new_chunks = [c for _, chunks, _ in prepared for c in chunks]
        report.chunks = len(new_chunks)
        vectors = _embed_with_cache(kb, new_chunks, report, progress, on_progress)
        _embed_units(kb, new_chunks, progress)
        if new_chunks:
            col = kb.collection
            batch = 256
            for i in range(0, len(new_chunks), batch):
                part = new_chunks[i : i + batch]
                col.upsert(
                    ids=[c.id for c in part],
                    embeddings=[vectors[c.id].tolist() for c in part],
                    metadatas=[{"source": c.source} for c in part],
                    documents=[c.text for c in part],
                )
        # The store commit is the moment the new index becomes visible, all at once.
        _, stale = kb.store.commit(prepared, report.removed, {"embedder": kb.embedder.name, "params": params})
        if stale:
            kb._delete_vectors(stale)
        _sync_vectors(kb, report)
        kb.load()
    report.seconds = time.perf_counter() - t0
    return report


def cached_embeddings(kb: KnowledgeBase, texts: dict[str, str], *, desc: str = "",
                      on_progress: Callable[[str, int, int], None] | None = None) -> tuple[dict[str, np.ndarray], int]:
    """Vectors for {cache key: text}: from the content-hash cache, embedding (in batches) and caching
    only what is missing. Returns the vectors and how many were newly embedded."""
    have = kb.store.cached_vectors(list(texts))
    missing = [(k, t) for k, t in texts.items() if k not in have]
    if not missing:
        return have, 0
    bar = None
    if desc:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc=desc, unit="段", leave=False)
    size = kb.settings.embed_batch
    for i in range(0, len(missing), size):
        part = missing[i : i + size]
        fresh = dict(zip((k for k, _ in part), kb.embedder.embed_passages([t for _, t in part]), strict=True))
        kb.store.cache_vectors(fresh)
        have.update(fresh)
        if bar:
            bar.update(len(part))
        if on_progress:
            on_progress("embed", min(i + size, len(missing)), len(missing))
    if bar:
        bar.close()
    return have, len(missing)


def _embed_with_cache(kb, chunks, report, progress, on_progress) -> dict[str, np.ndarray]:
    """Chunk id -> vector for `chunks`; counts cache hits and fresh embeddings in the report."""
    keys = {c.id: stable_id(kb.embedder.name, embed_text(c)) for c in chunks}
    texts = {keys[c.id]: embed_text(c) for c in chunks}
    vectors, fresh = cached_embeddings(kb, texts, desc="向量化" if progress else "", on_progress=on_progress)
    report.embedded = fresh
    report.cached = len(chunks) - fresh
    return {cid: vectors[k] for cid, k in keys.items()}


def _embed_units(kb: KnowledgeBase, chunks: list[Chunk], progress: bool) -> None:
    """Embed every answer unit (full sentence) once, so answers can rank sentences semantically."""
    texts = {}
    for c in chunks:
        for u in answer_units(c):
            text = c.text[u.start : u.end]
            texts[unit_key(kb.embedder.name, c, text)] = unit_embed_text(c, text)
    cached_embeddings(kb, texts, desc="句子向量" if progress else "")


def unit_vectors(kb: KnowledgeBase, chunk: Chunk, texts: list[str], snap: Snapshot | None = None) -> list[np.ndarray]:
    """Vectors of a chunk's answer units: from the snapshot in memory, else the cache, else embedded now."""
    keys = [unit_key(kb.embedder.name, chunk, t) for t in texts]
    rows = snap.unit_rows if snap is not None else {}
    if all(k in rows for k in keys):
        return [snap.unit_matrix[rows[k]] for k in keys]
    vectors, _ = cached_embeddings(kb, {k: unit_embed_text(chunk, t) for k, t in zip(keys, texts, strict=True)})
    return [vectors[k] for k in keys]


def _sync_vectors(kb: KnowledgeBase, report: IngestReport) -> None:
    """Make Chroma hold exactly the live chunks: drop orphans (an interrupted ingest) and restore
    missing ones from the embedding cache (a wiped or newly configured Chroma)."""
    live = kb.store.live_ids()
    have = set(kb.collection.get(include=[])["ids"])
    orphans = have - live
    if orphans:
        log.info("removing %d orphan vectors", len(orphans))
        kb._delete_vectors(orphans)
    missing = live - have
    if missing:
        log.info("restoring %d missing vectors", len(missing))
        chunks = [c for c in kb.store.chunks()[0] if c.id in missing]
        vectors = _embed_with_cache(kb, chunks, IngestReport(), False, None)
        for i in range(0, len(chunks), 256):
            part = chunks[i : i + 256]
            kb.collection.upsert(ids=[c.id for c in part], embeddings=[vectors[c.id].tolist() for c in part],
                                 metadatas=[{"source": c.source} for c in part], documents=[c.text for c in part])
