"""Every Redis key the gateway writes, in one place (RQ's own keys are RQ's business)."""

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
