"""Topics drawn from the knowledge base itself (section headings, named measures such as “双带双荐”),
each with a short question form: suggestions after a refusal and the welcome for greetings."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from .types import Answer, Hit

WELCOME = ("您好！我是党建工作助手，只依据已收录的非公企业党建资料回答问题，每句话都注明出处；"
           "资料里没有的，我会直接告诉您。您可以这样问：")
# A whole message that greets or asks what the bot can do (typed as text on any channel).
GREETING = re.compile(
    r"^(?:[/／]?(?:help|start|帮助|菜单)|hi|hello|hey|嗨|哈喽|你好|您好|你们好|大家好|早上好|上午好|中午好|下午好|晚上好"
    r"|在吗|在不在|有人吗|你是谁|您是谁|你是什么|介绍一下你自己|你能做什么|您能做什么|你会什么|你会做什么|你能干什么"
    r"|你可以做什么|能做什么|有什么功能|怎么用|如何使用|怎么提问|使用说明)"
    r"(?:啊|呀|呢|吗|哈|哦|嘛)?[\s,，.。!！?？~～]*$",
    re.IGNORECASE,
)
ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）][、.．]?|\d+[、.．]|第[一二三四五六七八九十]+[章节部分条])\s*")
GENERIC_HEADINGS = re.compile(r"^(?:基本情况|主要做法|存在(?:的)?问题|工作成效|主要成效|下一步.*|结语|前言|引言|背景|概述|总结|附件.*)$")
# Quoted names that are measures rather than plain quoted words.
MEASURE_HINT = re.compile(r"^.?[一二三四五六七八九十两双百千\d]|[+＋]|计划|行动|活动|工作法|工程|模式|机制|制度|示范|引领|论坛|创建|覆盖|e家|之家")
BOILERPLATE = re.compile(r"版权|申诉|举报|下载|登录|注册|点击|转载|免责|声明|客服")
QUOTED = re.compile(r"[“\"]([^“”\"\n]{2,10})[”\"]")


@dataclass(frozen=True)
class Topic:
    label: str  # short name shown on a chip: 双带双荐, 制定长效机制
    question: str  # what clicking it asks
    source: str  # the document it comes from
    section: str  # heading chain where it sits ("" for a measure named in the text)
    weight: float  # how prominent it is in the knowledge base


def _heading_topic(heading: str) -> str | None:
    """The core of a heading ("(一)、制定长效机制" -> "制定长效机制"), or None if it is no topic."""
    core = ENUMERATOR.sub("", heading.strip()).strip("、，,。：: ")
    parts = [p.strip() for p in re.split(r"[,，；;]", core) if p.strip()]
    if len(parts) > 1 and len(parts[-1]) >= 4:
        core = parts[-1]  # "以“带”为根本,充分发挥…带动作用": the clause after the comma says what is done
    if not 4 <= len(core) <= 18 or GENERIC_HEADINGS.match(core) or re.search(r"\d{2,}", core):
        return None
    if core.startswith(("始终把", "以", "在", "对", "把")):  # framing clauses, not something to ask about
        return None
    return core


def _place(doc) -> str:
    """The smallest named place of a document's region ("…赤峰市克什克腾旗" -> "克什克腾旗")."""
    region = getattr(doc, "region", "") or ""
    parts = re.findall(r"[\u4e00-\u9fff]+?(?:自治区|自治旗|自治县|旗|县|区|市|州|盟|省)", region)
    return parts[-1] if parts else ""


def extract_topics(snap) -> tuple[Topic, ...]:
    """Every topic of the knowledge base, most prominent first (deterministic)."""
    out: dict[str, Topic] = {}
    counts: Counter[str] = Counter()
    first_seen: dict[str, tuple[str, str]] = {}
    for c in snap.chunks:
        for term in QUOTED.findall(c.text):
            term = term.strip()
            if BOILERPLATE.search(term):
                continue
            counts[term] += 1
            first_seen.setdefault(term, (c.source, c.section))
    for term, n in counts.items():
        if not (MEASURE_HINT.search(term) or (n >= 2 and len(term) >= 4)):
            continue
        if any(term != other and term in other and counts[other] >= n for other in counts):
            continue  # “双荐” inside “双带双荐”: keep the full name
        source, section = first_seen[term]
        place = ""
        if len(re.findall(r"[\u4e00-\u9fff]", term)) < 3:  # "1+N", "六有": too little to search on alone
            place = _place(snap.documents.get(source))
        out[term] = Topic(term, f"{place}“{term}”是怎么做的？", source, "", 1.0 + n)
    for c in snap.chunks:
        for level, heading in enumerate(c.section.split(" > ") if c.section else ()):
            core = _heading_topic(heading)
            if core and core not in out:
                out[core] = Topic(core, f"{core}有哪些做法？", c.source, c.section, 1.0 / (1 + level))
    return tuple(sorted(out.values(), key=lambda t: (-t.weight, t.source, t.label)))


_cache: dict[int, tuple[object, tuple[Topic, ...]]] = {}
_lock = threading.Lock()


def topics(snap) -> tuple[Topic, ...]:
    """The topics of a snapshot, computed once per snapshot."""
    with _lock:
        hit = _cache.get(id(snap))
        if hit is not None and hit[0] is snap:
            return hit[1]
    found = extract_topics(snap)
    with _lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[id(snap)] = (snap, found)
    return found


def suggest(hits: list[Hit], snap, limit: int = 3) -> tuple[str, ...]:
    """Up to `limit` questions about topics near the retrieved passages (then the KB's main topics)."""
    all_topics = topics(snap)
    chosen: list[Topic] = []
    for h in hits:
        c = h.chunk
        near = [t for t in all_topics if t.source == c.source and (
            (t.section and c.section.startswith(t.section)) or (not t.section and t.label in c.text))]
        for t in sorted(near, key=lambda t: (t.section != c.section, -t.weight)):
            if t not in chosen:
                chosen.append(t)
                break
        if len(chosen) >= limit:
            break
    for t in examples(snap, limit):
        if len(chosen) >= limit:
            break
        if t not in chosen:
            chosen.append(t)
    return tuple(t.question for t in chosen[:limit])


def examples(snap, limit: int = 3) -> list[Topic]:
    """Prominent topics, one per document where possible, for the welcome and /help."""
    all_topics = topics(snap)
    picked: list[Topic] = []
    docs: set[str] = set()
    for t in all_topics:
        if t.source not in docs:
            picked.append(t)
            docs.add(t.source)
        if len(picked) >= limit:
            return picked
    return picked + [t for t in all_topics if t not in picked][: limit - len(picked)]


def is_greeting(question: str) -> bool:
    return bool(GREETING.match(question.strip()))


def welcome_answer(question: str, snap) -> Answer | None:
    """For a greeting, "你能做什么" or "/help" typed as text: a short welcome and three example questions."""
    if not is_greeting(question):
        return None
    return Answer(question=question, text=WELCOME, suggestions=tuple(t.question for t in examples(snap, 3)),
                  mode="welcome", reason="greeting")
