"""The places a citizen's message names, as 6-digit administrative region codes.

Provinces, cities and districts/counties, by full name (广东省, 深圳市, 南山区) or short name (广东,
深圳, 南山), in simplified or traditional characters (the text goes through `gateway.kb.text.normalize`).

Where the names come from: jionlp's `dictionary/china_location.zip` (province → city → county with
codes and curated short names, updated with each jionlp release), read directly from the installed
package — jionlp itself is never imported (0.4 s and a segmenter we do not need; installing it
brings that segmenter's 145 MB of models to disk all the same). cpca was the other candidate and
lost on correctness: its `adcodes.csv` predates 2017's changes (滦县 130223 instead of 滦州市
130284, 永年县 instead of 永年区 130408, no 大同 平城区 …: 394 codes no longer valid, 273 missing)
and it has no short names below city level, so 南山 or 宝安 are never found; `import cpca` costs
0.1 s and installing it brings pandas. The matching is our own: one Aho-Corasick automaton over
~6,400 names (ahocorasick-rs, leftmost-longest: 1 µs for a 100-character message where
pyahocorasick takes 20 µs); reading the data and building the index take ~0.15 s at start-up, a
message ~20 µs of which half is `normalize` (see `bench/places_speed.py`).

Names are not unique and many are ordinary words, hence these rules (tested in
`tests/unit/test_policy_places.py`):

- Development zones and other statistical units (codes xx71–xx80) and placeholder rows
  (市直辖行政区划, the districts of Hong Kong and Macau that have no codes of their own) are left out.
- A short name followed by 路, 街, 道, 巷, 镇, 村, 门, 号, 轮, 岸, 人, 籍, 话 … names a street, a
  town, a gate, a ship, a river bank or where someone is from (北京路, 南山镇, 海安号, 黄河北岸,
  河南人), not the place the matter is in; next to Latin letters it is part of a word (江南style).
- Names that are ordinary words (`_ORDINARY`: 和平, 长安, 太平, 东方, 光明, 港口, 三元, 老城区 …) count
  only right after their city or province (天津和平, 西安长安, 海南东方, 洛阳老城区).
- Which of several places a name means, in this order: one under a place named elsewhere in the
  text (鹤岗南山区, 北京朝阳), the nearest first; one in a preferred region (the citizen's location,
  then the centre's own region, then their provinces); the one city or province of that name (西安
  is the city, not 西安区 of 辽源). A short district/county name needs a city or province in the
  text, a preferred region, or to be unique nationwide; otherwise it is ignored (南山, 鼓楼, 通州).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ahocorasick_rs import AhoCorasick, MatchKind

from gateway.kb.text import normalize

FULL, SHORT, BARE = 0, 1, 2  # official name; short name of a province or city; of a district/county
_ROW = re.compile(rb"\n(\t{0,2})([^\t\r\n]+)\t(\d{6})\t([^\t\r\n]*)")
_SELF_GOVERNED = (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗"))
_NOT_A_PLACE_AFTER = re.compile(
    "路(?!上)|大?街|道(?!路)|巷|胡同|镇|乡|村|门|号|轮|岸|人(?!民)|籍|口音|话(?!费)|菜|小异|久安|八稳|治(?!理)"
)
_NOT_A_PLACE_BEFORE = frozenset("未已拆没")  # 未开封, 已开封: a verb
# Judgement, not a list of places: names in the data that are also everyday words (reviewed among the
# names jieba or the Xinhua dictionary know as words; neither alone tells a word from a place).
_ORDINARY_TEXT = """
    中山 阿里 来宾 白银 普洱
    城区 郊区 矿区 老城区 新城区 城中区 城东区 城西区 城北区 东区 西区 南区 北区 中区
    和平 长安 太平 东方 光明 平安 解放 前进 胜利 向阳 东风 红旗 新华 友好 友谊 工农 前锋 振兴 复兴
    合作 互助 共和 民权 同心 爱民 惠民 富民 富裕 宏伟 新兴 新建 新星 新民 兴隆 延长 安定 安宁 安居
    公安 比如 南部 中原 中方 大方 丰满 小店 上街 平房 商城 山城 江城 古城 老城 新城 城关 城中 城东 城西
    城北 东城 西城 南城 北关 南关 江北 江口 河东 河西 河口 南岸 南湖 太湖 滨海 港口 海港 港北 港南 东港
    站前 中站 铁东 铁西 路北 路南 桥东 桥西 双桥 天桥 路桥 通道 运河 龙门 灯塔 钟楼 温泉 清水 清新 平原
    平和 江山 万年 三元 六合 元宝 宝塔 天涯 台前 方正 无为 无极 开化 永安 永和 长寿 长子 阳春 马尾 高台
    莲花 青山 锦江 回民 太和 道里 道外 高新区
"""
_ORDINARY = frozenset(_ORDINARY_TEXT.split())
# A message about one matter names a few places; a 20,000-character text of nothing but names must
# not cost seconds (resolution compares mentions pairwise): the first ones are read, the rest not.
MAX_MENTIONS = 64


class _Entry(NamedTuple):
    """What the automaton holds for one name."""

    short: bool  # a short name only (南山, 深圳), never an official one: the context checks apply
    ordinary: bool  # also an ordinary word (和平, 港口)
    candidates: tuple[tuple[str, int], ...]  # (code, kind) of every region of that name
    alone: str | None  # what the name means with no context: see `_alone`


@dataclass(frozen=True, slots=True)
class Place:
    """A place the text names: its code, its official name and the words that named it."""

    code: str
    name: str
    mention: str
    start: int  # offset in the normalised text


def region_prefix(code: str) -> str:
    """The code digits every place inside `code`'s region starts with: "" for 000000 (the whole
    country), 2 for a province, 4 for a city, all 6 for a district/county."""
    if code == "000000":
        return ""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def city_prefix(code: str) -> str:
    """The city a code belongs to (a district belongs to its city); a province is its own. County-level
    cities governed by the province directly (仙桃 429004, 儋州 …, codes xx90xx) are cities of their own."""
    if code.endswith("0000") or code[2:4] == "90":
        return region_prefix(code)
    return code[:4]


def is_within(code: str, region: str) -> bool:
    """Whether `code` is `region` or lies below it."""
    return code.startswith(region_prefix(region))


_Mention = tuple[int, int, _Entry]  # start, end, what the name may mean


class PlaceIndex:
    """Recognises places in text; immutable once built, safe to share between threads."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """`rows`: (depth 0/1/2 = province/city/county, official name, code, short names joined by "/")."""
        names: dict[str, str] = {}
        municipal: set[str] = set()  # 北京, 天津, 上海, 重庆: a province that is a city
        keys: dict[str, dict[str, int]] = {}  # name → {code: kind}, the most official kind per code

        def add(key: str, code: str, kind: int) -> None:
            if len(key) >= 2:
                codes = keys.setdefault(key, {})
                codes[code] = min(kind, codes.get(code, kind))

        for depth, name, code, aliases in rows:
            if not _is_region(depth, name, code):
                continue
            names.setdefault(code, name)
            if depth == 1 and code.endswith("0000"):
                municipal.add(code[:2])
            add(name, code, FULL)
            for alias in aliases.split("/"):
                add(alias, code, FULL if alias == name else BARE if depth == 2 else SHORT)
                for official, colloquial in _SELF_GOVERNED:
                    if name.endswith(official) and alias + colloquial not in keys:
                        add(alias + colloquial, code, FULL)  # 恩施州, 长阳县: how people write them
        # The text is converted traditional → simplified, which also rewrites a few simplified names
        # (乾县 → 干县): each name is entered as the converter leaves it too.
        for key, simplified in zip(list(keys), _normalize_all(list(keys)), strict=True):
            if simplified != key and simplified not in keys:
                keys[simplified] = dict(keys[key])
        self._names = names
        self._entries: list[_Entry] = []
        for key, codes in keys.items():
            short = all(kind != FULL for kind in codes.values())
            ordinary = key in _ORDINARY
            candidates = tuple(codes.items())
            self._entries.append(
                _Entry(short, ordinary, candidates, None if ordinary else _alone(candidates, municipal))
            )
        # Leftmost-longest: 深圳市南山区 is 深圳市 + 南山区, never 深圳 + 南山; 山西安康 is 山西 + 安康.
        self._matcher = AhoCorasick(list(keys), matchkind=MatchKind.LeftmostLongest)  # index i = entry i

    def __len__(self) -> int:
        return len(self._names)

    def name(self, code: str) -> str | None:
        """The official name of a region code, if the data knows it."""
        return self._names.get(code)

    def find(self, text: str, *, prefer: Sequence[str] = ()) -> tuple[Place, ...]:
        """The places `text` names, in order; `prefer`: region codes whose readings win when a name is
        ambiguous, most preferred first (the citizen's location, then the centre)."""
        plain = normalize(text)
        mentions: list[_Mention] = []
        for index, start, end in self._matcher.find_matches_as_indexes(plain):
            entry = self._entries[index]
            if not (entry.short and _not_a_place(plain, start, end)):
                mentions.append((start, end, entry))
                if len(mentions) == MAX_MENTIONS:
                    break
        if not mentions:
            return ()
        anchors = [entry.alone for _, _, entry in mentions]
        regions = _preferred(prefer)
        places: list[Place] = []
        for i, (start, end, _) in enumerate(mentions):
            code = _resolve(i, mentions, anchors, regions)
            if code is not None:
                places.append(Place(code, self._names[code], plain[start:end], start))
        return tuple(places)


def _is_region(depth: int, name: str, code: str) -> bool:
    if "直辖" in name or 71 <= int(code[4:]) <= 80:
        return False
    # Hong Kong's and Macau's districts carry the SAR's own code: they are not regions of their own.
    return not (depth == 2 and code.endswith("00"))


def _normalize_all(keys: list[str]) -> list[str]:
    # One conversion for all names (7,000 calls would cost 30 ms); names have no punctuation, so
    # the newlines come back as the only spaces — if not, one by one.
    converted = normalize("\n".join(keys)).split(" ")
    return converted if len(converted) == len(keys) else [normalize(key) for key in keys]


def _not_a_place(plain: str, start: int, end: int) -> bool:
    """A short name that is part of a street, a town, a ship, a Latin word … (see the module doc)."""
    before, after = plain[start - 1 : start], plain[end : end + 1]
    if before in _NOT_A_PLACE_BEFORE or _NOT_A_PLACE_AFTER.match(plain, end):
        return True
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())


def _alone(candidates: tuple[tuple[str, int], ...], municipal: set[str]) -> str | None:
    """The reading of a name with no context: the one province or city of that name (西安 is the city,
    not 西安区 of 辽源), else the one district or county; None when ambiguous. A district of a
    municipality is as well known as a city: 朝阳 (朝阳市 of 辽宁, 朝阳区 of 北京) stays ambiguous."""
    major = [code for code, kind in candidates if kind != BARE]
    if major and any(kind == BARE and code[:2] in municipal for code, kind in candidates):
        return None
    pool = major or [code for code, _ in candidates]
    return pool[0] if len(pool) == 1 else None


def _preferred(prefer: Sequence[str]) -> list[tuple[str, bool]]:
    """(code prefix, whether a short district/county name may be read there): the preferred regions'
    cities (or the province, for a provincial code) first, then their provinces."""
    local = [region_prefix(code) if code.endswith("0000") else city_prefix(code) for code in prefer]
    provinces = [code[:2] for code in prefer if code != "000000"]
    regions = [(prefix, True) for prefix in local if prefix]
    regions += [(prefix, False) for prefix in provinces if prefix not in local]
    return regions


def _resolve(
    i: int, mentions: list[_Mention], anchors: list[str | None], regions: list[tuple[str, bool]]
) -> str | None:
    start, end, entry = mentions[i]
    ordinary, candidates = entry.ordinary, entry.candidates
    if len(candidates) == 1 and not ordinary:
        return entry.alone  # one region of that name: nothing to choose
    # 1. Under a place named elsewhere in the text, the nearest first (an ordinary word: right after it).
    best: tuple[int, str] | None = None
    for j, anchor in enumerate(anchors):
        other_start, other_end = mentions[j][0], mentions[j][1]
        if j == i or anchor is None or (ordinary and other_end != start):
            continue
        distance = start - other_end if other_end <= start else other_start - end
        for code, _ in candidates:
            if code != anchor and is_within(code, anchor) and (best is None or distance < best[0]):
                best = (distance, code)
    if best is not None:
        return best[1]
    if ordinary:
        return None
    # 2. In a preferred region.
    for prefix, bare_ok in regions:
        inside = [code for code, kind in candidates if code.startswith(prefix) and (bare_ok or kind != BARE)]
        if inside:
            return _outermost(inside)
    # 3. The only reading.
    return entry.alone


def _outermost(codes: list[str]) -> str | None:
    """The one code that contains all the others (朝阳市 over 朝阳县), or the only one; else None."""
    for code in codes:
        if all(is_within(other, code) for other in codes):
            return code
    return None


# -- jionlp's data -----------------------------------------------------------------------------------


def jionlp_location_file() -> Path:
    """jionlp's place dictionary, found without importing jionlp."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the jionlp package is not installed: it provides the place names (pip install jionlp)")
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary" / "china_location.zip"


def read_location_rows(path: Path) -> list[tuple[int, str, str, str]]:
    """(depth, official name, code, short names) of every province, city and county in the file; the
    towns and villages below them (lines with no code) are skipped."""
    with zipfile.ZipFile(path) as archive:
        data = b"\n" + archive.read("china_location.txt")
    rows = [(len(d), n.decode(), c.decode(), a.decode()) for d, n, c, a in _ROW.findall(data)]
    if len(rows) < 3000:
        raise RuntimeError(f"{path}: {len(rows)} regions read; its format may have changed")
    return rows


_DEFAULT: list[PlaceIndex] = []
_DEFAULT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def default_rows() -> tuple[tuple[int, str, str, str], ...]:
    """jionlp's regions (`read_location_rows`), read once per process."""
    return tuple(read_location_rows(jionlp_location_file()))


def default_places() -> PlaceIndex:
    """The process's index over jionlp's data, built on first use."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(PlaceIndex(default_rows()))
        return _DEFAULT[0]


def city_names() -> tuple[str, ...]:
    """The short names of the prefecture-level cities (广州, 乌鲁木齐, 恩施 …), as the text normaliser
    writes them: what a railway station is named after (广州南站, 北京西站)."""
    names = {alias for depth, _, _, aliases in default_rows() if depth == 1 for alias in aliases.split("/")}
    return tuple(sorted(name for name in _normalize_all(sorted(names)) if len(name) >= 2))
