"""The hotline's domain: the taxonomy of the regulation and the unified ticket event.

Imports no adapter (no aiohttp, no Redis, no RQ): every other package depends on this one.
"""

from domain.intake import Decision, Intake
from domain.reply import IntakeReply
from domain.supplement import SUPPLEMENT_SCHEMA_ID, SupplementKind, TicketSupplement
from domain.taxonomy import (
    FACT_LABELS,
    Category,
    ChannelName,
    DecisionKind,
    Domain,
    Fact,
    RedirectTarget,
    RefusalReason,
    fact_label,
)
from domain.ticket_event import (
    SCHEMA_ID,
    Answer,
    Attachment,
    Citizen,
    Content,
    Deadlines,
    Location,
    Recording,
    Routing,
    Source,
    TicketEvent,
)

__all__ = [
    "FACT_LABELS",
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
    "Fact",
    "Intake",
    "IntakeReply",
    "Location",
    "Recording",
    "RedirectTarget",
    "RefusalReason",
    "Routing",
    "Source",
    "SupplementKind",
    "TicketEvent",
    "TicketSupplement",
    "fact_label",
]
