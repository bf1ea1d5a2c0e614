"""The eval suite: dataset formats, exact metric arithmetic, reports."""

from __future__ import annotations

import csv
import json

import pytest

from evals.report import render_html, write_report
from evals.runner import Evidence, Item, load_dataset, score_record, summarize
from retrieval.errors import DatasetError
from retrieval.types import Answer, Chunk, Citation, Hit

from .conftest import DEV, SHARED

PASSAGE = "对有党员但不具备单建条件的,采取联合组建、挂靠组建的方式建立联合党组织,为单独建立党组织创造条件。"
OTHER = "按照“六有”标准,加强活动场所规范化建设。"


def _hit(source, text, cid):
    return Hit(Chunk(cid, source, "标题", "", 0, 0, len(text), text), 1.0)


def _cite(n, text, cid="c1"):
    return Citation(n, cid, "s.txt", "标题", "", "", "", text, 0, len(text), passage=text)


ITEM = Item("q1", "怎么办？", "how-to", True, (Evidence("s.txt", "采取联合组建、挂靠组建的方式"),), ("联合组建", "挂靠组建", "六有"))


def test_metrics_on_a_hand_built_answer():
    retrieved = tuple(_hit("s.txt" if i == 2 else "x.txt", PASSAGE if i == 2 else OTHER, f"c{i}") for i in range(10))
    text = "采取联合组建、挂靠组建的方式建立联合党组织[1]。按照“六有”标准加强活动场所建设[2]。凭空编造的一句话[1]。没有引用的一句话。错误编号[7]。"
    ans = Answer("怎么办？", text, citations=(_cite(1, PASSAGE), _cite(2, OTHER, "c2")), retrieved=retrieved)
    rec = score_record(ITEM, ans, 12.0)
    assert (rec.hit1, rec.recall5, rec.rr10) == (0.0, 1.0, 1 / 3)
    assert rec.key_points_found == ("联合组建", "挂靠组建", "六有")
    g = rec.grounding
    assert g.statements == 5 and g.supported == 2 and g.uncited == 2
    assert g.markers == 4 and g.invalid == 1 and g.citations == 3 and g.precise == 2
    s = summarize([rec])
    assert s["grounding"]["citation_support"] == 0.4
    assert s["grounding"]["uncited_rate"] == 0.4
    assert s["grounding"]["invalid_citation_rate"] == 0.25
    assert s["grounding"]["citation_precision"] == round(2 / 3, 4)


def test_irrelevant_citation_is_imprecise():
    text = "采取联合组建、挂靠组建的方式建立联合党组织[1][2]。"
    ans = Answer("q", text, citations=(_cite(1, PASSAGE), _cite(2, OTHER, "c2")))
    g = score_record(ITEM, ans, 1.0).grounding
    assert (g.supported, g.citations, g.precise) == (1, 2, 1)


def test_refusal_rates_and_key_points_exclude_citations():
    unans = Item("u", "北京明天会下雨吗？", "out-of-domain", False)
    recs = [
        score_record(unans, Answer("q", "抱歉", refused=True), 1.0),
        score_record(ITEM, Answer("q", "抱歉", refused=True), 1.0),
        score_record(ITEM, Answer("q", "联合[1]组建与挂靠组建[1]。", citations=(_cite(1, PASSAGE),)), 1.0),
    ]
    s = summarize(recs)
    assert s["refusal"] == {"unanswerable_refusal_rate": 1.0, "unanswerable_refused_only": 1.0,
                            "false_refusal_rate": 0.5, "partial_rate": 0.0, "injection_refusal_rate": None}
    assert recs[2].key_points_found == ("联合组建", "挂靠组建")


def test_dev_set_copy_is_in_sync():
    shared = SHARED / "evals" / "dev.jsonl"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert DEV.read_bytes() == shared.read_bytes()


def test_jsonl_csv_and_xlsx_give_the_same_items(tmp_path):
    items = load_dataset(DEV)
    assert len(items) == 43 and sum(i.answerable for i in items) == 38
    rows = [json.loads(x) for x in DEV.read_text("utf-8").splitlines()]
    cols = ["id", "question", "category", "answerable", "evidence", "key_points"]
    flat = [
        [r["id"], r["question"], r["category"], str(r["answerable"]).lower(),
         "\n".join(f"{e['source']}|{e['quote']}" for e in r["evidence"]), ";".join(r["key_points"])]
        for r in rows
    ]
    path = tmp_path / "dev.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(flat)
    assert load_dataset(path) == items
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(cols)
    for row in flat:
        wb.active.append(row)
    xlsx = tmp_path / "dev.xlsx"
    wb.save(xlsx)
    assert load_dataset(xlsx) == items


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,question,answerable\nq1,问题,maybe\n", "第 2 行：answerable"),
        ("id,question,answerable,evidence\nq1,问题,true,没有竖线\n", "第 2 行，evidence 列"),
        ("id,question,answerable,evidence\nq1,问题,true,\n", "第 2 行：可回答的问题需要至少一条 evidence"),
        ("id,question\nq1,问题\n", "表头缺少列：answerable"),
        ("id,question,answerable\nq1,,false\n", "第 2 行：缺少必填列“question”"),
    ],
)
def test_malformed_csv_names_row_and_column(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert message in info.value.message


def test_malformed_jsonl_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q", "answerable": false}\n{oops\n', "utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert "第 2 行" in info.value.message


def test_reports_are_written_and_escaped(tmp_path):
    text = "采取联合组建<script>alert(1)</script>的方式[1]。"
    rec = score_record(ITEM, Answer("怎么办？", text, citations=(_cite(1, PASSAGE),)), 3.0)
    from evals.runner import EvalResult

    result = EvalResult(summarize([rec]), [rec])
    html_text = render_html(result)
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "首位命中率" in html_text and "缺少要点" in html_text
    write_report(result, tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text("utf-8")
    assert "# djbot 评测报告" in md and "q1 怎么办？" in md


def test_gbk_csv_and_jsonl_load(tmp_path):
    rows = "id,question,answerable,evidence\nq1,党费怎么返还？,是,《某文》|党费返还\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(rows.encode("gbk"))
    assert load_dataset(path)[0].question == "党费怎么返还？"
    jl = tmp_path / "gbk.jsonl"
    jl.write_bytes('{"id": "a", "question": "党费怎么返还？", "answerable": false}\n'.encode("gbk"))
    assert load_dataset(jl)[0].question == "党费怎么返还？"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,question,answerable\n\xff\xfe\xfd\xfc,\x81,\n")
    with pytest.raises(DatasetError) as info:
        load_dataset(bad)
    assert "编码" in info.value.message


def test_evidence_may_name_the_document_by_title(kb, settings):
    from evals.runner import resolve_titles, run_eval

    docs = kb.snapshot().documents
    item = Item("t1", "党组织活动场所建设的“六有”标准是什么？", "c", True,
                (Evidence("《克什克腾旗“舞活”党建龙头 为非公经济和社会组织发展助航》", "有场所、有设施"),))
    resolved = resolve_titles([item], docs)[0]
    assert resolved.evidence[0].source == "002_89d235879069d946.txt"
    result = run_eval([item], kb, settings)
    assert result.records[0].hit1 == 1.0
    with pytest.raises(DatasetError) as info:
        resolve_titles([Item("t2", "q", "c", True, (Evidence("没有这篇", "x"),))], docs)
    assert "既不是" in info.value.message


def test_trainer_report_leads_with_a_plain_headline_and_errors_first():
    from evals.report import headline, verdict
    from evals.runner import EvalResult

    good = Item("g", "怎么组建？", "组织建设", True, (Evidence("s.txt", "采取联合组建"),), ("联合组建",))
    unans = Item("u", "明天下雨吗？", "不可答", False)
    recs = [
        score_record(good, Answer("怎么组建？", "采取联合组建、挂靠组建的方式建立联合党组织[1]。",
                                  citations=(_cite(1, PASSAGE),)), 1.0),
        score_record(good, Answer("怎么组建？", "抱歉", refused=True), 1.0),
        score_record(unans, Answer("明天下雨吗？", "抱歉", refused=True), 1.0),
        score_record(ITEM, Answer("怎么办？", "凭空编造的一句话[1]。", citations=(_cite(1, PASSAGE),)), 1.0),
    ]
    html_text = render_html(EvalResult(summarize(recs), recs))
    assert "4题中2题答对，1题误拒，1题引用不相关" in html_text
    assert html_text.index("引用不支撑回答") < html_text.index("误拒（能回答却拒答）") < html_text.index("【答对】")
    assert "回答中的句子能被它所引用的原文支撑的比例" in html_text and "按分类" in html_text
    assert "语句相关：—" in html_text  # shown beside citation support, even before the metric exists
    # With the answer path's relevance fields, a well-cited but off-topic answer is not "fine".
    d = {**recs[0].to_dict(), "statement_relevance": 0.2, "first_statement_relevant": False}
    assert verdict(d) == "irrelevant" and headline([d]) == "1题中0题答对，1题答非所问"
    assert verdict({**recs[0].to_dict(), "outcome": "partial"}) == "partial"
