"""Follow-ups made standalone: what 他们/这个/那…呢/具体怎么做 refer to in the previous turn."""

from __future__ import annotations

import re

from .kinds import COUNT, INTERROGATIVE, ROLES, SPEECH_VERBS, counted_thing, counted_unit, head_gram
from .names import NAMED_BY_ROLE
from .places import LOCAL_ORG, NAME_STOP, NOT_A_NAME, NOT_IN_PERSON, ORGANISATION, place_spans, places_in
from .terms import ORDINAL, ordinal_item
from .types import Turn

# Follow-ups: they lean on the previous turn.
FOLLOW_UP_START = re.compile(r"^(?:那(?![些次种家趟回位样里儿])(?!个(?!体|私))|那么|那该|那要|那如果|那具体|还有(?!没有|没)|然后|另外|此外|除此之外|再说说|再讲讲|接着|如果是|要是"
                             r"|之后|后来|接下来|下一步"
                             r"|(?=(?:比|跟|和|与|较)(?:去年|上年|上一年|前年|往年|以前|过去)))")  # "比去年高了多少": than the figure just given


# "培训下来效果怎么样？": how something turned out, asked of what the previous turn was about.
NEXT_ASK = re.compile(r"^(?:那|他们|她们|它们|这些人)?(?:之后|后来|接下来|下一步|往后|今后|以后|未来)|打算"
                      r"|(?:完|回来|结束|过后)了?(?:以后|之后|后)")  # "参观完以后…有什么表态": what came after it


# "还有吗？", "还有别的吗": more answers to the previous question, not what follows the last one in the document.
MORE_ASK = re.compile(r"(?:那|那么)?(?:还有|另外还有|此外还有)(?:没有|别的|其他的?|其它的?|啥|什么|哪些|呢|吗|么|没)*")


# "再短点，说重点就行" / "能不能简单点": the same question again, answered shorter. The whole message is such words.
RESTATE = re.compile(r"(?:说|讲|挑|拣|抓|只说|只讲)(?:个|一下)?重点"
                     r"|(?:再|说得?|讲得?|写得?|回答得?|答得?)*(?:简短|简单|简洁|精简|短|概括|扼要)(?:一)?[点些下]?|一句话(?:说|讲|概括)?|(?:总结|概括|归纳)(?:一下)?|太长了?|太啰嗦了?")
RESTATE_FILLER = re.compile(r"说|讲|一下|能不能|能否|可不可以|可以|请|麻烦|你|就行了?|就好了?|就可以了?|行吗|好吗|好不好|行不行|些|吧|吗|呢|啊|呀|了|的")


def restate(text: str) -> bool:
    """Does the message only ask for the last answer again, shorter ("再短点，说重点就行")?"""
    core = re.sub(r"\W", "", text)
    return bool(RESTATE.search(core)) and not RESTATE_FILLER.sub("", RESTATE.sub("", core))


RESULT_ASK = re.compile(r"效果|成效|结果|影响|反响|收获|作用如何")


PRONOUN = re.compile(r"他们|她们|它们|他|她|它|这个|那个|这些|那些|这种|那种|这家|那家|这趟|那趟|这次|那次|此次|这回|那回|该(?=[\u4e00-\u9fff])|其(?=[\u4e00-\u9fff])|这样|上述|(?<!规模)(?<!及)以上|此(?=[\u4e00-\u9fff])")


def statement_of(question: str) -> str:
    """A question as the statement it asks about: "…为什么要不断加大培训力度？" -> "…要不断加大培训力度"."""
    t = re.sub(r"^(?:请问|那么|那|还有)", "", question.strip())
    # "…接受再教育，是在哪个月？": a short asking clause after the statement is no part of it.
    clauses = re.split(r"[，,]", t.rstrip(" ？?。"))
    while len(clauses) > 1 and len(clauses[-1]) <= 8 and re.search(r"哪|什么|啥|多少|几|吗|谁|怎", clauses[-1]):
        clauses.pop()
    t = "，".join(clauses)
    t = re.sub(r"为什么|为何|为啥|怎么样|怎样|怎么|如何|是什么|什么样的?|什么地方|什么|哪些|(?:哪|多少)?几句话|哪几|哪里|哪儿|"
               r"第?(?:多少|几)(?:月份|[个名家人位次项张份所支户天年月期届号])?|有没有|是否|吗|呢", "", t)  # "去了哪里接受教育" -> "去了接受教育"
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


PERSON = re.compile(rf"^([\u4e00-\u9fff]{{2,3}}?)(?:在|对|{SPEECH_VERBS}|代表)")


ACTION_PRONOUN = re.compile(r"这样做|这么做|这种做法|这个做法|这些做法|这样的做法|这项工作|这个活动|这项活动|这样|这么"
                            r"|这趟|那趟|这次|那次|此次|这回|那回")


DEMONSTRATIVE = re.compile(r"(?:这个|那个|这一|该|这家|那家|这支|那支|这些|那些|这种|那种|这类|那类)(?=[\u4e00-\u9fff]{2})")


THE_FIGURE = re.compile(r"这个数字?|这一数字|这数字?|该数字?|这个数据|那个数字?")


REFERENT_STOP = "在的了和与及是为从对把被将向由到给让，,。；;、：:（()）“”\"'\n"


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
        # "…开发区党委建立1个区域党支部": the name starts after a count ("1个"), not where the clause does
        name = re.split(rf"[{re.escape(REFERENT_STOP)}]|[\d一二三四五六七八九十两]+[个家支名]", said[max(0, at - 10) : at])[-1] + noun
        spans = place_spans(previous.question)
        if spans and not any(p in name for p in places_in(previous.question)):
            s0, e0 = spans[0]  # "市工商联领导小组" after a question about 新郑市: 新郑市工商联领导小组
            place = previous.question[s0:e0]
            name = place[:-1] + name if name[0] == place[-1] else place + name
        return body[m.start() : m.end() + n], name
    return named_case(body, m, previous)


# What a demonstrative may point at by its kind: "这个方法" at the “温情工作法” the previous answer names.
CATEGORY = re.compile(r"工作法|方法|做法|办法|活动|模式|制度|机制|品牌|工程|行动")
NAMED_CASE = re.compile(r"([\u4e00-\u9fff]{2,12}的)?(“[^”]{2,16}”(?:工作法|做法|活动|模式|制度|机制|品牌|工程|行动)?)")


def named_case(body: str, m: re.Match, previous: Turn) -> tuple[str, str] | None:
    """"这个方法具体是怎么做的" after an answer naming "康迪公司的“阳光车队”工作法…缸套厂党支部的“温情工作法”" and a
    question about 缸套厂's: the quoted name of that kind whose owner the previous question names (or the only one)."""
    kind = CATEGORY.match(body, m.end())
    if kind is None:
        return None
    found = [x for x in NAMED_CASE.finditer(previous.answer) if x.group(2).rstrip("”")[-1] == kind.group(0)[-1]]
    owned = [x for x in found if x.group(1) and any(x.group(1)[i : i + 2] in previous.question
                                                   for i in range(len(x.group(1)) - 2))]
    pick = owned[:1] if len(owned) == 1 else found if len(found) == 1 else []
    if not pick:
        return None
    owner = re.sub(r"^(?:还有|以及|比如|例如|如|像|其中)", "", re.split(f"[{re.escape(REFERENT_STOP)}]", (pick[0].group(1) or "")[:-1])[-1])
    return body[m.start() : kind.end()], f"{owner}的{pick[0].group(2)}" if owner else pick[0].group(2)


# People a question is about, named first as its subject: "克旗的党建指导员是从哪里选的", "永康的党务工作者…".
PEOPLE_SUBJECT = re.compile(r"^(?:那|这些|那些)?([\u4e00-\u9fff]{2,8}?的)?((?:党建(?:工作)?|党务|工会|工建工作|入党|非公经济人士)?"
                            r"(?:指导员|特派员|协理员|联络员|党务工作者|积极分子|党员代表|党员|干部|职工|员工|代表))")


def people_in(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The people a text names after a role (钟攸平, 韩旭), in order, places left out."""
    return [m.group(1) for m in NAMED_BY_ROLE.finditer(text)
            if not NOT_IN_PERSON.search(m.group(1)) and not places_in(m.group(1), known)]


def person_named(text: str, known: frozenset[str] = frozenset()) -> str:
    """The last person a text names after a role (白景文, 杨文彬), places left out; or ""."""
    names = people_in(text, known)
    return names[-1] if names else ""


# The standalone form `resolve_follow_up` gives "第二条呢": a question already resolved to a listed item.
ITEM_ASKED = re.compile(r"^“.{2,60}?”(?:是什么|：)")


# A person pointed at by place in the last answer's order: "后面那位", "前一位", "后者".
PERSON_BY_ORDER = re.compile(r"(?:前面|后面|前边|后边|前一|后一|头一|第一|第二|最后)(?:那|一|的那)?位|前者|后者")


def person_in_order(which: str, answer: str, known: frozenset[str] = frozenset()) -> str:
    """The person `which` ("后面那位") points at among those the answer names in order; "" unless it names two or more."""
    names = list(dict.fromkeys(people_in(answer, known)))
    if len(names) < 2:
        return ""
    return names[0] if re.match(r"前|头|第一", which) else names[1] if which.startswith("第二") else names[-1]


WHO_ASKED = re.compile(r"是谁|谁(?:主持|负责|讲话|介绍|担任|作|牵头)|哪位|叫什么名字|叫啥")  # the last turn asked for a person


def named_for_role(previous: Turn, known: frozenset[str] = frozenset()) -> str:
    """"他" after "克旗派到企业挂职的干部，帮石材企业解决过什么难题" (answered "挂职干部白景文…"): the person the answer
    names by a role the question asked about; "" when none or more than one."""
    names = {m.group(1) for m in NAMED_BY_ROLE.finditer(previous.answer)
             if previous.answer[m.start() : m.start(1)].rstrip(")）")[-2:] in previous.question
             and not NOT_IN_PERSON.search(m.group(1)) and not places_in(m.group(1), known)}
    return names.pop() if len(names) == 1 else ""


def subject_of(question: str) -> str:
    """Who or what the question is about (新郑市工商联, 涪陵区民协党委, 钟攸平), for resolving 他们/他."""
    text = re.sub(r"^(?:请问|那么|那|还有)", "", question)
    # "韩旭在会上给个私协会系统提了哪些建议": the person the question opens with, before any body it names
    opener = PERSON.match(text)
    if opener and not places_in(opener.group(1)) and not re.search(r"[市县区旗镇会委部局]", opener.group(1)):
        return opener.group(1)
    # "人家那儿给党员设了些什么岗什么区": an ask ending in 区 names no place
    m = next((x for x in SUBJECT.finditer(text) if not INTERROGATIVE.search(x.group(0))), None) or PERSON.search(text)
    if m and m.re is PERSON:
        return m.group(1)
    if m:  # "2015年涪陵那场个私协会座谈会" -> 个私协会: no date ("截至2014年底…" -> 全国个私协会), nothing before a demonstrative
        return re.split(r"那场|这场|那次|这次|那个|这个", re.sub(r"^[年月日号][底初末]?", "", m.group(0)))[-1]
    for m in ORGANISATION.finditer(text):  # "苏州那个港商独资的维德公司…" -> 维德公司
        name = re.split(f"[{NAME_STOP}]", m.group(1))[-1]
        if len(name) >= 2 and not NOT_A_NAME.match(name):
            return name + m.group(0)[len(m.group(1)) :]
    return topic_of(question)


GENERIC_ASK = re.compile(r"具体|怎么|做法|什么|哪些|多少|还有|那么|情况|问题|方面|方法|措施|内容|例子|案例|事例|效果|成效|作用|意义"
                         r"|原因|要求|经验|好处|结果|建议|举例|说说|讲讲|介绍|详细|一下|有没有|分别|各自")


def own_content(text: str, content_words=None) -> int:
    """How many content words of its own a question has (具体/做法/例子 and the like do not count)."""
    words = content_words(text) if content_words else re.findall(r"[\u4e00-\u9fff]{2,}", text)
    return sum(1 for w in words if not GENERIC_ASK.fullmatch(w))


# A count of those who did something, with no noun of its own: "建了党组织的有几家？", "没建的呢有多少".
HEADLESS_COUNT = re.compile(r"^(?:那|其中)?[^，,？?的]{0,8}?(?:建|有|没|成立|参加|获|评|当|加入|入)[^，,？?的]{0,8}的(?:呢)?(?:有|占|是)?(?:几|多少)")


# "…，哪个多？", "两个数加起来多少", "这俩数一样不", "比一比": what is asked of two figures asked before it.
COMPARED = re.compile(r"[，,]?\s*(?:(?:那|这)?(?:两个数|俩数|两数|二者|两者|两边)?\s*(?:哪个|哪一个|哪边|谁|哪样)(?:更)?(?:多|少|大|小|高|低|强)"
                      r"|(?:这|那)?(?:两个数|俩数|两数|二者|两者)?(?:加起来|合起来|加在一起|相加|之和)(?:一共|总共)?(?:是|有)?(?:多少|几)"
                      r"|(?:这|那)?(?:两个数|俩数|两数|二者|两者)(?:是不是|是否)?一样(?:多|大)?(?:不|吗|么)?|(?:这|那)?(?:两个数|俩数|两数|二者|两者)?(?:比一比|比比|差多少|差几)"
                      r"|一样(?:多|大)?(?:不|吗))\s*[？?。！!]*$")
# "这两个哪个多": the things the last turn asked about, compared or taken together.
BOTH_BACK = re.compile(r"[这那](?:两|几|三)(?:个|项|家|种|类|者)(?![\u4e00-\u9fff]{0,2}(?:覆盖|作用|一|全部))")


def is_follow_up(text: str, own_content: int) -> bool:
    """A question that leans on the previous turn: it points back with a pronoun, starts like a
    follow-up with little content of its own, is an elliptical "…呢", or has no content of its own.
    A question that names its own place or organisation stands alone."""
    core = re.sub(r"\W", "", text)
    if own_content == 0:
        return True
    if len(core) <= 10 and core.endswith("呢"):  # "那新郑市呢？" names a place, and still leans on the last turn
        return True
    if len(core) <= 16 and core.endswith("的呢"):  # "已经单独建了党组织的呢？": those, in the last question's frame
        return True
    if any(not GENERIC_PLACE.search(m.group(0)) for m in SUBJECT.finditer(text)) or places_in(text):
        return False
    if ORDINAL.search(text) or BOTH_BACK.search(text) and COMPARED.search(text) or PERSON_BY_ORDER.search(text):
        return True
    if HEADLESS_COUNT.match(text):  # "建了党组织的有几家？": how many of those the last turn counted
        return True
    if PRONOUN.search(text):
        return True
    if RESULT_ASK.search(text) and own_content <= 2:
        return True
    return bool(FOLLOW_UP_START.match(text)) and own_content <= 3


def elliptical_subject(text: str, known: frozenset[str] = frozenset()) -> str:
    """X of a short "那X呢？" that names no place (a place switch is resolved by `resolve_follow_up`), else ""."""
    # "最后那个“一提升”呢": which one of them it is comes before what it is
    core = re.sub(r"\W", "", re.sub(r"^(?:那么|那)?(?:最后|另外)?(?:那个|这个|那一个|这一个)?", "", text))
    if not core.endswith("呢") or not 2 <= len(core) - 1 <= 8 or places_in(core, known):
        return ""
    return core[:-1]


LETTER_SLOTS = (re.compile(r"(?<=[中里]的)[“\"「]?([A-Za-z0-9])(?![A-Za-z0-9+])"), re.compile(r"[“\"「]([A-Za-z0-9])[”\"」]"))
# "“N”又是什么？", "N呢": a letter asked about in the previous question's frame.
LETTER_ASK = re.compile(r"[“\"「]?([A-Za-z0-9])[”\"」]?(?:又|呢)?(?:是|指)?(?:的是)?(?:什么|啥)?(?:意思)?呢?")


def kind_swapped(x: str, question: str, phrase_words) -> str:
    """The question with the noun phrase X is a kind of in place of X: "副组长" after "…谁当组长" -> "…谁当副组长",
    "中小企业" after "新郑的规模以上工业企业有多少户" -> "新郑的中小企业有多少户" (the words before the head that
    qualify it go too; 的, a verb, a place or a name ends them); "" when X ends with no word of the question.
    `phrase_words` is Tokenizer.phrase_words."""
    words = phrase_words(question)
    at = next((i for i in range(len(words) - 1, -1, -1) if len(words[i][0]) >= 2 and words[i][0] != x and x.endswith(words[i][0])), None)
    if at is None:
        # "联建呢" after "克旗通过单建模式建了多少党组织": a word of two characters with the same head is its sibling,
        # in its place alone (the words before it qualify both).
        sib = next((i for i in range(len(words) - 1, -1, -1) if len(x) == len(words[i][0]) == 2 and words[i][1]
                    and words[i][0][-1] == x[-1] and words[i][0] != x), None)
        return "" if sib is None else "".join(w for w, _ in words[:sib]) + x + "".join(w for w, _ in words[sib + 1 :])
    start = at
    while start > 0 and words[start - 1][1]:
        start -= 1
    return "".join(w for w, _ in words[:start]) + x + "".join(w for w, _ in words[at + 1 :])


def in_parallel(phrase: str, question: str) -> str:
    """The previous question with `phrase` in place of the phrase it parallels: "对联建的党组织" after
    "克旗对单建党组织开展的是什么创建活动" -> "克旗对联建的党组织开展的…". The two begin alike (a word or preposition)
    and end alike (their head, two characters at least); "" when the question has no such phrase."""
    if re.fullmatch(r"[A-Za-z0-9]", phrase):
        # "N呢？" after "“1+N”中的1指什么", "“N”又是什么" after "…里，“1”指的是什么": the letter of the part asked
        # about, after 中的/里的 or quoted alone; the last one the question has.
        slots = [m for rx in LETTER_SLOTS for m in rx.finditer(question)]
        m = max(slots, key=lambda m: m.start(1), default=None)
        return question[: m.start(1)] + phrase + question[m.end(1) :] if m and m.group(1) != phrase else ""
    if len(phrase) >= 3 and phrase.endswith("的"):
        # "已经单独建了党组织的呢" after "…里，对没有党员的非公经济和社会组织要求做到什么": in place of the 的-phrase
        # the question opens its object with (after 对/给/为/让/把 or a pause)
        m = re.search(r"(?:(?<=[对给为让把])|(?<=[，,])(?![对给为让把]))[^，,。？?的“”]{2,12}的(?=[\u4e00-\u9fff])", question)
        if m and m.group(0) != phrase:
            return question[: m.start()] + phrase + question[m.end() :]
    for lead in (2, 1):
        for tail in range(len(phrase) - lead - 1, 1, -1):
            head, end = phrase[:lead], phrase[-tail:]
            m = re.search(rf"{re.escape(head)}[\u4e00-\u9fff]{{1,6}}?{re.escape(end)}", question)
            if m and m.group(0) != phrase:
                return question[: m.start()] + phrase + question[m.end() :]
    return ""


LIST_OF_COUNTED = re.compile(r"(?:那)?(?:都|分别|具体)?(?:有|是)?(?:哪些|哪几[个项条种家类名位]?|什么)(?:呢|啊)?")


def without_counted_noun(body: str, question: str) -> str:
    """"都是哪些部门" after "…有多少个部门": the ask without the noun the last question counted."""
    m = re.search(r"(?<=哪些|哪几|什么)([\u4e00-\u9fff]{2,4}?)(?:呢|啊)?$", body)
    return body[: m.start(1)] + body[m.end(1) :] if m and m.group(1) in question else body


# The user says the last answer missed what they asked: "不对，我问的是组织部和总工会一起发的那份", "不对我问的是…",
# "唔系，…" (唔系 is read as 不是). 不是 opens a correction only before a pause or 我 ("不是说…吗" asks).
CORRECTION = re.compile(r"^(?:不对|不是|错了|搞错了|你(?:理解|搞)错了|答非所问)(?=[，,。！!\s]|我|$)[，,。！!\s]*"
                        r"(?:我)?(?:想|要)?(?:问的是|问的|想问的是|说的是|是问|是说|问)?[，,:：\s]*")


ASKS = re.compile(rf"{INTERROGATIVE.pattern}|多大|多长|多久|多高|多远")


def correction_body(text: str) -> str | None:
    """What a correction asks instead ("组织部和总工会一起发的那份"), "" when it says only that the answer was
    wrong; None when the text is no correction."""
    m = CORRECTION.match(text.strip())
    return text.strip()[m.end() :].strip(" 。！!") if m else None


def resolve_correction(body: str, previous: Turn, known: frozenset[str] = frozenset()) -> str:
    """A correction as a question of its own: its pronoun resolved, the last question's place in front when it
    names none, and "是什么" after it when it only names what is asked about ("组织部和总工会一起发的那份" after
    "苏州市委…下发了什么文件" -> "苏州市组织部和总工会一起发的那份是什么")."""
    if not body:
        return previous.question
    asks = bool(ASKS.search(body))
    if not asks and len(body) <= 8:
        return resolve_follow_up(f"那{body}呢", previous, 1, known)  # "不是，我是问华盛公司": as "那华盛公司呢"
    if asks and len(re.sub(r"\W", "", body)) <= 6:
        # "不对，我问的是在哪儿开的" after "…座谈会是哪天开的": a short ask of the same subject
        head = re.split(ASKS, re.sub(r"^(?:请问|那么|那(?![次个些种场位家]))", "", previous.question))[0].rstrip("是叫在有为由，, ")
        return f"{head}{body}" if head else body
    # 他/她/他们 point back; "那个文件" names what is asked about
    text = resolve_follow_up(body, previous, 1, known) if re.search(r"[他她它]", body) else body
    if not places_in(text, known) and (spans := place_spans(previous.question, known)):
        text = previous.question[spans[0][0] : spans[0][1]] + text
    return text if asks else f"{text}是什么"  # "…下发的那个文件": which one it is


def counted_items_asked(text: str, previous: Turn) -> str:
    """"都有哪些", "都是哪些部门" after a count the last answer gave: that question with its figure ("…有18个部门"),
    else ""."""
    body = re.sub(r"\W", "", FOLLOW_UP_START.sub("", text))
    return counted_figure(previous) if LIST_OF_COUNTED.fullmatch(without_counted_noun(body, previous.question)) else ""


def counted_figure(previous: Turn) -> str:
    """The previous question with the figure its answer gave in place of 多少/几: "…完善了多少项党建制度" -> "…完善了
    21项党建制度"; "" when it asked no count or the answer gave none in its measure word."""
    unit = counted_unit(previous.question)
    ask = re.search(rf"(?:多少|几)\s*{re.escape(unit)}", previous.question) if unit else None
    if ask is None:
        return ""
    head = head_gram(counted_thing(previous.question))
    for m in re.finditer(rf"(?:{COUNT.pattern})\s*(?:余|多)?{re.escape(unit)}", previous.answer):
        if not head or head in previous.answer[m.end() : m.end() + 10]:
            return previous.question[: ask.start()] + m.group(0) + previous.question[ask.end() :]
    return ""


def resolve_follow_up(text: str, previous: Turn, own_content: int = 1, known: frozenset[str] = frozenset(),
                      lean: bool = False) -> str:
    """Make a follow-up standalone: "那具体怎么做？" carries the whole previous question, a pronoun is
    replaced by the previous subject, "那划分了多少个网格？" gets the previous subject in front. A question
    read as a follow-up only because it finds nothing alone (`lean`) carries the whole previous question."""
    body = FOLLOW_UP_START.sub("", text).strip(" ，,")
    if restate(text):
        return previous.question  # "再短点": the same question, answered shorter
    if counted := counted_items_asked(body, previous):
        # "都有哪些" after "新郑帮企业完善了多少项党建制度" (answered 21项): the items of what was counted, asked as
        # "…完善了21项党建制度，都有哪些", which the materials may only count; also when read as a follow-up only
        # because it finds nothing alone ("是哪些制度").
        return f"{counted.rstrip('？?。')}，{body}"
    if lean:
        return f"{previous.question.rstrip('？?。')}，{body}"
    if BOTH_BACK.search(body) and COMPARED.search(body):  # "这两个哪个多": of what the last question asked, 两个 pointing at it
        return f"{previous.question.rstrip('？?。')}，{BOTH_BACK.sub('', body, count=1)}"
    if MORE_ASK.fullmatch(re.sub(r"\W", "", text)):
        return previous.question  # "还有吗": the same question, for what the answer did not yet say
    if (m := ORDINAL.search(body)) and re.sub(r"\W", "", body[m.end() :]) in ("", "呢") \
            and (was := ORDINAL.search(previous.question)) and not ITEM_ASKED.match(previous.question):
        # "第二条呢？" after "“建”这块第一条是啥？": the same question of the other item, not an item of its answer.
        return previous.question[: was.start()] + m.group(0) + previous.question[was.end() :]
    if (found := ordinal_item(body, previous.answer)) is not None:
        # "其中第二项具体怎么做？" -> "联合组建具体怎么做？": the item the previous answer listed.
        m, item = found
        rest = body[m.end() :]
        if re.sub(r"\W", "", rest) in ("", "呢"):  # "那第一种呢？": the item in the old question's frame
            frame = re.sub(r"^“.*?”：", "", previous.question)  # the frame, not the item the last turn put in it
            if re.search(r"几|多少|哪些|哪几", frame):
                return f"“{item}”是什么？"  # "…一共提了几个方面的要求" asked for the list, not of each item
            return f"“{item}”：{frame}"
        return f"{body[: m.start()]}“{item}”{rest}"
    if (which := PERSON_BY_ORDER.search(body)) and (name := person_in_order(which.group(0), previous.answer, known)):
        # "后面那位是什么职务" after an answer naming 钟攸平 and then 韩旭: the person in that place of the answer.
        return body.replace(which.group(0), name, 1)
    # "这个数比上年多了多少？" after "…有多少党员？": the figure asked for before, named by what it counted.
    if (ref := THE_FIGURE.search(body)) and re.search(r"多少|几", previous.question) and (topic := topic_of(previous.question)):
        return f"{body[: ref.start()]}{topic}的数量{body[ref.end() :]}"
    core = re.sub(r"\W", "", body)
    if core.endswith("呢") and len(core) <= 10 and places_in(core, known):
        # "那永康呢？" after a question about 克什克腾旗: the same question about the other place.
        spans, named = place_spans(previous.question, known), place_spans(core, known)
        if spans and named:  # the place as the user wrote it ("那克旗呢" names 克什克腾 as 克旗)
            start, end = spans[0]
            # "新郑工商联怎样培训企业家" -> "克旗怎样培训…": the old place's own organisation goes with it.
            if (own_org := LOCAL_ORG.match(previous.question, end)) and not LOCAL_ORG.match(core, named[0][1]):
                end = own_org.end()
            return previous.question[:start] + core[named[0][0] : named[0][1]] + previous.question[end:]
    # "那“N”又是什么？" after "“1+N”…里，“1”指的是什么？": the letter in place of the one asked about before.
    if (letter := LETTER_ASK.fullmatch(re.sub(r"[？?。！!\s]", "", body))) and \
            (swapped := in_parallel(letter.group(1), previous.question)):
        return swapped
    # "那对联建的党组织呢" / "N呢": in place of the phrase it parallels in the previous question.
    if re.sub(r"\W", "", body).endswith("呢") and (swapped := in_parallel(re.sub(r"\W", "", body)[:-1], previous.question)):
        return swapped
    if len(core) > 10 and core.endswith("的呢"):  # "反过来，有工会没支部的呢": no phrase it parallels; with the question
        return f"{previous.question.rstrip('？?。')}，{body}"
    if (dem := DEMONSTRATIVE.search(body)) and (case := named_case(body, dem, previous)) is not None:
        return body.replace(case[0], case[1], 1)  # "这个方法具体是怎么做的" -> "缸套厂党支部的“温情工作法”具体…"
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
    if re.search(r"[他她](?![们])", body) and (name := person_named(previous.question, known) or next(
            (n for n in [person_named(previous.answer, known)] if n and n in previous.question), "")
            or named_for_role(previous, known)
            or (WHO_ASKED.search(previous.question) and person_named(re.split(r"(?<=[。！？；;])", previous.answer)[0], known))):
        # "他是跟哪家单位协调的" after "克旗挂职干部白景文给石材企业解决了什么难题": the person, not the place.
        return re.sub(r"[他她](?![们])", name, body, count=1)
    if re.search(r"[他她](?![们])", body) and (role := list(re.finditer(ROLES, previous.question))):
        # "他是谁？" after "涪陵区民协党委书记介绍了什么": the person the previous question named by role.
        who = re.split(r"[，,]", previous.question[: role[-1].end()])[-1]
        return re.sub(r"[他她](?![们])", who, body, count=1)
    if re.search(r"他们|她们", body) and (people := PEOPLE_SUBJECT.match(previous.question)) \
            and (not people.group(1) or places_in(people.group(1), known)):
        # "他们负责什么" after "克旗的党建指导员是从哪里选的": the people the question was about, not its place.
        return re.sub(r"他们|她们", people.group(0), body, count=1)
    if PRONOUN.search(body):
        return PRONOUN.sub(subject, body, count=1)
    if re.sub(r"\W", "", body).endswith("呢") and len(body) <= 12:
        # "党费呢？" after "经费从哪里来？": the new subject in the old question's frame.
        return f"{body.rstrip('呢？?')}：{previous.question}"
    # "那会员中的党员总数是多少" after "2014年个私协会会员里一共发展了多少党员": the body opens with a word of the
    # subject; what comes before that word in it says whose (2014年个私协会), the rest was the old question's.
    if head := next((body[:n] for n in (4, 3, 2) if re.fullmatch(r"[\u4e00-\u9fff]+", body[:n]) and body[:n] in subject), ""):
        return subject[: subject.index(head)] + body
    return f"{subject}{body}"
