"""`make bench-scale`: how ingest, asking, cold start and memory grow with the knowledge base.

A synthetic corpus of N documents recombines the sentences of knowledge/ with altered numbers, so no
two chunks (or sentences) are alike and nothing comes from the embedding cache. One N per run, one
JSON line on stdout. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from retrieval.chunk import FULL_SENTENCE_END, split_sentences
from retrieval.embed import make_embedder
from retrieval.index import KnowledgeBase, embedding_texts
from retrieval.lexical import LexicalIndex
from retrieval.loaders import discover, load_bytes, read_manifest
from retrieval.settings import Settings

from .bench import QUESTIONS, _machine, _pct

HEADING = re.compile(r"^[一二三四五六七八九十]+、")
ORDINALS = "一二三四五六七八九十"
REGIONS = ["河南省郑州市", "重庆市涪陵区", "内蒙古自治区赤峰市", "江苏省苏州市", "浙江省金华市", "四川省成都市",
           "山东省青岛市", "湖北省武汉市", "广东省佛山市", "福建省泉州市"]
TOPICS = ["非公企业党建工作", "两新组织党组织建设", "党建带工建", "社会组织党建", "商会党建", "园区党建"]


def _pieces(knowledge: Path) -> tuple[list[str], list[str]]:
    """Headings and full sentences of the real knowledge base."""
    headings, sentences = [], []
    for file, source, root in discover([knowledge]):
        doc = load_bytes(file.read_bytes(), source, read_manifest(root))
        for line in doc.text.splitlines():
            line = line.strip()
            if HEADING.match(line) and len(line) < 40:
                headings.append(HEADING.sub("", line))
            elif len(line) >= 20:
                sentences.extend(s for sp in split_sentences(line, ends=FULL_SENTENCE_END)
                                 if len(s := line[sp.start : sp.end].strip()) >= 12)
    return headings, sentences


def _alter(sentence: str, rng: random.Random) -> str:
    """The sentence with every number replaced (same digit count); numberless ones get a date."""
    if re.search(r"\d", sentence):
        return re.sub(r"\d+", lambda m: str(rng.randint(10 ** (len(m[0]) - 1) if len(m[0]) > 1 else 1,
                                                         10 ** len(m[0]) - 1)), sentence)
    return f"{rng.randint(2001, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{sentence}"


def make_corpus(n: int, knowledge: Path, out: Path, seed: int = 13) -> int:
    """Write n synthetic documents and their manifest to `out`; returns the total characters."""
    headings, sentences = _pieces(knowledge)
    return _write_corpus(n, headings, sentences, out, seed)


def _write_corpus(n: int, headings: list[str], sentences: list[str], out: Path, seed: int) -> int:
    used: set[str] = set()
    out.mkdir(parents=True, exist_ok=True)
    manifest, total = [], 0
    for i in range(n):
        rng = random.Random(seed * 100003 + i)
        target, parts = rng.randint(4500, 6500), []
        size, section = 0, 0
        while size < target:
            head = f"{ORDINALS[section % 10]}、{rng.choice(headings)}"
            section += 1
            parts.append(head)
            for _ in range(rng.randint(2, 4)):
                para = []
                for _ in range(rng.randint(3, 6)):
                    for _ in range(50):  # a fresh variant: no sentence appears twice in the corpus
                        s = _alter(rng.choice(sentences), rng)
                        if s not in used:
                            used.add(s)
                            para.append(s)
                            break
                parts.append("".join(para))
            size = sum(len(p) + 1 for p in parts)
        text = "\n".join(parts) + "\n"
        total += len(text)
        name = f"synthetic_{i:05d}.txt"
        (out / name).write_text(text, "utf-8")
        region = REGIONS[i % len(REGIONS)]
        manifest.append(f'[[documents]]\nsource = "{name}"\ntitle = "{region}{rng.choice(TOPICS)}经验材料（第{i + 1}号）"\n'
                        f'publisher = "{region}党建办"\ndate = "{2010 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}"\n'
                        f'region = "{region}"\n')
    (out / "manifest.toml").write_text("\n".join(manifest), "utf-8")
    return total


def _serve(settings: Settings, env_extra: dict[str, str], questions: list[str]) -> dict:
    """Cold start of `djbot serve` to /readyz, sequential HTTP asks, and the replica's peak RSS."""
    import httpx

    from .servers import free_port

    port = free_port()
    env = {**os.environ, "DJBOT_DATA_DIR": str(settings.data_dir), "DJBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
           "DJBOT_RATE_LIMIT": "1000000/minute", **env_extra}
    exe = Path(sys.executable).parent / "djbot"
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=60) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("djbot serve exited before it was ready")
                try:
                    if client.get(url + "/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            cold = time.perf_counter() - t0
            client.post(url + "/v1/ask", json={"question": questions[0]}).raise_for_status()
            lat = []
            for _ in range(3):
                for q in questions:
                    t0 = time.perf_counter()
                    client.post(url + "/v1/ask", json={"question": q}).raise_for_status()
                    lat.append((time.perf_counter() - t0) * 1000)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM"))
        return {"cold_start_s": round(cold, 2), "http_p50_ms": round(statistics.median(lat), 1),
                "peak_rss_mb": round(hwm / 1024, 1)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


NUMBER = re.compile(r"\d+")
DATE_PREFIX = re.compile(r"^#年#月#日，")


def _shape(sentence: str) -> str:
    """A sentence with its numbers blanked (and the date _alter may prepend dropped): every synthetic
    variant of a knowledge sentence has the shape of its original."""
    return DATE_PREFIX.sub("", NUMBER.sub("#", sentence.strip()))


class TimedEmbedder:
    """The embedder, with the time spent inside `embed_passages` added up (the ingest's embedding share)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.passage_s = inner, inner.name, inner.dim, 0.0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_passages(texts)
        finally:
            self.passage_s += time.perf_counter() - t0

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def __getattr__(self, name):
        return getattr(self.inner, name)


NOISE = 0.004  # per dimension: keeps variants apart, about as far as e5 puts sentences differing in numbers


class StandInEmbedder:
    """For corpora too large to embed on this machine in one sitting (N=1000 is some 11 million tokens,
    about three hours of e5 on 2 cores, twice over with the floor): passages get stand-in vectors made
    from real e5 vectors of the knowledge base's own sentences. A synthetic sentence is a real one with
    other numbers, so its vector is the original's plus a little noise; a chunk's is the normalised sum
    of its sentences'. Queries go to the real model, and the name is the real model's, so a replica
    started on the result is the real product asking real query vectors against realistic neighbours.
    Everything but the embedding itself is measured for real; the embedding time is estimated from a
    sample (see `_floor_from_sample`)."""

    def __init__(self, real, sentences: list[str], headings: list[str]) -> None:
        self.real, self.name, self.dim = real, real.name, real.dim
        self.count = real._model.token_count
        self.by_shape: dict[str, tuple[np.ndarray, int]] = {}
        self._learn(sorted(set(sentences) | set(headings)))

    def _learn(self, pieces: list[str]) -> None:
        """Real vectors (and token counts) for pieces of a shape not seen yet: titles and headings repeat
        their shapes, so this stays a few hundred embeddings whatever N is."""
        new = sorted({_shape(p): p for p in pieces if _shape(p) not in self.by_shape}.items())
        for i in range(0, len(new), 16):
            part = new[i : i + 16]
            vectors = self.real.embed_passages([p for _, p in part])
            for (shape, piece), v in zip(part, vectors, strict=True):
                self.by_shape[shape] = (v, self.count(piece))

    def _pieces_of(self, text: str) -> list[str]:
        out = []
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if _shape(line) in self.by_shape or len(line) < 40:
                out.append(line)
            else:
                out.extend(line[sp.start : sp.end] for sp in split_sentences(line, ends=FULL_SENTENCE_END))
        return [p for p in out if p.strip()]

    def _one(self, text: str) -> np.ndarray:
        pieces = self._pieces_of(text)
        self._learn(pieces)
        total = np.zeros(self.dim, np.float32)
        for p in pieces:  # the model mean-pools over tokens: each piece weighs by its length
            v, tokens = self.by_shape[_shape(p)]
            total += v * tokens
        total /= np.linalg.norm(total)
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        total += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32) * NOISE
        return total / np.linalg.norm(total)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


def _floor_from_sample(real, texts: list[str], batch: int, size: int = 480, seed: int = 7) -> float:
    """The real embedder's time for all `texts`, estimated from a random sample: seconds per token on
    the sample times all tokens (lengths vary, so tokens, not texts, carry the cost)."""
    count = real._model.token_count
    sample = random.Random(seed).sample(texts, min(size, len(texts)))
    t0 = time.perf_counter()
    for i in range(0, len(sample), batch):
        real.embed_passages(sample[i : i + batch])
    spent = time.perf_counter() - t0
    return spent * sum(count(t) for t in texts) / sum(count(t) for t in sample)


def run(n: int, knowledge: Path, store_url: str | None, chroma_url: str | None, workdir: Path,
        stand_in: bool = False) -> dict:
    load_before = os.getloadavg()[0]
    docs = workdir / "docs"
    headings, sentences = _pieces(knowledge)
    chars = _write_corpus(n, headings, sentences, docs, seed=13)
    settings = Settings(_env_file=None, data_dir=workdir / "data", knowledge_dir=docs, store_url=store_url,
                        chroma_url=chroma_url)
    real = make_embedder(settings.embedder)
    embedder = TimedEmbedder(StandInEmbedder(real, sentences, headings) if stand_in else real)
    kb = KnowledgeBase(settings, embedder=embedder)
    if kb.store.stats()["documents"]:
        raise SystemExit("--store-url must name an empty store (a new database)")
    kb.embedder.embed_query("预热")  # model and jieba load once, outside the timings
    kb.tokenizer.tokens("预热")

    t0 = time.perf_counter()
    report = kb.ingest([docs])
    ingest_s = time.perf_counter() - t0
    embed_in_ingest_s = embedder.passage_s
    assert not report.errors, report.errors
    snap = kb.snapshot()

    # The raw embedder on exactly the texts the ingest embedded, in the same batches; with stand-ins,
    # estimated from a sample (also computed with the real floor, to show how good the estimate is).
    _, texts = embedding_texts(kb.embedder.name, list(snap.chunks))
    batch, items = settings.embed_batch, list(texts.values())
    sample_est_s = _floor_from_sample(real, items, batch)
    if stand_in:
        floor_s = sample_est_s
        ingest_s = ingest_s - embed_in_ingest_s + floor_s  # the ingest as it would have run with e5
    else:
        t0 = time.perf_counter()
        for i in range(0, len(items), batch):
            real.embed_passages(items[i : i + batch])
        floor_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    again = kb.ingest([docs])
    reingest_s = time.perf_counter() - t0
    assert not again.added and not again.updated and again.embedded == 0

    chunks, tokens = kb.store.chunks()
    t0 = time.perf_counter()
    LexicalIndex([c.id for c in chunks], tokens)
    bm25_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    kb.load()
    load_s = time.perf_counter() - t0

    from retrieval.answer import answer

    for q in QUESTIONS:  # warm-up
        answer(q, kb, settings)
    lat = []
    for _ in range(5):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            answer(q, kb, settings)
            lat.append((time.perf_counter() - t0) * 1000)
    bench_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kb.close()

    env = {k: v for k, v in (("DJBOT_STORE_URL", store_url), ("DJBOT_CHROMA_URL", chroma_url)) if v}
    served = _serve(settings, env, QUESTIONS)
    return {
        "docs": n,
        "chars": chars,
        "chunks": report.chunks,
        "embedded": report.embedded + report.sentences_embedded,
        "ingest_s": round(ingest_s, 1),
        "embed_floor_s": round(floor_s, 1),
        "ingest_ratio": round(ingest_s / floor_s, 3) if floor_s else None,
        "ingest_overhead_s": round(ingest_s - (floor_s if stand_in else embed_in_ingest_s), 1),
        "embed_floor_sample_est_s": round(sample_est_s, 1),
        "vectors_from": "stand-ins; embed_floor_s and ingest_s estimated from a sample" if stand_in else "e5",
        "reingest_s": round(reingest_s, 2),
        "cold_start_s": served["cold_start_s"],
        "ask_p50_ms": round(_pct(lat, 0.5), 1),
        "ask_p95_ms": round(_pct(lat, 0.95), 1),
        "http_p50_ms": served["http_p50_ms"],
        "bm25_build_s": round(bm25_s, 3),
        "snapshot_load_s": round(load_s, 2),
        "peak_rss_mb": served["peak_rss_mb"],
        "bench_peak_rss_mb": round(bench_rss, 1),
        "store": "postgresql" if store_url and store_url.startswith("postgresql") else "sqlite",
        "vectors": "chroma-server" if chroma_url else "chroma-embedded",
        "load_avg_1m": round(load_before, 2),  # > cores: the figures were taken under contention
        "machine": _machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="djbot scale benchmark (one N per run, one JSON line)")
    parser.add_argument("--docs", type=int, required=True, help="number of synthetic documents")
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"), help="where the sentences come from")
    parser.add_argument("--store-url", help="document store (an empty database), e.g. postgresql+psycopg://…")
    parser.add_argument("--chroma-url", help="a Chroma server, e.g. http://127.0.0.1:8001")
    parser.add_argument("--servers", action="store_true",
                        help="start a throwaway PostgreSQL cluster and Chroma server for this run")
    parser.add_argument("--stand-in-vectors", action="store_true",
                        help="passages get stand-in vectors (real e5 on a sample for the embedding time): "
                             "for N too large to embed here in one sitting")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="djbot-scale-")))
        store_url, chroma_url = args.store_url, args.chroma_url
        if args.servers:
            from .servers import chroma_server, create_database, postgres_cluster

            store_url = create_database(stack.enter_context(postgres_cluster()), "bench")
            chroma_url = stack.enter_context(chroma_server(tmp / "chroma"))
        result = run(args.docs, args.knowledge, store_url, chroma_url, tmp, args.stand_in_vectors)
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
