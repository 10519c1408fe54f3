"""The hotline's domain: the taxonomy of the regulation and the unified ticket event.

Imports no adapter (no aiohttp, no Redis, no RQ): every other package depends on this one.
"""

from domain.intake import Decision, Intake
from domain.reply import IntakeReply
from domain.supplement import SUPPLEMENT_SCHEMA_ID, SupplementKind, TicketSupplement
from domain.taxonomy import Category, ChannelName, DecisionKind, Domain, RedirectTarget, RefusalReason
from domain.ticket_event import (
    SCHEMA_ID,
    Answer,
    Attachment,
    Citizen,
    Content,
    Deadlines,
    Location,
    Routing,
    Source,
    TicketEvent,
)

__all__ = [
    "SCHEMA_ID",
    "SUPPLEMENT_SCHEMA_ID",
    "Answer",
    "Attachment",
    "Category",
    "ChannelName",
    "Citizen",
    "Content",
    "Deadlines",
    "Decision",
    "DecisionKind",
    "Domain",
    "Intake",
    "IntakeReply",
    "Location",
    "RedirectTarget",
    "RefusalReason",
    "Routing",
    "Source",
    "SupplementKind",
    "TicketEvent",
    "TicketSupplement",
]
