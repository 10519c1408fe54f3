"""The working-day calendar: the package's State Council data, the supplementary file (a test fixture for
2027) and its validation, and the weekends-only guess where neither covers a year."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest

from gateway.policy.calendar import (
    STATUTORY_FESTIVALS,
    CalendarFileError,
    WorkingCalendar,
    load_calendar,
    load_supplement,
)

FIXTURE_2027 = Path(__file__).parents[1] / "data" / "calendar" / "2027-fixture.json"


def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE_2027.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: object, name: str = "calendar.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _working(calendar: WorkingCalendar, first: date, last: date) -> list[int]:
    """Days of the month, from `first` to `last`, that are working days."""
    return [day.day for day in _days(first, last) if calendar.is_working_day(day)]


def _days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def test_the_package_years_are_the_range_of_its_holiday_table() -> None:
    calendar = WorkingCalendar()
    assert min(calendar.package_years) == min(chinese_calendar.holidays).year == 2004
    assert max(calendar.package_years) == max(chinese_calendar.holidays).year
    assert 2026 in calendar.package_years
    assert calendar.file_years == frozenset()


def test_national_day_2026_follows_the_package() -> None:
    """2026: Mid-autumn 25–27 September, National Day 1–7 October, working Sunday 20 September and Saturday
    10 October."""
    calendar = WorkingCalendar()
    assert _working(calendar, date(2026, 9, 19), date(2026, 9, 30)) == [20, 21, 22, 23, 24, 28, 29, 30]
    assert _working(calendar, date(2026, 10, 1), date(2026, 10, 11)) == [8, 9, 10]
    assert all(calendar.is_official(day) for day in _days(date(2026, 9, 19), date(2026, 10, 11)))


def test_spring_festival_2026_follows_the_package() -> None:
    """2026: 15–23 February off, working Saturdays 14 and 28 February."""
    calendar = WorkingCalendar()
    assert _working(calendar, date(2026, 2, 14), date(2026, 2, 28)) == [14, 24, 25, 26, 27, 28]


def test_a_year_no_source_covers_is_weekends_only_and_not_official() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2027, 1, 1))  # a Friday: New Year's Day, but nobody says so yet
    assert not calendar.is_working_day(date(2027, 1, 2))
    assert not calendar.is_official(date(2027, 1, 1))
    assert calendar.is_official(date(2026, 12, 31))


def test_the_fixture_covers_2027_officially() -> None:
    calendar = load_calendar(FIXTURE_2027)
    assert calendar.file_years == frozenset({2027})
    assert calendar.is_official(date(2027, 6, 1))
    assert not calendar.is_official(date(2028, 1, 3))
    assert _working(calendar, date(2027, 1, 1), date(2027, 1, 5)) == [4, 5]
    assert _working(calendar, date(2027, 2, 4), date(2027, 2, 21)) == [4, 14, 15, 16, 17, 18, 19, 20]
    assert calendar.is_working_day(date(2026, 12, 31))  # 2026 still comes from the package
    assert calendar.source is not None
    assert "TEST FIXTURE" in calendar.source


def test_the_same_calendar_reads_from_yaml_with_unquoted_dates(tmp_path: Path) -> None:
    data = _fixture()
    lines = ["years: [2027]"]
    for table in ("holidays", "workdays", "in_lieu_days"):
        lines.append(f"{table}:")
        lines += [f"  {day}: {json.dumps(name)}" for day, name in data[table].items()]  # YAML makes dates of them
    path = tmp_path / "calendar.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from_yaml, from_json = load_supplement(path), load_supplement(FIXTURE_2027)
    assert from_yaml.years == from_json.years
    assert from_yaml.holidays == from_json.holidays
    assert from_yaml.workdays == from_json.workdays
    assert from_yaml.in_lieu_days == from_json.in_lieu_days


def test_no_file_means_the_package_alone() -> None:
    calendar = load_calendar(None)
    assert calendar.file_years == frozenset()
    assert not calendar.is_official(date(2027, 3, 1))


def test_the_file_wins_for_a_year_the_package_has_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Say the State Council makes 31 December 2026 a day off: the centre's file replaces the package's 2026."""

    def table(source: dict[date, str]) -> dict[str, str]:
        return {day.isoformat(): name for day, name in source.items() if day.year == 2026}

    holidays = table(chinese_calendar.holidays) | {"2026-12-31": "New Year's Day"}
    data = {
        "years": [2026],
        "holidays": holidays,
        "workdays": table(chinese_calendar.workdays),
        "in_lieu_days": table(chinese_calendar.in_lieu_days),
    }
    with caplog.at_level(logging.WARNING, logger="gateway.policy.calendar"):
        calendar = load_calendar(_write(tmp_path, data))
    assert calendar.overridden_years == frozenset({2026})
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.is_working_day(date(2026, 10, 10))  # the rest of 2026 as before
    assert "replaces chinese-calendar" in caplog.text
    assert "differs: 2026-12-31" in caplog.text


def _without(table: str, name: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data[table] = {day: value for day, value in data[table].items() if value != name}

    return edit


def _set(table: str, day: str, name: object) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data[table][day] = name

    return edit


def _put(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data[key] = value

    return edit


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        del data[key]

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(_put("holiday", {}), "unknown key 'holiday'", id="unknown-key"),
        pytest.param(_drop("years"), "missing key 'years'", id="no-years"),
        pytest.param(_put("years", []), "years: expected a non-empty list", id="empty-years"),
        pytest.param(_put("years", ["2027"]), "years: '2027' is not a year", id="year-as-text"),
        pytest.param(_put("years", [2027, 2027]), "years: a year is listed twice", id="year-twice"),
        pytest.param(_put("source", 7), "source: expected text", id="source-not-text"),
        pytest.param(_put("workdays", ["2027-02-14"]), "workdays: expected an object", id="table-not-object"),
        pytest.param(
            _set("holidays", "2027-02-30", "Spring Festival"), "holidays: 2027-02-30 is not a date", id="no-such-date"
        ),
        pytest.param(
            _set("holidays", "2027-2-5", "Spring Festival"), "holidays: 2027-2-5 is not a date written", id="bad-date"
        ),
        pytest.param(
            _set("holidays", "2028-01-01", "New Year's Day"),
            "holidays[2028-01-01]: 2028 is not a declared year (years: 2027)",
            id="outside-the-year",
        ),
        pytest.param(
            _set("workdays", "2026-12-27", "New Year's Day"),
            "workdays[2026-12-27]: 2026 is not a declared year",
            id="workday-outside-the-year",
        ),
        pytest.param(
            _set("holidays", "2027-10-08", "Golden Week"),
            "holidays[2027-10-08]: unknown holiday name 'Golden Week'",
            id="unknown-name",
        ),
        pytest.param(
            _set("holidays", "2027-10-08", ["National Day"]),
            "holidays[2027-10-08]: unknown holiday name ['National Day']",
            id="name-not-text",
        ),
        pytest.param(
            _without("holidays", "Dragon Boat Festival"),
            "year 2027: no holiday named Dragon Boat Festival",
            id="missing-festival",
        ),
        pytest.param(
            _without("holidays", "Mid-autumn Festival"),
            "year 2027: no holiday named Mid-autumn Festival",
            id="missing-mid-autumn",
        ),
        pytest.param(
            _set("workdays", "2027-02-15", "Spring Festival"),
            "workdays[2027-02-15]: a Monday; an adjusted working day is always a Saturday or Sunday",
            id="workday-on-a-weekday",
        ),
        pytest.param(
            _set("workdays", "2027-02-13", "Spring Festival"),
            "workdays[2027-02-13]: also listed in holidays",
            id="workday-and-holiday",
        ),
        pytest.param(
            _set("in_lieu_days", "2027-02-15", "Spring Festival"),
            "in_lieu_days[2027-02-15]: not listed in holidays",
            id="in-lieu-not-a-holiday",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_entry(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = _fixture()
    edit(data)
    path = _write(tmp_path, data)
    with pytest.raises(CalendarFileError) as caught:
        load_calendar(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)
    assert caught.value.path == path


def test_a_file_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match=r"calendar\.json: expected an object with the keys years"):
        load_supplement(_write(tmp_path, [2027]))


def test_a_date_listed_twice_in_json_is_refused(tmp_path: Path) -> None:
    text = FIXTURE_2027.read_text(encoding="utf-8").replace(
        '"2027-06-09": "Dragon Boat Festival",', '"2027-06-09": "Dragon Boat Festival", "2027-06-09": "Labour Day",'
    )
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError, match=r"twice\.json: not valid JSON: key '2027-06-09' appears twice"):
        load_supplement(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("broken.json", '{"years": [2027],', r"broken\.json: not valid JSON", id="bad-json"),
        pytest.param("broken.yaml", "years: [2027\n", r"broken\.yaml: not valid YAML", id="bad-yaml"),
        pytest.param(
            "no-such-day.yaml",
            "years: [2027]\nholidays:\n  2027-02-30: Spring Festival\n",
            r"no-such-day\.yaml: not valid YAML",
            id="yaml-date-that-does-not-exist",
        ),
        pytest.param("calendar.txt", "{}", r"calendar\.txt: unknown calendar format '\.txt'", id="unknown-suffix"),
    ],
)
def test_a_file_that_does_not_parse_is_refused(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError, match=expected):
        load_supplement(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match=r"absent\.json: cannot be read"):
        load_calendar(tmp_path / "absent.json")


def test_the_statutory_festivals_are_the_package_names() -> None:
    assert set(STATUTORY_FESTIVALS) == {
        "New Year's Day",
        "Spring Festival",
        "Tomb-sweeping Day",
        "Labour Day",
        "Dragon Boat Festival",
        "Mid-autumn Festival",
        "National Day",
    }
