"""Working days on the State Council holiday calendar: the unit 第十七、十八、二十三、二十四条 count in.

A date's working status comes from the first of these that covers its year:

1. the supplementary calendar file (`HOTLINE_CALENDAR_FILE`), for the whole years it declares;
2. the `chinese-calendar` package, for the years from the first to the last of its `holidays` table (the
   range its own `_validate_date` accepts: 2004–2026 in 1.11);
3. neither: Monday–Friday work, Saturday and Sunday rest — and the day is not *official*, so a deadline
   that walks over it is marked `calendar: "estimated"` (DESIGN.md, "Taxonomy").

For a year both cover, the file wins and replaces the package's data for that year whole (dates are not
merged). Why: the package follows the State Council's November notice by weeks, and a published year can
change (2020's Spring Festival was extended by notice on 27 January 2020), so the centre must be able to
publish or correct a year without a release; and a package upgrade that later covers the file's years
must not stop the gateway from starting. `load_calendar` logs a warning naming the days on which the two
disagree, so that a stale file does not go unnoticed.

The file (JSON, or YAML by its `.yaml`/`.yml` suffix) has the shape of the package's tables::

    {"years": [2027],
     "source": "国办发明电〔2026〕N号",                       (optional, free text)
     "holidays": {"2027-01-01": "New Year's Day", ...},     days off, weekends inside a break included
     "workdays": {"2027-02-14": "Spring Festival", ...},    adjusted working Saturdays and Sundays
     "in_lieu_days": {"2027-02-11": "Spring Festival", ...}} days off repaid by a working weekend day

Names are the package's `Holiday` values. The whole file is checked before anything uses it, and the
first problem is raised as `CalendarFileError` naming the file and the entry: every date falls in a
declared year; every declared year has a holiday for each of the seven statutory festivals (when
Mid-autumn falls inside the National Day break, its own day is labelled "Mid-autumn Festival", as the
package does for 2023 and 2025); adjusted working days fall on Saturdays or Sundays and are not also
holidays; in-lieu days are holidays.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

log = logging.getLogger(__name__)

_Holiday = chinese_calendar.Holiday
STATUTORY_FESTIVALS: tuple[str, ...] = tuple(
    festival.value
    for festival in (
        _Holiday.new_years_day,
        _Holiday.spring_festival,
        _Holiday.tomb_sweeping_day,
        _Holiday.labour_day,
        _Holiday.dragon_boat_festival,
        _Holiday.mid_autumn_festival,
        _Holiday.national_day,
    )
)
HOLIDAY_NAMES: frozenset[str] = frozenset(festival.value for festival in _Holiday)
_TABLES = ("holidays", "workdays", "in_lieu_days")
_KEYS = ("years", "source", *_TABLES)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarFileError(ValueError):
    """A supplementary calendar file that cannot be used; the message names the file and the entry."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.message = message


@dataclass(frozen=True)
class SupplementaryCalendar:
    """Whole years of the State Council calendar read from a file, already validated."""

    years: frozenset[int]
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]
    in_lieu_days: Mapping[date, str]
    source: str | None = None


class WorkingCalendar:
    """Which days are working days, and whether official data (package or file) says so."""

    def __init__(self, supplement: SupplementaryCalendar | None = None) -> None:
        package_holidays: dict[date, str] = dict(chinese_calendar.holidays)
        package_workdays: dict[date, str] = dict(chinese_calendar.workdays)
        self.package_years = frozenset(range(min(package_holidays).year, max(package_holidays).year + 1))
        self.file_years: frozenset[int] = supplement.years if supplement else frozenset()
        self.official_years = self.package_years | self.file_years
        self.source = supplement.source if supplement else None
        self._holidays = {day for day in package_holidays if day.year not in self.file_years}
        self._workdays = {day for day in package_workdays if day.year not in self.file_years}
        if supplement:
            self._holidays.update(supplement.holidays)
            self._workdays.update(supplement.workdays)

    @property
    def overridden_years(self) -> frozenset[int]:
        """Years the file declares although the package has them too (the file's data is used)."""
        return self.package_years & self.file_years

    def is_working_day(self, day: date) -> bool:
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def is_official(self, day: date) -> bool:
        """False where neither source covers the year: the working status is a weekends-only guess."""
        return day.year in self.official_years


def load_calendar(path: Path | str | None) -> WorkingCalendar:
    """The calendar for the settings' `HOTLINE_CALENDAR_FILE` (None: the package alone).

    Raises `CalendarFileError` for a file that cannot be used: better to refuse to start than to promise
    citizens deadlines on a calendar nobody checked.
    """
    if path is None:
        return WorkingCalendar()
    calendar = WorkingCalendar(load_supplement(path))
    if calendar.overridden_years:
        package = WorkingCalendar()
        differing = [
            day.isoformat()
            for day in _days_of(calendar.overridden_years)
            if calendar.is_working_day(day) != package.is_working_day(day)
        ]
        log.warning(
            "calendar file %s replaces chinese-calendar %s for %s; days whose working status differs: %s",
            path,
            chinese_calendar.__version__,
            ", ".join(map(str, sorted(calendar.overridden_years))),
            ", ".join(differing) or "none",
        )
    return calendar


def load_supplement(path: Path | str) -> SupplementaryCalendar:
    """The validated supplementary calendar at `path` (JSON, or YAML by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise CalendarFileError(path, f"unknown calendar format {suffix or '(no suffix)'!r}; use .json, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileError(path, f"cannot be read: {exc}") from exc
    try:
        # A YAML date that does not exist (2027-02-30) raises ValueError from the constructor, not YAMLError.
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CalendarFileError(path, f"not valid {suffix[1:].upper()}: {exc}") from exc
    return parse_supplement(data, path)


def parse_supplement(data: Any, path: Path | str) -> SupplementaryCalendar:
    """Validates an already parsed file whole; `path` only names the file in errors."""
    if not isinstance(data, dict):
        raise CalendarFileError(path, f"expected an object with the keys {', '.join(_KEYS)}")
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise CalendarFileError(path, f"unknown key {unknown[0]!r}; the keys are {', '.join(_KEYS)}")
    for required in ("years", "holidays"):
        if required not in data:
            raise CalendarFileError(path, f"missing key {required!r}")
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise CalendarFileError(path, "source: expected text")
    years = _years(data["years"], path)
    holidays, workdays, in_lieu_days = (_table(data.get(name, {}), name, years, path) for name in _TABLES)
    _check_whole_years(years, holidays, workdays, in_lieu_days, path)
    return SupplementaryCalendar(years, holidays, workdays, in_lieu_days, source)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys silently; a date listed twice is a mistake to show."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice")
        result[key] = value
    return result


def _years(raw: Any, path: Path | str) -> frozenset[int]:
    if not isinstance(raw, list) or not raw:
        raise CalendarFileError(path, "years: expected a non-empty list of years, e.g. [2027]")
    for year in raw:
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise CalendarFileError(path, f"years: {year!r} is not a year")
    if len(set(raw)) != len(raw):
        raise CalendarFileError(path, "years: a year is listed twice")
    return frozenset(raw)


def _table(raw: Any, name: str, years: frozenset[int], path: Path | str) -> dict[date, str]:
    if not isinstance(raw, dict):
        raise CalendarFileError(path, f"{name}: expected an object mapping YYYY-MM-DD to a holiday name")
    table: dict[date, str] = {}
    for key, value in raw.items():
        day = _date_key(key)
        if day is None:
            raise CalendarFileError(path, f"{name}: {key!s:.40} is not a date written YYYY-MM-DD")
        entry = f"{name}[{day.isoformat()}]"
        if day in table:
            raise CalendarFileError(path, f"{entry}: listed twice")
        if day.year not in years:
            declared = ", ".join(map(str, sorted(years)))
            raise CalendarFileError(path, f"{entry}: {day.year} is not a declared year (years: {declared})")
        if not isinstance(value, str) or value not in HOLIDAY_NAMES:
            raise CalendarFileError(
                path, f"{entry}: unknown holiday name {value!r}; use one of {', '.join(sorted(HOLIDAY_NAMES))}"
            )
        table[day] = value
    return table


def _date_key(key: Any) -> date | None:
    """A table key as a date: text YYYY-MM-DD, or the date YAML makes of an unquoted one."""
    if isinstance(key, date) and not isinstance(key, datetime):
        return key
    if isinstance(key, str) and _ISO_DATE.fullmatch(key):
        try:
            return date.fromisoformat(key)
        except ValueError:
            return None
    return None


def _check_whole_years(
    years: frozenset[int],
    holidays: Mapping[date, str],
    workdays: Mapping[date, str],
    in_lieu_days: Mapping[date, str],
    path: Path | str,
) -> None:
    """A declared year replaces everything else for that year, so half a year would be worse than none."""
    for year in sorted(years):
        named = {name for day, name in holidays.items() if day.year == year}
        missing = [festival for festival in STATUTORY_FESTIVALS if festival not in named]
        if missing:
            raise CalendarFileError(
                path,
                f"year {year}: no holiday named {', '.join(missing)}; a declared year lists every statutory"
                " festival (when Mid-autumn falls inside the National Day break, label its own day"
                " 'Mid-autumn Festival')",
            )
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise CalendarFileError(
                path, f"workdays[{day}]: a {day:%A}; an adjusted working day is always a Saturday or Sunday"
            )
        if day in holidays:
            raise CalendarFileError(path, f"workdays[{day}]: also listed in holidays")
    for day in sorted(in_lieu_days):
        if day not in holidays:
            raise CalendarFileError(path, f"in_lieu_days[{day}]: not listed in holidays (an in-lieu day is a day off)")


def _days_of(years: frozenset[int]) -> Iterator[date]:
    for year in sorted(years):
        day = date(year, 1, 1)
        while day.year == year:
            yield day
            day += timedelta(days=1)
