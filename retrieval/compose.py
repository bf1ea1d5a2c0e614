"""Stage 4, compose: a short extractive answer whose first statement answers the question.

Sentences enter by relevance to the question (not by sharing words with it); a list question gets
the whole list it asks about; a sentence that leans on the one before it ("对于前一种情况") comes
with it or not at all; first-person sources are attributed; list markers are dropped and numbering
is used only for real list items."""

from __future__ import annotations

import re
from dataclasses import replace

from .candidates import LIST_SHAPE, OPENS_LIST, Candidate
from .chunk import ENUMERATOR, FULL_SENTENCE_END, SENTENCE_END, split_sentences
from .index import Snapshot
from .kinds import holds
from .places import local_place
from .terms import NUMERALS, item_marker, numbered_terms
from .types import Chunk, Citation
from .understand import Question

# A sentence that cannot stand alone: it points at what came just before it.
# "并/同时/此外…" only add to what came before ("并通过联席会议…分期分批进行培训" stands alone); they are not here.
LEANS_BACK = re.compile(
    r"^(?:对于前一种|对于后一种|对前一种|对后一种|对此|对这|这些|这一|这种|这样|这项|这次|此举|为此|因此|由此|"
    r"其中|通过这|在此|据此|如|例如|比如|譬如)"
)
# A back-reference in an opening adverbial clause ("通过这五大做法和多年的努力,", "在此基础上,", "为此,"), or the
# word that makes a sentence an example ("如去年4月15日至21日,我们组织…"): the rest of the sentence tells its own
# fact, unless it opens with a word pointing back too ("对此,他提出了…").
BACK_ADVERBIAL = re.compile(r"^(?:(?:通过这|经过这|在此|为此|由此|据此|对此)[^，,。；;]{0,20}[，,]|(?:例如|比如|譬如|如(?!何|期|实|今|果|此))[，,]?)")
POINTS_BACK = re.compile(r"^(?:他|她|它|其|这|那|该|此|上述|以上|前者|后者)")


def standing_rest(c: Candidate) -> Candidate | None:
    """The sentence after its opening back-referring adverbial, when that rest stands alone; else None."""
    m = BACK_ADVERBIAL.match(c.text)
    rest = c.text[m.end() :] if m else ""
    if not m or len(rest) < 15 or POINTS_BACK.match(rest) or LEANS_BACK.match(rest):
        return None
    return replace(c, start=c.start + m.end(), text=rest)


# Illustrations ("如选派…") support the sentence before them; the others need it to be understood.
ILLUSTRATES = re.compile(r"^(?:如|例如|比如|譬如)")
CASE_REFERENCE = re.compile(r"^(?:对于|对)?(?:前一种|后一种|前者|后者|第一种|第二种)")
# The markers a numbered paragraph or item opens with: "3、", "(二)", "二、", "一是".
ITEM_MARKERS = (r"\d{1,2}\s*[、.．](?!\d)", r"[(（][一二三四五六七八九十\d]+[)）]", r"[一二三四五六七八九十]+\s*[、.．]", r"[一二三四五六七八九十]+是")
PARAGRAPH_ITEM = re.compile(rf"^\s*(?:{'|'.join(ITEM_MARKERS)})")
ADDS_ON = re.compile(r"^(?:并且|并|同时[，,]|此外[，,]|另外[，,]|而且|从而)(?=[\u4e00-\u9fff“])")
# The next thing to do, told as an addition to the one before ("同时要加大队伍培训力度", "此外,还要…").
CONTINUES = re.compile(r"^(?:(?:同时|此外|另外)[，,]?(?:还|也)?|还|也)(?:要|需要|应当|应)(?!求|该说|当说)")
ITEM_MARK = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是[，,、]?|第[一二三四五六七八九十]+[，,、]|[(（][一二三四五六七八九十\d]+[)）][、.]?|"
    r"\d{1,2}\s*[、.．](?!\d)|[一二三四五六七八九十]+\s*[、.．]|首先[，,]|其次[，,]|再次[，,]|最后[，,])"
)
FIRST_ITEM = re.compile(r"^\s*(?:一是|[(（]一[)）]|1\s*[、.．](?!\d)|首先)")
ITEM_OPEN = r"(?:[一二三四五六七八九十]+是|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}\s*[、.．](?!\d))"
QUOTED_ITEM = re.compile(r"^“([^”]{6,60})”")  # a listed item asked about by its words (followup.resolve_follow_up)
COUNTED_LIST = re.compile(r"[一二三四五六七八九十两](?:个方面|方面|项|点|大做法|条)[^，,。]{0,12}[:：]")  # "六个方面的要求:"
SPECIFICS = re.compile(r"具体|举例|例子|事例|案例|(?:什么|哪些|啥)[\u4e00-\u9fff]{0,4}?(?:办法|措施|举措|做法)|怎么做的|是怎样做的"
                       r"|(?:怎么|怎样|如何)[^，,。？?]{2,24}的[呢啊]?[？?]?$")  # "是怎么给企业派干部的": what was done
RELATED_LEAD = "。资料中相关的内容是："  # after the gap of a partial answer, before what the materials do say
FIRST_PERSON = re.compile(r"我们|我(?:市|区|县|旗|镇|省|州|局|会|部)")


def _doc_span(snap: Snapshot, source: str, start: int, end: int, rank: int, base: Chunk) -> Candidate:
    doc = snap.documents[source]
    chunks = snap.by_source.get(source, ())
    owner = next((c for c in chunks if c.start <= start and end <= c.end), None)
    if owner is None:  # a long sentence across a chunk boundary: quote what one passage holds
        owner = max((c for c in chunks if c.start <= start < c.end), key=lambda c: c.end, default=base)
        cut = max(doc.text.rfind(p, start, owner.end) for p in "；;")
        end = cut + 1 if cut > start else min(end, owner.end)
    return Candidate(owner, rank, start, end, doc.text[start:end])


def following(c: Candidate, snap: Snapshot, ends=FULL_SENTENCE_END) -> Candidate | None:
    """The next sentence in the same paragraph of the document."""
    doc = snap.documents.get(c.chunk.source)
    if not doc:
        return None
    line_end = doc.text.find("\n", c.end)
    line_end = len(doc.text) if line_end < 0 else line_end
    spans = split_sentences(doc.text[c.end : line_end], c.end, ends=ends)
    return _doc_span(snap, c.chunk.source, spans[0].start, spans[0].end, c.rank, c.chunk) if spans else None


def preceding(c: Candidate, snap: Snapshot) -> Candidate | None:
    """The previous full sentence in the same paragraph of the document."""
    doc = snap.documents.get(c.chunk.source)
    if not doc:
        return None
    line_start = doc.text.rfind("\n", 0, c.start) + 1
    spans = split_sentences(doc.text[line_start : c.start], line_start, ends=FULL_SENTENCE_END)
    return _doc_span(snap, c.chunk.source, spans[-1].start, spans[-1].end, c.rank, c.chunk) if spans else None


def defining_case(c: Candidate, snap: Snapshot) -> Candidate | None:
    """The sentence before `c` in its paragraph that names the cases "前一种/后一种情况" refer to."""
    cur = c
    while (prev := preceding(cur, snap)) is not None:
        if re.search(r"状况|情况|两种|两类", prev.text) and not CASE_REFERENCE.match(prev.text):
            return prev
        cur = prev
    return None


FIRST_CASE = re.compile(r"^(?:对于|对)?(?:前一种|前者|第一种)")


def _bigram_lcs(a: str, b: str) -> int:
    """Longest common subsequence of the two texts' CJK bigrams: shared words in the same order."""
    x = [a[i : i + 2] for i in range(len(a) - 1)]
    y = [b[i : i + 2] for i in range(len(b) - 1)]
    prev = [0] * (len(y) + 1)
    for gx in x:
        cur = [0]
        for j, gy in enumerate(y):
            cur.append(prev[j] + 1 if gx == gy else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


# An organisation said missing: "没有党支部", "还没建工会", "未建党组织".
MISSING_ORG = re.compile(r"(?:没有|没|未|还没|尚未|缺)(?:建|成立|建立|组建)?(?:起来)?(?:个|一个)?(党组织|党支部|支部|党委|工会)")


def case_clauses(defining: str) -> list[str]:
    """The clauses of a sentence that names cases ("有些企业建立党组织未建工会、有些企业建立工会组织未建党组织")."""
    return [c for c in re.split(r"[、；;]", defining) if re.search(r"有些|有的|一些|一种|一类", c)]


def lacking(text: str) -> str:
    """Which organisation the text says is missing: "党" or "工会", else ""."""
    m = MISSING_ORG.search(text)
    return "" if not m else "工会" if m.group(1) == "工会" else "党"


def other_case(question: str, top: Candidate, defining: Candidate, snap: Snapshot) -> Candidate | None:
    """The other case sentence ("对于后一种情况…" for "对于前一种情况…") when the question lacks what the other case
    lacks ("公司有工会，可是没有党支部"); None when `top` is the question's case or it cannot tell."""
    clauses = case_clauses(defining.text)
    asked = lacking(question)
    if len(clauses) != 2 or not asked or {lacking(c) for c in clauses} != {"党", "工会"}:
        return None
    want_first = lacking(clauses[0]) == asked
    if want_first == bool(FIRST_CASE.match(top.text)):
        return None
    cur = defining
    for _ in range(8):  # the case sentences follow the one that names the cases, in its paragraph
        cur = following(cur, snap)
        if cur is None:
            return None
        if CASE_REFERENCE.match(cur.text) and bool(FIRST_CASE.match(cur.text)) == want_first:
            return replace(cur, relevance=top.relevance)
    return None


def own_words_of(q: Question) -> str:
    """What the user said in this turn: a follow-up's standalone form also holds the previous question's words
    ("…没有工会怎么办，反过来呢" says nothing missing of its own)."""
    return q.text if q.follow_up else q.standalone


def pick_case(question: str, defining: str, cases: list[Candidate], lacks: str = "") -> Candidate:
    """Which of "前一种/后一种情况" the question is about: the case clause of the defining sentence
    ("有些企业建立党组织未建工会、有些企业建立工会组织未建党组织") that shares most of its words in order."""
    clauses = case_clauses(defining)
    first = next((c for c in cases if FIRST_CASE.match(c.text)), None)
    second = next((c for c in cases if not FIRST_CASE.match(c.text)), None)
    if len(clauses) == 2 and first and second:
        # "公司有工会，可是没有党支部": the case that lacks what the question lacks (后一种: 建立工会组织未建党组织).
        if lacks and {lacking(c) for c in clauses} == {"党", "工会"}:
            return first if lacking(clauses[0]) == lacks else second
        core = re.sub(r"\W", "", question)
        return first if _bigram_lcs(core, clauses[0]) >= _bigram_lcs(core, clauses[1]) else second
    return max(cases, key=lambda c: (c.lex, c.relevance))


def next_paragraph_item(c: Candidate, snap: Snapshot) -> Candidate | None:
    """The first sentence of the next paragraph when it is a numbered item ("2、…", "（二）…")."""
    doc = snap.documents.get(c.chunk.source)
    if not doc:
        return None
    line_end = doc.text.find("\n", c.end)
    if line_end < 0:
        return None
    start = line_end + 1
    end = doc.text.find("\n", start)
    line = doc.text[start : end if end >= 0 else len(doc.text)]
    if not PARAGRAPH_ITEM.match(line):
        return None
    spans = split_sentences(line, start, ends=FULL_SENTENCE_END)
    return _doc_span(snap, c.chunk.source, spans[0].start, spans[0].end, c.rank, c.chunk) if spans else None


def list_items(c: Candidate, snap: Snapshot, limit: int = 9) -> list[Candidate]:
    """The items of the list `c` opens ("提出了六个方面的要求：一是…", "有以下一些经验…" followed by
    numbered paragraphs), or its siblings if `c` is an item."""
    if not (OPENS_LIST.search(c.text) or ENUMERATOR.match(c.text) or PARAGRAPH_ITEM.match(c.text)):
        # "切实抓好“三项建设”,…。一是抓好组织建设。…": a numbered term, its items right after, as many.
        named = [NUMERALS[t[0]] for t in numbered_terms(c.text) if NUMERALS[t[0]] >= 2]
        first = following(c, snap, SENTENCE_END) if named else None
        if not (first and FIRST_ITEM.match(first.text)):
            return []
        limit = min(limit, named[0])
    items: list[Candidate] = []
    cur = c
    while (nxt := following(cur, snap, SENTENCE_END)) is not None and len(items) < limit:
        cur = nxt
        if ENUMERATOR.match(nxt.text):
            items.append(nxt)
    if not items:
        cur, number = c, _item_number(c.text)
        while (nxt := next_paragraph_item(cur, snap)) is not None and len(items) < limit:
            n = _item_number(nxt.text)
            if number and n and n != number + 1:
                break  # "4、" after "3、" belongs to another list than "2、" after "3、"
            items.append(nxt)
            cur, number = nxt, n
    return items


def with_asked_item(q: Question, cands: list[Candidate], snap: Snapshot, top: int = 6) -> list[Candidate]:
    """For "第四个方面要求是啥": the n-th item of a list one of the best sentences opens or leads into,
    scored as that sentence plus the bonus a marked item gets; found beyond the retrieved passages too
    ("提出了六个方面的要求：一是…" in one chunk, "四是…" in the next)."""
    if not q.item:
        return cands
    marker = item_marker(q.item)
    out = list(cands)
    for c in sorted(cands, key=lambda c: -c.relevance)[:top]:
        if OPENS_LIST.search(c.text):
            found = list_items(c, snap, limit=max(9, q.item))
        else:  # "…队伍建设是关键。一是要选优配强党组织书记。": items a few sentences on
            found, cur = [], c
            for _ in range(4):
                if (cur := following(cur, snap, SENTENCE_END)) is None:
                    break
                found.append(cur)
        item = next((i for i in found if marker.match(i.text.lstrip())), None)
        if item is None:
            continue
        score = c.relevance + 0.3
        same = [i for i, x in enumerate(out) if x.chunk.source == item.chunk.source and x.start <= item.start < x.end]
        if not same:
            out.append(replace(item, lex=c.lex, ctx=c.ctx, sim=c.sim, relevance=score))
        elif out[same[0]].relevance < score:
            out[same[0]] = replace(out[same[0]], relevance=score)
    return out


def _item_number(text: str) -> int:
    m = re.match(r"^\s*[(（]?(\d{1,2}|[一二三四五六七八九十]+)", text)
    if not m:
        return 0
    v = m.group(1)
    return int(v) if v.isdigit() else {c: i for i, c in enumerate("一二三四五六七八九十", 1)}.get(v[-1], 0)


INLINE_LIST = re.compile(r"[:：]\s*(?=一是|1[、.]|首先)")


def split_inline_list(c: Candidate) -> list[Candidate]:
    """"提出了六个方面的要求：一是…" -> the lead-in up to the colon, and the first item after it."""
    m = INLINE_LIST.search(c.text)
    if not m:
        return [c]
    lead = replace(c, end=c.start + m.end(), text=c.text[: m.end()])
    first = replace(c, start=c.start + m.end(), text=c.text[m.end() :])
    return [lead, first_clause(first)]


def first_clause(c: Candidate, limit: int = 60) -> Candidate:
    """A long list item shortened to its first clause(s); still an exact quote."""
    if len(c.text) <= limit:
        return c
    spans = split_sentences(c.text)
    if spans and spans[0].end <= limit:
        return replace(c, end=c.start + spans[0].end, text=c.text[: spans[0].end])
    cut = max(c.text.rfind(m, 0, limit) for m in "，,")
    cut = cut + 1 if cut > 10 else limit
    return replace(c, end=c.start + cut, text=c.text[:cut])


def answering_clause(c: Candidate, grams_score, limit: int) -> Candidate:
    """The answering sentence shortened like a list item, but through the clause that answers: "一是组织
    广大党员认真学习各项法律法规,…,提高了企业党员员工的法律意识和维权意识,…" asked which 意识 keeps
    the clause naming them, from the sentence's start when that stays short, else from that clause."""
    short = first_clause(c, limit)
    cuts = [0, *(m.end() for m in re.finditer(r"[，,；;]", c.text))]
    clauses = [(a, b) for a, b in zip(cuts, [*cuts[1:], len(c.text)], strict=True) if b > a]
    if len(short.text) == len(c.text) or len(clauses) < 2:
        return short
    scores = [grams_score(c.text[a:b]) for a, b in clauses]
    best = max(range(len(clauses)), key=lambda i: (scores[i], -i))
    a, b = clauses[best]
    if b <= len(short.text) or scores[best] <= max(scores[i] for i, (_, e) in enumerate(clauses) if e <= len(short.text) or i == 0):
        return short
    start = 0 if b <= 2 * limit else a
    return replace(c, start=c.start + start, end=c.start + b, text=c.text[start:b])


def best_clauses(c: Candidate, grams_score, budget: int) -> list[Candidate]:
    """For an over-long sentence keep its best clause (split at ；) and the clauses right after it."""
    clauses = [replace(c, start=c.start + s.start, end=c.start + s.end, text=c.text[s.start : s.end])
               for s in split_sentences(c.text)]
    if len(clauses) <= 1:
        return [c]
    best = max(range(len(clauses)), key=lambda i: grams_score(clauses[i].text))
    out, used = [], 0
    for cl in clauses[best:]:
        if out and used + len(cl.text) > budget:
            break
        out.append(cl)
        used += len(cl.text)
    return out


def _heading_like(c: Candidate) -> bool:
    """A numbered heading or item that only names its topic ("3、以选优配强书记为重点,…行动。", "一是要选优配强党组织书记。")."""
    return len(c.text) < 30 and bool(PARAGRAPH_ITEM.match(c.text) or ENUMERATOR.match(c.text))


def _under(c: Candidate, heading: Candidate, snap: Snapshot) -> bool:
    """Is `c` in the text a heading leads: after it in the same paragraph, no other numbered item of the heading's
    own kind between them."""
    doc = snap.documents.get(c.chunk.source)
    if doc is None or c.start <= heading.start or "\n" in doc.text[heading.end : c.start]:
        return False
    own = next((k for k in (*ITEM_MARKERS, r"第[一二三四五六七八九十]+") if re.match(rf"\s*{k}", heading.text)), None)
    between = [x.strip() for x in re.split(r"(?<=[。！？])", doc.text[heading.end : c.start]) if x.strip()]
    return own is not None and not any(re.match(own, x) for x in between)


def _overlaps(a: Candidate, chosen: list[Candidate]) -> bool:
    return any(a.chunk.source == c.chunk.source and a.start < c.end and c.start < a.end for c in chosen)


def _about(c: Candidate, focus: list[str]) -> bool:
    """Is the sentence about the question: does it mention one of the question's specific words?"""
    return not focus or any(w in c.text for w in focus)


def compose(q: Question, cands: list[Candidate], snap: Snapshot, focus: list[str], grams_score,
            budget: int, clause_score=None) -> tuple[list[Candidate], int | None]:
    """Choose the answering sentences in reading order, and how many lead-in sentences come before
    list items (None when the answer is not a list). `clause_score` rates a clause of a long item (the
    question's asking clause's words), `grams_score` a sentence."""
    clause_score = clause_score or grams_score
    ranked = sorted(cands, key=lambda c: -c.relevance)
    if not ranked:
        return [], None
    kinds = q.ranked_kinds
    if kinds and not all(holds(q, k, ranked[0].text) for k in kinds):
        # "一共发放了多少张服务联系卡": the sentence that holds the number asked for answers first, when it is
        # nearly as relevant as one that only names the thing ("每个…发放一张服务联系卡").
        alt = next((c for c in ranked[1:] if c.relevance >= 0.7 * ranked[0].relevance
                    and all(holds(q, k, c.text) for k in kinds)), None)
        if alt is not None:
            ranked = [alt, *(c for c in ranked if c is not alt)]
    if "list" in q.expects and not OPENS_LIST.search(ranked[0].text):
        # "提了几方面要求": the sentence that opens the counted list ("提出了六个方面的要求:一是…") answers first,
        # when it is nearly as relevant as one that only shares the question's words.
        alt = next((c for c in ranked[1:4] if c.relevance >= 0.85 * ranked[0].relevance and COUNTED_LIST.search(c.text)), None)
        if alt is not None:
            ranked = [alt, *(c for c in ranked if c is not alt)]
    if "list" not in q.expects and not q.item and _heading_like(ranked[0]):
        # "配书记用的是什么办法": a heading ("3、以选优配强书记为重点,…行动") names the topic; the sentence under it that
        # is nearly as relevant ("通过公开招选、选派退出现职领导干部等方式,…") is what answers.
        alt = next((c for c in ranked[1:4] if c.relevance >= 0.9 * ranked[0].relevance and not _heading_like(c)
                    and c.chunk.source == ranked[0].chunk.source and _under(c, ranked[0], snap)), None)
        if alt is not None:
            ranked = [alt, *(c for c in ranked if c is not alt)]
    top = ranked[0]
    chosen = [top]
    if (quoted := QUOTED_ITEM.match(q.standalone)) and (m := re.search(ITEM_OPEN + re.escape(quoted[1]), top.text)):
        # "具体说说第二条" ("“将推进…有机结合”是什么？"): the item from its marker on, with what the document says of it
        # after it ("要坚持…两手抓"), up to the next item.
        last = replace(top, start=top.start + m.start(), text=top.text[m.start() :])
        chosen = [last]
        while (nxt := following(last, snap, ends=SENTENCE_END)) and not re.match(ITEM_OPEN, nxt.text) \
                and sum(len(c.text) for c in chosen) + len(nxt.text) <= budget:
            chosen.append(nxt)
            last = nxt
        return chosen, None
    if CASE_REFERENCE.match(top.text) and (case := defining_case(top, snap)):
        if (other := other_case(own_words_of(q), top, case, snap)) is not None:
            ranked = [other, *(c for c in ranked if c is not top)]  # the question has the other case
            top = other
            chosen = [top]
        chosen.insert(0, case)  # "对于后一种情况…" is read with the sentence that names the cases
    elif kinds and (own := standing_rest(top)) is not None and all(holds(q, k, own.text) for k in kinds):
        chosen = [own]  # "通过这五大做法和多年的努力,涪陵区民协党委现有…": what it says stands without the way there
        ranked = [own if c is top else c for c in ranked]
        top = own
    elif LEANS_BACK.match(top.text) and (prev := preceding(top, snap)):
        chosen.insert(0, prev)  # "如选派…" is read with the sentence it illustrates
    else:
        # A sentence that names cases ("针对有些…、有些…的状况") is answered by the case sentence after it.
        doc = snap.documents.get(top.chunk.source)
        cases = [c for c in ranked if c.chunk.source == top.chunk.source and c.start >= top.end and doc
                 and "\n" not in doc.text[top.end : c.start] and CASE_REFERENCE.match(c.text)]
        if cases:  # the case the question describes ("有工会但还没有党组织" -> 后一种)
            chosen.append(pick_case(q.standalone, top.text, cases, lacks=lacking(own_words_of(q))))
    items = [] if q.item else list_items(top, snap)  # "第二项是什么" asks for one item, not the list
    if items:
        is_item = bool(ENUMERATOR.match(top.text) or PARAGRAPH_ITEM.match(top.text))
        parts = split_inline_list(top)
        head = [answering_clause(top, clause_score, 100 if is_item else 120)] if len(parts) == 1 else parts
        at = chosen.index(top)
        chosen = chosen[:at] + head + chosen[at + 1 :]
        if len(parts) > 1:
            is_item = False
            items = [parts[1], *items]
            chosen = chosen[: at + 1]
        used = sum(len(c.text) for c in chosen)
        picked = []
        for item in items:
            short = answering_clause(item, clause_score, 60)
            if used + len(short.text) > budget:
                break
            picked.append(short)
            used += len(short.text)
        if len(picked) >= (1 if is_item else 2):
            return chosen + picked, len(chosen) - 1 if is_item else len(chosen)
        chosen = chosen + picked
    if len(top.text) < 30 or ("list" in q.expects and not LIST_SHAPE.search(top.text)):
        # A lead-in ("3、始终把强化保障作为…重点环节。") is followed by its content.
        nxt = following(top, snap)
        if nxt and not _overlaps(nxt, chosen) and len(nxt.text) <= budget:
            chosen.append(nxt)
    if SPECIFICS.search(q.standalone):
        # "具体采取了哪些做法": the examples that follow the answering sentence ("如选派…") are the specifics.
        last = max((c for c in chosen if c.chunk.source == top.chunk.source), key=lambda c: c.end)
        nxt = following(last, snap)
        if nxt and ILLUSTRATES.match(nxt.text) and not _overlaps(nxt, chosen) \
                and sum(len(c.text) for c in chosen) + len(nxt.text) <= budget:
            chosen.append(nxt)
    if "how" in q.expects and not items and q.sequel != "short":
        # "一个人唱独角戏咋办": the sentence that answers says one thing to do, and the next one adds the other
        # ("需要我们加强与业主的沟通…" then "同时要加大队伍培训力度"): a how-answer is both.
        last = max((c for c in chosen if c.chunk.source == top.chunk.source), key=lambda c: c.end)
        nxt = following(last, snap)
        if nxt and CONTINUES.match(nxt.text) and not _overlaps(nxt, chosen) \
                and sum(len(c.text) for c in chosen) + len(nxt.text) <= budget:
            chosen.append(nxt)
    if len(top.text) > budget * 0.7:
        kept = best_clauses(top, grams_score, int(budget * 0.7))
        chosen = [c for c in chosen if c is not top] + kept
    used = sum(len(c.text) for c in chosen)
    answering = list(chosen)  # the answering sentence with what it leans on and what completes it
    for c in ranked[1:]:
        if len(chosen) >= 3 or used + len(c.text) > budget or _overlaps(c, chosen):
            continue
        same = c.chunk.id == top.chunk.id
        if c.relevance < max(0.35, (0.8 if same else 0.9) * top.relevance) or not _about(c, focus):
            continue
        if LEANS_BACK.match(c.text) and not ILLUSTRATES.match(c.text):
            prev = preceding(c, snap)
            if not prev or not _overlaps(prev, chosen):
                continue  # it would dangle without the sentence before it
        chosen.append(c)
        used += len(c.text)
    # The answering sentence (with what it leans on) stays first; the rest follow in reading order, even those
    # the document tells before it ("新郑组织党员去哪接受再教育": 赴焦裕禄陵园 first, then the study it crowned).
    first = [c for c in chosen if any(c is a for a in answering)]
    rest = [c for c in chosen if c not in first]
    order: dict[str, int] = {top.chunk.source: 0}
    for c in rest:
        order.setdefault(c.chunk.source, len(order))
    first.sort(key=lambda c: c.start)
    if q.sequel == "short":
        # "再短点": the sentences that answer, without examples ("如选派…") or the sentences that only add to them.
        # Whole sentences: cut at its commas, a sentence lost its subject or broke off inside brackets ("…、财政").
        return [c for c in first if not ILLUSTRATES.match(c.text)] or first[:1], None
    rest.sort(key=lambda c: (order[c.chunk.source], c.start))
    return first + rest, None


def speaker(publisher: str, region: str) -> str:
    """Who speaks in a document's first person: its publishing body, else its city or county."""
    body = re.sub(r"[（(].*?[）)]", "", publisher or "").strip()
    if body and not body.startswith(("《", "人民网")):
        return body
    place = local_place(region or "")
    return "" if place.endswith(("省", "自治区")) else place


def attribute(text: str, chunk: Chunk, said: set[str]) -> str:
    """A quote in the source's first person ("我们…", "我市…") is labelled with who is speaking, once
    per source, so it reads as reported speech ("苏州市：我们…") while the quote stays exact."""
    if chunk.source in said or not FIRST_PERSON.search(text):
        return text
    who = speaker(chunk.publisher, chunk.region)
    if not who:
        return text
    said.add(chunk.source)
    return f"{who}：{text}"


def render(q: Question, chosen: list[Candidate], lead: int | None, snap: Snapshot,
           gap: str = "") -> tuple[str, tuple[Citation, ...]]:
    """Text with [n] after every clause, and the citations (exact quotes) behind the numbers."""
    numbers: dict[str, int] = {}
    spans: dict[str, list[Candidate]] = {}
    for c in chosen:
        numbers.setdefault(c.chunk.id, len(numbers) + 1)
        spans.setdefault(c.chunk.id, []).append(c)
    lines = []
    said: set[str] = set()
    for i, c in enumerate(chosen):
        body = ITEM_MARK.sub("", c.text.strip()).strip()
        if i == 0:
            body = ADDS_ON.sub("", body)  # "并通过…" opening an answer adds to nothing the user sees
        body = attribute(body.rstrip("。；;，,.!！?？:："), c.chunk, said)
        n = numbers[c.chunk.id]
        body = re.sub(r"([。！？；!?;][”’」』）)]*)(?=.)", lambda m, n=n: f"[{n}]{m.group(1)}", body)
        line = f"{body}[{n}]。"
        if lead is not None and i >= lead:
            line = f"{i - lead + 1}. {line}"
        elif lead is not None and i == lead - 1 and OPENS_LIST.search(c.text):
            line = line[:-1] + "："
        lines.append(line)
    text = "\n".join(lines) if lead is not None else "".join(lines)
    if gap:
        text = f"{gap}{RELATED_LEAD}\n{text}"
    citations = []
    for cid, n in numbers.items():
        ps = spans[cid]
        c = ps[0].chunk
        start, end = min(p.start for p in ps), max(p.end for p in ps)
        doc = snap.documents.get(c.source)
        quote = doc.text[start:end] if doc else " ".join(p.text for p in ps)
        citations.append(Citation(n=n, chunk_id=cid, source=c.source, title=c.title, publisher=c.publisher,
                                  date=c.date, section=c.section, quote=quote, start=start, end=end, passage=c.text))
    return text, tuple(citations)
