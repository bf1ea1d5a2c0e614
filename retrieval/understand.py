"""Stage 1, understand the question: normalize its script and register, fix typing slips, tell what
kind of answer it expects, spot instruction attempts, and make a follow-up standalone.

The user's wording is kept as typed (`Question.original`); everything downstream works on `text`."""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInputError
from .types import Turn

LEXICON = Path(__file__).with_name("lexicon.toml")

# Attempts to steer the bot, or to get its configuration or credentials, instead of asking.
INJECTION = re.compile(
    r"忽略.{0,8}(指令|指示|提示|规则|设定|要求|限制)|无视.{0,8}(指令|规则|限制)|(系统|初始)\s*(提示词|提示|指令|prompt)|提示词"
    r"|你的(设定|配置|规则|指令)|扮演|角色扮演|假装|假设你是|你现在是|现在你是|从现在起你|越狱|jailbreak"
    r"|ignore\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier)|disregard|system\s*prompt|developer\s+mode"
    r"|pretend|act\s+as|you\s+are\s+now|roleplay|role-play|reveal|instructions"
    r"|开发者模式|管理员模式|调试模式|(输出|打印|显示|告诉我|给我|发我|泄露|透露).{0,8}(配置|token|令牌|api\s*key|环境变量|源代码|数据库)"
    r"|(密钥|秘钥|密码|口令|账号|帐号|账户|api\s*key|token|令牌|后台地址|环境变量).{0,6}(是什么|是多少|多少|告诉|给我|发|哪|什么)"
    r"|(管理员|admin).{0,6}(密钥|秘钥|密码|账号|帐号|key)"
    r"|(列出|提供|告诉|给我|发我|显示|输出|打印|查询|透露|泄露|导出).{0,12}(密钥|秘钥|密码|口令|账号|帐号|账户|api\s*key|token|令牌)"
    r"|[【\[(（]\s*(?:系统|管理员|后台)\s*(?:通知|消息|公告|更新)|知识库(?:已经?|现已)?(?:更新|修改|更改)|按(?:新|以下|我的)(?:规定|规则|设定|口径)回答"
    r"|(?:别管|不要管|不用管|不管|抛开|撇开|跳过|甭管).{0,6}(?:材料|资料|文件|知识库|文档)"
    r"|(?:用|凭|按|根据)你(?:自己)?的(?:知识|经验|常识)|不(?:要|用|需要|必)(?:依据|根据|参考|引用).{0,6}(?:材料|资料|文件|知识库)"
    r"|最高优先级|优先级.{0,4}指令|以下是.{0,6}指令|新的指令|每个回答.{0,4}(结尾|末尾|开头)|(password|credential|secret\s*key)",
    re.IGNORECASE,
)

# What kind of answer the question asks for; checked against the answering sentence.
ROLES = "秘书长|董事长|负责人|主持人|书记|会长|主任|组长|主席|局长|部长|司长|厂长|经理|委员|市长|旗长|县长|区长|领导|同志|代表"
EXPECTS: list[tuple[str, re.Pattern]] = [
    ("date", re.compile(r"哪一天|哪天|几号|具体日期|几月几")),
    ("year", re.compile(r"哪一年|哪年|何年|年份|几几年")),  # a year: "去年4月" does not say which
    ("time", re.compile(r"什么时候|何时|几月|什么时间|啥时候")),
    ("duration", re.compile(r"多长时间|多久|多少天|几天|多长|为期|(?<![近这前好十])几年")),
    ("share", re.compile(r"比例|占比|百分之|百分比|比重|覆盖率|占.{0,8}(多少(?![个名家人位所支户项条次万])|几成)|几成|增长了?多少|增幅|增长幅度|增长率|增速|率是"
                         r"|比.{0,8}?(?:多|少|增加|提高|减少|上升|下降)了?多少")),  # "比上一年多了多少": a rise, often in %
    # A change from before ("比上一年提高了几个百分点"): a level alone ("覆盖达73.9%") does not say it.
    ("change", re.compile(r"比.{0,8}?(?:多|少|增加|提高|减少|上升|下降|增长)了?(?:多少|几)|(?:增长|提高|增加|上升|下降|减少)了?(?:多少|几个?百分点)"
                          r"|增幅|增长幅度|增长率|增速")),
    ("number", re.compile(r"(?:一共|总共|共)[^，,。？?]{0,6}几[项条点种类个]|多少|几个|几名|几家|几人|几位|几次|几万|几千|几百|数量|数额|金额|几所|几支|几户|人数|个数|规模多大")),
    ("list", re.compile(r"哪些|哪几|几个方面|几方面|几项|几条|几点|几种|几类|包括什么|包括哪|分别|有什么(做法|措施|要求|方式|形式|内容|活动|经验)|都有什么|几大")),
    ("person", re.compile(r"是谁|叫什么名字|叫啥|全名|名字叫|姓什么|姓啥|哪位|谁(?:担任|负责|主持|介绍|讲话|提出|作的)"
                          rf"|(?:{ROLES})(?:叫|是)什么(?:名字)?(?:[？?]|$)")),
    ("money", re.compile(r"多少钱|多少经费|多少资金|多少费用|花了多少|花多少|投入多少|投入了多少|拨多少|拨了多少|多少万元|多少元|多少款")),
    ("region", re.compile(r"哪(?:个|一个|些)(?:省|市|县|国家|城市)|哪座城市|哪省|哪国")),  # a place name answers
    ("place", re.compile(r"什么地方|哪(?:个|些)(?:地方|地区|乡镇|镇|社区|村)|去(?:了)?哪(?:里|儿|(?![些个一样种家位]))|到哪(?:里|儿)?(?:去|考察|学习|参观|取经)")),  # ... or where to
    ("reason", re.compile(r"为什么|为何|原因|何以|为啥")),
    ("how", re.compile(r"怎么|怎样|如何|办法|措施|途径|步骤|做法|方式|怎么办|咋")),
    ("concept", re.compile(r"什么是|是什么|指什么|含义|意思|指的是|是指|何谓|定义")),
]
MEASURABLE_KINDS = ("date", "year", "time", "duration", "share", "change", "number", "person", "money", "region", "place")
# A place named anywhere is weak evidence of the place asked for: these flag a gap (decide), never rank.
GAP_ONLY_KINDS = ("region", "place", "change")  # a rise ranked up would be another document's ("比上年增长5.6%")
# Where someone went or goes: "赴焦裕禄陵园", "到哇哈哈集团去学习".
DESTINATION = re.compile(r"(?:赴|前往|到|去)[\u4e00-\u9fff]{2,10}?(?:陵园|纪念馆|基地|集团|公司|园区|学院|大学|学校|景区|村|镇)"
                         r"|[\u4e00-\u9fff]{2,4}(?:镇|乡|村|社区|街道|园区|开发区)(?![长委])")  # 芝瑞镇, 赛罕社区
GENERIC_ROLES = {"领导", "同志", "人员", "干部", "代表"}
TITLES = "秘书长|董事长|书记|会长|主任|部长|司长|组长|主席|局长|市长|旗长|县长|区长|经理"
TITLED_NAME = re.compile(rf"(?:{TITLES})[)）]?([\u4e00-\u9fff]{{1,3}})(?:作|在|介绍|主持|强调|指出|表示|讲|说|提出|肯定|出席|同志)")
# "四同", "六有": a numeral and a character or two abbreviating a list the text spells out.
NUMERAL_ABBREVIATION = re.compile(r"[一二三四五六七八九十两双][\u4e00-\u9fff]{1,2}")
PERSON_ROLE = re.compile(rf"({ROLES})[，,]?[^，,。？?]{{0,3}}?(?:是谁|叫什么名字|叫啥|全名|名字叫|姓什么|姓啥|叫什么(?=[？?]|$))|哪位({ROLES})"
                         r"|([\u4e00-\u9fff]{2})(?:是谁|叫什么名字|叫啥|姓什么|姓啥)|哪位([\u4e00-\u9fff]{2})")
PERSON_VERBS = "作了|作重要|介绍|主持|强调|指出|表示|讲话|提出|肯定|出席|同志|担任|代表"
# "书记全名叫啥": a surname alone ("书记张介绍") does not answer it; "姓什么" it does.
FULL_NAME = re.compile(r"全名|全称|名字|姓名|叫什么|叫啥")
# Spans a sentence must hold to answer each kind of question.
SATISFIES: dict[str, re.Pattern] = {
    "date": re.compile(r"\d{1,2}\s*[日号]|\d{1,2}月\d{1,2}"),
    "year": re.compile(r"(?:19|20)\d{2}\s*年"),  # "20xx年", masked in the source, says no year
    "time": re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月|去年|今年|前年|上半年|下半年|年初|年底|年末"),
    "money": re.compile(r"\d[\d.,]*\s*(?:余|多)?(?:万|亿|千)?元"),
    # How long, or how often ("多久召开一次" is answered by "每年召开一次").
    "duration": re.compile(r"[\d一二三四五六七八九十两]+\s*(?:个)?(?:天|日|周|月|年|小时)|每(?:个)?(?:年|月|季度|周|天|日|半年)"),
    "share": re.compile(r"\d+(?:\.\d+)?\s*[%％]|百分之|占.{0,12}\d|\d+(?:\.\d+)?成|100%|(?:增长|增加|提高|减少|下降)了?\d"),
    "number": re.compile(r"\d|[一二三四五六七八九十两百千万]+\s*(?:个|名|家|人|次|户|项|条|万|千|元|支|所|批|期)"),
    "change": re.compile(r"(?:增长|增加|提高|减少|下降|上升|降低|增幅)了?\s*(?:\d|百分之|[一二三四五六七八九十两]+\s*(?:个|倍|成))"),
}

# Events a question may presuppose ("为什么取消了…"); when no passage mentions them, the premise is unsupported.
EVENT_WORDS = re.compile(
    r"取消|撤销|撤掉|废除|废止|停止|暂停|叫停|减少|下降|降低|削弱|放弃|失败|解散|关闭|处分|处罚|违规|批评|拒绝|禁止|否决"
    r"|退出|削减|缩减|大幅|倒闭|亏损|裁员|停办|撤并|不管|不再|不许|不准|放缓|萎缩|流失|通报|查处|整改"
)

# Follow-ups: they lean on the previous turn.
FOLLOW_UP_START = re.compile(r"^(?:那(?![些个次种家趟回位样里儿])|那么|那该|那要|那如果|那具体|还有|然后|另外|此外|除此之外|再说说|再讲讲|接着|如果是|要是"
                             r"|之后|后来|接下来|下一步)")
# "培训下来效果怎么样？": how something turned out, asked of what the previous turn was about.
NEXT_ASK = re.compile(r"^(?:那|他们|她们|它们|这些人)?(?:之后|后来|接下来|下一步|往后|今后|以后|未来)|打算"
                      r"|(?:完|回来|结束|过后)了?(?:以后|之后|后)")  # "参观完以后…有什么表态": what came after it
RESULT_ASK = re.compile(r"效果|成效|结果|影响|反响|收获|作用如何")
PRONOUN = re.compile(r"他们|她们|它们|他|她|它|这个|那个|这些|那些|这种|那种|这家|那家|这趟|那趟|这次|那次|此次|这回|那回|该(?=[\u4e00-\u9fff])|其(?=[\u4e00-\u9fff])|这样|上述|以上|此(?=[\u4e00-\u9fff])")
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
PLACE_JUNK = "的了是在和与我们你他她这那全本该各每有个些么怎哪城超门都党多少几谁何啥"


@dataclass(frozen=True)
class Question:
    """A question as understood: the words the user typed, the normalized text everything works on,
    the standalone form (follow-ups resolved), and the kind of answer it expects."""

    original: str
    text: str
    standalone: str
    expects: tuple[str, ...] = ()
    counts: str = ""  # what a 多少/几 question counts
    unit: str = ""  # ... and in which measure word
    per: bool = False  # "每个…几个": a rate, which "一名" answers
    limit: bool = False  # asks about a threshold ("党员满几人"), which "3名以上" answers
    when: str = ""  # what a when-question asks the time of ("成立", "组织党员代表去焦裕禄陵园")
    paid: str = ""  # what a how-much-money question asks the cost of, places left out ("发放服务联系卡")
    share_of: str = ""  # what a share question asks the share of ("女党员占多大比例" -> 女党员)
    item: int = 0  # asks for the n-th item of a list ("第四个方面要求是啥"): n
    term: str = ""  # the term a what-is question asks about ("党建带工建")
    frame: str = ""  # a pattern the answer fills in: "以什么为契机" -> 以…为契机 (a regex)
    injection: bool = False
    follow_up: bool = False
    years: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # named organisations ("芝瑞镇石材行业" of …党支部), for the focus check
    corrections: tuple[tuple[str, str], ...] = ()
    expansions: tuple[str, ...] = ()
    seen: tuple[str, ...] = field(default=())  # sentences the previous answer already gave
    own: int = -1  # content words of its own, for a follow-up ("那具体怎么做？" has none)
    sequel: str = ""  # a follow-up asking what came of it ("result": 效果怎么样) or what comes next ("next": 之后…, 这样做)
    own_words: tuple[str, ...] = ()  # a follow-up's own content words ("那动力靠啥？": 动力)
    asked_before: tuple[str, ...] = ()  # kinds of fact the previous question asked for (a follow-up's)

    @property
    def checked_kinds(self) -> tuple[str, ...]:
        """The kinds of fact a sentence must hold to answer (a number, a year…), as decide checks them."""
        return tuple(k for k in self.expects if k in MEASURABLE_KINDS)

    @property
    def ranked_kinds(self) -> tuple[str, ...]:
        """The checked kinds that also rank sentences; a place named anywhere only flags a gap."""
        return tuple(k for k in self.checked_kinds if k not in GAP_ONLY_KINDS)

    @property
    def search_text(self) -> str:
        """What retrieval sees: the standalone question plus domain synonyms."""
        return " ".join((self.standalone, *self.expansions))


@functools.cache
def _lexicon() -> dict:
    with LEXICON.open("rb") as f:
        return tomllib.load(f)


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def clean_input(question: str, max_chars: int) -> str:
    """Collapse whitespace and enforce the length limit; empty questions are an input error."""
    q = re.sub(r"\s+", " ", question or "").strip()
    if not q:
        raise InvalidInputError("问题不能为空，请输入您想了解的党建工作问题")
    if len(q) > max_chars:
        raise InvalidInputError(f"问题太长了（{len(q)}字），请精简到{max_chars}字以内")
    return q


FULL_WIDTH = re.compile(r"[\uff01-\uff5e]")
CJK_PUNCTUATION = set("，。？！：；（）、")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified characters (OpenCC); full-width letters, digits and symbols to half-width
    (１+Ｎ -> 1+N), while Chinese punctuation stays as written."""
    text = FULL_WIDTH.sub(lambda m: m.group() if m.group() in CJK_PUNCTUATION else unicodedata.normalize("NFKC", m.group()),
                          unicodedata.normalize("NFC", text))
    return _t2s().convert(text)


def normalize_register(text: str) -> str:
    """Spoken and dialect words to their written form; fillers removed."""
    lex = _lexicon()
    for src in sorted(lex["spoken"], key=len, reverse=True):
        text = text.replace(src, lex["spoken"][src])
    for w in sorted(lex["fillers"]["words"], key=len, reverse=True):
        text = text.replace(w, "")
    text = re.sub(r"(?<=\d)\s*加\s*(?=[A-Za-zＡ-Ｚａ-ｚ\d])", "+", text)  # "1加N" is how "1+N" is said
    return text.strip(" ，,")


def synonyms(text: str) -> tuple[str, ...]:
    """Domain synonyms for retrieval only (老板 -> 业主/企业主), never shown to the user."""
    out: list[str] = []
    for key, values in _lexicon()["synonyms"].items():
        if key in text:
            out.extend(v for v in values if v not in text and v not in out)
    return tuple(out)


INTERROGATIVE = re.compile(r"吗|什么|怎|如何|哪|多少|几|是否|是不是|算不算|有没有|能不能|可不可以|要不要|谁|为何|咋|啥")


def asking_clause(text: str) -> str:
    """The clause that asks, when a long question first tells its situation: "…几家小企业联起来建了支部以后，
    有的老板又想单独建，当初联起来建到底算不算个过渡？" asks only in its last clause, where 几家 is no question."""
    clauses = [c for c in re.split(r"[，,；;。！!\s]", text.strip(" ？?")) if c.strip()]
    if len(clauses) >= 2 and INTERROGATIVE.search(clauses[-1]) and (
            len(clauses) >= 3 or SITUATION_JI.search(clauses[0]) and not re.search(r"多少|[？?]", clauses[0])):
        return clauses[-1]
    return text


def reason_clause(text: str) -> str:
    """The clause a why-question asks in, and what follows: "这两年小公司一茬接一茬，领导为啥说党建越来越要紧了"
    presupposes only what its why-clause says; the story before it is the user's own."""
    m = re.search(r"为什么|为啥|为何|凭什么|什么原因|啥原因", text)
    if not m:
        return text
    starts = [b.end() for b in re.finditer(r"[，,；;。！!？?\s]", text[: m.start()])]
    return text[starts[-1] if starts else 0 :]


# "几家同行老搞压价": a few of something doing something, told, not asked ("有几家企业" ends where it asks).
SITUATION_JI = re.compile(r"(?<![有共了])几[个家位名条户]?[\u4e00-\u9fff]{6,}")


def expected_kinds(text: str) -> tuple[str, ...]:
    """Kinds of answer the question asks for (year, duration, share, number, list, reason, how, concept)."""
    text = asking_clause(text)
    kinds = [k for k, rx in EXPECTS if rx.search(text)]
    if "list" not in kinds and ASKS_ITEMS.search(text) and numbered_terms(text):
        kinds.append("list")  # "“三个作用”是哪三个作用": its items ("哪两个部门" names two in one sentence)
    # "几个方面/有哪几项" is a list, not a number.
    if "list" in kinds and "number" in kinds and not re.search(r"多少|几名|几家|几人|几次|数量|数额|金额|一共|总共", text):
        kinds.remove("number")
    if "number" in kinds and ("money" in kinds or re.search(r"哪几", text)):
        kinds.remove("number")  # "多少钱" asks for an amount; "哪几家" for the list
    if "share" in kinds and "number" in kinds:
        kinds.remove("number")  # "占…多少" asks for a share
    if "change" in kinds and "number" in kinds:
        kinds.remove("number")  # "提高了几个百分点" asks for the change, whatever it counts in
    return tuple(kinds)


COUNTED_AFTER = re.compile(r"(?<![近这前好十])(?:多少|几)(?:个|名|家|人|次|户|项|元|万元|万|位|支|所|批|期|条|天|年|份|本|册|辆|座|场|届|篇|台|套|件)?([\u4e00-\u9fffA-Za-z]{2,8})")  # "几个党建QQ群"
# What is counted starts at a clause edge or after a particle, never mid-word ("首席培训班每期培训多少人" must not
# give "席培训班每期培训"); longer than 12 characters it is a clause, not a thing.
COUNTED_BEFORE = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff]|[的了在给是有把对]))([\u4e00-\u9fff]{2,12}?)(?:各|分别|都)?(?:一共|总共|共|大概|大约)?(?:是|有|达到|达|为|占)?(?<![近这前好十])(?:多少|几)")
# Words before 多少 that are when or how it was counted, not what ("2014年底统计下来一共多少户").
NOT_A_THING = re.compile(r"(?:后来|之后|以后|统计下来|算下来|加起来|下来|起来|年底|年初|年末|目前|现在|眼下|如今|当前|截至|截止|一共|总共|到底"
                         r"|数量|数目|总数|个数|一年|每年|一个月|每月|一季度)$")


UNITS = [set("名人位"), set("个家所支户"), {"元", "万元", "万"}, set("天日"), {"次"}, set("项条"), {"期"}, {"年"}, {"月"},
         set("张份册本"), {"余人", "人次"}]
COUNTED_UNIT = re.compile(r"(?<![近这前好十])(?:多少|几)(万元|名|人|位|个|家|所|支|户|元|天|日|次|项|条|期|年|月|张|份|册|本)")
# A count in a sentence: digits, or Chinese numerals other than a lone 一 ("每个网格配备一名" is no count).
COUNT = re.compile(r"\d+(?:\.\d+)?|[两二三四五六七八九十百千万][一二三四五六七八九十百千万]*|一[十百千万]+[一二三四五六七八九十百千万]*")


def counted_unit(text: str) -> str:
    """The measure word a 多少/几 question asks in ("多少人" -> "人"), or ""."""
    m = COUNTED_UNIT.search(text)
    return m.group(1) if m else ""


SHARE_OF = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:所)?占(?:了)?(?:多大|多少|几成)(?![个名家人位所支户项条次万])")


STATED_COUNT = re.compile(r"(?<![第哪几\d])(\d+|[两二三四五六七八九十百千]+)\s*(?:余|多)?(个|名|家|期|项|条|次|支|批|户|张|天)([\u4e00-\u9fff]{2,4})")


def numeral_value(numeral: str) -> float | None:
    """3 -> 3, 十二 -> 12, 两 -> 2; None for what is no plain number."""
    if re.fullmatch(r"\d+(?:\.\d+)?", numeral):
        return float(numeral)
    if numeral in NUMERALS:
        return float(NUMERALS[numeral])
    if m := re.fullmatch(r"([一二三四五六七八九两]?)十([一二三四五六七八九]?)", numeral):
        return float(NUMERALS.get(m.group(1), 1) * 10 + NUMERALS.get(m.group(2), 0))
    return None


def contradicted_counts(question: str, passages: list[str]) -> list[str]:
    """The counts a question takes for granted ("为什么…各建3个区域党支部", "只办了1期培训班") that the
    passages give otherwise: they count the same thing in the same measure word, never with that number."""
    out = []
    for m in STATED_COUNT.finditer(question):
        value, unit, noun = numeral_value(m.group(1)), m.group(2), m.group(3)[:2]
        if value is None:
            continue
        num = r"(\d+(?:\.\d+)?|[两二三四五六七八九十]+)"
        unit = "[名人位]" if unit in "名人位" else unit  # "2000多名党员" against "党员1520人"
        said = [numeral_value(x.group(1)) for p in passages for rx in (rf"{num}\s*(?:余|多)?{unit}{noun}",
                                                                rf"{noun}[\u4e00-\u9fff]{{0,4}}?{num}\s*(?:余|多)?{unit}")
                for x in re.finditer(rx, p)]
        said = [v for v in said if v is not None]
        if said and value not in said:  # said as the user wrote it, up to where the noun ends
            whole = re.match(r"[\u4e00-\u9fff]{2,6}?(?=[，,。？?、的就了吗呢都也还又]|$)", question[m.start(3) :])
            out.append(f"{question[m.start() : m.start(3)]}{whole.group(0) if whole else m.group(3)}")
    return out


STATED_FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(万元|亿元|元|%|％)")


# A counted whole a question counts within: its number, measure word and noun ("114个企业党组织").
COUNTED = r"(\d+|[两二三四五六七八九十百千]+)(个|家|名|支|所|项|条)([^\W\d_各都了的是有在给派]{1,10}?)"
LOCATIVE = r"(?:里头|里面|当中|之中|里|中)"
# "那114个企业党组织里，有几个是党委", "下属的27个支会党支部一共有多少党员": a count within a counted part.
SCOPED_COUNT = re.compile(rf"({COUNTED}){LOCATIVE}?[，,]?(?:其中)?(?:一共|总共|共)?(?:有|是|[\u4e00-\u9fff]{{1,2}}了?)?(?:几|多少)")


def count_scope(text: str) -> str:
    """The counted part a 多少/几 question counts within ("114个企业党组织"), or ""."""
    m = SCOPED_COUNT.search(text)
    return m.group(1) if m else ""


# "12家五星级党组织里，社会组织的有几家": how many of a counted whole are of some kind, in its measure word.
SUBSET_COUNT = re.compile(rf"{COUNTED}(?:{LOCATIVE}[，,]?|[，,])[^，,。？?]{{0,12}}?(?:几|多少)(个|家|名|支|所|项|条)")


def subset_asked(text: str) -> tuple[str, str, str] | None:
    """(number, measure word, noun) of the whole a question counts part of, when it counts in the same
    measure word ("12家五星级党组织里…有几家"), else None."""
    m = SUBSET_COUNT.search(text)
    return (m.group(1), m.group(2), m.group(3)) if m and m.group(2) == m.group(4) else None


def breaks_down(whole: tuple[str, str, str], sentence: str) -> bool:
    """Does the sentence that counts the whole ("共评定五星级党组织12家") go on to count its parts
    ("其中…", "…中有…")? Without that, its number is the whole's, no answer to how many of them are something."""
    number, unit, noun = whole
    # The question may word the whole its own way ("17个双强示范单位" for "“发展强、党建强”示范单位17家"): its last
    # words and number, 个 and 家 alike.
    tail, unit = re.escape(noun[-4:]), "[个家]" if unit in "个家" else unit
    m = re.search(rf"{re.escape(number)}\s*{unit}[\u4e00-\u9fff“”、]{{0,12}}?{tail}|{tail}\s*{re.escape(number)}\s*(?:余|多)?{unit}",
                  sentence)
    after = sentence[m.end() : m.end() + 30] if m else ""
    return m is None or bool(re.search(r"其中|分别|包括", after) or re.match(r"\s*(?:当中|中|里)?[，,]?\s*(?:共有|有)?\s*\d", after))


def one_of_several(scope: str, sentence: str) -> bool:
    """Is the part only one of several the sentence lists ("13个分会党组织、27个支会党支部和114个企业党组织,
    管理党员1520人")? Its count of anything else is then the whole's, not the part's."""
    return bool(scope) and bool(re.search(rf"[、和及与]{re.escape(scope)}|{re.escape(scope)}[、和及与]", sentence))


def unsaid_figures(question: str, passages: list[str]) -> list[str]:
    """Amounts of money and shares a question states as facts ("每年拨5万元活动经费，这笔钱从哪出") that no
    passage gives: the question then rests on a figure the materials do not have. A figure it asks about
    ("是5万元吗") is stated too, and the answer is the same: the materials do not say it."""
    said = {(numeral_value(m.group(1)), m.group(2).replace("％", "%")) for p in passages for m in STATED_FIGURE.finditer(p)}
    out = []
    for m in STATED_FIGURE.finditer(question):
        value, unit = numeral_value(m.group(1)), m.group(2).replace("％", "%")
        if value is not None and (value, unit) not in said:
            out.append(m.group(0))
    return out


def share_of(text: str) -> str:
    """What a share question asks the share of: "这里头女党员占多大比例" -> 女党员, else ""."""
    m = SHARE_OF.search(text)
    return re.split(r"里头|里面|当中|其中|[里中的在]", m.group(1))[-1] if m else ""


def counted_thing(text: str) -> str:
    """What a 多少/几 question counts: "拨多少党建经费" -> "经费", "划分了多少个网格" -> "网格"; for a
    who-question, the role asked about ("组长是谁" -> "组长")."""
    # The last who-clause asks ("…大会上是谁作的报告，作这篇讲话的领导叫什么名字"): the earlier one was asked before.
    if (m := next(reversed(list(PERSON_ROLE.finditer(text))), None)) and not re.search(r"多少|几", text):
        role = next(g for g in m.groups() if g)
        if m.group(3) and (deed := re.match(rf"(?:{PERSON_VERBS}|作|讲|说)", text[m.end() :])):
            return deed.group(0)  # "座谈会是谁主持的": the one who did it (主持), not a role called 谈会
        # "大会上是谁…": a place or time ("会上", "当时"), not a role
        return "" if re.search(r"[的了是在]", role) or role[-1] in "上里中时后前内" else role
    m = COUNTED_AFTER.search(text)
    thing = m.group(1) if m else ""
    if re.match(r"才|就|能|可以|算|的话", thing):  # "达到多少才能单独建支部": a condition follows, not a thing
        thing = ""
    if re.match(r"从|在|给|对|向|被|把|跟", thing):  # "有几家从联合支部里出来…": a clause follows, not a thing
        thing = ""
    thing = re.split(r"[的了呢吗？?，,。]|是|有|在|从|给", re.sub(r"^(?:有|是)", "", thing))[0]
    if len(thing) < 2 and (m := COUNTED_BEFORE.search(text)):
        thing = re.split(r"[的了、，,]", m.group(1))[-1]
        while NOT_A_THING.search(thing):
            thing = NOT_A_THING.sub("", thing)
        before = [c for c in re.split(r"[，,\s]", text[: m.start()]) if c]
        if before and places_in(thing) and not _without_places(thing):
            # "全国级省级那种双强百佳党组织，永康眼下有几家": the place is where; the thing is the topic said before.
            thing = re.sub(r"那种|这种|这些|那些|这类|那类", "", before[-1])[-12:]
    thing = re.sub(r"(?:各|分别|都|共|一共|总共)$", "", thing)
    thing = re.split(r"(?<=[\u4e00-\u9fff]{2})(?:到|去|进|赴)", thing)[0]  # "多少名干部到企业": 干部, not where they went
    if any(thing.startswith(p) for p in places_in(thing)) and len(rest := _without_places(thing)) >= 2:
        thing = rest  # "新郑中小企业数量是多少": the place is where; 中小企业 is what
    if re.fullmatch(r"(?:各|分别|都|一共|总共|共)(?:是|有|为|达)?", thing):
        thing = ""  # "按党委、党总支、党支部分开算，各有多少家": the things are the ones listed before
    return thing if len(thing) >= 2 else ""


def _without_places(text: str) -> str:
    """The text without the places it names (新郑, 永康市)."""
    places = places_in(text)
    return re.sub("|".join(rf"{re.escape(p)}[市县区旗]?" for p in places), "", text) if places else text


# What the counted ones did, said alike: "建起了个私企业党(工)委" is "成立了…", "当了书记" is "担任…书记".
PREDICATE_GROUPS = ("参加|参与|出席|参会|到会|到场", "建立|建起|成立|组建", "担任|任职|当(?![地前时中天年])", "入会|加入",
                    "入党", "获得|获评")
COUNTED_PREDICATE = re.compile("|".join(PREDICATE_GROUPS))
GENERIC_BIGRAMS = {"党建", "工作", "组织", "企业", "非公", "经济", "社会", "建立", "成立", "一共", "总共"}


AVERAGE = re.compile(r"平均|人均|户均")
OTHER_GROUP = re.compile(r"代表|干部|骨干|标兵|人才|家属")
NEAR = 14  # characters between a count and the head noun of what it counts
DEED_NEAR = 16  # characters after a count within which what the counted did is said

THRESHOLD_AFTER = re.compile(r"\s*(?:余|多)?[\u4e00-\u9fff]?(?:以上|以下|以内|及以上|及以下)")
THRESHOLD_BEFORE = re.compile(r"(?:不足|不到|不满|满|超过|少于|低于|至少)$")
LIMIT_ASK = re.compile(r"标准|条件|门槛|以上|以下|不足|不到|不满|满|超过|至少|起码|最少|够")


def when_event(text: str) -> str:
    """What a when-question asks the time of: the clause after 哪一年/什么时候 ("成立的"), or before it."""
    m = re.search(r"哪一年|哪年|何年|什么时候|何时|什么时间|啥时候|哪一天|哪天|几号|几月几[日号]?", text)
    if not m:
        return ""
    after = re.split(r"[，,。？?！!；;]", text[m.end() :])[0]
    after = re.sub(r"几[月日号天]|哪一?[天年日]|到|至|^(?:的|是|在|才|就)|(?:的|了)+$", "", after)  # "从哪天到哪天"
    before = re.sub(r"具体|是|从|在|那次|这次", "", text[: m.start()])
    last = re.split(r"[，,。？?！!；;]", before)[-1]
    last = last if len(last) >= 2 else before
    if len(after) >= 2:
        grams = {after[i : i + 2] for i in range(len(after) - 1)} - GENERIC_BIGRAMS
        # "研究会是哪一年成立的": "成立" alone says nothing; what was founded goes with it.
        return after if grams else f"{last}{after}"
    return last


def paid_for(text: str) -> str:
    """What a how-much-money question asks the cost of: its clause without the money words
    ("发放服务联系卡一共花了多少钱" -> "发放服务联系卡")."""
    m = SPENT.search(text)
    if not m:
        return ""
    before = re.split(r"[，,。？?！!；;]", text[: m.start()])
    clause = before[-1] + re.split(r"[，,。？?！!；;]", text[m.end() :])[0]
    if len(re.sub(FILLER_MONEY, "", clause)) < 4 and len(before) > 1:  # "…给业主办培训班，一共花了多少经费"
        clause = before[-2] + clause
    return re.sub(FILLER_MONEY, "", clause)


SPENT = re.compile(r"(?:花了|花|投入了|投入|拨了|拨付|拨|用了|拿出|给了)?多少[\u4e00-\u9fff]{0,4}?(?:钱|经费|资金|费用|万元|元|款)")
FILLER_MONEY = re.compile(r"一共|总共|总计|大概|大约|具体|每年|每次|了|的|是|有|给|用|拿出|花|钱")
EVENT_SHARE = 0.2  # of the event's bigrams, in a sentence whose date or year answers a when-question


def _near_event(sentence: str, rx: re.Pattern, event: str, width: int = 40) -> bool:
    """A date or year stands near the event's own words: "20**年" in a sentence about a report does not
    say when the society was founded."""
    grams = {event[i : i + 2] for i in range(len(event) - 1)} - GENERIC_BIGRAMS
    grams = {g for g in grams if re.fullmatch(r"[\u4e00-\u9fff]{2}", g)}
    if not grams:
        return True
    # A fifth of the event's words in the sentence at least: "党员代表" near "4月15日" is another trip, not
    # the visit to 焦裕禄陵园.
    if sum(g in sentence for g in grams) < EVENT_SHARE * len(grams):
        return False
    at = [m.start() for g in grams for m in re.finditer(re.escape(g), sentence)]
    return any(abs(a - m.start()) <= width for m in rx.finditer(sentence) for a in at)


def holds(q: Question, kind: str, sentence: str) -> bool:
    """Does the sentence hold the kind of fact `q` asks for (its thing, unit, event and places)?"""
    return satisfies(kind, sentence, q.share_of if kind == "share" else q.counts, q.unit, q.per, q.limit, q.paid if kind == "money" else q.when, q.places,
                     full_name=kind == "person" and bool(FULL_NAME.search(q.standalone)),
                     average=bool(AVERAGE.search(q.standalone)))


def satisfies(kind: str, sentence: str, thing: str = "", unit: str = "", per: bool = False,
              limit: bool = False, event: str = "", besides: tuple[str, ...] = (), full_name: bool = False,
              average: bool = False) -> bool:
    """Does `sentence` hold the kind of fact the question asks for (about `thing`, in `unit`, when given;
    a year or date near the `event` asked about; a place other than the question's own, `besides`; a
    whole name, not a surname, when `full_name`)?"""
    if kind in ("region", "place"):  # "准备带他们去哪个省": "到外地走走" names none
        named = any(not any(b in p or p in b for b in besides) for p in places_in(sentence))
        return named or (kind == "place" and bool(DESTINATION.search(sentence)))
    if kind == "person":  # "组长是谁" is answered by a sentence that names the 组长
        if re.fullmatch(rf"{PERSON_VERBS}|作|讲|说", thing):  # the deed: a titled name, or 同志, did it
            return bool(re.search(rf"(?:(?:{TITLES})[)）]?[\u4e00-\u9fff]{{2,3}}|[\u4e00-\u9fff]{{2,3}}同志){thing}", sentence))
        if thing in GENERIC_ROLES:  # "哪位领导讲的": a titled name ("副司长韩旭", "书记张")
            return any(len(m.group(1)) >= 2 or not full_name for m in TITLED_NAME.finditer(sentence))
        if not thing:
            return True
        root = thing[:-1] if thing.endswith("人") and len(thing) == 3 else thing  # 主持人 -> 主持
        # The role with a name: "党委书记张介绍…", "秘书长杨文彬主持会议".
        return bool(re.search(rf"{root}[)）]?[\u4e00-\u9fff]{{2,3}}(?:{PERSON_VERBS})", sentence)
                    or not full_name and re.search(rf"{root}[)）]?[\u4e00-\u9fff](?:介绍|强调|指出|表示|讲话|主持)", sentence)  # 书记张介绍
                    or re.search(rf"(?:{TITLES})[\u4e00-\u9fff]{{2,3}}{root}", sentence))
    rx = SATISFIES.get(kind)
    if rx is None:
        return True
    if not rx.search(sentence):
        return False
    if kind in ("year", "time", "date", "money") and event:
        # The place of the subject is checked on its own (focus); near a year it says nothing of what happened
        # then. Where one went ("去浙江、江苏考察") is part of the event.
        for place in besides:
            if not re.search(rf"(?:去|到|赴|前往|往|、){re.escape(place)}", event):
                event = event.replace(place, "")
        return _near_event(sentence, rx, event, width=60 if kind == "money" else 40)
    if kind == "share" and thing:  # "女党员占多大比例": a share of 党员 is another share
        return thing in sentence
    if kind != "number":
        return True
    if average and not re.search(rf"{AVERAGE.pattern}|每", sentence):
        return False  # "分会党组织平均有多少名党员": a total is no average
    same = next((u for u in UNITS if unit in u), {unit}) if unit else set()
    units = "|".join(sorted(same, key=len, reverse=True))
    # "每个网格配几个" is answered by "每个网格配备一名" (a lone 一 with its measure word, not "一部分").
    count = COUNT.pattern + "|一(?=[个名家人位次项条支所户元张份期批])" if per else COUNT.pattern
    pattern = rf"(?:{count})\s*(?:余|多)?(?:{units})(?![\d%％])" if units else count
    # "党员3名以上的企业" states a threshold, not how many there are: it answers only a question about one.
    counts = [(m.start(), m.end()) for m in re.finditer(pattern, sentence)
              if limit or not (THRESHOLD_AFTER.match(sentence, m.end()) or THRESHOLD_BEFORE.search(sentence[: m.start()]))]
    if not counts:
        return False
    return any(_counted(part, sentence, counts) for part in re.split(r"[和及与、]", thing) if part) if thing else True


def _counted(thing: str, sentence: str, counts: list[tuple[int, int]]) -> bool:
    """The number is about the thing counted: the thing's head noun stands within a few characters of it,
    and a thing qualified in the question ("补贴经费") is the same thing qualified in the sentence, not
    another one with the same head ("党建活动经费")."""
    # "几位代表出席" counts 代表, the ones who 出席: the number stands by the noun and what they did follows it
    # ("130余名代表参加了会议"); "多少家企业建立了党组织" is not answered by a count of all 企业, nor "多少人当了
    # 党组织负责人" by "27名镇工会主席享受同级副职待遇,…交叉任职".
    if (cut := COUNTED_PREDICATE.search(thing, 2)) is not None:
        deed = next(group for group in PREDICATE_GROUPS if re.fullmatch(group, cut.group(0)))
        if not any(re.search(deed, sentence[start : end + DEED_NEAR]) for start, end in counts):
            return False
        thing = re.sub(r"[来去都也]+$", "", thing[: cut.start()])  # "多少代表来参加"
    head = head_gram(thing)
    if not head:
        return True
    modifier = thing[: thing.rfind(head)]
    grams = {modifier[i : i + 2] for i in range(len(modifier) - 1)} - GENERIC_BIGRAMS
    if grams and not any(g in sentence for g in grams):
        return False
    at = [m.start() for m in re.finditer(re.escape(head), sentence)]
    if not at and len(head) == 2:  # "运费" abbreviates "运输费用": its two characters a word apart at most
        at = [m.start() for m in re.finditer(rf"{re.escape(head[0])}[\u4e00-\u9fff]{{1,2}}{re.escape(head[1])}", sentence)]
    # "党员代表及工商联干部30余人" counts 代表 and 干部: a head that qualifies another group of people is not
    # what the number counts.
    at = [a for a in at if not OTHER_GROUP.match(sentence, a + len(head))]
    return any((a - end if a >= end else start - a - len(head)) <= NEAR for a in at for start, end in counts)


def head_gram(thing: str) -> str:
    """The head noun of a counted thing, its last specific bigram ("协会收入" -> "收入")."""
    grams = [thing[i : i + 2] for i in range(len(thing) - 1)]
    specific = [g for g in grams if g not in GENERIC_BIGRAMS]
    return (specific or grams or [""])[-1]


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
    """(bare stems, suffixed names) read once from jieba's dictionary's place tags; its full tag table
    would cost ~100 MB, these two sets a few hundred KB."""
    import jieba

    tags = set()
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as f:
        for line in f:  # "无锡市 102 ns"
            word, _, tag = line.split(" ", 2)
            if tag.strip() == "ns":
                tags.add(word)
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
NOT_A_NAME = re.compile(r"^(?:这个|那个|这家|那家|该|各级|基层|我们|俺们|咱们|他们|企业|非公|非公企业|两新|个私|全国|全市|全旗|市里|区里)$")


def entities_in(text: str) -> tuple[str, ...]:
    """The distinguishing part of organisations the question names: "芝瑞镇石材行业党支部" -> 芝瑞镇石材行业,
    "重庆金山集团党支部" -> 重庆金山; generic ones (企业党支部, 这个党委) are no names."""
    out = []
    for m in ORGANISATION.finditer(text):
        name = re.split(f"[{NAME_STOP}]", m.group(1).removesuffix("的"))[-1]  # "双龙建材的党支部"
        if len(name) >= 3 and not NOT_A_NAME.match(name) and not any(name in p for p in places_in(text)):
            out.append(name)
    return tuple(dict.fromkeys(out))


def mentions(name: str, text: str, share: float = 0.6) -> bool:
    """Most of a name's bigrams are in the text (克旗华盛 is named by "克旗华盛公司")."""
    grams = [name[i : i + 2] for i in range(len(name) - 1)]
    return sum(g in text for g in grams) >= share * len(grams)


# --- typing slips -----------------------------------------------------------------------------------

# Characters so common that their bigrams say little: replaced only when both neighbours agree.
FUNCTION_CHARS = set("的了和与及或是在有不也就都而并为对把被将从向由这那个些么吗呢吧啊哪几什怎样如何多少里上下中把给让使得地着过会能要可以")


def cjk_bigram_counts(texts: list[str]) -> dict[str, int]:
    """How often each pair of adjacent CJK characters occurs in `texts`. Counted with numpy over code
    points: a thousand documents are six million characters, a few seconds as Python bigram strings."""
    import numpy as np

    joined = "\n".join(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < 2:
        return {}
    cjk = (points >= 0x4E00) & (points <= 0x9FFF)
    both = cjk[:-1] & cjk[1:]
    pairs = (points[:-1][both] << np.uint64(32)) | points[1:][both]
    codes, counts = np.unique(pairs, return_counts=True)
    return {chr(int(c >> 32)) + chr(int(c & 0xFFFFFFFF)): int(n) for c, n in zip(codes, counts, strict=True)}


NUMERAL_CHARS = set("一二三四五六七八九十百千万两零")


COMMON_WORD = 50  # jieba frequency below which a word is too rare to be what a slip was meant to type


class SlipFixer:
    """Fixes IME homophone slips (当建 -> 党建, 联和 -> 联合). A character is replaced only when it fits
    nowhere: neither bigram it forms with its neighbours occurs in the knowledge base, while the
    replacement (same common pinyin reading) forms frequent bigrams with the same neighbours."""

    def __init__(self, corpus: list[str], vocabulary: list[str] = (), word_freq=None) -> None:

        self.word_freq = word_freq or (lambda w: 1)
        self.counts = cjk_bigram_counts([*corpus, *vocabulary])
        counts = self.counts
        self.by_sound: dict[str, set[str]] = {}
        for gram, n in counts.items():
            if n >= 2:
                for ch in gram:
                    self.by_sound.setdefault(self._reading(ch), set()).add(ch)

    @staticmethod
    @functools.cache
    def _reading(ch: str) -> str:
        from pypinyin import Style, lazy_pinyin

        return lazy_pinyin(ch, style=Style.NORMAL)[0]

    def _known(self, gram: str, at_least: int = 1) -> bool:
        return self.counts.get(gram, 0) >= at_least

    def fix(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The corrected text and the (wrong, right) characters that were replaced."""
        chars = list(text)
        cjk = [bool(re.fullmatch(r"[\u4e00-\u9fff]", ch)) for ch in chars]
        fixes: list[tuple[str, str]] = []
        for i, ch in enumerate(chars):
            if not cjk[i] or ch in NUMERAL_CHARS:  # "三会一课": a numeral is meant, never a slip
                continue
            left = chars[i - 1] if i > 0 and cjk[i - 1] else ""
            right = chars[i + 1] if i + 1 < len(chars) and cjk[i + 1] else ""
            if not left and not right:
                continue
            old = [self.counts.get(g, 0) for g in (left + ch if left else "", ch + right if right else "") if g]
            function_char = ch in FUNCTION_CHARS
            if not function_char and any(old):
                continue  # the character fits where it stands
            # How much of a word the character makes where it stands (指令 is one, just not in the documents).
            as_is = max((self.word_freq(g) for g in (left + ch if left else "", ch + right if right else "") if g),
                        default=0)
            best, best_n = "", 0
            for cand in self.by_sound.get(self._reading(ch), ()):
                if cand == ch or cand in FUNCTION_CHARS and not function_char:
                    continue  # "隔一阵子" is no slip for "个一阵子": a content character never becomes a particle
                new = [self.counts.get(g, 0) for g in (left + cand if left else "", cand + right if right else "") if g]
                if function_char:
                    # A common character is replaced only on strong evidence from both neighbours.
                    if len(new) < 2 or min(new) < 2 or sum(new) < 3 * sum(old) + 3:
                        continue
                elif max(new) < 2:
                    continue
                made = [g for g in (left + cand if left else "", cand + right if right else "") if g]
                if max(self.word_freq(g) for g in made) <= max(20 * as_is, COMMON_WORD):
                    continue  # the replacement must make a real, much likelier word (党建, 联合; not 省下 -> 生下)
                if sum(new) > best_n:
                    best, best_n = cand, sum(new)
            if best:
                fixes.append((ch, best))
                chars[i] = best
        return "".join(chars), tuple(fixes)

    def fix_name(self, name: str) -> str:
        """A name the knowledge base never uses, with one character swapped for a homophone so that
        every bigram is known (新正 -> 新郑); the name itself when no such spelling exists."""
        grams = [name[i : i + 2] for i in range(len(name) - 1)]
        if all(self._known(g) for g in grams):
            return name
        for i, ch in enumerate(name):
            for cand in self.by_sound.get(self._reading(ch), ()):
                new = name[:i] + cand + name[i + 1 :]
                if all(self._known(new[j : j + 2], 2) for j in range(len(new) - 1)):
                    return new
        return name


# --- follow-ups -------------------------------------------------------------------------------------


def statement_of(question: str) -> str:
    """A question as the statement it asks about: "…为什么要不断加大培训力度？" -> "…要不断加大培训力度"."""
    t = re.sub(r"^(?:请问|那么|那|还有)", "", question.strip())
    # "…接受再教育，是在哪个月？": a short asking clause after the statement is no part of it.
    clauses = re.split(r"[，,]", t.rstrip(" ？?。"))
    while len(clauses) > 1 and len(clauses[-1]) <= 8 and re.search(r"哪|什么|啥|多少|几|吗|谁|怎", clauses[-1]):
        clauses.pop()
    t = "，".join(clauses)
    t = re.sub(r"为什么|为何|为啥|怎么样|怎样|怎么|如何|是什么|什么样的?|什么地方|什么|哪些|哪几|哪里|哪儿|"
               r"(?:多少|几)[个名家人位次项张份所支户]?|有没有|是否|吗|呢", "", t)  # "去了哪里接受教育" -> "去了接受教育"
    return t.strip(" ？?。，,：:的是")


def topic_of(question: str) -> str:
    """The subject of a question, without its question words: "什么是“1+N”党建工作模式？" -> "“1+N”党建工作模式"."""
    t = re.sub(r"^(?:请问|那么|那|还有)", "", question.strip())
    t = re.split(r"(?:是什么|是指什么|指什么|指的是什么|有哪些|有什么|包括哪些|怎么|怎样|如何|为什么|是怎么|应该|应当|要怎么|能否|可以|需要)", t)[0]
    t = re.sub(r"^(?:什么是|何谓)", "", t)
    t = re.sub(r"(?:一共|总共)?(?:有|是)?(?:多少|几)[个名家人位次项张份所支户]?", "", t)
    return t.strip(" ？?。，,：:的是")


SUBJECT = re.compile(
    r"[\u4e00-\u9fff]{2,6}?(?:省|市|县|区|旗|镇)(?:[\u4e00-\u9fff]{0,6}?(?:工商联|党委|党工委|个私协会|协会|民协|商会|总工会"
    r"|组织部|公司|集团))?|克旗|[\u4e00-\u9fff]{2,8}?(?:工商联|个私协会|民协|总工会|组织部)"
)


GENERIC_PLACE = re.compile(r"(?:乡镇|城镇|街镇|全市|全旗|全县|全区|本市|各市|市区|城区|社区)$")
PERSON = re.compile(r"^([\u4e00-\u9fff]{2,3}?)(?:在|对|提出|肯定|介绍|强调|表示|认为|说|指出|要求|建议|讲|代表)")
ACTION_PRONOUN = re.compile(r"这样做|这么做|这种做法|这个做法|这些做法|这样的做法|这项工作|这个活动|这项活动|这样|这么"
                            r"|这趟|那趟|这次|那次|此次|这回|那回")


DEMONSTRATIVE = re.compile(r"(?:这个|那个|这一|该|这家|那家|这支|那支|这些|那些)(?=[\u4e00-\u9fff]{2})")
REFERENT_STOP = "在的了和与及是为从对把被将向由，,。；;、：:（()）“”\"'"


def referent(body: str, previous: Turn) -> tuple[str, str] | None:
    """"这个党支部有多少名党员？" after an answer about "芝瑞镇石材行业党支部": the demonstrative phrase
    and the full name it points at, the longest noun after 这个 that the previous turn names."""
    m = DEMONSTRATIVE.search(body)
    if not m:
        return None
    said = f"{previous.answer}\n{previous.question}"
    for n in range(min(8, len(body) - m.end()), 1, -1):
        noun = body[m.end() : m.end() + n]
        if not re.fullmatch(r"[\u4e00-\u9fff]+", noun) or noun not in said:
            continue
        at = said.index(noun)
        name = re.split(f"[{re.escape(REFERENT_STOP)}]", said[max(0, at - 10) : at])[-1] + noun
        spans = _place_spans(previous.question)
        if spans and not any(p in name for p in places_in(previous.question)):
            s0, e0 = spans[0]  # "市工商联领导小组" after a question about 新郑市: 新郑市工商联领导小组
            place = previous.question[s0:e0]
            name = place[:-1] + name if name[0] == place[-1] else place + name
        return body[m.start() : m.end() + n], name
    return None


def subject_of(question: str) -> str:
    """Who or what the question is about (新郑市工商联, 涪陵区民协党委, 钟攸平), for resolving 他们/他."""
    text = re.sub(r"^(?:请问|那么|那|还有)", "", question)
    m = SUBJECT.search(text) or PERSON.search(text)
    if m:
        return m.group(1) if m.re is PERSON else m.group(0)
    for m in ORGANISATION.finditer(text):  # "苏州那个港商独资的维德公司…" -> 维德公司
        name = re.split(f"[{NAME_STOP}]", m.group(1))[-1]
        if len(name) >= 2 and not NOT_A_NAME.match(name):
            return name + m.group(0)[len(m.group(1)) :]
    return topic_of(question)


GENERIC_ASK = re.compile(r"具体|怎么|做法|什么|哪些|多少|还有|那么|情况|问题|方面|方法|措施|内容|例子|案例|事例|效果|成效|作用|意义"
                         r"|原因|要求|经验|好处|结果|建议|举例|说说|讲讲|介绍|详细|一下|有没有")


def own_content(text: str, content_words=None) -> int:
    """How many content words of its own a question has (具体/做法/例子 and the like do not count)."""
    words = content_words(text) if content_words else re.findall(r"[\u4e00-\u9fff]{2,}", text)
    return sum(1 for w in words if not GENERIC_ASK.fullmatch(w))


ORDINAL = re.compile(r"(?:其中|这里面|里面|上面)?(?:的)?(?:(?:第|头(?=一))([一二三四五六七八九十]|\d{1,2})|(最后))(?:一)?(?:项|个|条|点|种|类|步|方面|种方式|种做法)")
CN_DIGITS = "一二三四五六七八九十"
INLINE_ITEMS = re.compile(r"[\u4e00-\u9fff“”]{2,14}(?:、[\u4e00-\u9fff“”]{2,14})+")


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


def _ordinal_item(text: str, previous_answer: str) -> tuple[re.Match, str] | None:
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
    term = re.sub(r"(?:具体|到底|究竟|指的|的)+$", "", term)
    return re.sub(r"[“”\"‘’'「」『』《》\s]", "", term)


def defined_term(text: str) -> str:
    """What a what-is question wants explained: its last quoted term ("“1+N”模式中的“1”是指什么" -> 1), or its term."""
    quoted = QUOTED.findall(text)
    return quoted[-1] if quoted else concept_term(text)


def defines(term: str, sentence: str) -> bool:
    """The sentence explains the term: "“党建带工建”,根本在“带”", "“1”是每个苏木乡镇…", "所谓…", "X(…)"."""
    t = re.escape(term)
    return bool(re.search(rf"{t}[”」\"']?\s*(?:[,，]?\s*(?:是|指|即|就是|意思是|根本在|主要是|包括)|[(（:：])", sentence)
                or re.search(rf"所谓[“\"]?{t}", sentence))


NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2, "双": 2}
# "“双强”是哪两强": the question wants the items of a numbered term listed.
ASKS_ITEMS = re.compile(r"哪[二三四五六七八九十两]")  # not 哪一年, 哪一天
COUNTED_TERM = re.compile(r"([一二三四五六七八九十两双])(?:个|支|项|大|条|种|类|件|方面)?([\u4e00-\u9fff]{1,3})")
QUOTED = re.compile(r"[“\"‘'「『]([^”\"’'」』]{1,16})[”\"’'」』]")


def numbered_terms(text: str) -> list[str]:
    """The quoted numbered terms of a text: “四同”, “双强”, “两支队伍”, “三项建设”."""
    return [t for t in QUOTED.findall(text) if COUNTED_TERM.fullmatch(t)]


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


def answer_frame(text: str) -> str:
    """The words around the question word, as a pattern the answering sentence fills in: "以什么为契机" ->
    以…为契机, "牢牢把握什么主线" -> 把握…主线; "" when either side is missing or only grammar."""
    m = FRAME_GAP.search(text)
    if not m:
        return ""
    left = re.sub(r"[了的是有些个]+$", "", m.group("left"))
    left = left[-1:] if left[-1:] and left[-1] in "以把将向对从用按" else left[-2:]  # "要以什么为契机" -> 以
    right = re.sub(r"^(?:的|了|是|呢|吗)+", "", m.group("right"))
    right = re.split(r"[的了呢吗是]", right)[0]
    if GENERIC_HEAD.match(right):  # "发挥哪些作用" frames half the documents' sentences
        return ""
    if not left or not right or len(left) == 1 and len(right) < 2:
        return ""
    return rf"{re.escape(left)}[^，,。；;？?]{{1,30}}?{re.escape(right)}"


def item_marker(n: int) -> re.Pattern:
    """How a source marks its n-th item: 四是 / （四） / 第四， / 四、 / 4."""
    cn = cn_ordinal(n)
    return re.compile(rf"{cn}是|[（(]{cn}[）)]|第{cn}[，,、是条项]|^{cn}、|^{n}[、.．]|[。；;]{cn}、")


def is_follow_up(text: str, own_content: int) -> bool:
    """A question that leans on the previous turn: it points back with a pronoun, starts like a
    follow-up with little content of its own, is an elliptical "…呢", or has no content of its own.
    A question that names its own place or organisation stands alone."""
    core = re.sub(r"\W", "", text)
    if own_content == 0:
        return True
    if len(core) <= 10 and core.endswith("呢"):  # "那新郑市呢？" names a place, and still leans on the last turn
        return True
    if any(not GENERIC_PLACE.search(m.group(0)) for m in SUBJECT.finditer(text)) or places_in(text):
        return False
    if ORDINAL.search(text):
        return True
    if PRONOUN.search(text):
        return True
    if RESULT_ASK.search(text) and own_content <= 2:
        return True
    return bool(FOLLOW_UP_START.match(text)) and own_content <= 3


def elliptical_subject(text: str, known: frozenset[str] = frozenset()) -> str:
    """X of a short "那X呢？" that names no place (a place switch is resolved by `resolve_follow_up`), else ""."""
    core = re.sub(r"\W", "", re.sub(r"^(?:那么|那)", "", text))
    if not core.endswith("呢") or not 2 <= len(core) - 1 <= 6 or places_in(core, known):
        return ""
    return core[:-1]


def resolve_follow_up(text: str, previous: Turn, own_content: int = 1, known: frozenset[str] = frozenset(),
                      lean: bool = False) -> str:
    """Make a follow-up standalone: "那具体怎么做？" carries the whole previous question, a pronoun is
    replaced by the previous subject, "那划分了多少个网格？" gets the previous subject in front. A question
    read as a follow-up only because it finds nothing alone (`lean`) carries the whole previous question."""
    body = FOLLOW_UP_START.sub("", text).strip(" ，,")
    if lean:
        return f"{previous.question.rstrip('？?。')}，{body}"
    if (found := _ordinal_item(body, previous.answer)) is not None:
        # "其中第二项具体怎么做？" -> "联合组建具体怎么做？": the item the previous answer listed.
        m, item = found
        rest = body[m.end() :]
        if re.sub(r"\W", "", rest) in ("", "呢"):  # "那第一种呢？": the item in the old question's frame
            return f"“{item}”：{previous.question}"
        return f"{body[: m.start()]}“{item}”{rest}"
    core = re.sub(r"\W", "", body)
    if core.endswith("呢") and len(core) <= 10 and places_in(core, known):
        # "那永康呢？" after a question about 克什克腾旗: the same question about the other place.
        spans, named = _place_spans(previous.question, known), _place_spans(core, known)
        if spans and named:  # the place as the user wrote it ("那克旗呢" names 克什克腾 as 克旗)
            start, end = spans[0]
            # "新郑工商联怎样培训企业家" -> "克旗怎样培训…": the old place's own organisation goes with it.
            if (own_org := LOCAL_ORG.match(previous.question, end)) and not LOCAL_ORG.match(core, named[0][1]):
                end = own_org.end()
            return previous.question[:start] + core[named[0][0] : named[0][1]] + previous.question[end:]
    subject = subject_of(previous.question)
    if own_content == 0 or not subject:
        return f"{previous.question.rstrip('？?。')}，{body}"
    sequel = NEXT_ASK.search(text)  # "之后要做好哪些工作？" / "往后打算怎么干": after what was asked about
    if RESULT_ASK.search(body) or sequel:
        # "培训下来效果怎么样？" asks what came of what the previous question was about, all of it.
        return f"{statement_of(previous.question)}，{ACTION_PRONOUN.sub('', body, count=1)}"
    if re.match(r"(?:那么?)?具体", text):
        # "那具体有哪几个来源？" after "克旗是怎么给党组织解决经费问题的": the specifics of what was asked about.
        return f"{statement_of(previous.question)}，{body}"
    if ACTION_PRONOUN.search(body) or body.startswith("其中"):
        # "这样做有什么效果？" / "其中有多少家…？" point at what the previous question was about.
        return f"{topic_of(previous.question)}，{ACTION_PRONOUN.sub('', re.sub('^其中', '', body), count=1)}"
    if subject in body:
        return body
    if (found := referent(body, previous)) is not None:
        return body.replace(found[0], found[1], 1)
    if re.search(r"[他她](?![们])", body) and (role := list(re.finditer(ROLES, previous.question))):
        # "他是谁？" after "涪陵区民协党委书记介绍了什么": the person the previous question named by role.
        who = re.split(r"[，,]", previous.question[: role[-1].end()])[-1]
        return re.sub(r"[他她](?![们])", who, body, count=1)
    if PRONOUN.search(body):
        return PRONOUN.sub(subject, body, count=1)
    if re.sub(r"\W", "", body).endswith("呢") and len(body) <= 12:
        # "党费呢？" after "经费从哪里来？": the new subject in the old question's frame.
        return f"{body.rstrip('呢？?')}：{previous.question}"
    return f"{subject}{body}"


def understand(question: str, *, max_chars: int, history: list | None = None, fixer: SlipFixer | None = None,
               content_words=None, known_places: frozenset[str] = frozenset(), lean: bool = False) -> Question:
    """Everything the later stages need to know about the question; see the module docstring.
    `known_places` are the knowledge base's own places (named without 市/旗 too). `lean` reads a question
    with history as a follow-up even when nothing in its wording says so ("给企业省下来多少运费")."""
    original = clean_input(question, max_chars)
    text = to_simplified(original)
    injection = bool(INJECTION.search(text))
    text = normalize_register(text) or text
    corrections: tuple[tuple[str, str], ...] = ()
    if fixer is not None:
        text, corrections = fixer.fix(text)
    if fixer is not None:
        for place in places_in(text):
            fixed = fixer.fix_name(place)
            if fixed != place:
                text = text.replace(place, fixed)
                corrections += ((place, fixed),)
    standalone, follow_up, seen, own, sequel, own_words, asked_before = text, False, (), -1, "", (), ()
    turns = [t if isinstance(t, Turn) else Turn(str(t)) for t in (history or []) if t]
    if turns and not injection:
        own = own_content(text, content_words)
        marked = is_follow_up(text, own)
        if lean or marked:
            # The follow-up's own words ("那动力靠啥？": 动力) say what it wants of the previous turn.
            own_words = tuple(w for w in (content_words(text) if content_words else re.findall(r"[\u4e00-\u9fff]{2,}", text))
                              if len(w) >= 2 and not GENERIC_ASK.fullmatch(w))
            follow_up = True
            standalone = resolve_follow_up(text, turns[-1], own, known_places, lean=not marked)
            seen = tuple(s for s in re.split(r"(?<=[。！？；])", turns[-1].answer) if s.strip())
            asked_before = expected_kinds(turns[-1].question)
            sequel = "result" if RESULT_ASK.search(text) else "next" if (
                ACTION_PRONOUN.search(text) or NEXT_ASK.search(text)) else ""
    places = places_in(standalone, known_places)
    return Question(
        original=original,
        text=text,
        standalone=standalone,
        expects=expected_kinds(standalone),
        counts=counted_thing(standalone),
        share_of=share_of(standalone),
        unit=counted_unit(standalone),
        per="每" in standalone,
        limit=bool(LIMIT_ASK.search(standalone)),
        item=item_asked(standalone),
        term=concept_term(standalone),
        frame=answer_frame(standalone),
        when=when_event(standalone),
        # The place is checked on its own; 克什克腾 in both says nothing of what was paid for.
        paid=re.sub("|".join(map(re.escape, places)) or "^$", "", paid_for(standalone)),
        injection=injection,
        follow_up=follow_up,
        years=years_in(standalone),
        places=places,
        entities=entities_in(standalone),
        corrections=corrections,
        expansions=synonyms(standalone),
        seen=seen,
        own=own,
        sequel=sequel,
        own_words=own_words,
        asked_before=asked_before,
    )


# --- several questions in one message -----------------------------------------------------------------

PART_END = re.compile(r"(?<=[？?])|(?<=[；;])(?=[^；;]*[？?吗呢])")
CONJUNCTION = "和与及、跟同"
EACH = re.compile(r"分别|各自|各(?![级种类地个位])")  # "各有", not 各级/各地
MAX_PARTS = 3




def _place_spans(text: str, known: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Where the question's places are mentioned: the stem plus its suffix (新郑市, 克什克腾旗)."""
    spans = []
    for stem in places_in(text, known):
        for m in re.finditer(re.escape(stem) if stem in text else rf"{stem[0]}[旗县]", text):  # 克旗
            end = m.end() + (1 if stem in text and text[m.end() : m.end() + 1] in PLACE_SUFFIX else 0)
            spans.append((m.start(), end))
    return sorted(spans)


def _drop_each(rest: str) -> str:
    """The rest of a question asked about each of two subjects, without its 分别/各自: "…这件事上，各自的做法"
    -> "…这件事上的做法"."""
    return re.sub(r"^([^，,]*)[，,]的", r"\1的", EACH.sub("", rest, count=1))


def _by_place(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """"…在新郑市和克什克腾旗是怎么用的" -> one question per place. Two places joined by a conjunction,
    the first possibly with a few words of its own (新郑市工商联和克什克腾旗), become two subjects."""
    spans = _place_spans(text, known)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        between = text[e1:s2]
        if re.search(r"(?:去|到|赴|前往|往|至)$", text[:s1]):
            continue  # "组织去浙江、江苏考察学习的那次活动": one trip to both places, not a question each
        if not between or between[-1] not in CONJUNCTION or not re.fullmatch(r"[\u4e00-\u9fff]{0,5}", between[:-1]):
            continue
        tail = re.match(r"[\u4e00-\u9fff]{0,5}?(?=[分各是在的有对怎如为都，,])", text[e2:])
        e2 += len(tail.group(0)) if tail and not EACH.match(text[e2:]) else 0
        left, right = text[s1 : s2 - 1], text[s2:e2]
        rest = _drop_each(text[e2:])
        return [text[:s1] + left + rest, text[:s1] + right + rest]
    # "个私协会系统和克什克腾旗各提出了什么要求": two subjects that are not both places, asked about each.
    if m := EACH_PAIR.search(text):
        rest = _drop_each(text[m.end() :])
        return [text[: m.start()] + m.group(1) + rest, text[: m.start()] + m.group(2) + rest]
    return [text]


# INTERROGATIVE without 几/是否…: "要举几个典型例子：" tells what the answer is for, it asks nothing by itself.
ASKS = re.compile(r"什么|哪|怎|如何|多少|谁|吗|啥|咋|为何|为什么")


def _by_clause(text: str, known: frozenset[str] = frozenset(), content_words=None) -> list[str]:
    """"新郑工商联推广的是哪些企业，永康讲话里表扬的工作法又出自哪家？": clauses that each ask, each about
    another place and with words of its own, are separate questions (a clause that asks nothing stays with
    the one after it)."""
    clauses = [c for c in re.split(r"(?<=[，,；;])", text) if c.strip(" ，,；;")]
    parts: list[str] = []
    pending = ""
    for clause in clauses:
        pending += clause
        if ASKS.search(clause):
            parts.append(pending.strip(" ，,；;"))
            pending = ""
    if pending and parts:
        parts[-1] += pending
    if not 1 < len(parts) <= MAX_PARTS:
        return []
    places = [places_in(p, known) for p in parts]
    if not all(places) or len({pl[0] for pl in places}) < len(parts):
        return []
    # "克旗有多少党员，苏州有多少？": a clause that leans on the one before ("有多少") is no question alone.
    return parts if all(own_content(p, content_words) >= 3 for p in parts[1:]) else []


def _by_subject_clause(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """"新郑工商联组织的外出考察，和涪陵那次会议安排的现场视察，分别去了哪些地方？": clauses that each
    name another place and ask nothing, then one clause asking about each of them (分别/各), are one
    question per clause."""
    clauses = [c.strip() for c in re.split(r"[，,、；;]", text.strip(" ？?。")) if c.strip()]
    if not 3 <= len(clauses) <= MAX_PARTS + 1 or not ASKS.search(clauses[-1]) or not EACH.search(clauses[-1]):
        return []
    subjects = [re.sub(r"^(?:和|与|及|跟|还有|以及)", "", c) for c in clauses[:-1]]
    places = [places_in(c, known) for c in subjects]
    if any(ASKS.search(c) for c in subjects) or not all(places) or len({p[0] for p in places}) < len(subjects):
        return []
    ask = re.sub(r"^(?:两边|两者|二者|两家|两地|它们|他们)", "", EACH.sub("", clauses[-1], count=1))
    return [f"{c}，{ask}？" for c in subjects]


# Each side is the phrase right before or after the conjunction: "“1+N”模式中的“1”和“N”分别…" pairs “1” and “N”.
EACH_PAIR = re.compile(rf"([^，,：:；;？?的]{{2,12}}?)[和与及跟、]([^，,：:；;？?的和与及跟、]{{2,10}}?)(?={EACH.pattern})")


def question_parts(text: str, content_words=None, known: frozenset[str] = frozenset()) -> list[str]:
    """A message that asks several things, as separate questions to answer one by one: its question
    sentences ("…什么计划？…多少名党员？"), or one question about two places (在新郑市和克什克腾旗…).
    A piece that leans on the one before (too few words of its own, "怎么做？", "一年拿多少？", or a
    follow-up's pronoun) or asks nothing ("一个不落地列出来。") stays with it."""
    parts: list[str] = []
    for piece in (p.strip(" ，,") for p in PART_END.split(text)):
        if not piece:
            continue
        own = own_content(piece, content_words)
        # "一个不落地列出来。" after the question asks nothing itself: how to answer the one before.
        asks = bool(INTERROGATIVE.search(piece)) or piece.endswith(("？", "?"))
        if parts and (own < 3 or is_follow_up(piece, own) or not asks):
            parts[-1] += piece
        else:
            parts.append(piece)
    if len(parts) == 1:
        return (_by_clause(parts[0], known, content_words) or _by_subject_clause(parts[0], known)
                or _by_place(parts[0], known))
    if not 1 < len(parts) <= MAX_PARTS:
        return [text]
    # A leading topic clause ("推进党建带工建，…", "发展党员方面，…") scopes every question after it.
    lead = re.match(r"([^，,？?]{2,12})[，,]", parts[0])
    if lead and not re.search(r"什么|哪|多少|几|怎|吗|呢|谁|为何|为什么", lead.group(1)):
        parts = [parts[0]] + [p if p.startswith(lead.group(0)) else lead.group(0) + p for p in parts[1:]]
    return parts
