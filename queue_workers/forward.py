"""The RQ job `forward_ticket`: one event to the ticketing core, or to the local ticket store.

Enqueued by the gateway as `queue_workers.forward.forward_ticket` with the event's JSON dict and
`job_id = event_id`, retried by RQ on the schedule in `HOTLINE_FORWARD_RETRY_SCHEDULE`.

How a failure reaches RQ:
- transient (5xx, 408/429, timeouts, refused or reset connections): `TransientDeliveryError`;
  RQ retries while the job has retries left, then moves it to the FailedJobRegistry.
- permanent (other 4xx, a payload that is not a `TicketEvent`): `PermanentDeliveryError` after
  setting the running job's `retries_left` to 0. RQ 3.0's `Worker.handle_job_failure` retries
  only when `job.should_retry` (`retries_left > 0`) on the very `Job` object that
  `get_current_job()` returns inside `Job.perform()`, so the job goes straight to the
  FailedJobRegistry, with the exception text (status and response body) as its failure.

Logs carry the ticket number, the status and the latency, never the event's content or the
core's response body, which may echo names and phone numbers (第七条).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from pydantic import ValidationError
from rq import get_current_job

from domain import TicketEvent
from queue_workers import context as forwarding
from queue_workers.ticket_core import Outcome, classify, encode_body, signed_headers

log = logging.getLogger(__name__)

# Enough of the core's answer for an operator to see why it refused an event.
RESPONSE_KEEP_BYTES = 4096
FAILURE_META_KEY = "delivery_failure"


class DeliveryError(Exception):
    """The event did not reach the ticketing core on this attempt."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: RQ will, on the configured schedule."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the job goes to the FailedJobRegistry at once, response kept."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class InvalidTicketEvent(PermanentDeliveryError):
    """The job's payload is not a valid `TicketEvent` (v1)."""


def forward_ticket(event: dict[str, Any]) -> None:
    """Deliver one event: POST to the ticketing core, or write it to the local ticket store."""
    ticket = _validate(event)
    context = forwarding.current()
    url = context.settings.ticket_core_url
    if url:
        _deliver(context, ticket, url)
    else:
        _store_locally(context, ticket)


def _validate(event: object) -> TicketEvent:
    try:
        return TicketEvent.model_validate(event)
    except ValidationError as exc:
        # Locations and messages only: pydantic's own text quotes the input, personal data included.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        log.error(
            "job %s: payload is not a valid TicketEvent (%d problems); not retried",
            _job_id(),
            exc.error_count(),
        )
        raise _dead_letter(InvalidTicketEvent(f"payload is not a valid TicketEvent: {problems}")) from None


def _deliver(context: forwarding.ForwardingContext, ticket: TicketEvent, url: str) -> None:
    secret = context.settings.ticket_core_secret
    if secret is None:  # WorkerSettings refuses a URL without a secret; this guards a hand-built one
        raise _dead_letter(PermanentDeliveryError("HOTLINE_TICKET_CORE_SECRET is not set"))
    body = encode_body(ticket.to_json_dict())
    headers = signed_headers(secret.get_secret_value(), str(ticket.event_id), body)
    started = time.perf_counter()
    try:
        with context.http.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            answer = _read_capped(response, RESPONSE_KEEP_BYTES)
    except httpx.RequestError as exc:  # time-outs, refused and reset connections
        elapsed_ms = _ms_since(started)
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
        log.warning(
            "ticket %s: ticket core %s after %.0f ms (%s); %s",
            ticket.ticket_no,
            what,
            elapsed_ms,
            type(exc).__name__,
            _retries_note(),
        )
        raise TransientDeliveryError(f"ticket core {what} after {elapsed_ms:.0f} ms: {exc!r}") from exc

    elapsed_ms = _ms_since(started)
    outcome = classify(status)
    if outcome is Outcome.DELIVERED:
        log.info(
            "ticket %s delivered to the ticket core: %d in %.0f ms%s",
            ticket.ticket_no,
            status,
            elapsed_ms,
            " (already there)" if status == 409 else "",
        )
        return
    message = f"ticket core answered {status}: {answer}"
    if outcome is Outcome.TRANSIENT:
        log.warning(
            "ticket %s not delivered: ticket core answered %d in %.0f ms; %s",
            ticket.ticket_no,
            status,
            elapsed_ms,
            _retries_note(),
        )
        raise TransientDeliveryError(message)
    log.error(
        "ticket %s refused by the ticket core: %d in %.0f ms; not retried (failed job %s)",
        ticket.ticket_no,
        status,
        elapsed_ms,
        _job_id(),
    )
    raise _dead_letter(PermanentDeliveryError(message, status=status, body=answer))


def _store_locally(context: forwarding.ForwardingContext, ticket: TicketEvent) -> None:
    started = time.perf_counter()
    added = context.store.add(ticket)
    log.info(
        "ticket %s %s the local ticket store in %.0f ms",
        ticket.ticket_no,
        "written to" if added else "already in",
        _ms_since(started),
    )


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


def _dead_letter(error: PermanentDeliveryError) -> PermanentDeliveryError:
    """Make RQ skip the retries for the running job; returns `error` for the caller to raise."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0
        # Structured copy for `hotline-gateway dlq`; the exception text holds the same.
        job.meta[FAILURE_META_KEY] = {"status": error.status, "body": error.body, "error": str(error)}
        job.save_meta()  # type: ignore[no-untyped-call]
    return error


def _retries_note() -> str:
    job = get_current_job()
    if job is None or not job.retries_left:
        return "no retries left"
    return f"{job.retries_left} retries left"


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else "-"


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
