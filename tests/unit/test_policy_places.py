"""Place recognition on jionlp's real data: names, codes, ambiguity and the ordinary-word traps."""

from __future__ import annotations

import pytest

from gateway.policy.places import MAX_MENTIONS, PlaceIndex, city_prefix, default_places, is_within, region_prefix

SHENZHEN = "440300"


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    return default_places()


def codes(places: PlaceIndex, text: str, *prefer: str) -> list[str]:
    return [place.code for place in places.find(text, prefer=prefer)]


def test_the_data_covers_the_country(places: PlaceIndex) -> None:
    assert len(places) > 3000
    assert places.name("440305") == "南山区"
    assert places.name("110000") == "北京市"
    assert places.name("130171") is None  # a development zone: a statistical unit, not a region


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("广东省深圳市南山区科技园的出租车", ["440000", "440300", "440305"]),
        ("深圳市南山区", ["440300", "440305"]),  # leftmost-longest: never 深圳 + 南山
        ("深圳南山的出租车", ["440300", "440305"]),
        ("广东深圳", ["440000", "440300"]),
        ("内蒙古呼和浩特的班车", ["150000", "150100"]),
        ("广西壮族自治区南宁市", ["450000", "450100"]),
        ("恩施州的客车", ["422800"]),  # 恩施土家族苗族自治州, as people write it
        ("长阳县的客车", ["420528"]),  # 长阳土家族自治县
        ("上海浦东机场大巴", ["310000", "310115"]),
        ("香港的跨境巴士", ["810000"]),
        ("吉林省吉林市", ["220000", "220200"]),
    ],
)
def test_full_and_short_names(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text) == expected


def test_the_place_says_how_it_was_named(places: PlaceIndex) -> None:
    (city, district) = places.find("深圳南山區的計程車")
    assert (city.code, city.name, city.mention, city.start) == ("440300", "深圳市", "深圳", 0)
    assert (district.code, district.name, district.mention) == ("440305", "南山区", "南山区")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("從廣州到深圳的長途客車", ["440100", "440300"]),
        ("廣東省深圳市南山區", ["440000", "440300", "440305"]),
        ("臺灣", ["710000"]),
        ("乾縣的公交", ["610424"]),  # the converter writes 乾 as 干: the name is entered both ways
        ("乾县的公交", ["610424"]),
    ],
)
def test_traditional_characters(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("滦州的客运站", ["130284"]),  # 滦县 until 2018
        ("邯郸永年区的公交", ["130400", "130408"]),  # 永年县 until 2016
        ("大同平城区", ["140200", "140213"]),  # 2018
        ("深圳光明区", ["440300", "440311"]),  # 2018
    ],
)
def test_codes_are_current(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text) == expected


def test_a_unique_short_district_name_is_found_anywhere(places: PlaceIndex) -> None:
    assert codes(places, "宝安机场的大巴") == ["440306"]
    assert codes(places, "去昆山的班车") == ["320583"]
    assert codes(places, "宝安机场的大巴", "110000") == ["440306"]


def test_a_city_name_is_the_city_not_a_district_elsewhere(places: PlaceIndex) -> None:
    assert codes(places, "西安的出租车") == ["610100"]
    assert codes(places, "辽源西安的出租车") == ["220400", "220403"]  # 辽源市西安区


@pytest.mark.parametrize(
    "text", ["南山的公交", "通州的公交", "鼓楼区的公交", "鼓楼的公交", "朝阳区的公交", "朝阳的公交"]
)
def test_a_name_ambiguous_nationwide_is_ignored_without_context(places: PlaceIndex, text: str) -> None:
    assert codes(places, text) == []
    assert codes(places, text, "510100") == []  # 成都 has none of them


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        ("南山的公交", (SHENZHEN,), ["440305"]),
        ("南山的公交", ("230400",), ["230404"]),  # 鹤岗市南山区
        ("南山的公交", ("440000",), ["440305"]),  # the provincial centre of 广东
        ("朝阳的公交", ("110000",), ["110105"]),
        ("朝阳的公交", ("210000",), ["211300"]),  # 辽宁: the city 朝阳市
        ("朝阳的公交", ("220100",), ["220104"]),  # 长春市朝阳区
        ("鼓楼区的公交", ("350100",), ["350102"]),
        ("鼓楼区的公交", ("320100",), ["320106"]),
        ("鼓楼区的公交", ("350200",), ["350102"]),  # 厦门: the one in the centre's province (福州)
        ("鼓楼的公交", ("350200",), []),  # … but a short district name only in the centre's own city
        ("通州的公交", ("110000",), ["110112"]),
        ("南山的公交", ("440305", "230400"), ["440305"]),  # the citizen's location first
    ],
)
def test_ambiguity_is_resolved_by_the_preferred_regions(
    places: PlaceIndex, text: str, prefer: tuple[str, ...], expected: list[str]
) -> None:
    assert codes(places, text, *prefer) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京朝阳的出租车", ["110000", "110105"]),
        ("辽宁朝阳的班车", ["210000", "211300"]),
        ("南通通州的公交", ["320600", "320612"]),
        ("北京通州的公交", ["110000", "110112"]),
        ("福州鼓楼区", ["350100", "350102"]),
        ("我在鹤岗，南山区的公交", ["230400", "230404"]),
    ],
)
def test_a_city_or_province_in_the_text_disambiguates(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text) == expected
    assert codes(places, text, SHENZHEN) == expected  # the text wins over the centre


@pytest.mark.parametrize(
    ("text", "prefer"),
    [
        ("长安汽车的4S店售后太差", "610100"),  # 西安市长安区
        ("祝大家长安久乐", "130100"),  # 石家庄市长安区
        ("世界和平，大家都好", "120000"),  # 天津市和平区
        ("和平精英玩多了", "210100"),  # 沈阳市和平区
        ("天下太平", "210900"),  # 阜新市太平区
        ("太平洋保险的理赔员开车撞了人", "210900"),
        ("东方明珠附近打车难", "460000"),  # 海南 东方市
        ("前途一片光明", SHENZHEN),  # 深圳市光明区
        ("港口收费太高", "450600"),  # 防城港市港口区
        ("龙门架扣费两次", "441300"),  # 惠州市龙门县
        ("三元一张票太贵", "350400"),  # 三明市三元区
        ("公安局说不归他们管", "421000"),  # 荆州市公安县
        ("比如说公交车", "540600"),  # 那曲市比如县
        ("隧道里面的灯太暗了", "230100"),  # 哈尔滨市道里区
        ("老城区的出租车不打表", "410300"),  # 洛阳市老城区
        ("中山大学门口的公交站", "440100"),
        ("江南style的广场舞太吵", "450100"),
        ("宝安style的广场舞太吵", SHENZHEN),  # next to Latin letters: part of a word
        ("普洱茶叶店门口违停", "530000"),
        ("大同小异，没什么区别", "140000"),
        ("三明治店门口乱停车", "350000"),
        ("行李还没开封就被弄坏了", "410000"),
    ],
)
def test_ordinary_words_are_not_places(places: PlaceIndex, text: str, prefer: str) -> None:
    assert codes(places, text) == []
    assert codes(places, text, prefer) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("西安长安区的公交", ["610100", "610116"]),
        ("西安长安的公交", ["610100", "610116"]),
        ("天津和平的出租车", ["120000", "120101"]),
        ("海南东方的班车", ["460000", "469007"]),
        ("洛阳老城区的出租车", ["410300", "410302"]),
        ("长安区的公交", []),  # two of them, and no context
    ],
)
def test_ordinary_words_right_after_their_city_are_places(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("广州北京路的出租车", ["440100"]),  # a street named after a city
        ("上海南京路步行街", ["310000"]),
        ("我是河南人，在深圳打车被宰", ["440300"]),  # where someone is from
        ("司机说广东话", []),
        ("黄河北岸的码头", []),  # 河北 in 黄河北岸
        ("海安号客轮晚点了", []),  # a ship named after 海安
        ("南山镇的班车", []),
        ("城关镇到县城的班车停运了", []),
        ("北京路上堵了两个小时", ["110000"]),  # on the way to Beijing
    ],
)
def test_short_names_inside_other_words(places: PlaceIndex, text: str, expected: list[str]) -> None:
    assert codes(places, text, SHENZHEN) == expected


def test_no_place(places: PlaceIndex) -> None:
    assert places.find("公交车司机态度恶劣，到站不停") == ()
    assert places.find("") == ()


def test_a_text_of_nothing_but_names_reads_only_the_first_ones(places: PlaceIndex) -> None:
    # 20,000 characters (the longest text an event carries) of ambiguous names: bounded work.
    found = places.find("北京朝阳" * 5000, prefer=["440300"])
    assert len(found) == MAX_MENTIONS
    assert [place.code for place in found[:2]] == ["110000", "110105"]


def test_region_helpers() -> None:
    assert region_prefix("000000") == ""
    assert region_prefix("440000") == "44"
    assert region_prefix("440300") == "4403"
    assert region_prefix("440305") == "440305"
    assert city_prefix("440305") == "4403"
    assert city_prefix("440000") == "44"
    assert city_prefix("429004") == "429004"  # 仙桃: a county-level city under the province
    assert is_within("440305", "440300")
    assert is_within("440300", "440300")
    assert not is_within("440300", "440305")
    assert is_within("110105", "000000")
