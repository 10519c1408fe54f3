"""Handling deadlines (第十七、二十三、二十四条) on the 2026 State Council calendar of the package, and into 2027
with and without the supplementary calendar (a test fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain import Category, Deadlines
from gateway.policy.calendar import WorkingCalendar, load_calendar
from gateway.policy.deadlines import compute_deadlines, extend
from normalizers.time import SHANGHAI

FIXTURE_2027 = Path(__file__).parents[1] / "data" / "calendar" / "2027-fixture.json"
PLUS_8 = timedelta(hours=8)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def _end(year: int, month: int, day: int) -> datetime:
    return _at(year, month, day, 23, 59, 59)


def test_a_friday_evening_complaint(calendar: WorkingCalendar) -> None:
    """Friday 27 November 2026, 18:00: six hours run on Friday, the other 18 on Monday."""
    deadlines = compute_deadlines(_at(2026, 11, 27, 18), Category.COMPLAINT, calendar)
    assert deadlines == Deadlines(transfer_by=_at(2026, 11, 30, 18), reply_by=_end(2026, 12, 11), calendar="official")


def test_a_saturday_inquiry(calendar: WorkingCalendar) -> None:
    """No hour of the weekend counts: due at the end of Monday; replied within Mon, Tue, Wed."""
    deadlines = compute_deadlines(_at(2026, 11, 28, 10, 30), Category.INQUIRY, calendar)
    assert deadlines.transfer_by == _end(2026, 11, 30)
    assert deadlines.reply_by == _end(2026, 12, 2)
    assert deadlines.calendar == "official"


def test_a_suggestion_has_five_working_days(calendar: WorkingCalendar) -> None:
    deadlines = compute_deadlines(_at(2026, 11, 24, 9), Category.SUGGESTION, calendar)  # a Tuesday
    assert deadlines.transfer_by == _at(2026, 11, 25, 9)
    assert deadlines.reply_by == _end(2026, 12, 1)


def test_an_unclassified_matter_gets_the_complaint_period(calendar: WorkingCalendar) -> None:
    unclassified = compute_deadlines(_at(2026, 11, 27, 18), None, calendar)
    assert unclassified == compute_deadlines(_at(2026, 11, 27, 18), Category.COMPLAINT, calendar)


def test_national_day_week_2026(calendar: WorkingCalendar) -> None:
    """Received Wednesday 30 September 15:00: nine hours that day, then 1–7 October off; the 15 hours left
    run on Thursday 8 October. The working Saturday 10 October counts toward the ten days."""
    deadlines = compute_deadlines(_at(2026, 9, 30, 15), Category.COMPLAINT, calendar)
    assert deadlines.transfer_by == _at(2026, 10, 8, 15)
    # 8, 9, 10 (Sat), 12, 13, 14, 15, 16, 19, 20
    assert deadlines.reply_by == _end(2026, 10, 20)
    assert deadlines.calendar == "official"


def test_the_adjusted_working_sunday_before_national_day(calendar: WorkingCalendar) -> None:
    """Saturday 19 September: Sunday 20 September is a working day, so the transfer is due that Sunday."""
    deadlines = compute_deadlines(_at(2026, 9, 19, 11), Category.INQUIRY, calendar)
    assert deadlines.transfer_by == _end(2026, 9, 20)
    assert deadlines.reply_by == _end(2026, 9, 22)


def test_the_adjusted_working_saturday_after_national_day(calendar: WorkingCalendar) -> None:
    deadlines = compute_deadlines(_at(2026, 10, 9, 18), Category.INQUIRY, calendar)
    assert deadlines.transfer_by == _at(2026, 10, 10, 18)  # Saturday 10 October is worked
    assert deadlines.reply_by == _end(2026, 10, 13)  # 10 (Sat), 12, 13


def test_spring_festival_2026(calendar: WorkingCalendar) -> None:
    """15–23 February off, Saturdays 14 and 28 February worked."""
    friday_evening = compute_deadlines(_at(2026, 2, 13, 20), Category.SUGGESTION, calendar)
    assert friday_evening.transfer_by == _at(2026, 2, 14, 20)  # four hours Friday, twenty on the working Saturday
    assert friday_evening.reply_by == _end(2026, 2, 27)  # 14, 24, 25, 26, 27

    during_the_holiday = compute_deadlines(_at(2026, 2, 17, 9), Category.COMPLAINT, calendar)
    assert during_the_holiday.transfer_by == _end(2026, 2, 24)
    assert during_the_holiday.reply_by == _end(2026, 3, 6)  # 24, 25, 26, 27, 28 (Sat), 2, 3, 4, 5, 6
    assert during_the_holiday.calendar == "official"


def test_a_complaint_running_into_2027_without_the_supplementary_file(calendar: WorkingCalendar) -> None:
    """Nobody has told the gateway about 2027: 1 January counts as the Friday it is, and the result says so."""
    deadlines = compute_deadlines(_at(2026, 12, 28, 10), Category.COMPLAINT, calendar)
    assert deadlines.transfer_by == _at(2026, 12, 29, 10)
    # 29, 30, 31, 1 (guessed), 4, 5, 6, 7, 8, 11
    assert deadlines.reply_by == _end(2027, 1, 11)
    assert deadlines.calendar == "estimated"


def test_a_complaint_running_into_2027_with_the_fixture() -> None:
    deadlines = compute_deadlines(_at(2026, 12, 28, 10), Category.COMPLAINT, load_calendar(FIXTURE_2027))
    assert deadlines.transfer_by == _at(2026, 12, 29, 10)
    # 29, 30, 31, then New Year's Day off: 4, 5, 6, 7, 8, 11, 12
    assert deadlines.reply_by == _end(2027, 1, 12)
    assert deadlines.calendar == "official"


def test_a_transfer_alone_in_an_uncovered_year_marks_the_result_estimated(calendar: WorkingCalendar) -> None:
    deadlines = compute_deadlines(_at(2026, 12, 31, 23), Category.INQUIRY, calendar)
    assert deadlines.transfer_by == _at(2027, 1, 1, 23)
    assert deadlines.calendar == "estimated"


def test_received_at_in_utc_is_converted_to_shanghai(calendar: WorkingCalendar) -> None:
    """10:00 UTC on Friday is 18:00 in Shanghai: the Friday-evening case, and every time comes back in +08:00."""
    deadlines = compute_deadlines(datetime(2026, 11, 27, 10, tzinfo=UTC), Category.COMPLAINT, calendar)
    assert deadlines.transfer_by == _at(2026, 11, 30, 18)
    assert deadlines.transfer_by.utcoffset() == PLUS_8
    assert deadlines.reply_by.utcoffset() == PLUS_8
    assert deadlines.transfer_by.isoformat() == "2026-11-30T18:00:00+08:00"
    assert deadlines.reply_by.isoformat() == "2026-12-11T23:59:59+08:00"


def test_the_day_of_receipt_is_the_shanghai_day(calendar: WorkingCalendar) -> None:
    """20:00 UTC on Friday is already Saturday 04:00 in Shanghai: a Saturday matter, not a Friday one."""
    from_utc = compute_deadlines(datetime(2026, 11, 27, 20, tzinfo=UTC), Category.INQUIRY, calendar)
    from_new_york = compute_deadlines(
        datetime(2026, 11, 27, 15, tzinfo=timezone(timedelta(hours=-5))), Category.INQUIRY, calendar
    )
    assert from_utc == from_new_york
    assert from_utc.transfer_by == _end(2026, 11, 30)
    assert from_utc.reply_by == _end(2026, 12, 2)


def test_an_extension_moves_the_reply_deadline_only(calendar: WorkingCalendar) -> None:
    deadlines = compute_deadlines(_at(2026, 11, 27, 18), Category.COMPLAINT, calendar)
    extended = extend(deadlines, 10, calendar)
    assert extended.transfer_by == deadlines.transfer_by
    assert extended.reply_by == _end(2026, 12, 25)  # 14–18 and 21–25 December
    assert extended.calendar == "official"
    assert extend(deadlines, 1, calendar).reply_by == _end(2026, 12, 14)


@pytest.mark.parametrize("working_days", [0, -1, 11, 30])
def test_an_extension_beyond_the_limits_is_refused(calendar: WorkingCalendar, working_days: int) -> None:
    deadlines = compute_deadlines(_at(2026, 11, 27, 18), Category.COMPLAINT, calendar)
    with pytest.raises(ValueError, match="1 to 10 working days"):
        extend(deadlines, working_days, calendar)


def test_an_extension_into_an_uncovered_year_is_estimated(calendar: WorkingCalendar) -> None:
    deadlines = compute_deadlines(_at(2026, 12, 14, 9), Category.COMPLAINT, calendar)
    assert deadlines.reply_by == _end(2026, 12, 28)
    assert deadlines.calendar == "official"
    extended = extend(deadlines, 5, calendar)
    assert extended.reply_by == _end(2027, 1, 4)  # 29, 30, 31, 1 (guessed), 4
    assert extended.calendar == "estimated"
    with_fixture = extend(deadlines, 5, load_calendar(FIXTURE_2027))
    assert with_fixture.reply_by == _end(2027, 1, 5)
    assert with_fixture.calendar == "official"


def test_a_naive_received_at_is_taken_as_shanghai_wall_time(calendar: WorkingCalendar) -> None:
    """As `normalizers.time.to_shanghai` does everywhere in the gateway."""
    naive = compute_deadlines(datetime(2026, 11, 27, 18), Category.COMPLAINT, calendar)
    assert naive == compute_deadlines(_at(2026, 11, 27, 18), Category.COMPLAINT, calendar)
