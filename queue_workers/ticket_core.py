"""The wire contract with the ticketing core (DESIGN.md "Forwarding to the ticketing core").

`POST {HOTLINE_TICKET_CORE_URL}` with the event as compact UTF-8 JSON and the headers
`Idempotency-Key: {event_id}`, `X-Hotline-Timestamp: {unix seconds}` and
`X-Hotline-Signature: sha256={hex HMAC-SHA256(secret, "{timestamp}.{body}")}`.

Pure functions only, so the ticket core's engineers (and our tests) can sign and verify exactly as
the worker does; the 12345 return uses the same signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from enum import Enum
from typing import Any

IDEMPOTENCY_HEADER = "Idempotency-Key"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
SIGNATURE_PREFIX = "sha256="
DEFAULT_MAX_SKEW_S = 300


def encode_body(payload: dict[str, Any]) -> bytes:
    """The bytes that are both signed and sent: compact, UTF-8, Chinese text left unescaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """`sha256=` + lowercase hex HMAC-SHA256(secret, "{timestamp}.{body}")."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str | bytes, idempotency_key: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Every header of one delivery attempt. The timestamp is taken per attempt, so a retry a day
    later still passes the receiver's freshness check while the Idempotency-Key stays the same."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: idempotency_key,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, stamp, body),
    }


def verify(
    secret: str | bytes,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: float | None = None,
    max_skew_s: int = DEFAULT_MAX_SKEW_S,
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant-time)."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(int(timestamp) - current) > max_skew_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower())


class Outcome(Enum):
    DELIVERED = "delivered"
    PERMANENT = "permanent"
    TRANSIENT = "transient"


# 408 and 429 say "not now", not "never": dead-lettering a citizen's event because the ticket core
# was busy would turn a delay into an operator's chore, so they are retried like a 5xx.
_RETRYABLE_4XX = frozenset({408, 429})


def classify(status: int) -> Outcome:
    """2xx and 409 (the core already has this Idempotency-Key) are delivered; 5xx, 408 and 429
    are retried; any other answer (other 4xx, and 1xx/3xx: a redirect is not followed, so a signed
    event never goes to a host nobody configured) is permanent."""
    if 200 <= status < 300 or status == 409:
        return Outcome.DELIVERED
    if status >= 500 or status in _RETRYABLE_4XX:
        return Outcome.TRANSIENT
    return Outcome.PERMANENT
