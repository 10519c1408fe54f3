"""The facts a complaint gives, and the ones its kind still needs (第十九条(二)).

A complaint can be acted on when it names something: a plate or an order number, a bus or metro
line, a ship or a route, a company, a time, a place. Which facts a complaint needs depends on what
it is about — a taxi is found by its plate, a bus by its line, a ferry by its name — so the kind
of complaint is recognised first (`complaint_kind`) and its facts are looked up in `NEEDED`.

Fact names are machine names, part of the event (`missing_facts`) and of `hotline-gateway
classify`'s output; `FACT_LABELS` says each in Chinese for the question put to the citizen.

Texts here are already normalised (NFKC, simplified, lowercase): `gateway.policy.text.prepare`.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Fact(StrEnum):
    PLATE = "plate"  # plate or order number
    LINE = "line"  # bus or metro line
    SHIP = "ship"  # ship name or route
    COMPANY = "company"  # the business complained about
    OBJECT = "object"  # who or what, when nothing more specific applies
    TIME = "time"
    PLACE = "place"


FACT_LABELS: dict[Fact, str] = {
    Fact.PLATE: "车牌号或订单号",
    Fact.LINE: "线路",
    Fact.SHIP: "船名或航线",
    Fact.COMPANY: "企业名称",
    Fact.OBJECT: "投诉对象（车辆、企业或人员）",
    Fact.TIME: "发生时间",
    Fact.PLACE: "地点（上下车地点、站点或路段）",
}


class ComplaintKind(StrEnum):
    TAXI = "taxi"  # taxis and ride-hailing
    BUS = "bus"  # buses and metro
    COACH = "coach"
    SHIP = "ship"
    BUSINESS = "business"  # driving schools, repair shops, logistics companies, stations
    ROAD = "road"  # roads, tolls, service areas
    OTHER = "other"


NEEDED: dict[ComplaintKind, tuple[Fact, ...]] = {
    ComplaintKind.TAXI: (Fact.PLATE, Fact.TIME, Fact.PLACE),
    ComplaintKind.BUS: (Fact.LINE, Fact.TIME, Fact.PLACE),
    ComplaintKind.COACH: (Fact.PLATE, Fact.TIME),
    ComplaintKind.SHIP: (Fact.SHIP, Fact.TIME),
    ComplaintKind.BUSINESS: (Fact.COMPANY, Fact.TIME),
    ComplaintKind.ROAD: (Fact.PLACE, Fact.TIME),
    ComplaintKind.OTHER: (Fact.OBJECT, Fact.TIME, Fact.PLACE),
}

# The fact that identifies the object of each kind: without it (and without anything else that
# could be acted on) a complaint gets a question instead of a ticket.
IDENTIFYING: dict[ComplaintKind, Fact] = {kind: facts[0] for kind, facts in NEEDED.items()}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PATTERNS: dict[Fact, re.Pattern[str]] = {
    Fact.PLATE: re.compile(
        # 粤B·D1234, 京A12345, 沪C-3K921, 粤b d1234; an order number (订单号/尾号 3391…)
        rf"[{_PROVINCES}]\s?[a-z]\s?[·.\-\s]?\s?[a-z0-9]{{4,6}}(?![a-z0-9])"
        r"|(?:订单|单号|行程单|尾号|车牌(?:号)?(?:是|为)?)\s*[:：]?\s*[a-z0-9]{3,}"
        r"|车牌(?:号)?(?:是|为)?\s*[:：]?\s*[{_PROVINCES}]"
        r"|(?:出租车|的士)?(?:工号|服务监督卡|监督卡号|车号|车辆编号)\s*[:：]?\s*\d{2,}"
    ),
    Fact.LINE: re.compile(
        r"(?:[\d一二三四五六七八九十百]+|[a-z]\d*|[\u4e00-\u9fa5]{1,2}\d+)\s*(?:路|号线|线)(?![\u4e00-\u9fa5]{0,1}(?:费|况|面|上|边|口))"
        r"|(?:快线|专线|夜班|支线|环线|机场线)\s*\d*|(?:公交|巴士)\s*[a-z]?\d{1,4}\b"
        r"|车(?:辆)?(?:编号|自编号|号)\s*[:：]?\s*\d{2,}"
    ),
    Fact.SHIP: re.compile(
        r"[\u4e00-\u9fa5a-z0-9]{2,8}(?:号|轮)(?=\s|的|客轮|渡船|货船|船|轮|在|上|，|,|$)"
        r"|(?:航线|渡口|渡线)|[\u4e00-\u9fa5]{1,4}(?:至|到|—|-)[\u4e00-\u9fa5]{1,4}(?:的)?(?:渡船|客船|轮渡|航班船|船)"
        r"|船名|船号|(?:船舶)?识别号|mmsi"
    ),
    Fact.COMPANY: re.compile(
        r"[\u4e00-\u9fa5a-z0-9]{2,12}(?:驾校|驾驶培训学校|驾培|公司|集团|汽修|修理厂|汽修厂|维修厂|4s店|客运站|汽车站|车站|物流|货运站|运输队|车行|租车行|租赁)"
    ),
    Fact.TIME: re.compile(
        r"今天|今早|今晚|昨天|昨晚|前天|大前天|刚才|刚刚|方才|上周|这周|本周|上星期|上个?礼拜|上个月|这个月|本月"
        r"|周[一二三四五六日天末]|星期[一二三四五六日天]|礼拜[一二三四五六日天]"
        r"|\d{1,2}\s*(?:月|/)\s*\d{1,2}\s*(?:日|号)?|[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}(?:日|号)"
        r"|\d{1,2}\s*(?:日|号)(?:(?:早|晚)?上|下午|中午|凌晨)"
        r"|\d{1,2}\s*(?:点|時|时)|\d{1,2}:\d{2}|[一二三四五六七八九十两]{1,3}点"
        r"|上午|下午|晚上|凌晨|早上|中午|傍晚|半夜|深夜|早高峰|晚高峰|\d{4}年|20\d\d-\d\d-\d\d"
    ),
    Fact.PLACE: re.compile(
        r"[\u4e00-\u9fa5a-z0-9]{1,10}(?:站|路|街|大道|道口|路口|巷|桥|隧道|广场|小区|医院|学校|大学|商场|机场|码头|港|口岸"
        r"|收费站|服务区|出口|入口|匝道|景区|公园|村|镇|乡|县|区|市|高速|国道|省道|县道)"
        r"|[gs]\d{1,4}|k\d{2,4}(?:\+\d+)?|\d+\s*公里处"
    ),
}
# A company, ship or plate also identifies the object of an "other" complaint.
_OBJECTS = (Fact.PLATE, Fact.LINE, Fact.SHIP, Fact.COMPANY)


def present(text: str) -> set[Fact]:
    """The facts `text` gives (normalised text)."""
    found = {fact for fact, pattern in _PATTERNS.items() if pattern.search(text)}
    if found.intersection(_OBJECTS):
        found.add(Fact.OBJECT)
    return found


def missing(kind: ComplaintKind, given: set[Fact]) -> tuple[Fact, ...]:
    """The facts `kind` needs that are not in `given`, in the order of `NEEDED`."""
    return tuple(fact for fact in NEEDED[kind] if fact not in given)


def actionable(kind: ComplaintKind, given: set[Fact]) -> bool:
    """Does the complaint name something that could be acted on? Its kind's identifying fact, or,
    short of it, any object, time or place (a late bus "this morning at the People's Road stop"
    can be traced; "the bus is always late" cannot)."""
    if IDENTIFYING[kind] in given:
        return True
    return bool(given.intersection((*_OBJECTS, Fact.PLACE)) and Fact.TIME in given) or bool(
        given.intersection(_OBJECTS)
    )
