"""What the retrieved passages lack for this question, found by small checks of meaning (decide.py reads them):

- `missing`: the fact asked for is not there. The checks run in `MISSING` order and the first that finds a gap
  names it (a count of the whole for a part, a list only counted, a term only named …).
- `unsupported`: what the question takes for granted that the passages do not say or contradict. Every check in
  `UNSUPPORTED` runs; the first word found is the one the answer names.

Each check is a plain function of one `Reading` (the question with its candidate sentences, read once) and says in
its docstring which kind of question it is for."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .candidates import Candidate
from .kinds import (
    ABSOLUTE_CHANGE,
    COUNT,
    COUNTED_PREDICATE,
    EVENT_WORDS,
    GROWTH,
    INTERROGATIVE,
    SATISFIES,
    SPEECH_VERBS,
    TITLES,
    breaks_down,
    contradicted_counts,
    contradicted_holders,
    contradicted_ordinals,
    count_scope,
    figures_told_otherwise,
    holds,
    names_container,
    one_of_several,
    reason_clause,
    subset_asked,
    unsaid_figures,
    where_counted,
)
from .names import people_named
from .places import LOCAL_ORG, NOT_IN_PERSON, local_place, mentions, places_in, without_places
from .terms import (
    ASKS_ITEMS,
    LIST_OPENS,
    NUMERAL_ABBREVIATION,
    NUMERALS,
    QUOTED,
    defined_term,
    defines,
    item_marker,
    items_in,
    list_size,
    numbered_terms,
    numeral_value,
    past_the_list,
    spelled_out,
)
from .understand import Question, contradictions, synonym_pairs

# A figure, date or length must be said in a sentence holding one of the question's this many most specific words.
# Calibration: 3 words flagged one near miss more and made one answer partial; 5 flagged it alone.
SUBJECT_WORDS = 5
FIGURE_KINDS = frozenset({"duration", "number", "money", "share", "year", "date", "time"})
# Asking what a term means (not "X的重点是什么", which asks for an attribute).
MEANING_ASK = re.compile(r"什么意思|啥意思|的意思|含义|何谓|什么叫|是指什么|指的是什么|是指啥|指啥|指什么")
GENERIC = re.compile(r"^(?:为什么|为何|原因|什么|怎么|如何|哪些|多少|具体|主要|这个|那个|这么|那么|这样|那样|这些|那些|他们|她们|我们|企业|工作|党建|组织|问题|情况"
                     r"|偏偏|偏要|非得|非要|竟然|居然|还要|还得|总是|老是|一定|必须|特别|反而|就得|各自|分别|一起)$")  # adverbs: no premise



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
SITS_IN = re.compile(r"(?:设在|设于|放在|安在|挂在|隶属于?|挂靠在?|归口)([\u4e00-\u9fff]{2,8}?(?:局|厅|委员会|办公室|部|委|中心))")


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
# "三个城区分别是哪三个": the places counted first, asked after.
PLACES_THEN_WHICH = re.compile(r"([两二三四五六七八九十])个?(?:城|市|辖|街)?([区县市镇乡旗省村])[^，,。？?]{0,12}?哪\1个?(?![\u4e00-\u9fff])")


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



def subject_words(q: Question, lexical, words, limit: int = SUBJECT_WORDS) -> list[str]:
    """The question's most specific words that the materials use (by IDF): what it is about."""
    found = [w for w in dict.fromkeys(words(q.standalone)) if len(w) >= 2 and lexical.idf(w) > 0
             and lexical.df.get(w, 0) > 0 and not any(w in p or p in w for p in q.places)]
    return sorted(found, key=lambda w: -lexical.idf(w))[:limit]


def _on_subject(c: Candidate, subject: list[str], kind: str) -> bool:
    """A figure, date or length answers only in a sentence about what the question is about: "培训班每期多长时间"
    is not answered by "为期7天的考察" nearby. A word may be there as its lexicon synonym ("网上群" of "信息化建设…
    两新党建群"), and a place the question names is checked against the heading and title, not here."""
    if kind not in FIGURE_KINDS or not subject:
        return True
    text = c.text.lower()
    return any(w in text or any(v in text for _, v in synonym_pairs(w)) for w in subject)



# What a question may tell of its subject that the passages give elsewhere: a length, a count, an amount, a body.
TOLD_FACT = re.compile(r"为期\s*[\d一二三四五六七八九十两]+\s*(?:天|日|个月|周)|\d+(?:\.\d+)?\s*(?:余|多)?(?:万元|元|名|人|家|个|天|%)"
                       r"|[\u4e00-\u9fff]{1,4}局(?:牵头|负责|主管|主抓|发起|组织|成立|印发|联合)")


WENT_TO = re.compile(r"(?:去|到|赴|前往)([\u4e00-\u9fff]{2,10}?)(?:考察|学习|参观|进行|搞|开展|接受|交流|培训|了|的)")


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
            # "去焦裕禄陵园考察了整整7天": where they went is the subject too; 7天 said of the trip to 杭州 is not it.
            went = [w for w in known if w in (dest.group(1) if (dest := WENT_TO.search(clause)) else "")]
            # the tokenizer's words are lower case ("qq" of 党建QQ群)
            if (holding or body) and (not any(a in x.lower() for a in anchors for x in holding)
                                      or went and not any(w in x.lower() for w in went for x in holding)):
                out.append(m.group(0))
    return out



@dataclass(frozen=True)
class Reading:
    """The question with its candidate sentences, read once for all the checks."""

    q: Question
    cands: list[Candidate]
    ranked: list[Candidate]  # best first
    relevant: list[Candidate]  # the sentences that may answer: sharing words and near the best
    hits: list
    contexts: list[str]  # the top passages with their titles and headings
    lexical: object
    words: Callable[[str], list[str]]
    documents: dict | None
    focus: list[str]  # the years and places the question names
    named: list[str]  # organisations it names that the passages name too
    typed: list[Candidate]  # relevant sentences holding the kind of fact asked for
    focused: list[Candidate]  # relevant sentences about the years, places and organisations named
    absent: list[str]  # the years, places and organisations named that no sentence is about
    told: str  # what the question tells before the clause that asks ("既然…，这些人…")

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.q.checked_kinds

    @property
    def passages(self) -> list[str]:
        return [h.chunk.text for h in self.hits[:4]]


@dataclass(frozen=True)
class Gap:
    kind: str  # a key of decide.SCOPED_GAPS or decide.KIND_WORDS
    scope: str = ""  # the part, list or rest it is about
    term: str = ""  # the term only named


def read(q: Question, cands: list[Candidate], hits, lexical, words, documents: dict | None = None) -> Reading:
    """Read the question against its candidates once: which sentences may answer, hold the kind of fact asked for,
    and are about the years, places and organisations it names."""
    contexts = [f"{h.chunk.title}{h.chunk.region}{h.chunk.section}{h.chunk.text}" for h in hits[:4]]
    ranked = sorted(cands, key=lambda c: -c.relevance)
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
    absent = [f for f in focus if not any(f in _head(c) for c in cands if c.lex > 0)]
    # "杭州工商联是怎么抓…": a place named as an organisation's is that organisation's document or its name in the
    # text, not a city the 新郑 delegation visited.
    org = f"[市区县旗]?(?:{LOCAL_ORG.pattern})"
    absent += [m.group(0) for p in q.places if (m := re.search(re.escape(p) + org, q.standalone)) and p not in absent
               and not any(p in f"{c.chunk.title}{c.chunk.region}" or re.search(re.escape(p) + org, c.text) for c in cands)]
    told = "，".join(re.split(r"[，,；;]", q.standalone)[:-1])
    return Reading(q, cands, ranked, relevant, hits, contexts, lexical, words, documents, focus, named, typed, focused,
                   absent, told)


# --- missing: the fact asked for is not in the passages --------------------------------------------------------


def beyond_the_list(r: Reading) -> Gap | None:
    """"“三项建设”的第五项": an item past the list's own size."""
    return Gap("item") if past_the_list(r.q.standalone, r.q.item) else None


def kind_unmet(r: Reading) -> Gap | None:
    """A number for 多少, a year for 哪一年 …: some sentence about the question's subject must hold it. "比上年多了多少"
    answered only by a rate of growth is its own gap."""
    subject = subject_words(r.q, r.lexical, r.words)
    unmet = next((k for k in r.kinds if not any(holds(r.q, k, c.text) and _on_subject(c, subject, k)
                                                 for c in (r.focused or r.relevant))), "")
    if unmet == "change" and ABSOLUTE_CHANGE.search(r.q.standalone) and any(GROWTH.search(c.text) for c in r.relevant[:3]):
        return Gap("rate_only")
    return Gap(unmet) if unmet else None


def count_scope_default(r: Reading) -> str:
    return count_scope(r.q.standalone) if "number" in r.kinds else ""


def whole_not_part(r: Reading) -> Gap | None:
    """"那114个企业党组织里有几个是党委": the sentences count the whole, not that part."""
    scope = count_scope_default(r)
    if scope and any(scope in c.text for c in r.typed) and \
            all(one_of_several(scope, c.text) for c in r.typed if scope in c.text):
        return Gap("scope", scope)
    return None


def counted_elsewhere(r: Reading) -> Gap | None:
    """"平台上有多少党员": the counts said are of 党员 elsewhere, not on the platform."""
    container = where_counted(r.q.standalone) if "number" in r.kinds else ""
    if container and r.typed and not any(names_container(container, c.text) for c in r.typed):
        return Gap("scope", container)
    return None


def part_not_broken_down(r: Reading) -> Gap | None:
    """"12家五星级党组织里，社会组织的有几家": only the 12 is said."""
    whole = subset_asked(r.q.standalone) if "number" in r.kinds else None
    if whole and any(not breaks_down(whole, c.text) for c in r.typed) and \
            all(not breaks_down(whole, c.text) for c in r.typed if "".join(whole) in c.text or whole[2] in c.text):
        # "30多人里…": the group as the question counts it
        shown = "".join(whole) if whole[2] else re.search(rf"{whole[0]}\s*(?:余|多)?人", r.q.standalone).group(0)
        return Gap("subset", shown)
    return None


def meaning_term(r: Reading) -> str:
    return defined_term(r.q.standalone) if MEANING_ASK.search(r.q.standalone) else ""


COUNTED_QUOTE = re.compile(r"([一二三四五六七八九十两])\s*(?:个|项|条|大)?[“\"‘']([^”\"’']{1,6})[”\"’']")


def listed_by_term(question: str, cands) -> bool:
    """"实现了三个“全部”，分别指什么": a sentence using the quoted term as often as the question counts it lists
    them ("…全部建立党组织、…全部纳入党组织管理、党的工作全部覆盖非公企业")."""
    return any(c.text.count(m.group(2)) >= NUMERALS[m.group(1)] for m in COUNTED_QUOTE.finditer(question) for c in cands)


def term_only_used(r: Reading) -> Gap | None:
    """A what-is question needs a sentence that explains its term, not one that only uses it (临空经济)."""
    term = meaning_term(r)
    if term and not NUMERAL_ABBREVIATION.fullmatch(term) and \
            any(term in c.text for c in r.cands) and not any(defines(term, c.text) for c in r.cands):
        return None if listed_by_term(r.q.standalone, r.cands) else Gap("concept", term=term)
    return None


def items_not_spelled_out(r: Reading) -> Gap | None:
    """"“两支队伍”分别是哪两支": the items of a numbered term the passages only name (see `spelled_out`)."""
    if not ASKS_ITEMS.search(r.q.standalone):
        return None
    passages = [h.chunk.text for h in r.hits]
    # Quoted in the question, or named bare there ("这个三亮化") and quoted in the passages.
    terms = dict.fromkeys([*numbered_terms(r.q.standalone), *(t for p in passages for t in numbered_terms(p) if t in r.q.standalone)])
    # The longest first ("三亮化" before "三亮"), in a fixed order: a set's order changed with the hash seed.
    numbered = sorted((t for t in terms if any(t in p for p in passages)), key=lambda t: (-len(t), t))
    bare = [t for t in numbered if not spelled_out(t, passages)]
    return Gap("concept", term=bare[0]) if bare else None


def item_not_marked(r: Reading) -> Gap | None:
    """"那21项制度里排第一项的是什么": the n-th item is answered only where a list marks it (二是, （二）, 2、) or lists
    as many items. When the question sizes the list and a passage names it so ("完善21项党建工作制度"), the item must
    be in that list, after that sentence; the first item of some other list ("一是开展宗旨主题教育") is no answer."""
    marker = item_marker(r.q.item) if r.q.item else None
    if not marker:
        return None
    size, total = list_size(r.q.standalone)
    sized = [s for s in r.cands if size and size in s.text]
    pool = [c for c in r.cands if any(_continues(s, c) for s in sized)] if sized else r.ranked[:12]
    # An inline series answers the n-th item only if it is long enough: as long as the list the question
    # sizes, and two items at least ("一项" of any sentence with one phrase in it is no list).
    least = max(r.q.item, 2, total)
    return None if any(marker.search(c.text) or len(items_in(c.text)) >= least for c in pool) else Gap("item")


def list_only_counted(r: Reading) -> Gap | None:
    """"那21项党建制度，能不能逐项列出名称": a list the passages only count ("完善21项党建工作制度") is not given. A
    numbered term's items ("“三项建设”是哪三项") are checked with the term (`items_not_spelled_out`)."""
    q = r.q.standalone
    if r.q.item or not ("list" in r.q.expects or LIST_ASK.search(q)) or BESIDES.search(q) or ASKS_ITEMS.search(q) \
            or numbered_terms(q) or listed_by_term(q, r.cands):
        return None
    size, total = list_size(q)
    sized = [s for s in r.cands if size and total >= 3 and size in s.text]
    # A sentence opening the list with a colon has its items after it, in paragraphs of their own; one whose list
    # opens right after the size ("提出了六个方面的要求:一是…") goes on in the sentences after it.
    if sized and not any(s.text.rstrip().endswith(("：", ":")) or len(items_in(s.text)) >= 3
                         or LIST_OPENS.search(s.text[s.text.index(size) + len(size) :][:40]) for s in sized):
        return Gap("unlisted", size)
    return None


def places_not_named(r: Reading) -> Gap | None:
    """"这三个城区具体是哪三个区": as many places of that kind named one after another (姑苏区、吴中区和…)."""
    asked = WHICH_PLACES.search(r.q.standalone) or PLACES_THEN_WHICH.search(r.q.standalone)
    if not asked:
        return None
    n, suffix = NUMERALS[asked.group(1)], asked.group(2)
    named = rf"[\u4e00-\u9fff]{{1,6}}?{suffix}"
    if not any(len(re.findall(rf"{named}(?=[、和及与，,])|(?<=[、和及与]){named}", c.text)) >= n for c in r.ranked[:12]):
        # "哪三个区", or for "三个城区分别是哪三个" the places as counted: "哪三个城区"
        return Gap("names", asked.group(0) if asked.re is WHICH_PLACES else f"哪{asked.group(0)[: asked.end(2) - asked.start()]}")
    return None


def rest_not_listed(r: Reading) -> Gap | None:
    """"22家成员单位，除了工商、民政、…、教育，剩下的是哪些单位？": the sentence lists just those, then 等."""
    rest = REST_ASKED.search(r.q.standalone)
    if not rest:
        return None
    listed = [x for x in re.split(r"[、，,和及]", rest.group(1)) if x]
    if len(listed) >= 3 and any(all(x in c.text for x in listed) and re.search(re.escape(listed[-1]) + "等", c.text)
                                for c in r.ranked[:12]):
        return Gap("rest", listed[-1])
    return None


def only_named(r: Reading) -> Gap | None:
    """"缸套厂的“温情工作法”具体怎么做": a name the passages give only as one of a series ("如康迪公司的“阳光车队”、
    缸套厂的“温情工作法”等") says nothing of what it is or how it works. So for the unquoted subject of a
    how-question ("涪陵区民营经济党建示范街是怎么规划建设起来的": one stop of a listed visit)."""
    q = r.q
    if not set(q.expects) & {"how", "concept", "reason"}:
        return None
    # A list asked of a numbered term ("“双强”是哪两强") is its items; of a named method ("“温情工作法”具体包括哪些做法"),
    # its workings.
    names = [n for n in QUOTED.findall(q.standalone) if len(n) >= 2 and ("list" not in q.expects or not numbered_terms(n))]
    if "how" in q.expects and (subject := HOW_SUBJECT.match(q.standalone)):
        names.append(subject.group(1))
    # An organisation the question names ("山西侯马商贸市场党委介绍了哪些具体做法"), by the longest end of its name
    # the passages use (the question's "那次会上山西侯马商贸市场" is 山西侯马商贸市场 there).
    said = "".join(c.text for c in r.cands) if q.entities else ""
    names += [n for e in q.entities for n in [next((e[i:] for i in range(len(e) - 2) if e[i:] in said), "")] if n]
    bare = [n for n in names if any(n in c.text for c in r.cands) and all(listed_only(n, c.text) for c in r.cands if n in c.text)]
    return Gap("detail", term=bare[0]) if bare else None


# When a figure is counted: the end of a year, or a month's end ("截止4月底").
YEAR_END = re.compile(r"年底|年末|年终")
MONTH_END = re.compile(r"(?:截至|截止|到)?\s*(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月(?:底|末|份)")


def other_period(r: Reading) -> Gap | None:
    """"永康去年年底覆盖率是多少" where every sentence giving it counts "截止4月底" (or a month asked, the year's end
    given): a figure of another time."""
    if not set(r.kinds) & FIGURE_KINDS or not r.typed:
        return None
    q = r.q.standalone
    asked_month = MONTH_END.search(q)
    if YEAR_END.search(q) and not asked_month:
        months = [MONTH_END.search(c.text) for c in r.typed]
        if all(m and m.group(1) not in ("12", "十二") for m in months):
            return Gap("period", f"“{YEAR_END.search(q).group(0)}”的这个数字，资料给出的是“{months[0].group(0).strip()}”的")
    elif asked_month and not YEAR_END.search(q) and \
            all(YEAR_END.search(c.text) and not MONTH_END.search(c.text) for c in r.typed):
        return Gap("period", f"“{asked_month.group(0).strip()}”的这个数字，资料给出的是“{YEAR_END.search(r.typed[0].text).group(0)}”的")
    return None


def counted_by_deed(r: Reading) -> Gap | None:
    """"全国总共有多少个地市级个私协会" where the materials count only those that did something ("121个地市级个私协会
    成立了个私企业党(工)委"): every count of the thing goes on with a deed the question does not ask about."""
    thing = r.q.counts
    if "number" not in r.kinds or len(thing) < 3 or COUNTED_PREDICATE.search(r.q.standalone):
        return None
    said = [m for c in r.typed for m in re.finditer(rf"(?:{COUNT.pattern})\s*(?:余|多)?[\u4e00-\u9fff]?{re.escape(thing)}", c.text)]
    deeds = [re.match(rf"[^，,。；;]{{0,4}}?({COUNTED_PREDICATE.pattern})了?([^，,。；;]{{2,12}})", m.string[m.end() :]) for m in said]
    if said and all(deeds):
        return Gap("deed", f"“{thing}”的总数，只有其中{deeds[0].group(1)}{deeds[0].group(2)}的")
    return None


def not_together(r: Reading) -> Gap | None:
    """The kind of fact asked for and the years, places and organisations named come together in one answering
    sentence (its heading and title count), not in different ones."""
    joint = [c for c in r.typed if c in r.focused]
    if (r.focus or r.named) and not r.absent and not joint and r.kinds:
        return Gap(r.kinds[0])
    return None


AFFILIATION_ASKED = re.compile(r"(?:是|在|从)哪(?:个|家)单位|哪个单位的")  # "挂职之前是哪个单位的干部"


def affiliation_not_given(r: Reading) -> Gap | None:
    """"白景文挂职之前是哪个单位的干部" where the passages name him only as "挂职干部白景文在芝瑞镇…": a body the
    sentences name (赤峰市铁路货物运输中心) is no answer unless it stands before his name with his title
    ("中国个协副会长兼秘书长杨文彬")."""
    if "organisation" not in r.kinds or not AFFILIATION_ASKED.search(r.q.standalone):
        return None
    texts = [c.text for c in r.relevant]
    name = next((n for n in people_named(texts) if n in r.q.standalone), "")
    body = f"{SATISFIES['organisation'].pattern}|个协|私协|司|办|厅|处"  # "个体司(非公党建办)正司级副司长…韩旭"
    if name and not any(re.search(rf"(?:{body})[^，,。；;]{{0,30}}?{name}", t) for t in texts):
        return Gap("organisation")
    return None


MISSING: tuple[Callable[[Reading], Gap | None], ...] = (
    beyond_the_list, affiliation_not_given, kind_unmet, whole_not_part, counted_elsewhere, part_not_broken_down, term_only_used,
    items_not_spelled_out, item_not_marked, list_only_counted, places_not_named, rest_not_listed, only_named,
    other_period, counted_by_deed, not_together,
)


def missing(r: Reading) -> Gap | None:
    """The first gap the checks find, with the scope and term its message names."""
    gap = next((g for check in MISSING if (g := check(r)) is not None), None)
    if gap is None:
        return None
    return Gap(gap.kind, gap.scope or count_scope_default(r), gap.term or meaning_term(r))


# --- unsupported: what the question takes for granted --------------------------------------------------------


# A sentence of the asker's own story: "我们服装厂就在…，市场里全是小商户，…谁也不管谁。"
OWN_STORY = re.compile(r"(?:^|(?<=[。！!？?]))(?:我|俺|咱)[^。！!？?]*[。！!]")


def without_own_story(text: str) -> str:
    """The question without the sentences in which the asker tells their own situation (theirs to tell)."""
    rest = OWN_STORY.sub("", text)
    return rest if rest.strip() else text


def unsaid_events(r: Reading) -> list[str]:
    """A presupposed event ("为什么取消了…") must be in the passages; for a why-question, any word of the clause
    that asks ("为什么要求…各建3个区域党支部" where the passages say 1个: a count it takes for granted)."""
    joined = "".join(r.contexts)
    # Said in other words is said: "只许加强不许削弱" of "只能加强,不能削弱" (the lexicon's synonyms).
    events = [m.group(0) for m in EVENT_WORDS.finditer(without_own_story(r.q.standalone))
              if m.group(0) not in joined and not any(v in joined for _, v in synonym_pairs(m.group(0)))]
    if "reason" not in r.q.expects:
        return events
    # A follow-up's premise is its own wording; the previous question's was answered already ("称作").
    asked = reason_clause(r.q.text if r.q.follow_up else r.q.standalone)
    events += [w for w in r.words(asked) if len(w) >= 2 and not GENERIC.match(w) and w not in joined
               and r.lexical.df.get(w, 0) == 0 and w not in events
               and not any(v in joined for _, v in synonym_pairs(w))  # "当作" said as "作为"
               and not (w[-1] in "里上中内" and w[:-1] in joined)]  # "镇里": the 镇 the passages name
    return events + contradicted_counts(asked, r.passages) + contradicted_holders(asked, r.passages)


def told_of_a_subject(r: Reading) -> list[str]:
    """What the question tells before it asks, of a subject the materials have (a place or an organisation they
    name; the asker's own 厂 is no such subject): a count ("既然涪陵民协党委管着2000多名党员，这些人…"), a holder
    ("工作小组由管委会主任亲自当组长" where the passages name another), where a body sits ("党工委设在旗民政局" where
    they seat it in 旗委组织部, or name no such body), a figure or body given for something else ("…去焦裕禄陵园搞了
    为期7天的再教育", the 7 days being the 杭州 trip's)."""
    if "reason" in r.q.expects or not (r.q.places or r.q.entities):
        return []
    out = contradicted_counts(r.told, r.passages) + contradicted_holders(r.told, r.passages)
    joined = "".join(r.contexts)
    seated = [m.group(1) for m in SITS_IN.finditer(joined)]
    out += [m.group(0) for m in SITS_IN.finditer(r.told)
            if (core := re.sub(r"^[市旗区县镇乡]", "", m.group(1))) not in "".join(seated) and (seated or core not in joined)]
    return out + misplaced(r.told, r.passages, r.lexical, r.words)


def wrong_speaker(r: Reading) -> list[str]:
    """"韩旭提了六个方面的要求，第五个是什么": the one who said what answers is another (钟攸平强调…他提出了…)."""
    if not r.ranked or not r.documents:
        return []
    wrong = other_speaker(r.q.standalone, r.ranked[0], r.documents)
    return [wrong] if wrong else []


# "苏州66个镇的工会主席现在都享受…" where the passage says "全市66个镇中,有27名镇工会主席享受…".
ALL_OF = re.compile(r"(\d+)\s*(?:个|家|名|位|所|户)[^，,。？?]{0,14}?(?:都|全部|全都|全|均|一律)")


def all_not_some(r: Reading) -> list[str]:
    """A whole the question says all did something, where the answering sentence says only some of it did."""
    out = []
    for m in ALL_OF.finditer(r.told or r.q.standalone):
        part = re.compile(rf"(?<!\d){m.group(1)}\s*(?:个|家|名|位|所|户)[^，,。；;]{{0,10}}?(?:中|里|当中|之中)[,，]?\s*(?:有|共有|已有)?\s*(\d+)")
        if any((p := part.search(c.text)) and p.group(1) != m.group(1) for c in r.ranked[:2]):
            out.append(m.group(0))
    return out


# Who did a deed with whom or who led it: "跟赤峰机场协调" where the passage says "与赤峰市铁路货物运输中心协调",
# "苏州市总工会牵头成立的联席会议" where it says 市委组织部牵头成立.
PARTNER = re.compile(r"(?:跟|与|和|同)([\u4e00-\u9fff]{2,12}?)(?:积极|主动)?(协调|对接|合作|沟通|签约|结对)")
LED_BY = re.compile(r"([\u4e00-\u9fff]{0,6}?(?:组织部|宣传部|统战部|总工会|工会|工商联|个私协会|协会|商会|党工委|党委|市委|县委|区委|旗委"
                    r"|政府|委员会|团委|妇联|局))(?:来|负责|带头|联合|专门)?(牵头|主导|发起|主办|承办|印发|下发|制定|出台|召开|举办)")


def _other_party(r: Reading, pattern: re.Pattern, text: str) -> list[str]:
    """The party `pattern` finds with its deed in `text`, where an answering sentence has another do that deed: the
    party's words as the question says them, or nothing. A party asked for ("跟哪家单位") is none; a place before
    it or a shortened name (铁路货运中心 for 铁路货物运输中心) still names the same one."""
    m = pattern.search(text)
    if not m or re.search(r"哪|什么|谁|啥|几", m.group(1)):
        return []
    said = re.split(r"[那这个由的在和与是把被]", m.group(1))[-1]  # "苏州那个由市总工会牵头" -> 市总工会
    own = without_places(said) or said  # 赤峰机场 -> 机场, 苏州市总工会 -> 总工会
    for c in r.ranked[:2]:
        others = [x.group(1) for x in pattern.finditer(c.text) if x.group(2) == m.group(2)]
        if others and not any(mentions(own, other) for other in others):
            return [m.group(0)[m.group(0).index(said):] if pattern is LED_BY else m.group(0)]
    return []


def wrong_partner(r: Reading) -> list[str]:
    """"白景文帮石材企业跟赤峰机场协调": the answering sentence has him coordinate with another body."""
    return _other_party(r, PARTNER, r.told or r.q.standalone)


def wrong_lead(r: Reading) -> list[str]:
    """"苏州市总工会牵头成立的那个联席会议": the answering sentence has another body lead it (市委组织部牵头成立)."""
    return _other_party(r, LED_BY, r.q.standalone)


# An amount the question tells with what it paid or saved: "省下1200万元电费".
TOLD_AMOUNT = re.compile(r"(\d+(?:\.\d+)?\s*(?:余|多)?(?:万元|元))的?([\u4e00-\u9fff]{2,6})")  # an amount: what it paid


def unknown_measure(r: Reading) -> list[str]:
    """"帮企业省下1200万元电费" where the passages give 1200万元 of 运输费用: the figure is theirs, but what it
    measured is a word the materials never use (电费), so the question tells another fact than they do."""
    out = []
    joined = "".join(r.contexts)
    flat = re.sub(r"\s|余|多", "", joined)
    for m in TOLD_AMOUNT.finditer(r.told):
        figure = re.sub(r"\s|余|多", "", m.group(1))
        if figure not in flat:
            continue  # a figure the passages do not give is another check's (unsaid_amounts)
        head = next((w for w in r.words(m.group(2)) if len(w) >= 2), "")
        # Said shorter is said: 运费 for the "石材运输费用" next to the figure.
        near = "".join(flat[max(0, i.start() - 12) : i.end() + 12] for i in re.finditer(re.escape(figure), flat))
        if head and r.lexical.df.get(head, 0) == 0 and head not in joined and not all(ch in near for ch in head) \
                and not (head[-1] in "里上中内" and head[:-1] in joined) \
                and not any(v in joined for _, v in synonym_pairs(head)):
            out.append(m.group(0))
    return out


# What a question says a term stands for: "“1”是指每家企业派1名党员吧", "“1+N”模式里的N是各苏木乡镇建的区域党支部".
TOLD_DEFINITION = re.compile(r"(?:[“\"「]([^”\"」]{1,10})[”\"」]|(?<![A-Za-z0-9+])([A-Za-z0-9])(?![A-Za-z0-9+]))"
                             r"(?:就|指的)?(?:是指|是|指)([^，,。？?；;！!]{2,24}?)(?:吧|吗|呢|啊)?(?=[，,。？?；;！!]|$)")


def wrong_definition(r: Reading) -> list[str]:
    """"“1”是指每家企业派1名党员吧" where the passages say “1”是每个苏木乡镇…建立1个区域党支部: the term stands for
    something else there. Told in other words is told: it holds when most of the told words are in the passages' own."""
    out = []
    for m in TOLD_DEFINITION.finditer(r.q.standalone):
        term, told = m.group(1) or m.group(2), m.group(3)
        if INTERROGATIVE.search(told):
            continue
        said = [x.group(1) for p in r.passages
                for x in re.finditer(rf"[“\"「]{re.escape(term)}[”\"」](?:就)?(?:是指|是|指)([^；;。]{{2,60}})", p)]
        words = [w for w in dict.fromkeys(r.words(told)) if len(w) >= 2 and not GENERIC.match(w) and not re.search(r"\d", w)]
        if said and words and sum(any(w in x for x in said) for w in words) * 2 < len(words):
            out.append(re.sub(r"[“”\"「」]", "", m.group(0)).rstrip("吧吗呢啊"))  # quoted once, in the gap's own quotes
    return out


# A post, with 副/常务 and the body's few characters before it: "国家工商总局副局长", "中国个协副会长兼秘书长".
POST = re.compile(rf"(?:副|常务副?|执行)?(?:{TITLES})")
POST_TOLD = re.compile(rf"(?:作为|身为|是|担任|任|当)[^，,。？?]{{0,12}}?((?:副|常务副?|执行)?(?:{TITLES}))(?:的|吗|吧|呢|，|,|？|\?|在|主持|讲|作|介绍|$)")


def wrong_post(r: Reading) -> list[str]:
    """"钟攸平作为国家工商总局副局长在会上讲了什么" where the passages name him 中国个体劳动者协会会长 and never 副局长:
    a post the question gives a person the passages name with other posts (会长 is not 副会长: whole posts compare)."""
    joined = "".join(r.contexts)
    out = []
    for name in people_named([joined]):
        if name not in r.q.standalone:
            continue
        at = r.q.standalone.index(name)
        told = [m.group(1) for m in POST_TOLD.finditer(r.q.standalone[at + len(name) : at + len(name) + 24])]
        told += [m.group(0) for m in POST.finditer(r.q.standalone[max(0, at - 6) : at]) if r.q.standalone[:at].endswith(m.group(0))]
        if not told:
            continue
        given = [m.group(0) for x in re.finditer(re.escape(name), joined)
                 for m in POST.finditer(joined[max(0, x.start() - 24) : x.end() + 12])]
        if given and not any(t in given for t in told):
            out.append(f"{name}{told[0]}")
    return out


# "以服务为中心,以活动为载体": what a body takes as its centre, vehicle, driving force…
FRAMED = re.compile(r"以([\u4e00-\u9fff]{1,6}?)为(中心|载体|动力|重点|核心|抓手|龙头|主线|根本|基础|导向|纽带|突破口|切入点)")


def wrong_frame(r: Reading) -> list[str]:
    """"新郑市工商联党组是以招商为中心开展工作的吧" where the passages say 以服务为中心: the same frame (以…为中心) holds
    another word there, and never the told one."""
    out = []
    for m in FRAMED.finditer(r.q.standalone):
        told, role = m.group(1), m.group(2)
        if INTERROGATIVE.search(told) or re.search(r"啥|哪", told):  # "以什么为中心": asked, not told
            continue
        said = [x.group(1) for p in r.contexts for x in re.finditer(rf"以([\u4e00-\u9fff]{{1,6}}?)为{role}", p)]
        if said and not any(told in x or x in told for x in said):
            out.append(m.group(0))
    return out


# "座谈会是钟攸平会长主持的吧": who chaired, as the question tells it.
CHAIRED = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:同志)?(?:副?会长|秘书长|副?书记|副?主席|副?部长|副?局长|副?司长|主任)?(?:亲自)?主持")


def wrong_chair(r: Reading) -> list[str]:
    """"那次座谈会是钟攸平会长主持的吧" where a passage naming him says "…秘书长杨文彬主持会议": someone else chaired."""
    m = CHAIRED.search(r.q.standalone)
    if not m or INTERROGATIVE.search(m.group(1)) or m.group(1).endswith("是"):
        return []
    name = m.group(1)
    if not re.search(rf"(?:{TITLES}){name}|{name}(?:同志)?(?:{SAYS})", "".join(r.passages)):
        return []  # "会议主持人是谁": no person the passages name
    for p in r.passages:
        chairs = [x.group(1) for x in CHAIRED.finditer(p)]
        if name in p and chairs and not any(name in c or c in name for c in chairs):
            return [m.group(0)]
    return []


# "吕广望代表市委组织部在会上讲话": on whose behalf someone spoke, as the question tells it.
ON_BEHALF = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:同志)?代表([\u4e00-\u9fff、]{2,16}?)(?=在|作|讲话|发言|向|致辞|表示)")


def wrong_behalf(r: Reading) -> list[str]:
    """"吕广望代表市委组织部在会上讲话" where the passages say 吕广望同志代表第三届理事会作了工作报告."""
    m = ON_BEHALF.search(r.q.standalone)
    if not m or INTERROGATIVE.search(m.group(0)):
        return []
    name, body = m.group(1), m.group(2)
    said = [x.group(2) for p in r.passages for x in ON_BEHALF.finditer(p) if x.group(1) == name]
    return [m.group(0)] if said and not any(mentions(body, x) or body in x or x in body for x in said) else []


# A plan the materials tell ("市委将在新社会组织领域推荐一批…"), which a question takes as done ("已经…推荐上去一批").
PLANNED = re.compile(r"(?:将|准备|计划|拟|打算)(?:在[^，,。；;]{0,16}?(?:领域|行业|中|里|上|内|方面))?([\u4e00-\u9fff]{2})")
DONE = re.compile(r"(?:已经|已)(?!有)([^，,。？?；;]{2,30})")


def planned_not_done(r: Reading) -> list[str]:
    """"永康市委已经在新社会组织领域推荐上去一批省级“双强”先进单位党组织" where the answering sentence says 市委将…推荐:
    the deed is a plan there. Not the asker's own situation ("我们厂已经有工会")."""
    out = []
    for clause in re.split(r"[，,。？?；;！!]", r.told or r.q.standalone):
        if OWN_SUBJECT.search(clause) or not (m := DONE.search(clause)):
            continue
        verb = next((p.group(1) for c in r.ranked[:1] for p in PLANNED.finditer(c.text)
                     if p.group(1) in m.group(1) and not re.search(r"已经|已", c.text[: p.start()])), "")
        if verb:  # up to the deed: "已经在新社会组织领域推荐"
            out.append(m.group(0)[: m.start(1) - m.start() + m.group(1).index(verb) + len(verb)])
    # "搬迁那次停产了整整5天" where the passage says it was needed ("按计划…需停产5天进行") and told what was done instead.
    joined = "".join(r.passages)
    for m in LASTED.finditer(r.told or r.q.standalone):
        verb, amount = m.group(1), f"{m.group(2)}{m.group(3)}"
        if re.search(rf"{NEEDED}{verb}{amount}", joined) and not re.search(rf"(?<!需)(?<!要)(?<!拟)(?<!划)(?<!将){verb}了?{amount}", joined):
            out.append(m.group(0))
    return out


NEEDED = r"(?:需|需要|拟|计划|将|要)"  # a deed as needed or planned ("按计划…需停产5天进行")
# A deed told as done for a time ("停产了整整5天"): the verb, the amount and its unit.
LASTED = re.compile(r"([\u4e00-\u9fff]{2})了(?:整整|足足|总共|一共|好)?(\d+|[一二三四五六七八九十两]+)(天|个月|周|年|小时)")


# What someone said, asked ("杨文彬在会上讲了哪些内容", "他本人讲了什么").
SPEECH_ASKED = re.compile(r"(?:同志|本人)?(?:在[^，,。？?]{0,10}?)?(?:讲了|说了|提了|谈了|讲的|说的|强调了)(?:些)?(?:哪些|什么|啥)")


def unsaid_speech(r: Reading) -> list[str]:
    """"杨文彬在会上讲了哪些内容" where the passages name him only chairing ("秘书长杨文彬主持会议"): no sentence has him
    say anything. The person is one the passages name after a role or before 同志 (names.people_named)."""
    m = SPEECH_ASKED.search(r.q.standalone)
    if not m:
        return []
    before = r.q.standalone[: m.start()]
    joined = "".join(r.passages)
    name = next((n for n in people_named(r.passages) if before.endswith(n)), "")
    if not name or re.search(rf"{name}(?:同志)?[^，,。；;]{{0,12}}?(?:{SPEECH_VERBS}|作了?[^，,。；;]{{0,6}}(?:讲话|报告|发言))", joined):
        return []
    return [f"{name}{m.group(0)}".split("哪些")[0].split("什么")[0].split("啥")[0]]


def unsaid_amounts(r: Reading) -> list[str]:
    """"每年拨5万元活动经费，这笔钱从哪出": an amount or share the question takes as given must be in the passages."""
    return unsaid_figures(r.q.standalone, [h.chunk.text for h in r.hits])


def _contradicted(pairs: list[tuple[str, list[str]]], sentences: list[Candidate]) -> list[str]:
    """The words of `pairs` that an answering sentence contradicts: it says one of the other words, not this one."""
    return [word for word, against in pairs
            if any(any(a in c.text for a in against) and word not in c.text for c in sentences)]


def contradicted_words(r: Reading) -> list[str]:
    """"…是市总工会单独发文搞的" where the answering sentence says 联合印发 (the lexicon's contrasts). Only what the
    question tells, not what it asks ("有几家后来单独建了支部" asks; 联合支部 is where they were)."""
    return _contradicted(contradictions("contrasts", r.told), r.ranked[:2])


def opposite_asked(r: Reading) -> list[str]:
    """"多少名镇工会主席享受同级正职待遇" where the answering sentence says 副职 (the lexicon's opposites): told or
    asked, a figure of the one is no answer for the other."""
    return _contradicted(contradictions("opposites", r.q.standalone), r.ranked[:1])


def wrong_ordinal(r: Reading) -> list[str]:
    """"第十次会员大会上表决通过了什么" where the title says 第九次会员大会."""
    return contradicted_ordinals(r.q.standalone, r.contexts)


# A body of the party or the state by its level: 省委组织部, 市总工会, 旗民政局, 中央统战部.
LEVELLED_BODY = re.compile(r"(?:中央|国务院|自治区|省|市|县|区|旗|州)(委|政府)?(?:组织部|宣传部|统战部|办公厅|政法委|纪委|编办|总工会"
                           r"|工商联|团委|妇联|[\u4e00-\u9fff]{2}厅)")
FIRST_PERSON = re.compile(r"我|俺|咱|本人")


def unknown_body(r: Reading) -> list[str]:
    """"新郑市工商联的工作是在省委组织部直接领导下开展的，省委组织部提了哪些要求": a body the question ties to the
    materials' subjects that they never name. The asker's own ("我在县委组织部工作") is theirs to name."""
    if not (r.q.places or r.q.entities):
        return []
    bodies = [m for clause in re.split(r"[，,；;。？?！!]", r.q.standalone) if not FIRST_PERSON.search(clause)
              for m in LEVELLED_BODY.finditer(clause)]
    texts = [*r.contexts, *(d.text for d in (r.documents or {}).values())] if bodies else []
    # "旗组织部" is how people say 旗委组织部.
    return [m.group(0) for m in bodies
            if not any(name in t for t in texts for name in
                       (m.group(0), *([re.sub(r"^(中央|国务院|自治区|.)", r"\1委", m.group(0))] if m.group(1) is None else [])))]


# "是先建工会、后在工会推动下成立党支部的": an order of two things built, as a question takes it for granted.
ORDER_TOLD = re.compile(r"先(?:建|成立|组建|建立|设立|有)了?(?P<a>[\u4e00-\u9fff]{2,4}?)[，,、]?(?:后|再|然后|之后)[^，,。？?]{0,12}?"
                        r"(?:建|成立|组建|建立|设立|有)了?(?P<b>[\u4e00-\u9fff]{2,3}?)(?=[的，,。？?]|$)")
# "是先把工会建起来再靠工会带出党支部的": the same order told with 把.
ORDER_TOLD_BA = re.compile(r"先把(?P<a>[\u4e00-\u9fff]{2,4}?)(?:建|成立|组建|建立|设立|搭)(?:起来|好|了)[，,、]?(?:后|再|然后|之后)"
                           r"[^，,。？?]{0,12}?(?:建|成立|组建|建立|设立|带出|带起|带动)了?(?:来)?(?P<b>[\u4e00-\u9fff]{2,3}?)(?=[的，,。？?吧]|$)")
SEQUENCE = re.compile(r"首先|先|然后|随后|之后|接着|终于|最后|后来")


def reversed_order(r: Reading) -> list[str]:
    """"维德公司是先建工会、后…成立党支部的" where the passage tells "首先成立了党支部,然后…终于…成立了工会组织"."""
    m = ORDER_TOLD.search(r.q.standalone) or ORDER_TOLD_BA.search(r.q.standalone)
    if not m:
        return []
    a, b = m.group("a"), m.group("b")
    sentences = [x for p in r.passages for x in re.split(r"(?<=[。！？!?])", p) if a in x and b in x]
    told = [x for x in sentences if SEQUENCE.search(x)]
    return [m.group(0).split("、")[0].rstrip("，,")] if told and all(x.find(b) < x.find(a) for x in told) else []


# The asker's own place or body ("我们厂有3个党员", "俺们村"): theirs to tell, not the materials'.
OWN_SUBJECT = re.compile(r"(?:我|俺|咱)(?:们|家)?(?:这|那)?(?:厂|公司|企业|单位|商会|协会|支部|村|镇|店|街道|社区|园区|这|那|里|儿)")


def counts_taken(r: Reading) -> list[str]:
    """"新郑帮非公企业完善的12项党建工作制度具体是哪12项" where the passages count 21项: a count taken for granted
    anywhere in the question, not only before the clause that asks."""
    if not (r.q.places or r.q.entities or "全国" in r.q.standalone):
        return []  # "俺厂仨党员能建支部不": the asker's own count, of no subject the materials have
    clauses = [c for c in re.split(r"[，,；;。？?！!]", r.q.standalone) if c and not OWN_SUBJECT.search(c)]
    out = contradicted_counts("，".join(clauses), r.passages, strict=True)
    # "克旗通过单建模式建立了198个非公经济组织党组织", "党建QQ群有81个": the thing counted next to its figure
    # (read in more passages: a figure told otherwise draws the question away from the one that counts the thing)
    more = [h.chunk.text for h in r.hits[:8]]
    out += [w for w in figures_told_otherwise("，".join(clauses), more) if not any(w in o or o in w for o in out)]
    # "到杭州、无锡考察了5天" where the passages' 考察 lasted "为期7天": how long a deed took, told otherwise.
    for m in SPAN_TOLD.finditer("，".join(clauses)):
        value, unit = numeral_value(m.group(2)), m.group(3)
        said = [numeral_value(x.group(1)) for p in r.passages for sentence in re.split(r"(?<=[。；;！!？?])", p)
                if m.group(1) in sentence for x in re.finditer(rf"([\d一二三四五六七八九十两]+)\s*(?:个)?{unit}", sentence)]
        said = [v for v in said if v is not None]
        if value is not None and said and value not in said:
            out.append(m.group(0))
    return out


SPAN_TOLD = re.compile(r"([\u4e00-\u9fff]{2})了(\d+|[一二三四五六七八九十两]+)\s*(?:个)?(天|周|月|年)(?![\u4e00-\u9fff])")


# "个体工商户党建由旗民政局党总支负责": what a body is in charge of, as the question tells it.
IN_CHARGE_TOLD = re.compile(r"([\u4e00-\u9fff]{2,16}?)(?:都|也)?(?:是)?(?:由|归)([\u4e00-\u9fff]{2,14}?)(?:来|统一|直接|具体)?(?:负责|管理|主管|领导|牵头)")
IN_CHARGE_SAID = r"{body}(?:统一|直接|具体)?(?:负责|管理|主管|领导|牵头)([^，,。；;]{{2,30}})"
CHARGE_GENERIC = re.compile(r"党的建设|党建工作|党建|工作|的|全旗|全市|全县|全区|辖区内?|这块|这一块|这些|那些|方面|领域")


def wrong_charge(r: Reading) -> list[str]:
    """"克旗的个体工商户党建由旗民政局党总支负责" where the passages say the 旗民政局党总支 负责全旗社会组织党建工作:
    the body is in charge of something else there."""
    out = []
    for m in IN_CHARGE_TOLD.finditer(r.q.standalone):
        what, body = CHARGE_GENERIC.sub("", without_places(m.group(1))), m.group(2)
        if len(what) < 2 or re.search(r"谁|哪|什么|啥", body):
            continue
        said = [x.group(1) for p in r.passages for x in re.finditer(IN_CHARGE_SAID.format(body=re.escape(body)), p)]
        if said and not any(what in x or mentions(what, x, 0.8) for x in said):
            out.append(m.group(0))
    return out


UNSUPPORTED: tuple[Callable[[Reading], list[str]], ...] = (
    unsaid_events, told_of_a_subject, wrong_speaker, unsaid_amounts, contradicted_words, wrong_ordinal, unknown_body,
    opposite_asked, reversed_order, wrong_lead, all_not_some, wrong_partner, counts_taken, wrong_charge, wrong_chair,
    unknown_measure, wrong_definition, wrong_behalf, planned_not_done, unsaid_speech, wrong_frame, wrong_post,
)


def unsupported(r: Reading) -> list[str]:
    """Everything the question takes for granted that the passages do not support, in the checks' order."""
    return list(dict.fromkeys(w for check in UNSUPPORTED for w in check(r)))
