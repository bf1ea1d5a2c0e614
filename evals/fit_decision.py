"""Fit the answerability model (retrieval/decision.toml) on the calibration questions only.

    .venv/bin/python -m evals.fit_decision [--dataset FILE ...] [--write]

Features come from the real pipeline (understand -> retrieve -> score sentences); the label is the golden
`answerable`. A logistic regression on standardized features (weights kept non-negative), then two thresholds
chosen on the same data: `refuse_below` keeps false refusals of answerable questions at or under 0.5%,
`answer_above` is the lowest that flags (within one question) as many unanswerable questions as partial as any
threshold keeping answerable ones flagged partial at or under 5%.
A question whose best passage is less similar than any answerable one's was (`dense_floor`) is refused
outright. The test parts are never read here."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from retrieval.answer import analyze, extractive
from retrieval.decide import FEATURES, GATES, WEIGHTS, features
from retrieval.index import KnowledgeBase
from retrieval.settings import Settings
from retrieval.types import Answer, Turn

from .runner import load_dataset

CALIBRATION = ["evals/datasets/dev.jsonl", "evals/datasets/paraphrase.jsonl",
               *(f"evals/datasets/{kind}{batch}_calibration.jsonl" for batch in ("", "2", "3")
                 for kind in ("fresh", "conversations")),
               "evals/datasets/pairs_calibration.jsonl"]


def analyzed(paths: list[str], kb: KnowledgeBase, settings: Settings):
    """(item, prepared question) for every question of the datasets that reached a decision; conversation turns
    get the history the eval gives them (each earlier turn's standalone question and the answer as shown)."""
    history: list[Turn] = []
    for path in paths:
        for item in load_dataset(Path(path)):
            if item.turn <= 1:
                history = []
            p = analyze(item.question, kb, settings, history=list(history))
            ok = not isinstance(p, Answer) and bool(p.candidates)  # not an injection, something retrieved
            if item.conversation:
                said = "" if not ok or p.verdict.outcome == "refused" else extractive(p, kb, settings).text
                history.append(Turn(p.standalone if ok else item.question, said))
            if ok:
                yield item, p


def collect(paths: list[str], kb: KnowledgeBase, settings: Settings) -> list[tuple[dict, bool, dict]]:
    """(features, answerable, gate facts) for every non-injection question."""
    rows = []
    for item, p in analyzed(paths, kb, settings):
        feats, why = features(p.q, p.grams, p.candidates, p.hits, p.snap.lexical, kb.tokenizer.words, p.snap.documents)
        rows.append((feats, item.answerable, why))
    return rows


def fit(X: np.ndarray, y: np.ndarray, l2: float = 0.05, steps: int = 4000, lr: float = 0.1) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression by projected gradient descent (numpy; the data are tiny).
    Every feature is built so that more means more answerable, so weights are kept non-negative: two
    correlated coverages must not end up with one of them counting against an answer."""
    w, b = np.zeros(X.shape[1]), 0.0
    pos = y.mean()
    sw = np.where(y == 1, 0.5 / pos, 0.5 / (1 - pos))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(X @ w + b)))
        g = (p - y) * sw
        w = np.maximum(0.0, w - lr * (X.T @ g / len(y) + l2 * w))
        b -= lr * g.mean()
    return w, b


def choose(p: np.ndarray, y: np.ndarray, gated: np.ndarray, support: np.ndarray | None = None) -> tuple[float, float]:
    """Thresholds: false refusals <= 0.5%; then the lowest `answer_above` that flags within one question of
    the most unanswerable questions reachable while answerable ones flagged partial stay <= 5% (a higher
    one would only add partial answers to answerable questions)."""
    support = p if support is None else support  # refusals are decided on the support, without the checks
    ans, una, sup = p[y == 1], p[y == 0], support[y == 1]
    grid = np.round(np.arange(0.02, 0.96, 0.01), 2)
    refuse = max([t for t in grid if (sup < t).mean() <= 0.005] or [0.02])
    options = []
    for t in grid[grid >= refuse]:
        kept = sup >= refuse
        partial = (kept & (ans < t)).mean() + (kept & gated[y == 1] & (ans >= t)).mean()
        if partial <= 0.05:
            options.append((float(t), float(((una < t) | gated[y == 0]).mean())))
    if not options:
        return float(refuse), float(refuse)
    most = max(f for _, f in options)
    return float(refuse), min(t for t, f in options if f >= most - 1.0 / max(len(una), 1))


def main() -> None:
    ap = argparse.ArgumentParser(description="拟合可答性判断模型（只用校准集）")
    ap.add_argument("--dataset", action="append", help="校准用问题集（可多次指定）")
    ap.add_argument("--write", action="store_true", help="写回 retrieval/decision.toml")
    args = ap.parse_args()
    settings = Settings()
    kb = KnowledgeBase(settings)
    rows = collect(args.dataset or CALIBRATION, kb, settings)
    X = np.array([[f[name] for name in FEATURES] for f, _, _ in rows])
    y = np.array([1.0 if a else 0.0 for _, a, _ in rows])
    gated = np.array([bool(w["absent"] or w["unmet"]) for _, _, w in rows])
    mean, scale = X.mean(0), X.std(0) + 1e-9
    w, b = fit((X - mean) / scale, y)
    p = 1 / (1 + np.exp(-(((X - mean) / scale) @ w + b)))
    S = X.copy()
    S[:, [FEATURES.index(g) for g in GATES]] = 1.0
    support = 1 / (1 + np.exp(-(((S - mean) / scale) @ w + b)))
    refuse, answer_above = choose(p, y, gated, support)
    # Below the least similar passage any answerable question had, nothing in the materials is about it.
    floor = round(float(X[y == 1, FEATURES.index("dense")].min()) - 0.005, 4)
    out = {"n": len(y), "answerable": int(y.sum()), "refuse_below": refuse, "answer_above": answer_above, "dense_floor": floor,
           "weights": dict(zip(FEATURES, np.round(w, 3).tolist(), strict=True)), "bias": round(b, 3)}
    print(json.dumps(out, ensure_ascii=False))
    if args.write:
        lines = ["# Answerability model (logistic regression over standardized features), written by",
                 "# `python -m evals.fit_decision --write` from the calibration sets only; see retrieval/decide.py.",
                 f"# Fitted on {len(y)} questions ({int(y.sum())} answerable).",
                 f"bias = {b:.4f}", f"refuse_below = {refuse}", f"answer_above = {answer_above}",
                 f"dense_floor = {floor}", ""]
        for table, values in (("mean", mean), ("scale", scale), ("weight", w)):
            lines.append(f"[{table}]")
            lines += [f"{name} = {v:.4f}" for name, v in zip(FEATURES, values, strict=True)]
            lines.append("")
        WEIGHTS.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
