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
from uuid import UUID

import httpx
import redis
from pydantic import BaseModel, ValidationError
from rq import get_current_job

from domain import TicketEvent, TicketSupplement
from queue_workers import context as forwarding
from queue_workers import redis_keys
from queue_workers.failures import (
    FAILURE_META_KEY,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    current_job_id,
    dead_letter,
    ms_since,
    retries_note,
    validation_problems,
)
from queue_workers.ticket_core import Outcome, classify, encode_body, signed_headers

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
# Enough of the core's answer for an operator to see why it refused an event.
RESPONSE_KEEP_BYTES = 4096
# Longer than any retry schedule and than the gateway's dedupe window: a repeat of the same event
# inside it is recognised without asking the core.
DELIVERED_TTL_S = 7 * 24 * 3600

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
    if _already_delivered(event.event_id):
        log.info("%s was delivered to the ticket core before: not sent again", subject)
        return
    body = encode_body(event.to_json_dict())
    headers = signed_headers(secret.get_secret_value(), str(event.event_id), body)
    started = time.perf_counter()
    try:
        with context.http.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            answer = _read_capped(response, RESPONSE_KEEP_BYTES)
    except httpx.RequestError as exc:  # time-outs, refused and reset connections
        elapsed_ms = ms_since(started)
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
        log.warning(
            "%s: ticket core %s after %.0f ms (%s); %s",
            subject,
            what,
            elapsed_ms,
            type(exc).__name__,
            retries_note(),
        )
        raise TransientDeliveryError(f"ticket core {what} after {elapsed_ms:.0f} ms: {exc!r}") from exc

    elapsed_ms = ms_since(started)
    outcome = classify(status)
    if outcome is Outcome.DELIVERED:
        log.info(
            "%s delivered to the ticket core: %d in %.0f ms%s",
            subject,
            status,
            elapsed_ms,
            " (already there)" if status == 409 else "",
        )
        _remember_delivered(event.event_id)
        return
    message = f"ticket core answered {status}: {answer}"
    if outcome is Outcome.TRANSIENT:
        log.warning(
            "%s not delivered: ticket core answered %d in %.0f ms; %s",
            subject,
            status,
            elapsed_ms,
            retries_note(),
        )
        raise TransientDeliveryError(message)
    log.error(
        "%s refused by the ticket core: %d in %.0f ms; not retried (failed job %s)",
        subject,
        status,
        elapsed_ms,
        current_job_id() or "-",
    )
    raise dead_letter(PermanentDeliveryError(message, status=status, body=answer))


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


def _already_delivered(event_id: UUID) -> bool:
    """Best effort: without a running job (a direct call) or with Redis failing, ask the core,
    which dedupes by Idempotency-Key anyway."""
    job = get_current_job()
    if job is None:
        return False
    try:
        return bool(job.connection.exists(redis_keys.delivered(str(event_id))))
    except redis.RedisError:
        return False


def _remember_delivered(event_id: UUID) -> None:
    job = get_current_job()
    if job is None:
        return
    try:
        job.connection.set(redis_keys.delivered(str(event_id)), b"1", ex=DELIVERED_TTL_S)
    except redis.RedisError as exc:
        # Delivered all the same; a repeat of the job would reach the core, which dedupes it.
        log.warning("event %s delivered but not remembered as such: %s", event_id, type(exc).__name__)


def _read_capped(response: httpx.Response, limit: int) -> str:
    """At most `limit` bytes of the body, as text. Reading a short body whole lets the connection
    go back to the pool; a long one is cut and its connection dropped."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break
    except httpx.HTTPError as exc:
        # The status has arrived and decides the outcome; a broken body only loses the detail.
        chunks.append(f" [body unreadable: {type(exc).__name__}]".encode())
    data = b"".join(chunks)
    text = data[:limit].decode("utf-8", errors="replace")
    return text + " [truncated]" if len(data) > limit else text
