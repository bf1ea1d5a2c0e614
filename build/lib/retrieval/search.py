"""Hybrid search: dense passages (Chroma) + lexical (BM25) + best-sentence dense, fused by scaled
scores (default) or weighted reciprocal rank, with an optional cross-encoder rerank."""

from __future__ import annotations

from .index import KnowledgeBase, Snapshot, embed_text
from .settings import Settings
from .types import Hit


def fuse(rankings: list[list[str]], weights: list[float], k: int = 60) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: score(id) = sum_i w_i / (k + rank_i(id))."""
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse_scores(lists: list[list[tuple[str, float]]], weights: list[float], scale: list[str]) -> list[tuple[str, float]]:
    """Score fusion: each list's scores scaled to 0..1 ("max": divided by the best; "minmax": over the
    candidates), then a weighted sum. Unlike rank fusion it keeps margins: a decisive BM25 lead is not
    outvoted by dense similarities that differ in the third decimal."""
    scaled: list[dict[str, float]] = []
    for items, how in zip(lists, scale, strict=True):
        if not items:
            scaled.append({})
            continue
        vals = [v for _, v in items]
        hi, lo = max(vals), (min(vals) if how == "minmax" else 0.0)
        span = (hi - lo) or 1.0
        scaled.append({i: (v - lo) / span for i, v in items})
    ids = {i for m in scaled for i in m}
    total = {i: sum(w * m.get(i, 0.0) for w, m in zip(weights, scaled, strict=True)) for i in ids}
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def search(kb: KnowledgeBase, query: str, settings: Settings, k: int | None = None,
           snap: Snapshot | None = None, qvec=None) -> list[Hit]:
    """The top-k fused hits for `query` (k defaults to settings.top_k); pass `qvec` if it is embedded already."""
    snap = snap or kb.snapshot()
    k = k or settings.top_k
    if qvec is None:
        qvec = kb.embedder.embed_query(query)
    dense = kb.dense(qvec, settings.candidates, snap.by_id)
    lexical = snap.lexical.search(kb.tokenizer.tokens(query), settings.candidates)
    sentences = kb.sentence_dense(qvec, settings.candidates, snap)
    weights = [settings.dense_weight, settings.lexical_weight, settings.sentence_weight]
    if settings.fusion == "rrf":
        fused = fuse([[i for i, _ in dense], [i for i, _ in lexical], [i for i, _ in sentences]], weights,
                     settings.rrf_k)
    else:
        fused = fuse_scores([dense, lexical, sentences], weights, ["minmax", "max", "minmax"])
    dmap, lmap = dict(dense), dict(lexical)
    hits = [Hit(snap.by_id[cid], score, dmap.get(cid), lmap.get(cid)) for cid, score in fused]
    if settings.reranker and hits:
        hits = rerank(query, hits[: settings.rerank_candidates], settings.reranker) + hits[settings.rerank_candidates :]
    return hits[:k]


_RERANKERS: dict[str, object] = {}


def rerank(query: str, hits: list[Hit], model: str) -> list[Hit]:
    """Reorder hits with a sentence-transformers CrossEncoder (local files only)."""
    if model not in _RERANKERS:
        from sentence_transformers import CrossEncoder

        from .embed import _resolve_st_path

        _RERANKERS[model] = CrossEncoder(_resolve_st_path(model), device="cpu", local_files_only=True)
    scores = _RERANKERS[model].predict([(query, embed_text(h.chunk)) for h in hits])
    order = sorted(range(len(hits)), key=lambda i: -float(scores[i]))
    return [Hit(hits[i].chunk, float(scores[i]), hits[i].dense, hits[i].lexical) for i in order]
