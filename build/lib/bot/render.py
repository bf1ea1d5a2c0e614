"""Rendering an Answer for chat apps: compact sources and message splitting within platform limits."""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.types import Answer, Citation

SENTENCE = re.compile(r"(?<=[。！？；!?;\n])")


def utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def source_line(c: Citation) -> str:
    """〔1〕《标题》 发布单位 日期 — the compact form chat apps keep intact."""
    meta = " ".join(x for x in (c.publisher, c.date) if x)
    return f"〔{c.n}〕《{c.title}》{(' ' + meta) if meta else ''}"


def pack(paragraphs: list[str], limit: int, size: Callable[[str], int] = len, joiner: str = "\n") -> list[str]:
    """Pack paragraphs into messages of at most `limit` (measured by `size`). A paragraph is split only
    when it alone is too long: at sentence ends first, then hard."""
    pieces: list[str] = []
    for p in paragraphs:
        if size(p) <= limit:
            pieces.append(p)
            continue
        cur = ""
        for s in (x for x in SENTENCE.split(p) if x):
            while size(s) > limit:  # a single over-long sentence: cut by characters
                cut = len(s)
                while size(s[:cut]) > limit:
                    cut = max(1, cut * limit // max(1, size(s[:cut])) - 1)
                amp = s.rfind("&", max(0, cut - 10), cut)
                if amp > 0 and ";" not in s[amp:cut]:
                    cut = amp  # never cut an HTML entity such as &amp; in half
                pieces.append(s[:cut])
                s = s[cut:]
            if cur and size(cur + s) > limit:
                pieces.append(cur)
                cur = ""
            cur += s
        if cur:
            pieces.append(cur)
    messages: list[str] = []
    cur = ""
    for p in pieces:
        candidate = f"{cur}{joiner}{p}" if cur else p
        if cur and size(candidate) > limit:
            messages.append(cur)
            cur = p
        else:
            cur = candidate
    if cur:
        messages.append(cur)
    return messages


def plain_paragraphs(ans: Answer, lead: str = "您可以试着问问：") -> list[str]:
    """Answer, then sources (or refusal/welcome, then suggested questions), as plain-text paragraphs."""
    if ans.refused or not ans.citations:
        out = [ans.text]
        if ans.suggestions:
            head = lead + "\n" if ans.refused else ""
            out.append(head + "\n".join(f"· {s}" for s in ans.suggestions))
        return out
    out = [line for line in ans.text.split("\n") if line.strip()]
    out.append("来源：\n" + "\n".join(source_line(c) for c in ans.citations))
    return out
