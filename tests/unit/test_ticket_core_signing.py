"""The forwarding contract's signature and body encoding (DESIGN.md "Forwarding to the ticketing core")."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from queue_workers.ticket_core import Outcome, classify, encode_body, sign, signed_headers, verify
from tests.event_factory import make_event

SECRET = "core-secret-for-tests"
TIMESTAMP = 1700000000
BODY = '{"event_id":"0d4c2b7e-0000-4000-8000-000000000001","text":"出租车拒载"}'.encode()
# Computed outside Python: printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac "$SECRET"
OPENSSL_HEX = "a3356767400ca9e6266fbe62522bcb7cbb8558c896adc1e9db9b7317848f23ac"


def test_signature_is_sha256_hmac_of_timestamp_dot_body() -> None:
    by_hand = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert by_hand == OPENSSL_HEX
    assert sign(SECRET, TIMESTAMP, BODY) == f"sha256={OPENSSL_HEX}"
    assert sign(SECRET.encode(), str(TIMESTAMP), BODY) == f"sha256={OPENSSL_HEX}"


def test_headers_of_one_attempt() -> None:
    headers = signed_headers(SECRET, "0d4c2b7e-0000-4000-8000-000000000001", BODY, timestamp=TIMESTAMP)
    assert headers == {
        "Content-Type": "application/json",
        "Idempotency-Key": "0d4c2b7e-0000-4000-8000-000000000001",
        "X-Hotline-Timestamp": "1700000000",
        "X-Hotline-Signature": f"sha256={OPENSSL_HEX}",
    }


def test_body_is_compact_utf8_json_of_the_event() -> None:
    event = make_event(7)
    body = encode_body(event.to_json_dict())
    assert "出租车司机拒载".encode() in body  # not \\u-escaped
    assert b": " not in body
    assert b", " not in body
    assert json.loads(body) == event.to_json_dict()
    assert json.loads(body)["schema"] == "hotline.ticket-event/v1"


@pytest.mark.parametrize(
    ("timestamp", "body", "signature", "now", "expected"),
    [
        ("1700000000", BODY, f"sha256={OPENSSL_HEX}", 1700000100, True),
        ("1700000000", BODY, f"SHA256={OPENSSL_HEX.upper()}", 1700000100, True),
        ("1700000000", BODY + b" ", f"sha256={OPENSSL_HEX}", 1700000100, False),  # body changed
        ("1700000001", BODY, f"sha256={OPENSSL_HEX}", 1700000100, False),  # timestamp changed
        ("1700000000", BODY, OPENSSL_HEX, 1700000100, False),  # prefix missing
        ("1700000000", BODY, f"sha256={OPENSSL_HEX}", 1700000301, False),  # stale
        ("1700000000", BODY, f"sha256={OPENSSL_HEX}", 1699999699, False),  # from the future
        ("", BODY, f"sha256={OPENSSL_HEX}", 1700000000, False),
        ("-1700000000", BODY, f"sha256={OPENSSL_HEX}", 1700000000, False),
        ("1700000000", BODY, None, 1700000000, False),
    ],
)
def test_verify(timestamp: str, body: bytes, signature: str | None, now: float, expected: bool) -> None:
    assert verify(SECRET, timestamp, body, signature, now=now) is expected


def test_verify_rejects_another_secret() -> None:
    assert not verify("another-secret", "1700000000", BODY, f"sha256={OPENSSL_HEX}", now=1700000000)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (409, Outcome.DELIVERED),
        (400, Outcome.PERMANENT),
        (401, Outcome.PERMANENT),
        (403, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (413, Outcome.PERMANENT),
        (422, Outcome.PERMANENT),
        (301, Outcome.PERMANENT),
        (307, Outcome.PERMANENT),
        (408, Outcome.TRANSIENT),
        (429, Outcome.TRANSIENT),
        (500, Outcome.TRANSIENT),
        (502, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
        (504, Outcome.TRANSIENT),
    ],
)
def test_classify(status: int, outcome: Outcome) -> None:
    assert classify(status) is outcome
