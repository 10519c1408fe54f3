"""What the pipeline works on before an event exists: the normalised submission and its decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.taxonomy import Category, ChannelName, DecisionKind, Domain, RedirectTarget, RefusalReason
from domain.ticket_event import Answer, Citizen, Content, Deadlines, Routing, Source


@dataclass(frozen=True, slots=True)
class Intake:
    """A verified, parsed and normalised submission: a `TicketEvent` without decision or number.

    `category_hint`/`domain_hint` are what the citizen chose in the app or form: a strong hint
    for the policy step, not a blind override.
    """

    channel: ChannelName
    idempotency_key: str
    received_at: datetime
    citizen: Citizen
    content: Content
    source: Source
    category_hint: Category | None = None
    domain_hint: Domain | None = None
    interactive: bool = True  # False for machine channels that cannot answer a question back


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of the decision step: everything about the event that policy decides."""

    decision: DecisionKind
    category: Category | None
    domain: Domain | None
    routing: Routing
    reason: RefusalReason | None = None
    redirect: RedirectTarget | None = None
    urgent: bool = False
    answer: Answer | None = None
    missing_facts: tuple[str, ...] = field(default_factory=tuple)
    deadlines: Deadlines | None = None
