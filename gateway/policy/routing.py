"""Where a matter goes: the `routing` of a `TicketEvent` (第十八、二十一、二十五条).

The centre's own code (`HOTLINE_REGION_CODE`) says what kind of centre this is: a code ending in
0000 is a provincial centre (000000, unconfigured, counts as one for the whole country); any other
is a city centre, whose region is its city (the first 4 digits; a district code belongs to its city).

Where the matter is: the places its text names (`gateway.policy.places`; the citizen's location and
then the centre's region decide what an ambiguous name means). When the text does not say — it
names no place, or only the centre's own province — the citizen's location as the app reports it
stands in: a citizen who writes "南山的站牌坏了" from a trip to 东莞 reports a matter in 南山.

For a city centre, the matter goes up to the provincial centre (level "provincial") when:

- 第十八条: it concerns two or more administrative regions (涉及两个以上行政区域管理职责: 报请上级
  协调转办) — it is in another city or another province, or spans several cities;
- 第二十一条(三): it is in the maritime, salvage or maritime search-and-rescue domain (交通运输部直属
  海事、救助打捞): taken in locally, then transferred to the provincial centre.

And 第二十五条: every complaint (投诉举报) a city centre takes in is also passed to the provincial
centre (同步流转), which tracks and reviews it — `copy_to=("provincial",)`, whatever the level: the
copy carries that review duty, the level the coordination of 第十八、二十一条. A provincial centre
handles everything at its own level and copies nothing.

`region_code`: the most specific code of where the matter is, when that lies within the centre's
region (several places: the smallest region holding them all, 南山 and 福田 → 深圳市); for a matter in
one other province, its place there (so the provincial centre knows where to coordinate); otherwise
the centre's own code — also for another city of the centre's province, which raises the level but
is reported from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from domain.taxonomy import Category, Domain
from domain.ticket_event import Routing
from gateway.policy.places import PlaceIndex, city_prefix, default_places, is_within, region_prefix

# 第二十一条: domains of bodies directly under the Ministry (海事、救助打捞) and 海上搜救.
PROVINCIAL_DOMAINS = frozenset({Domain.MARITIME, Domain.SALVAGE, Domain.MARITIME_SAR})
_CODE = re.compile(r"\d{6}")


def route(
    text: str,
    *,
    domain: Domain | None,
    category: Category | None,
    centre_region_code: str,
    location_region_code: str | None = None,
    places: PlaceIndex | None = None,
) -> Routing:
    """The routing of one matter; `places` defaults to the process's index (`default_places()`)."""
    centre = centre_region_code
    if not _CODE.fullmatch(centre):
        raise ValueError(f"centre region code {centre!r} is not 6 digits")
    location = location_region_code
    if location is not None and (not _CODE.fullmatch(location) or location == "000000"):
        location = None  # the app sends what it has: an unknown location is none
    prefer = [code for code in (location, centre) if code is not None]
    where = [place.code for place in (places or default_places()).find(text, prefer=prefer)]
    own_province = centre[:2] + "0000"
    if location is not None and all(code == own_province for code in where):
        where.append(location)

    provincial_centre = centre.endswith("0000")
    region = region_prefix(centre) if provincial_centre else city_prefix(centre)
    region_code = _region_code(centre, region, where)
    if provincial_centre:
        return Routing(region_code=region_code, level="provincial")
    elsewhere = _crosses_regions(centre, region, where)
    level: Literal["city", "provincial"] = "provincial" if elsewhere or domain in PROVINCIAL_DOMAINS else "city"
    copy_to: tuple[Literal["provincial"], ...] = ("provincial",) if category is Category.COMPLAINT else ()
    return Routing(region_code=region_code, level=level, copy_to=copy_to)


def serves(centre_region_code: str, region_code: str) -> bool:
    """Whether a matter of `region_code` is in the centre's own region: its province for a
    provincial centre, its city for a city centre (第十二条: each centre takes the transfers of the
    12345 platform of its own level)."""
    centre = centre_region_code
    region = region_prefix(centre) if centre.endswith("0000") else city_prefix(centre)
    return region_code.startswith(region)


def _crosses_regions(centre: str, city: str, codes: list[str]) -> bool:
    """第十八条 for a city centre: a place in another province, in another city, or in several cities.
    The centre's own province named as such (广东的高速) is no other region."""
    for code in codes:
        if code[:2] != centre[:2]:
            return True
        if not code.endswith("0000") and city_prefix(code) != city:
            return True
    return False


def _region_code(centre: str, region: str, where: list[str]) -> str:
    inside = [code for code in where if code.startswith(region)]
    if inside:
        return _smallest_common(inside)
    # The centre's own province named as such (我是广东的) says nothing of where the matter is.
    places = [code for code in where if code != centre[:2] + "0000"]
    if places and len({code[:2] for code in places}) == 1 and places[0][:2] != centre[:2]:
        return _smallest_common(places)
    return centre


def _smallest_common(codes: Iterable[str]) -> str:
    """The smallest region holding every code: 440305 + 440300 → 440305 (深圳市 holds 南山区),
    440305 + 440304 → 440300, 440305 + 441900 → 440000."""
    distinct = set(codes)
    # A region named together with a place inside it (深圳 … 南山区) adds nothing.
    deepest = [code for code in distinct if not any(other != code and is_within(other, code) for other in distinct)]
    for length in (6, 4, 2):
        heads = {code[:length] for code in deepest}
        if len(heads) == 1:
            head = heads.pop()
            # 省直辖县级 (xx90xx) share 4 digits but no city: 429004 + 429005 → 湖北省.
            if length == 4 and head.endswith("90"):
                continue
            return head.ljust(6, "0")
    return "000000"
