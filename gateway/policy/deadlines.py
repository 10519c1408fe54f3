"""Handling deadlines of an accepted matter (第十七、十八、二十三、二十四条), in the working days of a
`WorkingCalendar`.

- `transfer_by` (第十七、十八条 "24小时内（非工作日顺延）"): 24 hours counted on working days only. The
  hours of a non-working day do not run, so a Friday 18:00 matter is due Monday 18:00 and one received on
  Saturday is due at the end of the next working day.
- `reply_by` (第二十三条): the end of the 3rd (inquiry), 5th (suggestion) or 10th (complaint) working day
  after the day of receipt. The day of receipt is not counted and a period ends at 24:00 of its last day
  (民法典第二百零一、二百零三条); 23:59:59 is that end written as a time of the day it belongs to. The
  article counts from the day the handling unit receives the transferred ticket; the gateway knows only
  the receipt, which is never later, so the deadline it sets is on the safe side.
- `calendar`: "official" when every day the computation walked over is covered by the State Council's
  data (package or supplementary file); otherwise "estimated" (weekends-only guess for some day).

Every time is returned in Asia/Shanghai (+08:00), whatever the zone of the input; a naive input is taken
as Shanghai wall time, as everywhere else in the gateway (`normalizers.time.to_shanghai`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal

from domain import Category, Deadlines
from gateway.policy.calendar import WorkingCalendar
from normalizers.time import SHANGHAI, to_shanghai

TRANSFER_WINDOW = timedelta(hours=24)  # 第十七、十八条
REPLY_WORKING_DAYS: Mapping[Category, int] = {  # 第二十三条 (一)(二)(三)
    Category.INQUIRY: 3,
    Category.SUGGESTION: 5,
    Category.COMPLAINT: 10,
}
# A matter not yet classified gets the complaint's 10 days: the longest period 第二十三条 sets for any kind, so
# the gateway never imposes a deadline the article does not (a complaint held to 3 days would be); once an
# operator classifies it, `compute_deadlines` with the category gives the shorter one.
UNCLASSIFIED_CATEGORY = Category.COMPLAINT
MAX_EXTENSION_WORKING_DAYS = 10  # 第二十四条
_END_OF_DAY = time(23, 59, 59)

CalendarKind = Literal["official", "estimated"]


def compute_deadlines(received_at: datetime, category: Category | None, calendar: WorkingCalendar) -> Deadlines:
    """The transfer and reply deadlines of a matter received at `received_at`."""
    received = to_shanghai(received_at)
    transfer_by, transfer_official = _after_working_hours(received, TRANSFER_WINDOW, calendar)
    working_days = REPLY_WORKING_DAYS[category or UNCLASSIFIED_CATEGORY]
    reply_day, reply_official = _nth_working_day_after(received.date(), working_days, calendar)
    return Deadlines(
        transfer_by=transfer_by,
        reply_by=_end_of(reply_day),
        calendar=_kind(transfer_official and reply_official),
    )


def extend(deadlines: Deadlines, working_days: int, calendar: WorkingCalendar) -> Deadlines:
    """`deadlines` with `reply_by` moved `working_days` working days later (第二十四条).

    The article caps an extension at 10 working days; a value outside 1–10 raises ValueError. The cap is per
    call: `Deadlines` does not record earlier extensions, so whoever approves one (the ticketing core) must
    not extend the same ticket twice. An estimated deadline stays estimated.
    """
    if not 1 <= working_days <= MAX_EXTENSION_WORKING_DAYS:
        raise ValueError(
            f"an extension is 1 to {MAX_EXTENSION_WORKING_DAYS} working days (第二十四条), not {working_days}"
        )
    reply_day, official = _nth_working_day_after(to_shanghai(deadlines.reply_by).date(), working_days, calendar)
    return Deadlines(
        transfer_by=to_shanghai(deadlines.transfer_by),
        reply_by=_end_of(reply_day),
        calendar=_kind(official and deadlines.calendar == "official"),
    )


def _after_working_hours(start: datetime, span: timedelta, calendar: WorkingCalendar) -> tuple[datetime, bool]:
    """The moment `span` of working-day time after `start`, and whether every day walked was official.

    A span that ends exactly at midnight ends at 23:59:59 of its last working day instead, so that the
    deadline never falls on the (possibly non-working) day after.
    """
    remaining, cursor, official = span, start, True
    while True:
        day = cursor.date()
        official = official and calendar.is_official(day)
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI)
        if calendar.is_working_day(day):
            left_today = next_midnight - cursor
            if remaining < left_today:
                return cursor + remaining, official
            if remaining == left_today:
                return _end_of(day), official
            remaining -= left_today
        cursor = next_midnight


def _nth_working_day_after(day: date, count: int, calendar: WorkingCalendar) -> tuple[date, bool]:
    """The `count`-th working day after `day` (not counting `day`), and whether every day walked was official."""
    official = True
    while count > 0:
        day += timedelta(days=1)
        official = official and calendar.is_official(day)
        if calendar.is_working_day(day):
            count -= 1
    return day, official


def _end_of(day: date) -> datetime:
    return datetime.combine(day, _END_OF_DAY, tzinfo=SHANGHAI)


def _kind(official: bool) -> CalendarKind:
    return "official" if official else "estimated"
