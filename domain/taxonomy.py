"""Machine names of the taxonomy (DESIGN.md "Taxonomy"): part of the external contract."""

from enum import StrEnum


class Category(StrEnum):
    """第三十一条: the three kinds of hotline business."""

    INQUIRY = "inquiry"  # 信息咨询
    COMPLAINT = "complaint"  # 投诉举报
    SUGGESTION = "suggestion"  # 意见建议


class Domain(StrEnum):
    """第二条: the seven business domains the hotline accepts."""

    HIGHWAY = "highway"  # 公路
    WATERWAY = "waterway"  # 水路
    ROAD_TRANSPORT = "road_transport"  # 道路运输
    URBAN_TRANSIT = "urban_transit"  # 城市客运
    MARITIME = "maritime"  # 海事
    SALVAGE = "salvage"  # 救助打捞
    MARITIME_SAR = "maritime_sar"  # 海上搜救


class DecisionKind(StrEnum):
    ANSWERED = "answered"  # 第十七条: answered at once from the knowledge base
    ACCEPTED = "accepted"  # queued for transfer
    REJECTED = "rejected"  # 第十九条
    REDIRECTED = "redirected"  # 第三条: belongs to another hotline
    NEEDS_INFO = "needs_info"  # a complaint lacking the facts needed to act on it
    CALLBACK = "callback"  # 第十六条: a call that ended before anyone heard the caller; call them back


class RefusalReason(StrEnum):
    """第十九条 (一)–(六), and a 12345 order outside the centre's region."""

    OUT_OF_SCOPE = "out_of_scope"
    NO_CLEAR_FACTS = "no_clear_facts"
    LEGAL_PROCEDURE = "legal_procedure"
    PETITION_CHANNEL = "petition_channel"
    CONFIDENTIAL = "confidential"
    PUBLIC_ORDER = "public_order"
    # Not one of 第十九条's: a 12345 work order from outside the centre's region goes back to the
    # platform that sent it (第十二、十八条: each centre takes its own level's transfers).
    OTHER_JURISDICTION = "other_jurisdiction"


class RedirectTarget(StrEnum):
    """第三条: matters handled by other hotlines."""

    RAILWAY = "railway"  # 12306
    CIVIL_AVIATION = "civil_aviation"  # 12326
    POSTAL = "postal"  # 12305
    TRAFFIC_POLICE = "traffic_police"  # 122
    WATER_DISTRESS = "water_distress"  # 12395
    HIGHWAY_RESCUE = "highway_rescue"  # 12122
    EMERGENCY = "emergency"  # 110/120/119


class Fact(StrEnum):
    """第十九条(二): the facts a complaint needs to be acted on (`missing_facts`)."""

    PLATE = "plate"  # plate or order number
    LINE = "line"  # bus or metro line
    SHIP = "ship"  # ship name or route
    COMPANY = "company"  # the business complained about
    OBJECT = "object"  # who or what, when nothing more specific applies
    TIME = "time"
    PLACE = "place"


class ChannelName(StrEnum):
    WECHAT = "wechat"
    APP = "app"
    WEBFORM = "webform"
    IVR = "ivr"
    HOTLINE12345 = "hotline12345"


CATEGORY_LABELS: dict[Category, str] = {
    Category.INQUIRY: "信息咨询",
    Category.COMPLAINT: "投诉举报",
    Category.SUGGESTION: "意见建议",
}

DOMAIN_LABELS: dict[Domain, str] = {
    Domain.HIGHWAY: "公路",
    Domain.WATERWAY: "水路",
    Domain.ROAD_TRANSPORT: "道路运输",
    Domain.URBAN_TRANSIT: "城市客运",
    Domain.MARITIME: "海事",
    Domain.SALVAGE: "救助打捞",
    Domain.MARITIME_SAR: "海上搜救",
}

FACT_LABELS: dict[Fact, str] = {
    Fact.PLATE: "车牌号或订单号",
    Fact.LINE: "线路",
    Fact.SHIP: "船名或航线",
    Fact.COMPANY: "企业名称",
    Fact.OBJECT: "投诉对象（车辆、企业或人员）",
    Fact.TIME: "发生时间",
    Fact.PLACE: "地点（上下车地点、站点或路段）",
}


def fact_label(name: str) -> str:
    """A missing fact as the citizen reads it (an unknown name as it is)."""
    try:
        return FACT_LABELS[Fact(name)]
    except ValueError:
        return name
