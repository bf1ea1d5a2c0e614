"""Stage 3, decide: can the retrieved passages answer the question, fully, partly, or not at all?

One calibrated decision over several signals (features below), fitted on labelled questions by
`python -m evals.fit_decision` and kept as data in decision.toml, plus two checks of meaning that no
score can replace: the answer must be of the kind asked for (a number for 多少, a year for 哪一年),
and a year or place the question names must be in the answering passage's heading, title or sentence.
A question is refused on the passages' support alone; a failed check makes the answer partial, its gap said."""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .candidates import Candidate, idf_coverage
from .kinds import (
    ABSOLUTE_CHANGE,
    EVENT_WORDS,
    GROWTH,
    TITLES,
    breaks_down,
    contradicted_counts,
    contradicted_holders,
    contradicted_ordinals,
    count_scope,
    holds,
    names_container,
    one_of_several,
    reason_clause,
    subset_asked,
    unsaid_figures,
    where_counted,
)
from .places import LOCAL_ORG, NOT_IN_PERSON, local_place, mentions, places_in
from .terms import (
    ASKS_ITEMS,
    NUMERAL_ABBREVIATION,
    NUMERALS,
    QUOTED,
    SAYING,
    cn_ordinal,
    defined_term,
    defines,
    item_marker,
    items_in,
    list_size,
    numbered_terms,
    past_the_list,
    quotes,
    spelled_out,
)
from .understand import Question, contrasts, synonym_pairs

WEIGHTS = Path(__file__).with_name("decision.toml")
GATES = ("type_ok", "focus_ok", "premise_ok")  # the checks of meaning among the features
FEATURES = ("coverage", "sentence_coverage", "dense", "sentence_sim", "relevance", "margin", "type_ok", "focus_ok",
            "premise_ok")
KIND_WORDS = {"date": "具体日期", "year": "具体年份", "time": "具体时间", "money": "具体金额", "concept": "具体解释",
              "duration": "具体时长", "share": "具体比例", "number": "具体数字", "person": "具体人名",
              "region": "具体地名", "place": "具体地点", "change": "具体变化幅度",
              "ranking": "排名或比较", "organisation": "具体部门或单位", "position": "具体职务", "detail": "具体内容（只提到了名称）"}
# Gaps in what a list or a count covers: (message, reason) by the check that found them. Each message opens with
# 资料中没有: a statement of absence, which no passage can cite (the eval tells them by that opening).
SCOPED_GAPS = {
    "item": ("资料中没有列出第{item}项的具体内容", "the item asked for is not listed"),
    "subset": ("资料中没有再细分的数字，只有“{scope}”的总数", "only the whole is counted, not the part asked about"),
    "rest": ("资料中只列到“{scope}”等，没有列出其余的", "the rest of the list is not given"),
    "names": ("资料中没有列出是{scope}", "the places asked for are not named"),
    "scope": ("资料中没有单独就“{scope}”给出的具体数字", "the count is of the whole, not of the part asked about"),
    "rate_only": ("资料中没有增加的具体数量，只有比上年增长的百分比", "the growth is given as a rate only"),
    "unlisted": ("资料中没有逐项列出这“{scope}”，只提到了总数", "the list is counted, not given"),
}
# An unsure decision quotes "what the materials do say" only when a sentence shares this much of the question
# (IDF-weighted bigrams); below it the quote would be unrelated. On the calibration parts every unsure question
# under it was unanswerable (6 of 6, stop 16). On stop 18's machine three answerable colloquial ones fall under it:
# a sentence that says the question's situation in the materials' words shares it too (see in_their_words), which
# answers one (h13-002); h13-004 (Cantonese 谷下) and h15-022 are still refused.
RELATED = 0.3
# A figure, date or length must be said in a sentence holding one of the question's this many most specific words.
# Calibration: 3 words flagged one near miss more and made one answer partial; 5 flagged it alone.
SUBJECT_WORDS = 5
FIGURE_KINDS = frozenset({"duration", "number", "money", "share", "year", "date", "time"})
# Asking what a term means (not "X的重点是什么", which asks for an attribute).
MEANING_ASK = re.compile(r"什么意思|啥意思|的意思|含义|何谓|什么叫|是指什么|指的是什么|是指啥|指啥|指什么")
GENERIC = re.compile(r"^(?:为什么|为何|原因|什么|怎么|如何|哪些|多少|具体|主要|这个|那个|这么|那么|这样|那样|这些|那些|他们|她们|我们|企业|工作|党建|组织|问题|情况"
                     r"|偏偏|偏要|非得|非要|竟然|居然|还要|还得|总是|老是|一定|必须|特别|反而|就得|各自|分别|一起)$")  # adverbs: no premise


@dataclass(frozen=True)
class Decision:
    outcome: str  # answered | partial | refused
    probability: float
    features: dict
    gap: str = ""  # what the materials do not contain, said plainly in a partial answer
    reason: str = ""


@functools.cache
def load_weights(path: Path = WEIGHTS) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def _head(c: Candidate) -> str:
    return f"{c.chunk.title}{local_place(c.chunk.region)}{c.chunk.section}{c.text}"


def _about(c: Candidate, focus: list[str], named: list[str]) -> bool:
    """Does the sentence, with its heading and title, name every year, place and organisation asked about?"""
    head = _head(c)
    return all(f in head for f in focus) and all(mentions(e, head) for e in named)


def _same_story(s: Candidate, c: Candidate) -> bool:
    """Does `c` go on telling what `s` began, later in the same paragraph? "2015年12月…在重庆市涪陵区召开。…
    杨文彬主持会议。": the year and the place are told once for the whole event."""
    if s.chunk.id != c.chunk.id or not s.end <= c.start:
        return False
    return "\n" not in s.chunk.text[s.end - s.chunk.start : c.start - s.chunk.start]


BESIDES = re.compile(r"除了|除去|之外|以外|其余|剩下|其他")  # "除了这21项，还建了哪些": not the counted list
LIST_ASK = re.compile(r"逐项|逐一|一一|列出|列一下|列个|都是哪|都是什么|都有哪|分别是|名称|清单")
# Where a body sits or whom it answers to, as a question takes it for granted.
SITS_IN = re.compile(r"(?:设在|设于|隶属于?|挂靠在?|归口)([\u4e00-\u9fff]{2,8}?(?:局|厅|委员会|办公室|部|委|中心))")


SAYS = r"(?:提了|提出|提的|讲了|讲的|强调|介绍|指出|表示|肯定|说)"
# Who speaks in a passage: a name of two or three characters at a clause's start, before a verb of saying
# ("钟攸平强调,…", "韩旭肯定了…"); a title may go before it.
SPEAKER = re.compile(rf"(?:^|(?<=[\s，,。；;：:“]))(?:[^，,。；;]{{0,16}}?(?:{TITLES}|委员))?([\u4e00-\u9fff]{{2,3}}?)(?:同志)?{SAYS}")
HOW_SUBJECT = re.compile(r"^([\u4e00-\u9fff]{6,20}?)(?:是|都是|具体是|到底是)?(?:怎么|怎样|如何)")  # "X是怎么…"
# "除了工商、民政、园区…，剩下的是哪些": the items the question already has, then what it asks of the rest.
REST_ASKED = re.compile(r"除了([^，,？?]{4,60}?)(?:之外|以外)?[，,][^，,？?]{0,6}(?:剩下|其余|其他|别的|另外)")
LIST_REACH = 1500  # characters after a colon within which its items may stand, passage breaks included


# "哪三个区", "哪两个镇": places of a kind asked for by number.
WHICH_PLACES = re.compile(r"哪([两二三四五六七八九十])个?(?:城|市|辖|街)?([区县市镇乡旗省村])")  # 哪三个(城)区


def listed_only(name: str, sentence: str) -> bool:
    """Is every mention of `name` one item of a series ("开展“三亮活动”、发挥…", "还有缸套厂党支部的“温情工作法”等"),
    not what the sentence is about? An item is followed by 、 or 等 before the clause ends; a name a series
    spells out ("有场所、…、有制度”的“六有”标准") is no item."""
    return all(re.match(r"[”」\"']?[^，,。；;、：:]{0,6}?[、等]", sentence[m.end() :])
               for m in re.finditer(re.escape(name), sentence))


def other_speaker(question: str, top: Candidate, documents: dict) -> str:
    """What the question says someone said ("韩旭提了六个方面的要求"), when another says it: the last one the
    document names speaking before the answering sentence ("钟攸平强调…对此,他提出了…") is someone else."""
    doc = documents.get(top.chunk.source)
    if doc is None:
        return ""
    # The one the question says spoke: two or three characters before its verb of saying that the document too
    # names speaking. Most questions have no verb of saying, and the document is not read for them.
    asked = next(((m, name) for m in re.finditer(rf"(?:同志)?{SAYS}", question)
                  for name in (question[max(0, m.start() - 3) : m.start()], question[max(0, m.start() - 2) : m.start()])
                  if len(name) >= 2 and not NOT_IN_PERSON.search(name)
                  and re.search(rf"{re.escape(name)}(?:同志)?{SAYS}", doc.text)), None)
    if asked is None:
        return ""
    m, name = asked
    a = max(0, top.start - LIST_REACH)  # the answering sentence's own speaker counts ("韩旭肯定了…")
    names = [s.group(1) for s in SPEAKER.finditer(doc.text[a : top.end])
             if s.start() <= top.start - a and not NOT_IN_PERSON.search(s.group(1))]
    if not names or names[-1] == name or name in top.text:
        return ""
    return re.split(r"[，,？?。]|什么|哪些|哪几|多少", question[m.start() - len(name) :])[0]


def _continues(s: Candidate, c: Candidate) -> bool:
    """Is `c` the sentence `s` or one after it in its paragraph, or anywhere after it when `s` opens a list
    with a colon (the items then stand in paragraphs of their own)?"""
    if c.chunk.source != s.chunk.source or c.start < s.start:
        return False
    if c.chunk.id != s.chunk.id:  # a list opened with a colon may go on in the next passages
        return bool(re.search(r"[：:]\s*(?:一是|1[、.]|首先|$)", s.text.rstrip())) and c.start - s.end <= LIST_REACH
    between = s.chunk.text[s.end - s.chunk.start : max(s.end, c.start) - s.chunk.start]
    return "\n" not in between or s.text.rstrip().endswith(("：", ":"))


def features(q: Question, grams: list[str], cands: list[Candidate], hits, lexical, words,
             documents: dict | None = None) -> tuple[dict, dict]:
    """The decision's inputs, and the facts behind the three checks (for the gap message). `documents` (source ->
    Document) lets the premise check read what comes before the answering sentence."""
    contexts = [f"{h.chunk.title}{h.chunk.region}{h.chunk.section}{h.chunk.text}" for h in hits[:4]]
    coverage = max((idf_coverage(grams, c, lexical) for c in contexts), default=0.0)
    ranked = sorted(cands, key=lambda c: -c.relevance)
    margin = (ranked[0].relevance - ranked[1].relevance) if len(ranked) > 1 else 0.0
    # The kind of fact asked for (a number of the thing counted, a year ...) and the places and years the
    # question names must come together in one answering sentence (its heading and title count).
    kinds = q.checked_kinds
    bar = 0.6 * ranked[0].relevance if ranked else 0.0
    relevant = [c for c in ranked if c.lex > 0 and c.relevance >= bar][:8] or ranked[:2]
    focus = [*q.years, *q.places]
    typed = [c for c in relevant if all(holds(q, k, c.text) for k in kinds)]
    # An organisation the passages name ("芝瑞镇石材行业党支部") must be what the answering sentence is about.
    named = [e for e in q.entities if any(mentions(e, _head(c)) for c in cands if c.lex > 0)] if kinds else []
    # The year and place of an event are told once for all of it; an organisation is what one sentence is about.
    focused = [c for c in relevant if _about(c, focus, named)
               or _about(c, [], named) and any(_about(s, focus, []) and _same_story(s, c) for s in cands)]
    joint = [c for c in typed if c in focused]
    subject = subject_words(q, lexical, words)
    unmet = next((k for k in kinds if not any(holds(q, k, c.text) and _on_subject(c, subject, k)
                                               for c in (focused or relevant))), "")
    if unmet == "change" and ABSOLUTE_CHANGE.search(q.standalone) and any(GROWTH.search(c.text) for c in relevant[:3]):
        unmet = "rate_only"  # "比上年多了多少": the materials give the rate of growth, not how many more
    scope = count_scope(q.standalone) if "number" in kinds else ""
    if not unmet and scope and any(scope in c.text for c in typed) and \
            all(one_of_several(scope, c.text) for c in typed if scope in c.text):
        unmet = "scope"  # "那114个企业党组织里有几个是党委": the sentence counts the whole, not that part
    container = where_counted(q.standalone) if "number" in kinds else ""
    if not unmet and container and typed and not any(names_container(container, c.text) for c in typed):
        unmet, scope = "scope", container  # the counts said are of 党员 elsewhere, not on the platform
    whole = subset_asked(q.standalone) if "number" in kinds else None
    if not unmet and whole and any(not breaks_down(whole, c.text) for c in typed) and \
            all(not breaks_down(whole, c.text) for c in typed if "".join(whole) in c.text or whole[2] in c.text):
        unmet, scope = "subset", "".join(whole)  # "12家五星级党组织里，社会组织的有几家": only the 12 is said
    # A what-is question needs a sentence that explains its term, not one that only uses it (临空经济).
    term = defined_term(q.standalone) if MEANING_ASK.search(q.standalone) else ""
    if term and not NUMERAL_ABBREVIATION.fullmatch(term) and \
            any(term in c.text for c in cands) and not any(defines(term, c.text) for c in cands):
        unmet = unmet or "concept"
    # "“两支队伍”分别是哪两支": the items of a numbered term the passages only name (see `spelled_out`).
    if ASKS_ITEMS.search(q.standalone):
        passages = [h.chunk.text for h in hits]
        # Quoted in the question, or named bare there ("这个三亮化") and quoted in the passages.
        terms = dict.fromkeys([*numbered_terms(q.standalone), *(t for p in passages for t in numbered_terms(p) if t in q.standalone)])
        # The longest first ("三亮化" before "三亮"), in a fixed order: a set's order changed with the hash seed.
        numbered = sorted((t for t in terms if any(t in p for p in passages)), key=lambda t: (-len(t), t))
        bare = [t for t in numbered if not spelled_out(t, passages)]
        if bare and not unmet:
            unmet, term = "concept", bare[0]
    # "那21项制度里排第一项的是什么": the n-th item is answered only where a list marks it (二是, （二）, 2、) or
    # lists as many items; an answering sentence with that very marker answers it directly.
    marker = item_marker(q.item) if q.item else None
    marked = bool(marker) and bool(ranked) and bool(marker.search(ranked[0].text))
    # When the question sizes the list and a passage names it so ("完善21项党建工作制度"), the item must be in
    # that list, after that sentence; the first item of some other list ("一是开展宗旨主题教育") is no answer.
    size, total = list_size(q.standalone) if marker else ("", 0)
    sized = [s for s in cands if size and size in s.text]
    pool = [c for c in cands if any(_continues(s, c) for s in sized)] if sized else ranked[:12]
    # An inline series answers the n-th item only if it is long enough: as long as the list the question
    # sizes, and two items at least ("一项" of any sentence with one phrase in it is no list).
    least = max(q.item, 2, total)
    if marker and not unmet and not any(marker.search(c.text) or len(items_in(c.text)) >= least for c in pool):
        unmet = "item"
    if past_the_list(q.standalone, q.item):  # "“三项建设”的第五项"
        unmet = "item"
    # "那21项党建制度，能不能逐项列出名称": a list the passages only count ("完善21项党建工作制度") is not given.
    # A numbered term's items ("“三项建设”是哪三项") are checked with the term (`spelled_out`, above).
    if not unmet and not marker and ("list" in q.expects or LIST_ASK.search(q.standalone)) and not BESIDES.search(q.standalone) \
            and not ASKS_ITEMS.search(q.standalone) and not numbered_terms(q.standalone):
        size, total = list_size(q.standalone)
        sized = [s for s in cands if size and total >= 3 and size in s.text]
        # A sentence opening the list with a colon has its items after it, in paragraphs of their own.
        if sized and not any(s.text.rstrip().endswith(("：", ":")) or len(items_in(s.text)) >= 3 for s in sized):
            unmet, scope = "unlisted", size
    # "这三个城区具体是哪三个区": as many places of that kind named one after another (姑苏区、吴中区和…).
    if not unmet and (asked := WHICH_PLACES.search(q.standalone)):
        n, suffix = NUMERALS[asked.group(1)], asked.group(2)
        named = rf"[\u4e00-\u9fff]{{1,6}}?{suffix}"
        if not any(len(re.findall(rf"{named}(?=[、和及与，,])|(?<=[、和及与]){named}", c.text)) >= n for c in ranked[:12]):
            unmet, scope = "names", asked.group(0)
    # "22家成员单位，除了工商、民政、…、教育，剩下的是哪些单位？": the sentence lists just those, then 等.
    if not unmet and (rest := REST_ASKED.search(q.standalone)):
        listed = [x for x in re.split(r"[、，,和及]", rest.group(1)) if x]
        if len(listed) >= 3 and any(all(x in c.text for x in listed) and re.search(re.escape(listed[-1]) + "等", c.text)
                                    for c in ranked[:12]):
            unmet, scope = "rest", listed[-1]
    # "缸套厂的“温情工作法”具体怎么做": a name the passages give only as one of a series ("如康迪公司的“阳光车队”、
    # 缸套厂的“温情工作法”等") says nothing of what it is or how it works. So for the unquoted subject of a
    # how-question ("涪陵区民营经济党建示范街是怎么规划建设起来的": one stop of a listed visit).
    if not unmet and set(q.expects) & {"how", "concept", "reason"}:
        names = [n for n in QUOTED.findall(q.standalone) if len(n) >= 2] if "list" not in q.expects else []
        if "how" in q.expects and (subject := HOW_SUBJECT.match(q.standalone)):
            names.append(subject.group(1))
        bare = [n for n in names if any(n in c.text for c in cands)
                and all(listed_only(n, c.text) for c in cands if n in c.text)]
        if bare:
            unmet, term = "detail", bare[0]
    absent = [f for f in focus if not any(f in _head(c) for c in cands if c.lex > 0)]
    # "杭州工商联是怎么抓…": a place named as an organisation's is that organisation's document or its name in the
    # text, not a city the 新郑 delegation visited.
    org = f"[市区县旗]?(?:{LOCAL_ORG.pattern})"
    absent += [m.group(0) for p in q.places if (m := re.search(re.escape(p) + org, q.standalone)) and p not in absent
               and not any(p in f"{c.chunk.title}{c.chunk.region}" or re.search(re.escape(p) + org, c.text) for c in cands)]
    if (focus or named) and not absent and not joint and kinds:
        unmet = unmet or kinds[0]
    # A presupposed event ("为什么取消了…"), or for a why-question any of its words, must be in the passages.
    joined = "".join(contexts)
    # What the question tells before the clause that asks ("既然…，这些人…", "党工委设在…，它是怎么…").
    told = "，".join(re.split(r"[，,；;]", q.standalone)[:-1])
    events = [m.group(0) for m in EVENT_WORDS.finditer(q.standalone) if m.group(0) not in joined]
    if "reason" in q.expects:
        # A follow-up's premise is its own wording; the previous question's was answered already ("称作").
        asked = reason_clause(q.text if q.follow_up else q.standalone)
        events += [w for w in words(asked) if len(w) >= 2 and not GENERIC.match(w) and w not in joined
                   and lexical.df.get(w, 0) == 0 and w not in events
                   and not (w[-1] in "里上中内" and w[:-1] in joined)]  # "镇里": the 镇 the passages name
        # "为什么要求…各建3个区域党支部" where the passages say 1个: a count the question takes for granted.
        events += contradicted_counts(asked, [h.chunk.text for h in hits[:4]])
        events += contradicted_holders(asked, [h.chunk.text for h in hits[:4]])
    elif q.places or q.entities:
        # "既然涪陵民协党委管着2000多名党员，这些人…": a count told before the asking clause about a subject of the
        # materials (a place or an organisation they name; the asker's own 厂 is no such subject).
        events += [c for c in contradicted_counts(told, [h.chunk.text for h in hits[:4]]) if c not in events]
        # "工作小组由管委会主任亲自当组长，他是怎么抓…": the passages name another 组长.
        events += [c for c in contradicted_holders(told, [h.chunk.text for h in hits[:4]]) if c not in events]
        # "党工委设在旗民政局，它是怎么统筹…": where a body sits, where the passages seat it elsewhere (设在旗委组织部)
        # or name no such body.
        seated = [m.group(1) for m in SITS_IN.finditer(joined)]
        events += [m.group(0) for m in SITS_IN.finditer(told) if m.group(0) not in events
                   and (core := re.sub(r"^[市旗区县镇乡]", "", m.group(1))) not in "".join(seated)
                   and (seated or core not in joined)]
        # "…组织30多人去焦裕禄陵园搞了为期7天的再教育": a figure or a body the passages give, but for something else.
        events += [f for f in misplaced(told, [h.chunk.text for h in hits[:4]], lexical, words) if f not in events]
    # "韩旭提了六个方面的要求，第五个是什么": the one who said what answers is another (钟攸平强调…他提出了…).
    if ranked and documents and (wrong := other_speaker(q.standalone, ranked[0], documents)):
        events.append(wrong)
    # "每年拨5万元活动经费，这笔钱从哪出": an amount or share the question takes as given must be in the passages.
    events += [f for f in unsaid_figures(q.standalone, [h.chunk.text for h in hits]) if f not in events]
    # "…是市总工会单独发文搞的" where the answering sentence says 联合印发 (the lexicon's contrasts).
    # Only what the question tells, not what it asks ("有几家后来单独建了支部" asks; 联合支部 is where they were).
    events += [word for word, against in contrasts(told) if word not in events and ranked
               and any(any(a in c.text for a in against) and word not in c.text for c in ranked[:2])]
    # "第十次会员大会上表决通过了什么" where the title says 第九次会员大会.
    events += [f for f in contradicted_ordinals(q.standalone, contexts) if f not in events]
    feats = {
        "coverage": coverage,
        "sentence_coverage": max((c.lex for c in cands), default=0.0),
        "dense": max(((h.dense or 0.0) for h in hits[:5]), default=0.0),
        "sentence_sim": max((c.sim for c in cands), default=0.0),
        "relevance": ranked[0].relevance if ranked else 0.0,  # the best sentence's score, item and kind bonuses included
        "margin": margin,
        "type_ok": float(not unmet),
        "focus_ok": float(not absent),
        "premise_ok": float(not events),
    }
    return feats, {"scope": scope, "unmet": unmet, "absent": absent, "events": events, "term": term, "marked": marked}


def anchored(text: str, lexical, words) -> bool:
    """Does the question use a word the materials are about? One the passages use repeatedly, a long name
    they use once (白景文), or two words they use once (官方微博…粉丝); "今天心情怎么样" shares one
    everyday word ("今天", once) with them."""
    if re.search(rf"(?:{NUMERAL_ABBREVIATION.pattern})(?=[”」\"'是指的]|$)", text):
        return True  # a numeral abbreviation ("四同") is spelled out in the text, never written as such
    dfs = [(lexical.df.get(w, 0), len(w)) for w in set(words(text))]
    return any(df >= 2 or (df == 1 and n >= 3) for df, n in dfs) or sum(df == 1 for df, _ in dfs) >= 2


def unknown_term(term: str, hits, lexical, words) -> bool:
    """A what-is question about a term the materials never use ("三会一课"): most of it is words they never use.
    A numeral abbreviation ("四同", "六有") is spelled out in the text instead, so it never counts as unknown."""
    if NUMERAL_ABBREVIATION.fullmatch(term) or term in "".join(h.chunk.text for h in hits):
        return False
    unseen = unseen_chars(term, lexical, words)
    # Most of it ("三会一课" of 三会一课制度) the materials never say, or a whole name of its own (苏州高新区三会一课).
    longest = max((len(list(run)) for seen, run in itertools.groupby(i in unseen for i in range(len(term))) if seen), default=0)
    return len(unseen) * 2 >= len(term) or longest >= 4


def unseen_chars(text: str, lexical, words) -> set[int]:
    """The positions of `text`'s characters in words the materials never use and in none they use: "苏州高新区" is a
    word they never use, but 苏州 and 高新区 they do, so none of its are."""
    spans: dict[bool, set[int]] = {True: set(), False: set()}
    for w in {w for w in words(text) if len(w) >= 2}:
        for m in re.finditer(re.escape(w), text):
            spans[lexical.df.get(w, 0) > 0].update(range(m.start(), m.end()))
    return spans[False] - spans[True]


def probability(feats: dict, weights: dict) -> float:
    """Logistic model: standardized features, weights and bias from decision.toml."""
    z = weights["bias"]
    for name in FEATURES:  # a feature the file has no weight for (not fitted yet) counts nothing
        mean, scale = weights["mean"].get(name, 0.0), weights["scale"].get(name, 1.0) or 1.0
        z += weights["weight"].get(name, 0.0) * (feats[name] - mean) / scale
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def decide(q: Question, grams: list[str], cands: list[Candidate], hits, lexical, words,
           weights: dict | None = None, documents: dict | None = None) -> Decision:
    """answered / partial / refused, with the probability, the features and the gap to state."""
    if not hits or not cands:
        return Decision("refused", 0.0, {}, reason="no passages retrieved")
    weights = weights or load_weights()
    feats, why = features(q, grams, cands, hits, lexical, words, documents)
    p = probability(feats, weights)
    rounded = {k: round(v, 3) for k, v in feats.items()}
    if feats["dense"] < weights.get("dense_floor", 0.0):  # no passage is even about the subject
        return Decision("refused", p, rounded, reason=f"best passage similarity {feats['dense']:.3f} below the floor")
    if not anchored(q.standalone, lexical, words):
        return Decision("refused", p, rounded, reason="no word of the question is a subject of the materials")
    if q.term and unknown_term(q.term, hits, lexical, words):
        return Decision("refused", p, rounded, reason=f"the term '{q.term}' is not in the materials")
    # Refuse on the support the passages give; a check that fails (no year, no such person, a premise not
    # said) makes the answer partial — the gap said plainly — unless the support is weak as well.
    support = probability({**feats, **dict.fromkeys(GATES, 1.0)}, weights)
    best = max(cands, key=lambda c: c.relevance)
    if support < weights["refuse_below"] and not said_verbatim(q, best):
        return Decision("refused", p, rounded, reason=f"answerability {support:.2f} below {weights['refuse_below']}")
    if why["absent"]:
        names = "、".join(why["absent"])
        return Decision("partial", p, rounded, f"资料中没有关于“{names}”的内容", reason=f"{names} not in the passages")
    if why["events"]:
        word = why["events"][0]
        return Decision("partial", p, rounded, f"资料中没有“{word}”的相关说法", reason=f"premise '{word}' not in the passages")
    if why["unmet"] in SCOPED_GAPS:  # the gap is the item, part or rest asked about, said in its own words
        text, reason = SCOPED_GAPS[why["unmet"]]
        return Decision("partial", p, rounded, text.format(item=cn_ordinal(q.item), scope=why["scope"]), reason=reason)
    if why["unmet"]:
        thing = f"“{q.counts}”" if why["unmet"] in ("number", "person", "money") and q.counts else \
            f"“{q.share_of}”" if why["unmet"] == "share" and q.share_of else \
            f"“{why['term'] or defined_term(q.standalone)}”" if why["unmet"] in ("concept", "detail") else _topic(q)
        return Decision("partial", p, rounded, f"资料中没有{thing}的{KIND_WORDS[why['unmet']]}",
                        reason=f"no {why['unmet']} in the answering sentences")
    if why["marked"]:  # "第二条是什么" answered by the sentence opening "二是…"
        return Decision("answered", p, rounded)
    if p < weights["answer_above"] and feats["sentence_coverage"] < RELATED and not in_their_words(q, best) \
            and not shares_rare_word(q, best, lexical, words) and not said_verbatim(q, best):
        return Decision("refused", p, rounded, reason="unsure, and no sentence shares the question's words")
    if p < weights["answer_above"]:
        return Decision("partial", p, rounded, "资料中没有直接回答这个问题的内容",
                        reason=f"answerability {p:.2f} below {weights['answer_above']}")
    return Decision("answered", p, rounded)


def subject_words(q: Question, lexical, words, limit: int = SUBJECT_WORDS) -> list[str]:
    """The question's most specific words that the materials use (by IDF): what it is about."""
    found = [w for w in dict.fromkeys(words(q.standalone)) if len(w) >= 2 and lexical.idf(w) > 0
             and lexical.df.get(w, 0) > 0]
    return sorted(found, key=lambda w: -lexical.idf(w))[:limit]


def _on_subject(c: Candidate, subject: list[str], kind: str) -> bool:
    """A figure, date or length answers only in a sentence about what the question is about: "培训班每期多长时间"
    is not answered by "为期7天的考察" nearby."""
    return kind not in FIGURE_KINDS or not subject or any(w in c.text.lower() for w in subject)


def in_their_words(q: Question, best: Candidate) -> bool:
    """The best sentence says what the question describes in the materials' words: it holds whole the term the
    lexicon gives for a phrase of the question's situation (跟着学 -> 典型示范). Colloquial wording shares few
    bigrams with any sentence, so the share alone would refuse it. A word's plain synonym (业主 -> 出资人)
    names who or what it is about, not what it asks, and does not count."""
    return any(len(key) >= 3 and v not in q.standalone and v in best.text for key, v in synonym_pairs(q.standalone))


# What a question may tell of its subject that the passages give elsewhere: a length, a count, an amount, a body.
TOLD_FACT = re.compile(r"为期\s*[\d一二三四五六七八九十两]+\s*(?:天|日|个月|周)|\d+(?:\.\d+)?\s*(?:余|多)?(?:万元|元|名|人|家|个|天|%)"
                       r"|[\u4e00-\u9fff]{1,4}局(?:牵头|负责|主管|主抓|发起|组织|成立|印发|联合)")


def misplaced(told: str, passages: list[str], lexical, words) -> list[str]:
    """Facts the told part of a question ties to its subject which every passage sentence giving them ties to
    something else: "新郑市工商联组织30多人去焦裕禄陵园搞了为期7天的再教育" where 为期7天 is said of the trip to
    杭州 and the 焦裕禄陵园 sentences give no length. The subject is the clause's rarest words the materials use."""
    sentences = [x for p in passages for x in re.split(r"(?<=[。；;！？!?])", p) if x.strip()]
    out = []
    for clause in re.split(r"[，,；;。]", told):
        known = [w for w in dict.fromkeys(words(clause)) if len(w) >= 2 and lexical.df.get(w, 0) > 0
                 and not re.search(r"\d", w) and not places_in(w)]
        for m in TOLD_FACT.finditer(clause):
            found = [w for w in known if w not in m.group(0)]  # the subject, not the fact told of it
            if not found:
                continue
            least = min(lexical.df[w] for w in found)
            anchors = [w for w in found if lexical.df[w] == least]
            body = re.search(r"[\u4e00-\u9fff]{2}局", m.group(0))
            core = body.group(0) if body else re.sub(r"^为期\s*|\s|余|多", "", m.group(0))  # 克旗民政局牵头 -> 民政局
            holding = [x for x in sentences if core in re.sub(r"\s|余|多", "", x)]
            if (holding or body) and not any(a in x for a in anchors for x in holding):
                out.append(m.group(0))
    return out


def said_verbatim(q: Question, best: Candidate) -> bool:
    """The best sentence holds a saying of six characters or more the question quotes ("领导老挂嘴边一句“只能加强不能
    削弱”，这话出自哪个文件"): whatever else the question tells, that sentence is what it asks about."""
    return any(len(t) >= SAYING and quotes(t, best.text) for t in QUOTED.findall(q.standalone))


def shares_rare_word(q: Question, best: Candidate, lexical, words) -> bool:
    """The best sentence holds a word of three characters or more that the question uses and the materials use in
    one or two passages only ("咱永康有家出租车公司…": 出租车, in the sentence about 康迪公司's 出租车驾驶员). A
    situation told in everyday words shares few bigrams with any sentence, but such a word says what it is about."""
    return any(len(w) >= 3 and 0 < lexical.df.get(w, 0) <= 2 and w in best.text and not places_in(w)
               for w in words(q.standalone))


def _topic(q: Question) -> str:
    t = re.sub(r"(?:每年|一共|总共|具体|大概|大约|有|是|给|了|的)", "", q.standalone)
    t = re.split(r"多少|几|哪一年|哪年|哪一天|什么时候|何时|多长|多久|比例|占比", t)[0]
    t = t.strip(" ？?，,。")
    return f"“{t}”" if 2 <= len(t) <= 16 else "这方面"
