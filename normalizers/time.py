"""Times in the hotline's own zone: every event carries Asia/Shanghai (+08:00) times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_shanghai(moment: datetime) -> datetime:
    """An aware datetime in +08:00; a naive one is taken as already being Shanghai local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def now_shanghai() -> datetime:
    return datetime.now(SHANGHAI)
