"""The scale benchmark's synthetic corpus and its stand-in vectors (used where N is too large to embed
here): stand-ins must sit where the real model puts the same text, or the figures measured on them
(search, answers, memory) would describe a different index."""

from __future__ import annotations

import random

import numpy as np

from evals.bench_scale import StandInEmbedder, _alter, _pieces, _write_corpus

from .conftest import KNOWLEDGE


def test_stand_in_vectors_sit_where_the_model_puts_the_text(embedder):
    headings, sentences = _pieces(KNOWLEDGE)
    assert len(sentences) > 100
    picked = random.Random(1).sample(sentences, 24)
    stand_in = StandInEmbedder(embedder, picked, headings)
    assert stand_in.name == embedder.name, "a replica started on the result must open the same collection"
    rng = random.Random(3)
    variants = [_alter(s, rng) for s in picked[:12]]
    real, fake = embedder.embed_passages(variants), stand_in.embed_passages(variants)
    own = (real * fake).sum(axis=1)
    others = real @ fake.T
    assert own.min() > 0.93
    # Each stand-in is nearest to its own text's real vector: neighbourhoods are the model's.
    assert (others.argmax(axis=0) == np.arange(len(variants))).mean() >= 0.9
    chunks = [f"某市党建经验材料｜某市｜一、{headings[0]}\n" + "".join(variants[i : i + 4]) for i in range(0, 12, 4)]
    assert ((embedder.embed_passages(chunks) * stand_in.embed_passages(chunks)).sum(axis=1)).min() > 0.9
    again = stand_in.embed_passages([variants[0], variants[0] + "。"])
    assert float(again[0] @ again[1]) < 0.9999, "different texts never share a vector"


def test_synthetic_corpus_never_repeats_a_sentence(tmp_path):
    headings, sentences = _pieces(KNOWLEDGE)
    chars = _write_corpus(3, headings, sentences, tmp_path, seed=13)
    texts = [p.read_text("utf-8") for p in sorted(tmp_path.glob("synthetic_*.txt"))]
    assert len(texts) == 3 and chars == sum(len(t) for t in texts)
    lines = [ln for t in texts for ln in t.splitlines() if len(ln) > 40]
    assert len(lines) == len(set(lines))
    assert (tmp_path / "manifest.toml").read_text("utf-8").count("[[documents]]") == 3


def test_the_embedder_fingerprint_is_the_same_for_a_second_load_of_the_model(embedder):
    # `make bench` prints it so that two machines can be compared; it must not vary within one machine.
    from evals.bench import embedder_fingerprint
    from retrieval.embed import E5Embedder

    first = embedder_fingerprint(embedder)
    assert first == embedder_fingerprint(E5Embedder())
    assert len(first) == 32
