"""Routing (第十八、二十一、二十五条) on real place data: level, region code and the copy to the province."""

from __future__ import annotations

import pytest

from domain.taxonomy import Category, Domain
from domain.ticket_event import Routing
from gateway.policy.places import PlaceIndex, default_places
from gateway.policy.routing import route

SHENZHEN = "440300"
GUANGDONG = "440000"


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    return default_places()


def routed(
    places: PlaceIndex,
    text: str,
    *,
    centre: str = SHENZHEN,
    domain: Domain | None = Domain.URBAN_TRANSIT,
    category: Category | None = Category.INQUIRY,
    location: str | None = None,
) -> Routing:
    return route(
        text,
        domain=domain,
        category=category,
        centre_region_code=centre,
        location_region_code=location,
        places=places,
    )


def test_no_place_named_stays_with_the_centre(places: PlaceIndex) -> None:
    assert routed(places, "公交车司机态度恶劣，到站不停") == Routing(region_code=SHENZHEN, level="city")


@pytest.mark.parametrize(
    ("text", "region_code"),
    [
        ("南山区科技园的出租车绕路", "440305"),
        ("深圳南山的出租车绕路", "440305"),
        ("在南山打车被绕路", "440305"),  # 南山 of 深圳, not of 鹤岗: the centre's own city
        ("深圳的出租车绕路", "440300"),
        ("南山和福田的公交都太挤", "440300"),  # two districts: the city that holds both
        ("广东的高速公路收费太高", "440300"),  # the centre's own province says nothing more
        ("深圳南山區的計程車繞路", "440305"),
    ],
)
def test_a_place_in_the_centres_city(places: PlaceIndex, text: str, region_code: str) -> None:
    assert routed(places, text) == Routing(region_code=region_code, level="city")


def test_another_city_goes_to_the_province(places: PlaceIndex) -> None:
    # 第十八条: another administrative region; the matter is reported from here.
    assert routed(places, "东莞的出租车不打表") == Routing(region_code=SHENZHEN, level="provincial")
    assert routed(places, "广州天河的公交") == Routing(region_code=SHENZHEN, level="provincial")


def test_several_cities_go_to_the_province(places: PlaceIndex) -> None:
    assert routed(places, "从深圳南山坐大巴到广州天河，司机中途甩客") == Routing(
        region_code="440305", level="provincial"
    )
    assert routed(places, "从深圳到广州的大巴") == Routing(region_code=SHENZHEN, level="provincial")


@pytest.mark.parametrize(
    ("text", "region_code"),
    [
        ("北京朝阳区的出租车绕路", "110105"),
        ("我是广东的，在广西被宰了", "450000"),
        ("去长沙的班车上被偷了", "430100"),
        ("北京和上海的出租车都比这里好", SHENZHEN),  # two other provinces: no single place
    ],
)
def test_another_province_goes_to_the_province_with_its_code(places: PlaceIndex, text: str, region_code: str) -> None:
    assert routed(places, text) == Routing(region_code=region_code, level="provincial")


def test_the_citizens_location_stands_in_when_the_text_names_no_place(places: PlaceIndex) -> None:
    assert routed(places, "公交车很脏", location="440305") == Routing(region_code="440305", level="city")
    assert routed(places, "公交车很脏", location="441900") == Routing(region_code=SHENZHEN, level="provincial")
    assert routed(places, "公交车很脏", location="110105") == Routing(region_code="110105", level="provincial")
    assert routed(places, "广东的高速收费太高", location="441900").level == "provincial"
    assert routed(places, "公交车很脏", location="000000") == Routing(region_code=SHENZHEN, level="city")
    assert routed(places, "公交车很脏", location="4403") == Routing(region_code=SHENZHEN, level="city")


def test_a_place_the_text_names_wins_over_the_citizens_location(places: PlaceIndex) -> None:
    # Written from a trip to 东莞 (or from 福田) about a matter in 南山.
    assert routed(places, "南山的公交站牌坏了", location="441900") == Routing(region_code="440305", level="city")
    assert routed(places, "南山的公交站牌坏了", location="440304") == Routing(region_code="440305", level="city")


def test_the_citizens_location_picks_the_reading_of_an_ambiguous_name(places: PlaceIndex) -> None:
    # 南山区 of 鹤岗, where the citizen is, rather than the centre's own.
    assert routed(places, "南山区的公交很脏", location="230404") == Routing(region_code="230404", level="provincial")


@pytest.mark.parametrize("domain", [Domain.MARITIME, Domain.SALVAGE, Domain.MARITIME_SAR])
def test_maritime_and_salvage_go_to_the_province(places: PlaceIndex, domain: Domain) -> None:
    # 第二十一条: 海事、救助打捞 (and 海上搜救) are transferred to the provincial centre.
    assert routed(places, "南山的渔船漏油", domain=domain) == Routing(region_code="440305", level="provincial")


@pytest.mark.parametrize("domain", [Domain.WATERWAY, Domain.HIGHWAY, None])
def test_other_domains_stay_in_the_city(places: PlaceIndex, domain: Domain | None) -> None:
    assert routed(places, "南山的码头", domain=domain).level == "city"


def test_complaints_are_copied_to_the_province(places: PlaceIndex) -> None:
    # 第二十五条: 同步流转至省级中心, whatever the level.
    complaint = routed(places, "南山的出租车绕路", category=Category.COMPLAINT)
    assert complaint == Routing(region_code="440305", level="city", copy_to=("provincial",))
    maritime = routed(places, "渔船漏油", category=Category.COMPLAINT, domain=Domain.MARITIME)
    assert maritime == Routing(region_code=SHENZHEN, level="provincial", copy_to=("provincial",))
    for category in (Category.INQUIRY, Category.SUGGESTION, None):
        assert routed(places, "南山的出租车", category=category).copy_to == ()


@pytest.mark.parametrize(
    ("text", "region_code"),
    [
        ("公交车很脏", GUANGDONG),
        ("南山的出租车绕路", "440305"),  # the province's only 南山
        ("东莞的出租车", "441900"),
        ("从深圳到广州的大巴", GUANGDONG),
        ("北京朝阳区的出租车", "110105"),
    ],
)
def test_a_provincial_centre_keeps_everything_and_copies_nothing(
    places: PlaceIndex, text: str, region_code: str
) -> None:
    for category in Category:
        for domain in (Domain.URBAN_TRANSIT, Domain.MARITIME):
            got = routed(places, text, centre=GUANGDONG, category=category, domain=domain)
            assert got == Routing(region_code=region_code, level="provincial")


def test_an_unconfigured_centre_is_the_whole_country(places: PlaceIndex) -> None:
    assert routed(places, "公交车很脏", centre="000000") == Routing(region_code="000000", level="provincial")
    assert routed(places, "深圳南山的公交", centre="000000") == Routing(region_code="440305", level="provincial")


def test_a_district_centre_is_a_city_centre(places: PlaceIndex) -> None:
    assert routed(places, "福田的公交", centre="440305") == Routing(region_code="440304", level="city")
    assert routed(places, "公交车很脏", centre="440305") == Routing(region_code="440305", level="city")


@pytest.mark.parametrize(("text", "centre"), [("长安汽车4S店售后太差", "610100"), ("世界和平", "210100")])
def test_ordinary_words_do_not_route(places: PlaceIndex, text: str, centre: str) -> None:
    assert routed(places, text, centre=centre) == Routing(region_code=centre, level="city")


def test_a_malformed_centre_code_is_refused(places: PlaceIndex) -> None:
    with pytest.raises(ValueError, match="6 digits"):
        routed(places, "公交车很脏", centre="4403")


def test_the_default_index_is_used_without_one(places: PlaceIndex) -> None:
    got = route("南山的公交", domain=None, category=None, centre_region_code=SHENZHEN)
    assert got == Routing(region_code="440305", level="city")
