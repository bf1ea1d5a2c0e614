"""Per-question reports for trainers (HTML or Markdown), readable in Chinese."""

from __future__ import annotations

import html
from pathlib import Path

from .runner import EvalResult

LABELS = [
    ("题目数", ("n",)),
    ("可回答题数", ("answerable",)),
    ("首位命中率 hit@1", ("retrieval", "hit@1")),
    ("前5召回率 recall@5", ("retrieval", "recall@5")),
    ("平均倒数排名 MRR@10", ("retrieval", "mrr@10")),
    ("要点召回率", ("answer", "key_point_recall")),
    ("回答长度中位数（字）", ("answer", "median_chars")),
    ("引用支撑率", ("grounding", "citation_support")),
    ("引用精确率", ("grounding", "citation_precision")),
    ("无引用语句比例", ("grounding", "uncited_rate")),
    ("无效引用比例", ("grounding", "invalid_citation_rate")),
    ("应拒答题的拒答率", ("refusal", "unanswerable_refusal_rate")),
    ("误拒率", ("refusal", "false_refusal_rate")),
    ("延迟 p50（毫秒）", ("latency", "p50_ms")),
    ("延迟 p95（毫秒）", ("latency", "p95_ms")),
]


def _get(summary: dict, path: tuple[str, ...]):
    v = summary
    for k in path:
        v = v[k]
    return v


def summary_lines(summary: dict) -> list[str]:
    """The summary as aligned text lines for the terminal."""
    return [f"{label}：{_get(summary, path)}" for label, path in LABELS]


def write_report(result: EvalResult, path: Path) -> None:
    """Write `.html` or `.md` depending on the file suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_markdown(result) if path.suffix.lower() == ".md" else render_html(result)
    path.write_text(text, encoding="utf-8")


def render_markdown(result: EvalResult) -> str:
    out = ["# djbot 评测报告", "", "| 指标 | 数值 |", "| --- | --- |"]
    out += [f"| {label} | {_get(result.summary, p)} |" for label, p in LABELS]
    out.append("")
    for r in result.records:
        d = r.to_dict()
        flags = " ".join(f"{'✅' if ok else '❌'}{k}" for k, ok in d["passed"].items())
        out += [f"## {d['id']} {d['question']}", "", f"{flags}", "", "**回答：**", "", d["answer"], ""]
        for c in d["citations"]:
            out.append(f"- [{c['n']}] 《{c['title']}》（{c['source']}）：“{c['quote']}”")
        if d["key_points_missed"]:
            out.append(f"\n**缺少要点：** {'、'.join(d['key_points_missed'])}")
        bad = [s for s in d["statements"] if not s["supported"]]
        for s in bad:
            out.append(f"\n**未获支撑的语句：** {s['statement']}（{s['reason']}）")
        out.append("")
    return "\n".join(out)


CSS = """body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:960px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.6}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px}
.q{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}.ok{color:#137333}.bad{color:#c5221f}
blockquote{margin:.3em 0;padding:.3em .8em;background:#f6f6f6;border-left:3px solid #b71c1c}.ans{white-space:pre-wrap}"""


def render_html(result: EvalResult) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(label)}</td><td>{e(str(_get(result.summary, p)))}</td></tr>" for label, p in LABELS)
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>djbot 评测报告</title>",
        f"<style>{CSS}</style></head><body><h1>djbot 评测报告</h1><table><tr><th>指标</th><th>数值</th></tr>{rows}</table>",
    ]
    for r in result.records:
        d = r.to_dict()
        flags = " ".join(
            f"<span class='{'ok' if ok else 'bad'}'>{'✔' if ok else '✘'} {e(k)}</span>" for k, ok in d["passed"].items()
        )
        cites = "".join(
            f"<blockquote>[{c['n']}] 《{e(c['title'])}》（{e(c['source'])}）<br>“{e(c['quote'])}”</blockquote>"
            for c in d["citations"]
        )
        missed = f"<p class='bad'>缺少要点：{e('、'.join(d['key_points_missed']))}</p>" if d["key_points_missed"] else ""
        unsupported = "".join(
            f"<p class='bad'>未获支撑：{e(s['statement'])}（{e(s['reason'])}）</p>" for s in d["statements"] if not s["supported"]
        )
        parts.append(
            f"<div class='q' id='{e(d['id'])}'><h3>{e(d['id'])} {e(d['question'])}</h3><p>{flags}</p>"
            f"<div class='ans'>{e(d['answer'])}</div>{cites}{missed}{unsupported}</div>"
        )
    parts.append("</body></html>")
    return "".join(parts)
