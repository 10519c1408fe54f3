"""Wiring of the policy step from the settings: one place, used by the app and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.policy.calendar import load_calendar
from gateway.policy.classifier import Classifier
from gateway.policy.decider import PolicyDecider

if TYPE_CHECKING:
    from gateway.settings import Settings


def policy_decider(settings: Settings) -> PolicyDecider:
    """The regulation's decider; a bad `HOTLINE_CALENDAR_FILE` fails here, at start-up, naming the
    file and the entry (`gateway.policy.calendar.CalendarFileError`)."""
    return PolicyDecider(Classifier(), load_calendar(settings.calendar_file), settings.region_code)
