"""The RQ jobs `forward_ticket` and `forward_supplement`: one event to the ticketing core, or to
the local ticket store.

Enqueued by the gateway on the forwarding queue as `queue_workers.forward.forward_ticket` (a
`TicketEvent`) or `queue_workers.forward.forward_supplement` (a `TicketSupplement`), with the
event's JSON dict and `job_id = event_id`, retried by RQ on `HOTLINE_FORWARD_RETRY_SCHEDULE`.
Both kinds take the same path: the same POST to `HOTLINE_TICKET_CORE_URL` (the core tells them
apart by `schema`), the same headers and the same handling of failures (see
`queue_workers.failures`): 2xx and 409 are delivered; 5xx, 408/429, time-outs, refused and reset
connections are retried; any other answer, and a payload that is not the job's event, go to the
FailedJobRegistry at once with the core's answer kept.

Exactly once: the core dedupes by `Idempotency-Key`, and the worker does not even ask it twice —
a delivered event_id is remembered in Redis for `DELIVERED_TTL_S`, so the same event enqueued
again (the same job id after the first run finished, or a second job) is not POSTed again.

Logs carry the ticket number, the status and the latency, never the event's content or the
core's response body, which may echo names and phone numbers (第七条).
"""

from __future__ import annotations

import logging
import time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain import TicketEvent, TicketSupplement
from queue_workers import context as forwarding
from queue_workers.delivery import post_signed
from queue_workers.failures import (
    FAILURE_META_KEY,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    current_job_id,
    dead_letter,
    ms_since,
    validation_problems,
)
from queue_workers.ticket_core import encode_body

__all__ = [
    "FAILURE_META_KEY",
    "FORWARD_SUPPLEMENT",
    "FORWARD_TICKET",
    "DeliveryError",
    "InvalidPayload",
    "InvalidTicketEvent",
    "InvalidTicketSupplement",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "forward_supplement",
    "forward_ticket",
]

log = logging.getLogger(__name__)

FORWARD_TICKET = "queue_workers.forward.forward_ticket"
FORWARD_SUPPLEMENT = "queue_workers.forward.forward_supplement"
Forwardable = TicketEvent | TicketSupplement
_Event = TypeVar("_Event", bound=BaseModel)


class InvalidPayload(PermanentDeliveryError):
    """The job's payload is not the event the job takes."""


class InvalidTicketEvent(InvalidPayload):
    """The payload of `forward_ticket` is not a valid `TicketEvent` (v1)."""


class InvalidTicketSupplement(InvalidPayload):
    """The payload of `forward_supplement` is not a valid `TicketSupplement` (v1)."""


def forward_ticket(event: dict[str, Any]) -> None:
    """Deliver one `TicketEvent`: POST it to the ticketing core, or write it to the local store."""
    ticket = _validate(event, TicketEvent, InvalidTicketEvent)
    _forward(ticket, f"ticket {ticket.ticket_no}")


def forward_supplement(event: dict[str, Any]) -> None:
    """Deliver one `TicketSupplement` the same way. In the local store it waits for its ticket
    if it came first: the core, too, may see the two out of order."""
    supplement = _validate(event, TicketSupplement, InvalidTicketSupplement)
    subject = f"supplement {supplement.event_id} ({supplement.kind}) of ticket {supplement.ticket_no}"
    _forward(supplement, subject)


def _validate(event: object, model: type[_Event], invalid: type[InvalidPayload]) -> _Event:
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        log.error(
            "job %s: payload is not a valid %s (%d problems); not retried",
            current_job_id() or "-",
            model.__name__,
            exc.error_count(),
        )
        message = f"payload is not a valid {model.__name__}: {validation_problems(exc)}"
        raise dead_letter(invalid(message)) from None


def _forward(event: Forwardable, subject: str) -> None:
    context = forwarding.current()
    url = context.settings.ticket_core_url
    if url:
        _deliver(context, event, subject, url)
    else:
        _store_locally(context, event, subject)


def _deliver(context: forwarding.ForwardingContext, event: Forwardable, subject: str, url: str) -> None:
    secret = context.settings.ticket_core_secret
    if secret is None:  # WorkerSettings refuses a URL without a secret; this guards a hand-built one
        raise dead_letter(PermanentDeliveryError("HOTLINE_TICKET_CORE_SECRET is not set"))
    post_signed(
        context,
        url=url,
        secret=secret.get_secret_value(),
        idempotency_key=str(event.event_id),
        body=encode_body(event.to_json_dict()),
        subject=subject,
        receiver="ticket core",
    )


def _store_locally(context: forwarding.ForwardingContext, event: Forwardable, subject: str) -> None:
    started = time.perf_counter()
    store = context.store
    added = store.add(event) if isinstance(event, TicketEvent) else store.add_supplement(event)
    log.info(
        "%s %s the local ticket store in %.0f ms",
        subject,
        "written to" if added else "already in",
        ms_since(started),
    )
