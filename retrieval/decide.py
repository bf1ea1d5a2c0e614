"""Stage 3, decide: can the retrieved passages answer the question, fully, partly, or not at all?

One calibrated decision over several signals (features below), fitted on labelled questions by
`python -m evals.fit_decision` and kept as data in decision.toml, plus two checks of meaning that no
score can replace: the answer must be of the kind asked for (a number for 多少, a year for 哪一年),
and a year or place the question names must be in the answering passage's heading, title or sentence.
A question is refused on the passages' support alone; a failed check makes the answer partial, its gap said.
The checks themselves are gaps.py: what the passages lack, and what the question takes for granted."""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from .candidates import Candidate, idf_coverage
from .gaps import missing, read, unsupported
from .kinds import asking_clause, changed_thing
from .places import places_in
from .terms import NUMERAL_ABBREVIATION, QUOTED, SAYING, cn_ordinal, defined_term, item_marker, quotes
from .understand import Question, own_ask, synonym_pairs

WEIGHTS = Path(__file__).with_name("decision.toml")
GATES = ("type_ok", "focus_ok", "premise_ok")  # the checks of meaning among the features
FEATURES = ("coverage", "sentence_coverage", "dense", "sentence_sim", "relevance", "margin", "type_ok", "focus_ok",
            "premise_ok")
KIND_WORDS = {"date": "具体日期", "year": "具体年份", "time": "具体时间", "money": "具体金额", "concept": "具体解释",
              "duration": "具体时长", "share": "具体比例", "number": "具体数字", "person": "具体人名", "payer": "出资方",
              "region": "具体地名", "place": "具体地点", "change": "具体变化幅度",
              "ranking": "排名或比较", "honour": "荣誉称号", "organisation": "具体部门或单位", "position": "具体职务", "name": "具体名称", "document": "具体文件名称", "venue": "具体会场", "title": "讲话或文章的具体题目", "charge": "负责的部门或单位", "detail": "具体内容（只提到了名称）"}
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
    "period": ("资料中没有{scope}", "the figure is of another time"),
    "deed": ("资料中没有{scope}数字", "only those that did something are counted"),
}
# An unsure decision quotes "what the materials do say" only when a sentence shares this much of the question
# (IDF-weighted bigrams); below it the quote would be unrelated. On the calibration parts every unsure question
# under it was unanswerable (6 of 6, stop 16). On stop 18's machine three answerable colloquial ones fall under it:
# a sentence that says the question's situation in the materials' words shares it too (see in_their_words), which
# answers one (h13-002); h13-004 (Cantonese 谷下) and h15-022 are still refused.
RELATED = 0.3
DECISIVE = 0.3  # a lead in relevance over the next sentence that makes the best one the answer (see decide)


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


def features(q: Question, grams: list[str], cands: list[Candidate], hits, lexical, words,
             documents: dict | None = None) -> tuple[dict, dict]:
    """The decision's inputs, and the facts behind the three checks (for the gap message). `documents` (source ->
    Document) lets the premise checks read what comes before the answering sentence."""
    own = own_ask(q)
    # "…多少人参加，谁主持的": the kinds the follow-up's own clause asks are checked by that clause, with its own
    # thing (主持), not again over the whole with the earlier clause's (参加); what the earlier turn asked was
    # answered (or said missing) then, and its sentence is no news now; a kind the two clauses only make together
    # ("我们几家小公司…咋办的，有例子没": 几家 read as asked once the clause that asks is another) was asked by neither.
    whole = q if own is None else replace(q, expects=())
    r = read(whole, cands, hits, lexical, words, documents)
    coverage = max((idf_coverage(grams, c, lexical) for c in r.contexts), default=0.0)
    ranked = r.ranked
    margin = (ranked[0].relevance - ranked[1].relevance) if len(ranked) > 1 else 0.0
    gap, asked = missing(r), q
    if gap is None and own is not None:
        # "…活动有多少人参加，回来后写了多少篇心得？": the answer must also hold what the follow-up itself asks.
        gap, asked = missing(read(own, cands, hits, lexical, words, documents)), own
    events = unsupported(r)
    # "第二条是什么" answered by the sentence opening "二是…"
    marker = item_marker(q.item) if q.item else None
    marked = bool(marker) and bool(ranked) and bool(marker.search(ranked[0].text))
    feats = {
        "coverage": coverage,
        "sentence_coverage": max((c.lex for c in cands), default=0.0),
        "dense": max(((h.dense or 0.0) for h in hits[:5]), default=0.0),
        "sentence_sim": max((c.sim for c in cands), default=0.0),
        "relevance": ranked[0].relevance if ranked else 0.0,  # the best sentence's score, item and kind bonuses included
        "margin": margin,
        "type_ok": float(gap is None),
        "focus_ok": float(not r.absent),
        "premise_ok": float(not events),
    }
    return feats, {"scope": gap.scope if gap else "", "unmet": gap.kind if gap else "", "absent": r.absent,
                   "events": events, "term": gap.term if gap else "", "marked": marked, "asked": asked}


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
    if support < weights["refuse_below"] and not said_verbatim(q, best) and not in_their_words(q, best):
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
        q = why["asked"]  # the follow-up's own ask, when that is what the answer lacks
        # what the asking clause counts ("…是几月份，谁带的队" asks no 月份 of the leader)
        thing = f"“{q.counts}”" if why["unmet"] in ("number", "person", "money", "payer") and q.counts \
            and q.counts in asking_clause(q.standalone) else \
            f"“{q.share_of}”" if why["unmet"] == "share" and q.share_of else \
            f"“{changed_thing(q.standalone)}”" if why["unmet"] == "change" and changed_thing(q.standalone) else \
            f"“{q.named}”" if why["unmet"] == "name" and q.named else \
            f"“{why['term'] or defined_term(q.standalone)}”" if why["unmet"] in ("concept", "detail") else _topic(q)
        return Decision("partial", p, rounded, f"资料中没有{thing}的{KIND_WORDS[why['unmet']]}",
                        reason=f"no {why['unmet']} in the answering sentences")
    if why["marked"]:  # "第二条是什么" answered by the sentence opening "二是…"
        return Decision("answered", p, rounded)
    if p < weights["answer_above"] and feats["sentence_coverage"] < RELATED and not in_their_words(q, best) \
            and not shares_rare_word(q, best, lexical, words) and not said_verbatim(q, best):
        return Decision("refused", p, rounded, reason="unsure, and no sentence shares the question's words")
    if p < weights["answer_above"] and q.ranked_kinds and feats["type_ok"] and feats["margin"] >= DECISIVE:
        # "克旗那边宣传册总共发出去多少份来着": one sentence far ahead of the rest holds the figure asked for, said of
        # what was asked; the few words the question shares with it do not make it less of an answer.
        return Decision("answered", p, rounded)
    if p < weights["answer_above"]:
        return Decision("partial", p, rounded, "资料中没有直接回答这个问题的内容",
                        reason=f"answerability {p:.2f} below {weights['answer_above']}")
    return Decision("answered", p, rounded)



def in_their_words(q: Question, best: Candidate) -> bool:
    """The best sentence says what the question describes in the materials' words: it holds whole the term the
    lexicon gives for a phrase of the question's situation (跟着学 -> 典型示范). Colloquial wording shares few
    bigrams with any sentence, so the share alone would refuse it. A word's plain synonym (业主 -> 出资人)
    names who or what it is about, not what it asks, and does not count."""
    return any(len(key) >= 3 and v not in q.standalone and v in best.text for key, v in synonym_pairs(q.standalone))



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
    t = re.split(r"多少|几|哪|什么|啥|何时|多长|多久|比例|占比", t)[0]  # "…机制是哪个文件规定的": 苏州党工联动机制
    t = t.strip(" ？?，,。")
    return f"“{t}”" if 2 <= len(t) <= 16 else "这方面"
