"""answer(question) -> Answer: retrieve, decide whether the knowledge base supports an answer,
then compose a short extractive answer in which every sentence cites its passage."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

import numpy as np

from .chunk import ENUMERATOR, FULL_SENTENCE_END, SENTENCE_END, split_sentences
from .errors import InvalidInputError
from .index import KnowledgeBase, Snapshot, unit_vectors
from .search import search
from .settings import Settings
from .topics import suggest, welcome_answer
from .types import Answer, Chunk, Citation, Hit

REFUSAL = "抱歉，知识库中没有找到能回答这个问题的依据。为保证准确，我只根据已收录的党建资料作答，不凭空回答。"
REFUSAL_INJECTION = "抱歉，我只回答非公企业党建工作方面的问题，不能执行这类指令，也不会透露系统设置。"
SUGGEST_LEAD = "您可以试着问问这些相关内容："

HOW_TO = re.compile(r"怎么|怎样|如何|咋|办法|措施|途径|步骤|做法|哪些方式|什么方式|通过什么|渠道|怎么办")
# Attempts to steer the bot instead of asking it something.
INJECTION = re.compile(
    r"忽略.{0,8}(指令|指示|提示|规则|设定|要求)|无视.{0,8}(指令|规则)|(系统|初始)\s*(提示词|提示|指令|prompt)|提示词"
    r"|你的(设定|配置|规则|指令)|扮演|角色扮演|越狱|jailbreak|ignore\s+(all\s+)?(previous|prior|above)"
    r"|system\s*prompt|developer\s+mode|开发者模式|(输出|打印|显示|告诉我).{0,6}(配置|密钥|token|api\s*key|环境变量)",
    re.IGNORECASE,
)
FOLLOW_UP = re.compile(r"^(那|那么|那该|这个|这|它|其|具体|还有|然后|另外|此外|除此之外|那具体|那要|那如果|如果是)")
YEAR = re.compile(r"(?:19|20)\d{2}\s*年")


@dataclass(frozen=True)
class Assessment:
    supported: bool
    coverage: float
    dense: float
    reason: str


def clean_question(question: str, settings: Settings) -> str:
    """Collapse whitespace and enforce the length limit; empty questions are an input error."""
    q = re.sub(r"\s+", " ", question or "").strip()
    if not q:
        raise InvalidInputError("问题不能为空，请输入您想了解的党建工作问题")
    if len(q) > settings.max_question_chars:
        raise InvalidInputError(f"问题太长了（{len(q)}字），请精简到{settings.max_question_chars}字以内")
    return q


def standalone_question(question: str, history: list[str] | None, words=None) -> str:
    """Rewrite a follow-up ("那具体怎么做？", "党费呢？") into a standalone question using the previous
    question. A question with content of its own stays as it is, however short."""
    if not history:
        return question
    prev = history[-1]
    core = re.sub(r"\W", "", question)
    own_words = words(question) if words else [w for w in re.findall(r"[\u4e00-\u9fff]{2,}", question)]
    elliptical = len(core) <= 8 and core.endswith("呢")
    if FOLLOW_UP.match(question) or elliptical or not own_words:
        return f"{prev} {question}"
    return question


def assess(question: str, hits: list[Hit], kb: KnowledgeBase, snap: Snapshot, settings: Settings) -> Assessment:
    """Is there support in the top passages? IDF-weighted query-word coverage, a year check, and
    the dense similarity; thresholds are calibrated on the dev set."""
    if not hits:
        return Assessment(False, 0.0, 0.0, "no passages retrieved")
    top = hits[: settings.answer_passages]
    contexts = [h.chunk.title + h.chunk.region + h.chunk.section + h.chunk.text for h in top]
    # Support must come from one passage: words scattered over several passages answer nothing.
    coverage = max(bigram_coverage(question, c, kb) for c in contexts)
    context = "".join(contexts)
    dense = max((h.dense or 0.0) for h in hits[:5])
    for year in YEAR.findall(question):
        if re.sub(r"\s", "", year) not in context:
            return Assessment(False, coverage, dense, f"asks about {year}, which the passages do not cover")
    if coverage <= settings.min_coverage:  # more than half of the question's content must be covered
        return Assessment(False, coverage, dense, f"query coverage {coverage:.2f} not above {settings.min_coverage}")
    if dense < settings.min_dense:
        return Assessment(False, coverage, dense, f"dense similarity {dense:.3f} below {settings.min_dense}")
    return Assessment(True, coverage, dense, "")


def bigram_coverage(question: str, context: str, kb: KnowledgeBase) -> float:
    """Share of the question's content bigrams (inside its words, stopwords removed) found in context.
    Bigrams tolerate segmentation slips and paraphrase better than whole words do."""
    grams = question_bigrams(question, kb)
    if not grams:
        return 0.0
    return sum(g in context for g in grams) / len(grams)


@dataclass(frozen=True)
class Pick:
    chunk: Chunk
    rank: int
    start: int  # absolute offsets into the document text
    end: int
    text: str
    score: float = 0.0


def question_bigrams(question: str, kb: KnowledgeBase) -> list[str]:
    """Content bigrams of the question: inside its words, stopwords removed."""
    words = kb.tokenizer.words(question)
    return list(dict.fromkeys(w[i : i + 2] for w in words if len(w) >= 2 for i in range(len(w) - 1)))


LIST_QUESTION = re.compile(r"哪几|哪些|几个方面|几方面|几项|几点|包括什么|包括哪|有什么|是什么|指的是|具体是")
LIST_SENTENCE = re.compile(r"[一二三四五六七八九十两几]+(?:个方面|方面|项|点|大做法|条)|[:：]\s*(?:一是|1[、.]|首先)|如下|以下")
# "四同", "六有", "两带": a numeral plus one character abbreviates a list of items that share it.
ABBREVIATION = re.compile(r"[“\"‘']([一二三四五六七八九十两])([\u4e00-\u9fff])[”\"’']")
NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2}


class Scorer:
    """IDF-weighted share of the question's bigrams in a sentence; bigrams found only in the
    sentence's passage (title, section, neighbouring text) count at half weight."""

    def __init__(self, question: str, kb: KnowledgeBase, snap: Snapshot) -> None:
        self.grams = question_bigrams(question, kb)
        self.weights = {g: snap.lexical.bigram_idf(g) for g in self.grams}
        self.total = sum(self.weights.values()) or 1.0
        self.list_question = bool(LIST_QUESTION.search(question))
        self.abbreviations = [(NUMERALS[n], ch) for n, ch in ABBREVIATION.findall(question)]

    def __call__(self, text: str, context: str = "") -> float:
        got = sum(w for g, w in self.weights.items() if g in text)
        ctx = sum(w for g, w in self.weights.items() if g not in text and g in context)
        score = (got + 0.5 * ctx) / self.total
        if self.list_question and (LIST_SENTENCE.search(text) or text.count("、") >= 3):
            score += 0.15
        for n, ch in self.abbreviations:
            if len(re.findall(ch + r"[\u4e00-\u9fff]", text)) >= n:
                score += 0.3
        return score


def _units(hit: Hit, rank: int, ends=FULL_SENTENCE_END) -> list[Pick]:
    c = hit.chunk
    return [Pick(c, rank, s.start + c.start, s.end + c.start, c.text[s.start : s.end])
            for s in split_sentences(c.text, ends=ends)]


def _following(pick: Pick, snap: Snapshot, ends=FULL_SENTENCE_END) -> Pick | None:
    """The next sentence (full, or up to ；with SENTENCE_END) in the same paragraph of the document."""
    doc = snap.documents.get(pick.chunk.source)
    if not doc:
        return None
    line_end = doc.text.find("\n", pick.end)
    line_end = len(doc.text) if line_end < 0 else line_end
    spans = split_sentences(doc.text[pick.end : line_end], pick.end, ends=ends)
    if not spans:
        return None
    s = spans[0]
    owner = _owning_chunk(snap, pick.chunk.source, s.start, s.end) or pick.chunk
    return Pick(owner, pick.rank, s.start, s.end, doc.text[s.start : s.end], pick.score)


SHORT_UNIT = 20
BACK_REFERENCE = re.compile(r"^(?:如|例如|比如|譬如|其中|这些|这一|此外|同时|并|通过这)")


def _preceding(pick: Pick, snap: Snapshot) -> Pick | None:
    """The previous full sentence in the same paragraph of the document."""
    doc = snap.documents.get(pick.chunk.source)
    if not doc:
        return None
    line_start = doc.text.rfind("\n", 0, pick.start) + 1
    spans = split_sentences(doc.text[line_start : pick.start], line_start, ends=FULL_SENTENCE_END)
    if not spans:
        return None
    s = spans[-1]
    owner = _owning_chunk(snap, pick.chunk.source, s.start, s.end) or pick.chunk
    return Pick(owner, pick.rank, s.start, s.end, doc.text[s.start : s.end], pick.score)


def _expand_enumeration(pick: Pick, snap: Snapshot) -> list[Pick]:
    """A sentence that opens a list ("提出了六个方面的要求:一是…") brings the list items with it."""
    if not re.search(r"[:：]\s*(一是|1[、.]|首先)|[:：]$|如下|以下几", pick.text):
        return []
    items, cur = [], pick
    while (nxt := _following(cur, snap, SENTENCE_END)) is not None and len(items) < 9:
        cur = nxt
        if ENUMERATOR.match(nxt.text):
            items.append(nxt)
    return items


def _owning_chunk(snap: Snapshot, source: str, start: int, end: int) -> Chunk | None:
    """The chunk of `source` whose span holds [start, end) — only that document's chunks are looked at."""
    return next((c for c in snap.by_source.get(source, ()) if c.start <= start and end <= c.end), None)


def _first_clause(p: Pick, limit: int = 60) -> Pick:
    """Shorten a long list item to its first clause(s); the result is still an exact quote."""
    if len(p.text) <= limit:
        return p
    spans = split_sentences(p.text)
    first = spans[0] if spans else None
    if first and first.end <= limit:
        return Pick(p.chunk, p.rank, p.start, p.start + first.end, p.text[: first.end], p.score)
    cut = max(p.text.rfind(m, 0, limit) for m in "，,")
    cut = cut + 1 if cut > 10 else limit
    return Pick(p.chunk, p.rank, p.start, p.start + cut, p.text[:cut], p.score)


def _best_clauses(p: Pick, score: Scorer, budget: int) -> list[Pick]:
    """For an over-long sentence keep its best clause (split at ；) and the clauses right after it."""
    clauses = [Pick(p.chunk, p.rank, s.start + p.start, s.end + p.start, p.text[s.start : s.end])
               for s in split_sentences(p.text)]
    if len(clauses) <= 1:
        return [p]
    best = max(range(len(clauses)), key=lambda i: score(clauses[i].text))
    out, used = [], 0
    for c in clauses[best:]:
        if out and used + len(c.text) > budget:
            break
        out.append(c)
        used += len(c.text)
    return out


def _semantic(question_vec, picks: list[Pick], kb: KnowledgeBase, snap: Snapshot) -> list[float]:
    """Cosine similarity of each unit to the question, rescaled to 0..1 across the candidates."""
    sims = []
    by_chunk: dict[str, list[int]] = {}
    for i, p in enumerate(picks):
        by_chunk.setdefault(p.chunk.id, []).append(i)
    sims = [0.0] * len(picks)
    for idx in by_chunk.values():
        vecs = unit_vectors(kb, picks[idx[0]].chunk, [picks[i].text for i in idx], snap)
        for i, v in zip(idx, vecs, strict=True):
            sims[i] = float(np.dot(v, question_vec))
    lo, hi = min(sims), max(sims)
    return [(x - lo) / (hi - lo) if hi > lo else 1.0 for x in sims]


def compose(question: str, hits: list[Hit], kb: KnowledgeBase, snap: Snapshot, settings: Settings,
            question_vec=None):
    """Choose the answering sentences and render them with [n] markers; returns (text, citations)."""
    score = Scorer(question, kb, snap)
    raw = [p for rank, h in enumerate(hits[: settings.answer_passages]) for p in _units(h, rank)]
    if not raw:
        return "", ()
    if question_vec is None:
        question_vec = kb.embedder.embed_query(question)
    sem = _semantic(question_vec, raw, kb, snap)
    w = settings.semantic_weight
    units = [
        Pick(p.chunk, p.rank, p.start, p.end, p.text,
             ((1 - w) * score(p.text, p.chunk.title + p.chunk.region + p.chunk.section + p.chunk.text) + w * s - 0.03 * p.rank)
             * (0.8 if len(p.text) < SHORT_UNIT else 1.0))  # short lead-ins embed deceptively close
        for p, s in zip(raw, sem, strict=True)
    ]
    units.sort(key=lambda p: -p.score)
    top = units[0]
    if score.list_question:
        # Answer-type match: a list question prefers a sentence that opens a list, if nearly as good.
        intro = next((p for p in units[:6] if _expand_enumeration(p, snap)), None)
        if intro and intro.score >= top.score - 0.12:
            top = intro
    budget = settings.answer_max_chars
    chosen: list[Pick] = [top]
    if BACK_REFERENCE.match(top.text) and (prev := _preceding(top, snap)):
        chosen.insert(0, prev)  # "如选派…" illustrates the sentence before it, which states the point
    if len(top.text) < 25 and (nxt := _following(top, snap)):
        chosen.append(nxt)  # "一是开展宗旨主题教育。" is a lead-in: the content follows it
    items = _expand_enumeration(top, snap)
    if items:
        chosen[0] = _first_clause(top, 120)
        used = len(chosen[0].text)
        for item in items:
            short = _first_clause(item)
            if used + len(short.text) > budget:
                break
            chosen.append(short)
            used += len(short.text)
        return _render(question, chosen, snap)
    if len(top.text) > budget * 0.7:
        chosen = _best_clauses(top, score, int(budget * 0.7))
    used = sum(len(p.text) for p in chosen)
    for p in units[1:]:
        # Sentences beside the best one may add detail; from other passages only if nearly as good.
        bar = 0.75 if p.chunk.id == top.chunk.id else 0.9
        if len(chosen) >= 3 or p.score < max(0.35, bar * top.score) or used + len(p.text) > budget:
            continue
        if any(p.start < c.end and c.start < p.end and p.chunk.source == c.chunk.source for c in chosen):
            continue
        chosen.append(p)
        used += len(p.text)
    # Best passage first; within a passage, document order.
    best_of = {}
    for p in chosen:
        best_of[p.chunk.id] = max(best_of.get(p.chunk.id, -9.0), p.score)
    chosen.sort(key=lambda p: (-best_of[p.chunk.id], p.start))
    return _render(question, chosen, snap)


def _render(question: str, chosen: list[Pick], snap: Snapshot):
    numbers: dict[str, int] = {}
    spans: dict[str, list[Pick]] = {}
    for p in chosen:
        numbers.setdefault(p.chunk.id, len(numbers) + 1)
        spans.setdefault(p.chunk.id, []).append(p)
    lines = []
    steps = len(chosen) > 1 and (HOW_TO.search(question) or len(chosen) > 2)
    for i, p in enumerate(chosen, start=1):
        body = p.text.strip().rstrip("。；;，,.!！?？")
        body = re.sub(r"^[一二三四五六七八九十]+是[，,]?", "", body) if steps else body
        n = numbers[p.chunk.id]
        # Every clause that a reader (or the eval) would split off carries its own marker.
        body = re.sub(r"([。！？；!?;][”’」』）)]*)(?=.)", lambda m, n=n: f"[{n}]{m.group(1)}", body)
        line = f"{body}[{n}]。"
        lines.append(f"{i}. {line}" if steps else line)
    text = "\n".join(lines) if steps else "".join(lines)
    citations = []
    for cid, n in numbers.items():
        ps = spans[cid]
        c = ps[0].chunk
        start = min(p.start for p in ps)
        end = max(p.end for p in ps)
        doc = snap.documents.get(c.source)
        quote = doc.text[start:end] if doc else " ".join(p.text for p in ps)
        citations.append(
            Citation(n=n, chunk_id=cid, source=c.source, title=c.title, publisher=c.publisher, date=c.date,
                     section=c.section, quote=quote, start=start, end=end, passage=c.text)
        )
    return text, tuple(citations)


def suggestions(hits: list[Hit], limit: int = 3) -> tuple[str, ...]:
    """Up to `limit` nearest topics from the knowledge base, for refusals: "topic（《short title》）"."""
    out: list[str] = []
    for h in hits:
        c = h.chunk
        if c.section:
            label = c.section.split(" > ")[-1]
        else:
            first = split_first_sentence(c.text)
            label = re.split(r"[，,；;：:]", first)[0]
        label = re.sub(r"^[一二三四五六七八九十\d]+[、.．]|^[(（][一二三四五六七八九十]+[)）]、?|^[一二三四五六七八九十]+是", "", label)
        label = label.strip("。，,：: ")
        if len(label) < 4 or re.search(r"\d", label):
            continue  # a bare number or fragment is no topic
        title = c.title if len(c.title) <= 16 else c.title[:15] + "…"
        topic = f"{label[:28]}（《{title}》）"
        if all(not t.startswith(label[:28]) for t in out):
            out.append(topic)
        if len(out) >= limit:
            break
    return tuple(out)


def split_first_sentence(text: str) -> str:
    spans = split_sentences(text)
    return text[spans[0].start : spans[0].end] if spans else text[:30]


@dataclass(frozen=True)
class Prepared:
    """A question ready to be answered: cleaned, made standalone, searched once, support confirmed."""

    question: str
    standalone: str
    snap: Snapshot
    hits: list[Hit]
    qvec: np.ndarray
    verdict: Assessment
    timings: dict


def prepare(question: str, kb: KnowledgeBase, settings: Settings, rewrite) -> Prepared | Answer:
    """Everything before composing, shared by the extractive and the LLM path: clean the question,
    stop instructions, rewrite follow-ups (`rewrite(q)`), embed the query once, search, and assess
    support. Returns the refusal Answer when there is nothing to answer from."""
    t0 = time.perf_counter()
    q = clean_question(question, settings)
    snap = kb.snapshot()
    if (welcome := welcome_answer(q, snap)) is not None:  # greetings, "你能做什么", "/help" typed as text
        return welcome
    if INJECTION.search(q):
        return Answer(question=q, text=REFUSAL_INJECTION, refused=True, mode="refusal",
                      reason="instruction or prompt-injection attempt",
                      timings={"total": (time.perf_counter() - t0) * 1000})
    standalone = rewrite(q)
    qvec = kb.embedder.embed_query(standalone)
    hits = search(kb, standalone, settings, snap=snap, qvec=qvec)
    verdict = assess(standalone, hits, kb, snap, settings)
    timings = {"retrieve": (time.perf_counter() - t0) * 1000}
    prepared = Prepared(q, standalone, snap, hits, qvec, verdict, timings)
    if not verdict.supported:
        return refusal(prepared, verdict.reason)
    return prepared


def refusal(p: Prepared, reason: str, **guard) -> Answer:
    """The fixed refusal with the nearest topics, keeping what retrieval found for trainers."""
    info = {"coverage": round(p.verdict.coverage, 3), "dense": round(p.verdict.dense, 3), **guard}
    return Answer(question=p.question, text=REFUSAL, refused=True, retrieved=tuple(p.hits), mode="refusal",
                  suggestions=suggest(p.hits, p.snap), reason=reason, standalone_question=p.standalone,
                  guard=info, timings=p.timings)


def answer(
    question: str,
    kb: KnowledgeBase,
    settings: Settings,
    *,
    history: list[str] | None = None,
) -> Answer:
    """Answer from the knowledge base only, or refuse with the nearest topics."""
    p = prepare(question, kb, settings, lambda q: standalone_question(q, history, kb.tokenizer.words))
    if isinstance(p, Answer):
        return p
    t0 = time.perf_counter()
    text, citations = compose(p.standalone, p.hits, kb, p.snap, settings, question_vec=p.qvec)
    timings = {**p.timings, "compose": (time.perf_counter() - t0) * 1000}
    if not text:
        return replace(refusal(p, "no answering sentence"), timings=timings)
    return Answer(question=p.question, text=text, citations=citations, retrieved=tuple(p.hits), mode="extractive",
                  standalone_question=p.standalone, timings=timings,
                  guard={"coverage": round(p.verdict.coverage, 3), "dense": round(p.verdict.dense, 3)})


def render_sources(ans: Answer) -> str:
    """The plain-text sources block: [n] 《title》（publisher，date）· section · “quote”."""
    lines = []
    for c in ans.citations:
        meta = "，".join(x for x in (c.publisher, c.date) if x) or "来源信息不详"
        sec = f" · {c.section.split(' > ')[-1]}" if c.section else ""
        lines.append(f"[{c.n}] 《{c.title}》（{meta}）{sec} ·“{c.quote}”")
    return "\n".join(lines)


def render_text(ans: Answer) -> str:
    """Answer plus sources (or refusal plus suggestions) as plain text, for the CLI and plain channels."""
    if ans.refused or not ans.citations:  # a refusal or a welcome: the suggested questions follow
        lead = [SUGGEST_LEAD] if ans.refused and ans.suggestions else []
        return "\n".join([ans.text, *lead, *(f"· {s}" for s in ans.suggestions)])
    return f"{ans.text}\n\n来源：\n{render_sources(ans)}"
