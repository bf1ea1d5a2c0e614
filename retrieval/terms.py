"""Numbered terms ("四同", "两支队伍"), lists and their items, what-is terms and the frame an answer fills in:
the readings that tell whether a sentence lists, defines or is the n-th item asked for."""

from __future__ import annotations

import re

# "四同", "六有": a numeral and a character or two abbreviating a list the text spells out.
NUMERAL_ABBREVIATION = re.compile(r"[一二三四五六七八九十两双][\u4e00-\u9fff]{1,2}")


def numeral_value(numeral: str) -> float | None:
    """3 -> 3, 十二 -> 12, 两 -> 2; None for what is no plain number."""
    if re.fullmatch(r"\d+(?:\.\d+)?", numeral):
        return float(numeral)
    if numeral in NUMERALS:
        return float(NUMERALS[numeral])
    if m := re.fullmatch(r"([一二三四五六七八九两]?)十([一二三四五六七八九]?)", numeral):
        return float(NUMERALS.get(m.group(1), 1) * 10 + NUMERALS.get(m.group(2), 0))
    return None


ORDINAL = re.compile(r"(?:其中|这里面|里面|上面)?(?:的)?(?:(?:第|头(?=一))([一二三四五六七八九十]|\d{1,2})|(最后))(?:一)?(?:项|个方面|种方式|种做法|个|条|点|种|类|步|方面)")


CN_DIGITS = "一二三四五六七八九十"


INLINE_ITEMS = re.compile(r"[\u4e00-\u9fff“”]{2,14}(?:、[\u4e00-\u9fff“”]{2,14})+")


NAMED_EXAMPLE = re.compile(r"“([^“”]{2,12})”(工作法|活动|工程|模式|品牌|机制|制度|行动)?")
EXAMPLES = re.compile(r"如|比如|例如|还有")


def items_in(answer: str) -> list[str]:
    """The items an answer listed, for "第二项…": its numbered lines, its 一是…二是… parts, or the
    longest 、-separated series of short phrases (单独组建、联合组建、挂靠组建)."""
    text = re.sub(r"\[\d+\]", "", answer)
    lines = [m.strip(" 。；;，,") for m in re.findall(r"^\d+\.\s*(.+)$", text, re.M)]
    if len(lines) >= 2:
        return lines
    parts = re.split(r"[一二三四五六七八九十]是", text)
    if len(parts) >= 3:
        return [re.split(r"[；;。]", p)[0].strip(" ，,") for p in parts[1:]]
    # "五大做法:创新管理体制,破解…;整合各种资源,破解…;…": a list after a colon, its items split by semicolons
    if (m := re.search(r"[：:]([^：:]+)", text)) and len(parts := [p for p in re.split(r"[；;]", m.group(1)) if p.strip(" 。")]) >= 3:
        return [re.split(r"[，,。]", p)[0].strip() for p in parts]
    # "四个100%目标(凡具备…的100%建立党组织;已经单建…;仅有个别党员的…;没有党员的…)": the items in brackets.
    for m in re.finditer(r"[(（]([^()（）]+)[)）]", text):
        if len(parts := [p for p in re.split(r"[；;]", m.group(1)) if p.strip(" 。")]) >= 3:
            return [p.strip(" ，,") for p in parts]
    # "如康迪公司的“阳光车队”工作法,…还有缸套厂党支部的“温情工作法”": examples named in quotes, of one kind.
    named = list(dict.fromkeys(m.group(1) + (m.group(2) or "") for m in NAMED_EXAMPLE.finditer(text)))
    for tail in {x[-3:] for x in named}:
        if len(same := [x for x in named if x.endswith(tail)]) >= 2 and EXAMPLES.search(text):
            return same
    series = max(INLINE_ITEMS.findall(text), key=len, default="")
    items = [re.split("等", x)[0] for x in series.split("、")] if series else []
    if len(items) >= 2:
        width = max(len(x) for x in items[1:])
        items[0] = items[0][-width:]  # "采取单独组建" -> "单独组建": as long as its siblings
    return items if len(items) >= 2 else []


def _ordinal(m: re.Match) -> int:
    """The n of an ORDINAL match "第n…" (digits or 一…十)."""
    return int(numeral_value(m.group(1)))


# "…有以下一些经验值得总结。": the answer ends announcing a list it does not give.
ANNOUNCES = re.compile(r"(?:以下|如下)[^。；]{0,12}[。：:]?$|[:：]$")


def ordinal_item(text: str, previous_answer: str) -> tuple[re.Match, str] | None:
    m = ORDINAL.search(text)
    if m and ANNOUNCES.search(re.sub(r"\[\d+\]", "", previous_answer).strip()):
        return None  # "头一条经验是啥" asks for the first item of the list announced, not of one quoted before
    items = items_in(previous_answer) if m else []
    if not m or not items:
        return None
    n = len(items) if m.group(2) else _ordinal(m)
    return (m, items[n - 1]) if 1 <= n <= len(items) else None


# "“三项建设”，第五项是什么": the list's size, when the question gives it.
LIST_SIZE = re.compile(r"(\d+|[一二三四五六七八九十两]+)(?:个方面|个|项|条|大|点|种)")


def list_size(text: str) -> tuple[str, int]:
    """The size a question gives the list it asks an item of, as written and as a number ("那21项制度里第一项" ->
    ("21项", 21)), or ("", 0). The ordinal itself ("第一项") sizes nothing."""
    m = next((m for m in LIST_SIZE.finditer(text) if text[max(0, m.start() - 1) : m.start()] not in ("第", "头")), None)
    return (m.group(0), int(numeral_value(m.group(1)) or 0)) if m else ("", 0)


def past_the_list(text: str, n: int) -> bool:
    """Does the question ask for an item past the end of a list whose size it gives ("六个方面…第九条")?"""
    total = list_size(text)[1]
    return bool(n and total and n > total)


def cn_ordinal(n: int) -> str:
    """一 … 十 for 1 … 10, digits beyond."""
    return CN_DIGITS[n - 1] if 1 <= n <= len(CN_DIGITS) else str(n)


def item_asked(text: str) -> int:
    """n when the question asks for the n-th item of a list ("提的第四个方面要求是啥？"), else 0."""
    m = ORDINAL.search(text)
    if not m or m.group(2):
        return 0
    return _ordinal(m)


CONCEPT_TERM = re.compile(r"(?:什么是|何谓|啥是)(?P<a>[^？?，,。]{2,16})|^(?P<b>[^？?，,。]{2,16}?)(?:是什么意思|是什么|指什么|是指什么|的含义|的意思|什么意思)")


def concept_term(text: str) -> str:
    """The term a what-is question asks about, quotes dropped: "什么是“党建带工建”？" -> 党建带工建."""
    m = CONCEPT_TERM.search(text.strip())
    term = (m.group("a") or m.group("b")) if m else ""
    term = re.sub(r"(?:具体|到底|究竟|指的|的|当时|那时|现在|目前|当年|平时)+$", "", term)  # "韩旭当时是什么职务"
    if ORDINAL.search(term):
        return ""  # "“建”这块第二条是什么": an item of a list asked by its place, no term
    return re.sub(r"[“”\"‘’'「」『』《》\s]", "", term)


PART_OF_TERM = re.compile(r"[”\"」](?:[\u4e00-\u9fff]{0,6})?[中里]的[“\"「]?([^“”\"「」，,。？?的]{1,8}?)[”\"」]?(?:分别)?(?:是指|指的是|是什么|指什么|指|是)")


def defined_term(text: str) -> str:
    """What a what-is question wants explained: the part of a term it asks about, quoted or not ("“1+N”模式中的“1”是指
    什么", "“1+N”中的1指什么" -> 1), else its last quoted term, or its term."""
    if m := PART_OF_TERM.search(text):
        return m.group(1)
    quoted = QUOTED.findall(text)
    return quoted[-1] if quoted else concept_term(text)


def defines(term: str, sentence: str) -> bool:
    """The sentence explains the term: "“党建带工建”,根本在“带”", "“1”是每个苏木乡镇…", "所谓…", "X(…)", "X目标(…)"."""
    t = re.escape(term)
    return bool(re.search(rf"{t}[”」\"']?\s*(?:[,，]?\s*(?:是|指|即|就是|意思是|根本在|主要是|包括)|[(（:：])", sentence)
                # "四个100%目标(凡具备…;已经…)": the gloss may follow the term's head noun
                or re.search(rf"{t}[”」\"']?[\u4e00-\u9fff]{{1,2}}[(（][^)）]{{8,}}", sentence)
                or re.search(rf"所谓[“\"]?{t}", sentence))


NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2, "双": 2}


# "“双强”是哪两强": the question wants the items of a numbered term listed.
ASKS_ITEMS = re.compile(r"哪[二三四五六七八九十两]")  # not 哪一年, 哪一天


COUNTED_TERM = re.compile(r"([一二三四五六七八九十两双])(?:个|支|项|大|条|种|类|件|方面)?([\u4e00-\u9fff]{1,3})")


QUOTED = re.compile(r"[“\"‘'「『]([^”\"’'」』]{1,16})[”\"’'」』]")


def quotes(term: str, text: str) -> bool:
    """Does the text quote the term? A term (“双强”, “党建带工建”) in its quotation marks; a saying of six characters
    or more also in other punctuation ("“只能加强不能削弱”" is quoted as "只能加强,不能削弱")."""
    if f"“{term}”" in text:
        return True
    bare = re.sub(r"[^\w]", "", term)
    return len(bare) >= SAYING and bare in re.sub(r"[^\w]", "", text)


SAYING = 6  # characters: a quoted term shorter than this is a name, used unquoted for other things too


def numbered_terms(text: str) -> list[str]:
    """The quoted numbered terms of a text: “四同”, “双强”, “两支队伍”, “三项建设”."""
    return [t for t in QUOTED.findall(text) if COUNTED_TERM.fullmatch(t)]


# "四个一", "两个覆盖", "两支队伍": a numbered term that counts its parts with a measure word, by what it numbers.
SLOGAN = re.compile(r"[一二三四五六七八九十两]+(?:个|支|项|大|条)(.{1,6})")
# "那几个“一”活动": a slogan asked of by its count, which the asker does not remember.
SLOGAN_ASKED = re.compile(r"(?:那|这)?(?<!哪)几(?:个|支|项|大|条)[“\"']?")


def slogans_of(texts: list[str]) -> dict[str, frozenset[str]]:
    """The quoted numbered slogans of texts by what they number: "一" -> {"四个一"}, "作用" -> {"两个作用", "三个作用"}."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for term in numbered_terms(text):
            if m := SLOGAN.fullmatch(term):
                found.setdefault(m.group(1), set()).add(term)
    return {part: frozenset(terms) for part, terms in found.items()}


def with_slogan(text: str, slogans: dict[str, frozenset[str]]) -> str:
    """"克旗那几个“一”活动都指什么" -> "克旗“四个一”活动都指什么": the one slogan of the materials that numbers it."""
    for m in SLOGAN_ASKED.finditer(text):
        rest = text[m.end() :]
        part = max((p for p in slogans if rest.startswith(p) and len(slogans[p]) == 1), key=len, default="")
        if part:
            after = rest[len(part) :].lstrip("”\"'")
            return f"{text[: m.start()]}“{next(iter(slogans[part]))}”{after}"
    return text


def _counted_term(term: str) -> tuple[int, str] | None:
    """(how many, the noun) of a numbered term ("两支队伍" -> (2, "队伍")); None when it is not one, or when
    its noun is itself a numeral ("四个一"), which no text can be checked against."""
    m = COUNTED_TERM.fullmatch(term)
    if not m or re.fullmatch(r"[一二三四五六七八九十]+", m.group(2)):
        return None
    return NUMERALS[m.group(1)], m.group(2)


def lists_items(term: str, sentence: str) -> bool:
    """The term's noun comes back in the sentence as often as its numeral says, besides the term itself:
    "同部署、同检查、同考核、同表彰" for 四同, "发展强、党建强" for 双强, "“两支队伍”(党务工作者队伍和出资人队伍)"."""
    if not (counted := _counted_term(term)):
        return False
    n, noun = counted
    rest = sentence.replace(term, "")
    if len(noun) == 1:  # the items start (同部署) or end (发展强) with it
        cjk = r"[\u4e00-\u9fff]"
        return max(len(re.findall(noun + cjk, rest)), len(re.findall(cjk + noun, rest))) >= n
    # A longer noun used twice anywhere (队伍) lists nothing unless the term is there with it.
    return term in sentence and rest.count(noun) >= n


LIST_OPENS = re.compile(r"[一1][是、.．]|第一|首先|其一")


def spelled_out(term: str, texts: list[str]) -> bool:
    """Do the passages say what a numbered term is made of, anywhere they use it? Around each use: a
    definition ("“四个一”(每个…)"), its items ("发展强、党建强"), a list opening right after it ("“三项建设”,…
    一是抓好组织建设"), or a list of as many items close after it ("“三个作用”…巩固执政之基、助推经济发展、
    凝聚企业人心、促进社企和谐的作用"). Lenient on purpose: only a term the passages merely name counts as
    not spelled out ("“两支队伍”建设"), and a term whose noun is a numeral ("四个一") can't be told."""
    if not (counted := _counted_term(term)):
        return True
    n = counted[0]
    run = rf"(?:[\u4e00-\u9fff“”]{{2,14}}、){{{n - 1},}}[\u4e00-\u9fff“”]{{2,14}}"
    for text in texts:
        for use in re.finditer(re.escape(term), text):
            after = text[use.end() : use.end() + 80]
            if defines(term, text[use.start() : use.end() + 4]) or LIST_OPENS.search(after[:40]) \
                    or (n >= 3 and (r := re.search(run, after[:60])) and r.start() <= 35) \
                    or lists_items(term, text[max(0, use.start() - 60) : use.end() + 120]):
                return True
    return False


FRAME_GAP = re.compile(r"(?P<left>[\u4e00-\u9fff]{1,3})(?:什么样的|什么|啥|哪些|哪个|哪种)(?P<right>[\u4e00-\u9fff]{1,3})")


GENERIC_HEAD = re.compile(r"作用|方式|方法|做法|措施|工作|内容|要求|问题|情况|活动|形式|办法|经验|效果|意义|好处|东西|事")


WHERE_SAID = re.compile(r"(根本|关键|基础|核心|重点|难点|要害|前提|保障|目的|出路|优势|动力|着力点|落脚点)(?:又)?在(?:哪|哪儿|哪里|什么地方|于哪|何处)")


def answer_frame(text: str) -> str:
    """The words around the question word, as a pattern the answering sentence fills in: "以什么为契机" ->
    以…为契机, "牢牢把握什么主线" -> 把握…主线; "" when either side is missing or only grammar."""
    # "根本在哪" -> 根本在“带”: what a saying puts where, said right after the word
    if at := WHERE_SAID.search(text):
        return rf"{re.escape(at.group(1))}在[“\"「]?[\u4e00-\u9fff]{{1,6}}"
    m = FRAME_GAP.search(text)
    if not m:
        return ""
    left = re.sub(r"[了的是有些个]+$", "", m.group("left"))
    left = left[-1:] if left[-1:] and left[-1] in "以把将向对从用按" else left[-2:]  # "要以什么为契机" -> 以
    right = re.sub(r"^(?:的|了|是|呢|吗)+", "", m.group("right"))
    right = re.split(r"[的了呢吗是]", right)[0]
    if GENERIC_HEAD.match(right):  # "发挥哪些作用" frames half the documents' sentences
        return ""
    # "办的是什么班" -> 办…班: a one-character head that names a kind of body or event is enough
    if not left or not right or len(left) == 1 and len(right) < 2 and right not in "班会组队群站室网":
        return ""
    return rf"{re.escape(left)}[^，,。；;？?]{{1,30}}?{re.escape(right)}"


def item_marker(n: int) -> re.Pattern:
    """How a source marks its n-th item: 四是 / （四） / 第四， / 四、 / 4."""
    cn = cn_ordinal(n)
    return re.compile(rf"{cn}是|[（(]{cn}[）)]|第{cn}[，,、是条项]|^{cn}、|^{n}[、.．]|[。；;]{cn}、")
