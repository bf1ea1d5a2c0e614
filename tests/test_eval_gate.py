"""CI gate: the dev golden set must meet the floors in evals/thresholds.toml."""

from __future__ import annotations

import json
import tomllib

from evals.runner import check_thresholds, failing_questions, load_dataset, run_eval

from .conftest import DEV, ROOT


def test_dev_set_meets_thresholds(kb, settings, capsys):
    result = run_eval(load_dataset(DEV), kb, settings)
    thresholds = tomllib.loads((ROOT / "evals" / "thresholds.toml").read_text("utf-8"))
    failures = check_thresholds(result.summary, thresholds)
    with capsys.disabled():
        print("\ndev set:", json.dumps(result.summary, ensure_ascii=False))
        for line in failing_questions(result.records):
            print("  ", line)
    assert not failures, failures
