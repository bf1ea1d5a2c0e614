"""Places and organisations a text names (新郑, 克什克腾旗 as 克旗, 苏州工业园区, 芝瑞镇石材行业党支部), read
with a few suffix rules, the knowledge base's own regions and jieba's place tags."""

from __future__ import annotations

import functools
import re

from .lexical import dictionary_tags

YEAR = re.compile(r"(?:19|20)\d{2}\s*年")


PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
             "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")


PLACE_SUFFIX = set("省市县旗盟区")


# 区 ends a place only after a name: not 社区, 园区, 开发区, 辖区, 城区, 高新区 …
NOT_A_DISTRICT = re.compile(r"[社园发地小城市郊景矿辖片政特新街学校营务任格范验税济民会工业镇]$")


PLACE_BLOCK = set("场级委民政长容里内域直属了钱")  # "帮企业省了多少运费": 省 saves


ZONE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:经济技术开发区|开发区|高新区|工业园区|新区)")  # 苏州 of 苏州高新区


PLACE_LEAD = "在和与及的了是从到去对把给向往赴由跟同比像那这"  # words before a place name, not part of it


# Words that end a clause before a place name ("参观完以后新郑市…"), not part of it.
PLACE_LEAD_WORDS = re.compile(r"以后|之后|以前|之前|然后|时候|当时|目前|现在|最近|去年|今年|听说|关于|对于|回到|来到|看看|问问"
                              r"|知道|请问|了解")


NOT_A_PLACE = re.compile(r"省区|单列|直辖|自治|地级|县级|城市|地市|都市|上市|门市")  # 省区市, 计划单列市


# An organisation of one place ("新郑工商联", "苏州市委"), which another place has not.
LOCAL_ORG = re.compile(r"工商联|市委|区委|县委|旗委|党委|党工委|组织部|总工会|个私协会|民协|政府")


PLACE_JUNK = "的了是在和与我们你他她这那全本该各每有个些么怎哪城超门都党多少几谁何啥年月底"


def without_places(text: str) -> str:
    """The text without the places it names (新郑, 永康市)."""
    places = places_in(text)
    return re.sub("|".join(rf"{re.escape(p)}[市县区旗]?" for p in places), "", text) if places else text


def years_in(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(re.sub(r"\s", "", y) for y in YEAR.findall(text)))


def places_in(text: str, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Place names the question is about, as stems (上海, 苏州, 克什克腾), for the focus check: before each
    place suffix, the longest stem of 2-4 characters that holds no function word; and the `known` places
    (the knowledge base's own regions) named without a suffix ("苏州和克什克腾旗")."""
    out = [p for p in PROVINCES if p in text]
    for j, ch in enumerate(text):
        if ch not in PLACE_SUFFIX or text[j + 1 : j + 2] in PLACE_BLOCK:
            continue
        if ch == "省" and text[j + 1 : j + 2] in "下去掉出":  # "帮石材企业省下了多少运输费": 省 saves
            continue
        if ch in "旗县" and j and any(len(k) >= 3 and k[0] == text[j - 1] for k in known):
            continue  # "听讲克旗有间…": 克旗 is 克什克腾旗 said short (below), not a place called 听讲克
        best = ""
        room = len(PLACE_LEAD_WORDS.split(text[max(0, j - 8) : j])[-1])  # the stem starts after "以后"
        for k in range(2, min(6, room + 1)):
            stem = re.split(f"[{PLACE_LEAD}]", text[j - k : j])[-1]
            if len(stem) >= 2 and len(stem) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", stem) \
                    and not re.search(f"[{PLACE_JUNK}]", stem):
                best = max(best, stem, key=len)
        if ch == "区" and (NOT_A_DISTRICT.search(best) or ZONE.match(text, max(0, j - 8))):
            continue
        best = next((k for k in known if best.endswith(k)), best)  # "想学新郑市": the known 新郑
        # "重庆渝中区", "浙江义乌市": a place inside the province (or city) named just before it.
        best = next((best[len(p):] for p in out if best.startswith(p) and len(best) - len(p) >= 2), best)
        if best and not NOT_A_PLACE.search(best) and not any(best in p or p in best for p in out):
            out.append(best)
    for m in ZONE.finditer(text):  # 昆山开发区, 苏州工业园区
        stem = re.split(f"[{PLACE_LEAD}]", PLACE_LEAD_WORDS.split(m.group(1))[-1])[-1]
        stem = next((k for k in known if stem.endswith(k)), stem)
        if len(stem) >= 2 and not re.search(f"[{PLACE_JUNK}]", stem) and not any(stem in p or p in stem for p in out):
            out.append(stem)
    for stem in sorted(known, key=lambda k: (text.find(k), -len(k))):
        if stem in text and not any(stem in p or p in stem for p in out):
            out.append(stem)
    for stem in _tagged_places(text):  # "无锡各个镇里": a place jieba's dictionary knows, named without a suffix
        if not any(stem in p or p in stem for p in out):
            out.append(stem)
    # A long banner or county name is said by its first character ("克旗" for 克什克腾旗).
    at = {stem: m.start() for stem in known if len(stem) >= 3 and stem not in text
          for m in [re.search(rf"{stem[0]}[旗县](?![长委])", text)] if m}
    out += [stem for stem in at if not any(stem in p or p in stem for p in out)]
    return tuple(sorted(out, key=lambda p: at.get(p, text.find(p))))


# Stems of cities and provinces that are common words too (大都市, 朝阳产业, 中和, 江山).
NOT_A_REGION = frozenset(("大都", "江山", "中山", "朝阳", "永安", "中和", "安宁", "北海", "滨海", "大城", "桃园", "沙河", "开平",
                          "长乐", "安国", "三河", "海城", "台山", "东川", "平川", "新店", "临河", "安东", "广宁", "兴平", "宁国",
                          "宁安", "北宁", "新庄", "南海", "合山", "大藏", "永城", "新乐", "东兴", "丰城", "同江", "建阳", "南康",
                          "龙井", "四平", "白山", "华阴", "巴中", "定西", "保山", "安阳", "吉安", "大庆", "武安", "临江", "东港"))


def _tagged_places(text: str) -> list[str]:
    """Places named without a suffix (无锡, 杭州) or with one the parser skips (渝北区民协), from jieba's
    dictionary: a word tagged `ns` whose city or province form (无锡市, 浙江省) is a place there too."""
    bare, suffixed = gazetteer()
    out, i = [], 0
    while i < len(text):
        for n in range(min(8, len(text) - i), 1, -1):
            word = text[i : i + n]
            stem = word[:-1] if word in suffixed else word if word in bare else ""
            if stem:
                out.append(stem)
                i += n
                break
        else:
            i += 1
    return list(dict.fromkeys(out))


@functools.cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(bare stems, suffixed names) of the places jieba's dictionary tags (`lexical.dictionary_tags`)."""
    tags = dictionary_tags()[0]
    bare = {w for w in tags if len(w) >= 2 and any(w + s in tags for s in ("市", "省", "盟", "自治区"))}
    suffixed = {w for w in tags if len(w) >= 3 and w[-1] in "区县旗" and not w.startswith("自治") and not NOT_A_PLACE.search(w)}
    return frozenset(bare - NOT_A_REGION), frozenset(suffixed)


def local_place(region: str) -> str:
    """The place a document is about, the last of its region: "浙江省金华市永康市" -> 永康市 (not 金华)."""
    parts = re.findall(r"[\u4e00-\u9fff]+?(?:自治区|省|市|县|区|旗|盟)", region)
    return parts[-1] if parts else region


def region_places(regions: list[str]) -> frozenset[str]:
    """Place stems of the documents' regions: "浙江省金华市永康市" -> 浙江, 金华, 永康."""
    return frozenset(m for r in regions for m in re.findall(r"([\u4e00-\u9fff]{2,5}?)(?:自治区|省|市|县|区|旗|盟)", r))


ORGANISATION = re.compile(r"([\u4e00-\u9fff]{2,12}?)(?:联合党支部|党支部|党总支|党委|公司|集团|协会|商会|研究会|领导小组|局)")


NAME_STOP = PLACE_LEAD + "的了是在和与我们你他她这那全本该各每个些么怎哪都多少几谁何啥，,、：:“”"
# Characters no person's name holds: "并纷纷表示", "在会上", "的作用" name nobody.
NOT_IN_PERSON = re.compile(f"[{NAME_STOP}上下中内作用并纷也还又就们它会]")


NOT_A_NAME = re.compile(r"^(?:这个|那个|这家|那家|该|各级|基层|我们|俺们|咱们|他们|企业|非公|非公企业|两新|个私|全国|全市|全旗|市里|区里)$")


FIRM_KIND = re.compile(r"^(?:有限|股份|控股|民营|私营|国有|外资|合资|独资|上市|子|分|总|母|科技|贸易|物流|建筑|咨询|服务|一家|这家|那家|本|贵)")


def entities_in(text: str) -> tuple[str, ...]:
    """The distinguishing part of organisations the question names: "芝瑞镇石材行业党支部" -> 芝瑞镇石材行业,
    "重庆金山集团党支部" -> 重庆金山; generic ones (企业党支部, 这个党委) are no names."""
    out = []
    for m in ORGANISATION.finditer(text):
        name = re.split(f"[{NAME_STOP}]", m.group(1).removesuffix("的"))[-1]  # "双龙建材的党支部"
        # A firm's name may be two characters ("华盛公司", "维德公司"), not a kind of firm ("有限公司", "民营公司").
        short = len(name) == 2 and re.match(r"公司|集团", text[m.end(1) :]) and not FIRM_KIND.match(name)
        if (len(name) >= 3 or short) and not NOT_A_NAME.match(name) and not any(name in p for p in places_in(text)):
            out.append(name)
    return tuple(dict.fromkeys(out))


def mentions(name: str, text: str, share: float = 0.6) -> bool:
    """Most of a name's bigrams are in the text (克旗华盛 is named by "克旗华盛公司")."""
    grams = [name[i : i + 2] for i in range(len(name) - 1)]
    return sum(g in text for g in grams) >= share * len(grams)


def place_spans(text: str, known: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Where the question's places are mentioned: the stem plus its suffix (新郑市, 克什克腾旗)."""
    spans = []
    for stem in places_in(text, known):
        for m in re.finditer(re.escape(stem) if stem in text else rf"{stem[0]}[旗县]", text):  # 克旗
            end = m.end() + (1 if stem in text and text[m.end() : m.end() + 1] in PLACE_SUFFIX else 0)
            spans.append((m.start(), end))
    return sorted(spans)
