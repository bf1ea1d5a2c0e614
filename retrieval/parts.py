"""Several questions in one message, split into questions answered one by one."""

from __future__ import annotations

import re

from .followup import COMPARED, is_follow_up, own_content
from .kinds import INTERROGATIVE
from .places import place_spans, places_in

PART_END = re.compile(r"(?<=[？?])|(?<=[；;])(?=[^；;]*[？?吗呢])")


CONJUNCTION = "和与及、跟同"


EACH = re.compile(r"分别|各自|(?<!各[\u4e00-\u9fff])各(?![级种类地个位处方界行]|[\u4e00-\u9fff]各)")  # "各有", not 各级/各地/各干各的


MAX_PARTS = 3


def _drop_each(rest: str) -> str:
    """The rest of a question asked about each of two subjects, without its 分别/各自: "…这件事上，各自的做法"
    -> "…这件事上的做法"."""
    return re.sub(r"^([^，,]*)[，,]的", r"\1的", EACH.sub("", rest, count=1))


def _by_place(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """"…在新郑市和克什克腾旗是怎么用的" -> one question per place. Two places joined by a conjunction,
    the first possibly with a few words of its own (新郑市工商联和克什克腾旗), become two subjects."""
    spans = place_spans(text, known)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        between = text[e1:s2]
        if re.search(r"(?:去|到|赴|前往|往|至)$", text[:s1]):
            continue  # "组织去浙江、江苏考察学习的那次活动": one trip to both places, not a question each
        if not between or between[-1] not in CONJUNCTION or not re.fullmatch(r"[\u4e00-\u9fff]{0,5}", between[:-1]):
            continue
        tail = re.match(r"[\u4e00-\u9fff]{0,5}?(?=[分各是在的有对怎如为都，,])", text[e2:])
        e2 += len(tail.group(0)) if tail and not EACH.match(text[e2:]) else 0
        left, right = text[s1 : s2 - 1], text[s2:e2]
        rest = _drop_each(text[e2:])
        return [text[:s1] + left + rest, text[:s1] + right + rest]
    # "个私协会系统和克什克腾旗各提出了什么要求": two subjects that are not both places, asked about each.
    if m := EACH_PAIR.search(text):
        rest = _drop_each(text[m.end() :])
        return [text[: m.start()] + m.group(1) + rest, text[: m.start()] + m.group(2) + rest]
    # "新郑工商联和那次全国个私协会的座谈会，各自带人到哪些地方考察学习了？", "X的讲话和永康的讲话都提到了“双强”，
    # 两边各是怎么说的？": two subjects, then what they share, then a clause asking about each.
    if (m := PAIR_THEN_EACH.match(text)) and ASKS.search(m.group(4)):
        shared = re.sub(r"^(?:都|也)", "", m.group(3) or "")
        return [f"{side}{shared}，{m.group(4)}" if shared else f"{side}{m.group(4)}" for side in m.group(1, 2)]
    return [text]


PAIR_THEN_EACH = re.compile(rf"^([^，,？?和与跟]{{2,20}}?)[和与跟]([^，,？?和与跟]{{2,20}}?)((?:都|也)[^，,？?]*)?[，,]"
                            rf"(?:两边|两者|二者|双方|两家|两地|它们|他们)?(?:{EACH.pattern})(.+)$")


# INTERROGATIVE without 几/是否…: "要举几个典型例子：" tells what the answer is for, it asks nothing by itself.
ASKS = re.compile(r"什么|哪|怎|如何|多少|谁|吗|啥|咋|为何|为什么")


# "…由几个部门的负责人组成，": 几 with a measure word in a clause that does not end with a colon asks a count
# ("要举几个典型例子：" tells what the answer is for).
ASKS_JI = re.compile(r"几[个名家人位项条次期批届][^：:]*[，,]?$")


def _by_clause(text: str, known: frozenset[str] = frozenset(), content_words=None) -> list[str]:
    """"新郑工商联推广的是哪些企业，永康讲话里表扬的工作法又出自哪家？": clauses that each ask, each about
    another place and with words of its own, are separate questions (a clause that asks nothing stays with
    the one after it)."""
    clauses = [c for c in re.split(r"(?<=[，,；;])", text) if c.strip(" ，,；;")]
    parts: list[str] = []
    pending = ""
    for i, clause in enumerate(clauses):
        pending += clause
        # "…，克旗建了几个党建QQ群": 几 asks in the clause that ends the question, or with a measure word
        if ASKS.search(clause) or ASKS_JI.search(clause) or "几" in clause and i == len(clauses) - 1:
            parts.append(pending.strip(" ，,；;"))
            pending = ""
    if pending and parts:
        parts[-1] += pending
    if not 1 < len(parts) <= MAX_PARTS:
        return []
    places = [places_in(p, known) for p in parts]
    if not all(places) or len({pl[0] for pl in places}) < len(parts):
        return []
    # "克旗有多少党员，苏州有多少？": a clause that leans on the one before ("有多少") is no question alone.
    return parts if all(own_content(p, content_words) >= 3 for p in parts[1:]) else []


def _by_subject_clause(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """"新郑工商联组织的外出考察，和涪陵那次会议安排的现场视察，分别去了哪些地方？": clauses that each
    name another place and ask nothing, then one clause asking about each of them (分别/各), are one
    question per clause."""
    clauses = [c.strip() for c in re.split(r"[，,、；;]", text.strip(" ？?。")) if c.strip()]
    if not 3 <= len(clauses) <= MAX_PARTS + 1 or not ASKS.search(clauses[-1]) or not EACH.search(clauses[-1]):
        return []
    subjects = [re.sub(r"^(?:和|与|及|跟|还有|以及)", "", c) for c in clauses[:-1]]
    places = [places_in(c, known) for c in subjects]
    if any(ASKS.search(c) for c in subjects) or not all(places) or len({p[0] for p in places}) < len(subjects):
        return []
    ask = re.sub(r"^(?:两边|两者|二者|两家|两地|它们|他们)", "", EACH.sub("", clauses[-1], count=1))
    return [f"{c}，{ask}？" for c in subjects]


# Each side is the phrase right before or after the conjunction: "“1+N”模式中的“1”和“N”分别…" pairs “1” and “N”.
EACH_PAIR = re.compile(rf"([^，,：:；;？?的]{{2,12}}?)[和与及跟、]([^，,：:；;？?的和与及跟、]{{2,10}}?)(?={EACH.pattern})")


COUNT_WORD = re.compile(r"多少|几")


def _by_comparison(text: str) -> list[str]:
    """"新郑帮企业完善的制度项数，和克旗评出的四星级党组织家数，哪个多？": two figures asked to be compared or
    added, as one question each. The answer gives both, each cited; the comparison itself is the reader's, since
    no passage says it."""
    m = COMPARED.search(text)
    if not m or m.start() == 0:
        return []
    head = text[: m.start()].strip(" ，,")
    # Two figures told apart by a comma ("A，和B"); "五星级和四星级党组织哪个多" shares its words and stays whole.
    sides = [x.strip(" ，,") for x in re.split(r"[，,]\s*(?:和|与|跟|同|还有)?", head, maxsplit=1)]
    if len(sides) != 2 or any(len(x) < 4 for x in sides):
        return []
    out = []
    for side in sides:
        side = re.sub(r"(?:相比|来比|比)$", "", side)
        if COUNT_WORD.search(side):
            out.append(f"{side}？")
        elif unit := re.search(r"(项|家|个|名|人|户|次)数(?:量)?$", side):
            out.append(f"{side[: unit.start()]}有多少{unit.group(1)}？")
        elif re.search(r"(?:数量|总数|数)$", side):
            out.append(f"{re.sub(r'(?:数量|总数|数)$', '', side)}有多少？")
        else:
            out.append(f"{side}是多少？")
    return out


# "那克旗呢？" / "跟苏州比呢？" / "换成永康的话呢？": a piece that only names another place.
PLACE_ELLIPSIS = re.compile(r"^(?:那|那么|那要是|要是|如果是?|换成|换到|再看看?|再说说)?(?:跟|和|与|同|对比|比较)?(?P<place>[\u4e00-\u9fff]{2,8}?)"
                            r"(?:那边|那里|那儿|这边|的话|的情况)?(?:比|相比|比较|对比)?(?:一下|起来)?(?:呢|咋样|怎么样|如何)$")


def place_lead(text: str, known: frozenset[str] = frozenset()) -> str:
    """"那克旗呢？工会组织建了多少家？": a leading question that only names another place says where the question
    after it asks, and is no question of its own: "克旗工会组织建了多少家？" ("跟苏州比呢？苏州在配班子上是怎么做
    的？" is the second question alone: it names the place itself). Any other text comes back as it is."""
    pieces = [p for p in PART_END.split(text) if p.strip(" ，,")]
    m = PLACE_ELLIPSIS.match(re.sub(r"[\W_]", "", pieces[0])) if len(pieces) > 1 else None
    if not m or not (spans := place_spans(m["place"], known)) or spans[0][1] - spans[0][0] < len(m["place"]) - 1:
        return text
    nxt = pieces[1].strip(" ，,")
    if not places_in(nxt, known):
        nxt = m["place"] + re.sub(r"^(?:那么|那)", "", nxt)
    return nxt + "".join(pieces[2:])


def question_parts(text: str, content_words=None, known: frozenset[str] = frozenset()) -> list[str]:
    """A message that asks several things, as separate questions to answer one by one: its question
    sentences ("…什么计划？…多少名党员？"), or one question about two places (在新郑市和克什克腾旗…).
    A piece that leans on the one before (too few words of its own, "怎么做？", "一年拿多少？", or a
    follow-up's pronoun) or asks nothing ("一个不落地列出来。") stays with it."""
    parts: list[str] = []
    for piece in (p.strip(" ，,") for p in PART_END.split(text)):
        if not piece:
            continue
        own = own_content(piece, content_words)
        # "一个不落地列出来。" after the question asks nothing itself: how to answer the one before.
        asks = bool(INTERROGATIVE.search(piece)) or piece.endswith(("？", "?"))
        if parts and (own < 3 or is_follow_up(piece, own) or not asks):
            parts[-1] += piece
        else:
            parts.append(piece)
    if len(parts) == 1:
        return (_by_comparison(parts[0]) or _by_clause(parts[0], known, content_words)
                or _by_subject_clause(parts[0], known) or _by_place(parts[0], known))
    if not 1 < len(parts) <= MAX_PARTS:
        return [text]
    # A leading topic clause ("推进党建带工建，…", "发展党员方面，…") scopes every question after it.
    lead = re.match(r"([^，,？?]{2,12})[，,]", parts[0])
    if lead and not re.search(r"什么|哪|多少|几|怎|吗|呢|谁|为何|为什么", lead.group(1)):
        parts = [parts[0]] + [p if p.startswith(lead.group(0)) else lead.group(0) + p for p in parts[1:]]
    return parts
