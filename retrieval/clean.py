"""Clean scraped Chinese web pages by general rules: navigation, credits, copyright, paywalls, URLs.

Rules work line by line, then inside lines. Every rule is a pattern for a kind of clutter seen
across Chinese portals and document-sharing sites, never a rule for one particular file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

CJK = r"\u3400-\u9fff\uf900-\ufaff"

# Lines that are clutter wherever they appear and however long they are.
STRONG_CLUTTER = re.compile(
    r"版权所有|版权申诉|侵权必究|ICP备|ICP证|公网安备|Copyright|All Rights Reserved"
    r"|VIP文档|成为VIP|VIP会员|下载权益|付费前请|不支持退款|本站不退款|二次下载|上传文档|举报电话"
    r"|此处内容需要权限查看|需要权限查看|登录后查看|付费后查看|文档评论\s*[(（]\d*[)）]",
    re.IGNORECASE,
)

# Lines that are clutter when they are short (menus, share bars, credits, breadcrumbs).
SHORT_CLUTTER = re.compile(
    r"^\s*[•·|]?\s*(分享到|上一篇|下一篇|上一页|下一页|当前位置|您的位置|所在位置|相关专题|相关阅读|相关文章"
    r"|相关新闻|本类推荐|热门推荐|推荐阅读|延伸阅读|猜你喜欢|责任编辑|[(（]?责编|编辑[:：]|作者\d*[:：]|标签[:：]"
    r"|关键词[:：]|内容摘要|摘要[:：]?$|站内搜索|搜索[:：]?$|主办[:：]|承办[:：]|协办[:：]|联系电话|联系我们|关于我们"
    r"|打印本页|关闭窗口|返回顶部|查看更多|展开全文|阅读全文|点击(查看|下载|进入)|扫一扫|扫描二维码|手机版|手机官网"
    r"|WAP|RSS|设为首页|加入收藏|网站地图|首页\s*[>›])"
    r"|设为首页|加入收藏|网站地图|杂志简介|免责声明|[>›»]{2}|\S\s*>\s*\S.*>\s*\S"
    r"|^\s*[(（]?\s*图\s*[/／:：]|[(（]\s*图\s*[/／:：][^)）]*[)）]\s*$",
    re.IGNORECASE,
)
SHORT = 60

# A line carrying only publication metadata: "发布时间:2016-05-03 文章来源: ..." or "2014年08月14日15:26 来源:...".
META_LINE = re.compile(
    r"^\s*(发布(时间|日期)|时间|日期|来源|文章来源|信息来源|作者)[:：]"
    r"|^\s*\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}\s*日?\s*(\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*(来源|作者|浏览|点击|$)"
)
DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
SOURCE = re.compile(r"(?:文章来源|信息来源|来源)[:：]\s*(?!作者)([^\s:：]{2,40})")

# Clutter inside a line.
INLINE_CLUTTER = [
    re.compile(r"本文来源[:：]?\s*(https?://[\x21-\x7e]*)?"),
    re.compile(r"https?://[\x21-\x7e]*"),
    re.compile(r"www\.[A-Za-z0-9.\-/]*"),
    re.compile(r"会员免费查看|此处内容需要权限查看|(?:点击|登录)(?:查看|阅读)全文|付费(?:后)?查看(?:全文)?"),
    re.compile(r"[(（]\s*图\s*[/／][^)）]{0,20}[)）]"),
]
# Names that document-sharing sites stamp into the text they serve (watermarks).
WATERMARKS = ("杂烩网", "原创力文档", "book118", "道客巴巴", "豆丁网", "百度文库", "文库网", "淘豆网", "max.book118")

HEADING = re.compile(
    r"^\s*(#{1,6}\s+\S|[一二三四五六七八九十百]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）]"
    r"|\d{1,2}\s*[、．]|\d{1,2}\.(?!\d)|第[一二三四五六七八九十百零\d]+\s*[章节编条部分])"
)
SENTENCE_PUNCT = re.compile(r"[。，,；;！!？?：:]")


@dataclass
class Cleaned:
    text: str
    title_lines: list[str] = field(default_factory=list)
    date: str = ""
    publisher: str = ""
    dropped: list[str] = field(default_factory=list)


def _is_body(line: str) -> bool:
    """A real paragraph: written in sentences (menus and footers are not)."""
    punct = len(SENTENCE_PUNCT.findall(line))
    if len(line) >= 40 and punct >= 2:
        return True
    return len(line) >= 12 and punct >= 1 and line.rstrip("”’」』）)").endswith(("。", "！", "？", "!", "?"))


def is_heading(line: str) -> bool:
    """Chinese document headings: 一、 (一) 1、 第X条 and markdown #."""
    return bool(HEADING.match(line))


def _strip_inline(line: str) -> str:
    for pat in INLINE_CLUTTER:
        line = pat.sub("", line)
    for mark in WATERMARKS:
        line = line.replace(mark, "")
    # "7 8 . 1 2万" -> "78.12万": scrapers sometimes space out digits.
    line = re.sub(r"(?<=[\d.])[ \t\u3000]+(?=[\d.])", "", line)
    return line.strip(" \t\u3000\xa0")


def _is_clutter(line: str) -> bool:
    if STRONG_CLUTTER.search(line):
        return True
    return len(line) <= SHORT and bool(SHORT_CLUTTER.search(line))


def _meta(line: str, cleaned: Cleaned) -> None:
    if not cleaned.date and (m := DATE.search(line)):
        cleaned.date = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
    if not cleaned.publisher and (m := SOURCE.search(line)):
        cleaned.publisher = m[1]


def clean_scraped_page(raw: str, zones: bool = True) -> Cleaned:
    """Return the body text of a scraped page, one paragraph per line, with clutter removed.
    With `zones`, short lines before the first and after the last paragraph (menus, titles, footers)
    are dropped too; authored documents (docx, pdf, md) have no page chrome and keep them."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufeff", "").replace("\u200b", "")
    lines = [ln.strip(" \t\u3000\xa0") for ln in text.split("\n")]
    cleaned = Cleaned(text="")
    kept: list[str] = []
    for line in lines:
        if not line:
            continue
        if META_LINE.search(line) and len(line) <= 120:
            _meta(line, cleaned)
            cleaned.dropped.append(line)
            continue
        if _is_clutter(line):
            cleaned.dropped.append(line)
            continue
        line = _strip_inline(line)
        if line:
            kept.append(line)

    # Before the first and after the last real paragraph sit titles, menus and footers:
    # keep headings, keep the rest only as title candidates.
    body_idx = [i for i, ln in enumerate(kept) if _is_body(ln)]
    if body_idx and not zones:
        cleaned.title_lines = [ln for ln in kept[: body_idx[0]] if not is_heading(ln)]
    elif body_idx:
        first, last = body_idx[0], body_idx[-1]
        head = kept[:first]
        tail = kept[last + 1 :]
        cleaned.title_lines = [ln for ln in head if not is_heading(ln)]
        cleaned.dropped.extend(cleaned.title_lines)
        cleaned.dropped.extend(ln for ln in tail if not is_heading(ln))
        kept = (
            [ln for ln in head if is_heading(ln)]
            + kept[first : last + 1]
            + [ln for ln in tail if is_heading(ln) and len(tail) > 1]
        )
    cleaned.text = "\n".join(kept)
    return cleaned


def unglue_title(text: str, title: str) -> str:
    """A scraped page may glue its title onto the first paragraph ("非公企业党建工作经验交流材料近年来,苏州市加大…",
    the heading's line break lost): one of the first paragraphs that opens with the title (its part before a
    bracket or dash, 6+ characters) and runs on into text loses that prefix; the title is shown with every citation."""
    main = re.split(r"[（(—－\-]", title.strip())[0].strip()
    if len(main) < 6:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines[:3]):
        rest = line[len(main) :]
        if line.startswith(main) and len(rest) >= 10 and not re.match(r"[\s，,。：:；;、）)”\]】]", rest):
            lines[i] = rest
            break
    return "\n".join(lines)


def guess_title(cleaned: Cleaned, fallback: str) -> str:
    """The first plausible title line from the page head, else the first sentence, else the file name."""
    for line in cleaned.title_lines:
        t = line.strip("—-_ ")
        words = t.split()
        menu = len(words) >= 3 and all(len(w) <= 4 for w in words)
        if 4 <= len(t) <= 80 and not menu and not t.startswith(("各位", "同志们")):
            return t
    first = cleaned.text.split("\n", 1)[0]
    if first:
        m = re.split(r"[。！？!?]", first, maxsplit=1)
        return m[0][:40]
    return fallback
