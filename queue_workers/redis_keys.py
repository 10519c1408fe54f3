"""Every Redis key the gateway and its workers write, in one place (RQ's own keys are RQ's).

In `queue_workers/` so that both sides can import it (the web layer depends on the workers, never
the other way round)."""

from __future__ import annotations

PREFIX = "hotline"


def nonce(scope: str, token: str) -> str:
    return f"{PREFIX}:nonce:{scope}:{token}"


def dedupe(channel: str, idempotency_key: str) -> str:
    return f"{PREFIX}:dedupe:{channel}:{idempotency_key}"


def ticket_counter(day: str) -> str:
    """`day` is YYYYMMDD in Asia/Shanghai."""
    return f"{PREFIX}:ticketno:{day}"


def rate_limit(scope: str, subject: str, window: int) -> str:
    return f"{PREFIX}:rate:{scope}:{subject}:{window}"
