"""The knowledge base: document store + Chroma vectors + BM25, and incremental ingestion."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunk import answer_units, chunk_document
from .embed import Embedder, make_embedder
from .errors import ConfigError, IndexNotBuiltError, IngestError, StoreUnavailableError, VectorStoreError
from .lexical import LexicalIndex, Tokenizer
from .loaders import CLEANER_VERSION, discover, load_bytes, read_manifest
from .names import people_named
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
    duplicates: list[list[str]] = field(default_factory=list)  # same content under several names
    chunks: int = 0
    embedded: int = 0  # chunks embedded now (not from the cache)
    cached: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "errors": [{"source": e.source, "message": e.reason} for e in self.errors],
            "duplicates": self.duplicates,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "cached": self.cached,
            "sentences_embedded": self.sentences_embedded,
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
    """Everything besides a file's bytes that shapes its chunks, their words and their vectors."""
    s = kb.settings
    return f"{kb.embedder.name}|cleaner={CLEANER_VERSION}|chunk={s.chunk_chars}/{s.chunk_max_chars}|dict={kb.tokenizer.fingerprint()}"


def _without_dict(params: str) -> str:
    return params.split("|dict=")[0]


def index_is_current(kb: KnowledgeBase) -> bool:
    """Was the index built the way this process would build it (same model, cleaner, chunking and dictionary)?
    A user dictionary edited since the last ingest cuts questions differently from the indexed passages."""
    stored = kb.store.meta("params")
    if stored is None:
        return True
    kb.refresh()  # the tokenizer takes the names of the documents served
    return stored == index_params(kb)


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
        self.store = Store(settings.store_url_or_default(), lock_path=settings.data_dir / ".ingest.lock",
                           timeout_s=settings.db_timeout_s)
        self._collection = None
        self._snapshot: Snapshot | None = None
        # The generation before the current one and its documents: answers begun on it may still be
        # rendering their quotes (only the documents are kept: a whole second snapshot would double memory).
        self._previous: tuple[int, dict[str, Document]] | None = None
        # (snapshot's live chunks, vectors in the collection, (ids, unit rows) when the search is exact)
        self._count: tuple[dict, int, tuple | None] | None = None
        # Built for each new snapshot before it goes live (vocabularies, topics), so no request pays for
        # them after a swap; a warmer that fails is logged and the snapshot still goes live.
        self.warmers: list[Callable[[Snapshot], object]] = []
        self._lock = threading.Lock()  # one snapshot build at a time
        self.store_down: str | None = None  # why the document store cannot be reached, while it cannot
        self._next_check = 0.0
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()
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
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> Snapshot:
        # One consistent read: the generation, its chunks and documents all come from the same commit.
        with self.store.reading() as conn:
            generation = self.store.generation(conn)
            embedder_name = self.store.meta("embedder", conn) or ""
            chunks, tokens = self.store.chunks(conn)
            documents = self.store.documents(conn)
            # Questions are cut with the names of the documents being served (another process may have
            # ingested the document that brought one).
            self.tokenizer.set_names(people_named(d.text for d in documents.values()))
            owners, keys = [], []
            for c in chunks:
                for u in answer_units(c):
                    owners.append(c.id)
                    keys.append(unit_key(embedder_name, c, c.text[u.start : u.end]))
            matrix, found = self.store.vector_matrix(keys, conn)
        # One row per answer unit (a sentence shared by two overlapping chunks has a row for each owner).
        units = [(o, k) for o, k in zip(owners, keys, strict=True) if k in found]
        order = np.fromiter((found[k] for _, k in units), np.int64, len(units))
        if len(order) != len(matrix) or (order != np.arange(len(order))).any():
            matrix = matrix[order]
        snap = Snapshot(
            generation=generation,
            chunks=tuple(chunks),
            by_id={c.id: c for c in chunks},
            lexical=LexicalIndex([c.id for c in chunks], tokens),
            documents=documents,
            unit_matrix=matrix,
            unit_owner=tuple(o for o, _ in units),
            unit_rows={k: i for i, (_, k) in enumerate(units)},
            embedder_name=embedder_name,
            by_source=_group_by_source(chunks),
        )
        for warm in self.warmers:
            try:
                warm(snap)
            except Exception:
                log.warning("could not prepare the new snapshot", exc_info=True)
        old = self._snapshot
        if old is None or old.generation != snap.generation:
            # A generation built twice (the watcher's refresh and ingest's load racing for one commit) keeps the
            # one before it: an answer of that generation still renders its quotes from its own texts.
            self._previous = (old.generation, old.documents) if old is not None else None
        self._snapshot = snap  # one reference assignment: readers see the old or the new snapshot, whole
        return snap

    def refresh(self) -> Snapshot:
        """Swap in a generation committed by another process, if any. The current snapshot keeps serving
        while the new one is built; a thread that finds a build under way does not wait for it. A document
        store that cannot be reached leaves the current snapshot serving (`store_down` says why)."""
        try:
            snap = self._refresh()
        except StoreUnavailableError as exc:
            if self._snapshot is None:
                raise
            if self.store_down is None:
                log.warning("document store unreachable, serving generation %d: %s",
                            self._snapshot.generation, exc.message)
            self.store_down = exc.message
            return self._snapshot
        self.store_down = None
        return snap

    def _refresh(self) -> Snapshot:
        self._next_check = time.monotonic() + self.settings.store_poll_s
        snap = self._snapshot
        if snap is not None and self.store.generation() == snap.generation:
            return snap
        if not self._lock.acquire(blocking=snap is None):
            return snap
        try:
            current = self._snapshot
            if current is not None and current is not snap and self.store.generation() == current.generation:
                return current  # built by another thread meanwhile
            return self._load_locked()
        finally:
            self._lock.release()

    def snapshot(self) -> Snapshot:
        """The current snapshot; the store's generation is polled (every `store_poll_s`, or by the
        watcher thread) so a generation committed elsewhere is swapped in."""
        snap = self._snapshot
        if snap is None or (self._watcher is None and time.monotonic() >= self._next_check):
            snap = self.refresh()
        if not snap.chunks:
            raise IndexNotBuiltError("知识库还没有建立索引：请先运行 djbot ingest（或 make run）")
        stored = snap.embedder_name
        if stored and stored != self.embedder.name:
            raise ConfigError(
                f"索引是用向量模型 {stored} 建立的，当前配置为 {self.embedder.name}：请重新运行 djbot ingest"
            )
        return snap

    def documents_at(self, generation: int) -> dict[str, Document] | None:
        """The documents of `generation` if still held (current or the one before): what an answer's
        quotes must be shown in, never a newer generation's texts."""
        snap = self._snapshot
        if snap is not None and snap.generation == generation:
            return snap.documents
        if self._previous is not None and self._previous[0] == generation:
            return self._previous[1]
        return None

    def start_watching(self) -> None:
        """Poll the store's generation in a background thread, so requests never pay for a reload."""
        if self._watcher is not None:
            return
        self._stop_watching.clear()

        def loop() -> None:
            while not self._stop_watching.wait(self.settings.store_poll_s):
                try:
                    self.refresh()
                except Exception:  # the store may be briefly unreachable: keep serving the snapshot we have
                    log.warning("could not poll the document store", exc_info=True)

        self._watcher = threading.Thread(target=loop, daemon=True, name="djbot-store-poll")
        self._watcher.start()

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._stop_watching.set()
            self._watcher.join(timeout=10)
            self._watcher = None

    def dense_state(self, live: dict[str, Chunk]) -> tuple[dict, int, tuple | None]:
        """The collection's size and, when small, its vectors: read once per snapshot (a warmer reads them
        before the snapshot serves, so no question waits for them)."""
        cached = self._count
        if cached is None or cached[0] is not live:
            count = self.collection.count()
            exact = _all_vectors(self.collection, live) if 0 < count <= self.settings.exact_dense_max else None
            cached = self._count = (live, count, exact)
        return cached

    def dense(self, vector: np.ndarray, n: int, live: dict[str, Chunk]) -> list[tuple[str, float]]:
        """Top-n (chunk id, cosine similarity), restricted to live chunks: exact over every vector up to
        `exact_dense_max` chunks, else from Chroma's approximate index."""
        _, count, exact = self.dense_state(live)
        if count == 0:
            return []
        if exact is not None:
            ids, matrix = exact
            with _blas_controller().limit(limits=1, user_api="blas"):
                sims = matrix @ np.asarray(vector, dtype=matrix.dtype)
            top = np.argsort(-sims, kind="stable")[:n]
            return sorted(((ids[i], float(sims[i])) for i in top), key=lambda kv: (-kv[1], kv[0]))
        # Twice as many as wanted, then the best n: the approximate index may miss or add one near the cutoff.
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=min(2 * n, count), include=["distances"]
        )
        ids, dists = res["ids"][0], res["distances"][0]
        found = sorted(((i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in live),
                       key=lambda kv: (-kv[1], kv[0]))
        return found[:n]

    def sentence_dense(self, vector: np.ndarray, n: int, snap: Snapshot) -> list[tuple[str, float]]:
        """Top-n chunks by their best-matching sentence's cosine similarity."""
        if not len(snap.unit_owner):
            return []
        # One BLAS thread: OpenBLAS's idle threads spin after a large product and would take the two cores
        # from the embedder's threads on the next question (measured: 18 -> 115 ms a question at N=100).
        with _blas_controller().limit(limits=1, user_api="blas"):
            sims = snap.unit_matrix @ vector
        # Sorting every sentence grows with the corpus; the best few (a chunk has several) are enough.
        m = min(len(sims), n * 8)
        while True:
            top = np.argpartition(-sims, m - 1)[:m] if m < len(sims) else np.arange(len(sims))
            best: dict[str, float] = {}
            for i in top[np.argsort(-sims[top])]:
                cid = snap.unit_owner[i]
                if cid not in best:
                    best[cid] = float(sims[i])
                    if len(best) >= n:
                        return list(best.items())
            if m >= len(sims):
                return list(best.items())
            m = min(len(sims), m * 4)

    def close(self) -> None:
        self.stop_watching()
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
        with self.store.ingest_lock():
            known = self.store.document_versions()
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


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _chroma_server_client(settings: Settings, host: str, port: int, ssl: bool, chroma_settings):
    """A chromadb.HttpClient whose requests give up after `chroma_timeout_s`: chromadb builds its httpx session with
    no timeout, so a server that accepts and never answers hung `djbot eval`, `ask` and `serve` at their first search.
    The heartbeat is asked first with the timeout (the client's own first request, its tenant check, would wait
    forever); then the session's timeout is set. Any failure is a VectorStoreError naming the server."""
    import chromadb
    import httpx

    url = f"{'https' if ssl else 'http'}://{host}:{port}"
    try:
        httpx.get(f"{url}/api/v2/heartbeat", timeout=settings.chroma_timeout_s).raise_for_status()
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
    except (httpx.HTTPError, ValueError, ConnectionError) as exc:
        raise VectorStoreError(f"向量库服务 {url} 无法连接或没有响应（{type(exc).__name__}）") from exc
    session = getattr(getattr(client, "_server", None), "_session", None)  # chromadb.api.fastapi.FastAPI
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(settings.chroma_timeout_s)
    return client


def _open_collection(settings: Settings, embedder_name: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        m = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", settings.chroma_url)
        if not m:
            raise ConfigError(f"DJBOT_CHROMA_URL 格式不正确：{settings.chroma_url}")
        port = int(m[3] or (443 if m[1] == "https" else 8000))
        client = _chroma_server_client(settings, m[2], port, m[1] == "https", chroma_settings)
    else:
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    name = "djbot-" + re.sub(r"[^A-Za-z0-9._-]", "-", embedder_name)[:50]
    # No embedding function: vectors always come from our embedder, so Chroma never loads its own model.
    try:
        return client.get_or_create_collection(
            name=name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
    except Exception as exc:
        if settings.chroma_url and type(exc).__module__.startswith(("httpx", "chromadb")):
            raise VectorStoreError(f"向量库服务 {settings.chroma_url} 出错或没有响应（{type(exc).__name__}）") from exc
        raise


def _load_all(kb: KnowledgeBase, paths: list[Path], report: IngestReport,
              on_progress: Callable[[str, int, int], None] | None = None) -> tuple[list[Document], set[str]]:
    """Load every file; failures are collected per file. Returns the documents and every source seen."""
    docs: list[Document] = []
    seen: set[str] = set()
    manifests: dict[Path, dict] = {}
    try:
        found = discover(paths)
    except IngestError as exc:
        report.errors.append(exc)
        return docs, seen
    for i, (file, source, root) in enumerate(found, start=1):
        if on_progress:
            on_progress("load", i, len(found))
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


def _duplicates(docs: list[Document]) -> list[list[str]]:
    """Groups of documents with the same cleaned text under different names."""
    groups: dict[str, list[str]] = {}
    for d in docs:
        groups.setdefault(hashlib.sha1(d.text.encode("utf-8")).hexdigest(), []).append(d.source)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


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
    with kb.store.ingest_lock():
        if documents is None:
            docs, seen = _load_all(kb, paths, report, on_progress)
        else:
            docs, seen = documents, {d.source for d in documents}
        existing = kb.store.document_versions()  # hashes and origins only
        if sync:
            roots = {str(p.resolve()) for p in paths if p.is_dir()}
            report.removed = sorted(
                s for s, (_, origin) in existing.items() if origin in roots and s not in seen
            )
        # The documents that stay without being given (an upload of one file): their names count too, and a
        # dictionary change re-cuts them from this text. A whole directory given reads none.
        given = {d.source for d in docs}
        others = [s for s in existing if s not in given and s not in report.removed]
        stored = kb.store.documents(sources=others) if others else {}
        kept = {s: d.text for s, d in stored.items()} | {d.source: d.text for d in docs}
        served = kb.tokenizer.names
        kb.tokenizer.set_names(people_named(kept.values()))  # part of the dictionary's fingerprint
        try:
            params = index_params(kb)
            rebuild = (kb.store.meta("params") or params) != params
            changed: list[Document] = []
            for doc in docs:
                old = existing.get(doc.source)
                if old and old[0] == doc.content_hash and not rebuild:
                    report.unchanged.append(doc.source)
                else:
                    (report.updated if old else report.added).append(doc.source)
                    changed.append(doc)
            if rebuild and _without_dict(kb.store.meta("params") or params) == _without_dict(params):
                # Only the user dictionary changed: every document keeps its vectors (from the cache) and is cut into
                # words again, the ones not given this time from their stored text.
                for source, doc in stored.items():
                    report.updated.append(source)
                    changed.append(doc)
            elif rebuild:  # new model or chunking: documents not given this time cannot stay half-compatible
                keep = {d.source for d in changed}
                report.removed.extend(s for s in existing if s not in keep and s not in report.removed)

            report.duplicates = _duplicates(docs)
            prepared = []
            for i, doc in enumerate(changed, start=1):
                if on_progress:
                    on_progress("chunk", i, len(changed))
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
            vectors = _embed_chunks_and_units(kb, new_chunks, report, progress, on_progress)
            if new_chunks:
                _upsert_vectors(kb, new_chunks, vectors)
            meta = {"embedder": kb.embedder.name, "params": params}
            if prepared or report.removed or any(kb.store.meta(k) != v for k, v in meta.items()):
                # The store commit is the moment the new index becomes visible, all at once.
                _, stale = kb.store.commit(prepared, report.removed, meta)
                if stale:
                    kb._delete_vectors(stale)
                _sync_vectors(kb, report)
                kb.load()
            else:  # nothing changed: no new generation, so no replica rebuilds its snapshot for nothing
                _sync_vectors(kb, report)
                kb.refresh()
        except BaseException:
            kb.tokenizer.set_names(served)  # a failed ingest leaves questions cut the way the index is
            raise
    report.seconds = time.perf_counter() - t0
    return report


def cached_embeddings(kb: KnowledgeBase, texts: dict[str, str], *, desc: str = "",
                      on_progress: Callable[[str, int, int], None] | None = None) -> tuple[dict[str, np.ndarray], int]:
    """Vectors for {cache key: text}: from the content-hash cache, embedding (in batches) and caching
    only what is missing. Returns the vectors and how many were newly embedded."""
    vectors, fresh = _cached_embeddings(kb, texts, desc=desc, on_progress=on_progress)
    return vectors, len(fresh)


CACHE_WRITE_EVERY = 256  # vectors per cache transaction: few round trips, little lost to a kill


def _cached_embeddings(kb: KnowledgeBase, texts: dict[str, str], *, desc: str = "",
                       on_progress: Callable[[str, int, int], None] | None = None
                       ) -> tuple[dict[str, np.ndarray], set[str]]:
    have = kb.store.cached_vectors(list(texts))
    missing = [(k, t) for k, t in texts.items() if k not in have]
    if not missing:
        return have, set()
    bar = None
    if desc:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc=desc, unit="段", leave=False)
    size = kb.settings.embed_batch
    pending: dict[str, np.ndarray] = {}
    for i in range(0, len(missing), size):
        part = missing[i : i + size]
        fresh = dict(zip((k for k, _ in part), kb.embedder.embed_passages([t for _, t in part]), strict=True))
        pending.update(fresh)
        have.update(fresh)
        if len(pending) >= CACHE_WRITE_EVERY:
            kb.store.cache_vectors(pending)
            pending = {}
        if bar:
            bar.update(len(part))
        if on_progress:
            on_progress("embed", min(i + size, len(missing)), len(missing))
    kb.store.cache_vectors(pending)
    if bar:
        bar.close()
    return have, {k for k, _ in missing}


def _embed_with_cache(kb, chunks, report, progress, on_progress) -> dict[str, np.ndarray]:
    """Chunk id -> vector for `chunks`; counts cache hits and fresh embeddings in the report."""
    keys = {c.id: stable_id(kb.embedder.name, embed_text(c)) for c in chunks}
    texts = {keys[c.id]: embed_text(c) for c in chunks}
    vectors, fresh = cached_embeddings(kb, texts, desc="向量化" if progress else "", on_progress=on_progress)
    report.embedded = fresh
    report.cached = len(chunks) - fresh
    return {cid: vectors[k] for cid, k in keys.items()}


def _all_vectors(collection, live: dict[str, Chunk]) -> tuple[list[str], np.ndarray] | None:
    """Every live chunk's vector from the collection, as unit rows (None when it holds none of them)."""
    got = collection.get(include=["embeddings"])
    pairs = [(i, e) for i, e in zip(got["ids"], got["embeddings"], strict=True) if i in live]
    if not pairs:
        return None
    matrix = np.asarray([e for _, e in pairs], dtype=np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return [i for i, _ in pairs], matrix


def embedding_texts(embedder_name: str, chunks: list[Chunk]) -> tuple[dict[str, str], dict[str, str]]:
    """What an ingest of `chunks` embeds: ({chunk id: cache key}, {cache key: text}) for every chunk
    and every answer unit, in embedding order."""
    keys = {c.id: stable_id(embedder_name, embed_text(c)) for c in chunks}
    texts = {keys[c.id]: embed_text(c) for c in chunks}
    for c in chunks:
        for u in answer_units(c):
            text = c.text[u.start : u.end]
            texts.setdefault(unit_key(embedder_name, c, text), unit_embed_text(c, text))
    return keys, texts


def _embed_chunks_and_units(kb, chunks, report, progress, on_progress) -> dict[str, np.ndarray]:
    """Chunk id -> vector, embedding every chunk and every answer unit (full sentence, so answers can rank
    sentences semantically) in one stream: one cache lookup, full batches, batched cache writes."""
    keys, texts = embedding_texts(kb.embedder.name, chunks)
    chunk_keys = set(keys.values())
    vectors, fresh = _cached_embeddings(kb, texts, desc="向量化" if progress else "", on_progress=on_progress)
    report.embedded = len(fresh & chunk_keys)
    report.cached = len(chunks) - report.embedded
    report.sentences_embedded = len(fresh - chunk_keys)
    return {cid: vectors[k] for cid, k in keys.items()}


def _upsert_vectors(kb: KnowledgeBase, chunks: list[Chunk], vectors: dict[str, np.ndarray]) -> None:
    for i in range(0, len(chunks), 256):
        part = chunks[i : i + 256]
        kb.collection.upsert(ids=[c.id for c in part], embeddings=[vectors[c.id].tolist() for c in part],
                             metadatas=[{"source": c.source} for c in part], documents=[c.text for c in part])


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
        _upsert_vectors(kb, chunks, _embed_with_cache(kb, chunks, IngestReport(), False, None))
