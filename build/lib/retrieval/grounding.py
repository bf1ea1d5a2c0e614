"""Statements, citations and the support test, shared by the eval and the LLM grounding guard.

A statement is supported by passages when every number, date, percentage and 《title》 in it appears
in them and at least 60% of its character bigrams (punctuation excluded) appear in them (the eval
issue's rule), and additionally: no negation appears that the passages lack, no place or organisation
name appears that the passages lack, and no run of three or more characters is absent from them.
A passage is given with its document title, which the reader sees beside the quote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CITE = re.compile(r"\[(\d{1,3})\]")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.、)）]|[（(]\d{1,2}[)）]|[-*•·]|[一二三四五六七八九十]+、)\s*")
_SPLIT = re.compile(r"(?<=[。！？；!?;])(?:\s*\[\d{1,3}\])*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*\s*[%％]?")
_TITLE = re.compile(r"《[^》]{1,60}》")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
# Negations, written so that 不断/不少/非公/无论 and the like do not count.
_NEGATION = re.compile(r"不(?![断少仅但同久管论])|没有?|未(?![来])|无(?![论])|禁止|严禁|勿|非(?![公常法营党])|否(?![则])")
# Names of places and organisations: a swapped one must not pass just because the rest matches.
_NAME = re.compile(
    r"[\u4e00-\u9fff]{2,6}?(自治区|自治州|特别行政区|省|市|县|区|旗|镇|乡|村|街道|社区"
    r"|有限公司|公司|集团|协会|商会|联合会|委员会|党委|党工委|党总支|组织部|统战部|工商局|总工会|工商联)"
)
SUPPORT_RATIO = 0.6


def normalize(s: str) -> str:
    """NFKC, then all whitespace removed (the golden sets' matching rule)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


@dataclass(frozen=True)
class Statement:
    text: str  # without citation markers
    citations: tuple[int, ...]


def split_statements(answer: str) -> list[Statement]:
    """Split on 。！？； line breaks and list items; drop citation markers; skip headings."""
    out: list[Statement] = []
    for line in answer.split("\n"):
        line = _LIST_MARK.sub("", line.strip())
        if not line:
            continue
        for piece in _SPLIT.split(line):
            cites = tuple(int(n) for n in CITE.findall(piece))
            text = CITE.sub("", piece).strip()
            core = _PUNCT.sub("", text)
            if not core:
                continue
            if text.endswith(("：", ":")) and not cites:
                continue  # a heading or lead-in such as "具体做法："
            out.append(Statement(text=text, citations=cites))
    return out


def _bigrams(text: str) -> list[str]:
    grams: list[str] = []
    for run in _PUNCT.split(normalize(text)):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True)
class Support:
    supported: bool
    ratio: float
    reason: str = ""


def check_support(statement: str, passages: list[str]) -> Support:
    """Does the union of `passages` support `statement`? See the module docstring for the rule."""
    evidence = normalize("".join(passages))
    text = normalize(CITE.sub("", statement))
    if not text or not evidence:
        return Support(False, 0.0, "empty")
    for num in _NUMBER.findall(text):
        if normalize(num) not in evidence:
            return Support(False, 0.0, f"number {num} not in passages")
    for title in _TITLE.findall(text):
        if title not in evidence:
            return Support(False, 0.0, f"title {title} not in passages")
    grams = _bigrams(text)
    if not grams:
        return Support(False, 0.0, "no content")
    have = set(_bigrams(evidence))
    ratio = sum(g in have for g in grams) / len(grams)
    if ratio < SUPPORT_RATIO:
        return Support(False, ratio, f"only {ratio:.0%} of bigrams in passages")
    for m in _NEGATION.finditer(text):
        neg = text[m.start() : m.end() + 1]  # the negation with the word it negates
        if neg not in evidence:
            return Support(False, ratio, f"negation '{neg}' not in passages")
    for m in _NAME.finditer(text):
        name, suffix = m.group(0), m.group(1)
        # Tolerate up to two leading characters that belong to the sentence (在/赴...), never the bare suffix.
        candidates = [name[i:] for i in range(0, 3) if len(name) - i > len(suffix)]
        if not any(c in evidence for c in candidates):
            return Support(False, ratio, f"name {name} not in passages")
    run = _unsupported_run(text, have)
    if len(run) >= 3:
        return Support(False, ratio, f"'{run}' appears nowhere in the passages")
    return Support(True, ratio)


def _unsupported_run(text: str, have: set[str]) -> str:
    """The longest stretch of characters not covered by any bigram found in the passages."""
    covered = [False] * len(text)
    for i in range(len(text) - 1):
        if text[i : i + 2] in have:
            covered[i] = covered[i + 1] = True
    best, cur = "", ""
    for ch, ok in zip(text, covered, strict=True):
        if ok or not ch.strip() or _PUNCT.fullmatch(ch):
            best, cur = max(best, cur, key=len), ""
        else:
            cur += ch
    return max(best, cur, key=len)
