"""CI gate: each golden set must meet its floors and ceilings in evals/thresholds.toml."""

from __future__ import annotations

import json
import tomllib

import pytest

from evals.runner import check_thresholds, failing_questions, load_dataset, run_eval

from .conftest import ROOT

THRESHOLDS = tomllib.loads((ROOT / "evals" / "thresholds.toml").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_golden_set_meets_thresholds(kb, settings, capsys, name):
    result = run_eval(load_dataset(ROOT / "evals" / "datasets" / f"{name}.jsonl"), kb, settings)
    failures = check_thresholds(result.summary, THRESHOLDS[name])
    with capsys.disabled():
        print(f"\n{name} set:", json.dumps(result.summary, ensure_ascii=False))
        for line in failing_questions(result.records):
            print("  ", line)
    assert not failures, failures
