"""The support test against the labelled calibration set (evals/calibration.jsonl)."""

from __future__ import annotations

import json
from collections import Counter

from retrieval.grounding import check_support, split_statements

from .conftest import KNOWLEDGE, ROOT

CAL = ROOT / "evals" / "calibration.jsonl"
# Rejections that must never fail: each is a kind of error an LLM really makes.
MUST_REJECT = {"negated", "stitched", "out_of_range_citation", "unrelated", "changed_title"}


def _rows():
    return [json.loads(line) for line in CAL.read_text("utf-8").splitlines() if line.strip()]


def _verdict(row) -> bool:
    return check_support(row["statement"], [p["title"] + "\n" + p["text"] for p in row["passages"]]).supported


def test_calibration_set_is_built_from_the_seeds():
    rows = _rows()
    assert len(rows) >= 60
    assert {r["kind"] for r in rows} >= {"exact", "paraphrase", "changed_number", "swapped_org", "swapped_place",
                                          "negated", "stitched", "out_of_range_citation"}
    for r in rows:
        for p in r["passages"]:
            assert p["text"] in (KNOWLEDGE / p["source"]).read_text("utf-8"), r["id"]


def test_agreement_with_labels(capsys):
    rows = _rows()
    right = Counter()
    total = Counter(r["kind"] for r in rows)
    wrong = []
    for r in rows:
        ok = _verdict(r) == r["supported"]
        right[r["kind"]] += ok
        if not ok:
            wrong.append(f"{r['id']} {r['kind']}: {r['statement']}")
    agreement = sum(right.values()) / len(rows)
    with capsys.disabled():
        print(f"\nsupport-test agreement {agreement:.3f} on {len(rows)} labelled pairs")
        for kind in sorted(total):
            print(f"  {kind:24s} {right[kind]}/{total[kind]}")
        for w in wrong:
            print("  disagrees:", w)
    assert agreement >= 0.9


def test_must_reject_kinds_and_faithful_statements():
    for r in _rows():
        if r["kind"] in MUST_REJECT and not r["supported"]:
            assert not _verdict(r), r["id"]
        if r["kind"] in {"exact", "paraphrase"}:
            assert _verdict(r), r["id"]


def test_split_statements_rules():
    text = "具体做法：\n1. 采取联合组建的方式[1]；建立联合党组织[1][2]。\n2. 按照“六有”标准建设阵地！\n- 党费返还一部分[9]"
    st = split_statements(text)
    assert [s.text for s in st] == ["采取联合组建的方式；", "建立联合党组织。", "按照“六有”标准建设阵地！", "党费返还一部分"]
    assert [s.citations for s in st] == [(1,), (1, 2), (), (9,)]


def test_number_and_title_rules():
    passage = "共评定五星级党组织12家,印发《关于加强非公有制经济组织党建工作的意见》"
    assert check_support("共评定五星级党组织12家", [passage]).supported
    assert not check_support("共评定五星级党组织13家", [passage]).supported
    assert not check_support("印发了《关于加强党的建设的意见》", [passage]).supported
