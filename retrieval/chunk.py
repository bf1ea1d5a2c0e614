"""Chinese structure-aware chunking: headings make sections, sentences are never cut."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clean import CJK, is_heading
from .types import Chunk, Document

CLOSERS = "”’」』）)】》\"'"
# Sentence ends: full-width 。！？； always; half-width !?; and "." only where the seeds use them
# between CJK text (not inside numbers such as 4.11万).
SENTENCE_END = re.compile(
    rf"(?:[。！？；]|[!?;](?=[{CJK}“‘「（(\s]|$)|(?<![\d.A-Za-z])\.(?=[{CJK}“‘「]))[{re.escape(CLOSERS)}]*"
)
# Full stops only (no semicolons): the unit an answer quotes. A scraped page may also end one with an ASCII full stop
# after a percent sign, before the next sentence's figure ("占…总数的10.13%.2014年,…"), where it can be no decimal
# point. (Passages keep the boundaries above: moving them moved dev's answers.)
FULL_SENTENCE_END = re.compile(
    rf"(?:[。！？]|[!?](?=[{CJK}“‘「（(\s]|$)|(?<![\d.A-Za-z])\.(?=[{CJK}“‘「])|(?<=[%％])\.(?=\d))[{re.escape(CLOSERS)}]*"
)
ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|首先|其次|再次|最后)")
LONG_HEADING = 60  # a "heading" longer than this is a numbered paragraph, labelled by its first sentence
LABEL_CHARS = 40  # a numbered sentence is labelled by its number and first clause, at most this long
HEADING_NUMBER = re.compile(
    r"^(?:#+\s*)?(?:[一二三四五六七八九十百]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）][、.．]?"
    r"|\d{1,2}\s*[、．.]|第.{1,4}[章节编条部分])\s*"
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


OPENERS, CLOSERS_ALL = "（(“‘「『【", "）)”’」』】"


def _depth(text: str) -> int:
    return sum(text.count(o) for o in OPENERS) - sum(text.count(c) for c in CLOSERS_ALL)


def split_sentences(text: str, offset: int = 0, max_inside: int = 300, ends: re.Pattern = SENTENCE_END) -> list[Span]:
    """Sentence spans of one paragraph, as offsets (plus `offset`) into the document text.
    A mark inside brackets or quotes does not end the sentence, unless the bracket never closes
    within `max_inside` characters (scraped text is not always balanced)."""
    spans: list[Span] = []
    pos = 0
    for m in ends.finditer(text):
        if m.end() <= pos:
            continue
        if _depth(text[pos : m.start()]) > 0 and m.start() - pos < max_inside:
            continue
        spans.append(Span(offset + pos, offset + m.end()))
        pos = m.end()
    if pos < len(text) and text[pos:].strip():
        spans.append(Span(offset + pos, offset + len(text)))
    out = []
    for s in spans:
        seg = text[s.start - offset : s.end - offset]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if seg.strip():
            out.append(Span(s.start + lead, s.end - trail))
    return out


def is_sentence(label: str) -> bool:
    """A numbered line that says something ("一、指导员每月走访不少于一次。") rather than naming a part:
    it ends a sentence, or holds more than one, or is long."""
    rest = HEADING_NUMBER.sub("", label, count=1).strip()
    if len(rest) > LONG_HEADING:
        return True
    spans = split_sentences(rest)
    return len(spans) > 1 or bool(rest and SENTENCE_END.search(rest[-2:]))


def heading_level(line: str) -> int:
    """1 for 一、/第X章/#, 2 for (一)/第X节/##, 3 for 1、/第X条/###."""
    s = line.lstrip()
    if s.startswith("#"):
        return min(len(s) - len(s.lstrip("#")), 3)
    if re.match(r"^[一二三四五六七八九十百]+\s*[、.．]|^第.{1,4}[章编部分]", s):
        return 1
    if re.match(r"^[(（]\s*[一二三四五六七八九十]+\s*[)）]|^第.{1,4}节", s):
        return 2
    return 3


def _split_long(text: str, start: int, max_chars: int) -> list[Span]:
    """Split one over-long sentence at clause punctuation (the only place a sentence may be cut)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=["，", ",", "、", "：", ":", " ", ""],
        chunk_size=max_chars,
        chunk_overlap=0,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=False,
    )
    docs = splitter.create_documents([text])
    return [Span(start + d.metadata["start_index"], start + d.metadata["start_index"] + len(d.page_content)) for d in docs]


def chunk_document(doc: Document, target: int = 260, max_chars: int = 400) -> list[Chunk]:
    """Split a cleaned document into chunks of at most `max_chars`, keeping section paths and offsets."""
    text = doc.text
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    cur: list[Span] = []
    cur_para = 0
    section = ""

    def flush() -> None:
        nonlocal cur
        if not cur:
            return
        start, end = cur[0].start, cur[-1].end
        body = text[start:end]
        chunks.append(
            Chunk(
                id=Chunk.make_id(doc.source, start, end, body),
                source=doc.source,
                title=doc.title,
                section=section,
                paragraph=cur_para,
                start=start,
                end=end,
                text=body,
                publisher=doc.publisher,
                date=doc.date,
                region=doc.region,
            )
        )
        cur = []

    def length() -> int:
        return cur[-1].end - cur[0].start if cur else 0

    pos = 0
    for para_idx, line in enumerate(text.split("\n")):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        if is_heading(line):
            level = heading_level(line)
            label = line.strip().lstrip("#").strip()
            content = False
            article = re.match(r"^第[一二三四五六七八九十百零\d]+\s*条", label)
            if article:  # an article's line is its rule text: label it by its number, keep it as content
                label, content = article.group(0), True
            elif is_sentence(label):  # content that starts like a heading: keep it, label it short
                first = split_sentences(label)[0]
                label = re.split(r"[，,：:；;]", label[first.start : first.end])[0][:LABEL_CHARS]
                content = True
            flush()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, label.rstrip("。.:：")))
            section = " > ".join(t for _, t in stack)
            if not content:
                continue
        for span in split_sentences(line, line_start):
            sentence = text[span.start : span.end]
            units = [span] if len(sentence) <= max_chars else _split_long(sentence, span.start, max_chars)
            for unit in units:
                n = unit.end - unit.start
                starts_item = bool(ENUMERATOR.match(text[unit.start : unit.end]))
                if cur and (
                    length() + n > max_chars
                    or (length() + n > target and length() >= target // 3)
                    or (starts_item and length() >= target // 3)
                ):
                    flush()
                if not cur:
                    cur_para = para_idx
                cur.append(unit)
        if length() >= target // 2:
            flush()
    flush()
    return chunks


def answer_units(chunk: Chunk) -> list[Span]:
    """Full sentences of a chunk (offsets relative to the chunk): what an answer quotes."""
    return split_sentences(chunk.text, ends=FULL_SENTENCE_END)
