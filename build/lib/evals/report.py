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
padding:0 1em;color:#222;line-height:1.6}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 10px}
.headline{font-size:1.3em;font-weight:bold;margin:.5em 0}.q{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}
.ok{color:#137333}.bad{color:#c5221f}.warn{color:#b06000}.explain{color:#555;font-size:.92em}
blockquote{margin:.3em 0;padding:.3em .8em;background:#f6f6f6;border-left:3px solid #b71c1c}.ans{white-space:pre-wrap}
details summary{cursor:pointer;font-weight:bold;font-size:1.1em;margin:.8em 0}"""

# Verdicts, worst first: the report lists questions in this order.
VERDICTS = [
    ("should_refuse", "应拒答却作答", "bad"),
    ("irrelevant", "答非所问（语句与问题不相关）", "bad"),
    ("unsupported", "引用不支撑回答", "bad"),
    ("false_refusal", "误拒（能回答却拒答）", "bad"),
    ("missing_points", "要点不全", "warn"),
    ("partial", "部分作答", "warn"),
    ("correct", "答对", "ok"),
    ("refused_ok", "正确拒答", "ok"),
]
VERDICT_NAMES = {k: name for k, name, _ in VERDICTS}

# One sentence per metric, for trainers.
EXPLAIN = [
    ("首位命中率", ("retrieval", "hit@1"), "检索排第一的段落就含有标准依据的题目比例。"),
    ("前5召回率", ("retrieval", "recall@5"), "标准依据出现在检索前五个段落中的比例。"),
    ("要点召回率", ("answer", "key_point_recall"), "回答里出现了预期要点的比例。"),
    ("引用支撑率", ("grounding", "citation_support"), "回答中的句子能被它所引用的原文支撑的比例（只说明“有出处”，不说明“答对了题”）。"),
    ("语句相关率", ("relevance", "statement"), "回答中的句子与所问问题相关的比例；引用有效但答非所问时，这一项会低。"),
    ("首句相关率", ("relevance", "first"), "回答第一句就切题的题目比例。"),
    ("应拒答题的拒答率", ("refusal", "unanswerable_refusal_rate"), "知识库答不了的题，助手老实说“没有依据”的比例。"),
    ("误拒率", ("refusal", "false_refusal_rate"), "知识库能回答、助手却拒答的比例（越低越好）。"),
    ("部分作答率", ("refusal", "partial_rate"), "只回答了问题一部分的比例。"),
    ("延迟中位数（毫秒）", ("latency", "p50_ms"), "一半的问题在这个时间内得到回答。"),
]


def _opt(summary: dict, path: tuple[str, ...]):
    v = summary
    for k in path:
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


def verdict(d: dict) -> str:
    """One verdict per question (from a record's dict), worst problem first."""
    answered = not d["refused"]
    if not d["answerable"]:
        return "should_refuse" if answered else "refused_ok"
    if not answered:
        return "false_refusal"
    if d.get("first_statement_relevant") is False or (
            d.get("statement_relevance") is not None and d["statement_relevance"] < 0.5):
        return "irrelevant"
    if d["passed"].get("引用支撑") is False:
        return "unsupported"
    if d["key_points_missed"]:
        return "missing_points"
    if d.get("outcome") == "partial":
        return "partial"
    return "correct"


def headline(records: list[dict]) -> str:
    """"36题中30题答对，2题误拒，1题引用不相关" — the sentence a trainer reads first."""
    counts = {k: 0 for k, _, _ in VERDICTS}
    for d in records:
        counts[verdict(d)] += 1
    good = counts["correct"] + counts["refused_ok"]
    parts = [f"{len(records)}题中{good}题答对"]
    words = {"false_refusal": "误拒", "should_refuse": "应拒答却作答", "irrelevant": "答非所问",
             "unsupported": "引用不相关", "missing_points": "要点不全", "partial": "只答了一部分"}
    parts += [f"{counts[k]}题{w}" for k, w in words.items() if counts[k]]
    return "，".join(parts)


def _pct(v) -> str:
    return "—" if v is None else (f"{v * 100:.0f}%" if isinstance(v, float) and v <= 1 else str(v))


def _group_table(title: str, records: list[dict], key: str, metrics: dict | None) -> str:
    e = html.escape
    groups: dict[str, list[dict]] = {}
    for d in records:
        groups.setdefault(d.get(key) or "（未分类）", []).append(d)
    if len(groups) <= 1 and not metrics:
        return ""
    head = "<tr><th>{}</th><th>题数</th><th>答对</th><th>误拒</th><th>其他问题</th><th>引用支撑率</th><th>语句相关率</th></tr>"
    rows = []
    for name, ds in sorted(groups.items()):
        v = [verdict(d) for d in ds]
        good = sum(x in ("correct", "refused_ok") for x in v)
        m = (metrics or {}).get(name, {})
        rows.append(f"<tr><td>{e(name)}</td><td>{len(ds)}</td><td>{good}</td><td>{v.count('false_refusal')}</td>"
                    f"<td>{len(ds) - good - v.count('false_refusal')}</td>"
                    f"<td>{_pct(_opt(m, ('grounding', 'citation_support')))}</td>"
                    f"<td>{_pct(_opt(m, ('relevance', 'statement')))}</td></tr>")
    return f"<h2>{e(title)}</h2><table>{head.format(e(title[1:3]))}{''.join(rows)}</table>"


def _question(d: dict) -> str:
    e = html.escape
    cites = "".join(
        f"<blockquote>[{c['n']}] 《{e(c['title'])}》（{e(c['source'])}）<br>“{e(c['quote'])}”</blockquote>"
        for c in d["citations"])
    missed = f"<p class='bad'>缺少要点：{e('、'.join(d['key_points_missed']))}</p>" if d["key_points_missed"] else ""
    unsupported = "".join(
        f"<p class='bad'>未获支撑：{e(s['statement'])}（{e(s['reason'])}）</p>" for s in d["statements"] if not s["supported"])
    stmts = d["statements"]
    support = f"{sum(s['supported'] for s in stmts)}/{len(stmts)} 句" if stmts else "—"
    rel = d.get("statement_relevance")
    rel_text = "—" if rel is None else f"{rel * 100:.0f}%"
    first = d.get("first_statement_relevant")
    first_text = "" if first is None else ("，首句切题" if first else "，<span class='bad'>首句不切题</span>")
    facts = (f"<p class='explain'>引用支撑：{support} · 语句相关：{rel_text}{first_text}"
             f" · 首位命中：{'是' if d.get('hit@1') else ('否' if d['answerable'] else '—')}"
             f"{(' · 题型：' + e(d['style'])) if d.get('style') else ''}"
             f"{(' · 分类：' + e(d['category'])) if d.get('category') else ''}</p>")
    v = verdict(d)
    cls = next(c for k, _, c in VERDICTS if k == v)
    return (f"<div class='q' id='{e(d['id'])}'><h3><span class='{cls}'>【{e(VERDICT_NAMES[v])}】</span> "
            f"{e(d['id'])} {e(d['question'])}</h3>{facts}<div class='ans'>{e(d['answer'])}</div>"
            f"{cites}{missed}{unsupported}</div>")


def render_html(result: EvalResult) -> str:
    """The trainers' report: a plain headline, metrics explained, questions grouped by verdict (errors first)."""
    e = html.escape
    summary = result.summary
    records = [r.to_dict() for r in result.records]
    metric_rows = "".join(
        f"<tr><td>{e(label)}</td><td>{e(_pct(_opt(summary, path)))}</td><td class='explain'>{e(text)}</td></tr>"
        for label, path, text in EXPLAIN if _opt(summary, path) is not None)
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>djbot 评测报告</title>",
        f"<style>{CSS}</style></head><body><h1>djbot 评测报告</h1>",
        f"<p class='headline'>{e(headline(records))}</p>",
        "<p class='explain'>“答对”指：能回答的题作答切题、引用支撑、要点齐全；不能回答的题老实拒答。"
        "下面先列出有问题的题目。</p>",
        f"<h2>指标说明</h2><table><tr><th>指标</th><th>数值</th><th>含义</th></tr>{metric_rows}</table>",
        _group_table("按分类", records, "category", summary.get("by_category")),
        _group_table("按题型", records, "style", summary.get("by_style")),
    ]
    by_verdict: dict[str, list[dict]] = {}
    for d in records:
        by_verdict.setdefault(verdict(d), []).append(d)
    for key, name, cls in VERDICTS:
        ds = by_verdict.get(key)
        if not ds:
            continue
        opened = " open" if cls != "ok" else ""
        parts.append(f"<details{opened}><summary class='{cls}'>{e(name)}（{len(ds)}题）</summary>"
                     + "".join(_question(d) for d in ds) + "</details>")
    rows = "".join(f"<tr><td>{e(label)}</td><td>{e(str(_get(summary, p)))}</td></tr>" for label, p in LABELS)
    parts.append(f"<details><summary>全部指标（工程人员用）</summary><table>{rows}</table></details>")
    parts.append("</body></html>")
    return "".join(parts)
