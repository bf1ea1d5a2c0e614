"""Candidate answer sentences of the top passages, each scored once for how well it answers the
question; the decision and the composition both read these scores."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .chunk import FULL_SENTENCE_END, split_sentences
from .index import KnowledgeBase, Snapshot, unit_vectors
from .kinds import SPEECH_VERBS, holds
from .places import local_place
from .terms import ASKS_ITEMS, item_marker, items_in, lists_items, numbered_terms
from .types import Chunk, Hit
from .understand import Question

OPENS_LIST = re.compile(r"[:：]\s*(?:一是|1[、.]|首先)|[:：]$|如下|以下|(?:[一二三四五六七八九十两]|几)(?:个方面|方面|项|点|大做法|条)[^，。]{0,12}[:：]")
LIST_SHAPE = re.compile(r"(?:[^、]{1,40}、){2,}|一是.{2,}二是|[:：]\s*(?:一是|1[、.]|首先)|“[^”]{2,12}”、“")
SHORT_UNIT = 20
REASON_CUE = re.compile(r"由于|因为|针对|为了|旨在|鉴于|之所以")
# "他是怎么做到的？", "怎么省的": how a deed already told was done.
ACHIEVED = re.compile(r"(?:怎么|怎样|如何)(?:做到|办到|实现|办成|做成|搞定|弄成|干成)|(?:怎么|怎样|如何)[\u4e00-\u9fff]{1,2}(?:出来|下来)?的[呢啊]?[？?]?$")
MEANS_CUE = re.compile(r"通过|依托|借助|利用|采取|协调|积极与")
# A sentence that ends, not one the page cut off; a scraped page may end one with an ASCII full stop ("增长5.6%.").
CLOSED = re.compile(r"(?:[。！？!?；;…”’」』）)\]】:：]|(?<![\d.A-Za-z])\.)\s*$")


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    rank: int  # rank of its passage
    start: int  # absolute offsets into the document text
    end: int
    text: str
    lex: float = 0.0  # IDF-weighted share of the question's bigrams in the sentence itself
    ctx: float = 0.0  # ... in its passage's title, section and neighbouring text
    sim: float = 0.0  # cosine similarity to the question
    relevance: float = 0.0
    parts: dict = field(default_factory=dict, compare=False, hash=False)  # what `relevance` was made of


CLAUSES = re.compile(r"[；;]")
SEEN_PENALTY = 0.5  # a sentence a follow-up's previous answer already gave
SENTENCE_WEIGHTS = Path(__file__).with_name("sentence.toml")


@functools.cache
def load_sentence_weights(path: Path = SENTENCE_WEIGHTS) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def relevance(parts: dict, w: dict) -> float:
    """How well a sentence answers the question: a weighted sum of its parts, then discounted when the
    sentence is a short lead-in. `w` comes from sentence.toml (`python -m evals.fit_sentences`)."""
    s = w["semantic"]
    rel = (1 - s) * (parts["lexical"] + w["context"] * parts["context"]) + s * parts["semantic"] + w["phrase"] * parts["phrase"] - w["rank"] * parts["rank"]
    rel += sum(w.get(k, 0.0) * parts.get(k, 0.0) for k in ("kind", "term", "item", "frame", "list_opens", "list_shape", "focus"))
    rel -= w["elsewhere"] * parts.get("elsewhere", 0.0)
    if parts["short"]:
        rel *= w["short"]
    return rel


# Questions that ask nothing in particular, in everyday speech: the sentences nearest to them are the ones any
# chatty question lands on (not tuned on any question set; see `register_hub`).
CONTENT_FREE = ("有什么好办法没有？", "这个事咋整啊，求支招", "俺们这该咋弄？", "有啥经验能说说不", "这种情况怎么办才好",
                "能不能给点建议", "大家都是咋做的", "这事靠谱不", "具体该怎么搞呢", "有没有啥门道", "你给说说呗", "这个咋弄比较好")


_HUBS: dict[str, np.ndarray] = {}


def register_hub(embedder) -> np.ndarray:
    """The mean query vector of CONTENT_FREE, once per model (built with the snapshot, see answer.warm)."""
    if embedder.name not in _HUBS:
        vecs = np.asarray([embedder.embed_query(t) for t in CONTENT_FREE], dtype=np.float32)
        mean = vecs.mean(axis=0)
        _HUBS[embedder.name] = mean / np.linalg.norm(mean)
    return _HUBS[embedder.name]


def spoken_share(lift: float, w: dict) -> float:
    """How much of a question is words the materials do not use, 0 (none) to 1 (the cap's worth or more)."""
    cap = w.get("unknown_words_cap", 1.0)
    return 0.0 if cap <= 1.0 else max(0.0, min(1.0, (lift - 1.0) / (cap - 1.0)))


def question_grams(text: str, tokenizer) -> list[str]:
    """Content bigrams of the question: inside its content words, stopwords removed."""
    words = tokenizer.words(text)
    return list(dict.fromkeys(w[i : i + 2] for w in words if len(w) >= 2 for i in range(len(w) - 1)))


def idf_coverage(grams: list[str], text: str, lexical) -> float:
    """IDF-weighted share of `grams` found in `text`."""
    if not grams:
        return 0.0
    weights = [lexical.bigram_idf(g) for g in grams]
    total = sum(weights) or 1.0
    text = text.lower()  # the grams are of lowercased words
    return sum(w for g, w in zip(grams, weights, strict=True) if g in text) / total


# "对此,他提出了六个方面的要求": a sentence of a report that opens with 他 is about the one the sentences before it
# name as speaker ("钟攸平强调,…"); for the words it shares with a question, the name is part of it.
HE_OPENS = re.compile(r"^(?:对此|同时|此外|随后|接着|最后)?[,，]?(?:他|她)(?![们])")
SPEAKS = re.compile(rf"(?:^|(?<=[。！？；;\n\s]))([\u4e00-\u9fff]{{2,3}}?)(?:同志)?(?:{SPEECH_VERBS})")


def speaker_before(before: str) -> str:
    """The last person `before` (the document's text before a sentence) names as speaking ("钟攸平强调" -> 钟攸平),
    not 他/我们; within the last few hundred characters."""
    found = [m.group(1) for m in SPEAKS.finditer(before[-400:])]
    found = [f for f in found if not re.match(r"[他她我你这那其]", f)]
    return found[-1] if found else ""


def sentences_of(hit: Hit, rank: int) -> list[Candidate]:
    c = hit.chunk
    return [Candidate(c, rank, s.start + c.start, s.end + c.start, c.text[s.start : s.end])
            for s in split_sentences(c.text, ends=FULL_SENTENCE_END)]


def score_candidates(q: Question, grams: list[str], hits: list[Hit], kb: KnowledgeBase, snap: Snapshot, qvec,
                     passages: int, sentence_weights: dict | None = None) -> list[Candidate]:
    """Every sentence of the top `passages` hits with its lexical, contextual and semantic scores, and its
    relevance: the weighted parts (see `relevance`, weights in sentence.toml)."""
    sentence_weights = sentence_weights or load_sentence_weights()
    # A sentence the page breaks off mid-way ("…在外企中通过发挥工会") answers nothing, however well it matches.
    raw = [c for rank, h in enumerate(hits[:passages]) for c in sentences_of(h, rank) if CLOSED.search(c.text)]
    if not raw:
        return []
    weights = {g: snap.lexical.bigram_idf(g) for g in grams}
    total = sum(weights.values()) or 1.0
    # Words no passage uses ("闲着", "懂行") weigh most in `total` yet no sentence can match them: they would
    # shrink every sentence's word overlap against its meaning. For ranking, the overlap counts against the words
    # the materials know, lifted at most `unknown_words_cap` times (coverage for the decision keeps `total`).
    known = sum(w for g, w in weights.items() if snap.lexical.has_bigram(g)) or total
    lift = min(sentence_weights.get("unknown_words_cap", 1.0), total / known)
    # Domain synonyms of the question's words (两个党员 -> 联合组建) count at half weight.
    extra = {g: 0.5 * snap.lexical.bigram_idf(g) for g in question_grams(" ".join(q.expansions), kb.tokenizer)
             if g not in weights} if q.expansions else {}
    sims = [0.0] * len(raw)
    vectors: list = [None] * len(raw)
    by_chunk: dict[str, list[int]] = {}
    for i, c in enumerate(raw):
        by_chunk.setdefault(c.chunk.id, []).append(i)
    for idx in by_chunk.values():
        vecs = unit_vectors(kb, raw[idx[0]].chunk, [raw[i].text for i in idx], snap)
        for i, v in zip(idx, vecs, strict=True):
            sims[i] = float(np.dot(v, qvec))
            vectors[i] = v
    if (hub_weight := sentence_weights.get("register_hub", 0.0) * spoken_share(lift, sentence_weights)) > 0:
        # A question told in everyday words is near every sentence of speech ("这个做法很好"); for such a
        # question, how near a sentence is to content-free everyday questions counts against it.
        hub = register_hub(kb.embedder)
        meant = [sim - hub_weight * float(np.dot(v, hub)) for sim, v in zip(sims, vectors, strict=True)]
    else:
        meant = sims
    lo, hi = min(meant), max(meant)
    span = max(hi - lo, 0.1)  # e5 similarities are compressed: a 0.01 difference is no landslide
    kinds = q.ranked_kinds
    # Places name a whole document ("永康" is in its title or region, "我市" in its sentences).
    place_grams = {g for g in grams if any(g in p for p in q.places)}
    # Lifted when the question asks for the items ("“双强”是哪两强") or the term is a numeral and one character
    # ("四同"); "“双强”先进单位在哪个领域推" asks about something else.
    abbreviations = [t for t in numbered_terms(q.standalone)
                     if ASKS_ITEMS.search(q.standalone) or re.fullmatch(r"[一二三四五六七八九十两][\u4e00-\u9fff]", t)]
    # Phrases the question shares word for word, stopwords included ("没有党员", "不足三人").
    tri = {t for run in re.findall(r"[\u4e00-\u9fff]{3,}", q.standalone) for t in (run[i : i + 3] for i in range(len(run) - 2))}
    marker = item_marker(q.item) if q.item else None
    out = []
    for c, sim, near in zip(raw, sims, meant, strict=True):
        doc_head = f"{c.chunk.title}{local_place(c.chunk.region)}"
        head = f"{doc_head}{c.chunk.section}{c.chunk.text}"
        text = c.text.lower()  # the question's words are lowercased ("QQ群" -> qq)
        if HE_OPENS.match(c.text) and (doc := snap.documents.get(c.chunk.source)) and (who := speaker_before(doc.text[: c.start])):
            text = f"{who}{text}"
        lex = sum(w for g, w in weights.items() if g in text or (g in place_grams and g in doc_head)) / total
        lex = min(1.0, lex + sum(w for g, w in extra.items() if g in text) / total)
        if any(lists_items(term, c.text) for term in abbreviations):
            lex = max(lex, 0.8)  # "同部署、同检查、同考核、同表彰" spells out "四同"
        ctx = sum(w for g, w in weights.items() if g not in text and g in head.lower() and g not in place_grams) / total
        ctx = min(ctx, 1.0 - lex)  # a word found through its synonym in the sentence is not found again around it
        parts = {
            "lexical": min(1.0, lex * lift),
            "context": min(1.0, ctx * lift),
            "semantic": (near - lo) / span,
            "phrase": sum(t in c.text for t in tri) / len(tri) if tri else 0.0,
            "rank": float(c.rank),
            "kind": float(bool(kinds) and all(holds(q, k, c.text) for k in kinds)),
            # "“党建带工建”,根本在“带”": a definition puts its term first
            "term": float(bool(q.term) and re.sub(r"^[“\"‘'「]", "", c.text).startswith(q.term)),
            "item": float(bool(q.item) and bool(marker.search(c.text))),  # "第四个方面要求" -> "四是…"
            "frame": float(bool(q.frame) and bool(re.search(q.frame, c.text))),  # "以…为契机" fills "以什么为契机"
            "list_opens": float("list" in q.expects and bool(OPENS_LIST.search(c.text))),
            "list_shape": float("list" in q.expects and not OPENS_LIST.search(c.text) and bool(LIST_SHAPE.search(c.text))),
            "short": float(len(c.text) < SHORT_UNIT),  # short lead-ins embed deceptively close
            # "永康…覆盖达到了什么程度": a sentence from another place's document answers another question
            "elsewhere": float(bool(q.places) and not all(pl in head for pl in q.places)),
            # "那社会组织呢？": a follow-up's own words are what it asks about now
            "focus": sum(w in text for w in q.own_words) / len(q.own_words) if q.own_words else 0.0,
        }
        rel = relevance(parts, sentence_weights)
        parts["seen"] = float(bool(q.seen) and any(same_sentence(c.text, s) for s in q.seen))  # the last answer gave it
        if parts["seen"] and (q.sequel == "more" or not (answers_again(q, c.text) or CLAUSES.search(c.text))):
            rel -= SEEN_PENALTY  # a sentence of several clauses may hold what a follow-up asks, said or not
        out.append(Candidate(c.chunk, c.rank, c.start, c.end, c.text, lex, ctx, sim, rel, parts))
    if q.seen and (q.own == 0 or q.sequel) and q.sequel != "more":
        # "那具体怎么做？" / "效果怎么样？" continue where the previous answer stopped: what follows a sentence it gave.
        said = [c for c in out if c.parts["seen"]]
        last = {}
        for d in said:  # the last sentence the previous answer quoted from each document
            last[d.chunk.source] = max(last.get(d.chunk.source, 0), d.end)
        out = [replace(c, relevance=c.relevance + 0.3)
               if c.chunk.source in last and 0 <= c.start - last[c.chunk.source] <= 200 else c for c in out]
    return out


def answers_again(q: Question, sentence: str) -> bool:
    """May a follow-up quote again a sentence the previous answer gave? It wants what was not said; but what came
    of it or what is to be done next ("效果怎么样") is often the end of a sentence already quoted; "那动力靠啥？"
    after "以什么为中心" asks about a part of one ("…以改革为动力"); and a kind of fact the previous question did
    not ask may be in it: the share after a count ("比上一年多了多少" of "18.49万个,比上年增长5.6%"), or the list
    after a how ("那具体有哪几个来源？" of "“四个一”(…列支一部分、…补充一部分…)")."""
    if q.sequel == "more":
        return False  # "还有吗" wants what was not said
    kinds = q.ranked_kinds
    return bool(q.sequel or any(w in sentence.lower() for w in q.own_words)
                # "为啥偏偏是镇里？" after "把哪一级的工会建设当重点": the why is told in the sentence quoted (针对…的特点)
                or "reason" in q.expects and "reason" not in q.asked_before and bool(REASON_CUE.search(sentence))
                # "在哪办的" after "连续几年办了培训班": where it was held is told with it ("在市委党校联合举办了…")
                or "place" in q.expects and "place" not in q.asked_before and holds(q, "place", sentence)
                # "他是怎么做到的？" after "办成了什么事": the means are told with the deed (积极与…协调,从源头上解决了…)
                or bool(ACHIEVED.search(q.text)) and bool(MEANS_CUE.search(sentence))
                or kinds and not set(kinds) <= set(q.asked_before) and all(holds(q, k, sentence) for k in kinds)
                or "list" in q.expects and "list" not in q.asked_before and not q.checked_kinds
                and len(items_in(sentence)) >= 2)


def same_sentence(sentence: str, said: str) -> bool:
    """Is one the other (or part of it), citation markers and punctuation aside?"""
    a = re.sub(r"\[\d+\]|\W", "", sentence)
    b = re.sub(r"\[\d+\]|\W", "", said)
    return bool(a) and bool(b) and (a in b or b in a)
