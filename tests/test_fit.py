"""The fitting tools behind decision.toml and sentence.toml (synthetic data: fast, and they can fail)."""

from __future__ import annotations

import numpy as np

from evals.fit_decision import choose, fit
from evals.fit_sentences import fit as fit_sentences
from evals.fit_sentences import score
from retrieval.candidates import load_sentence_weights, relevance


def test_decision_weights_stay_non_negative_and_separate_the_classes():
    rng = np.random.default_rng(7)
    good = rng.normal(1.0, 0.5, size=(80, 1))
    X = np.hstack([np.vstack([good, rng.normal(-1.0, 0.5, size=(40, 1))]),
                   np.vstack([good, rng.normal(-1.0, 0.5, size=(40, 1))]) + rng.normal(0, 0.05, (120, 1)),
                   rng.normal(0, 1, (120, 1)) * -1])  # two correlated signals and noise
    y = np.array([1.0] * 80 + [0.0] * 40)
    w, b = fit(X, y)
    assert (w >= 0).all() and w[:2].sum() > 1.0
    p = 1 / (1 + np.exp(-(X @ w + b)))
    refuse, answer_above = choose(p, y, np.zeros(len(y), dtype=bool))
    assert (p[y == 1] < refuse).mean() <= 0.01  # false refusals within budget
    partial = ((p[y == 1] >= refuse) & (p[y == 1] < answer_above)).mean()
    assert partial <= 0.05 and refuse <= answer_above
    assert (p[y == 0] < answer_above).mean() >= 0.9  # most unanswerable flagged


def _parts(**kw):
    base = {"lexical": 0.0, "context": 0.0, "semantic": 0.0, "phrase": 0.0, "rank": 0.0, "kind": 0.0, "term": 0.0,
            "item": 0.0, "list_opens": 0.0, "list_shape": 0.0, "short": 0.0, "elsewhere": 0.0}
    return {**base, **kw}


def test_sentence_relevance_rises_with_its_evidence_and_the_fit_finds_the_better_weights():
    w = dict(load_sentence_weights())
    assert relevance(_parts(lexical=0.8), w) > relevance(_parts(lexical=0.2), w)
    assert relevance(_parts(lexical=0.8, short=1.0), w) < relevance(_parts(lexical=0.8), w)
    assert relevance(_parts(lexical=0.5, kind=1.0), w) > relevance(_parts(lexical=0.5), w)
    # Questions whose right sentence wins on similarity but loses on shared words under lexical-heavy weights.
    questions = [[(_parts(lexical=0.9, semantic=0.0), 0.0, False), (_parts(lexical=0.3, semantic=0.8), 0.0, True)]
                 for _ in range(5)]
    start = {**w, "semantic": 0.3}
    assert score(questions, start)[0] == 0
    fitted = fit_sentences(questions, start)
    assert score(questions, fitted)[0] == 5 and fitted["semantic"] > 0.3
