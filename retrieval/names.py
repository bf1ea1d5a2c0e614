"""People the documents name, found at ingest so that jieba keeps each name whole.

jieba cuts an unknown name by its dictionary: "会议上钟攸平…" became 上钟/攸平, so a question naming 钟攸平 matched no
word of the passage that quotes him. Names written after a role ("会长钟攸平，", "挂职干部白景文在…") or before 同志
("吕广望同志代表…") are collected from every indexed document and added to the tokenizer; the index records them
(through the tokenizer's fingerprint), so a document that brings a new name re-cuts the others once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .kinds import ROLES

# The commonest Chinese surnames (single characters): a name after a role (NAMED_BY_ROLE, also what a follow-up's
# 他 is resolved to) is kept as a word only when it starts with one.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
            "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂"
            "成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
            "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
# A name right after a role ("挂职干部白景文给…", "秘书长杨文彬主持…"); a surname alone ("书记张介绍") is none.
NAMED_BY_ROLE = re.compile(rf"(?:{ROLES}|干部)[)）]?([\u4e00-\u9fff]{{2,3}}?)(?=在|给|对|于|是|和|跟|与|同|的|介绍|主持|强调|指出|"
                           rf"表示|讲|说|提出|肯定|出席|挂职|担任|作|[，,。？?]|$)")
_COMRADE = re.compile(rf"(?:^|[^\u4e00-\u9fff]|{ROLES}|干部)([{SURNAMES}][\u4e00-\u9fff]{{1,2}})同志")
_NOT_A_NAME = re.compile(rf"{ROLES}|干部|班子|小组|机构|组成|培训|党|委|会|部|局|厅|办|处|科|队|企业|公司|协会|单位")


def people_named(texts: Iterable[str]) -> tuple[str, ...]:
    """Every name the texts give after a role or before 同志, sorted; words of roles and bodies are left out
    ("书记任组长" names nobody)."""
    found = set()
    for text in texts:
        for m in [*NAMED_BY_ROLE.finditer(text), *_COMRADE.finditer(text)]:
            name = m.group(1)
            if name[0] in SURNAMES and not _NOT_A_NAME.search(name):
                found.add(name)
    return tuple(sorted(found))
