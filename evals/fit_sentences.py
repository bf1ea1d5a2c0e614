"""Fit how a candidate sentence's relevance is weighed (retrieval/sentence.toml) on the calibration parts.

    .venv/bin/python -m evals.fit_sentences [--write]

For every answerable calibration question (conversation turns with the earlier turns as history, as the eval
gives them) the real pipeline scores its candidate sentences once; a sentence is a right one when it holds one
of the question's evidence quotes. A coordinate search over a small grid per weight then maximizes the number
of questions whose best-scored sentence is a right one (ties: mean reciprocal rank). Item and term bonuses
are rule checks with few examples and stay as set. The test parts are never read here."""

from __future__ import annotations

import argparse
import json
import re
import unicodedata

from retrieval.candidates import SENTENCE_WEIGHTS, load_sentence_weights, relevance
from retrieval.index import KnowledgeBase
from retrieval.settings import Settings

from .fit_decision import CALIBRATION, analyzed

GRID = {
    "semantic": [0.3, 0.4, 0.5, 0.6, 0.7],
    "context": [0.25, 0.5, 0.75],
    "phrase": [0.0, 0.1, 0.2, 0.3, 0.4],
    "rank": [0.0, 0.015, 0.03, 0.06, 0.1],
    "kind": [0.1, 0.15, 0.25, 0.35],
    "list_opens": [0.0, 0.08, 0.15, 0.25],
    "list_shape": [0.0, 0.04, 0.08, 0.15],
    "short": [0.6, 0.7, 0.8, 0.9, 1.0],
    "elsewhere": [0.0, 0.1, 0.2, 0.3, 0.5, 1.0],
}


def _norm(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def collect(paths: list[str], kb: KnowledgeBase, settings: Settings) -> list[list[tuple[dict, float, bool]]]:
    """Per answerable question: its candidates as (parts, the fixed rest of their score, right?)."""
    weights = load_sentence_weights()
    questions = []
    for item, p in analyzed(paths, kb, settings):
        if not item.answerable or not item.evidence:
            continue
        quotes = [_norm(e.quote) for e in item.evidence]
        rows = []
        for c in p.candidates:
            text = _norm(c.text)
            right = any(q in text or (len(text) >= 8 and text in q) for q in quotes)
            # Follow-up offsets and item lifts are rules on top of the weighted parts: kept as they are.
            rest = c.relevance - relevance(c.parts, weights) if c.parts else c.relevance
            rows.append((c.parts, rest, right))
        if any(r for _, _, r in rows):
            questions.append(rows)
    return questions


def score(questions, weights: dict) -> tuple[int, float]:
    """(questions whose best sentence is right, mean reciprocal rank of the first right one)."""
    top, rr = 0, 0.0
    for rows in questions:
        scored = sorted(((relevance(p, weights) if p else 0.0) + rest, right) for p, rest, right in rows)[::-1]
        first = next(i for i, (_, right) in enumerate(scored) if right)
        top += first == 0
        rr += 1.0 / (first + 1)
    return top, rr / max(len(questions), 1)


def fit(questions, start: dict, passes: int = 3) -> dict:
    best = dict(start)
    best_score = score(questions, best)
    for _ in range(passes):
        changed = False
        for name, values in GRID.items():
            for v in values:
                trial = {**best, name: v}
                s = score(questions, trial)
                if s > best_score:
                    best, best_score, changed = trial, s, True
        if not changed:
            break
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description="拟合候选句相关度的权重（只用校准集）")
    ap.add_argument("--write", action="store_true", help="写回 retrieval/sentence.toml")
    args = ap.parse_args()
    settings = Settings()
    kb = KnowledgeBase(settings)
    questions = collect(CALIBRATION, kb, settings)
    start = dict(load_sentence_weights())
    before = score(questions, start)
    fitted = fit(questions, start)
    after = score(questions, fitted)
    print(json.dumps({"questions": len(questions), "before": before, "after": after, "weights": fitted},
                     ensure_ascii=False))
    if args.write:
        lines = ["# How a candidate sentence's relevance is made of its parts (retrieval/candidates.py: `relevance`):",
                 "#   (1 - semantic) * (lexical + context * heading-and-neighbour-overlap) + semantic * similarity",
                 "#   + phrase * shared-3-grams - rank * passage-rank + kind/term/item/list bonuses, then x short for lead-ins.",
                 "# Written by `python -m evals.fit_sentences --write` from the calibration parts only: "
                 f"{len(questions)} questions,",
                 f"# right sentence first {before[0]} -> {after[0]} (mean reciprocal rank {before[1]:.3f} -> {after[1]:.3f}).",
                 *(f"{k} = {v}" for k, v in fitted.items()), ""]
        SENTENCE_WEIGHTS.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
