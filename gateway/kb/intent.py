"""Is a text a complaint narrative, or a question? A small rule set, so that a complaint is never
closed by an FAQ answer (第十七条 allows instant answers to what *can* be answered at once; a
complaint must reach the body that acts on it).

A text that asks something (怎么, 如何, 哪里, 吗, 能不能, a question mark …) is a question, even
when it tells of a wrong: "我被绕路了，怎么投诉？" wants to know how, and the KB tells it. Unless it
names a plate number: then it is one concrete incident to act on.

A text that asks nothing is a complaint narrative when

1. it tells of a wrong (拒载, 绕路, 多收费, 态度恶劣, 骂人, 甩客, 不退费, 推来推去, 超载, 闯红灯,
   没停, 收了我… `_WRONGS`) that is someone's own experience: a first person (我, 我们, 本人 …),
   the facts of an incident (a plate, 今天/昨天/刚才/上周, a time of day, an amount of money), or
   a scene told at some length (16 characters or more: "坐的大巴严重超载，过道上全是站着的人")
   — "who did what wrong to me"; or
2. it declares a complaint or a report (我要投诉, 我要举报, 投诉一辆…, 举报这个司机 …), or tells
   in the first person of something done to the writer (我被罚了两千, 我们被赶下车); or
3. it narrates, at some length (16 characters or more), what somebody did (司机, 师傅, 教练,
   售票员, 他们 … `_AGENTS`) as a past event (了, 过, 上周, 刚才 …): a citizen telling a story is
   filing a complaint, not asking for an article.

So "出租车拒载怎么投诉" and "我想投诉出租车，怎么投诉" are questions the KB may answer;
"出租车司机拒载，车牌粤A12345", "我要投诉" and "司机中途又拉了好多人，过道都站满了" are
complaints. The policy step (issue 5) classifies properly; this rule only keeps FAQ answers away
from complaints.
"""

from __future__ import annotations

import re

from gateway.kb.text import normalize

NARRATIVE_MIN_CHARS = 16

_WRONGS = re.compile(
    "|".join(
        (
            "拒载",
            "拒绝载客",
            "不让上车",
            "挑客",
            "绕路",
            "绕道",
            "绕远",
            "兜圈",
            "多收",
            "乱收",
            "多扣",
            "乱扣",
            "宰客",
            "被宰",
            "被坑",
            "坑人",
            "坑了",
            "甩客",
            "甩下",
            "赶下车",
            "丢下",
            "不打表",
            "不按表",
            "一口价",
            "议价",
            "加价",
            "漫天要价",
            "态度(?:恶劣|差|很差|极差|不好|太差|蛮横)",
            "骂",
            "辱骂",
            "打人",
            "动手",
            "殴打",
            "威胁",
            "骚扰",
            "猥亵",
            "超员",
            "玩手机",
            "看手机",
            "抽烟",
            "吸烟",
            "疲劳驾驶",
            "危险驾驶",
            "急刹",
            "开(?:得|车)?太(?:快|猛)",
            "差点摔",
            "摔倒",
            "受伤",
            "不退",
            "拒绝退",
            "不(?:给|肯|让)(?:我|我们)?退",
            "不给发票",
            "不开发票",
            "不找零",
            "刁难",
            "敲诈",
            "勒索",
            "欺骗",
            "骗了",
            "过站不停",
            "不靠站",
            "甩站",
            "跳站",
            "拒收",
            "不让扫码",
            "索要",
            "红包",
            "吃拿卡要",
            "扣押",
            "没停",
            "不停(?!车收费)",
            "开过去",
            "推来推去",
            "推诿",
            "踢皮球",
            "没人管",
            "不管不问",
            "边开车边",
            "开车.{0,4}打电话",
            "罚了",
            "多跑",
            "多了.{0,3}(?:块|元|钱)",
            "补.{0,4}(?:块|元|钱)",
            "再收钱",
            "另收",
            "额外收",
            "站满",
            "挤满",
            "吓死",
            "不让考",
            "不给票",
            # Reported 2026-11 by the content colleague: what citizens say when it happened to them.
            "超载",
            "超速",
            "闯(?:了)?(?:个)?红灯",
            "逆行",
            "酒驾",
            "喝(?:了)?酒(?:开|驾)",
            "爱答不理",
            "不理(?:人|我)",
            "挂(?:了)?(?:我)?(?:的)?电话",
            "吼",
            "推搡",
            "嫌(?:我)?.{0,4}(?:近|远|少)",
            "(?:收|扣|要|拿)了我",
            "多要",
            "被(?:他|她|他们|司机|师傅)?(?:坑|骗|宰|罚|打|骂|赶|甩|拒|扣|撞)",
            "没(?:有)?(?:停|开门|找零|给(?:我)?票|给(?:我)?退)",
            "不(?:给|肯)(?:我)?(?:开门|找零|退)",
            "中途.{0,6}(?:赶|甩|加价|拉人|上人|下车)",
            "半路.{0,6}(?:赶|甩|加价|拉人|上人|下车|停车)",
            "拉了.{0,4}(?:人|客)",
        )
    )
)
_AGENTS = re.compile(
    "司机|师傅|的哥|售票员|乘务员|检票员|教练|工作人员|收费员|他们|他|她|对方|老板|店家|银行|客服|平台"
)
_PAST = re.compile("了|过|上周|上个月|前几天|前天|昨天|今天|刚才|刚刚|那天")
_PLATE = re.compile("[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][a-z][a-z0-9]{4,6}")
_FIRST_PERSON = re.compile("我|我们|本人|俺|咱|我家|我妈|我爸|孩子")
# Concrete facts of one incident: a plate (粤A12345, 京B·D1234), a day or a moment, a time of
# day, an amount of money.
_FACTS = re.compile(
    "车牌|今天|昨天|前天|刚才|刚刚|上周|上个月|上午|下午|晚上|凌晨|早上|中午|傍晚|半夜"
    "|\\d{1,2}(?:点|时|:\\d\\d)"
    "|[\\d.一二两三四五六七八九十百千万几]+(?:元|块)"
)
# "我被…" (我被罚了两千, 我们被赶下车): a passive told in the first person is something done to the
# writer.
_DONE_TO_ME = re.compile("(?:我|我们|本人|俺)(?:今天|昨天|刚才|刚刚|上周|前天)?(?:又)?被(?!盗刷)")
_DECLARATION = re.compile(
    "(?:我|我们|本人|俺)?(?:要|想|必须|需要|强烈)(?:投诉|举报|控告)|(?:投诉|举报)(?:一下|一辆|一个|这|那|该)"
)
# A colloquial question may end on a bare 不 / 没有 (能免费不, 可以投诉不, 封了没有).
_QUESTION = re.compile(
    "怎么|怎样|如何|咋|哪里|哪儿|在哪|哪个|什么|啥|吗|呢|能否|能不能|可不可以|可以不|是否|多久|几天|(?:不|没有|没)$"
)


def is_complaint_narrative(text: str) -> bool:
    """True when `text` tells of a wrong done to the writer, or declares a complaint (module doc)."""
    plain = normalize(text)  # simplified, half-width, lowercase: one spelling to match
    if _PLATE.search(plain):
        return True
    if _QUESTION.search(plain) or "?" in text or "？" in text:
        return False
    if _WRONGS.search(plain) and (
        _FIRST_PERSON.search(plain) or _FACTS.search(plain) or len(plain) >= NARRATIVE_MIN_CHARS
    ):
        return True
    if _DECLARATION.search(plain) or _DONE_TO_ME.search(plain):
        return True
    # A story takes some telling: a short statement ("滴滴上落了东西找不到司机") is a topic, not one.
    return len(plain) >= NARRATIVE_MIN_CHARS and bool(_AGENTS.search(plain) and _PAST.search(plain))
