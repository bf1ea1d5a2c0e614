"""What kind of fact a question asks for (a year, a count, a share, a person…), what exactly it asks it of
(the thing counted, the event dated, what was paid for), what it takes for granted (counts and figures it
states), and whether a sentence holds such a fact."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .places import mentions, places_in, without_places
from .terms import ASKS_ITEMS, numbered_terms, numeral_value

if TYPE_CHECKING:
    from .understand import Question


# What kind of answer the question asks for; checked against the answering sentence.
ROLES = "秘书长|董事长|负责人|主持人|书记|会长|主任|组长|主席|局长|部长|司长|厂长|经理|委员|市长|旗长|县长|区长|领导|同志|代表"
# A role with its rank: "副组长是谁" asks for the deputy, not the one "任组长".
RANKED_ROLE = rf"(?:常务副|副)?(?:{ROLES})"
# Roles whose holder's name may be asked ("双龙建材的老板叫啥"): the ranked ones and a firm's owner.
NAMED_ROLE = rf"{RANKED_ROLE}|业主|老板|老总"

# "哪家银行", "哪所党校": which body, and the kinds of body named only where they are one (see BODY_ASKED).
WHICH = r"(?:哪|什么)(?:个|家|一个|一家|所|些|几家)?"
BODIES = "银行|医院|学校|大学|学院|党校"
# Asking why; "作为什么机制来落实" and "成为什么" ask what, with 为 a verb of its own.
WHY = r"(?<![作成认称视])(?:为什么|为啥)|为何"


EXPECTS: list[tuple[str, re.Pattern]] = [
    ("date", re.compile(r"哪一天|哪天|几号|具体日期|几月几")),
    ("year", re.compile(r"哪一年|哪年|何年|年份|几几年")),  # a year: "去年4月" does not say which
    ("time", re.compile(r"什么时候|何时|几月|什么时间|啥时候")),
    ("duration", re.compile(r"多长时间|多久|多少天|几天|多长|为期|(?<![近这前好十])几年")),
    ("share", re.compile(r"比例|占比|百分之|百分比|比重|覆盖率|占.{0,8}(多少(?![个名家人位所支户项条次万])|几成)|几成|增长了?多少|增幅|增长幅度|增长率|增速|率是"
                         r"|比.{0,8}?(?:多|少|增加|提高|减少|上升|下降)了?多少")),  # "比上一年多了多少": a rise, often in %
    # A change from before ("比上一年提高了几个百分点"): a level alone ("覆盖达73.9%") does not say it.
    ("change", re.compile(r"比.{0,8}?(?:多|少|高|低|增加|提高|减少|上升|下降|增长)了?(?:多少|几)|(?:增长|提高|增加|上升|下降|减少|涨|降|跌)了?(?:多少|几个?百分点)"
                          r"|增幅|增长幅度|增长率|增速")),
    # Which ranks higher ("哪家的经验在全市排名更靠前"): a comparison said, not two things named side by side.
    ("ranking", re.compile(r"排名|排第几|排在第?几|第几名|名次|靠前|领先|哪(?:家|个|位|一个|一家|种|项)[^，,。？?]{0,14}[更最]|谁更|谁最"
                          r"|最(?:好|有效|管用|成功|突出|见效|重要)的?(?:是)?哪")),  # "效果最好的是哪个": a comparison said
    # Which body did it ("官方微博是哪个部门在运营"): an organisation named.
    ("organisation", re.compile(rf"{WHICH}(?:部门|单位|机构|企业|公司|商会|协会|{BODIES})")),
    ("number", re.compile(r"(?:一共|总共|共)[^，,。？?]{0,6}几[项条点种类个]|(?<!哪)了几项|多少|几个|几名|几家|几人|几位|几次|几万|几千|几百|数量|数额|金额|几所|几支|几户|几期|几批|几届|几场|几轮|几张|几份|几本|几册|几篇|几章|几页|几节|几台|几辆|几座|几间|几趟|几回|人数|(?<![那这])个数|规模多大"
                          r"|(?<=[发写贴登刊推])几[条篇]")),  # "微博一天发几条": posts counted, not a list of rules
    ("list", re.compile(r"哪些|哪几|几个方面|几方面|几项|(?<![发写贴登刊推])几条|几点|几种|几类|包括什么|包括哪|分别|哪\d{1,3}\s*(?:个|项|条|种|类|点|家|大|方面)|有什么(做法|措施|要求|方式|形式|内容|活动|经验)|都有什么|几大")),
    # What post someone holds ("韩旭当时是啥职务"): a title said with the name.
    ("position", re.compile(r"职务|职位|头衔")),
    ("person", re.compile(rf"是谁|叫什么名字|叫啥|全名|姓名|名字叫|姓什么|姓啥|哪位|哪几位(?:{ROLES})|谁(?:担任|负责|主持|介绍|讲话|提出|作的)"
                          rf"|(?:{NAMED_ROLE})(?:叫|是)什么(?:名字)?(?:[？?]|$)|谁(?:来)?(?:当|任)(?:了|的)*{RANKED_ROLE}"
                          rf"|(?:谁|哪(?:个|一个|位)(?:{ROLES})?)(?:带|领)(?:的)?队|(?:带队|领队)的?(?:是谁|是哪位)")),
    # Who pays ("培训费谁出"): a sentence that says where money comes from, not any body named.
    # ... or where the money comes from ("活动的钱从哪几块来", "经费怎么凑", "支部没钱怎么办").
    ("payer", re.compile(r"(?:由)?谁(?:来)?(?:出|掏|付|承担|买单|报销|拨)(?:钱|费|经费|资金)?(?=[？?，,。吗呢啊的]|$)"
                         r"|(?:钱|经费|资金|费用)[^，,。？?]{0,4}?(?:从|打)?哪(?:几块|几头|几个方面|几方面|几个渠道|些渠道)?(?:里|儿)?(?:来|出)"
                         r"|(?:经费|资金)(?:的)?来源|(?:怎么|如何)(?:凑|筹)(?:钱|经费|资金)?|几头出钱|(?:没|缺)(?:钱|经费)|(?:钱|经费)不(?:够|足)")),
    ("money", re.compile(r"多少钱|多少经费|多少资金|多少费用|花了多少|花多少|投入多少|投入了多少|拨多少|拨了多少|多少万元|多少元|多少款")),
    ("region", re.compile(r"哪(?:个|一个|些)(?:省|市|县|国家|城市)|哪座城市|哪省|哪国")),  # a place name answers
    ("place", re.compile(r"什么地方(?!(?:下手|入手|着手|开始|抓起|做起|突破|努力|改进|不足|不够))|哪(?:个|些|几个)(?:地方|地区|苏木乡镇|苏木|乡镇|街道|镇|社区|村|嘎查)|去(?:了)?哪(?:里|儿|(?![些个一样种家位]))|到哪(?:里|儿)?(?:去|考察|学习|参观|取经)"
                         r"|从哪(?:里|儿)?(?:搬|迁)|(?:搬到|搬去|迁到|迁往|迁去)哪|在哪(?:里|儿)?(?:办|开|举办|召开|举行|培训|上课)|(?:地址|厂址|新址|地点|位置|选址)(?:在|是)?(?:哪|什么地方)")),  # ... where to or from
    # ("从什么地方下手" asks how to begin, not where)
    # Which paper says it ("是哪个文件规定的"): a document named (《…》).
    ("document", re.compile(r"(?:哪个|哪份|哪一个|哪一份|什么|啥|哪些)(?:文件|通知|纪要)|(?:哪个|哪份|哪一份|哪部)(?:规定|条例|意见|决定)|(?:文件|通知)(?:叫|是)(?:什么|啥)")),
    # A speech's or article's title ("韩旭讲话的题目是什么"): 《…》 or 题为.
    ("title", re.compile(r"(?:讲话|报告|发言|文章|演讲)的?(?:题目|标题)|(?:题目|标题)(?:是|叫)(?:什么|啥)")),
    # Which building or hall ("在哪个宾馆开的"): a city or district named is no venue.
    ("venue", re.compile(r"(?:哪个|哪家|哪一个|哪一家|什么|啥)(?:宾馆|酒店|饭店|会场|会议室|礼堂|会堂|大厦|场馆|会议中心|体育馆)")),
    ("reason", re.compile(rf"{WHY}|原因|何以")),
    # "被授予了什么荣誉称号": an honour is said with its title (授予…称号, 评为…); "有啥奖励" asks what is given.
    ("honour", re.compile(r"(?:什么|啥|哪些|哪个|哪项|何种)(?:样的)?(?:荣誉|称号|奖项|表彰|奖(?!励))|(?:荣誉|称号)(?:是|叫)(?:什么|啥)")),
    ("how", re.compile(r"(?:什么地方|哪里|哪儿|何处)(?:下手|入手|着手)|怎么|怎样|如何|办法|措施|途径|步骤|做法|方式|怎么办|咋")),
    ("concept", re.compile(r"什么是|是什么|指什么|含义|意思|指的是|是指|何谓|定义")),
]


# Nouns that only name the kind of fact asked ("韩旭是什么职务"): the answer says a title, never the noun, so it is no
# word a passage must share with the question. (日期, 人数, 姓名… as well cost a test set a key point: stop 26.)
KIND_NOUNS = {"position": "职务|职位|头衔"}


def without_kind_nouns(text: str, kinds: tuple[str, ...]) -> str:
    """The question without the nouns that name a kind it asks for."""
    for kind in kinds:
        if kind in KIND_NOUNS:
            text = re.sub(KIND_NOUNS[kind], " ", text)
    return text


MEASURABLE_KINDS = ("date", "year", "time", "duration", "share", "change", "ranking", "organisation", "position", "number", "person", "payer", "money", "region", "place", "honour",
                     "name", "document", "charge", "venue", "title")


# A place named anywhere is weak evidence of the place asked for: these flag a gap (decide), never rank.
GAP_ONLY_KINDS = ("region", "place", "change", "ranking", "organisation", "honour", "name", "document", "venue", "title")  # a rise ranked up would be another document's ("比上年增长5.6%")


# Where someone went or goes: "赴焦裕禄陵园", "到哇哈哈集团去学习".
DESTINATION = re.compile(r"(?:赴|前往|到|去)[\u4e00-\u9fff]{2,10}?(?:陵园|纪念馆|基地|集团|公司|园区|学院|大学|学校|景区|村|镇|单位|示范点)"
                         r"|在[\u4e00-\u9fff]{1,8}?(?:党校|学院|大学|会堂|礼堂|会议室|宾馆|酒店|基地)"  # "在市委党校联合举办了…培训班"
                         r"|[\u4e00-\u9fff]{2,4}(?:镇|乡|村|社区|街道|园区|开发区)(?![长委企民级务])"  # 芝瑞镇, 赛罕社区; not 参与村企共建
                         # "先后到…协会党委、金石小贷公司、…视察党建工作": the places of a visit, before its verb
                         r"|(?:赴|前往|到)[^，,。；;]{2,80}?(?:视察|参观|考察|调研|观摩|走访)")


GENERIC_ROLES = {"领导", "同志", "人员", "干部", "代表"}


TITLES = "秘书长|董事长|书记|会长|主任|部长|司长|组长|主席|局长|市长|旗长|县长|区长|经理"


TITLED_NAME = re.compile(rf"(?:{TITLES})[)）]?([\u4e00-\u9fff]{{1,3}})(?:作|在|介绍|主持|强调|指出|表示|讲|说|提出|肯定|出席|同志)")


PERSON_ROLE = re.compile(rf"({NAMED_ROLE})[，,]?[^，,。？?]{{0,3}}?(?:是谁|叫什么名字?|叫啥|全名|姓名|名字叫|姓什么|姓啥|叫什么(?=[？?]|$))|哪位({ROLES})"
                         r"|([\u4e00-\u9fff][^\W\d_我你他她们])(?:是谁|叫什么名字?|叫啥|姓什么|姓啥)|哪位([\u4e00-\u9fff]{2})")  # not "告诉我是谁"


SPEECH_VERBS = "提出|肯定|介绍|强调|表示|认为|说|指出|要求|建议|讲"  # "钟攸平强调": someone named as speaking
PERSON_VERBS = "作了|作重要|介绍|主持|强调|指出|表示|讲话|提出|肯定|出席|同志|担任|代表"


# "书记全名叫啥": a surname alone ("书记张介绍") does not answer it; "姓什么" it does.
NAMED_DOING = re.compile(rf"(?:^|(?<=[\s，,。；;：:“]))(?![他她我你]|与会)[\u4e00-\u9fff]{{2,3}}(?:同志)?(?:{PERSON_VERBS}|说|讲)")
NAMED_COMRADE = re.compile(r"(?<![员部位大])[\u4e00-\u9fff]{2,3}同志(?!们)")  # "吕广望同志", not 党员同志/同志们
FULL_NAME = re.compile(r"全名|全称|名字|姓名|叫什么|叫啥|(?:具体|到底|究竟)是谁")  # a name asked, not the post that holds it


# How long: "为期7天", "连续三年", "3个月"; not when ("4月份", "2014年" and "15日": a month is counted with 个, a year
# in four digits is a date).
HOW_LONG = r"(?<![\d月至到])(?:\d{1,3}|[一二三四五六七八九十两]+)\s*(?:天|日|周|年|小时|个(?:月|星期|小时))"


# Spans a sentence must hold to answer each kind of question.
SATISFIES: dict[str, re.Pattern] = {
    "date": re.compile(r"\d{1,2}\s*[日号]|\d{1,2}月\d{1,2}"),
    "year": re.compile(r"(?:19|20)\d{2}\s*年"),  # "20xx年", masked in the source, says no year
    "time": re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月|去年|今年|前年|上半年|下半年|年初|年底|年末"),
    "money": re.compile(r"\d[\d.,]*\s*(?:余|多)?(?:万|亿|千)?元"),
    # How long, or how often ("多久召开一次" is answered by "每年召开一次").
    "duration": re.compile(rf"{HOW_LONG}|每(?:个)?(?:年|月|季度|周|天|日|半年)"),
    "share": re.compile(r"\d+(?:\.\d+)?\s*[%％]|百分之|占.{0,12}\d|\d+(?:\.\d+)?成|100%|(?:增长|增加|提高|减少|下降)了?\d"),
    "number": re.compile(r"\d|[一二三四五六七八九十两百千万]+\s*(?:个|名|家|人|次|户|项|条|万|千|元|支|所|批|期)"),
    # A name given: quoted ("“温情工作法”", 《…》) or introduced (名为, 叫做, 称为).
    "name": re.compile(r"“[^”]{2,24}”|《[^》]{2,30}》|「[^」]{2,24}」|\"[^\"]{2,24}\"|名为|叫做|称为|命名为|取名"),
    "document": re.compile(r"《[^》]{2,40}》"),
    "title": re.compile(r"《[^》]{2,40}》|题为|为题"),
    "venue": re.compile(r"[\u4e00-\u9fff]{2,}(?:宾馆|酒店|饭店|会议室|礼堂|会堂|大厦|会议中心|体育馆|剧院|党校|会展中心)"),
    "organisation": re.compile(r"组织部|工作部|宣传部|统战部|委员会|党工委|工委|党委|总工会|工会|工商联|协会|商会|理事会|研究会|中心|公司|集团"
                               r"|小组|局|办公室|党校|学院|大学|银行|医院"),
    "ranking": re.compile(r"更|最|排名|排在|名列|第[一二三1-3][名位]|居首|首位|位居|领先|前列|高于|低于|多于|少于|超过"),
    "change": re.compile(r"(?:增长|增加|提高|减少|下降|上升|降低|增幅)了?\s*(?:\d|百分之|[一二三四五六七八九十两]+\s*(?:个|倍|成))"),
    # Who is in charge ("克旗社会组织的党建归谁管"): a sentence saying a body leads or manages it ("旗民政局党总支负责…",
    # "纳入经信系统党委管理"), not one where 管理 is a kind of management ("实行星级管理").
    "charge": re.compile(r"负责|主管|牵头|抓总|纳入[^，,。；;]{0,12}管理|归[^，,。；;]{0,10}(?:管|领导)|由[^，,。；;]{2,12}(?:管理|领导)"),
    "payer": re.compile(r"列支|拨付|拨款|出资(?!人)|承担|补贴|补助|资助|返还|党费|经费|资金|费用|赞助|捐"),
}


LENGTH = re.compile(HOW_LONG)  # how long, not how often
# How often, not how long: "多久召开一次", "隔多长时间开一回", "频率".
OFTEN = re.compile(r"(?:多久|多长时间|几天|多少天|几个月|几年).{0,6}?(?:一次|一回|一期)|频率|频次|隔多久|多久.{0,2}[开搞办]")


# Events a question may presuppose ("为什么取消了…"); when no passage mentions them, the premise is unsupported.
EVENT_WORDS = re.compile(
    r"取消|撤销|撤掉|废除|废止|停止|暂停|叫停|减少|下降|降低|削弱|放弃|失败|解散|关闭|处分|处罚|违规|批评|拒绝|禁止|否决"
    r"|退出|削减|缩减|大幅|倒闭|亏损|裁员|停办|撤并|不管|不再|不许|不准|放缓|萎缩|流失|通报|查处|整改"
    r"|掉(?:了|到|下来)|下滑|回落|缩水|变少|滑坡"  # a fall told colloquially ("比例都掉到2.84%了")
)


INTERROGATIVE = re.compile(r"吗|什么|怎|如何|哪|多少|几|是否|是不是|算不算|有没有|能不能|可不可以|要不要|谁|为何|咋|啥")


def asking_clause(text: str) -> str:
    """The clause that asks, when a long question first tells its situation: "…几家小企业联起来建了支部以后，
    有的老板又想单独建，当初联起来建到底算不算个过渡？" asks only in its last clause, where 几家 is no question."""
    clauses = [c for c in re.split(r"[，,；;。！!\s]", text.strip(" ？?")) if c.strip()]
    if len(clauses) >= 2 and INTERROGATIVE.search(clauses[-1]) and (
            len(clauses) >= 3 or SITUATION_JI.search(clauses[0]) and not re.search(r"多少|[？?]", clauses[0])):
        return clauses[-1]
    return text


# A clause that asks in a word of its own ("几" alone may tell how many: "公司里有几个党员").
ASKING_WORD = re.compile(r"什么|怎|如何|哪|多少|谁|为何|为什么|是否|是不是|有没有|吗|咋|啥")


def reason_clause(text: str) -> str:
    """The clause a why-question asks in, and what follows: "这两年小公司一茬接一茬，领导为啥说党建越来越要紧了"
    presupposes only what its why-clause says; the story before it is the user's own."""
    m = re.search(rf"{WHY}|凭什么|什么原因|啥原因", text)
    if not m:
        return text
    starts = [b.end() for b in re.finditer(r"[，,；;。！!？?\s]", text[: m.start()])]
    return text[starts[-1] if starts else 0 :]


# "几家同行老搞压价": a few of something doing something, told, not asked ("有几家企业" ends where it asks).
SITUATION_JI = re.compile(r"(?<![有共了])几[个家位名条户]?[\u4e00-\u9fff]{6,}")


# A name asked for in so many words ("叫什么名字", "名称是什么"); a bare "叫什么" may ask what something is called
# in any words, and is checked no further.
NAME_ASK = re.compile(r"(?:名字|名称|名号|全称|账号名称)(?:叫|是)?(?:什么|啥)|叫(?:什么|啥)(?:名字|名称|名(?![\u4e00-\u9fff]))"
                      r"|(?:名字|名称|全称)(?:[？?。，,！!]|$)")


def named_thing(text: str) -> str | None:
    """What a question asks the name of ("信息平台叫什么名字" -> 信息平台), "" when it does not say; None when it
    asks no name. "…二局领导，叫什么名字" names it in the clause before."""
    m = NAME_ASK.search(text)
    if not m:
        return None
    before = re.search(r"[\u4e00-\u9fff]{1,8}$", re.sub(r"(?:的|[，,\s])+$", "", text[: m.start()]))
    if not before or re.search(r"(?:这|那)(?:个|位|名)$", before.group(0)):
        return ""  # "工会派的这个叫啥": someone or something told of before
    return re.sub(r"^(?:那个|这个|那家|这家)", "", before.group(0))


ORDINAL_ASKED = re.compile(r"第[一二三四五六七八九十\d]+|最后一")  # "第一个叫什么": an item of a list
ITEM_BY_ITEM = re.compile(r"列出|逐项|逐一|一一|分别|各自")  # "逐项列出名称": the names of a list's items
PERSON_NAMED = re.compile(rf"(?:{ROLES}|人|者|员|他|她|谁|姓|工|哥|姐|爷|叔|老|干部|老板|业主|家|全名|姓名|真名|大名)$")
FIRM_NAMED = re.compile(r"(?:公司|企业|厂|集团|单位|协会|商会|银行|学校|医院|党校|部门|机构)$")


# Who leads, runs or oversees something: a body answers ("市委组织部牵头"), not only a person.
IN_CHARGE_ASKED = re.compile(r"(?:归|由)谁(?:来)?(?:管|负责|领导)|谁(?:来)?(?:主管|负责管理)")
BODY_WHO = re.compile(r"谁(?:来)?(?:牵头|主办|承办|发起|主管|管理|归口|抓总)|(?:归|由)谁(?:管|负责|牵头)")


# 几 told, not asked: "镇上有几位刚退二线的老干部闲在家，…永康是咋用这些人的" (a few of them), "举几个例子";
# "有几个企业成立了党组织，效果怎么样？" asks how many, and how it went.
FEW = re.compile(r"(?:(?<=[里上边们我俺咱家头]有)|(?<=[把拿找请推选派挑带]))几(?=[个位家名条所][^，,。？?\s]{2,}[，,\s][^？?]*?"
                 r"(?:怎么|怎样|咋|啥|什么|吗|如何|为什么|为啥|能不能|可不可以|是否|不(?:[？?]|$)))|(?<=举)几(?=[个条])")


def few_masked(text: str) -> str:
    """The question with each 几 that tells "a few" as 些, so that it asks no count."""
    return FEW.sub("些", text)


def expected_kinds(text: str) -> tuple[str, ...]:
    """Kinds of answer the question asks for (year, duration, share, number, list, reason, how, concept)."""
    text = asking_clause(few_masked(text))
    kinds = [k for k, rx in EXPECTS if rx.search(text)]
    if "list" not in kinds and ASKS_ITEMS.search(text) and numbered_terms(text):
        kinds.append("list")  # "“三个作用”是哪三个作用": its items ("哪两个部门" names two in one sentence)
    # "几个方面/有哪几项" is a list, not a number.
    # "补齐了几项制度" counts what was done.
    if "list" in kinds and "number" in kinds and not re.search(r"多少|几名|几家|几人|几次|数量|数额|金额|一共|总共|(?<!哪)了几项", text):
        kinds.remove("number")
    if "number" in kinds and ("money" in kinds or re.search(r"哪几", text)):
        kinds.remove("number")  # "多少钱" asks for an amount; "哪几家" for the list
    if "share" in kinds and "number" in kinds:
        kinds.remove("number")  # "占…多少" asks for a share
    what = None if "list" in kinds or ITEM_BY_ITEM.search(text) or ORDINAL_ASKED.search(text) else named_thing(text)
    if what is not None and not PERSON_NAMED.search(what or "他") and "谁" not in what:  # "是谁上台发的言，叫啥名字"
        # "那个工作法叫啥名", "信息平台叫什么名字": the name of a thing, not of a person; a firm's is a body's.
        kinds = [k for k in kinds if k not in ("person", "concept")] + (["organisation"] if FIRM_NAMED.search(what) else ["name"])
    elif what and "person" not in kinds:
        kinds.append("person")  # "党支部书记叫什么名": a person's name
    if "person" in kinds and BODY_WHO.search(text):
        kinds[kinds.index("person")] = "organisation"  # "联席会议是谁牵头成立的": a body leads, as a rule
    if IN_CHARGE_ASKED.search(text):
        kinds.append("charge")  # "…的党建归谁管": the body said to be in charge of it
    if "change" in kinds and "number" in kinds:
        kinds.remove("number")  # "提高了几个百分点" asks for the change, whatever it counts in
    return tuple(kinds)


COUNTED_AFTER = re.compile(r"(?<![近这前好十])(?:多少|几)[十百千万]*+(?:个|名|家|人|次|户|项|元|万元|万|位|支|所|批|期|条|天|年|份|本|册|辆|座|场|届|篇|台|套|件)?([\u4e00-\u9fffA-Za-z]{2,8})")  # "几个党建QQ群"


# What is counted starts at a clause edge or after a particle, never mid-word ("首席培训班每期培训多少人" must not
# give "席培训班每期培训"); longer than 12 characters it is a clause, not a thing.
COUNTED_BEFORE = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff]|[的了在给是有把对]))([\u4e00-\u9fff]{2,12}?)(?:各|分别|都)?(?:一共|总共|共|大概|大约)?"
                            r"(?:是|有|达到|达|为|占|(?:搞|弄|做|涨|升|增加|增长|提高|发展)?到)?(?<![近这前好十])(?:多少|几)")  # "收入搞到多少": 收入


# Words before 多少 that are when or how it was counted, not what ("2014年底统计下来一共多少户").
NOT_A_THING = re.compile(r"(?:后来|之后|以后|统计下来|算下来|加起来|下来|起来|年底|年初|年末|目前|现在|眼下|如今|当前|截至|截止|一共|总共|到底"
                         r"|数量|数目|总数|个数|人数|一年|每年|一个月|每月|一季度|凑够|凑齐|达到|够|满|里头|里面|里边"
                         r"|这几年|这些年|这两年|近几年|近年来|前几年|那几年|当时|那时|那会儿)$")  # "党员凑够几个": 党员


# A group whose people a count of 人 counts ("去焦裕禄陵园的队伍有多少人").
GROUP = re.compile(r"(?:一行|队伍|代表团|考察团|团队|这批人|那批人)$")


# A verb's direction (拉进来, 选派下去): a clause before 多少 that ends so tells what was done, not what is counted.
DIRECTED = re.compile(r"(?:进|出|上|下|过|回)(?:来|去)$")
UNITS = [set("名人位"), set("个家所支户"), {"元", "万元", "万"}, set("天日"), {"次"}, set("项条"), {"期"}, {"年"}, {"月"},
         set("张份册本"), {"余人", "人次"}]


# "几个人" counts people (人), not things (个).
COUNTED_UNIT = re.compile(r"(?<![近这前好十])(?:多少|几)[十百千万]*+(?:个(?=人(?:[^\u4e00-\u9fff]|$|[了呢吗参来去到在是])))?(万元|名|人|位|个|家|所|支|户|元|天|日|次|项|条|期|年|月|张|份|册|本|页|章|篇|场|届|批|轮|趟)")


# A count in a sentence: digits, or Chinese numerals other than a lone 一 ("每个网格配备一名" is no count).
COUNT = re.compile(r"\d+(?:\.\d+)?|[两二三四五六七八九十百千万][一二三四五六七八九十百千万]*|一[十百千万]+[一二三四五六七八九十百千万]*")


def counted_unit(text: str) -> str:
    """The measure word a 多少/几 question asks in ("多少人" -> "人"), or ""."""
    m = COUNTED_UNIT.search(text)
    unit = m.group(1) if m else ""
    # "去的都是些什么人？多少个？": the everyday measure word counts the people asked about ("30余人")
    return "名" if unit == "个" and PEOPLE_ASKED.search(text) and not counted_thing(text) else unit


PEOPLE_ASKED = re.compile(r"什么人|哪些人|些人")


SHARE_OF = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:又|还|也|都|才)?(?:所)?占(?:了)?(?:多大|多少|几成)(?![个名家人位所支户项条次万])")


STATED_COUNT = re.compile(r"(?<![第哪几\d])(\d+|[两二三四五六七八九十百千]+)\s*(?:余|多)?(个|名|家|期|项|条|次|支|批|户|张|天)([\u4e00-\u9fff]{2,4})")


SAID_COUNT = r"(\d+(?:\.\d+)?|[两二三四五六七八九十]+)"  # a count as a passage says it, captured


def contradicted_counts(question: str, passages: list[str], strict: bool = False) -> list[str]:
    """The counts a question takes for granted ("为什么…各建3个区域党支部", "只办了1期培训班") that the
    passages give otherwise: they count the same thing in the same measure word, never with that number.
    `strict`: a passage's count after the noun counts the question's thing only when the words between are the
    question's own ("五星级党组织12家" for "20家五星级党组织"; "非公企业党委10家" counts 党委, not 非公企业)."""
    out = []
    for m in STATED_COUNT.finditer(question):
        value, unit, noun = numeral_value(m.group(1)), m.group(2), m.group(3)[:2]
        if value is None:
            continue
        unit = "[名人位]" if unit in "名人位" else unit  # "2000多名党员" against "党员1520人"
        after = question[m.start(3) + len(noun) :]
        said = [numeral_value(x.group(1)) for p in passages for x in re.finditer(rf"{SAID_COUNT}\s*(?:余|多)?{unit}{noun}", p)]
        said += [numeral_value(x.group(2)) for p in passages
                 for x in re.finditer(rf"{noun}([\u4e00-\u9fff]{{0,4}}?){SAID_COUNT}\s*(?:余|多)?{unit}", p)
                 if not strict or after.startswith(x.group(1))]
        said = [v for v in said if v is not None]
        if said and value not in said:  # said as the user wrote it, up to where the noun ends
            whole = re.match(r"[\u4e00-\u9fff]{2,6}?(?=[，,。？?、的就了吗呢都也还又]|$)", question[m.start(3) :])
            out.append(f"{question[m.start() : m.start(3)]}{whole.group(0) if whole else m.group(3)}")
    if strict:
        # "新郑市规模以上工业企业有399户，…": the noun first, its count closing the clause; the passages count the
        # same noun (its last four characters: 工业企业, not any 企业) in the same measure word otherwise (299户).
        for m in [*NOUN_FIRST_COUNT.finditer(question), *HAS_NOUN_COUNT.finditer(question)]:
            value, noun = numeral_value(m.group(2)), without_places(m.group(1))[-4:]
            unit = "[名人位]" if m.group(3) in "名人位" else m.group(3)
            if value is None or len(noun) < 4:
                continue
            said = [numeral_value(x.group(1)) for p in passages for x in re.finditer(rf"{noun}{SAID_COUNT}\s*(?:余|多)?{unit}", p)]
            said = [v for v in said if v is not None]
            if said and value not in said:
                out.append(m.group(0))
    return out


# A figure told with the thing it counts next to it: "198个非公经济组织党组织", "党建QQ群有81个", "连续五年在市委党校…".
TOLD_FIGURE = re.compile(r"(?<![第哪几\d.])(\d+|[两二三四五六七八九十百千]+)\s*(?:余|多)?(个|名|家|期|项|条|次|支|批|户|张|人|位|所|年|届)")
THING = r"[\u4e00-\u9fffA-Za-z]"
BEFORE_COUNT = re.compile(r"(?:一共|总共|共|已经|已|累计)?(?:有|达到|达|为|是|建了|建立了?|成立了?|办了|开了)?$")
THING_STOP = re.compile(r"[的了就都也还又吗吧呢么啊]")


def figures_told_otherwise(text: str, passages: list[str]) -> list[str]:
    """Figures `text` tells of a thing that the passages count in the same measure word, never with that number:
    "198个非公经济组织党组织" where they say "非公经济组织党组织98个", "党建QQ群有81个" (党建QQ群18个), "连续五年在市委党校
    …举办" (已连续三年在市委党校…). The thing is the words right after the figure, or right before it (其 有/达/共…
    aside), as long as the passages use them (3 characters at least); the longest that the passages count wins."""
    out = []
    for m in TOLD_FIGURE.finditer(text):
        value, unit = numeral_value(m.group(1)), m.group(2)
        if value is None or unit == "年" and (value >= 1000 or re.match(r"[底初末中度]", text[m.end() :])):
            continue  # 2014年, 年底: a date, not a count of years
        unit_rx = "[名人位]" if unit in "名人位" else unit
        after = re.match(rf"{THING}{{3,10}}", text[m.end() :])
        after = THING_STOP.split(after.group(0))[0] if after else ""
        head = BEFORE_COUNT.sub("", text[: m.start()])
        before = re.search(rf"{THING}{{3,10}}$", head)
        before = THING_STOP.split(before.group(0))[-1] if before else ""
        anchors = [after[:n] for n in range(len(after), 2, -1)] + [before[-n:] for n in range(len(before), 2, -1)]
        for anchor in sorted(set(anchors), key=len, reverse=True):
            a = re.escape(anchor)
            said = [numeral_value(x.group(1)) for p in passages for x in re.finditer(rf"{SAID_COUNT}\s*(?:余|多)?{unit_rx}{a}", p)]
            said += [numeral_value(x.group(1)) for p in passages for x in re.finditer(
                rf"{a}(?:有|达到|达|共|为|是)?{SAID_COUNT}\s*(?:余|多)?{unit_rx}", p)]
            said = [v for v in said if v is not None]
            if said:
                if value not in said:  # the figure with the thing it counts, as the user wrote them
                    lead = head[-len(before) :] + text[len(head) : m.start()] if anchor in before and anchor not in after else ""
                    out.append(lead + text[m.start() : m.end()] + ("" if lead else after))
                break
    return out


# "截至2014年底有中小企业3324户": the noun between 有 and its count.
HAS_NOUN_COUNT = re.compile(r"(?<=有|共)([\u4e00-\u9fff]{4,10}?)(\d+|[两二三四五六七八九十百千]+)\s*(?:余|多)?(个|名|家|户|项|条|支|所|人)"
                            r"(?![\u4e00-\u9fff])")
NOUN_FIRST_COUNT = re.compile(r"([\u4e00-\u9fff]{4,14}?)(?:一共|总共|共)?(?:有|达到|达|是)(\d+|[两二三四五六七八九十百千]+)\s*(?:余|多)?"
                              r"(个|名|家|户|项|条|支|所|人)(?![\u4e00-\u9fff])")


# "小组由管委会主任亲自当组长", "组长是管委会主任": who holds a role, as the question tells it.
STATED_HOLDER = re.compile(rf"(?:由|是)((?:(?!谁|哪|什么)[\u4e00-\u9fff]){{2,10}}?)(?:亲自)?(?:当|任|担任|出任)({ROLES})|({ROLES})(?:是|由)([\u4e00-\u9fff]{{2,10}}?)(?:亲自)?(?:担任|来当|当)?(?=[，,。？?]|$)")
HOLDER_SAID = r"由([\u4e00-\u9fff]{{2,10}}?)(?:亲自)?(?:当|任|担任|出任){role}|{role}(?:是|由)([\u4e00-\u9fff]{{2,10}}?)(?:担任|兼任)"


def contradicted_holders(question: str, passages: list[str]) -> list[str]:
    """Who holds a role, as the question takes for granted ("工作小组由管委会主任亲自当组长"), where a passage about
    the same body names someone else ("由党工委副书记任组长…的…工作小组")."""
    out = []
    for m in STATED_HOLDER.finditer(question):
        holder, role = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        # what it is a role of (…工作小组), without the demonstrative ("推进小组" of "那个推进小组")
        body = re.sub(r"[那这](?:个|家|支)", "", re.split(r"[，,]", question[: m.start()])[-1]).rstrip("的")[-8:]
        if len(body) < 2:
            continue
        said = [h for p in passages for s in re.split(r"(?<=[。；;！？])", p) if mentions(body, s)
                for x in re.finditer(HOLDER_SAID.format(role=role), s) for h in x.groups() if h]
        if said and not any(mentions(holder, h) or mentions(h, holder) for h in said):
            out.append(m.group(0).removeprefix("是"))
    return out


# "收入150万", "一年掏20万搞党建活动": 万 alone is an amount of money where nothing it counts follows (not "4.11万个").
STATED_FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*"
                           r"(万元|亿元|元|%|％|万(?=[，,。？?！!、\s]|$|[搞作用拿给拨的吧呢啊了]))")


def _figure_unit(unit: str) -> str:
    return {"％": "%", "万": "万元"}.get(unit, unit)


# A counted whole a question counts within: its number, measure word and noun ("114个企业党组织").
COUNTED = r"(\d+|[两二三四五六七八九十百千]+)(个|家|名|支|所|项|条)([^\W\d_各都了的是有在给派]{1,10}?)"


LOCATIVE = r"(?:里头|里面|当中|之中|里|中)"


# "那114个企业党组织里，有几个是党委", "下属的27个支会党支部一共有多少党员": a count within a counted part.
SCOPED_COUNT = re.compile(rf"({COUNTED}){LOCATIVE}?[，,]?(?:其中)?(?:一共|总共|共)?(?:有|是|[\u4e00-\u9fff]{{1,2}}了?)?(?:几|多少)")


# "党员e家信息平台上注册了多少名党员": counted where they signed up; a count of 党员 elsewhere is no answer.
WHERE_COUNTED = re.compile(r"([\u4e00-\u9fffA-Za-z“”]{3,14}?)(?:上|里|中|内)(?:一共|总共|共)?(?:注册|登记|录入|入驻|关注)了?(?:多少|几)")


def where_counted(text: str) -> str:
    """The container a count is taken in ("党员e家信息平台"), when the question counts sign-ups in it, or ""."""
    m = WHERE_COUNTED.search(text)
    return re.sub(r"^(?:那个|这个|那|这)|[“”]", "", m.group(1)) if m else ""


def names_container(container: str, sentence: str) -> bool:
    """Does the sentence name the container: half of its bigrams at least ("“党员e家”信息平台")?"""
    grams = {container[i : i + 2] for i in range(len(container) - 1)}
    text = sentence.replace("“", "").replace("”", "")
    return bool(grams) and sum(g in text for g in grams) >= len(grams) / 2


def count_scope(text: str) -> str:
    """The counted part a 多少/几 question counts within ("114个企业党组织"), or ""."""
    m = SCOPED_COUNT.search(text)
    return m.group(1) if m else ""


# "12家五星级党组织里，社会组织的有几家": how many of a counted whole are of some kind, in its measure word.
SUBSET_COUNT = re.compile(rf"{COUNTED}(?:{LOCATIVE}[，,]?|[，,])[^，,。？?]{{0,12}}?(?:几|多少)(个|家|名|支|所|项|条)")


# "去陵园的30多人里，工商联干部有几个": how many of a counted group of people are of some kind.
PEOPLE_SUBSET = re.compile(rf"(\d+)\s*(?:余|多)?(?:人|名)(?:{LOCATIVE}|当中)[，,]?[^，,。？?]{{0,12}}?(?:几|多少)(?:个|名|人|位)?")


def subset_asked(text: str) -> tuple[str, str, str] | None:
    """(number, measure word, noun) of the whole a question counts part of, when it counts in the same
    measure word ("12家五星级党组织里…有几家") or counts people of a group of people ("30多人里…有几个"; no noun)."""
    m = SUBSET_COUNT.search(text)
    if m and m.group(2) == m.group(4):
        return (m.group(1), m.group(2), m.group(3))
    people = PEOPLE_SUBSET.search(text)
    return (people.group(1), "人", "") if people else None


def breaks_down(whole: tuple[str, str, str], sentence: str) -> bool:
    """Does the sentence that counts the whole ("共评定五星级党组织12家") go on to count its parts
    ("其中…", "…中有…")? Without that, its number is the whole's, no answer to how many of them are something."""
    number, unit, noun = whole
    # The question may word the whole its own way ("17个双强示范单位" for "“发展强、党建强”示范单位17家"): its last
    # words and number, 个 and 家 alike.
    tail, unit = re.escape(noun[-4:]), "[个家]" if unit in "个家" else "[名人位]" if unit in "名人位" else unit
    m = re.search(rf"{re.escape(number)}\s*{unit}[\u4e00-\u9fff“”、]{{0,12}}?{tail}|{tail}\s*{re.escape(number)}\s*(?:余|多)?{unit}",
                  sentence)
    after = sentence[m.end() : m.end() + 30] if m else ""
    return m is None or bool(re.search(r"其中|分别|包括", after) or re.match(r"\s*(?:当中|中|里)?[，,]?\s*(?:共有|有)?\s*\d", after))


def one_of_several(scope: str, sentence: str) -> bool:
    """Is the part only one of several the sentence lists ("13个分会党组织、27个支会党支部和114个企业党组织,
    管理党员1520人")? Its count of anything else is then the whole's, not the part's."""
    return bool(scope) and bool(re.search(rf"[、和及与]{re.escape(scope)}|{re.escape(scope)}[、和及与]", sentence))


ORDINAL_EVENT = re.compile(r"第([一二三四五六七八九十百\d]+)(次|届|期)([\u4e00-\u9fff]{2,4})")


def contradicted_ordinals(question: str, passages: list[str]) -> list[str]:
    """An ordinal the question gives an event ("第十次会员大会") where the passages or their titles give it another
    (第九次会员大会) and never this one."""
    out = []
    text = "".join(passages)
    for m in ORDINAL_EVENT.finditer(question):
        value, unit, noun = numeral_value(m.group(1)), m.group(2), m.group(3)
        said = [numeral_value(o.group(1)) for o in ORDINAL_EVENT.finditer(text)
                if o.group(2) == unit and (o.group(3).startswith(noun[:2]) or noun.startswith(o.group(3)[:2]))]
        if value is not None and said and value not in said:
            out.append(m.group(0))
    return out


def unsaid_figures(question: str, passages: list[str]) -> list[str]:
    """Amounts of money and shares a question states as facts ("每年拨5万元活动经费，这笔钱从哪出") that no
    passage gives: the question then rests on a figure the materials do not have. A figure it asks about
    ("是5万元吗") is stated too, and the answer is the same: the materials do not say it."""
    said = {(numeral_value(m.group(1)), _figure_unit(m.group(2))) for p in passages for m in STATED_FIGURE.finditer(p)}
    out = []
    for m in STATED_FIGURE.finditer(question):
        value, unit = numeral_value(m.group(1)), _figure_unit(m.group(2))
        if value is not None and (value, unit) not in said:
            out.append(m.group(0))
    return out


SHARE_WHOLE = re.compile(r"占(?:了)?(?!多|几|比)([\u4e00-\u9fff]{2,16}?)(?:的|总数的?|总量的?)(?:比例|比重|百分比|多少|几成|多大)")


def share_whole(text: str) -> str:
    """The whole a share is asked of ("占全国地市级个私协会总数的比例" -> 地市级个私协会), without 全国/总数."""
    m = SHARE_WHOLE.search(text)
    whole = re.sub(r"^(?:全国|全市|全旗|全省|全区|全县|所有|全部)", "", m.group(1)) if m else ""
    return whole if len(whole) >= 2 else ""


def share_of(text: str) -> str:
    """What a share question asks the share of: "这里头女党员占多大比例" -> 女党员, else ""."""
    m = SHARE_OF.search(text)
    return HEDGE.sub("", re.split(r"里头|里面|当中|其中|[里中的在]", m.group(1))[-1]) if m else ""


# "党员大概占多大比例", "协会收入大约是多少": a guess asked for; the hedge is no part of what is counted.
PERIOD = re.compile(r"(?:平均)?(?:一年|每年|全年|一个月|每个?月|一季度|每季度|当年)(?:的)?")
HEDGE = re.compile(r"(?:大概|大约|大致|约莫|差不多|估计)$")


# The verb of a second count asked right after the first thing counted, with no comma between ("…支部划了多少网格").
SECOND_VERB = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?:培训|成立|发展|组建|建立|召开|举办|走访|发放|评定|选派|划分|新建|解决|帮扶|救助|捐|建|划|办|开|发|评|派|招|请|搞|弄|整)$")


def counted_thing(text: str) -> str:
    """What a 多少/几 question counts: "拨多少党建经费" -> "经费", "划分了多少个网格" -> "网格"; for a
    who-question, the role asked about ("组长是谁" -> "组长")."""
    text = few_masked(text)
    # The last who-clause asks ("…大会上是谁作的报告，作这篇讲话的领导叫什么名字"): the earlier one was asked before.
    if (d := re.search(r"(?:是谁|由谁|谁)(主持|作|讲|说|介绍|提出|强调|指出|表示|肯定|出席)", text)) \
            and not PERSON_ROLE.search(text) and not re.search(r"多少|几", text):
        return d.group(1)  # "…座谈会，是谁主持的": the one who did it (not 由谁担任, which a post answers)
    if (took := re.search(rf"谁(?:来)?(?:当|担任|做|作|任)(?:了|的)*({RANKED_ROLE})", text)) and not re.search(r"多少|几", text):
        return took.group(1)  # "座谈会是谁当的主持人": the post taken (主持人), not a role called 谈会
    if (m := next(reversed(list(PERSON_ROLE.finditer(text))), None)) and not re.search(r"多少|几", text):
        role = next(g for g in m.groups() if g)
        if m.group(3) and (deed := re.match(rf"(?:{PERSON_VERBS}|作|讲|说)", text[m.end() :])):
            return deed.group(0)  # "座谈会是谁主持的": the one who did it (主持), not a role called 谈会
        # "大会上是谁…": a place or time ("会上", "当时"), not a role
        return "" if re.search(r"[的了是在]", role) or role[-1] in "上里中时后前内" else role
    if re.search(r"(?:多少|几)个?(?:省区市|省市区|省市)", text):
        return ""  # "多少个省区市": 30个省、自治区、直辖市; any count of them answers
    m = COUNTED_AFTER.search(text)
    thing = m.group(1) if m else ""
    # "苏州一共有多少个镇": a one-character thing after its measure word (镇, 区, 省), not "个镇"
    if m and (one := re.match(r"[个家座所](?P<t>[镇区县乡村省市旗])(?:[了呢吗啊？?，,。]|$)", thing)):
        return one.group("t")
    if re.match(r"个人(?:[了呢吗？?，,。]|$)", thing):  # "几个人": people counted, no thing named
        thing = ""
    if re.match(r"才|就|能|可以|算|的话", thing):  # "达到多少才能单独建支部": a condition follows, not a thing
        thing = ""
    if re.match(r"从|在|给|对|向|被|把|跟", thing):  # "有几家从联合支部里出来…": a clause follows, not a thing
        thing = ""
    # "多少项党建方面的规章": what is counted is the head after 的 when the words before only say which field.
    if (mod := re.match(r"([\u4e00-\u9fff]{0,6}(?:方面|领域|相关|有关|这块|那块|一类|之类))的([\u4e00-\u9fff]{2,8})", thing)):
        thing = mod.group(2)
    whole = re.sub(r"^(?:有|是)", "", thing)
    thing = re.split(r"[的了呢吗？?，,。]|是|有|在|从|给", whole)[0]
    if whole.startswith(thing + "了") and thing.endswith("建") and len(thing) >= 3:
        thing += "了"  # "多少家非公企业建了党组织": those that did it, not all 非公企业 (see _counted)
    if m and (at := text.find(thing, m.start(1))) >= 0 and re.match(r"了?(?:多少|几)", text[at + len(thing) :]):
        thing = SECOND_VERB.sub("", thing)  # "建了几个区域党支部划了多少网格": a second count's verb (划) is no part of it
    if DIRECTED.fullmatch(thing):  # "拉了多少人进来": which way they came, not what is counted
        thing = ""
    elif len(bare := DIRECTED.sub("", thing)) >= 2:
        thing = bare  # "派了多少干部下去": 干部
    if len(thing) < 2 and (m := COUNTED_BEFORE.search(text)):
        thing = re.split(r"[的了、，,]", m.group(1))[-1]
        # "2014年协会收入又是多少", "称号的又有几家": 又 asks again
        thing = HEDGE.sub("", re.sub(r"[又还也都才就]+(?:是|有|为)?$", "", thing))
        if re.match(r"[年月日号]", thing) and re.search(r"\d$", text[: m.start(1)]):
            thing = thing[1:]  # the year's 年 after its digits
        if DIRECTED.search(thing) or GROUP.search(thing):  # "群里现在拉进来多少人": how they came, not what
            thing = ""  # is counted; "工商联一行多少人", "去陵园的队伍有多少人": the people of the group
        while NOT_A_THING.search(thing):
            thing = NOT_A_THING.sub("", thing)
        if len(rest := PERIOD.split(thing)[-1]) >= 2:
            thing = rest  # "协会一年收入多少": 收入 is counted; the year is when (any year's figure answers)
        before = [c for c in re.split(r"[，,\s]", text[: m.start()]) if c]
        if before and places_in(thing) and not without_places(thing):
            # "全国级省级那种双强百佳党组织，永康眼下有几家": the place is where; the thing is the topic said before.
            thing = re.sub(r"那种|这种|这些|那些|这类|那类", "", before[-1])[-12:]
    thing = re.sub(r"(?:各|分别|都|共|一共|总共)$", "", thing)
    if re.fullmatch(r"[\u4e00-\u9fff]{1,6}?(?:里|中|内|上)", thing) and re.search(rf"{re.escape(thing)}(?:有|一共|总共|共)?(?:多少|几)个?人", text):
        thing = ""  # "群里多少人": the people in it, counted in 人/名 wherever the group is said
    thing = re.split(r"(?<=[\u4e00-\u9fff]{2})(?:到|去|进|赴)", thing)[0]  # "多少名干部到企业": 干部, not where they went
    if any(thing.startswith(p) for p in places_in(thing)) and len(rest := without_places(thing)) >= 2:
        thing = rest  # "新郑中小企业数量是多少": the place is where; 中小企业 is what
    if re.fullmatch(r"(?:各|分别|都|一共|总共|共)(?:是|有|为|达)?", thing):
        thing = ""  # "按党委、党总支、党支部分开算，各有多少家": the things are the ones listed before
    if len(thing) < 2 and (m := QUANTITY_OF.search(text)):
        thing = without_places(m.group(1)) or m.group(1)  # "新郑 非公企业党组织数量": 党组织 are counted
        thing = NOT_A_THING.sub("", thing)  # "这几年总数到多少户": when, not what
    if len(thing) < 2 and (m := PEOPLE_BY_DEED.search(text)) and not GENERIC_DEED.fullmatch(m.group(1)) \
            and not re.search(r"[里中内上]$", m.group(1)):  # "群里多少人": where they are, not what was done
        thing = m.group(1)  # "累计培训了多少人": the people it trained, counted where 培训 is said
    return thing if len(thing) >= 2 else ""


# "X数量/X总数" names what is counted without 多少 (keyword questions: "新郑 非公企业党组织数量").
QUANTITY_OF = re.compile(r"(?:^|(?<=[\s，,]))(?![占比])([\u4e00-\u9fff]{2,10}?)的?(?:数量|总数|个数|数目)")
# "培训了多少人", "走访了几个人": people counted by what was done to them.
PEOPLE_BY_DEED = re.compile(r"([^\W\d_了去来共到有是过]{2})了?(?:多少|几)(?:个|名|位)?人(?![\u4e00-\u9fff])")
GENERIC_DEED = re.compile(r"一共|总共|共有|都有|还有|大约|大概|大致|现在|目前|当时|共计|总计|一起|差不多")


# What the counted ones did, said alike: "建起了个私企业党(工)委" is "成立了…", "当了书记" is "担任…书记".
# 赴: "30余人赴焦裕禄陵园" are the ones who took part.
PREDICATE_GROUPS = ("参加|参与|出席|参会|到会|到场|赴|组成", "建立|建起|成立|组建|单独建|单建|建了", "担任|任职|当(?![地前时中天年])|列为|成为", "入会|加入",
                    "入党", "获得|获评")


COUNTED_PREDICATE = re.compile("|".join(PREDICATE_GROUPS))


GENERIC_BIGRAMS = {"党建", "工作", "组织", "企业", "非公", "经济", "社会", "建立", "成立", "一共", "总共", "民营", "私营"}


AVERAGE = re.compile(r"平均|人均|户均")
PEOPLE = re.compile(r"分子|党员|干部|代表|人员|会员|职工|员工|工人|书记|主席|委员|人才|骨干|业主|企业主|负责人|队员|司机|驾驶员|人$")  # counted in 名 as well
# what a rate is counted per; "一期能培训多少人" says per term as well
PER_UNIT = re.compile(r"每(?:一)?(个|期|年|月|次|家|户|批|届|季度|周|天)|(?<![第\d一二三四五六七八九十两几])一(期|次|届|批)(?=能|要|可以|大概|大约|得|就|培训|办|招|收)")


OTHER_GROUP = re.compile(r"代表|干部|骨干|标兵|人才|家属|单位")  # "成员单位" are bodies, not 群成员


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
    # "什么时候开的、在重庆哪个区开的": what follows a 、 that asks again is another question, not the event
    after = re.split(rf"、(?=[^、]*?(?:{ASKING_WORD.pattern}))", after)[0]
    after = re.sub(r"几[月日号天]|哪一?[天年日]|到|至|^(?:的|是|在|才|就)|(?:的|了)+$", "", after)  # "从哪天到哪天"
    before = re.sub(r"具体|是|从|在|[那这](?:次|场|个会|会)", "", text[: m.start()])  # "那会": the meeting told before
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
    # "协调了多少钱、帮了多少户": what follows a 、 asks something else.
    clause = before[-1] + re.split(r"[，,。？?！!；;、]", text[m.end() :])[0]
    if len(re.sub(FILLER_MONEY, "", clause)) < 4 and len(before) > 1:  # "…给业主办培训班，一共花了多少经费"
        clause = before[-2] + clause
    return re.sub(FILLER_MONEY, "", clause)


SPENT = re.compile(r"(?:花了|花|投入了|投入|拨了|拨付|拨|用了|拿出|给了)?多少[\u4e00-\u9fff]{0,4}?(?:钱|经费|资金|费用|万元|元|款)")


FILLER_MONEY = re.compile(r"一共|总共|总计|大概|大约|具体|每年|一年|每次|了|的|是|有|给|用|拿出|掏出|掏|花|搞|钱")


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
    # The event is told in the date's own clause or after it: in "通过实业兴会,2014年协会收入达到100万元" the
    # year is the income's, not the year the 实业兴会 began. A date that opens the sentence as a clause of its own
    # ("如去年4月15日至21日,我们组织…前往浙江杭州…考察") is the time of all the sentence tells.
    return any((abs(a - m.start()) <= width or _opens(sentence, m)) and a >= _clause_start(sentence, m.start())
               for m in rx.finditer(sentence) for a in at)


def _opens(sentence: str, m: re.Match) -> bool:
    first = re.split(r"[，,；;。：:]", sentence, maxsplit=1)[0]
    return m.end() <= len(first) <= 16


def _clause_start(sentence: str, at: int) -> int:
    ends = [m.end() for m in re.finditer(r"[，,；;。：:]", sentence[:at])]
    return ends[-1] if ends else 0


# How many more, not by how much in percent ("比上年多了多少", not "增长了百分之几"/"增幅").
ABSOLUTE_CHANGE = re.compile(r"(?:多|少|增加|减少)了?(?:多少|几)(?![个]?百分|成)(?!.*(?:百分|比例|幅度|增幅|几成|增长率))")
COUNT_CHANGE = re.compile(r"(?:增长|增加|多|减少|少|新增)了?\s*\d+(?:\.\d+)?\s*(?:余|多)?\s*(?:万|千|百)?(?:个|名|人|家|户|元|项|次)")
CHANGE_ASKED = re.compile(r"比(?:前|上|去)|增|涨|多了|少了|提高|下降|减少|上升")
GROWTH = re.compile(r"(?:比上年|同比|较上年)?(?:增长|增加|提高|减少|下降|上升)了?\s*\d+(?:\.\d+)?\s*[%％]")
# Which body of a kind the materials name only where it is one ("哪家银行", "哪所党校").
BODY_ASKED = re.compile(rf"{WHICH}({BODIES})")
BODY_KINDS = {"学校": "学校|党校|学院|大学|中学|小学", "大学": "大学|学院"}
FIRMS_ASKED = re.compile(r"(?:哪|什么)(?:个|家|一个|些|几家)?(?:企业|公司)")
FIRM = re.compile(r"企业|公司|集团|厂|商场|商城|市场")
# A firm named ("众泰、星月…", "维德公司", "缸套厂"), not firms in general ("帮助企业转型升级").
FIRM_NAMED = re.compile(r"(?:如|像|比如|例如|包括)[\u4e00-\u9fff]{2,8}[、,，]|[\u4e00-\u9fff]{2,}(?:公司|集团|厂|商场|商城|市场)")


# The one whose post is asked ("韩旭当时是啥职务" -> 韩旭).
POST_OF = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:同志)?(?:在[\u4e00-\u9fff]{1,8}?[里中上])?(?:当时|那时|现在|目前)?(?:是|任|担任)?(?:什么|哪个|啥)?"
                     r"(?:职务|职位|头衔)")  # "吕广望在研究会里是什么职务" -> 吕广望
TITLE_WORDS = f"{TITLES}|委员|会员|代表"  # posts, as a sentence gives them


# "X占多少" may ask for X's part in a count as well as a share; "占多大比例", "占几成" ask for a share only.
LOOSE_SHARE = re.compile(r"占(?:了)?多少(?![个名家人位所支户项条次万])")
STRICT_SHARE = re.compile(r"比例|占比|百分|比重|几成|率")


LOCAL_SCOPE = re.compile(r"[我全本该](?:市|旗|区|县|镇)")  # a local figure, of the document's own place


def holds(q: Question, kind: str, sentence: str) -> bool:
    """Does the sentence hold the kind of fact `q` asks for (its thing, unit, event and places)?"""
    if kind == "position":
        m = POST_OF.search(q.standalone)
        # a name the question opens with ("吕广望在研究会里是什么职务") is the one whose post a sentence must give
        named = bool(m) and re.sub(r"^(?:那|请问)", "", q.standalone).startswith(m.group(1))
        return satisfies(kind, sentence, m.group(1) if m else "", full_name=named)
    if kind == "organisation" and (m := BODY_ASKED.search(q.standalone)):
        # "是哪家银行发放的": a bank named, not any body the sentence names; a 党校 is a school
        return bool(re.search(BODY_KINDS.get(m.group(1), m.group(1)), sentence))
    if kind == "organisation" and FIRMS_ASKED.search(q.standalone):
        # "在哪些企业的党建里发挥了作用" is answered by "企业,如众泰、星月、先行、天行等": firms named or told of
        # "走访了哪几家企业" asks for firms by name; "哪些企业全部建起党组织" may be answered by a kind ("规模以上企业")
        # so does "实地走访了哪些企业": the ones visited are named
        firm = FIRM_NAMED if re.search(r"哪(?:几|一)?家(?:企业|公司)|(?:走访|参观|考察|拜访|视察)了?(?:哪些|哪几个)(?:企业|公司)",
                                       q.standalone) else FIRM
        return bool(firm.search(sentence)) or satisfies(kind, sentence)
    if kind == "name":  # "官方微博的账号名称叫什么": a name given in a sentence about that 微博
        what = re.split(r"(?:那|这|一)[个张家位条项种支所座]|的", q.named)[-1]  # "发的那张卡": 卡
        if not what:
            return satisfies(kind, sentence)
        # Quoted, or said in full: "涪陵新区微型企业创新科技示范园" names the 示范园 the question does not name.
        head = re.escape(what[-2:])
        return head in sentence and (satisfies(kind, sentence) or any(
            m.group(1) not in q.standalone for m in re.finditer(rf"(?:^|[^\u4e00-\u9fff]|[的了和及与在是为])((?:(?![的了和及与在是为])[\u4e00-\u9fff]){{2,}}?{head})", sentence)))
    # What is counted, also in the materials' words ("规章" as "制度"); the share of what, else.
    things = (q.counts, *q.counts_alt) if kind == "number" else (q.share_of if kind == "share" else q.counts,)
    if kind == "change" and (what := changed_thing(q.standalone)) and head_gram(what) not in sentence:
        return False  # "肉价降了多少": a rise of the 税收 is another change
    if kind == "change" and ABSOLUTE_CHANGE.search(q.standalone) and not COUNT_CHANGE.search(sentence):
        return False  # "比上年多了多少" asks how many more; "比上年增长4.43%" gives the rate only
    if kind == "share" and "change" not in q.expects and not CHANGE_ASKED.search(q.standalone):
        sentence = GROWTH.sub("", sentence)  # "占总数的比例是多少" is not answered by "比上年增长4.43%"
    if kind == "share" and q.share_of and LOOSE_SHARE.search(q.standalone) and not STRICT_SHARE.search(q.standalone) \
            and re.search(rf"其中[^。；;]*{re.escape(q.share_of)}[^，,。；;、]{{0,4}}\d", sentence):
        return True  # "里头党支部又占多少" is answered by its part of the whole: "其中…党支部3.71万个"
    if kind == "share" and (whole := share_whole(q.standalone)) and not mentions(whole, sentence, 0.8):
        return False  # "占全国地市级个私协会总数的比例" is not "占个协会员总数的2.84%"
    if kind in ("number", "share") and (group := counted_within(q.standalone)) and not mentions(group, sentence, 0.8) \
            and (theirs := [m.group(1) for m in GROUPED.finditer(sentence)]) \
            and not any(mentions(group, g) or mentions(g, group) for g in theirs):
        return False  # "社会组织中的党组织覆盖率" is not answered by the coverage "非公企业中" gives
    if kind in ("number", "share", "money", "change") and q.places and "全国" not in q.standalone and "全国" in sentence \
            and not LOCAL_SCOPE.search(sentence) and not any(p in sentence for p in q.places):
        return False  # "重庆全市个私协会建了多少个党组织" is not answered by "全国依托各级个私协会建立的党组织4.11万个"
    return any(satisfies(kind, sentence, thing, q.unit, q.per, q.limit, q.paid if kind == "money" else q.when, q.places,
                         full_name=kind == "person" and bool(FULL_NAME.search(q.standalone)),
                         average=bool(AVERAGE.search(q.standalone)),
                         per_unit=(m.group(1) or m.group(2) if (m := PER_UNIT.search(q.standalone)) else ""),
                         often=bool(OFTEN.search(q.standalone)))
               for thing in things)


# What rose or fell, right before the verb that asks by how much ("肉价降了多少"); not a comparison's 比上年.
CHANGED_THING = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff]|[的了是在那这]))(?![比同较那这])([\u4e00-\u9fff]{2,8}?)(?:又|还|都|也)?"
                           r"(?:涨|降|跌|增加|减少|下降|上升|提高|增长|降低)了?(?:多少|几)")


def changed_thing(text: str) -> str:
    """What a question asks the rise or fall of ("克旗肉价降了多少" -> 肉价), or ""."""
    m = CHANGED_THING.search(text)
    what = without_places(m.group(1)) if m else ""
    return what if len(what) >= 2 else ""


# A figure within a group ("社会组织中的党组织覆盖率", "个体户里的党员"): a figure of another group does not answer.
_GROUP = r"([\u4e00-\u9fff]{0,8}(?:组织|企业|协会|商会|会员|个体户|单位|行业|市场|园区|社区|乡镇|街道))(?:当中|之中|里面|里头|中|里)"
WITHIN = re.compile(_GROUP + "的")  # as the question asks it
GROUPED = re.compile(_GROUP)  # as a sentence gives it ("全市…的非公企业中,共有…")


def counted_within(text: str) -> str:
    """The group a figure is asked within ("永康市社会组织中的…": 社会组织), places and scope words left out; or ""."""
    m = WITHIN.search(asking_clause(text))
    if not m:
        return ""
    group = re.sub(r"^(?:全市|全县|全旗|全区|全国|本市|我市|各级|所有|全部|那些|这些|那个|这个|那|这)+", "", without_places(m.group(1)))
    return group if len(group) >= 2 else ""


HONOUR = re.compile(r"称号|荣誉|授予|评为|被评|命名为|表彰|获奖|奖项")


def satisfies(kind: str, sentence: str, thing: str = "", unit: str = "", per: bool = False,
              limit: bool = False, event: str = "", besides: tuple[str, ...] = (), full_name: bool = False,
              average: bool = False, per_unit: str = "", often: bool = True) -> bool:
    """Does `sentence` hold the kind of fact the question asks for (about `thing`, in `unit`, when given;
    a year or date near the `event` asked about; a place other than the question's own, `besides`; a
    whole name, not a surname, when `full_name`; for a post, the name whose post is asked, as `thing`, which must be in it when
    `full_name`)?"""
    if kind == "honour":
        return bool(HONOUR.search(sentence))
    if kind in ("region", "place"):  # "准备带他们去哪个省": "到外地走走" names none
        named = any(not any(b in p or p in b for b in besides) for p in places_in(sentence))
        return named or (kind == "place" and bool(DESTINATION.search(sentence)))
    if kind == "position":  # a title right before or after the name asked about ("…监管司司长韩旭")
        name = next((n for n in (thing, thing[1:]) if len(n) >= 2 and n in sentence), "")  # 会韩旭 read for 韩旭
        if name:
            name = re.escape(name)
            return bool(re.search(rf"(?:{TITLE_WORDS})[)）]?{name}|{name}(?:同志)?[,，]?(?:现任|任|担任|是)[^，,。]{{0,12}}(?:{TITLE_WORDS})", sentence))
        if full_name:  # the one asked about (`full_name`: named by the question) is not in it
            return False
        # "他在支部里算个啥职务": a post someone is given (挂职党组织副书记), or a title with a name ("司长韩旭,")
        return bool(re.search(rf"(?:担任|出任|任|当|挂职)[^，,。、]{{0,12}}?(?:{TITLE_WORDS})"
                              rf"|(?:{TITLE_WORDS})[)）]?[^\W\d_为的是在和与了重要点工作]{{2,3}}(?:[,，、]|同志|等)", sentence))
    if kind == "person":  # "组长是谁" is answered by a sentence that names the 组长
        if thing in GENERIC_ROLES and thing != "代表":  # "谁代表…作的报告" is a deed, below; "哪位领导讲的": a titled name ("副司长韩旭", "书记张"), or "吕广望同志"
            return any(len(m.group(1)) >= 2 or not full_name for m in TITLED_NAME.finditer(sentence)) \
                or thing == "同志" and bool(NAMED_COMRADE.search(sentence))  # 领导 asks for a title
        if re.fullmatch(rf"{PERSON_VERBS}|作|讲|说", thing):  # the deed: a titled name, or 同志, did it
            least = 2 if full_name else 1  # "书记张介绍" names the one who did it by surname
            return bool(re.search(rf"(?:(?:{TITLES})[)）]?[\u4e00-\u9fff]{{{least},3}}|[\u4e00-\u9fff]{{2,3}}同志){thing}", sentence))
        if not thing:  # "是谁给代表们带队讲解的": someone named, by title or as the one who spoke or did it
            # with a whole name when that is asked ("书记姓张，他的全名叫什么": "党委书记张介绍" gives the surname)
            return bool(any(len(m.group(1)) >= 2 or not full_name for m in TITLED_NAME.finditer(sentence))
                        or NAMED_DOING.search(sentence)
                        or not full_name and re.search(r"由[\u4e00-\u9fff]{2,12}?(?:任|担任|兼任)", sentence))  # "组长由谁担任": the post
        root = thing[:-1] if thing.endswith("人") and len(thing) == 3 else thing  # 主持人 -> 主持
        # The role with a name: "党委书记张介绍…", "秘书长杨文彬主持会议".
        return bool(re.search(rf"{root}[)）]?[\u4e00-\u9fff]{{2,3}}(?:{PERSON_VERBS})", sentence)
                    or not full_name and re.search(rf"{root}[)）]?[\u4e00-\u9fff](?:介绍|强调|指出|表示|讲话|主持)", sentence)  # 书记张介绍
                    or re.search(rf"(?:{TITLES})[\u4e00-\u9fff]{{2,3}}{root}", sentence)
                    # "组长是谁当的" where the materials give the post that holds it: "由党工委副书记任组长"
                    or not full_name and re.search(rf"由[\u4e00-\u9fff]{{2,12}}?(?:任|担任|兼任){root}", sentence))
    rx = SATISFIES.get(kind)
    if rx is None:
        return True
    if kind == "ranking":  # "争做最好宣传员" names an activity; it ranks nothing
        sentence = re.sub(r"“[^”]*”|「[^」]*」", "", sentence)
    if kind == "duration" and not often:
        rx = LENGTH  # "每期多长时间": how long it lasts; "每年" says how often
        if per_unit and not re.search(rf"每(?:一)?{per_unit}|为期|历时|{AVERAGE.pattern}", sentence):
            return False  # "培训班每期办几天": "连续三年" is how long they went on holding it
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
    if per_unit and not re.search(rf"每(?:一)?{per_unit}|{AVERAGE.pattern}", sentence):
        return False  # "培训班每期培训多少人": a count of all 工会主席 is not one class's
    same = next((u for u in UNITS if unit in u), {unit}) if unit else set()
    if unit == "个" and PEOPLE.search(thing):  # the everyday measure word: "多少个积极分子" is answered by "1190名"
        same = same | set("名人位")
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
    if (whole := COUNTED_PREDICATE.fullmatch(thing)) is not None:  # "大约多少人参加": the count of those who took part
        deed = next(group for group in PREDICATE_GROUPS if re.fullmatch(group, whole.group(0)))
        return any(re.search(deed, sentence[start : end + DEED_NEAR]) for start, end in counts)
    if (cut := COUNTED_PREDICATE.search(thing, 2)) is not None:
        deed = next(group for group in PREDICATE_GROUPS if re.fullmatch(group, cut.group(0)))
        if not any(re.search(deed, sentence[start : end + DEED_NEAR]) for start, end in counts):
            return False
        thing = re.sub(r"(?:[来去都也]|自己|亲自|本人)+$", "", thing[: cut.start()])  # "多少代表来参加", "多少业主自己当"
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
    # "民营企业": 营企 straddles two generic words, no head of its own
    specific = [g for i, g in enumerate(grams) if g not in GENERIC_BIGRAMS
                and not (0 < i < len(grams) - 1 and grams[i - 1] in GENERIC_BIGRAMS and grams[i + 1] in GENERIC_BIGRAMS)]
    return (specific or grams or [""])[-1]
