"""Wiring of the policy step from the settings: one place, used by the app and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.policy.calendar import load_calendar
from gateway.policy.classifier import Classifier
from gateway.policy.decider import PolicyDecider
from gateway.policy.places import default_places

if TYPE_CHECKING:
    from gateway.settings import Settings


def policy_decider(settings: Settings) -> PolicyDecider:
    """The regulation's decider; a bad `HOTLINE_CALENDAR_FILE` fails here, at start-up, naming the
    file and the entry (`gateway.policy.calendar.CalendarFileError`)."""
    calendar = load_calendar(settings.calendar_file)
    default_places()  # built now (~0.15 s), not on the first citizen's message
    return PolicyDecider(Classifier(), calendar, settings.region_code)
