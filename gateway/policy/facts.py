"""The facts a complaint gives, and the ones its kind still needs (第十九条(二)).

A complaint can be acted on when it names something: a plate or an order number, a bus or metro
line, a ship or a route, a company, a time, a place. Which facts a complaint needs depends on what
it is about — a taxi is found by its plate, a bus by its line, a ferry by its name — so the kind
of complaint is recognised first (`complaint_kind`) and its facts are looked up in `NEEDED`.

A place or a company counts when it is named (人民路站, 阳澄湖服务区, 阳光驾校, 华南打捞公司), not
when only its generic word is there (收费站, 服务区, 地铁站, 物流公司, 租车公司): "the toll station"
cannot be found, "the 沪宁高速无锡 toll station" can.

Fact names are machine names, part of the event (`missing_facts`) and of `hotline-gateway
classify`'s output (`domain.Fact`); `FACT_LABELS` says each in Chinese for the question put to
the citizen.

Texts here are already normalised (NFKC, simplified, lowercase): `gateway.kb.text.simplify`.
"""

from __future__ import annotations

import re
from enum import StrEnum

from domain import FACT_LABELS, Fact


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

# A company, ship or plate also identifies the object of an "other" complaint.
_OBJECTS = (Fact.PLATE, Fact.LINE, Fact.SHIP, Fact.COMPANY)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_CLOSE = "'’”」』\""
_PATTERNS: dict[Fact, re.Pattern[str]] = {
    Fact.PLATE: re.compile(
        # 粤B·D1234, 京A12345, 沪C-3K921, 粤b d1234; an order number (订单号/尾号 3391/后四位6620…)
        rf"[{_PROVINCES}]\s?[a-z]\s?[·.\-\s]?\s?[a-z0-9]{{4,6}}(?![a-z0-9])"
        r"|(?:订单|单号|行程单|尾号|车牌)(?:号|编号)?(?:是|为)?\s*[:：]?\s*[a-z0-9]{3,}"
        r"|dingdan\s*(?:hao)?\s*[:：]?\s*\d{3,}"
        r"|(?:后|尾)(?:四|4|三|3|五|5|六|6|几)位(?:是|为)?\s*[:：]?\s*\d{3,}"
        rf"|车牌(?:号)?(?:是|为)?\s*[:：]?\s*[{_PROVINCES}]"
        r"|(?:出租车|的士)?(?:工号|服务监督卡|监督卡号|车号|车辆编号)\s*[:：]?\s*\d{2,}"
    ),
    Fact.LINE: re.compile(
        # 15路, K12路 (车上), 2号线, 十五路 — not 一路 (all the way) nor 路上/路口/路费
        r"(?:\d+|[a-z]\d+|[二三四五六七八九十百][一二三四五六七八九十百]*|一[一二三四五六七八九十百]+|[\u4e00-\u9fa5]{1,2}\d+)"
        r"\s*(?:路|号线|线)(?!费|况|面|上|边|口)"
        r"|(?:快线|专线|夜班|支线|环线|机场线)\s*\d*|(?:公交|巴士)\s*[a-z]?\d{1,4}\b"
        r"|车(?:辆)?(?:编号|自编号|号)\s*[:：]?\s*\d{2,}"
    ),
    Fact.TIME: re.compile(
        r"今天|今早|今晚|昨天|昨晚|前天|大前天|刚才|刚刚|方才|上周|这周|本周|上星期|上个?礼拜|上个月|这个月|本月|去年|前年|今年\s*[\d一二三四五六七八九十]{1,2}\s*月"
        r"|周[一二三四五六日天末]|星期[一二三四五六日天]|礼拜[一二三四五六日天]"
        r"|\d{1,2}\s*(?:月|/)\s*\d{1,2}\s*(?:日|号)?|[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}(?:日|号)"
        r"|\d{1,2}\s*月份|[一二三四五六七八九十]{1,2}月份|去年\s*[\d一二三四五六七八九十]{1,2}月"
        r"|\d{1,2}\s*(?:日|号)(?:(?:早|晚)?上|下午|中午|凌晨)"
        r"|\d{1,2}\s*(?:点|時|时)|\d{1,2}:\d{2}|[一二三四五六七八九十两]{1,3}点"
        r"|上午|下午|晚上|凌晨|早上|中午|傍晚|半夜|深夜|早高峰|晚高峰|\d{4}年|20\d\d-\d\d-\d\d"
        r"|五一|十一假期|国庆|清明|春节|过年|端午|中秋|元旦|除夕|那天"
    ),
}

# A ship's name or route (read apart from the other facts: its parts are costly, so each runs only
# when its words can be in the text). 海安号客轮, 长江08轮; 海口至海安的渡船; 浙岱渔03568; 船名…
_SHIP_NAME = re.compile(
    rf"(?<![\d月])(?![\d一二三四五六七八九十]{{0,2}}月)(?!\d+[号轮])[\u4e00-\u9fa5a-z0-9]{{2,8}}(?:号|轮)(?=\s|的|(?:客|渡|货|游|快|邮|轮)?(?:轮|船)|在|上|，|,|$|[{_CLOSE}])"
)
_SHIP = re.compile(
    r"[\u4e00-\u9fa5]{1,4}(?:至|到|—|-)[\u4e00-\u9fa5]{1,4}(?:的)?(?:渡船|客船|轮渡|渡轮|航班船|班船|快艇|游艇|客滚船|船)"
    rf"|[{_PROVINCES}][\u4e00-\u9fa5]{{0,4}}(?:货|渔|客|油|拖|工|运|港)\d{{3,6}}"
    r"|船名|船号|(?:船舶)?识别号|mmsi"
)
# Where a vessel is spoken of (船, 轮, 艇, 舰): a route or a sailing (从重庆到宜昌, 两点钟那班), a name
# in quotes (‘长江明珠’游船, 客滚船‘紫荆十三’).
_VESSEL = re.compile(r"船|轮|艇|舰")
_SHIP_IN_CONTEXT = re.compile(
    r"从(?:(?![一二三四五六七八九十两百千万块元毛涨降减加提调])[\u4e00-\u9fa5]){2,4}(?:到|至|开往|去)[\u4e00-\u9fa5]{2,4}|(?:点钟?|点半|:\d\d)(?:的|那)(?:一)?(?:班|趟)"
    rf"|[‘“'\"「『][^{_CLOSE}]{{2,16}}[{_CLOSE}]"
)


def _ship(text: str) -> bool:
    if ("号" in text or "轮" in text) and _SHIP_NAME.search(text):
        return True
    return bool(_SHIP.search(text) or (_VESSEL.search(text) and _SHIP_IN_CONTEXT.search(text)))


# Names of places and companies: a word before a place or business word (人民路站, 阳澄湖服务区,
# 阳光驾校); a generic word alone (收费站, 服务区, 地铁站, 物流公司, 租车公司) names nothing.
_RUN = re.compile(r"[\u4e00-\u9fa5a-z0-9]{1,10}$")
_PLACE_WORD = re.compile(
    r"站|路|街|大道|道口|路口|巷|桥|隧道|广场|小区|医院|学校|大学|商场|机场|码头|港|口岸|湾|岛|海峡|江段|河段|水域|海域"
    r"|服务区|出口|入口|匝道|景区|公园|科技园|产业园|工业园|园区|村|镇|乡|县|区|市|高速|国道|省道|县道"
)
_PLACE_CODE = re.compile(
    r"(?<![a-z0-9])[gs]\d{1,4}(?!\d|次)|k\d{2,4}(?:\+\d+)?|\d+\s*公里处|(?:国道|省道|县道)\s*\d{2,4}|机场(?:高速|快速路|大道)"
)
_GENERIC_PLACE = re.compile(
    r"(?:收费站|服务区|地铁站|公交站|汽车站|客运站|火车站|高铁站|动车站|车站|加油站|充电站|治超站|检查站|服务站|站台|始发站|终点站"
    r"|首末站|首站|末站|中转站|换乘站|一站|每站|到站|进站|出站|过站|停站|甩站|马路|公路|道路|线路|山路|小路|大路|土路|高速路|高速公路|高速|国道|省道|县道"
    r"|乡道|出口|入口|匝道|路口|码头|港口|机场|医院|学校|小区|景区|公园|园区|市区|城区|港区|山区|郊区|社区|地区|市里|县里|城里"
    r"|大桥|广场|商场|大学|地铁|公交|汽车|客运|火车|高铁|我们|你们|他们|咱们|这个|那个|一个|这家|那家|一家"
    r"|站|路|街|巷|桥|港|湾|岛|江|河|湖|海|村|镇|乡|县|区|市)$"
)
# Words ending in a place word that are no place: 绕路 (a detour), 一路 (all the way), 修路 …
_NO_PLACE = re.compile(r"(?:绕|近|远|走|一|半|上|顺|带|让|问|赶|修|封|过|拦|堵|线|迷|找|认|开)路$")
_COMPANY_WORD = re.compile(
    r"驾校|驾驶培训学校|驾培|公司|集团|汽修厂?|汽修店|修理厂|维修厂|4s店|客运站|客运中心|客运枢纽|汽车总站|汽车站|车站|物流|货运站|运输队|车行(?!业|驶|人|道|李|程|为)|(?<!沉船)(?<!船舶)打捞(?!局|作业|队|船|上来|起来)(?:公司)?|(?<!出)租车行?|租赁|出行"
)
_GENERIC_COMPANY = re.compile(
    r"(?:物流|租车|运输|公交|打捞|船|长途|出租车|网约车|客运|货运|快递|汽修厂?|汽修店|修理厂|维修厂|修车店?|维修|搬家|驾校|驾培|汽车站|客运站|客运中心|客运枢纽|汽车总站|车站|货运站|运输队|车行|公司|集团|4s店"
    r"|平台|这家|那家|一家|我们|你们|他们|咱们|这个|那个|一个|什么)$"
)
# A company named after its word: 公司叫海通打捞, 驾校名字叫阳光.
_CALLED = re.compile(
    r"(?:公司|驾校|车行|修理厂|物流)(?:的)?(?:名字)?(?:叫|名叫|叫做)(?!什么|啥)[\u4e00-\u9fa5a-z0-9]{2,}"
)
_ROUTE_WORD = re.compile(r"航线|渡口|渡线")
_GENERIC_ROUTE = re.compile(r"(?:航线|渡口|渡线|那条|这条|一条|那个|这个|我们|你们|的|江边|河边|海边|村|镇)$")
# Who acts can be read in a word of one or two characters: 我在…, 给…, 去…
_FILLER = frozenset("的在到了个一这那是走去从过进出趟说上下和跟每条段家座边里外前后旁近往给把被让叫找坐搭乘报办交些")
# An authority's office or a window: "海事局政务大厅6号窗口", "厦门海事局", "工号9527".
_WINDOW = re.compile(
    r"\d+号窗口|窗口\d+|(?:登记|办证|审批|受理|缴费|检验|签证|发证|证)(?:的)?窗口|(?:政务|办事|服务)大厅|12395"
)
_AUTHORITY = re.compile(
    r"海事局|海事处|交通局|交通运输局|运管所|运管处|路政大队|执法大队|管理处|管理站|打捞局|救捞局|救助局|搜救中心"
)
_GENERIC_AUTHORITY = re.compile(
    r"(?:海事|交通|交通运输|运管|路政|执法|管理|打捞|救捞|救助|搜救|你们|我们|他们|这个|那个|市|县|区|省|局|处|所|大队|站|中心)$"
)


def _named(text: str, words: re.Pattern[str], generic: re.Pattern[str], never: re.Pattern[str] | None = None) -> bool:
    """Does `text` name a place or company: some word of `words` with a name before it?"""
    for match in words.finditer(text):
        run = _RUN.search(text, 0, match.start())
        name = (run.group() if run else "") + match.group()
        if never is not None and never.search(name):
            continue
        while name:
            stripped = generic.sub("", name)
            if stripped == name:
                break
            name = stripped
        if name and name[-1] not in _FILLER:
            return True
    return False


def present(text: str) -> set[Fact]:
    """The facts `text` gives (normalised text)."""
    found = {fact for fact, pattern in _PATTERNS.items() if pattern.search(text)}
    if _ship(text):
        found.add(Fact.SHIP)
    if _PLACE_CODE.search(text) or _named(text, _PLACE_WORD, _GENERIC_PLACE, _NO_PLACE):
        found.add(Fact.PLACE)
    if _named(text, _ROUTE_WORD, _GENERIC_ROUTE):
        found.add(Fact.SHIP)
    if _named(text, _COMPANY_WORD, _GENERIC_COMPANY) or _CALLED.search(text):
        found.add(Fact.COMPANY)
    if found.intersection(_OBJECTS) or _WINDOW.search(text) or _named(text, _AUTHORITY, _GENERIC_AUTHORITY):
        found.add(Fact.OBJECT)
    return found


# A coach is traced by its plate or by the station or company that runs it (宜昌汽车客运中心的班车).
_STANDS_FOR: dict[ComplaintKind, dict[Fact, Fact]] = {ComplaintKind.COACH: {Fact.COMPANY: Fact.PLATE}}


def missing(kind: ComplaintKind, given: set[Fact]) -> tuple[Fact, ...]:
    """The facts `kind` needs that are not in `given`, in the order of `NEEDED`."""
    stands_for = _STANDS_FOR.get(kind, {})
    have = given | {stands_for[fact] for fact in given if fact in stands_for}
    return tuple(fact for fact in NEEDED[kind] if fact not in have)


def actionable(given: set[Fact]) -> bool:
    """Does the complaint name anything that could be acted on — a plate, order number, line, ship,
    company, authority, time or place (the issue and the labelling guide: needs_info is for a
    complaint that names none of them)? "The bus driver swore at me yesterday" can be traced with
    the operator's call back for the rest; "the bus is always late" cannot. What is still missing
    is listed per kind (`missing`)."""
    return bool(given)


__all__ = ["FACT_LABELS", "NEEDED", "ComplaintKind", "Fact", "actionable", "missing", "present"]
