"""One signed POST to a receiver that dedupes by `Idempotency-Key`: the ticketing core (events) and
the 12345 platform (returned orders) are both reached this way (`queue_workers.ticket_core`).

2xx and 409 are delivered; 5xx, 408/429, time-outs, refused and reset connections raise
`TransientDeliveryError` (RQ retries the job on its schedule); any other answer is dead-lettered
at once with the receiver's answer kept (`queue_workers.failures`). A delivered key is remembered
in Redis for `DELIVERED_TTL_S`, so the same delivery enqueued again is not POSTed again.

Logs carry the subject, the status and the latency, never the body or the receiver's answer,
which may echo names and phone numbers (第七条).
"""

from __future__ import annotations

import logging
import time

import httpx
import redis
from rq import get_current_job

from queue_workers import context as forwarding
from queue_workers import redis_keys
from queue_workers.failures import (
    PermanentDeliveryError,
    TransientDeliveryError,
    current_job_id,
    dead_letter,
    ms_since,
    remember_failure,
    retries_note,
)
from queue_workers.metrics import FORWARD_FAILURES, FORWARD_SECONDS
from queue_workers.ticket_core import Outcome, classify, signed_headers

log = logging.getLogger(__name__)

# Enough of the receiver's answer for an operator to see why it refused a delivery.
RESPONSE_KEEP_BYTES = 4096
# Longer than any retry schedule and than the gateway's dedupe window: a repeat of the same
# delivery inside it is recognised without asking the receiver.
DELIVERED_TTL_S = 7 * 24 * 3600


def post_signed(
    context: forwarding.ForwardingContext,
    *,
    url: str,
    secret: str,
    idempotency_key: str,
    body: bytes,
    subject: str,
    receiver: str,
) -> None:
    """POST `body` to `url` once (per `idempotency_key`), signed with `secret`; raise as above."""
    if _already_delivered(idempotency_key):
        log.info("%s was delivered to the %s before: not sent again", subject, receiver)
        return
    headers = signed_headers(secret, idempotency_key, body)
    request_id = _request_id()
    if request_id:
        headers["X-Request-Id"] = request_id  # the gateway request that took it: one id, end to end
    started = time.perf_counter()
    try:
        with context.http.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            answer = _read_capped(response, RESPONSE_KEEP_BYTES)
    except httpx.RequestError as exc:  # time-outs, refused and reset connections
        elapsed_ms = ms_since(started)
        _measured(receiver, "transient", elapsed_ms)
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
        log.warning(
            "%s: %s %s after %.0f ms (%s); %s", subject, receiver, what, elapsed_ms, type(exc).__name__, retries_note()
        )
        raise remember_failure(TransientDeliveryError(f"{receiver} {what} after {elapsed_ms:.0f} ms: {exc!r}")) from exc

    elapsed_ms = ms_since(started)
    outcome = classify(status)
    _measured(receiver, outcome.value, elapsed_ms)
    if outcome is Outcome.DELIVERED:
        already = " (already there)" if status == 409 else ""
        log.info("%s delivered to the %s: %d in %.0f ms%s", subject, receiver, status, elapsed_ms, already)
        _remember_delivered(idempotency_key)
        return
    message = f"{receiver} answered {status}: {answer}"
    if outcome is Outcome.TRANSIENT:
        log.warning(
            "%s not delivered: %s answered %d in %.0f ms; %s", subject, receiver, status, elapsed_ms, retries_note()
        )
        raise remember_failure(TransientDeliveryError(message, status=status, body=answer))
    log.error(
        "%s refused by the %s: %d in %.0f ms; not retried (failed job %s)",
        subject,
        receiver,
        status,
        elapsed_ms,
        current_job_id() or "-",
    )
    raise dead_letter(PermanentDeliveryError(message, status=status, body=answer))


def _measured(receiver: str, outcome: str, elapsed_ms: float) -> None:
    label = receiver.replace(" ", "_")  # "ticket_core", "12345_platform"
    FORWARD_SECONDS.labels(receiver=label, outcome=outcome).observe(elapsed_ms / 1000)
    if outcome != "delivered":
        FORWARD_FAILURES.labels(receiver=label, kind=outcome).inc()


def _request_id() -> str | None:
    job = get_current_job()
    value = job.meta.get("request_id") if job is not None else None
    return value if isinstance(value, str) else None


def _already_delivered(idempotency_key: str) -> bool:
    """Best effort: without a running job (a direct call) or with Redis failing, ask the receiver,
    which dedupes by Idempotency-Key anyway."""
    job = get_current_job()
    if job is None:
        return False
    try:
        return bool(job.connection.exists(redis_keys.delivered(idempotency_key)))
    except redis.RedisError:
        return False


def _remember_delivered(idempotency_key: str) -> None:
    job = get_current_job()
    if job is None:
        return
    try:
        job.connection.set(redis_keys.delivered(idempotency_key), b"1", ex=DELIVERED_TTL_S)
    except redis.RedisError as exc:
        # Delivered all the same; a repeat of the job would reach the receiver, which dedupes it.
        log.warning("%s delivered but not remembered as such: %s", idempotency_key, type(exc).__name__)


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
