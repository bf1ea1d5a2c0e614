"""Domain types: small frozen dataclasses with stable ids."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


def stable_id(*parts: object) -> str:
    """A short content hash used for chunk ids and cache keys."""
    h = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class Document:
    source: str  # file name (relative path under the ingest root); golden sets match on it
    title: str
    text: str  # cleaned text; chunk offsets point into it
    publisher: str = ""
    date: str = ""
    region: str = ""
    content_hash: str = ""
    origin: str = ""  # the directory or file it was ingested from


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    section: str  # heading chain, " > " separated
    paragraph: int
    start: int  # offsets into Document.text
    end: int
    text: str
    publisher: str = ""
    date: str = ""
    region: str = ""

    @staticmethod
    def make_id(source: str, start: int, end: int, text: str) -> str:
        return stable_id(source, start, end, text)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 score, when the lexical side found it


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    source: str
    title: str
    publisher: str
    date: str
    section: str
    quote: str  # the exact span used, a substring of the document's cleaned text
    start: int
    end: int
    passage: str = ""  # the whole cited chunk


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, for follow-ups: the (standalone) question and the answer."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # body with [n] markers; the sources block is rendered by each channel
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    outcome: str = ""  # answered | partial | refused; empty means derived from `refused`
    retrieved: tuple[Hit, ...] = ()
    suggestions: tuple[str, ...] = ()
    mode: str = "extractive"  # extractive | llm | llm-fallback | refusal
    reason: str = ""  # why it was refused, for logs and trainers
    standalone_question: str = ""
    guard: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    generation: int = 0  # the index generation it was answered from (0: none read)

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", "refused" if self.refused else "answered")

    def to_dict(self) -> dict:
        """The JSON shape shared by `djbot ask --json` and the HTTP API."""
        latency = round(sum(self.timings.values()), 1) if self.timings else 0.0
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "outcome": self.outcome,
            "mode": self.mode,
            "reason": self.reason,
            "suggestions": list(self.suggestions),
            "standalone_question": self.standalone_question or self.question,
            "citations": [
                {k: v for k, v in asdict(c).items() if k != "passage"} for c in self.citations
            ],
            "retrieved": [
                {
                    "source": h.chunk.source,
                    "chunk_id": h.chunk.id,
                    "title": h.chunk.title,
                    "section": h.chunk.section,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                }
                for h in self.retrieved
            ],
            "guard": self.guard,
            "timings_ms": {k: round(v, 1) for k, v in self.timings.items()},
            "latency_ms": latency,
            "generation": self.generation,
        }
