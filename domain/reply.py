"""The synchronous reply of the app, web-form, IVR and 12345 endpoints (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.taxonomy import Category, DecisionKind, Domain, RedirectTarget, RefusalReason
from domain.ticket_event import Deadlines


class IntakeReply(BaseModel):
    """What the citizen (or the sending system) is told; a repeat gets it again with `duplicate`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_no: str
    decision: DecisionKind
    category: Category | None
    domain: Domain | None
    urgent: bool
    message: str  # the explanation in plain Chinese
    answer: str | None = None
    reason: RefusalReason | None = None
    redirect: RedirectTarget | None = None
    missing_facts: tuple[str, ...] = ()
    deadlines: Deadlines | None = None
    duplicate: bool = False

    @classmethod
    def joined(cls, ticket_no: str, message: str, *, duplicate: bool = False) -> IntakeReply:
        """The reply to material that joined an existing ticket (a supplement): the decision
        stays the ticket's, so the reply names none of its own."""
        return cls(
            ticket_no=ticket_no,
            decision=DecisionKind.ACCEPTED,
            category=None,
            domain=None,
            urgent=False,
            message=message,
            duplicate=duplicate,
        )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
