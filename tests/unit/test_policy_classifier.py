"""The policy's decisions, one per case the regulation names: every redirect target, every refusal
reason, urgent matters, missing facts per kind of complaint, the citizen's hint, channels that
cannot ask back. Messages are written like citizens write (none is from the labelled set)."""

from __future__ import annotations

import pytest

from domain import Category, DecisionKind, Domain, Fact, RedirectTarget, RefusalReason
from gateway.policy.classifier import Classifier


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("公交车上有人拿刀乱砍，好几个人受伤了，快来人啊", RedirectTarget.EMERGENCY),
        ("客运站候车厅着火了，浓烟很大，里面还有人", RedirectTarget.EMERGENCY),
        ("我们的渔船在海上翻了，三个人抱着船底，求救", RedirectTarget.WATER_DISTRESS),
        ("有个小孩掉进江里了，就在轮渡码头旁边", RedirectTarget.WATER_DISTRESS),
        ("我在沪昆高速上爆胎了，停在应急车道，需要拖车", RedirectTarget.HIGHWAY_RESCUE),
        ("高速上车子突然熄火打不着了，就停在路边，怎么办", RedirectTarget.HIGHWAY_RESCUE),
        ("12306上买的高铁票怎么退不了", RedirectTarget.RAILWAY),
        ("火车晚点了三个小时，列车员一句解释都没有", RedirectTarget.RAILWAY),
        ("航班延误了五个小时，航空公司不安排住宿", RedirectTarget.CIVIL_AVIATION),
        ("机票退票手续费太高了，找谁投诉", RedirectTarget.CIVIL_AVIATION),
        ("快递丢件了，快递员不接电话", RedirectTarget.POSTAL),
        ("寄的包裹一个礼拜了还没到，物流信息不更新", RedirectTarget.POSTAL),
        ("驾照被扣了12分，怎么恢复", RedirectTarget.TRAFFIC_POLICE),
        ("昨天被电子眼拍了闯红灯，罚单怎么处理", RedirectTarget.TRAFFIC_POLICE),
        # told without the hotline's name; expressways by their two ends or a stake number
        ("车在连霍线上没油了，开不走，停应急车道了", RedirectTarget.HIGHWAY_RESCUE),
        ("K1287附近两个胎都瘪了，靠边停着，车上有老人", RedirectTarget.HIGHWAY_RESCUE),
        # a crash with nobody hurt needs a tow, not an ambulance
        ("绕城高速上追尾了，两台车都卡住了，人都没事，横在第二车道", RedirectTarget.HIGHWAY_RESCUE),
        # a flight's 改签 is the airline's, though trains have 改签 too
        ("CZ3456取消了，改签还要补差价，凭什么", RedirectTarget.CIVIL_AVIATION),
        ("在登机口等了两个小时，说超售了让我们改下一班", RedirectTarget.CIVIL_AVIATION),
        ("05车12F的座位上坐了别人，他说他也是这个号", RedirectTarget.RAILWAY),
        ("说好到付18块，送到了要我给35，不给就拉回去", RedirectTarget.POSTAL),
        ("早上在中山路跟一辆白色轿车剐蹭了，对方非说我全责", RedirectTarget.TRAFFIC_POLICE),
    ],
)
def test_each_redirect_target(classifier: Classifier, text: str, target: RedirectTarget) -> None:
    c = classifier.classify(text)
    assert (c.decision, c.redirect) == (DecisionKind.REDIRECTED, target)
    assert c.reason is None
    assert not c.urgent


def test_a_trip_to_the_station_is_ours_not_the_railways(classifier: Classifier) -> None:
    c = classifier.classify("去火车站的公交车几点有首班")
    assert c.decision is not DecisionKind.REDIRECTED
    assert c.domain is Domain.URBAN_TRANSIT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("我家楼上天天晚上装修，吵得睡不着", RefusalReason.OUT_OF_SCOPE),
        ("社保卡丢了去哪里补办", RefusalReason.OUT_OF_SCOPE),
        ("你们交通局就是不作为", RefusalReason.NO_CLEAR_FACTS),
        ("我要投诉！", RefusalReason.NO_CLEAR_FACTS),
        ("我已经向法院起诉这家驾校了，你们也帮我催一下判决", RefusalReason.LEGAL_PROCEDURE),
        ("我要申请政府信息公开，把出租车运价调整的会议纪要给我", RefusalReason.LEGAL_PROCEDURE),
        ("这个事我去年就去信访局反映过了，到现在没结果", RefusalReason.PETITION_CHANNEL),
        ("上周那个滴滴司机的家庭住址告诉我，我要去找他", RefusalReason.CONFIDENTIAL),
        ("谁举报的我？把举报人电话给我", RefusalReason.CONFIDENTIAL),
        ("你们这帮废物，接电话的都是傻逼", RefusalReason.PUBLIC_ORDER),
        ("帮我弄个假的从业资格证，多少钱都行", RefusalReason.PUBLIC_ORDER),
    ],
)
def test_each_refusal_reason(classifier: Classifier, text: str, reason: RefusalReason) -> None:
    c = classifier.classify(text)
    assert (c.decision, c.reason) == (DecisionKind.REJECTED, reason)
    assert c.redirect is None


def test_anger_inside_a_real_complaint_is_not_a_refusal(classifier: Classifier) -> None:
    c = classifier.classify("粤A·D1234这个出租车司机真是个混蛋，昨晚在广州南站拒载还骂人")
    assert (c.decision, c.category) == (DecisionKind.ACCEPTED, Category.COMPLAINT)


@pytest.mark.parametrize(
    "text",
    [
        "坐的大巴严重超载，过道上都站满了人，车牌湘A·12345",
        "有辆危化品罐车在国道边上漏东西，味道很刺鼻",
        "长途大巴司机一边开车一边玩手机，车上坐满了人",
        "县道那座桥的桥墩裂了一条大缝，车还在过",
        "轮渡超员了，船上挤得站都站不下，救生衣也不够",
        "校车上塞了三十多个孩子，车门都关不上",
    ],
)
def test_safety_matters_are_urgent_and_never_held_for_facts(classifier: Classifier, text: str) -> None:
    c = classifier.classify(text)
    assert (c.decision, c.urgent) == (DecisionKind.ACCEPTED, True)


def test_a_rude_driver_is_not_urgent(classifier: Classifier) -> None:
    c = classifier.classify("公交司机态度很差，问个站都不耐烦，15路，今天早上")
    assert not c.urgent


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("打车被司机绕路多收了三十块钱", ("plate", "time", "place")),
        ("公交车司机开得太猛了，急刹车差点把我摔倒", ("line", "time", "place")),
        ("坐大巴的时候售票员中途加价，不给就赶人下车", ("plate", "time")),
    ],
)
def test_a_complaint_without_facts_is_asked_for_its_kinds_facts(
    classifier: Classifier, text: str, missing: tuple[str, ...]
) -> None:
    c = classifier.classify(text)
    assert (c.decision, c.category) == (DecisionKind.NEEDS_INFO, Category.COMPLAINT)
    assert c.missing_facts == missing
    # A channel that cannot ask back (a phone call, a 12345 order) accepts it with the list.
    offline = classifier.classify(text, interactive=False)
    assert (offline.decision, offline.missing_facts) == (DecisionKind.ACCEPTED, missing)


def test_a_complaint_with_its_facts_is_accepted(classifier: Classifier) -> None:
    c = classifier.classify("昨天下午3点在体育西路站坐的粤A·D1234出租车，司机拒载")
    assert (c.decision, c.category, c.domain) == (DecisionKind.ACCEPTED, Category.COMPLAINT, Domain.URBAN_TRANSIT)
    assert c.missing_facts == ()


def test_the_citizens_choice_is_a_strong_hint_not_a_blind_override(classifier: Classifier) -> None:
    # An unclear message: the ticked category stands.
    assert classifier.classify("关于公交站牌的事", category_hint=Category.SUGGESTION).category is Category.SUGGESTION
    # A clear complaint with a plate, filed as an inquiry: the text wins.
    c = classifier.classify("粤B·D1234的司机昨晚拒载还骂人，我要投诉他", category_hint=Category.INQUIRY)
    assert c.category is Category.COMPLAINT


@pytest.mark.parametrize(
    ("text", "category", "domain"),
    [
        ("地铁2号线早上几点开始运营", Category.INQUIRY, Domain.URBAN_TRANSIT),
        ("建议在高速服务区多设几个充电桩", Category.SUGGESTION, Domain.HIGHWAY),
        ("驾校报名以后不想学了，学费能退多少", Category.INQUIRY, Domain.ROAD_TRANSPORT),
        ("渡口的渡船什么时候恢复通航", Category.INQUIRY, Domain.WATERWAY),
        ("船员适任证书到期了怎么换证", Category.INQUIRY, Domain.MARITIME),
        ("沉船打捞怎么收费，找哪个单位", Category.INQUIRY, Domain.SALVAGE),
    ],
)
def test_category_and_domain_from_the_text(
    classifier: Classifier, text: str, category: Category, domain: Domain
) -> None:
    c = classifier.classify(text)
    assert (c.decision, c.category, c.domain) == (DecisionKind.ACCEPTED, category, domain)


def test_traditional_characters_and_full_width_digits_read_the_same(classifier: Classifier) -> None:
    simplified = classifier.classify("航班延误了五个小时，航空公司不安排住宿")
    traditional = classifier.classify("航班延誤了５個小時，航空公司不安排住宿")
    assert traditional == simplified


def test_an_empty_message_goes_to_an_operator(classifier: Classifier) -> None:
    c = classifier.classify("  ", category_hint=Category.COMPLAINT)
    assert (c.decision, c.category) == (DecisionKind.ACCEPTED, Category.COMPLAINT)


def test_facts_given_in_the_forms_own_fields_count(classifier: Classifier) -> None:
    text = "公交车司机开得太猛了，急刹车差点把我摔倒"
    # The form's 发生时间 and 地点 fields: the bus can be traced from a stop and a time.
    c = classifier.classify(text, known=frozenset({Fact.TIME, Fact.PLACE}))
    assert (c.decision, c.missing_facts) == (DecisionKind.ACCEPTED, ("line",))


def test_a_car_that_will_not_move_is_no_collapse(classifier: Classifier) -> None:
    """不动了 is a person's collapse only when a person is its subject."""
    assert classifier.classify("G4 K1580附近没油了 车不动了").redirect is RedirectTarget.HIGHWAY_RESCUE
    assert classifier.classify("公交车上一个老人突然不动了，叫也叫不应").redirect is RedirectTarget.EMERGENCY


def test_asking_how_to_apply_for_disclosure_is_an_inquiry(classifier: Classifier) -> None:
    asking = classifier.classify("想申请公开我们县城乡公交拿了多少补贴，请问具体怎么申请？网上还是书面？")
    assert asking.decision is DecisionKind.ACCEPTED
    applying = classifier.classify("我依申请公开，要求公开交通局与公交公司签订的补贴协议")
    assert (applying.decision, applying.reason) == (DecisionKind.REJECTED, RefusalReason.LEGAL_PROCEDURE)
