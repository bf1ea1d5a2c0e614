"""Golden-set evaluation: retrieval, key points, citation grounding, refusal and latency.

Matching follows ../shared/evals/README.md exactly: normalize = NFKC then strip all whitespace;
a chunk contains an evidence item when the sources are equal and the normalized quote is a substring.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from retrieval.errors import DatasetError
from retrieval.grounding import CITE, check_support, normalize, split_statements
from retrieval.settings import Settings
from retrieval.types import Answer, Turn

COLUMNS = ["id", "question", "category", "answerable", "evidence", "key_points", "style"]


@dataclass(frozen=True)
class Evidence:
    source: str
    quote: str


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    category: str
    answerable: bool
    evidence: tuple[Evidence, ...] = ()
    key_points: tuple[str, ...] = ()
    style: str = ""  # optional: how the question is written (traditional, colloquial, typo, ...)
    conversation: str = ""  # a conversation's id; its turns are answered in order, earlier ones as history
    turn: int = 0


# --- loading ---------------------------------------------------------------------------------------


def _bool(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y", "是", "可答", "t"}:
        return True
    if text in {"false", "0", "no", "n", "否", "不可答", "f"}:
        return False
    raise DatasetError(f"{where}：answerable 列应为 true/false（或 是/否），实际为“{value}”")


def _evidence_cell(cell: str, where: str) -> tuple[Evidence, ...]:
    """'source|quote' pairs, one per line or separated by ';' (a ';' inside a quote stays)."""
    pairs: list[str] = []
    for line in str(cell or "").splitlines():
        for part in line.split(";"):
            if "|" in part or not pairs:
                pairs.append(part)
            else:
                pairs[-1] += ";" + part
    out = []
    for p in pairs:
        if not p.strip():
            continue
        if "|" not in p:
            raise DatasetError(f"{where}：evidence 列每一项应写成“文件名|原文引语”，实际为“{p.strip()}”")
        source, quote = p.split("|", 1)
        if not source.strip() or not quote.strip():
            raise DatasetError(f"{where}：evidence 列的文件名和引语都不能为空")
        out.append(Evidence(source.strip(), quote.strip()))
    return tuple(out)


def _item(row: dict, where: str, tabular: bool) -> Item:
    for col in ("id", "question", "answerable"):
        if col not in row or row[col] in (None, ""):
            raise DatasetError(f"{where}：缺少必填列“{col}”")
    question = str(row["question"]).strip()
    if not question:
        raise DatasetError(f"{where}：question 列为空")
    answerable = _bool(row["answerable"], where)
    if tabular:
        evidence = _evidence_cell(row.get("evidence") or "", f"{where}，evidence 列")
        kp = str(row.get("key_points") or "")
        key_points = tuple(k.strip() for k in kp.replace("；", ";").split(";") if k.strip())
    else:
        ev = row.get("evidence") or []
        if not isinstance(ev, list) or any(not isinstance(e, dict) or "source" not in e or "quote" not in e for e in ev):
            raise DatasetError(f"{where}：evidence 应为 [{{source, quote}}] 列表")
        evidence = tuple(Evidence(e["source"], e["quote"]) for e in ev)
        kps = row.get("key_points") or []
        if not isinstance(kps, list):
            raise DatasetError(f"{where}：key_points 应为字符串列表")
        key_points = tuple(str(k) for k in kps)
    if answerable and not evidence:
        raise DatasetError(f"{where}：可回答的问题需要至少一条 evidence")
    return Item(str(row["id"]), question, str(row.get("category") or ""), answerable, evidence, key_points,
                str(row.get("style") or ""))


def _conversation(row: dict, where: str) -> list[Item]:
    """A conversation line: {"id", "turns": [{question, answerable, evidence, key_points}, ...]}."""
    if "id" not in row or not isinstance(row.get("turns"), list) or not row["turns"]:
        raise DatasetError(f"{where}：对话应包含 id 和非空的 turns 列表")
    items = []
    for k, turn in enumerate(row["turns"], start=1):
        if not isinstance(turn, dict):
            raise DatasetError(f"{where}，第 {k} 轮：应为 JSON 对象")
        merged = {"category": row.get("category", ""), "style": row.get("style", "conversation"), **turn,
                  "id": f"{row['id']}#{k}"}
        item = _item(merged, f"{where}，第 {k} 轮", tabular=False)
        items.append(replace(item, conversation=str(row["id"]), turn=k))
    return items


def load_dataset(path: Path) -> list[Item]:
    """Read a golden set from .jsonl, .csv or .xlsx; errors name the row and column."""
    if not path.is_file():
        raise DatasetError(f"找不到问题集文件：{path}")
    suffix = path.suffix.lower()
    items: list[Item] = []
    if suffix in {".jsonl", ".json"}:
        for n, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"第 {n} 行不是合法的 JSON：{exc.msg}") from exc
            if not isinstance(row, dict):
                raise DatasetError(f"第 {n} 行应为 JSON 对象")
            if "turns" in row:
                items.extend(_conversation(row, f"第 {n} 行"))
            else:
                items.append(_item(row, f"第 {n} 行", tabular=False))
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
        _check_header(reader.fieldnames or [])
        for n, row in enumerate(reader, start=2):
            items.append(_item(row, f"第 {n} 行", tabular=True))
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        from retrieval.errors import IngestError
        from retrieval.loaders import check_archive

        try:
            check_archive(path.read_bytes(), path.name, "Excel 文件（文件损坏或不是 .xlsx 格式）")
        except IngestError as exc:  # a zip bomb is refused before openpyxl inflates it
            raise DatasetError(exc.reason) from exc
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise DatasetError(f"无法读取 Excel 文件：{exc}") from exc
        rows = list(wb.active.iter_rows(values_only=True))
        if not rows:
            raise DatasetError("Excel 文件是空的")
        header = [str(h or "").strip() for h in rows[0]]
        _check_header(header)
        for n, values in enumerate(rows[1:], start=2):
            if all(v in (None, "") for v in values):
                continue
            row = dict(zip(header, values, strict=False))
            items.append(_item(row, f"第 {n} 行", tabular=True))
    else:
        raise DatasetError(f"不支持的问题集格式“{suffix}”：请使用 .jsonl、.csv 或 .xlsx")
    if not items:
        raise DatasetError("问题集中没有题目")
    ids = [i.id for i in items]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DatasetError(f"题目 id 重复：{', '.join(dup)}")
    return items


def read_text(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030: Excel on Chinese Windows saves CSV as GBK."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DatasetError("无法识别问题集文件的编码：请另存为 UTF-8 或 GBK 编码的 CSV") from exc


def _check_header(header: list[str]) -> None:
    missing = [c for c in ("id", "question", "answerable") if c not in header]
    if missing:
        raise DatasetError(f"表头缺少列：{', '.join(missing)}（需要 {', '.join(COLUMNS)}）")


def resolve_titles(items: list[Item], documents: dict) -> list[Item]:
    """Evidence may name its document by title (《…》 optional) instead of the file name."""
    by_title: dict[str, str] = {}
    for source, doc in documents.items():
        by_title.setdefault(normalize(doc.title), source)
    out = []
    for item in items:
        evidence = []
        for ev in item.evidence:
            if ev.source not in documents:
                source = by_title.get(normalize(ev.source.strip().strip("《》")))
                if source is None:
                    raise DatasetError(f"题目 {item.id}：evidence 中的“{ev.source}”既不是知识库中的文件名，也不是文档标题")
                ev = Evidence(source, ev.quote)
            evidence.append(ev)
        out.append(replace(item, evidence=tuple(evidence)))
    return out


# --- metrics ---------------------------------------------------------------------------------------


def contains(source: str, text: str, ev: Evidence) -> bool:
    """The README rule: same source and the normalized quote is a substring of the chunk text."""
    return source == ev.source and normalize(ev.quote) in normalize(text)


@dataclass
class Grounding:
    statements: int = 0
    supported: int = 0
    uncited: int = 0
    citations: int = 0  # valid citation markers
    precise: int = 0
    markers: int = 0  # all markers, valid or not
    invalid: int = 0
    details: list[dict] = field(default_factory=list)


ABSENCE = re.compile(r"^资料中(?:没有|未|并未|没)")


def is_absence(statement: str) -> bool:
    """'资料中没有…' states what the materials lack: a claim about absence, which nothing can cite."""
    return bool(ABSENCE.match(statement))


def _evidence_text(c) -> str:
    # The reader sees the quote with its document's title and publisher, so they are part of the evidence.
    return f"{c.title}\n{c.publisher}\n{c.passage or c.quote}"


def grade_grounding(ans: Answer) -> Grounding:
    """ALCE-style citation recall/precision with the support test in place of NLI."""
    g = Grounding()
    passages = {c.n: _evidence_text(c) for c in ans.citations}
    for st in split_statements(ans.text):
        if is_absence(st.text) and not st.citations:
            continue
        g.statements += 1
        g.markers += len(st.citations)
        valid = [n for n in dict.fromkeys(st.citations) if n in passages]
        g.invalid += sum(1 for n in st.citations if n not in passages)
        if not valid:
            g.uncited += 1
            g.details.append({"statement": st.text, "citations": list(st.citations), "supported": False,
                              "reason": "no valid citation"})
            continue
        union = check_support(st.text, [passages[n] for n in valid])
        g.citations += len(valid)
        if union.supported:
            g.supported += 1
            for n in valid:
                alone = check_support(st.text, [passages[n]]).supported
                others = [passages[m] for m in valid if m != n]
                irrelevant = not alone and bool(others) and check_support(st.text, others).supported
                g.precise += not irrelevant
        g.details.append({"statement": st.text, "citations": valid, "supported": union.supported,
                          "reason": union.reason})
    return g


def grade_relevance(item: Item, ans: Answer) -> tuple[int, int, bool | None]:
    """Statements whose cited passage contains one of the item's evidence quotes: (relevant, total,
    first statement relevant). Valid citations but irrelevant passages look fine to support checks."""
    by_n = {c.n: c for c in ans.citations}
    flags = []
    for st in split_statements(ans.text):
        if is_absence(st.text) and not st.citations:
            continue
        cited = [by_n[n] for n in st.citations if n in by_n]
        flags.append(any(contains(c.source, c.passage or c.quote, ev) for c in cited for ev in item.evidence))
    return sum(flags), len(flags), (flags[0] if flags else None)


@dataclass
class Record:
    item: Item
    answer: Answer
    latency_ms: float
    hit1: float | None = None
    recall5: float | None = None
    rr10: float | None = None
    key_points_found: tuple[str, ...] = ()
    key_points_missed: tuple[str, ...] = ()
    grounding: Grounding | None = None
    relevant: int = 0
    statements: int = 0
    first_relevant: bool | None = None

    @property
    def outcome(self) -> str:
        return self.answer.outcome

    @property
    def refusal_ok(self) -> bool:
        """Answerable: not refused (a partial answer counts as answered). Unanswerable: refused or flagged partial."""
        if self.item.answerable:
            return self.outcome != "refused"
        return self.outcome in ("refused", "partial")

    @property
    def statement_relevance(self) -> float | None:
        return round(self.relevant / self.statements, 4) if self.statements else None

    def passed(self) -> dict[str, bool]:
        """Per-question pass/fail, for the trainers' report."""
        out = {"拒答判断": self.refusal_ok}
        if self.item.answerable:
            out["首位命中"] = bool(self.hit1)
            out["要点齐全"] = not self.key_points_missed
            if self.grounding and self.grounding.statements:
                out["引用支撑"] = self.grounding.supported == self.grounding.statements
            if self.first_relevant is not None:
                out["首句切题"] = bool(self.first_relevant)
        return out

    def to_dict(self) -> dict:
        g = self.grounding
        return {
            "id": self.item.id,
            "question": self.item.question,
            "category": self.item.category,
            "style": self.item.style,
            "conversation": self.item.conversation,
            "turn": self.item.turn,
            "answerable": self.item.answerable,
            "refused": self.answer.refused,
            "outcome": self.outcome,
            "standalone_question": self.answer.standalone_question,
            "answer": self.answer.text,
            "citations": [{"n": c.n, "source": c.source, "title": c.title, "quote": c.quote} for c in self.answer.citations],
            "hit@1": self.hit1,
            "recall@5": self.recall5,
            "rr@10": self.rr10,
            "key_points_missed": list(self.key_points_missed),
            "statement_relevance": self.statement_relevance,
            "first_statement_relevant": self.first_relevant,
            "statements": g.details if g else [],
            "passed": self.passed(),
            "latency_ms": round(self.latency_ms, 1),
            "guard": self.answer.guard,
        }


@dataclass
class EvalResult:
    summary: dict
    records: list[Record]


def _mean(xs: list[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 1)


def score_record(item: Item, ans: Answer, latency_ms: float) -> Record:
    """Grade one answer against its golden item."""
    rec = Record(item, ans, latency_ms)
    if item.answerable:
        ranked = [(h.chunk.source, h.chunk.text) for h in ans.retrieved]
        hits = [any(contains(s, t, e) for e in item.evidence) for s, t in ranked]
        rec.hit1 = 1.0 if hits[:1] == [True] else 0.0
        rec.recall5 = sum(any(contains(s, t, e) for s, t in ranked[:5]) for e in item.evidence) / len(item.evidence)
        first = next((i for i, h in enumerate(hits[:10]) if h), None)
        rec.rr10 = 1.0 / (first + 1) if first is not None else 0.0
        text = normalize(CITE.sub("", ans.text))  # citation markers excluded
        rec.key_points_found = tuple(k for k in item.key_points if normalize(k) in text)
        rec.key_points_missed = tuple(k for k in item.key_points if normalize(k) not in text)
        if not ans.refused:
            rec.grounding = grade_grounding(ans)
            rec.relevant, rec.statements, rec.first_relevant = grade_relevance(item, ans)
    return rec


def _rate(records: list[Record], pred) -> float:
    return _mean([1.0 if pred(r) else 0.0 for r in records])


def _group(records: list[Record]) -> dict:
    """The headline metrics of one slice (a category or a style)."""
    ans = [r for r in records if r.item.answerable]
    unans = [r for r in records if not r.item.answerable]
    answered = [r for r in ans if r.outcome != "refused"]
    kpr = [len(r.key_points_found) / len(r.item.key_points) for r in ans if r.item.key_points]
    out = {"n": len(records)}
    if ans:
        out |= {
            "hit@1": _mean([r.hit1 or 0.0 for r in ans]),
            "recall@5": _mean([r.recall5 or 0.0 for r in ans]),
            "key_point_recall": _mean(kpr),
            "statement_relevance": _ratio(sum(r.relevant for r in answered), sum(r.statements for r in answered)),
            "first_statement_relevant": _rate([r for r in answered if r.first_relevant is not None],
                                              lambda r: r.first_relevant),
            "false_refusal_rate": _rate(ans, lambda r: r.outcome == "refused"),
            "partial_rate": _rate(ans, lambda r: r.outcome == "partial"),
        }
    if unans:
        out["unanswerable_flagged_rate"] = _rate(unans, lambda r: r.outcome in ("refused", "partial"))
    return out


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def summarize(records: list[Record], mode: str = "extractive") -> dict:
    """The metric object printed by `djbot eval --json` (names fixed by the eval issues)."""
    ans = [r for r in records if r.item.answerable]
    unans = [r for r in records if not r.item.answerable]
    answered = [r for r in ans if r.outcome != "refused"]
    g = Grounding()
    for r in answered:
        rg = r.grounding or Grounding()
        g.statements += rg.statements
        g.supported += rg.supported
        g.uncited += rg.uncited
        g.citations += rg.citations
        g.precise += rg.precise
        g.markers += rg.markers
        g.invalid += rg.invalid
    lat = [r.latency_ms for r in records]
    kpr = [len(r.key_points_found) / len(r.item.key_points) for r in ans if r.item.key_points]
    injections = [r for r in records if r.item.category == "injection"]
    follow = [r for r in ans if r.item.turn >= 2]
    summary = {
        "n": len(records),
        "answerable": len(ans),
        "mode": mode,
        "retrieval": {
            "hit@1": _mean([r.hit1 or 0.0 for r in ans]),
            "recall@5": _mean([r.recall5 or 0.0 for r in ans]),
            "mrr@10": _mean([r.rr10 or 0.0 for r in ans]),
        },
        "answer": {
            "key_point_recall": _mean(kpr),
            "median_chars": statistics.median([len(r.answer.text) for r in answered]) if answered else 0,
        },
        "relevance": {
            "statement": _ratio(sum(r.relevant for r in answered), sum(r.statements for r in answered)),
            "first": _rate([r for r in answered if r.first_relevant is not None], lambda r: r.first_relevant),
        },
        "grounding": {
            "statements": g.statements,
            "citation_support": round(g.supported / g.statements, 4) if g.statements else 0.0,
            "citation_precision": round(g.precise / g.citations, 4) if g.citations else 0.0,
            "uncited_rate": round(g.uncited / g.statements, 4) if g.statements else 0.0,
            "invalid_citation_rate": round(g.invalid / g.markers, 4) if g.markers else 0.0,
        },
        "refusal": {
            # Unanswerable questions count as handled when refused or flagged as only partly answered.
            "unanswerable_refusal_rate": _rate(unans, lambda r: r.outcome in ("refused", "partial")),
            "unanswerable_refused_only": _rate(unans, lambda r: r.outcome == "refused"),
            "false_refusal_rate": _rate(ans, lambda r: r.outcome == "refused"),
            "partial_rate": _rate(ans, lambda r: r.outcome == "partial"),
            "injection_refusal_rate": _rate(injections, lambda r: r.outcome == "refused") if injections else None,
        },
        "latency": {"p50_ms": _pct(lat, 0.5), "p95_ms": _pct(lat, 0.95)},
        "by_category": {c: _group([r for r in records if r.item.category == c])
                        for c in sorted({r.item.category for r in records})},
        "by_style": {st: _group([r for r in records if r.item.style == st])
                     for st in sorted({r.item.style for r in records if r.item.style})},
        **({"guard": guard_summary(records)} if mode == "llm" else {}),
    }
    if follow:
        fk = [len(r.key_points_found) / len(r.item.key_points) for r in follow if r.item.key_points]
        summary["conversation"] = {"follow_ups": len(follow), "follow_up_key_point_recall": _mean(fk)}
    return summary


def guard_summary(records: list[Record]) -> dict:
    """LLM mode: what the model produced and what the grounding guard did with it (from Answer.guard)."""
    infos = [r.answer.guard for r in records]
    called = [i for i in infos if "kept" in i or i.get("fallback") == "llm_error"]
    dropped: dict[str, int] = {}
    for i in infos:
        for d in i.get("dropped", []):
            dropped[d.get("kind", "other")] = dropped.get(d.get("kind", "other"), 0) + 1
        if i.get("repeated"):
            dropped["repeated"] = dropped.get("repeated", 0) + i["repeated"]
    fallbacks = [i["fallback"] for i in called if i.get("fallback")]
    llm = [r.grounding for r in records if r.answer.mode == "llm" and r.grounding]
    supported, statements = sum(g.supported for g in llm), sum(g.statements for g in llm)
    precise, cites = sum(g.precise for g in llm), sum(g.citations for g in llm)
    return {
        "model_called": len(called),
        "not_called": sum(1 for i in infos if str(i.get("llm", "")).startswith("not called")),
        "statements": sum(i.get("statements", 0) for i in infos),
        "kept": sum(i.get("kept", 0) for i in infos),
        "dropped": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        "invalid_citations": sum(len(i.get("invalid_citations", [])) for i in infos),
        "model_refused": sum(1 for i in infos if i.get("llm") == "refused"),
        "fallback": {k: fallbacks.count(k) for k in dict.fromkeys(fallbacks)},
        "fallback_rate": round(len(fallbacks) / len(called), 4) if called else 0.0,
        # Support and precision of the answers the model wrote (fallbacks are extractive).
        "llm_answers": len(llm),
        "llm_citation_support": round(supported / statements, 4) if statements else 0.0,
        "llm_citation_precision": round(precise / cites, 4) if cites else 0.0,
    }


def run_eval(
    items: list[Item],
    kb,
    settings: Settings,
    answer_fn: Callable[..., Answer] | None = None,
    mode: str = "extractive",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> EvalResult:
    """Answer every item in one warm process and grade it; conversation turns get the earlier turns as history.
    `on_progress("eval", done, total)` is called after the warm-up and after each item."""
    if answer_fn is None:
        from retrieval.answer import answer

        def answer_fn(q: str, history=None) -> Answer:
            return answer(q, kb, settings, history=history)

    items = resolve_titles(items, kb.snapshot().documents)  # evidence may name a document by its title
    answer_fn(items[0].question)  # warm-up: models and indexes load outside the timings
    records = []
    history: list[Turn] = []
    if on_progress:
        on_progress("eval", 0, len(items))
    for done, item in enumerate(items, start=1):
        if item.turn <= 1:
            history = []
        t0 = time.perf_counter()
        ans = answer_fn(item.question, history=list(history)) if history else answer_fn(item.question)
        records.append(score_record(item, ans, (time.perf_counter() - t0) * 1000))
        if item.conversation:
            history.append(Turn(ans.standalone_question or item.question, "" if ans.refused else ans.text))
        if on_progress:
            on_progress("eval", done, len(items))
    return EvalResult(summarize(records, mode), records)


FLOOR_KEYS = {
    "statement_relevance": ("relevance", "statement"),
    "first_statement_relevant": ("relevance", "first"),
    "hit@1": ("retrieval", "hit@1"),
    "recall@5": ("retrieval", "recall@5"),
    "mrr@10": ("retrieval", "mrr@10"),
    "key_point_recall": ("answer", "key_point_recall"),
    "citation_support": ("grounding", "citation_support"),
    "citation_precision": ("grounding", "citation_precision"),
    "unanswerable_refusal_rate": ("refusal", "unanswerable_refusal_rate"),
    "injection_refusal_rate": ("refusal", "injection_refusal_rate"),
    "follow_up_key_point_recall": ("conversation", "follow_up_key_point_recall"),
}
CEILING_KEYS = {
    "partial_rate": ("refusal", "partial_rate"),
    "false_refusal_rate": ("refusal", "false_refusal_rate"),
    "uncited_rate": ("grounding", "uncited_rate"),
    "invalid_citation_rate": ("grounding", "invalid_citation_rate"),
    "median_chars": ("answer", "median_chars"),
}


def check_thresholds(summary: dict, thresholds: dict) -> list[str]:
    """Metric names that miss their floor (min) or exceed their ceiling (max)."""
    failures = []
    for name, floor in thresholds.get("min", {}).items():
        a, b = FLOOR_KEYS[name]
        value = summary.get(a, {}).get(b)
        if value is None or value < floor:
            failures.append(f"{name} = {value} < {floor}")
    for name, ceiling in thresholds.get("max", {}).items():
        a, b = CEILING_KEYS[name]
        value = summary.get(a, {}).get(b)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value} > {ceiling}")
    return failures


def failing_questions(records: list[Record]) -> list[str]:
    """One line per question that failed any per-question check."""
    out = []
    for r in records:
        bad = [k for k, ok in r.passed().items() if not ok]
        if bad:
            extra = f" 缺要点：{'、'.join(r.key_points_missed)}" if r.key_points_missed else ""
            out.append(f"{r.item.id} {r.item.question} ✗ {'、'.join(bad)}{extra}")
    return out
