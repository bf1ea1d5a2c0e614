"""answer(question) -> Answer, in stages a newcomer can follow:

understand (understand.py: normalize; kinds.py: expected answer kind; followup.py, parts.py) -> retrieve (search.py) ->
score the candidate sentences (candidates.py) -> decide answered / partial / refused (decide.py, weights
in decision.toml) -> compose and cite (compose.py). The LLM path (llm.py) reuses every stage but compose."""

from __future__ import annotations

import re
import time
import weakref
from dataclasses import dataclass, replace

import numpy as np

from .candidates import SEEN_PENALTY, Candidate, idf_coverage, question_grams, register_hub, score_candidates
from .compose import RELATED_LEAD, render, with_asked_item
from .compose import compose as choose_sentences
from .decide import Decision, decide
from .followup import correction_body, elliptical_subject, kind_swapped, statement_of
from .gaps import subject_words
from .index import KnowledgeBase, Snapshot
from .kinds import asking_clause, without_kind_nouns
from .lexical import proper_name
from .parts import place_lead, question_parts
from .places import YEAR, gazetteer, places_in, region_places
from .search import search
from .settings import Settings
from .slips import SlipFixer
from .terms import QUOTED, ordinal_item, quotes, slogans_of
from .topics import suggest, topics, welcome_answer
from .types import Answer, Hit, Turn
from .understand import Question, clean_input, instruction_attempt, to_simplified, understand

REFUSAL = "抱歉，知识库中没有找到能回答这个问题的依据。为保证准确，我只根据已收录的党建资料作答，不凭空回答。"
REFUSAL_INJECTION = "抱歉，我只回答非公企业党建工作方面的问题，不能执行这类指令，也不会透露系统设置、密钥或账号。"
SUGGEST_LEAD = "您可以试着问问这些相关内容："


def clean_question(question: str, settings: Settings) -> str:
    """Collapse whitespace and enforce the length limit; empty questions are an input error."""
    return clean_input(question, settings.max_question_chars)


_VOCABULARY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # KnowledgeBase -> (generation, fixer, places, slogans)


def slip_fixer(kb: KnowledgeBase, snap: Snapshot) -> SlipFixer:
    """The typing-slip fixer for this snapshot's vocabulary (built once per generation)."""
    return _vocabulary(kb, snap)[0]


def known_places(kb: KnowledgeBase, snap: Snapshot) -> frozenset[str]:
    """The places the snapshot's documents are about (their regions' stems: 苏州, 永康, 克什克腾)."""
    return _vocabulary(kb, snap)[1]


def slogans(kb: KnowledgeBase, snap: Snapshot) -> dict[str, frozenset[str]]:
    """The materials' quoted numbered slogans by what they number: "一" -> {"四个一"}, "覆盖" -> {"两个覆盖"}."""
    return _vocabulary(kb, snap)[2]


def _vocabulary(kb: KnowledgeBase, snap: Snapshot) -> tuple[SlipFixer, frozenset[str], dict[str, frozenset[str]]]:
    cached = _VOCABULARY.get(kb)
    if cached and cached[0] == snap.generation:
        return cached[1], cached[2], cached[3]
    vocab = []
    path = kb.settings.userdict_path()
    if path.is_file():
        vocab = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    words = kb.tokenizer.dictionary()
    in_vocab = {g for w in vocab for g in (w[i : i + 2] for i in range(len(w) - 1))}
    fixer = SlipFixer([d.text for d in snap.documents.values()] + [d.title for d in snap.documents.values()], vocab,
                      word_freq=lambda g: max(words.get(g, 0), 10_000 if g in in_vocab else 0),
                      corpus_words=snap.lexical.df)
    places = region_places([d.region for d in snap.documents.values()])
    numbered = slogans_of([d.text for d in snap.documents.values()])
    _VOCABULARY[kb] = (snap.generation, fixer, places, numbered)
    return fixer, places, numbered


def warm(kb: KnowledgeBase, snap: Snapshot) -> None:
    """What answering derives from a snapshot's whole text, built before the snapshot serves."""
    slip_fixer(kb, snap)
    topics(snap)
    gazetteer()  # jieba's place names and parts of speech, read from its dictionary file once
    kb.dense_state(snap.by_id)  # every vector, for an exact dense search (small collections)
    register_hub(kb.embedder)  # what everyday questions without content are near (candidates.py)


@dataclass(frozen=True)
class Prepared:
    """A question ready to be answered: understood, searched once, its sentences scored, decided."""

    question: str  # as the user typed it
    standalone: str
    q: Question
    snap: Snapshot
    hits: list[Hit]
    qvec: np.ndarray
    grams: list[str]
    candidates: list[Candidate]
    verdict: Decision
    timings: dict


def prepare(question: str, kb: KnowledgeBase, settings: Settings, rewrite=None, *,
            history: list | None = None) -> Prepared | Answer:
    """Every stage before composing, shared by the extractive and the LLM path. `rewrite(text, ruled)` may
    replace the rule-based standalone form `ruled` of a follow-up. Returns the refusal Answer when nothing supports an answer."""
    p = analyze(question, kb, settings, rewrite, history=history)
    if isinstance(p, Prepared) and p.verdict.outcome == "refused":
        return refusal(p, p.verdict.reason)
    if isinstance(p, Prepared) and p.q.sequel == "more" and nothing_more(p):
        return replace(refusal(p, "nothing more on the previous question"), text=NO_MORE)
    return p


NO_MORE = "关于这个问题，资料中能找到的内容上面已经给出，没有更多了。"
MORE_SHARE = 0.6  # "还有吗": a sentence not yet said must be this relevant, relative to the best one said


def nothing_more(p: Prepared) -> bool:
    """"还有吗" when every sentence not yet said answers much worse than the ones the earlier answers gave."""
    said = [c.relevance + SEEN_PENALTY for c in p.candidates if c.parts.get("seen")]  # "more" penalises every one
    new = [c.relevance for c in p.candidates if not c.parts.get("seen")]
    return bool(said) and max(new, default=-9.0) < MORE_SHARE * max(said)


def analyze(question: str, kb: KnowledgeBase, settings: Settings, rewrite=None, *,
            history: list | None = None) -> Prepared | Answer:
    """Understand, retrieve, score and decide, whatever the decision (the fitting script reads the
    features of refused questions too); only an instruction attempt stops early."""
    t0 = time.perf_counter()
    cleaned = clean_question(question, settings)
    snap = kb.snapshot()
    if (welcome := welcome_answer(cleaned, snap)) is not None:  # greetings, "你能做什么", "/help" typed as text
        return welcome
    vocabulary = {"fixer": slip_fixer(kb, snap), "content_words": kb.tokenizer.words,
                  "known_places": known_places(kb, snap), "slogans": slogans(kb, snap)}
    q = understand(question, max_chars=settings.max_question_chars, history=history, **vocabulary)
    if q.injection:
        return Answer(question=q.original, text=REFUSAL_INJECTION, refused=True, outcome="refused", mode="refusal",
                      reason="instruction or prompt-injection attempt",
                      timings={"total": (time.perf_counter() - t0) * 1000})
    if rewrite is not None and q.follow_up:
        rewritten = rewrite(q.text, q.standalone)
        if rewritten and rewritten != q.standalone:
            q = understand(rewritten, max_chars=max(settings.max_question_chars, len(rewritten)), **vocabulary)
            q = replace(q, original=clean_question(question, settings), follow_up=True)
    p = _retrieve_and_decide(q, kb, settings, snap, t0)
    prev_answer = (history[-1].answer if isinstance(history[-1], Turn) else "") if history else ""
    if history and q.follow_up and rewrite is None and (x := elliptical_subject(q.text, vocabulary["known_places"])) \
            and not ordinal_item(x, prev_answer):  # "第二个方面呢" of a list the answer gave is that item, no swap
        prev = history[-1].question if isinstance(history[-1], Turn) else str(history[-1])
        # "副组长呢？" after "…谁当组长？", "中小企业呢" after "…规模以上工业企业有多少户": X takes the place of the
        # phrase it is a kind of, whatever that reading finds. Else ("基础呢？" after "“党建带工建”根本在哪？") X may
        # take the place of any word: each reading is searched, and the one that answers best is kept (the
        # follow-up's own reading too).
        if YEAR.match(x) and len(x) - YEAR.match(x).end() <= 1:
            # "2015年呢？", "2015年底呢": the same question of that year, in place of the year it named or before it.
            swapped = YEAR.sub(x, prev, count=1) if YEAR.search(prev) else f"{x}{prev}"
        elif slots := quoted_slots(x, q.text, prev):
            # "“两带”呢？" after "…“三培两带一提升”里，“三培”是什么意思": the term quoted last, not one holding it
            swapped = prev[: slots[-1].start(1)] + x + prev[slots[-1].end(1) :]
        else:
            swapped = kind_swapped(x, prev, kb.tokenizer.phrase_words)
        # "那万州呢？": a name no passage has a word of is what is asked about, and the materials say nothing of it.
        unheard = len(x) >= 2 and not any(snap.lexical.has_bigram(x[i : i + 2]) for i in range(len(x) - 1)) \
            and proper_name(x)
        words = [w for w in dict.fromkeys(kb.tokenizer.words(prev)) if len(w) >= 2 and w not in x]
        texts = [swapped] if swapped else [prev.replace(w, x, 1) for w in words[:6]]
        readings = []
        for text in texts:
            alt = understand(text, max_chars=max(settings.max_question_chars, len(prev) + len(x)), **vocabulary)
            alt = replace(alt, original=q.original, follow_up=True, seen=q.seen, own_words=q.own_words,
                          places=alt.places + ((x,) if unheard and x not in alt.places else ()))
            readings.append(_retrieve_and_decide(alt, kb, settings, snap, t0))
        p = max(readings if swapped or unheard else [p, *readings], key=lambda r: (OUTCOME_RANK[r.verdict.outcome], _best(r)))
    if history and not q.follow_up and p.verdict.outcome != "answered":
        # Nothing in its wording points back ("给企业省下来多少运费"), yet on its own it finds
        # no answer: read in the light of the previous turn, it may. A new topic answers on its own and never
        # gets here; the contextual reading is kept only when it decides better.
        leaned = understand(question, max_chars=settings.max_question_chars, history=history, lean=True, **vocabulary)
        p2 = _retrieve_and_decide(leaned, kb, settings, snap, t0)
        if OUTCOME_RANK[p2.verdict.outcome] > OUTCOME_RANK[p.verdict.outcome] or subjectless(q, kb) and \
                OUTCOME_RANK[p2.verdict.outcome] == OUTCOME_RANK[p.verdict.outcome] and _best(p2) > _best(p):
            p = p2  # "培训费谁出" after 永康's training: no subject of its own, so the training's, when as well decided
    elif history and not q.follow_up and subjectless(q, kb):
        # Answered alone, yet with no subject of its own ("都去了哪些企业？" after the 杭州 trip): the reading with the
        # previous turn is kept when it decides as well and its best sentence answers better.
        leaned = understand(question, max_chars=settings.max_question_chars, history=history, lean=True, **vocabulary)
        p2 = _retrieve_and_decide(leaned, kb, settings, snap, t0)
        if OUTCOME_RANK[p2.verdict.outcome] >= OUTCOME_RANK[p.verdict.outcome] and _best(p2) > _best(p):
            p = p2
    return p


def quoted_slots(x: str, text: str, prev: str) -> list[re.Match]:
    """Terms the previous question quotes that a quoted X ("“两带”呢") may take the place of."""
    if x not in {m.group(1) for m in QUOTED.finditer(text)}:
        return []
    return [m for m in QUOTED.finditer(prev) if x not in m.group(1) and m.group(1) not in x]


def subjectless(q, kb) -> bool:
    """"都去了哪些企业？", "会员有多少人？": no place, body, year or term of its own, two content words at most."""
    words = {w for w in kb.tokenizer.words(q.standalone) if len(w) >= 2}
    words = {w for w in words if not any(w != v and w in v for v in words)}  # 培训费, not also 培训
    return not (q.places or q.entities or q.years or QUOTED.search(q.standalone)) and len(words) <= 2


OUTCOME_RANK = {"refused": 0, "partial": 1, "answered": 2}


def _best(p: Prepared) -> float:
    return max((c.relevance for c in p.candidates), default=-9.0)


def _retrieve_and_decide(q: Question, kb: KnowledgeBase, settings: Settings, snap: Snapshot, t0: float) -> Prepared:
    qvec = kb.embedder.embed_query(q.standalone)
    clause = asking_clause(q.standalone)
    if clause != q.standalone and len(clause) >= 4:
        # A situation told at length ("我是街道党工委的，总觉得…，上面把…定成了什么性质的责任？"): the asking
        # clause weighs as much as the whole in what the question means.
        both = qvec + kb.embedder.embed_query(clause)
        qvec = both / np.linalg.norm(both)
    terms = [t for t in QUOTED.findall(q.standalone) if len(t) >= 2]
    # A question quoting a term reads further down the ranking for the passages that quote it (see with_quoted).
    hits = search(kb, q.search_text, settings, snap=snap, qvec=qvec, k=settings.candidates if terms else None)
    hits, passages = with_quoted(terms, hits, settings.answer_passages, settings.top_k)
    t1 = time.perf_counter()
    grams = question_grams(without_kind_nouns(q.standalone, q.expects), kb.tokenizer)
    cands = score_candidates(q, grams, hits, kb, snap, qvec, passages)
    cands = with_asked_item(q, cands, snap)
    hits = by_best_sentence(hits, cands, passages)
    verdict = decide(q, grams, cands, hits, snap.lexical, kb.tokenizer.words, documents=snap.documents)
    timings = {"retrieve": (t1 - t0) * 1000, "decide": (time.perf_counter() - t1) * 1000}
    return Prepared(q.original, q.standalone, q, snap, hits, qvec, grams, cands, verdict, timings)


QUOTED_REACH = 2  # passages at most brought in for the terms a question quotes


def with_quoted(terms: list[str], hits: list[Hit], passages: int, top_k: int) -> tuple[list[Hit], int]:
    """A term the question quotes ("“双强”") is what it asks about: the passages quoting it are read even when search
    ranked them low (among its `candidates`, below the `top_k` it returns). They follow the passages search put
    first; returns the top_k hits with them, and how many passages to read."""
    extra = [h for h in hits[passages:] if any(quotes(t, h.chunk.text) for t in terms)][:QUOTED_REACH]
    ids = {h.chunk.id for h in extra}
    rest = [h for h in hits[passages:top_k] if h.chunk.id not in ids]
    return hits[:passages] + extra + rest, passages + len(extra)


def by_best_sentence(hits: list[Hit], cands: list[Candidate], passages: int) -> list[Hit]:
    """The passages whose sentences were scored, reordered by their best sentence: the passage that
    answers comes first among the sources, not the one that merely shares the most words."""
    best: dict[str, float] = {}
    for c in cands:
        best[c.chunk.id] = max(best.get(c.chunk.id, -9.0), c.relevance)
    head = sorted(hits[:passages], key=lambda h: -best.get(h.chunk.id, -9.0))
    top = max(cands, key=lambda c: c.relevance, default=None)
    if head and top is not None and all(h.chunk.id != top.chunk.id for h in head):
        # The answer comes from a passage search ranked low or did not return (the fourth item, in the chunk
        # after the one opening the list): it leads the sources, since it is what the answer quotes.
        found = next((h for h in hits if h.chunk.id == top.chunk.id), None)
        head = [found or Hit(top.chunk, head[0].score), *head]
    return head + [h for h in hits[passages:] if h.chunk.id != head[0].chunk.id]


def _info(p: Prepared) -> dict:
    info = {"outcome": p.verdict.outcome, "answerability": round(p.verdict.probability, 3), **p.verdict.features}
    if p.q.corrections:
        info["corrections"] = [f"{a}→{b}" for a, b in p.q.corrections]
    return info


def refusal(p: Prepared, reason: str, **guard) -> Answer:
    """The fixed refusal with the nearest topics, keeping what retrieval found for trainers."""
    return Answer(question=p.question, text=REFUSAL, refused=True, outcome="refused", retrieved=tuple(p.hits),
                  mode="refusal", suggestions=suggest(p.hits, p.snap), reason=reason, standalone_question=p.standalone,
                  guard={**_info(p), **guard}, timings=p.timings, generation=p.snap.generation)


def focus_words(p: Prepared, kb: KnowledgeBase, limit: int = 3) -> list[str]:
    """The question's most specific words that the knowledge base uses: what a sentence must be about."""
    return subject_words(p.q, p.snap.lexical, kb.tokenizer.words, limit)


def compose_prepared(p: Prepared, kb: KnowledgeBase, settings: Settings) -> tuple[str, tuple]:
    """The cited extractive text for a prepared question (with its gap stated when partial)."""
    # The clause that asks ("…学法律法规以后，企业党员员工提高了哪些意识") says which part of a long sentence answers.
    asks = re.split(r"[，,；;]", p.standalone.strip(" ？?。"))[-1]
    ask_grams = [g for g in p.grams if g in asks] or p.grams
    chosen, lead = choose_sentences(p.q, p.candidates, p.snap, focus_words(p, kb),
                                     lambda text: idf_coverage(p.grams, text, p.snap.lexical),
                                     settings.answer_max_chars,
                                     clause_score=lambda text: idf_coverage(ask_grams, text, p.snap.lexical))
    if not chosen:
        return "", ()
    gap = p.verdict.gap if p.verdict.outcome == "partial" else ""
    return render(p.q, chosen, lead, p.snap, gap)


def answer(question: str, kb: KnowledgeBase, settings: Settings, *, history: list | None = None) -> Answer:
    """Answer from the knowledge base only: answered, partly answered with the gap said plainly, or
    refused with the nearest topics. A message asking several things is answered part by part."""
    return in_parts(answer_one, question, kb, settings, history=history)


def in_parts(answer_fn, question: str, kb: KnowledgeBase, settings: Settings, *, history: list | None = None) -> Answer:
    """`answer_fn` on each question a message asks (see understand.question_parts), the answers joined;
    a message that asks one thing, or whose parts all fail, is answered whole."""
    cleaned = clean_question(question, settings)
    text = to_simplified(cleaned)
    known = known_places(kb, kb.snapshot())
    asked = place_lead(text, known)  # "那克旗呢？工会组织建了多少家？" asks "克旗工会组织建了多少家？"
    # "不对，我问的是…" is one question, whatever its commas
    parts = [] if instruction_attempt(text) or correction_body(text) is not None else question_parts(asked, kb.tokenizer.words, known)
    if len(parts) > 1:
        answers: list[Answer] = []
        for part in parts:
            a = answer_fn(part, kb, settings, history=history)
            prev = answers[-1] if answers else None
            if prev and prev.outcome != "refused" and a.outcome != "answered" \
                    and not (places_in(part, known) and places_in(prev.standalone_question or prev.question, known)):
                # "…由多少个部门组成？组长由谁担任？": a part that finds no answer alone may ask about the
                # subject of the part before it (not what that part asked, so no count is wanted now).
                # A part naming its own place after one naming another ("永康讲话里…出自哪家") is about that
                # place; after one naming none ("那工会这块咋整？苏州那嘎达是咋弄的？") it asks how that place did it.
                turn = Turn(statement_of(prev.standalone_question or prev.question), prev.text)
                leaned = answer_fn(part, kb, settings, history=[*(history or []), turn])
                if OUTCOME_RANK[leaned.outcome] > OUTCOME_RANK[a.outcome]:
                    a = leaned
            answers.append(a)
        if any(a.outcome != "refused" for a in answers):
            return join_answers(cleaned, parts, answers)
    if asked != text:
        a = answer_fn(asked, kb, settings, history=history)
        return replace(a, question=cleaned, standalone_question=a.standalone_question or asked)
    return answer_fn(question, kb, settings, history=history)


def join_answers(question: str, parts: list[str], answers: list[Answer]) -> Answer:
    """One answer from the answers to each part: citations renumbered (a quote cited twice keeps one
    number), a part the materials cannot answer said plainly; partial unless every part is answered."""
    lines: list[str] = []
    citations: list = []
    numbers: dict[tuple[str, int, int], int] = {}
    for part, a in zip(parts, answers, strict=True):
        if a.outcome == "refused":
            lines.append(f"资料中没有关于“{part.rstrip('？?。')}”的内容。")
            continue
        if a.citations and all(any(c.chunk_id == k[0] and c.start < k[2] and k[1] < c.end for k in numbers)
                               for c in a.citations) and _first_statement(a.text) in "".join(lines):
            # "有多少个业主当了书记？上头派下去多少干部？": one sentence answers both; it is shown once, and only
            # what this part lacks is said again. So when this part's quotes overlap those shown and its answer
            # opens with a statement shown already ("…18.49万个,比上年增长5.6%" for "比上年增长了多少").
            if a.outcome == "partial":
                lines.append(a.text.split(RELATED_LEAD)[0] + "。")
            continue
        mapping = {}
        for c in a.citations:
            key = (c.chunk_id, c.start, c.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(replace(c, n=numbers[key]))
            mapping[c.n] = numbers[key]
        lines.append(re.sub(r"\[(\d+)\]", lambda m, mp=mapping: f"[{mp.get(int(m[1]), m[1])}]", a.text))
    hits: dict = {}  # each part's best passages first, in turn
    for rank in range(max(len(a.retrieved) for a in answers)):
        for a in answers:
            if rank < len(a.retrieved):
                hits.setdefault(a.retrieved[rank].chunk.id, a.retrieved[rank])
    timings: dict[str, float] = {}
    for a in answers:
        for k, v in a.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    answered = all(a.outcome == "answered" for a in answers)
    first = next(a for a in answers if a.outcome != "refused")
    return Answer(question=question, text="\n".join(lines), citations=tuple(citations), retrieved=tuple(hits.values()),
                  outcome="answered" if answered else "partial", mode=first.mode,
                  standalone_question="；".join(a.standalone_question or p for p, a in zip(parts, answers, strict=True)),
                  reason="；".join(a.reason for a in answers if a.reason),
                  guard={"parts": [{"question": p, **a.guard} for p, a in zip(parts, answers, strict=True)]},
                  timings=timings, generation=first.generation)


def _first_statement(text: str) -> str:
    """The first cited statement of an answer, without its citation marks (after a partial answer's gap)."""
    body = text.split(RELATED_LEAD)[-1].strip()
    return re.sub(r"\[\d+\]", "", re.split(r"(?<=\])[。；;]", body)[0]).strip()


def answer_one(question: str, kb: KnowledgeBase, settings: Settings, *, history: list | None = None) -> Answer:
    """One question, whole."""
    p = prepare(question, kb, settings, history=history)
    if isinstance(p, Answer):
        return p
    return extractive(p, kb, settings)


def extractive(p: Prepared, kb: KnowledgeBase, settings: Settings) -> Answer:
    """The extractive answer for a prepared question (answered or partial)."""
    t0 = time.perf_counter()
    text, citations = compose_prepared(p, kb, settings)
    timings = {**p.timings, "compose": (time.perf_counter() - t0) * 1000}
    if not text:
        return replace(refusal(p, "no answering sentence"), timings=timings)
    return Answer(question=p.question, text=text, citations=citations, retrieved=tuple(p.hits),
                  outcome=p.verdict.outcome, mode="extractive", standalone_question=p.standalone,
                  reason=p.verdict.reason, timings=timings, guard=_info(p), generation=p.snap.generation)


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
