"""The regulation's policy step (12328热线管理办法): classification, refusals, redirects, urgent
matters, missing facts (`classifier`), routing (`routing`, `places`) and deadlines on the working-day
calendar (`deadlines`, `calendar`), as one `Decider` (`decider`, wired by `bootstrap`)."""

from gateway.policy.calendar import CalendarFileError, WorkingCalendar, load_calendar
from gateway.policy.classifier import Classification, Classifier
from gateway.policy.deadlines import compute_deadlines, extend
from gateway.policy.decider import PolicyDecider
from gateway.policy.routing import route

__all__ = [
    "CalendarFileError",
    "Classification",
    "Classifier",
    "PolicyDecider",
    "WorkingCalendar",
    "compute_deadlines",
    "extend",
    "load_calendar",
    "route",
]
